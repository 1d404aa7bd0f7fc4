"""Judging entered numbers: each typed, scanned or pasted lot/serial number is accepted or
refused on its own, with its reason, by the rules of its direction (incoming: new or returning;
outgoing: in stock at the source, free, issuable). The allocations dialog, scanning, proposals
and the till use the same rules, so one typo is refused on its own row and the good scans stay.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from django.db.models import Sum
from django.utils import timezone

from .. import locks
from ..bulk import filter_in_chunks
from ..compiled import Compiled
from ..models import (
    Allocation,
    Balance,
    Document,
    DocumentKind,
    DocumentLine,
    Item,
    Location,
    Lot,
    LotKind,
    LotStatus,
    Partner,
    StockSummary,
    Tracking,
)
from ..quantities import ONE, ZERO
from ..selectors import (
    lots_customer_net,
    lots_supplier_origin,
    unnumbered_available,
)
from .moves import ISSUE_DESTINATIONS

if TYPE_CHECKING:
    from .allocation import AllocationOutcome

MAX_NUMBER = 80

# What a clerk may confirm of a refused number, so that it is taken after all.
CONFIRM_NEW = "new"  # a number not in stock becomes a new number for unnumbered stock
CONFIRM_UNKNOWN_ORIGIN = "unknown_origin"  # a return this customer was never delivered

RETURN_KINDS = frozenset({DocumentKind.CUSTOMER_RETURN, DocumentKind.SUPPLIER_RETURN})


@dataclass(frozen=True)
class Rejected:
    number: str
    reason: str
    confirm: str = ""  # CONFIRM_NEW / CONFIRM_UNKNOWN_ORIGIN: taken if the clerk confirms it


class NewAllocation(NamedTuple):
    """One allocation a judgement accepts, by name until it is written: its fields are the
    Allocation row's (``ALLOCATION_FIELDS``), then the number as it was entered."""

    company: int
    document: int
    line: int
    item: int
    location: int
    lot: int | None  # an existing lot/serial; None for a new number
    number: str  # a new number ("" for an existing lot)
    parent_number: str
    expiry_date: date | None
    quantity: Decimal
    is_serial: bool
    outgoing: bool
    unknown_origin: bool
    entered: str  # the number as typed or scanned, new or existing

    @property
    def values(self) -> tuple:
        """The row's values in ``ALLOCATION_FIELDS`` order: the bulk insert's tuple."""
        return self[:-1]


ALLOCATION_FIELDS = list(NewAllocation._fields[:-1])


@dataclass(slots=True)
class _Lot:
    pk: int
    number: str
    kind: str
    status: str
    hold_reason: str
    expiry_date: date | None
    in_stock: bool
    last_location_id: int | None
    last_location_code: str | None
    parent_status: str | None
    parent_hold_reason: str | None

    @property
    def is_serial(self) -> bool:
        return self.kind == LotKind.SERIAL


@dataclass
class Judging:
    line: DocumentLine
    item: object
    document: object
    existing: dict
    on_line: set
    remaining: Decimal
    expiry_date: date | None
    parent_number: str
    is_serial: bool = False
    confirm: bool = False
    shape: object = None  # the class's NumberShape for new numbers, or None
    held_for_us: Decimal = ZERO  # numbers assigned to stock that left without them: held out for this very line

    def allocation(
        self, *, number: str, lot: _Lot, quantity: Decimal, outgoing: bool, location: Location, unknown_origin: bool = False
    ) -> NewAllocation:
        """One allocation row; ``lot`` is an existing lot (or its id), None for a new number."""
        self.on_line.add(number)
        self.remaining -= quantity
        new = lot is None
        # _make takes the values in field order (NewAllocation's, above): tens of thousands of
        # rows a paste, where the keyword constructor costs ten times a plain tuple.
        return NewAllocation._make(
            (
                self.document.company_id,
                self.document.pk,
                self.line.pk,
                self.item.pk,
                location.pk,
                None if new else getattr(lot, "pk", lot),
                number if new else "",
                self.parent_number if new else "",
                self.expiry_date if new else None,
                quantity,
                self.is_serial,
                outgoing,
                unknown_origin,
                number,
            )
        )

    def shape_problem(self, number: str) -> str | None:
        return self.shape.problem(number) if self.shape is not None else None


