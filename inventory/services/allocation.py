"""Allocation: which lots/serials a line takes (or, incoming, which numbers it brings).

Entries are judged one by one: a bad number is rejected with its reason while the good ones
are kept, so one typo never throws away a hundred scans.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from .. import locks
from ..bulk import bulk_insert_rows, filter_in_chunks
from ..exceptions import InvalidDocument, NumberingError
from ..models import (
    Allocation,
    Balance,
    Document,
    DocumentKind,
    DocumentLine,
    IssueMethod,
    Lot,
    LotKind,
    LotStatus,
    NumberAssignment,
    Tracking,
)
from ..numbering import MAX_NUMBERS, parse_numbers
from ..quantities import ONE, ZERO, QuantityError, quantity_read
from ..selectors import (
    allocation_candidates,
    loose_candidates,
    lots_customer_net,
    lots_supplier_origin,
    unavailable_summary,
    unnumbered_available,
)
from .base import Actor, draft_required
from .numbers import number_shape, numbers_generate
from .posting import ISSUE_DESTINATIONS, number_required

MAX_NUMBER = 80


def _draft_line_locked(line: DocumentLine) -> tuple:
    """Lock the line's draft document, then its item (numbers are allocated one request at a time)."""
    document = locks.document_lock(line.document_id)
    draft_required(document)
    line = DocumentLine.objects.select_related("item__lot_class", "item__company").get(pk=line.pk)
    line.document = document
    locks.item_lock(line.item_id)
    return document, line


def _quantity(value) -> Decimal:
    try:
        return quantity_read(value)
    except QuantityError as error:
        raise InvalidDocument(str(error)) from None


# What a clerk may confirm of a refused number, so that it is taken after all.
CONFIRM_NEW = "new"  # a number not in stock becomes a new number for unnumbered stock
CONFIRM_UNKNOWN_ORIGIN = "unknown_origin"  # a return this customer was never delivered

RETURN_KINDS = frozenset({DocumentKind.CUSTOMER_RETURN, DocumentKind.SUPPLIER_RETURN})


@dataclass(frozen=True)
class Rejected:
    number: str
    reason: str
    confirm: str = ""  # CONFIRM_NEW / CONFIRM_UNKNOWN_ORIGIN: taken if the clerk confirms it


@dataclass
class AllocationOutcome:
    line: DocumentLine
    accepted: list[str] = field(default_factory=list)  # the numbers added
    rejected: list[Rejected] = field(default_factory=list)
    remaining: Decimal = ZERO
    unassigned: int = 0  # numbers the batch size left for later
    note: str = ""  # why a proposal fell short: "30 on hold (supplier recall)"

    @property
    def ok(self) -> bool:
        return not self.rejected


@transaction.atomic
def line_allocate(
    *,
    line: DocumentLine,
    numbers: str | Iterable[str],
    quantity: Decimal | None = None,
    expiry_date: date | None = None,
    parent_number: str = "",
    confirm: bool = False,
    user: Actor = None,
) -> AllocationOutcome:
    """Add typed, scanned or pasted numbers (ranges like SN0001-SN0100 expand) to a line.

    Outgoing lines take existing lots/serials at the source location; a number not in stock
    becomes a new number for unnumbered stock (numbered when used, or an unassigned remainder)
    only when the clerk ``confirm``s it, so a typo never ships as a new serial. Incoming lines
    bring new numbers, or existing ones coming back; a customer return takes what that customer
    was delivered, anything else only ``confirm``ed as of unknown origin. New numbers must have
    the class's shape. ``quantity`` is for lots: default, what the line still needs.
    """
    document, line = _draft_line_locked(line)
    item = line.item
    remaining = line.quantity - (line.allocations.aggregate(total=Sum("quantity"))["total"] or ZERO)
    # A serial is one unit: a paste of far more serials than the line still needs is refused
    # whole, before anything is expanded or looked up.
    entries = parse_numbers(numbers, needed=max(math.ceil(remaining), 0) if item.is_serial else None, most=MAX_NUMBERS)
    if quantity is not None:
        quantity = _quantity(quantity)
    if not item.is_tracked or not number_required(item, document.from_location, document.to_location):
        raise InvalidDocument(f"{item.sku} records no lot or serial numbers on a {document.get_kind_display().lower()}")
    outcome = AllocationOutcome(line=line)
    existing = _lots_by_number(item, entries)
    on_line = set(line.allocations.values_list("number", flat=True)) | {
        n for n in line.allocations.filter(lot__isnull=False).values_list("lot__number", flat=True)
    }
    incoming = document.from_location.is_virtual
    relabel = document.from_location.pk == document.to_location.pk
    context = _Context(
        line,
        item,
        document,
        existing,
        on_line,
        remaining,
        expiry_date or line.expiry_date,
        parent_number.strip() or line.lot_number,
        item.is_serial,
        confirm=confirm,
        shape=number_shape(item=item),
    )
    if incoming:
        rows = _judge_incoming(context, entries, quantity, outcome)
    else:
        rows = _judge_outgoing(context, entries, quantity, outcome, new_only=relabel)
    bulk_insert_rows(Allocation, ALLOCATION_FIELDS, [row.values for row in rows])
    outcome.accepted = [row.entered for row in rows]
    outcome.remaining = context.remaining
    return outcome


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
class _Context:
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

    def allocation(self, *, number: str, lot, quantity: Decimal, outgoing: bool, location, unknown_origin: bool = False) -> NewAllocation:
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


