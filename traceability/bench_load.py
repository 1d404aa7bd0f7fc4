"""The load suite (``manage.py bench --suite load``, PostgreSQL only).

On the trace suite's data set (1,000,000 lots and 5,000,000 moves by default) it starts the
production server (gunicorn, debug off, ``--workers``), signs ``--clients`` users in over loopback
and has them work for ``--seconds`` on a mixed workload, each pausing ``--think`` milliseconds on
average between two requests as a clerk reading the page would (``--think 0``: back to back, the
server's saturation): the documents list, the lot list searched,
the lookup of a serial, a lot's page, the allocations dialog of a draft, and small deliveries posted
through the form ("Save & post", one unit each). It reports the p50 and p95 latency of every kind
of request and of all of them (``queries`` is the number of requests there), the errors (5xx
answers or failed connections), the requests per second and the deliveries posted; with a pause,
the same clients then work as fast as they can (``load_saturation_*``); last ``verify_ledger``. The clients are plain threads with the standard library's HTTP client, bounded
in count and time.
"""

import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

PASSWORD = "bench-load-password"
# (operation, weight): what a busy morning at a warehouse asks of the server.
WORKLOAD = [("documents", 20), ("lot_list", 20), ("lookup", 15), ("lot_page", 10), ("dialog", 15), ("delivery", 20)]
BASE_DIR = Path(__file__).resolve().parent.parent


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Session:
    """One signed-in browser: cookies, CSRF token, no redirects followed (a redirect is an answer)."""

    def __init__(self, base: str):
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, path: str, data: dict | list | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        headers = {"Referer": self.base + path}
        token = next((c.value for c in self.jar if c.name == "csrftoken"), None)
        if token:
            headers["X-CSRFToken"] = token
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(req, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def sign_in(self, username: str) -> None:
        status, page = self.request("/accounts/login/")
        fields = hidden_fields(page)
        status, _ = self.request("/accounts/login/", {**fields, "username": username, "password": PASSWORD, "next": "/"})
        if status != 302:
            raise CommandError(f"{username} could not sign in to the load server (answer {status})")


def hidden_fields(page: str) -> dict:
    """The hidden inputs of a page's forms (CSRF token, submission key…), as a form would send them."""
    found = {}
    for tag in re.findall(r"<input[^>]*type=\"hidden\"[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            found[name.group(1)] = value.group(1) if value else ""
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def start_server(workers: int) -> tuple[subprocess.Popen, str]:
    """The production server on the bench database: gunicorn, debug off, over loopback."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-load-" + os.urandom(16).hex(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL": "false",
    }
    # Off debug the pages name their static files through collectstatic's manifest, as `make serve` does.
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    if collected.returncode:
        raise CommandError(f"collectstatic failed for the load server: {collected.stderr[-2000:]}")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"the load server stopped: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/accounts/login/", timeout=5) as response:
                if response.status == 200:
                    return process, base
        except urllib.error.HTTPError as error:  # up, but the sign-in page fails: no use waiting
            process.terminate()
            raise CommandError(
                f"the load server answered {error.code} for the sign-in page: {process.stderr.read().decode()[-2000:]}"
            ) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    process.terminate()
    raise CommandError("the load server did not answer within 60 s")


def run_load(measure, options) -> None:
    from django.contrib.auth import get_user_model

    from inventory.models import Document, DocumentKind, DocumentStatus, Location, Lot, LotKind
    from inventory.selectors import ledger_verify
    from inventory.services import document_create, document_line_add, membership_add

    from .bench import Plan, generate

    if options["suite"] == "all":
        # Not part of "all": it starts a server and works for a minute on the trace data, which
        # the trace suite of the same run has already written into this database.
        measure.note("load: run it on its own: manage.py bench --suite load (PostgreSQL)")
        return
    if connection.vendor != "postgresql":
        raise CommandError("the load suite runs on PostgreSQL: set DATABASE_URL=postgres://…")
    plan = Plan(options["lots"], options["moves"], options["finished"], options["customers"])
    started = time.perf_counter()
    ids = generate(plan)
    with connection.cursor() as cursor:
        for table in ("inventory_lot", "inventory_stockmove", "inventory_balance", "inventory_document", "inventory_item"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    company, items = ids["company"], ids["items"]
    users = []
    for n in range(options["clients"]):
        user = get_user_model().objects.create(username=f"load-{n:02d}", is_staff=True, is_superuser=True)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        membership_add(user=user, company=company, is_default=True)
        users.append(user.username)
    warehouse = Location.objects.get(company=company, code="WH1")
    draft = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=warehouse)
    line = document_line_add(document=draft, item=company.items.get(pk=items[0]), quantity=5)
    serials = list(Lot.objects.filter(company=company, kind=LotKind.SERIAL, in_stock=True).values_list("number", flat=True)[:2000])
    lot_pks = list(Lot.objects.filter(company=company, kind=LotKind.LOT).values_list("pk", flat=True)[:2000])
    measure.note(
        f"load: data set of {plan.lots:,} lots / {plan.moves:,} moves ready in {time.perf_counter() - started:.1f} s (not measured)"
    )

    delivered = Document.objects.filter(company=company, kind=DocumentKind.DELIVERY, status=DocumentStatus.POSTED)
    process, base = start_server(options["workers"])
    lock = threading.Lock()
    q, _ = plan.search()

    def operation(session: Session, name: str, rng: random.Random) -> int:
        if name == "documents":
            return session.request("/documents/")[0]
        if name == "lot_list":
            return session.request(f"/trace/lots/?q={q}")[0]
        if name == "lookup":
            return session.request(f"/trace/lookup/?q={rng.choice(serials)}")[0]
        if name == "lot_page":
            return session.request(f"/trace/lots/{rng.choice(lot_pks)}/")[0]
        if name == "dialog":
            return session.request(f"/lines/{line.pk}/allocations/")[0]
        status, page = session.request("/documents/new/delivery/")
        if status != 200:
            return status
        fields = {
            **hidden_fields(page),
            "from_location": warehouse.pk,
            "date": time.strftime("%Y-%m-%d"),
            "reference": "load",
            "notes": "",
            "lines-TOTAL_FORMS": 1,
            "lines-INITIAL_FORMS": 0,
            "lines-MIN_NUM_FORMS": 0,
            "lines-MAX_NUM_FORMS": 1000,
            "lines-0-item": rng.choice(items[:50]),
            "lines-0-quantity": "1",
            "post": "1",
        }
        return session.request("/documents/new/delivery/", fields)[0]

    names = [name for name, weight in WORKLOAD for _ in range(weight)]

    def phase(prefix: str, think_ms: int) -> None:
        """``--clients`` clients at work for ``--seconds``, pausing ``think_ms`` on average."""
        timings: dict[str, list[float]] = {name: [] for name, _ in WORKLOAD}
        errors: list[str] = []
        refused: list[int] = []
        posted_before = delivered.count()

        def client(username: str, seed: int, deadline: float) -> None:
            rng = random.Random(seed)
            session = Session(base)
            try:
                session.sign_in(username)
            except Exception as error:  # noqa: BLE001 - a client that cannot start is an error of the run
                with lock:
                    errors.append(f"{username}: {error}")
                return
            pause = think_ms / 1000
            while time.monotonic() < deadline:
                if pause:
                    # A clerk reads the page before the next click: half to one and a half times
                    # the mean pause, so the clients do not march in step.
                    time.sleep(pause * (0.5 + rng.random()))
                    if time.monotonic() >= deadline:
                        break
                name = rng.choice(names)
                start = time.perf_counter()
                try:
                    status = operation(session, name, rng)
                except Exception as error:  # noqa: BLE001 - a failed connection counts as an error
                    status, detail = 0, str(error)
                else:
                    detail = ""
                elapsed = time.perf_counter() - start
                with lock:
                    timings[name].append(elapsed)
                    if status == 0 or status >= 500:
                        errors.append(f"{name}: {status} {detail}".strip())
                    elif name == "delivery" and status != 302:
                        refused.append(status)  # the form answered with its refusal instead of posting

        deadline = time.monotonic() + options["seconds"]
        threads = [threading.Thread(target=client, args=(u, n, deadline)) for n, u in enumerate(users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=options["seconds"] + 180)
        every = [t for values in timings.values() for t in values]
        if not every:
            raise CommandError("the load clients made no request: " + "; ".join(errors[:5]))
        for name, values in [*timings.items(), ("all", every)]:
            if not values:
                continue
            cuts = statistics.quantiles(values, n=100) if len(values) >= 2 else [values[0]] * 99
            measure.results.append(
                {"name": f"{prefix}_{name}_p95", "seconds": round(cuts[94], 4), "queries": len(values), "p50": round(cuts[49], 4)}
            )
        measure.results.append({"name": f"{prefix}_errors", "seconds": 0, "queries": len(errors), "examples": errors[:5]})
        rate = round(len(every) / options["seconds"], 1)
        measure.results.append({"name": f"{prefix}_requests_per_second", "seconds": 0, "queries": rate, "think_ms": think_ms})
        posted = delivered.count() - posted_before
        measure.results.append({"name": f"{prefix}_deliveries_posted", "seconds": 0, "queries": posted, "refused": len(refused)})
        measure.note(
            f"{prefix}: {len(every):,} requests ({rate}/s) from {len(users)} clients in {options['seconds']} s, pausing "
            f"{think_ms} ms on average between requests: {len(errors)} errors, "
            f"p95 {statistics.quantiles(every, n=100)[94] * 1000:.0f} ms, {posted} deliveries posted ({len(refused)} refused)"
        )

    try:
        phase("load", options["think"])
        if options["think"]:
            # Then the same clients with no pause at all: the most the server answers, and how slowly.
            phase("load_saturation", 0)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()

    with measure("verify_ledger_after_load"):
        faults = ledger_verify()
    measure.results.append({"name": "verify_ledger_faults", "seconds": 0, "queries": len(faults), "examples": [str(f) for f in faults[:5]]})
    measure.note(f"load: verify_ledger after the load: {len(faults)} faults")
    if settings.DEBUG:
        measure.note("load: the server ran with debug off; this process's DEBUG setting does not matter to it")
