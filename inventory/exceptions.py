"""Domain exceptions. Each names what is wrong: which line, which number, how short.

Views turn ``problems`` into messages next to the line or number they concern.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Problem:
    message: str
    line: int | None = None  # the document line's position
    number: str | None = None  # the lot/serial number concerned
    field: str | None = None  # the form field it concerns, where a form sent it ("quantity")

    def __str__(self) -> str:
        where = f"Line {self.line}: " if self.line is not None else ""
        if self.number and self.number not in self.message:
            where += f"{self.number}: "
        return f"{where}{self.message}"


class InventoryError(Exception):
    """Base of every inventory domain error; carries one or more problems."""

    def __init__(self, problems: "list[Problem] | Problem | str") -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        shown = "; ".join(str(p) for p in self.problems[:20])
        more = len(self.problems) - 20
        return shown + (f"; and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class Shortage:
    item: str
    lot: str | None
    location: str
    needed: Decimal
    available: Decimal
    line: int | None = None
    note: str = ""  # what else holds the stock ("2 sold without numbers still to be assigned")

    @property
    def short_by(self) -> Decimal:
        return self.needed - self.available


class InsufficientStock(InventoryError):
    def __init__(self, shortages: list[Shortage]) -> None:
        self.shortages = shortages
        super().__init__(
            [
                Problem(
                    f"not enough {s.item}"
                    + (f" of {s.lot}" if s.lot else "")
                    + f" at {s.location}: needed {_q(s.needed)}, available {_q(s.available)}"
                    + f" (short by {_q(s.short_by)})"
                    + (f"; {s.note}" if s.note else ""),
                    line=s.line,
                    number=s.lot,
                )
                for s in shortages
            ]
        )


class NotIssuable(InventoryError):
    """A lot on hold, expired or archived cannot be issued."""


class SerialConflict(InventoryError):
    """A serial would be in two places, or is already in stock, or already issued."""


class DuplicateNumber(InventoryError):
    """A lot/serial number that already exists for the item."""


class NumberingError(InventoryError):
    """A lot/serial class's numbering template cannot generate numbers."""


class InvalidDocument(InventoryError):
    """The document cannot be posted or changed as asked."""


class InvalidSetup(InventoryError):
    """Company, location or item set-up that breaks a rule."""


def _q(value: Decimal) -> str:
    text = format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)
    return text


class LotRefused(InventoryError):
    """A lot change refused, each reason under the form field it concerns (None: the whole form)."""

    def __init__(self, errors: dict[str | None, list[str]]) -> None:
        self.errors = errors
        super().__init__([Problem(message) for messages in errors.values() for message in messages])