def _lots_by_number(item, numbers: list[str]) -> dict[str, "_Lot"]:
    """The item's lots/serials with these numbers, locked (primary-key order) and read in one query."""
    if not numbers:
        return {}
    rows = locks.lots_by_number_lock(item=item, numbers=numbers, fields=LOT_FIELDS)
    return {lot.number: lot for lot in (_Lot(*row) for row in rows)}


def _basic_rejection(ctx: _Context, number: str, quantity: Decimal) -> str | None:
    if len(number) > MAX_NUMBER:
        return f"longer than {MAX_NUMBER} characters"
    if number in ctx.on_line:
        return "already on this line"
    if ctx.remaining <= 0:
        return f"the line needs no more numbers (quantity {ctx.line.quantity.normalize():f})"
    if quantity > ctx.remaining:
        return f"only {ctx.remaining.normalize():f} more needed on this line"
    return None


def _pending_elsewhere(line, numbers: list[str]) -> dict[str, str]:
    """New numbers, or serials, already entered on another draft or another line: number → where."""
    item, document = line.item, line.document
    rows = Allocation.objects.reserving().filter(item=item).exclude(line=line)

    def where(document_id, doc_number, position):
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


def _judge_incoming(ctx: _Context, entries, quantity, outcome) -> list[NewAllocation]:
    item, rows = ctx.item, []
    lot_class = item.lot_class
    is_serial, binds, tracking = item.is_serial, item.binds_lots, item.tracking
    pending = _pending_elsewhere(ctx.line, entries)
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


def _not_delivered(item, lot, quantity: Decimal, customer, net: dict) -> str | None:
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


def _parent_has_expiry(ctx: _Context) -> bool:
    if ctx.item.tracking != Tracking.LOT_AND_SERIAL or not ctx.parent_number:
        return False
    return Lot.objects.filter(item=ctx.item, number=ctx.parent_number, expiry_date__isnull=False).exists()


