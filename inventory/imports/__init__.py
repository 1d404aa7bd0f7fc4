"""CSV imports and exports (``manage.py import_csv`` / ``export_csv`` and the admin's upload).

An import is all or nothing: the whole file is read and checked (every problem of every row is
reported, not the first only), and only a file without problems is written, in one
transaction. A dry run writes inside that transaction and rolls it back. Every import is
recorded (``ImportRun``: kind, file hash, rows, user, time, result); the same file imported
twice changes nothing the second time (rows are matched by their natural keys, and an
opening-stock file already posted is refused).
"""

import csv
import gc
import itertools
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TextIO

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from ..csv_safe import csv_cell
from ..exceptions import InventoryError
from ..models import Company, ImportResult, ImportRun
from .base import Context, Kind, Outcome, Row, changed_fields, written
from .history import HEADER as HISTORY_HEADER
from .history import history_rows
from .lots import Lots
from .opening import OpeningStock
from .reading import CsvSource, FileRefused, Problem
from .setup import Classes, Items, Locations, Partners

KINDS: dict[str, type[Kind]] = {k.name: k for k in (Locations, Partners, Classes, Items, Lots, OpeningStock)}
EXPORT_KINDS = [*KINDS, "history"]
PREVIEW_ROWS = 20
ANALYZED_FROM = 10_000  # rows written from which the tables' planner statistics are renewed
SWITCH_INTERVAL = 0.0005  # seconds (see _threads_switched_often)
READ_CHUNK = 20_000  # rows parsed at once, the next while the kind looks up what the last names

__all__ = ["EXPORT_KINDS", "KINDS", "ImportReport", "Problem", "csv_export", "import_csv", "sample_header"]


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    outcome: Outcome
    problems: list[Problem] = field(default_factory=list)
    run: ImportRun | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def import_csv(
    *,
    kind: str,
    stream: BinaryIO,
    company: Company,
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    file_name: str = "",
    max_rows: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import one file of ``kind`` into ``company``; see the module's description."""
    with _collector_paused(), _threads_switched_often():
        return _import(kind, stream, company, user, dry_run, file_name, max_rows, progress)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a file is imported: a million rows are millions of
    objects, held to the end, that it would otherwise walk again and again (14 s of a 57 s
    opening stock of a million serials). An import makes few cycles; they are collected after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _threads_switched_often() -> Iterator[None]:
    """Python hands its lock from thread to thread every 0.5 ms, not 5, while files are imported:
    one thread reads and checks rows while the other waits on the database, and each answer
    (or each part of a big statement sent) waits for the lock. At 5 ms, a million serials' opening
    stock took 38 s instead of 33. The setting is the process's: the last import to end puts it back."""
    global _switching_imports, _switch_interval_before
    with _switching:
        if _switching_imports == 0:
            _switch_interval_before = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_interval_before, SWITCH_INTERVAL))
        _switching_imports += 1
    try:
        yield
    finally:
        with _switching:
            _switching_imports -= 1
            if _switching_imports == 0:
                sys.setswitchinterval(_switch_interval_before)


_switching = threading.Lock()
_switching_imports = 0
_switch_interval_before = 0.005


def _import(
    kind: str,
    stream: BinaryIO,
    company: Company,
    user: AbstractBaseUser | None,
    dry_run: bool,
    file_name: str,
    max_rows: int | None,
    progress: Callable[[int], None] | None,
) -> ImportReport:
    spec = KINDS[kind]()
    spec.file_name = file_name[:255]
    context = Context(company, user if getattr(user, "is_authenticated", False) else None)
    outcome = Outcome()
    report = ImportReport(kind, dry_run, outcome)
    started = timezone.now()
    source = CsvSource(stream, file_name)
    try:
        rows = _rows_read(spec, source, context, max_rows, progress)
    except FileRefused as error:
        source.finish()
        report.problems = [Problem(0, "", "", str(error))]
        report.run = _record(report, company, context.user, source.sha256, file_name, started)
        return report
    outcome.rows = len(rows)
    spec.duplicates_check(rows, context)
    with transaction.atomic():
        spec.lock(context, source.sha256)
        if any(p.row == 0 for p in context.problems):  # the file as a whole is refused
            new, changed = [], []
        else:
            spec.resolve(rows, context)
            stored = spec.existing(context, rows)
            spec.check(rows, stored, context)
            new, changed = _compare(spec, rows, stored, outcome)
        outcome.preview = [_preview(spec, row) for row in (new + [row for row, _ in changed])[:PREVIEW_ROWS]]
        if not context.problems:
            try:
                spec.write(new, changed, context, outcome)
            except InventoryError as error:  # a rule the checks above did not see: said, never raw
                context.problem(0, "", "; ".join(str(p) for p in getattr(error, "problems", [error])))
        report.problems = sorted(context.problems, key=lambda p: (p.row, p.column))
        if report.problems or dry_run:
            transaction.set_rollback(True)
        else:
            _statistics_renew(spec, outcome)
            report.run = _record(report, company, context.user, source.sha256, file_name, started)
    if report.run is None:
        report.run = _record(report, company, context.user, source.sha256, file_name, started)
    return report


