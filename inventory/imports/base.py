"""What every kind of import shares: columns read by header, rows checked as a whole file (every
problem of every row reported, none written), natural keys compared with what the company has
(new, changed, unchanged), and the export that writes the same columns back."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from ..csv_safe import ESCAPED_STARTS
from ..models import Company
from .reading import FileRefused, Problem, header_key

Reader = Callable[[str, "Context"], Any]
SEEN_PER_COLUMN = 10_000  # cells read per column kept with their value: codes, quantities, costs repeat


@dataclass(frozen=True)
class Column:
    """One column of a kind: its header as the pages name it, the model field it fills, how its
    text is read (``read(text, context)``, ValueError in an operator's words) and written back."""

    header: str
    field: str
    read: Reader
    required: bool = False  # the file must have this column
    aliases: tuple[str, ...] = ()
    write: Callable[[Any], Any] | None = None


@dataclass(slots=True)
class Row:
    """One row as read: a million of them are held at once, so it keeps only its values, its
    cells as written (for messages) and the file's one map of field → cell."""

    line: int  # the file's line number (the header is row 1)
    values: dict[str, Any]  # field → value read
    cells: list[str]
    positions: dict[str, int]  # shared by every row of the file

    def text(self, field: str) -> str:
        position = self.positions.get(field)
        return self.cells[position] if position is not None and position < len(self.cells) else ""


@dataclass
class Context:
    company: Company
    user: AbstractBaseUser | None
    problems: list[Problem] = field(default_factory=list)
    max_problems: int = 10_000

    def problem(self, row: Row | int, column: "Column | str", message: str, value: str | None = None) -> None:
        line = row.line if isinstance(row, Row) else row
        header = column.header if isinstance(column, Column) else column
        if value is None and isinstance(row, Row) and isinstance(column, Column):
            value = row.text(column.field)
        if len(self.problems) < self.max_problems:
            self.problems.append(Problem(line, header, value or "", message))

    @property
    def date_format(self) -> str:
        return self.company.date_format


@dataclass
class Outcome:
    """What an import did (or, dry or refused, would have done)."""

    rows: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)  # the first rows as they will be written
    document_id: int | None = None


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def plain(value: Any) -> Any:  # noqa: ANN401 - any column's value
    if isinstance(value, Decimal):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