# _Lot's fields, as the lock reads them.
LOT_FIELDS = [
    "pk",
    "number",
    "kind",
    "status",
    "hold_reason",
    "expiry_date",
    "in_stock",
    "last_location_id",
    "last_location__code",
    "parent__status",
    "parent__hold_reason",
]


def lots_by_number(item: Item, numbers: list[str]) -> dict[str, "_Lot"]:
    """The item's lots/serials with these numbers, locked (primary-key order) and read in one query."""
    if not numbers:
        return {}
    rows = locks.lots_by_number_lock(item=item, numbers=numbers, fields=LOT_FIELDS)
    return {lot.number: lot for lot in (_Lot(*row) for row in rows)}


def _basic_rejection(ctx: Judging, number: str, quantity: Decimal) -> str | None:
    if len(number) > MAX_NUMBER:
        return f"longer than {MAX_NUMBER} characters"
    if number in ctx.on_line:
        return "already on this line"
    if ctx.remaining <= 0:
        return f"the line needs no more numbers (quantity {ctx.line.quantity.normalize():f})"
    if quantity > ctx.remaining:
        return f"only {ctx.remaining.normalize():f} more needed on this line"
    return None


def pending_elsewhere(line: DocumentLine, numbers: list[str]) -> dict[str, str]:
    """New numbers, or serials, already entered on another draft or another line: number → where."""
    item, document = line.item, line.document
    rows = Allocation.objects.reserving().filter(item=item).exclude(line=line)

    def where(document_id: int, doc_number: str, position: int | None) -> str:
        return f"line {position} of this document" if document_id == document.pk else doc_number

    found = {}
    for number, document_id, doc_number, position in filter_in_chunks(
        rows.values_list("number", "document_id", "document__number", "line__position"), "number__any", numbers
    ):
        found[number] = where(document_id, doc_number, position)
    if item.is_serial:
        for number, document_id, doc_number, position in filter_in_chunks(
            rows.values_list("lot__number", "document_id", "document__number", "line__position"), "lot__number__any", numbers
        ):
            found[number] = where(document_id, doc_number, position)
    return found


def judge_incoming(ctx: Judging, entries: list[str], quantity: Decimal | None, outcome: "AllocationOutcome") -> list[NewAllocation]:
    item, rows = ctx.item, []
    lot_class = item.lot_class
    is_serial, binds, tracking = item.is_serial, item.binds_lots, item.tracking
    pending = pending_elsewhere(ctx.line, entries)
    returning = ctx.document.kind == DocumentKind.CUSTOMER_RETURN
    customer = ctx.document.partner
    net = lots_customer_net(lot_ids=[lot.pk for lot in ctx.existing.values()], partner=customer) if returning else {}
    for number in entries:
        qty = ONE if is_serial else (quantity if quantity is not None else ctx.remaining)
        reason = _basic_rejection(ctx, number, qty)
        lot = ctx.existing.get(number)
        confirmable = ""
        if reason is None and number in pending:
            reason = f"already entered on {pending[number]}"
        if reason is None and qty <= 0:
            reason = "quantity must be more than zero"
        if reason is None and lot is not None and lot.is_serial and lot.in_stock and binds:
            where = f" at {lot.last_location_code}" if lot.last_location_code else ""
            reason = f"already in stock{where}"
        if reason is None and lot is None:
            reason = ctx.shape_problem(number)
        if reason is None and lot is None and tracking == Tracking.LOT_AND_SERIAL and not ctx.parent_number:
            reason = "needs its lot number (lot-and-serial item)"
        if reason is None and lot is None and lot_class.track_expiry and ctx.expiry_date is None and not _parent_has_expiry(ctx):
            reason = "needs an expiration date"
        if reason is None and returning and not ctx.confirm:
            reason = _not_delivered(item, lot, qty, customer, net)
            confirmable = CONFIRM_UNKNOWN_ORIGIN if reason else ""
        if reason is not None:
            outcome.rejected.append(Rejected(number, reason, confirmable))
            continue
        unknown_origin = returning and _not_delivered(item, lot, qty, customer, net) is not None
        rows.append(
            ctx.allocation(
                number=number, lot=lot, quantity=qty, outgoing=False, location=ctx.document.to_location, unknown_origin=unknown_origin
            )
        )
    return rows