def _statistics_renew(spec: Kind, outcome: Outcome) -> None:
    """After a big import, PostgreSQL's planner statistics of the tables it filled, renewed now
    (about a second for a million rows), not when autovacuum comes by: planned on the counts of
    before, the next import's lookups among a million new lots read the whole table each time."""
    if connection.vendor != "postgresql" or outcome.created + outcome.changed < ANALYZED_FROM:
        return
    with connection.cursor() as cursor:
        for model in spec.filled:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _rows_read(spec: Kind, source: CsvSource, context: Context, max_rows: int | None, progress: Callable[[int], None] | None) -> list[Row]:
    """Every row of the file, read and checked cell by cell. A second thread parses the file a
    chunk at a time while this one hands each chunk read to the kind (``Kind.rows_arrived``:
    the database is read here, while the next chunk is parsed)."""
    columns = spec.header_map(source.read_header())
    lines = source.rows()
    rows: list[Row] = []
    parsed = 0

    def chunk_read() -> list[Row]:
        nonlocal parsed
        chunk = []
        for line, cells in itertools.islice(lines, READ_CHUNK):
            if max_rows is not None and parsed >= max_rows:
                raise FileRefused(f"the file has more than {max_rows:,} rows: import it with manage.py import_csv")
            chunk.append(spec.row_read(line, cells, columns, context))
            parsed += 1
            if progress is not None and parsed % 1000 == 0:
                progress(1000)
        return chunk

    with ThreadPoolExecutor(max_workers=1, initializer=_reader_offline) as reader:
        chunk = chunk_read()
        while chunk:
            ahead = reader.submit(chunk_read)
            rows += chunk
            spec.rows_arrived(chunk, context)
            chunk = ahead.result()
    if progress is not None:
        progress(parsed % 1000)
    source.finish()
    return rows


def _reader_offline() -> None:
    """The reading thread only parses: its connection (not the import's) is never opened."""

    def refuse() -> None:
        raise RuntimeError("an import's reading thread does not read the database: Kind.rows_arrived does")

    connection.ensure_connection = refuse


def _compare(spec: Kind, rows: list[Row], stored: dict[tuple, dict[str, Any]], outcome: Outcome) -> tuple[list[Row], list]:
    if not stored:  # nothing of the file's is there yet (an opening stock: every row is new stock)
        outcome.created = len(rows)
        return rows, []
    new, changed = [], []
    fields = spec.compared_fields()
    for row in rows:
        before = stored.get(spec.key_of(row))
        if before is None:
            new.append(row)
            continue
        row.values["pk"] = before["pk"]
        difference = changed_fields(row, before, fields)
        if difference:
            changed.append((row, difference))
        else:
            outcome.unchanged += 1
    outcome.created, outcome.changed = len(new), len(changed)
    return new, changed


def _preview(spec: Kind, row: Row) -> dict[str, Any]:
    return {"row": row.line, **{c.header: written(c, row.values[c.field]) for c in spec.columns if c.field in row.values}}


def _record(
    report: ImportReport,
    company: Company,
    user: AbstractBaseUser | None,
    sha256: str,
    file_name: str,
    started: Any,  # noqa: ANN401
) -> ImportRun:
    outcome = report.outcome
    result = ImportResult.FAILED if report.problems else ImportResult.DRY_RUN if report.dry_run else ImportResult.DONE
    return ImportRun.objects.create(
        company=company,
        kind=report.kind,
        file_name=file_name[:255],
        file_sha256=sha256,
        rows=outcome.rows,
        created=outcome.created if result == ImportResult.DONE else 0,
        changed=outcome.changed if result == ImportResult.DONE else 0,
        unchanged=outcome.unchanged if result == ImportResult.DONE else 0,
        errors=len(report.problems),
        result=result,
        document_id=outcome.document_id if result == ImportResult.DONE else None,
        user=user,
        started_at=started,
        finished_at=timezone.now(),
    )


def sample_header(kind: str) -> list[str]:
    return HISTORY_HEADER if kind == "history" else KINDS[kind]().export_header()


def export_rows(kind: str, company: Company) -> Iterator[list[Any]]:
    if kind == "history":
        return history_rows(company)
    return KINDS[kind]().export_rows(company)


def csv_export(*, kind: str, company: Company, out: TextIO, progress: Callable[[int], None] | None = None) -> int:
    """Write ``kind``'s columns for ``company`` to ``out``, streamed; the rows written."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(sample_header(kind))
    count = 0
    for values in export_rows(kind, company):
        writer.writerow([csv_cell(v) for v in values])
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(1000)
    if progress is not None:
        progress(count % 1000)
    return count