class Kind:
    """One kind of file. Subclasses name their model, key and columns and may check rows across
    the file (``check``), resolve names into ids (``resolve``) and write (``write``)."""

    name: ClassVar[str]
    label: ClassVar[str]
    model: ClassVar[type[models.Model]]
    key: ClassVar[tuple[str, ...]]  # the natural key, by field (within the company)
    columns: ClassVar[list[Column]]
    compared: ClassVar[tuple[str, ...] | None] = None  # fields compared for "changed" (default: every column's)

    @property
    def filled(self) -> tuple[type[models.Model], ...]:
        """The tables a big import of this kind fills (their planner statistics are renewed)."""
        return (self.model,)

    # Reading ---------------------------------------------------------------------------------

    def header_map(self, header: list[str]) -> dict[int, Column]:
        """Which column each header cell is; a missing required or an unknown column refuses the file."""
        by_key: dict[str, Column] = {}
        for column in self.columns:
            for name in (column.header, column.field, *column.aliases):
                by_key[header_key(name)] = column
        found: dict[int, Column] = {}
        unknown, twice = [], []
        for index, cell in enumerate(header):
            column = by_key.get(header_key(cell))
            if column is None:
                unknown.append(cell or f"(empty, column {index + 1})")
            elif column in found.values():
                twice.append(cell)
            else:
                found[index] = column
        problems = []
        if unknown:
            problems.append(f"unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}")
        if twice:
            problems.append(f"column{'s' if len(twice) > 1 else ''} given twice: {', '.join(twice)}")
        missing = [c.header for c in self.columns if c.required and c not in found.values()]
        if missing:
            problems.append(f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
        if problems:
            expected = ", ".join(c.header for c in self.columns)
            raise FileRefused(f"{'; '.join(problems)} (the columns of a {self.name} file: {expected})")
        return found

    def row_read(self, line: int, cells: list[str], columns: dict[int, Column], context: Context) -> Row:
        positions = self._positions if getattr(self, "_columns", None) is columns else self._positions_of(columns)
        row = Row(line, {}, cells, positions)
        if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
            context.problem(line, "", f"has {len(cells)} cells: the header names {len(columns)}")
        values, shared, seen = row.values, self._shared, self._seen
        for index, column in columns.items():
            text = cells[index] if index < len(cells) else ""
            raw, known = text, seen[index].get(text) if index < len(cells) else None
            if known is not None:  # read before on another row: the same value (readers are pure)
                values[column.field], cells[index] = known
                continue
            if text[:1] == "'" and text[1:2] in ESCAPED_STARTS:  # a spreadsheet's text marker, as our exports write it
                text = text[1:]
                cells[index] = text
            try:
                value = column.read(text, context)
            except ValueError as error:
                context.problem(row, column, str(error), text)
                continue
            # Codes and quantities repeat from row to row: one object each, not one per row
            # (and the cell keeps the value's text when they are the same).
            if isinstance(value, (str, Decimal)):
                known = shared.get(value)
                if known is not None:
                    value = known
                elif len(shared) < 100_000:
                    shared[value] = value
                if value == text:
                    cells[index] = value
                else:
                    cells[index] = shared.setdefault(text, text) if len(shared) < 100_000 else shared.get(text, text)
            values[column.field] = value
            if index < len(cells) and len(seen[index]) < SEEN_PER_COLUMN:
                seen[index][raw] = (value, cells[index])
        return row

    def _positions_of(self, columns: dict[int, Column]) -> dict[str, int]:
        self._columns, self._positions, self._shared = columns, {c.field: i for i, c in columns.items()}, {}
        self._seen = {index: {} for index in columns}
        return self._positions

    def rows_arrived(self, rows: list[Row], context: Context) -> None:
        """A chunk of the file, read while the next is parsed in another thread: what the kind
        can look up in the database for these rows already (outside the import's transaction:
        posting checks again under its locks). It reports no problem: ``resolve`` does."""

    def key_of(self, row: Row) -> tuple:
        return tuple(row.values.get(f) for f in self.key)

    def duplicates_check(self, rows: list[Row], context: Context) -> None:
        """The same natural key on two rows of one file: the later one is named, with the first."""
        first: dict[tuple, int] = {}
        column = next(c for c in self.columns if c.field == self.key[-1])
        for row in rows:
            key = self.key_of(row)
            if any(v in (None, "") for v in key):
                continue
            if key in first:
                shown = row.text(column.field)
                context.problem(row, column, f"{shown} appears twice in this file, also row {first[key]:,}", shown)
            else:
                first[key] = row.line

    # Checking and writing ----------------------------------------------------------------------

    def lock(self, context: Context, sha256: str) -> None:
        """Rows to lock before the file is checked against the database; a refusal of the file
        as a whole is a problem of row 0."""

    def resolve(self, rows: list[Row], context: Context) -> None:
        """Names read into ids (item codes, class codes...), problems for those not found."""

    def existing(self, context: Context, rows: list[Row]) -> dict[tuple, dict[str, Any]]:
        """Natural key → the stored values of the fields compared, for the rows' keys."""
        fields = self.compared_fields()
        found = {}
        for values in self.model.objects.filter(company=context.company).values("pk", *self.key, *fields):
            found[tuple(values[f] for f in self.key)] = values
        return found

    def compared_fields(self) -> tuple[str, ...]:
        if self.compared is not None:
            return self.compared
        return tuple(c.field for c in self.columns if c.field not in self.key)

    def check(self, rows: list[Row], stored: dict[tuple, dict[str, Any]], context: Context) -> None:
        """Rules across rows and against the database (a class's items with stock...)."""

    def write(self, new: list[Row], changed: list[tuple[Row, dict[str, Any]]], context: Context, outcome: Outcome) -> None:
        raise NotImplementedError

    # Exporting ---------------------------------------------------------------------------------

    def export_rows(self, company: Company) -> Iterator[list[Any]]:
        raise NotImplementedError

    def export_header(self) -> list[str]:
        return [c.header for c in self.columns]


def written(column: Column, value: Any) -> Any:  # noqa: ANN401 - any column's value
    if column.write is not None:
        return column.write(value)
    if isinstance(value, bool):
        return yes_no(value)
    return plain(value)


def changed_fields(row: Row, stored: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The fields of ``row`` given in the file whose value differs from the stored one."""
    return {f: row.values[f] for f in fields if f in row.values and row.values[f] != stored.get(f)}
