"""Export one kind as CSV, in the columns import_csv reads: manage.py export_csv KIND [-o FILE]."""

import sys

from django.core.management.base import BaseCommand, CommandError

from inventory.imports import EXPORT_KINDS, csv_export

from ._csv_common import company_named, progress_bar


class Command(BaseCommand):
    help = (
        "Export a company's "
        + ", ".join(EXPORT_KINDS)
        + " as CSV (UTF-8), in the columns import_csv reads (history: every move, for auditors). Streamed."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=EXPORT_KINDS)
        parser.add_argument("--company", help="the company's code (needed when there is more than one)")
        parser.add_argument("-o", "--output", help="the file to write (default: standard output)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        company = company_named(options["company"])
        to_file = options["output"] not in (None, "", "-")
        if to_file:
            try:
                out = open(options["output"], "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed below
            except OSError as error:
                raise CommandError(f"cannot write {options['output']}: {error.strerror}") from None
        else:
            out = getattr(self.stdout, "_out", sys.stdout)  # the command's own output (call_command's stdout=)
        try:
            with progress_bar(to_file and not options["no_progress"], total=None, what=f"exporting {options['kind']}") as update:
                count = csv_export(kind=options["kind"], company=company, out=out, progress=update)
        finally:
            if to_file:
                out.close()
        if to_file:
            self.stderr.write(f"{count:,} rows written to {options['output']}")
