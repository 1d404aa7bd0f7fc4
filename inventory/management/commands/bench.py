"""Benchmark the project on the configured database engine, in a throw-away database.

The suites live with the apps they measure: every installed app with a ``bench`` module
(``<app>/bench.py``) is asked for ``suites()``, a list of ``(name, run)`` where ``run(measure,
options)`` builds its data and times its operations with ``measure``. So this command, which
belongs to ``inventory``, never imports the apps that depend on it. A bench module may also
declare ``SIZES`` (``{"option": (default, help)}``: integer options of 1 or more, added here; a
third value is another least value) and
``check(options)`` (raise ``CommandError`` before any database is made).

The suites run with DEBUG off, as production does, whatever the environment says (``make bench``
has it on): Django's debug cursor would keep every query's text and time them all.
"""

import json
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from inventory.hooks import app_modules


def bench_modules() -> list:
    """The ``bench`` modules of the installed apps, in INSTALLED_APPS order."""
    return app_modules("bench")


def bench_suites() -> dict[str, tuple[object, object]]:
    """Suite name → (its module, its run callable)."""
    suites: dict[str, tuple[object, object]] = {}
    for module in bench_modules():
        for name, run in module.suites():
            if name in suites or name == "all":
                raise CommandError(f"bench suite {name!r} of {module.__name__} is already defined")
            suites[name] = (module, run)
    return suites


class Measure:
    """Times a block and counts the SQL queries it runs; what a suite's ``run`` is given.

    ``with measure(name):`` adds one result. ``with measure(name, best=True):`` repeated keeps
    one result for the name: the fastest run, with that run's query count. ``target=`` (seconds)
    is kept in the result and the text output marks a result over it. ``measure.note(text)``
    writes a line to the command's stderr (set-up timings and the like, not results).
    """

    def __init__(self, command):
        self.command = command
        self.results: list[dict] = []

    @contextmanager
    def __call__(self, name: str, *, best: bool = False, target: float | None = None):
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            yield
            seconds = time.perf_counter() - start
        result = {"name": name, "seconds": round(seconds, 4), "queries": count[0]}
        if target is not None:
            result["target"] = target
        previous = next((r for r in self.results if r["name"] == name), None) if best else None
        if previous is None:
            self.results.append(result)
        elif result["seconds"] < previous["seconds"]:
            previous.update(result)

    def note(self, text: str) -> None:
        self.command.stderr.write(text)


class Command(BaseCommand):
    help = (
        "Time the apps' benchmark suites in a throw-away database: posting (receive and deliver 10,000 "
        "serials, post 1,000 documents, verify_ledger) and trace (every list, report and tab of the "
        "product over 1,000,000 lots and 5,000,000 moves, each against its target)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--suite", choices=["all", *bench_suites()], default="all", help="which suite to run (default all)")
        for module in bench_modules():
            for option, (default, text, *_) in getattr(module, "SIZES", {}).items():
                parser.add_argument(f"--{option}", type=int, default=default, help=f"{text} (default {default:,})")

    def handle(self, *args, **options):
        modules = bench_modules()
        for module in modules:
            for option, (_, _, *least) in getattr(module, "SIZES", {}).items():
                minimum = least[0] if least else 1
                if options[option.replace("-", "_")] < minimum:
                    raise CommandError(f"--{option} must be {minimum} or more")
        for module in modules:
            if hasattr(module, "check"):
                module.check(options)
        suites = bench_suites()
        chosen = [run for name, (_, run) in suites.items() if options["suite"] in ("all", name)]
        measure = Measure(self)
        # Measured as production runs, with DEBUG off: with it on, Django's cursor keeps the text
        # of every query with its values pasted in (about a sixth of a till's checkout).
        with override_settings(DEBUG=False), throwaway_database():
            for run in chosen:
                run(measure, options)
        results = measure.results
        if options["json"]:
            self.stdout.write(json.dumps({"engine": connection.vendor, "operations": results}))
            return
        self.stdout.write(f"engine: {connection.vendor}")
        width = max((len(r["name"]) for r in results), default=26)
        for r in results:
            line = f"{r['name']:<{width}} {r['seconds']:>8.3f} s {r['queries']:>8} queries"
            if "target" in r:
                line += f"   target {r['target']:.3f} s" + ("   OVER" if r["seconds"] > r["target"] else "")
            self.stdout.write(line)
        over = [r["name"] for r in results if "target" in r and r["seconds"] > r["target"]]
        if over:
            self.stdout.write(f"{len(over)} of {sum('target' in r for r in results)} operations over their target")


@contextmanager
def throwaway_database():
    """A fresh database of the configured engine, dropped afterwards; the real one is never touched."""
    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    if connection.vendor != "sqlite":
        test_settings["NAME"] = f"bench_{settings.DATABASES['default']['NAME']}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