def _judge_outgoing(ctx: _Context, entries, quantity, outcome, *, new_only: bool) -> list[NewAllocation]:
    item, document, rows = ctx.item, ctx.document, []
    is_serial, binds = item.is_serial, item.binds_lots
    location = document.from_location
    issuing = document.to_location.kind in ISSUE_DESTINATIONS
    today = timezone.localdate()
    lots = [ctx.existing[n].pk for n in entries if n in ctx.existing]
    here = (
        dict(Balance.objects.filter(lot_id__any=lots, location=location, quantity__gt=0).values_list("lot_id", "quantity")) if binds else {}
    )
    reserved, reserved_on = _reservations(lots, location, document)
    pending = _pending_elsewhere(ctx.line, entries)
    unnumbered_left = unnumbered_available(item=item, location=location) if binds or new_only else ZERO
    to_supplier = document.kind == DocumentKind.SUPPLIER_RETURN
    origin = lots_supplier_origin(lot_ids=lots) if to_supplier else {}
    elsewhere = None
    for number in entries:
        lot = ctx.existing.get(number)
        qty = ONE if is_serial else (quantity if quantity is not None else ctx.remaining)
        if quantity is None and lot is not None and not is_serial and binds:
            free = here.get(lot.pk, ZERO) - reserved.get(lot.pk, ZERO)
            if free > 0:
                qty = min(qty, free)  # a lot without a quantity takes what it can
        reason = _basic_rejection(ctx, number, qty)
        if reason is None and qty <= 0:
            reason = "quantity must be more than zero"
        if reason is None and lot is None:
            # A new number for unnumbered stock (numbered when used, or an unassigned quantity).
            confirmable = ""
            if number in pending:
                reason = f"already entered on {pending[number]}"
            elif binds and unnumbered_left < qty:
                if new_only:
                    reason = f"no unnumbered stock of {item.sku} left at {location.code} to give it to"
                else:
                    reason = f"unknown {_what(item)} of {item.sku}" + (
                        "" if unnumbered_left <= 0 else f" (only {unnumbered_left.normalize():f} unnumbered here)"
                    )
            if reason is None:
                reason = ctx.shape_problem(number)
            if reason is None and to_supplier:
                reason = f"unknown {_what(item)} of {item.sku}: a supplier return takes what came from the supplier"
            if reason is None and binds and not new_only and not ctx.confirm:
                # Not in stock: a typo, or a number read off one of the unnumbered units here.
                # (Loosely bound items keep stock per item: their numbers are new when first recorded.)
                units = f"{unnumbered_left.normalize():f} unnumbered unit{'s' if unnumbered_left != 1 else ''}"
                reason = (
                    f"not a {_what(item)} of {item.sku} in stock. Confirm to record it as a new {_what(item)} "
                    f"given to one of the {units} at {location.code}"
                )
                confirmable = CONFIRM_NEW
            if reason is None:
                unnumbered_left -= qty
                rows.append(ctx.allocation(number=number, lot=None, quantity=qty, outgoing=True, location=location))
            else:
                outcome.rejected.append(Rejected(number, reason, confirmable))
            continue
        if reason is None and to_supplier:
            reason = _not_from_supplier(lot, document.partner, origin)
        if reason is None and new_only:
            reason = f"already numbered: {number} exists for {item.sku}"
        if reason is None and issuing:
            if lot.status == LotStatus.ON_HOLD:
                reason = "on hold" + (f" ({lot.hold_reason})" if lot.hold_reason else "")
            elif lot.parent_status == LotStatus.ON_HOLD:
                reason = "its lot is on hold" + (f" ({lot.parent_hold_reason})" if lot.parent_hold_reason else "")
            elif LotStatus.ARCHIVED in (lot.status, lot.parent_status):
                reason = "archived"
            elif lot.expiry_date is not None and lot.expiry_date < today:
                reason = f"expired on {lot.expiry_date:%Y-%m-%d}"
        if reason is None and binds:
            available = here.get(lot.pk, ZERO) - reserved.get(lot.pk, ZERO)
            if here.get(lot.pk, ZERO) <= 0:
                if elsewhere is None:
                    elsewhere = _where_else(lots, location)
                reason = f"not at {location.code}" + (f" (it is at {elsewhere[lot.pk]})" if lot.pk in elsewhere else " (not in stock)")
            elif available < qty:
                if lot.pk in reserved_on and available <= 0:
                    reason = f"already allocated on {reserved_on[lot.pk]}"
                else:
                    reason = f"only {max(available, ZERO).normalize():f} available at {location.code}"
        elif reason is None:
            if lot.is_serial and not lot.in_stock and lot.last_location_id is not None:
                reason = "already issued (not in stock)"
            elif number in pending:
                reason = f"already allocated on {pending[number]}"
        if reason is not None:
            outcome.rejected.append(Rejected(number, reason))
            continue
        reserved[lot.pk] = reserved.get(lot.pk, ZERO) + qty
        rows.append(ctx.allocation(number=number, lot=lot, quantity=qty, outgoing=True, location=location))
    return rows


def _what(item) -> str:
    return "serial number" if item.is_serial else "lot number"


