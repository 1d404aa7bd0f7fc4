"""Lot/serial number templates and typed-in number lists (pure functions, no database)."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from .exceptions import NumberingError, Problem

DATE_TOKENS = ("YYYY", "YY", "MON", "MM", "DD")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MAX_RANGE = 30_000  # SQLite builds accept 32,766 parameters in one statement
# The most numbers one allocation request (a paste, a scan queue's batch) may give, ranges and
# lists together: a 459-byte paste of ranges once made 600,000 numbers. 10,000 serials post in
# about a second and stay well inside SQLite's 32,766 variables per statement; a longer list is
# better split over several lines or documents.
MAX_NUMBERS = 10_000
# Any typed text, whatever reads it, expands to at most this many (a backstop above every
# caller's own limit, such as Assign numbers' 100,000).
MAX_TYPED = 200_000
# A line of serials takes what it still needs, plus this many entries that may be refused on
# their own rows (typos, repeats, a scan queue's worth): beyond that the paste is a mistake.
MAX_REFUSED = 500
_TAIL_DIGITS = re.compile(r"^(.*?)(\d+)$")
_SEPARATORS = re.compile(r"[\s,;]+")


def render_date(fmt: str, on: date) -> str:
    """DD day, MM month number, MON month name, YY or YYYY year; other characters stay."""
    out, i = [], 0
    while i < len(fmt):
        for token in DATE_TOKENS:
            if fmt.startswith(token, i):
                out.append(
                    {
                        "YYYY": f"{on.year:04d}",
                        "YY": f"{on.year % 100:02d}",
                        "MON": MONTHS[on.month - 1],
                        "MM": f"{on.month:02d}",
                        "DD": f"{on.day:02d}",
                    }[token]
                )
                i += len(token)
                break
        else:
            out.append(fmt[i])
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class SegmentSpec:
    kind: str  # constant / date / counter
    value: str


@dataclass(frozen=True)
class Template:
    """A template resolved for one date: prefix + zero-padded counter + suffix."""

    prefix: str
    width: int
    suffix: str

    def format(self, value: int) -> str:
        return f"{self.prefix}{value:0{self.width}d}{self.suffix}"


def template_problems(segments: Sequence[SegmentSpec]) -> list[Problem]:
    problems = []
    counters = [s for s in segments if s.kind == "counter"]
    if len(counters) != 1:
        problems.append(Problem(f"the numbering template needs exactly one auto-incremental segment, it has {len(counters)}"))
    for s in counters:
        if s.value and not s.value.isdigit():
            problems.append(Problem(f"the auto-incremental start value {s.value!r} must be digits only"))
    for s in segments:
        if s.kind == "constant" and not s.value:
            problems.append(Problem("a constant segment needs its text"))
        if s.kind == "date" and not any(t in s.value for t in DATE_TOKENS):
            problems.append(Problem(f"the date segment {s.value!r} has none of DD, MM, MON, YY, YYYY"))
    return problems


def template_resolve(segments: Sequence[SegmentSpec], on: date, counter_start: str = "") -> Template:
    problems = template_problems(segments)
    if problems:
        raise NumberingError(problems)
    prefix, suffix, width, seen_counter = [], [], 1, False
    for s in segments:
        if s.kind == "counter":
            seen_counter = True
            width = max(len(counter_start or s.value or "1"), 1)
            continue
        text = s.value if s.kind == "constant" else render_date(s.value, on)
        (suffix if seen_counter else prefix).append(text)
    return Template("".join(prefix), width, "".join(suffix))


def counter_initial(segments: Sequence[SegmentSpec], counter_start: str = "") -> int:
    start = counter_start or next((s.value for s in segments if s.kind == "counter"), "") or "1"
    return int(start)


def expand_range(token: str) -> list[str] | None:
    """``SN0001-SN0100`` → SN0001 … SN0100; None when the token is not a range."""
    found = _range(token)
    if found is None:
        return None
    prefix, first, last, width = found
    if last - first + 1 > MAX_RANGE:
        raise NumberingError(Problem(f"the range {token} has {last - first + 1} numbers; at most {MAX_RANGE} at once", number=token))
    return [f"{prefix}{n:0{width}d}" for n in range(first, last + 1)]


def _range(token: str) -> tuple[str, int, int, int] | None:
    """(prefix, first, last, width) of a range token, None when it is not one."""
    for i, ch in enumerate(token):
        if ch != "-":
            continue
        left, right = _TAIL_DIGITS.match(token[:i]), _TAIL_DIGITS.match(token[i + 1 :])
        if not left or not right:
            continue
        (prefix, start), (prefix2, end) = left.groups(), right.groups()
        # "SN0001-SN0100", or the short "SN0001-0100" when both counters have the same width;
        # "HS7-100231" is one serial number, not HS7 to HS100231.
        if prefix2 != prefix and not (prefix2 == "" and len(start) == len(end)):
            continue
        first, last = int(start), int(end)
        if last < first:
            continue
        return prefix, first, last, len(start)
    return None


def numbers_cap(given: int, *, needed: int | None = None, most: int = MAX_TYPED) -> None:
    """Refuse more numbers than one request may give (``most``), or than a line that still
    ``needed`` that many can use (with ``MAX_REFUSED`` to spare for entries refused alone)."""
    if needed is not None and given > needed + MAX_REFUSED and needed + MAX_REFUSED < most:
        raise NumberingError(Problem(f"{given} numbers given; the line needs {needed} more, so at most {needed + MAX_REFUSED:,} at once"))
    if given > most:
        raise NumberingError(Problem(f"{given} numbers given; at most {most:,} at once"))


def _tokens_counted(text: str, needed: int | None, most: int | None) -> list[str]:
    """The tokens of typed text, once their count (ranges counted whole, unexpanded) is allowed."""
    tokens = [token for token in _SEPARATORS.split(text) if token]
    given = 0
    for token in tokens:
        found = _range(token)
        size = 1 if found is None else found[2] - found[1] + 1
        given += size if size <= MAX_RANGE else 1  # a range too long is refused on its own
    numbers_cap(given, needed=needed, most=MAX_TYPED if most is None else most)
    return tokens


def parse_numbers_keeping_good(text: str, *, needed: int | None = None, most: int | None = None) -> tuple[list[str], list[tuple[str, str]]]:
    """Like ``parse_numbers``, but a token that cannot be read (a range too long, or malformed)
    is set aside with the reason instead of failing the whole paste. Too many numbers in all
    still fail it, before anything is expanded (``numbers_cap``)."""
    out: list[str] = []
    bad: list[tuple[str, str]] = []
    for token in _tokens_counted(text, needed, most):
        try:
            expanded = expand_range(token)
        except NumberingError as error:
            bad.append((token, error.problems[0].message if error.problems else str(error)))
            continue
        out.extend(expanded if expanded is not None else [token])
    return out, bad


def parse_numbers(text: str | Iterable[str], *, needed: int | None = None, most: int | None = None) -> list[str]:
    """Numbers from typed or pasted text (lines, commas, spaces; ranges expand), keeping order.

    A list is taken as it is, one number per element: numbers that came from the database or a
    scanner are never read as ranges. Too many numbers are refused before anything expands
    (``numbers_cap``): more than ``most`` (text: at most ``MAX_TYPED`` anyway), or far more
    than ``needed`` (what a line of serials still needs).
    """
    if not isinstance(text, str):
        numbers = [t.strip() for t in text if t and t.strip()]
        if needed is not None or most is not None:
            numbers_cap(len(numbers), needed=needed, most=len(numbers) if most is None else most)
        return numbers
    out: list[str] = []
    for token in _tokens_counted(text, needed, most):
        expanded = expand_range(token)
        out.extend(expanded if expanded is not None else [token])
    return out


_DATE_SHAPES = {
    "YYYY": (r"\d{4}", "YYYY"),
    "YY": (r"\d{2}", "YY"),
    "MON": ("(?:" + "|".join(MONTHS) + ")", "MON"),
    "MM": (r"(?:0[1-9]|1[0-2])", "MM"),
    "DD": (r"(?:0[1-9]|[12]\d|3[01])", "DD"),
}


@dataclass(frozen=True)
class NumberShape:
    """The shape a class's numbers must have: a regular expression matched whole, and its words."""

    pattern: "re.Pattern[str]"
    words: str

    def problem(self, number: str) -> str | None:
        if self.pattern.fullmatch(number):
            return None
        return f"does not have the shape of its numbers ({self.words})"


