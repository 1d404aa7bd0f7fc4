"""Short-hands for the import tests: files as bytes, the samples, exports as text, table counts."""

import io
from pathlib import Path

from inventory.imports import KINDS, csv_export, import_csv
from inventory.models import (
    Balance,
    Document,
    DocumentLine,
    ImportRun,
    Item,
    Location,
    Lot,
    LotSerialClass,
    NumberSegment,
    Partner,
    StockMove,
)

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
ORDER = ["locations", "partners", "classes", "items", "lots", "opening_stock"]
assert list(KINDS) == ORDER, "the samples are imported in the order of KINDS"


def sample(kind: str) -> bytes:
    return (SAMPLES / f"{kind}.csv").read_bytes()


def run(kind, content, company, **options):
    """Import ``content`` (text, encoded UTF-8, or bytes as they are) as a file of ``kind``."""
    data = content.encode() if isinstance(content, str) else content
    options.setdefault("file_name", f"{kind}.csv")
    return import_csv(kind=kind, stream=io.BytesIO(data), company=company, **options)


def import_samples(company, *, before=None):
    """Import the samples in order (those before ``before`` only); each must import cleanly."""
    reports = {}
    for kind in ORDER:
        if kind == before:
            break
        report = run(kind, sample(kind), company)
        assert report.ok, (kind, report.problems)
        reports[kind] = report
    return reports


def exported(kind, company) -> str:
    out = io.StringIO()
    csv_export(kind=kind, company=company, out=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    """Rows of every table an import writes (ImportRun aside: every import adds one)."""
    models = (Location, Partner, LotSerialClass, NumberSegment, Item, Lot, StockMove, Balance, Document, DocumentLine)
    counted = {model.__name__: model.objects.count() for model in models}
    counted["Lot in stock"] = Lot.objects.filter(in_stock=True).count()
    return counted


def last_run():
    return ImportRun.objects.order_by("-pk").first()


def problem_at(report, row, column=None):
    """The problems of ``row`` (and ``column``), as (column, message) pairs."""
    return [(p.column, p.message) for p in report.problems if p.row == row and (column is None or p.column == column)]


def messages(report) -> str:
    return "\n".join(str(p) for p in report.problems)
