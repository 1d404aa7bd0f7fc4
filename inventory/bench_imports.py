"""The imports suite of ``manage.py bench``: CSV files written to a temporary folder and imported
through ``import_csv`` as an operator would, each big import in a child process of its own so
its peak memory is its own (the resident set the kernel reports at its end)."""

import csv
import io
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

from django.core.management.base import CommandError
from django.db import connection

from .imports import csv_export, import_csv
from .models import Company, Location, LocationKind, Lot, LotSerialClass, NumberSegment, SegmentKind, StockMove, Tracking
from .selectors import ledger_verify
from .services import company_create, location_create

SIZES = {
    "import-serials": (1_000_000, "serials of opening stock imported (imports suite)"),
    "import-items": (100_000, "items imported (imports suite)"),
    "import-lots": (100_000, "lots imported (imports suite)"),
}
LOCATIONS = 20
SERIAL_ITEMS = 100


def _write(path: Path, header: list[str], rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _child(target, *args) -> tuple[object, float | None, int]:
    """Run ``target(*args)`` in a forked process: its answer, its peak memory in MiB and the queries
    it ran. SQLite's throw-away database lives in this process's memory: there it runs here, and
    its peak is not measured (None)."""
    if connection.vendor == "sqlite":
        count = [0]
        with connection.execute_wrapper(lambda execute, *a: count.__setitem__(0, count[0] + 1) or execute(*a)):
            return target(*args), None, count[0]
    connection.close()
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)

    def body():
        connection.close()
        count = [0]
        try:
            with connection.execute_wrapper(lambda execute, *a: count.__setitem__(0, count[0] + 1) or execute(*a)):
                answer = target(*args)
        except Exception as error:  # noqa: BLE001 - carried to the parent and raised there
            answer = error
        child.send((answer, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, count[0]))
        connection.close()

    process = context.Process(target=body)
    process.start()
    answer, peak, queries = parent.recv()
    process.join()
    if isinstance(answer, Exception):
        raise CommandError(f"{target.__name__}: {answer}")
    return answer, peak, queries


def _measured(measure, name: str, target: float | None, run, *args) -> tuple[object, float | None]:
    """``run(*args)`` in a child process, timed as ``name``: its answer and peak memory."""
    with measure(name, target=target):
        answer, peak, queries = _child(run, *args)
    measure.results[-1]["queries"] = queries
    if peak is not None:
        measure.results[-1]["peak_mib"] = round(peak)
    return answer, peak


def _import(kind: str, path: Path, company_id: int, dry_run: bool = False) -> tuple[int, int, list[str]]:
    company = Company.objects.get(pk=company_id)
    with path.open("rb") as stream:
        report = import_csv(kind=kind, stream=stream, company=company, dry_run=dry_run, file_name=path.name)
    return report.outcome.rows, report.outcome.created, [str(p) for p in report.problems[:3]]


def _export(kind: str, company_id: int) -> int:
    sink = _Counting()
    return csv_export(kind=kind, company=Company.objects.get(pk=company_id), out=sink)


class _Counting(io.TextIOBase):
    """A file that keeps nothing: an export's memory is then the export's own."""

    def __init__(self) -> None:
        self.characters = 0

    def write(self, text: str) -> int:
        self.characters += len(text)
        return len(text)