def _not_delivered(item: Item, lot: _Lot, quantity: Decimal, customer: Partner | None, net: dict) -> str | None:
    """Why a customer return of this number is not what the customer was delivered, if it is not."""
    whom = customer.name if customer is not None else "a customer"
    if lot is None:
        return f"unknown {_what(item)} of {item.sku}: never delivered to {whom}"
    delivered = net.get(lot.pk, ZERO)
    if delivered <= 0:
        return f"not delivered to {whom}" + ("" if customer is None else " (net of returns)")
    if delivered < quantity:
        return f"only {delivered.normalize():f} delivered to {whom} (net of returns)"
    return None


def _parent_has_expiry(ctx: Judging) -> bool:
    if ctx.item.tracking != Tracking.LOT_AND_SERIAL or not ctx.parent_number:
        return False
    return Lot.objects.filter(item=ctx.item, number=ctx.parent_number, expiry_date__isnull=False).exists()


@dataclass
class _Outgoing:
    """What judging the numbers of one outgoing paste reads once: the lots' stock at the source
    location, what other drafts reserve of it, numbers entered elsewhere, the unnumbered stock."""

    ctx: Judging
    entries: list[str]
    lots: list[int]
    new_only: bool
    location: object = None
    issuing: bool = False
    to_supplier: bool = False
    today: date | None = None
    here: dict = field(default_factory=dict)
    reserved: dict = field(default_factory=dict)
    reserved_on: dict = field(default_factory=dict)
    entered_elsewhere: dict | None = None  # read when a new or loosely bound number needs it
    unnumbered: Decimal | None = None  # read when a new number is first judged (most pastes have none)
    origin: dict = field(default_factory=dict)
    elsewhere: dict | None = None
    room: Decimal | None = None  # what the item has here beyond what awaits numbers (None: nothing awaits)

    def __post_init__(self) -> None:
        ctx, item, document = self.ctx, self.ctx.item, self.ctx.document
        self.location = document.from_location
        self.issuing = document.to_location.kind in ISSUE_DESTINATIONS
        self.to_supplier = document.kind == DocumentKind.SUPPLIER_RETURN
        self.today = timezone.localdate()
        if item.binds_lots:
            self.here = dict(_HERE.rows(lots=self.lots, location=self.location.pk))
        self.reserved, self.reserved_on = _reservations(self.lots, self.location, document)
        self.origin = lots_supplier_origin(lot_ids=self.lots) if self.to_supplier else {}
        if item.binds_lots:
            self.room = _room_beside_awaiting(item, self.location, ctx.held_for_us)

    @property
    def pending(self) -> dict[str, str]:
        """Numbers of this paste entered on another draft or line: only new numbers and loosely
        bound serials ask (a fully tracked lot's reservations are read with its stock)."""
        if self.entered_elsewhere is None:
            self.entered_elsewhere = pending_elsewhere(self.ctx.line, self.entries)
        return self.entered_elsewhere

    @property
    def unnumbered_left(self) -> Decimal:
        """Unnumbered stock here that new numbers may be given to (fully tracked items, or a relabel)."""
        if self.unnumbered is None:
            item = self.ctx.item
            needed = item.binds_lots or self.new_only
            self.unnumbered = unnumbered_available(item=item, location=self.location) if needed else ZERO
        return self.unnumbered

    @unnumbered_left.setter
    def unnumbered_left(self, value: Decimal) -> None:
        self.unnumbered = value

    def free(self, lot: _Lot) -> Decimal:
        return self.here.get(lot.pk, ZERO) - self.reserved.get(lot.pk, ZERO)


