"""Import a CSV file of one kind, all or nothing: manage.py import_csv KIND FILE."""

import csv
import sys
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from inventory.csv_safe import csv_cell
from inventory.imports import KINDS, import_csv

from ._csv_common import company_named, progress_bar


class Command(BaseCommand):
    help = (
        "Import a CSV file (KIND: " + ", ".join(KINDS) + "). All or nothing: a file with any bad row writes "
        "nothing and every bad row is reported. FILE may be - for standard input. Exits 1 on any error."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS))
        parser.add_argument("file", help="the CSV file, or - for standard input")
        parser.add_argument("--company", help="the company's code (needed when there is more than one)")
        parser.add_argument("--dry-run", action="store_true", help="check and write everything, then roll it all back")
        parser.add_argument("--errors", metavar="FILE", help="also write the problems found as CSV (row, column, value, problem)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument("--user", help="the username the import is recorded under (default: none)")

    def handle(self, *args, **options):
        company = company_named(options["company"])
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user {options['user']}")
        started = time.perf_counter()
        total = None
        if options["file"] == "-":
            stream, name = sys.stdin.buffer, "(standard input)"
        else:
            try:
                stream = open(options["file"], "rb")  # noqa: SIM115 - closed below
            except OSError as error:
                raise CommandError(f"cannot read {options['file']}: {error.strerror}") from None
            name = options["file"]
            if not options["no_progress"] and sys.stderr.isatty():
                total = max(sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b"")) - 1, 0)
                stream.seek(0)
        try:
            with progress_bar(not options["no_progress"], total=total, what=f"reading {options['kind']}") as update:
                report = import_csv(
                    kind=options["kind"],
                    stream=stream,
                    company=company,
                    user=user,
                    dry_run=options["dry_run"],
                    file_name=name,
                    progress=update,
                )
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        seconds = time.perf_counter() - started
        if options["errors"]:
            with open(options["errors"], "w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(["row", "column", "value", "problem"])
                writer.writerows([p.row or "", csv_cell(p.column), csv_cell(p.value), csv_cell(p.message)] for p in report.problems)
        o = report.outcome
        counts = f"{o.rows:,} rows: {o.created:,} new, {o.changed:,} changed, {o.unchanged:,} unchanged"
        if report.problems:
            for problem in report.problems[:1000]:
                self.stderr.write(str(problem))
            if len(report.problems) > 1000:
                self.stderr.write(f"… and {len(report.problems) - 1000:,} more (all of them with --errors FILE)")
            raise CommandError(
                f"{len(report.problems):,} problem{'s' if len(report.problems) != 1 else ''} in {name}: nothing was written "
                f"(import #{report.run.pk})"
            )
        if report.dry_run:
            self.stdout.write(f"dry run, nothing written: {counts} would be imported ({seconds:.1f} s)")
            return
        posted = f"; posted as document #{o.document_id}" if o.document_id else ""
        self.stdout.write(self.style.SUCCESS(f"imported {name} (import #{report.run.pk}): {counts}{posted} ({seconds:.1f} s)"))