def _not_from_supplier(lot, supplier, origin: dict) -> str | None:
    """Why a supplier return cannot take this lot/serial: it must have come from that supplier."""
    came = origin.get(lot.pk)
    if not came:
        return "not received from a supplier: a supplier return takes what came from the supplier"
    names = {name for name, _ in came}
    if supplier is not None and supplier.name not in names:
        first = came[0]
        return f"came from {first[0]} ({first[1]}), not from {supplier.name}"
    return None


def _reservations(lots, location, document):
    """Reserved quantity per lot at the location (all drafts, this one too), and which other draft holds it."""
    if not lots:
        return {}, {}
    rows = Allocation.objects.reserving().filter(outgoing=True, lot_id__any=lots, location=location)
    totals = {r["lot_id"]: r["total"] for r in rows.values("lot_id").annotate(total=Sum("quantity"))}
    holders = dict(rows.exclude(document=document).values_list("lot_id", "document__number"))
    return totals, holders


def _where_else(lots, location) -> dict[int, str]:
    return dict(Balance.objects.filter(lot_id__any=lots, quantity__gt=0).exclude(location=location).values_list("lot_id", "location__code"))


@transaction.atomic
def line_allocate_proposed(*, line: DocumentLine, user: Actor = None) -> AllocationOutcome:
    """Fill what the line still needs by the class's issue method (never expired or held lots).

    Outgoing: existing lots/serials in issue-method order, then, for stock numbered when used,
    new numbers for unnumbered stock. Incoming: numbers generated from the class template.
    Manual classes get no proposal.
    """
    document, line = _draft_line_locked(line)
    proposal = line_proposal(line=line, document=document)
    bulk_insert_rows(Allocation, ALLOCATION_FIELDS, [row.values for row in proposal.rows])
    return proposal.outcome


@dataclass
class Proposal:
    rows: list[NewAllocation]
    outcome: AllocationOutcome


def line_proposal(*, line: DocumentLine, document: Document, taken: dict | None = None) -> Proposal:
    """The allocations the issue method proposes for what the line still needs, unsaved.

    Valid by construction (only available, active, unexpired lots; only untaken new numbers),
    so callers store them, or post them, without judging each one again. ``taken`` carries what
    earlier unsaved proposals of the same posting took (lot id, or ("unnumbered", item, location)
    → quantity) and is updated.
    """
    taken = {} if taken is None else taken
    item = line.item
    remaining = line.quantity - (line.allocations.aggregate(total=Sum("quantity"))["total"] or ZERO)
    ctx = _Context(line, item, document, {}, set(), remaining, line.expiry_date, line.lot_number, item.is_serial)
    outcome = AllocationOutcome(line=line, remaining=remaining)
    rows: list[tuple] = []
    if remaining <= 0 or not item.is_tracked or not number_required(item, document.from_location, document.to_location):
        return Proposal(rows, outcome)
    if document.kind in RETURN_KINDS:
        # A return names what comes back (or goes back): nothing is proposed or generated for it.
        outcome.note = "a return takes the numbers named on it: scan or type them"
        return Proposal(rows, outcome)
    if document.from_location.is_virtual:
        if item.tracking == Tracking.LOT and line.lot_number:
            # The lot number typed on the line is the lot (the supplier's, for a recall): never generate another.
            ctx.shape = number_shape(item=item)
            ctx.existing = _lots_by_number(item, [line.lot_number])
            rows = _judge_incoming(ctx, [line.lot_number], None, outcome)
        elif item.lot_class.assignment == NumberAssignment.WHEN_RECEIVED and not _missing_receipt_data(ctx):
            rows, outcome.unassigned = _new_number_rows(ctx, remaining, document.to_location, outgoing=False)
    elif document.from_location.pk == document.to_location.pk:
        rows, outcome.unassigned = _new_number_rows(ctx, remaining, document.from_location, outgoing=True, taken=taken)
    elif item.lot_class.issue_method != IssueMethod.MANUAL:
        location = document.from_location
        if item.binds_lots:
            candidates = allocation_candidates(line=line).values_list("lot_id", "lot__number", "available").iterator(chunk_size=5000)
        else:
            limit = int(remaining) if item.is_serial else None
            limit = None if limit is None else limit + len(taken)
            candidates = ((pk, number, ONE) for pk, number in loose_candidates(line=line).values_list("pk", "number")[:limit])
        for lot_id, number, available in candidates:
            if ctx.remaining <= 0:
                break
            available -= taken.get(lot_id, ZERO)
            if available <= 0:
                continue
            take = ONE if item.is_serial else min(available, ctx.remaining)
            taken[lot_id] = taken.get(lot_id, ZERO) + take
            rows.append(ctx.allocation(number=number, lot=lot_id, quantity=take, outgoing=True, location=location))
        if ctx.remaining > 0 and item.lot_class.assignment == NumberAssignment.WHEN_USED:
            more, outcome.unassigned = _new_number_rows(ctx, ctx.remaining, location, outgoing=True, taken=taken)
            rows += more
        if ctx.remaining > 0:
            outcome.note = unavailable_summary(item=item, location=location, document=document)
    outcome.accepted = [row.entered for row in rows]
    outcome.remaining = ctx.remaining
    return Proposal(rows, outcome)