def judge_outgoing(
    ctx: Judging, entries: list[str], quantity: Decimal | None, outcome: "AllocationOutcome", *, new_only: bool
) -> list[NewAllocation]:
    """Each number an outgoing line takes: an existing lot/serial judged by the checks below in
    order (the first reason refuses it), or a new number for unnumbered stock."""
    item, rows = ctx.item, []
    state = _Outgoing(ctx, entries, [ctx.existing[n].pk for n in entries if n in ctx.existing], new_only)
    for number in entries:
        lot = ctx.existing.get(number)
        qty = ONE if item.is_serial else (quantity if quantity is not None else ctx.remaining)
        if quantity is None and lot is not None and not item.is_serial and item.binds_lots and state.free(lot) > 0:
            qty = min(qty, state.free(lot))  # a lot without a quantity takes what it can
        reason = _basic_rejection(ctx, number, qty) or ("quantity must be more than zero" if qty <= 0 else None)
        if reason is None and lot is None:
            reason, confirmable = _new_number_reason(state, number, qty)
            if reason is None:
                state.unnumbered_left -= qty
                rows.append(ctx.allocation(number=number, lot=None, quantity=qty, outgoing=True, location=state.location))
            else:
                outcome.rejected.append(Rejected(number, reason, confirmable))
            continue
        for check in _OUTGOING_CHECKS:
            if reason is not None:
                break
            reason = check(state, number, lot, qty)
        if reason is not None:
            outcome.rejected.append(Rejected(number, reason))
            continue
        state.reserved[lot.pk] = state.reserved.get(lot.pk, ZERO) + qty
        if state.room is not None:
            state.room -= qty
        rows.append(ctx.allocation(number=number, lot=lot, quantity=qty, outgoing=True, location=state.location))
    return rows


def _new_number_reason(state: _Outgoing, number: str, qty: Decimal) -> tuple[str | None, str]:
    """Why a number not in stock cannot be given to unnumbered stock here (and what a
    confirmation would allow), or (None, "")."""
    ctx, item, location, left = state.ctx, state.ctx.item, state.location, state.unnumbered_left
    if number in state.pending:
        return f"already entered on {state.pending[number]}", ""
    if item.binds_lots and left < qty:
        if state.new_only:
            return f"no unnumbered stock of {item.sku} left at {location.code} to give it to", ""
        return f"unknown {_what(item)} of {item.sku}" + ("" if left <= 0 else f" (only {left.normalize():f} unnumbered here)"), ""
    reason = ctx.shape_problem(number)
    if reason is None and state.to_supplier:
        reason = f"unknown {_what(item)} of {item.sku}: a supplier return takes what came from the supplier"
    if reason is None and item.binds_lots and not state.new_only and not ctx.confirm:
        # Not in stock: a typo, or a number read off one of the unnumbered units here.
        # (Loosely bound items keep stock per item: their numbers are new when first recorded.)
        units = f"{left.normalize():f} unnumbered unit{'s' if left != 1 else ''}"
        message = f"not a {_what(item)} of {item.sku} in stock. Confirm to record it as a new {_what(item)} given to one of the {units} at {location.code}"
        return message, CONFIRM_NEW
    return reason, ""


def _from_supplier(state: _Outgoing, number: str, lot: _Lot, qty: Decimal) -> str | None:
    return _not_from_supplier(lot, state.ctx.document.partner, state.origin) if state.to_supplier else None


def _not_yet_numbered(state: _Outgoing, number: str, lot: _Lot, qty: Decimal) -> str | None:
    return f"already numbered: {number} exists for {state.ctx.item.sku}" if state.new_only else None


def _issuable(state: _Outgoing, number: str, lot: _Lot, qty: Decimal) -> str | None:
    """Held, archived or expired stock never goes to a customer or to production."""
    if not state.issuing:
        return None
    if lot.status == LotStatus.ON_HOLD:
        return "on hold" + (f" ({lot.hold_reason})" if lot.hold_reason else "")
    if lot.parent_status == LotStatus.ON_HOLD:
        return "its lot is on hold" + (f" ({lot.parent_hold_reason})" if lot.parent_hold_reason else "")
    if LotStatus.ARCHIVED in (lot.status, lot.parent_status):
        return "archived"
    if lot.expiry_date is not None and lot.expiry_date < state.today:
        return f"expired on {lot.expiry_date:%Y-%m-%d}"
    return None


def _available_here(state: _Outgoing, number: str, lot: _Lot, qty: Decimal) -> str | None:
    """A fully tracked lot: at the source location, and not promised to another draft."""
    if not state.ctx.item.binds_lots:
        return None
    location = state.location
    if state.here.get(lot.pk, ZERO) <= 0:
        if state.elsewhere is None:
            state.elsewhere = _where_else(state.lots, location)
        return f"not at {location.code}" + (f" (it is at {state.elsewhere[lot.pk]})" if lot.pk in state.elsewhere else " (not in stock)")
    available = state.free(lot)
    if available >= qty:
        return None
    if lot.pk in state.reserved_on and available <= 0:
        return f"already allocated on {state.reserved_on[lot.pk]}"
    return f"only {max(available, ZERO).normalize():f} available at {location.code}"


