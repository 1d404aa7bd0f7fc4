"""Reading a CSV file as it comes from a spreadsheet: UTF-8 with or without a byte-order mark,
comma or semicolon between fields, quoted fields, CRLF or LF line ends. Headers name the fields
as the pages do; a missing or unknown column is named before any row is read.

Values are read by small parsers that raise ``ValueError`` with the words an operator sees
("31/02/2027 is not a date"); ``Problem`` ties such a message to its row and column.
"""

import csv
import hashlib
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

MAX_CELL = 2000  # characters in one cell: more is not a value of any column here
MAX_COLUMNS = 60
BOOLEAN_WORDS = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "x": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
    "": False,
}


class FileRefused(Exception):
    """The file as a whole cannot be read (encoding, delimiter, columns): nothing is written."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the file, in an operator's words: row (the file's line number, the
    header being row 1; 0 for the file as a whole), column, the value as written, what is wrong."""

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row:,}" if self.row else "file"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


def header_key(text: str) -> str:
    """A header as matched: case, spaces, dashes and underscores do not matter."""
    return "".join(ch for ch in text.strip().lower() if ch.isalnum() or ch == "/")


class CsvSource:
    """A file read once, in a stream: its SHA-256 is computed while reading (so the record of
    the import names the very bytes read), its rows come with their line numbers. Lines are
    decoded one by one, so a byte that is not UTF-8 is named by its line."""

    def __init__(self, stream: BinaryIO, name: str = "") -> None:
        self.name = name
        self._digest = hashlib.sha256()
        self._raw = io.BufferedReader(_Hashing(stream, self._digest), buffer_size=1 << 16)
        self._reader: Iterator[list[str]] | None = None
        self._lines_read = 0
        self.header: list[str] = []

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def _lines(self) -> Iterator[str]:
        for raw in self._raw:
            self._lines_read += 1
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise FileRefused(
                    f"line {self._lines_read:,} of the file is not UTF-8 text: save the file from the spreadsheet as 'CSV UTF-8'"
                ) from None
            yield line

    def read_header(self) -> list[str]:
        lines = self._lines()
        first = next(lines, "")
        first = first.removeprefix("\ufeff")  # the byte-order mark some spreadsheets write
        if not first.strip():
            raise FileRefused("the file is empty: its first line must name the columns")
        delimiter = ";" if first.count(";") > first.count(",") else ","
        self._reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, quotechar='"', strict=True)
        try:
            self.header = [cell.strip() for cell in next(self._reader)]
        except csv.Error as error:
            raise FileRefused(f"row 1: {error}") from None
        if len(self.header) > MAX_COLUMNS:
            raise FileRefused(f"row 1 has {len(self.header)} columns: at most {MAX_COLUMNS}")
        return self.header

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number where the row starts, cells) of every non-empty row after the header."""
        assert self._reader is not None
        reader = self._reader
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise FileRefused(f"row {start:,}: {error}") from None
            if any(cell.strip() for cell in cells):
                yield start, cells

    def finish(self) -> None:
        """Read what is left, so the hash covers the whole file."""
        while self._raw.read(1 << 16):
            pass


class _Hashing(io.RawIOBase):
    def __init__(self, stream: BinaryIO, digest: "hashlib._Hash") -> None:
        self._stream, self._digest = stream, digest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._digest.update(data)
        return data

    def readinto(self, buffer: bytearray) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# Value parsers: text in, value out, ValueError with the operator's words.


def text(value: str, *, max_length: int, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise ValueError("is empty: a value is required")
    if len(value) > max_length:
        raise ValueError(f"is {len(value)} characters long: at most {max_length}")
    return value


def boolean(value: str) -> bool:
    try:
        return BOOLEAN_WORDS[value.strip().lower()]
    except KeyError:
        raise ValueError(f"{value} is not yes or no") from None


def decimal(value: str, *, places: int, maximum: Decimal, minimum: Decimal = Decimal(0), required: bool = False) -> Decimal | None:
    value = value.strip()
    if not value:
        if required:
            raise ValueError("is empty: a number is required")
        return None
    try:
        number = Decimal(value.replace(" ", ""))
    except InvalidOperation:
        raise ValueError(f"{value} is not a number (write it with a point: 12.5)") from None
    if not number.is_finite():
        raise ValueError(f"{value} is not a number")
    if number.as_tuple().exponent < -places:  # type: ignore[operator]
        raise ValueError(f"{value} has more than {places} decimal places")
    if number < minimum:
        raise ValueError(f"{value} is less than {minimum}")
    if number > maximum:
        raise ValueError(f"{value} is more than {maximum:,}")
    return number


def integer(value: str, *, minimum: int = 0, maximum: int = 10**9) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{value} is not a whole number") from None
    if not minimum <= number <= maximum:
        raise ValueError(f"{value} is not between {minimum} and {maximum:,}")
    return number


def a_date(value: str, *, company_format: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", company_format):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    example = date(2027, 12, 31).strftime(company_format)
    raise ValueError(f"{value} is not a date (write 2027-12-31 or {example})")


def choice(value: str, choices: list[tuple[str, str]], *, default: str | None = None) -> str:
    """A choice by its stored value or its label, case not mattering."""
    value = value.strip()
    if not value and default is not None:
        return default
    wanted = value.lower()
    for stored, label in choices:
        if wanted in (stored.lower(), str(label).lower()):
            return stored
    names = ", ".join(stored for stored, _ in choices)
    raise ValueError(f"{value or '(empty)'} is not one of: {names}")