def run(measure, options) -> None:
    serials, items, lots = options["import_serials"], options["import_items"], options["import_lots"]
    folder = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    company = company_create(name="Bench Imports", code="bench-imports")
    for i in range(LOCATIONS):
        location_create(company=company, code=f"BIN{i:02d}")
    serial_class = LotSerialClass.objects.create(company=company, code="SER", name="Serials", tracking=Tracking.SERIAL)
    NumberSegment.objects.create(lot_class=serial_class, position=0, kind=SegmentKind.CONSTANT, value="S")
    NumberSegment.objects.create(lot_class=serial_class, position=1, kind=SegmentKind.COUNTER, value="0000001")
    lot_class = LotSerialClass.objects.create(company=company, code="LOT", name="Lots", tracking=Tracking.LOT, track_expiry=True)
    NumberSegment.objects.create(lot_class=lot_class, position=0, kind=SegmentKind.CONSTANT, value="L")
    NumberSegment.objects.create(lot_class=lot_class, position=1, kind=SegmentKind.COUNTER, value="0000001")
    header = ["Item code", "Name", "Lot/serial class", "Standard unit cost", "Sale price"]

    def item_rows():
        for i in range(items):
            yield [f"IT{i:07d}", f"Item {i}", "", "1.25", "2"]
        for i in range(SERIAL_ITEMS):
            yield [f"SER{i:03d}", f"Serial item {i}", "SER", "10", "20"]
        yield ["LOTITEM", "Lot item", "LOT", "1", "2"]

    path = _write(folder / "items.csv", header, item_rows())
    (rows, created, problems), _ = _measured(
        measure, f"import_{items}_items", 20.0 if items >= 100_000 else None, _import, "items", path, company.pk
    )
    _check("items", problems, created, items + SERIAL_ITEMS + 1)

    path = _write(
        folder / "lots.csv",
        ["Item code", "Lot/serial number", "Expiration date", "Reference", "Unit cost"],
        (["LOTITEM", f"L{i:07d}", "2028-01-31", f"batch {i}", "0.9"] for i in range(lots)),
    )
    (rows, created, problems), _ = _measured(
        measure, f"import_{lots}_lots", 20.0 if lots >= 100_000 else None, _import, "lots", path, company.pk
    )
    _check("lots", problems, created, lots)

    per_item = -(-serials // SERIAL_ITEMS)
    path = _write(
        folder / "serials.csv",
        ["Item code", "Lot/serial number", "Unit cost"],
        ([f"SER{i // per_item:03d}", f"S{i:07d}", "10"] for i in range(serials)),
    )
    started = time.perf_counter()
    (rows, created, problems), peak, _ = _child(_import, "lots", path, company.pk)
    _check("serial numbers", problems, created, serials)
    measure.note(f"imports: {serials:,} serial numbers created by the lots import in {time.perf_counter() - started:.1f} s{_mib(peak)}")

    locations = [loc.code for loc in Location.objects.filter(company=company, kind=LocationKind.INTERNAL).order_by("code")]
    path = _write(
        folder / "opening.csv",
        ["Item code", "Location", "Lot/serial number", "Quantity", "Unit cost"],
        ([f"SER{i // per_item:03d}", locations[i % len(locations)], f"S{i:07d}", "1", "10"] for i in range(serials)),
    )
    moves_before = StockMove.objects.count()
    name, target = f"import_opening_stock_{serials}_serials", 60.0 if serials >= 1_000_000 else None
    (rows, created, problems), peak = _measured(
        measure, f"{name}_dry_run", target and 40.0, _import, "opening_stock", path, company.pk, True
    )
    _check("opening stock (dry run)", problems, created, serials)
    if StockMove.objects.count() != moves_before:
        raise CommandError("the dry run wrote moves")
    (rows, created, problems), peak = _measured(measure, name, target, _import, "opening_stock", path, company.pk)
    _check("opening stock", problems, created, serials)
    measure.note(f"imports: opening stock of {serials:,} serials{_mib(peak)} (target under 1,024 MiB)")
    if Lot.objects.filter(company=company, in_stock=True).count() != serials:
        raise CommandError("the opening stock is not all in stock")

    count, peak = _measured(
        measure, f"export_history_{serials}_rows", 30.0 if serials >= 1_000_000 else None, _export, "history", company.pk
    )
    measure.note(f"imports: {count:,} history rows exported{_mib(peak)}")
    faults = ledger_verify()
    if faults:
        raise CommandError(f"verify_ledger after the imports suite: {faults[:3]}")


def _mib(peak: float | None) -> str:
    return f", peak memory {peak:,.0f} MiB" if peak is not None else ""


def _check(what: str, problems: list[str], created: int, expected: int) -> None:
    if problems:
        raise CommandError(f"the {what} file was refused: {problems}")
    if created != expected:
        raise CommandError(f"the {what} import created {created:,}, not {expected:,}")
