"""Numbers to follow: a delivery posted with ``numbers_to_follow`` (a till's sale, seed 004) left
part of a line without its lot/serial numbers. Assigning them later judges each number as the
till would have (in stock where the sale left from, not held, not expired, not promised to another
draft: one typo is refused alone), then posts its move on the same document, so the lot's history,
the recall and the customer's returns read it as if it had been scanned at the sale."""

import math
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from .. import locks
from ..exceptions import InvalidDocument
from ..models import DocumentLine, DocumentStatus, PendingNumbers, StockMove
from ..numbering import MAX_NUMBERS, parse_numbers
from ..quantities import ZERO, QuantityError, quantity_read
from .allocation import AllocationOutcome
from .base import Actor
from .judging import Judging, Rejected, judge_outgoing, lots_by_number
from .moves import MoveSpec
from .posting import moves_post


@transaction.atomic
def pending_numbers_assign(
    *, pending: PendingNumbers, numbers: str | Iterable[str], quantity: Decimal | str | None = None, user: Actor = None
) -> AllocationOutcome:
    """Give numbers to what ``pending`` still lacks and post their moves on its document.

    Each number is judged on its own (the good ones are posted, a bad one is refused with its
    reason); ``quantity`` is for lots (default: what is still missing).
    """
    document = locks.document_lock(pending.document_id)
    pending = locks.pending_numbers_lock(pending.pk)
    line = DocumentLine.objects.select_related("item__lot_class", "item__company").get(pk=pending.line_id)
    line.document = document
    item = line.item
    if not pending.is_open or pending.missing <= 0:
        raise InvalidDocument(f"{document.number} line {line.position}: its numbers are all assigned")
    if document.status != DocumentStatus.POSTED:
        raise InvalidDocument(f"{document.number} is {document.get_status_display().lower()}: its numbers can no longer be assigned")
    locks.item_lock(item.pk)
    missing = pending.missing
    entries = parse_numbers(numbers, needed=math.ceil(missing) if item.is_serial else None, most=MAX_NUMBERS)
    if quantity is not None:
        try:
            quantity = quantity_read(quantity)
        except QuantityError as error:
            raise InvalidDocument(str(error)) from None
    # A serial leaves once; a lot may be named again for another part of the same line.
    moved = StockMove.objects.filter(line=line, from_lot__isnull=False).values_list("from_lot__number", flat=True)
    on_line = set(moved) if item.is_serial else set()
    ctx = Judging(line, item, document, lots_by_number(item, entries), on_line, missing, None, "", item.is_serial, held_for_us=missing)
    outcome = AllocationOutcome(line=line)
    rows = judge_outgoing(ctx, entries, quantity, outcome, new_only=False)
    # A number not in stock cannot be confirmed here: the stock left already, numbered or not.
    outcome.rejected = [
        Rejected(r.number, f"not a {'serial' if item.is_serial else 'lot'} number of {item.sku} in stock at {document.from_location.code}")
        if r.confirm
        else r
        for r in outcome.rejected
    ]
    taken = [row for row in rows if row.lot is not None]
    outcome.rejected += [Rejected(row.entered, "a new number cannot be given to stock that has left") for row in rows if row.lot is None]
    done = sum((row.quantity for row in taken), ZERO)
    if taken:
        specs = [
            MoveSpec(
                item=item,
                quantity=row.quantity,
                from_location=document.from_location,
                to_location=document.to_location,
                from_lot_id=row.lot,
                to_lot_id=row.lot,
                unit_cost=line.unit_cost,
                line_id=line.pk,
                line_position=line.position,
            )
            for row in taken
        ]
        moves_post(
            company=document.company,
            specs=specs,
            reason=document.reason,
            user=user,
            document=document,
            awaiting={(item.pk, document.from_location_id): -done},
        )
        PendingNumbers.objects.filter(pk=pending.pk).update(assigned=F("assigned") + done, is_open=missing - done > 0)
    outcome.accepted = [row.entered for row in taken]
    outcome.remaining = missing - done
    return outcome


def pending_numbers_release(*, document_id: int) -> dict[tuple[int, int], Decimal]:
    """Close what a document's lines still lacked (its reversal gives the stock back whole):
    returns what stops being held, per (item, location), for the reversal's posting to take off.
    The caller holds the document's lock."""
    released: dict[tuple[int, int], Decimal] = {}
    for pending in locks.pending_numbers_of_document_lock(document_id):
        missing = pending.missing
        if missing > 0:
            key = (pending.item_id, pending.location_id)
            released[key] = released.get(key, ZERO) - missing
        PendingNumbers.objects.filter(pk=pending.pk).update(released=F("released") + max(missing, ZERO), is_open=False)
    return released