def _missing_receipt_data(ctx: "_Context") -> str | None:
    """What a receipt line must say before numbers can be generated for it, if anything."""
    item = ctx.item
    if item.tracking == Tracking.LOT_AND_SERIAL and not ctx.parent_number:
        return f"{item.sku} carries lot and serial numbers: give the lot number first"
    if (
        item.lot_class.track_expiry
        and ctx.expiry_date is None
        and not (
            item.tracking == Tracking.LOT_AND_SERIAL
            and Lot.objects.filter(item=item, number=ctx.parent_number, expiry_date__isnull=False).exists()
        )
    ):
        return f"{item.sku} tracks expiration dates: give the expiration date"
    return None


def _new_number_rows(
    ctx: "_Context", remaining: Decimal, location, *, outgoing: bool, taken: dict | None = None
) -> tuple[list[tuple], int]:
    """Rows for numbers generated from the class template (outgoing: for unnumbered stock only).

    Generated numbers are new by construction (numbers_generate skips every taken one).
    """
    item = ctx.item
    if outgoing:
        key = ("unnumbered", item.pk, location.pk)
        taken = {} if taken is None else taken
        remaining = min(remaining, unnumbered_available(item=item, location=location) - taken.get(key, ZERO))
        if remaining <= 0:
            return [], 0
        taken[key] = taken.get(key, ZERO) + (remaining if not item.is_serial else Decimal(int(remaining)))
    generated = numbers_generate(item=item, count=int(remaining) if item.is_serial else 1, on=ctx.document.date)
    quantity = ONE if item.is_serial else remaining
    rows = [ctx.allocation(number=n, lot=None, quantity=quantity, outgoing=outgoing, location=location) for n in generated.numbers]
    return rows, (generated.unassigned if item.is_serial else 0)


@transaction.atomic
def line_numbers_generate(
    *,
    line: DocumentLine,
    count: int | None = None,
    expiry_date: date | None = None,
    parent_number: str = "",
    user: Actor = None,
) -> AllocationOutcome:
    """Generate numbers from the class template for an incoming line (batch size respected).

    Serials: ``count`` numbers (default: what the line still needs), capped by the batch size;
    the excess stays unassigned. Lots: one lot number for the whole remaining quantity.
    """
    document, line = _draft_line_locked(line)
    item = line.item
    remaining = line.quantity - (line.allocations.aggregate(total=Sum("quantity"))["total"] or ZERO)
    if remaining <= 0:
        return AllocationOutcome(line=line, remaining=remaining)
    if not item.is_tracked:
        raise NumberingError(f"{item.sku} is not tracked by lot or serial number")
    wanted = int(remaining) if count is None else min(int(count), int(remaining))
    expiry_date = expiry_date or line.expiry_date
    parent_number = parent_number.strip() or line.lot_number
    if not document.from_location.is_virtual:
        raise InvalidDocument(f"numbers are generated for stock coming in; {document.number} takes stock out")
    ctx = _Context(line, item, document, {}, set(), remaining, expiry_date, parent_number, item.is_serial)
    missing = _missing_receipt_data(ctx)
    if missing:
        raise InvalidDocument(missing)
    if item.tracking == Tracking.LOT and line.lot_number:
        # The lot typed on the line is the lot: generating another would drop the supplier's number.
        raise InvalidDocument(
            f"line {line.position} names its lot, {line.lot_number}: add that lot (scan or type it), "
            "or clear the line's lot to generate one"
        )
    rows, unassigned = _new_number_rows(ctx, Decimal(wanted) if item.is_serial else remaining, document.to_location, outgoing=False)
    bulk_insert_rows(Allocation, ALLOCATION_FIELDS, [row.values for row in rows])
    return AllocationOutcome(line=line, accepted=[row.entered for row in rows], remaining=ctx.remaining, unassigned=unassigned)