def _not_awaiting_numbers(state: _Outgoing, number: str, lot: _Lot, qty: Decimal) -> str | None:
    """Units that left without their numbers (a till's sale) are still counted here until their
    numbers are assigned: what is left beside them is all that may be taken."""
    if state.room is None or state.room >= qty:
        return None
    left = max(state.room, ZERO)
    return (
        f"only {left.normalize():f} of {state.ctx.item.sku} free at {state.location.code}: "
        "the rest is sold without numbers still to be assigned, or allocated elsewhere"
    )


def _room_beside_awaiting(item: Item, location: Location, held_for_us: Decimal) -> Decimal | None:
    """What of the item at the location is neither awaiting numbers (beyond what is held for the
    caller's own line) nor promised to a draft; None when nothing awaits numbers there (one query)."""
    rows = _AWAITING.rows(item=item.pk, location=location.pk)
    if not rows:
        return None
    ((quantity, awaiting),) = rows
    reserved = sum((total for (total,) in _PROMISED.rows(item=item.pk, location=location.pk)), ZERO)
    return quantity - awaiting + held_for_us - reserved


_HERE = Compiled(
    lambda lots, location: Balance.objects.filter(lot_id__any=lots, location_id=location, quantity__gt=0).values_list("lot_id", "quantity"),
    arrays=["lots"],
)
_AWAITING = Compiled(
    lambda item, location: StockSummary.objects.filter(item_id=item, location_id=location, awaiting_numbers__gt=0).values_list(
        "quantity", "awaiting_numbers"
    )
)
_PROMISED = Compiled(  # one row, or none when nothing is promised
    lambda item, location: (
        Allocation.objects.reserving()
        .filter(outgoing=True, item_id=item, location_id=location)
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .values_list("total")
    )
)


def _loosely_bound(state: _Outgoing, number: str, lot: _Lot, qty: Decimal) -> str | None:
    """A loosely bound serial keeps no balance: its in-stock flag and other drafts decide."""
    if state.ctx.item.binds_lots:
        return None
    if lot.is_serial and not lot.in_stock and lot.last_location_id is not None:
        return "already issued (not in stock)"
    if number in state.pending:
        return f"already allocated on {state.pending[number]}"
    return None


# The checks of an existing lot/serial going out, in order; the first reason refuses it.
_OUTGOING_CHECKS = (_from_supplier, _not_yet_numbered, _issuable, _available_here, _not_awaiting_numbers, _loosely_bound)


def _what(item: Item) -> str:
    return "serial number" if item.is_serial else "lot number"


def _not_from_supplier(lot: _Lot, supplier: Partner | None, origin: dict) -> str | None:
    """Why a supplier return cannot take this lot/serial: it must have come from that supplier."""
    came = origin.get(lot.pk)
    if not came:
        return "not received from a supplier: a supplier return takes what came from the supplier"
    names = {name for name, _ in came}
    if supplier is not None and supplier.name not in names:
        first = came[0]
        return f"came from {first[0]} ({first[1]}), not from {supplier.name}"
    return None


def _reservations(lots: list[int], location: Location, document: Document) -> tuple[dict[int, Decimal], dict[int, str]]:
    """Reserved quantity per lot at the location (all drafts, this one too), and which other draft holds it."""
    if not lots:
        return {}, {}
    totals: dict[int, Decimal] = {}
    holders: dict[int, str] = {}
    # One read: per lot and draft what it holds (a lot is held by few drafts at a time).
    for lot_id, document_id, number, total in _RESERVED.rows(lots=lots, location=location.pk):
        totals[lot_id] = totals.get(lot_id, ZERO) + total
        if document_id != document.pk:
            holders.setdefault(lot_id, number)
    return totals, holders


_RESERVED = Compiled(
    lambda lots, location: (
        Allocation.objects.reserving()
        .filter(outgoing=True, lot_id__any=lots, location_id=location)
        .values_list("lot_id", "document_id", "document__number")
        .annotate(total=Sum("quantity"))
    ),
    arrays=["lots"],
)


def _where_else(lots: list[int], location: Location) -> dict[int, str]:
    return dict(Balance.objects.filter(lot_id__any=lots, quantity__gt=0).exclude(location=location).values_list("lot_id", "location__code"))