def template_shape(segments: Sequence[SegmentSpec], counter_start: str = "", example_on: date | None = None) -> NumberShape | None:
    """The shape of the numbers a template generates: constants as they are, dates as digits (or
    month names), the counter as at least its width of digits. None when the template is unusable."""
    if template_problems(segments):
        return None
    regex, words = [], []
    for s in segments:
        if s.kind == "constant":
            regex.append(re.escape(s.value))
            words.append(f"“{s.value}”")
        elif s.kind == "date":
            i, parts = 0, []
            while i < len(s.value):
                token = next((t for t in DATE_TOKENS if s.value.startswith(t, i)), None)
                if token:
                    regex.append(_DATE_SHAPES[token][0])
                    parts.append(token)
                    i += len(token)
                else:
                    regex.append(re.escape(s.value[i]))
                    parts.append(s.value[i])
                    i += 1
            words.append("the date as " + "".join(parts))
        else:
            width = max(len(counter_start or s.value or "1"), 1)
            regex.append(rf"\d{{{width},}}")
            words.append(f"{width} or more digits")
    example = ""
    if example_on is not None:
        template = template_resolve(segments, example_on, counter_start)
        example = f", like {template.format(counter_initial(segments, counter_start))}"
    return NumberShape(re.compile("".join(regex)), ", then ".join(words) + example)


MAX_PATTERN = 200


def pattern_shape(pattern: str) -> NumberShape:
    """A class's own pattern for the manufacturer's numbers (a regular expression matched whole)."""
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise NumberingError(Problem(f"the number pattern {pattern!r} is not a valid regular expression: {error}")) from None
    return NumberShape(compiled, f"the pattern {pattern}")


def pattern_problems(pattern: str) -> list[Problem]:
    if len(pattern) > MAX_PATTERN:
        return [Problem(f"the number pattern is longer than {MAX_PATTERN} characters")]
    try:
        pattern_shape(pattern)
    except NumberingError as error:
        return error.problems
    return []
