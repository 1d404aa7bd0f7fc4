"""Allocation by proposal: what a line takes when nobody typed it (the item's issue method), and
numbers generated for a line that brings new stock."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from ..bulk import bulk_insert_rows
from ..exceptions import InvalidDocument, NumberingError
from ..models import (
    Allocation,
    Document,
    DocumentLine,
    IssueMethod,
    Location,
    Lot,
    NumberAssignment,
    Tracking,
)
from ..quantities import ONE, ZERO
from ..selectors import (
    allocation_candidates,
    loose_candidates,
    unavailable_summary,
    unnumbered_available,
)
from .allocation import AllocationOutcome, draft_line_locked
from .base import Actor
from .judging import ALLOCATION_FIELDS, RETURN_KINDS, Judging, NewAllocation, judge_incoming, lots_by_number
from .moves import number_required
from .numbers import number_shape, numbers_generate


@transaction.atomic
def line_allocate_proposed(*, line: DocumentLine, user: Actor = None) -> AllocationOutcome:
    """Fill what the line still needs by the class's issue method (never expired or held lots).

    Outgoing: existing lots/serials in issue-method order, then, for stock numbered when used,
    new numbers for unnumbered stock. Incoming: numbers generated from the class template.
    Manual classes get no proposal.
    """
    document, line = draft_line_locked(line)
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
    ctx = Judging(line, item, document, {}, set(), remaining, line.expiry_date, line.lot_number, item.is_serial)
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
            ctx.existing = lots_by_number(item, [line.lot_number])
            rows = judge_incoming(ctx, [line.lot_number], None, outcome)
        elif item.lot_class.assignment == NumberAssignment.WHEN_RECEIVED and not missing_receipt_data(ctx):
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


def missing_receipt_data(ctx: "Judging") -> str | None:
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
    ctx: "Judging", remaining: Decimal, location: Location, *, outgoing: bool, taken: dict | None = None
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
    document, line = draft_line_locked(line)
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
    ctx = Judging(line, item, document, {}, set(), remaining, expiry_date, parent_number, item.is_serial)
    missing = missing_receipt_data(ctx)
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
