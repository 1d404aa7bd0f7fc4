"""What a move is: one intended move (``MoveSpec``), its row's fields, which moves record a
lot/serial number (the tracking scope, seed 003), and when stock counts as arrived."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from ..models import (
    Item,
    Location,
    LocationKind,
    StockMove,
    TrackingScope,
)
from ..models.catalog import MAX_QUANTITY

ISSUE_DESTINATIONS = {LocationKind.CUSTOMER, LocationKind.PRODUCTION}

# Seed 003: which partner classes each tracking scope records numbers for.
SCOPE_CLASSES = {
    TrackingScope.NOT_SERIALISED: frozenset(),
    TrackingScope.FULL: frozenset({"creditor", "internal", "debtor"}),
    TrackingScope.CREDITOR_INTERNAL: frozenset({"creditor", "internal"}),
    TrackingScope.DEBTOR: frozenset({"debtor"}),
    TrackingScope.CREDITOR_DEBTOR: frozenset({"creditor", "debtor"}),
    TrackingScope.CREDITOR: frozenset({"creditor"}),
    TrackingScope.INTERNAL_DEBTOR: frozenset({"internal", "debtor"}),
    TrackingScope.INTERNAL: frozenset({"internal"}),
}


def partner_class(from_location: Location, to_location: Location) -> str:
    """creditor (a supplier takes part), debtor (a customer does) or internal."""
    kinds = {from_location.kind, to_location.kind}
    if LocationKind.SUPPLIER in kinds:
        return "creditor"
    if LocationKind.CUSTOMER in kinds:
        return "debtor"
    return "internal"


def number_required(item: Item, from_location: Location, to_location: Location) -> bool:
    """Does this move of ``item`` need a lot/serial number (its tracking scope, seed 003)?"""
    return partner_class(from_location, to_location) in SCOPE_CLASSES[item.effective_scope]


@dataclass(slots=True)
class MoveSpec:
    """One intended move. Lots are named by id; the service reads their locked state itself."""

    item: Item
    quantity: Decimal
    from_location: Location
    to_location: Location
    from_lot_id: int | None = None
    to_lot_id: int | None = None
    unit_cost: Decimal | None = None  # None: the lot's receipt cost, else the item's cost
    line_id: int | None = None
    line_position: int | None = None
    reverses: "StockMove | None" = None  # a reversal restores the serial state this move found
    unknown_origin: bool = False  # a return confirmed although never delivered to that customer

    @property
    def lot_id(self) -> int | None:
        return self.to_lot_id or self.from_lot_id


MOVE_FIELDS = [
    "company",
    "item",
    "quantity",
    "from_location",
    "from_lot",
    "to_location",
    "to_lot",
    "binds_lot",
    "unit_cost",
    "document",
    "line",
    "reason",
    "reverses",
    "lot_prev_in_stock",
    "lot_prev_location",
    "created_at",
    "created_by",
    "unknown_origin",
]


def plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def quantity_too_large(quantity: Decimal) -> str:
    return f"quantity {plain(quantity)} is more than the most a line can hold ({MAX_QUANTITY:,})"


def arrival_time(on: date | None, now: datetime) -> datetime:
    """When stock counts as arrived: the document's business date (FIFO goes by receipt date, seed
    000), at the time of day it was posted, so that postings of one day keep their order."""
    if on is None:
        return now
    local = timezone.localtime(now)
    return local.replace(year=on.year, month=on.month, day=on.day)