@transaction.atomic
def allocations_clear(*, line: DocumentLine, allocation_ids: Iterable[int] | None = None) -> int:
    """Remove a draft line's allocations (all, or the ones named)."""
    document = locks.document_lock(line.document_id)
    draft_required(document)
    rows = Allocation.objects.filter(line=line)
    if allocation_ids is not None:
        rows = rows.filter(pk__in=list(allocation_ids))
    deleted, _ = rows.delete()
    return deleted


MAX_SCAN_CODES = 500  # one request of a scan queue; a longer list is a paste


@transaction.atomic
def line_scan(
    *,
    line: DocumentLine,
    codes: Iterable[str],
    quantity: Decimal | None = None,
    expiry_date: date | None = None,
    parent_number: str = "",
    confirm: bool = False,
    user: Actor = None,
) -> AllocationOutcome:
    """Scanned or typed codes, one number each, in the order scanned.

    A GS1 label (element string or Digital Link) gives its item (AI 01, which must be the line's),
    its lot (10), serial (21) and expiry (17) in one scan; anything else is the number as typed.
    Each code is judged as ``line_allocate`` judges it: a bad one is refused alone.
    """
    from ..gs1 import gtin_normalize, scan_parse

    codes = list(codes)
    if len(codes) > MAX_SCAN_CODES:
        raise InvalidDocument(f"at most {MAX_SCAN_CODES} codes at once; paste longer lists")
    item = line.item
    own_gtin = gtin_normalize(item.gtin) if item.gtin else None
    outcome = AllocationOutcome(line=line)
    groups: list[tuple[tuple, list[str]]] = []  # consecutive codes that carry the same lot and expiry
    for code in codes:
        scan = scan_parse(code)
        if scan.error:
            outcome.rejected.append(Rejected(code, scan.error))
            continue
        key = (expiry_date, parent_number)
        number = scan.number
        if scan.is_gs1:
            if scan.gtin and scan.gtin != own_gtin:
                outcome.rejected.append(Rejected(scan.number or code, _another_item(item, scan.gtin)))
                continue
            if item.is_serial and not scan.serial:
                outcome.rejected.append(Rejected(code, f"the label carries no serial number (AI 21); {item.sku} is numbered by serial"))
                continue
            if not item.is_serial and not scan.lot:
                outcome.rejected.append(Rejected(code, f"the label carries no lot number (AI 10); {item.sku} is numbered by lot"))
                continue
            number = scan.serial if item.is_serial else scan.lot
            lot_of_serial = scan.lot if item.tracking == Tracking.LOT_AND_SERIAL and scan.serial else ""
            key = (scan.expiry or expiry_date, lot_of_serial or parent_number)
        if groups and groups[-1][0] == key:
            groups[-1][1].append(number)
        else:
            groups.append((key, [number]))
    for (expiry, parent), numbers in groups:
        part = line_allocate(
            line=line, numbers=numbers, quantity=quantity, expiry_date=expiry, parent_number=parent, confirm=confirm, user=user
        )
        outcome.accepted += part.accepted
        outcome.rejected += part.rejected
        outcome.remaining = part.remaining
        outcome.line = part.line
    if not groups:
        outcome.remaining = line.quantity - (line.allocations.aggregate(total=Sum("quantity"))["total"] or ZERO)
    return outcome


def _another_item(item, gtin: str) -> str:
    from ..gs1 import gtin_normalize
    from ..models import Item

    candidates = Item.objects.filter(company_id=item.company_id).exclude(gtin="").filter(gtin__in={gtin, gtin[1:], gtin[2:], gtin[6:]})
    other = next((i for i in candidates if gtin_normalize(i.gtin) == gtin), None)
    if other is None:
        return f"another item: GTIN {gtin} is no item of this company (the line is for {item.sku})"
    return f"another item: GTIN {gtin} is {other.sku} {other.name}, the line is for {item.sku}"
