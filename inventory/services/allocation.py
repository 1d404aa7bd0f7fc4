"""Allocation: which lots/serials a line takes (or, incoming, which numbers it brings).

Entries are judged one by one: a bad number is rejected with its reason while the good ones
are kept, so one typo never throws away a hundred scans.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction

from .. import locks
from ..bulk import bulk_insert_rows
from ..compiled import Compiled
from ..exceptions import InvalidDocument
from ..models import (
    Allocation,
    DocumentLine,
)
from ..numbering import MAX_NUMBERS, parse_numbers
from ..quantities import ZERO, QuantityError, quantity_read
from .base import Actor, document_totals_add, draft_required
from .judging import (
    ALLOCATION_FIELDS,
    Judging,
    Rejected,
    judge_incoming,
    judge_outgoing,
    lots_by_number,
)
from .moves import number_required
from .numbers import number_shape

# A line's numbers (new ones, or its lots') and what each takes.
_TAKEN = Compiled(lambda line: Allocation.objects.filter(line_id=line).order_by("id").values_list("number", "lot__number", "quantity"))


_LINE = Compiled(lambda line: DocumentLine.objects.filter(pk=line).select_related("item__lot_class", "item__company"))


def draft_line_locked(line: DocumentLine) -> tuple:
    """Lock the line's draft document, then its item (numbers are allocated one request at a time)."""
    document = locks.document_lock(line.document_id)
    draft_required(document)
    line = locks.one(_LINE.objects(line=line.pk), DocumentLine)
    line.document = document
    locks.item_lock(line.item_id)
    return document, line


def _quantity(value: object) -> Decimal:
    try:
        return quantity_read(value)
    except QuantityError as error:
        raise InvalidDocument(str(error)) from None


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
    grow: bool = False,
    user: Actor = None,
) -> AllocationOutcome:
    """Add typed, scanned or pasted numbers (ranges like SN0001-SN0100 expand) to a line.

    Outgoing lines take existing lots/serials at the source location; a number not in stock
    becomes a new number for unnumbered stock (numbered when used, or an unassigned remainder)
    only when the clerk ``confirm``s it, so a typo never ships as a new serial. Incoming lines
    bring new numbers, or existing ones coming back; a customer return takes what that customer
    was delivered, anything else only ``confirm``ed as of unknown origin. New numbers must have
    the class's shape. ``quantity`` is for lots: default, what the line still needs.
    ``grow`` (serials): each number past the line's quantity adds its unit to the line (a till's
    scan is one more unit), instead of being refused for a full line.
    """
    document, line = draft_line_locked(line)
    item = line.item
    # The line's numbers and what they take, in one read (the numbers are needed anyway).
    taken = _TAKEN.rows(line=line.pk)
    remaining = line.quantity - sum((quantity for _, _, quantity in taken), ZERO)
    # A serial is one unit: a paste of far more serials than the line still needs is refused
    # whole, before anything is expanded or looked up.
    grow = grow and item.is_serial
    entries = parse_numbers(numbers, needed=max(math.ceil(remaining), 0) if item.is_serial and not grow else None, most=MAX_NUMBERS)
    room = remaining + len(entries) if grow else remaining
    if quantity is not None:
        quantity = _quantity(quantity)
    if not item.is_tracked or not number_required(item, document.from_location, document.to_location):
        raise InvalidDocument(f"{item.sku} records no lot or serial numbers on a {document.get_kind_display().lower()}")
    outcome = AllocationOutcome(line=line)
    existing = lots_by_number(item, entries)
    on_line = {number or lot_number for number, lot_number, _ in taken}
    incoming = document.from_location.is_virtual
    relabel = document.from_location.pk == document.to_location.pk
    context = Judging(
        line,
        item,
        document,
        existing,
        on_line,
        room,
        expiry_date or line.expiry_date,
        parent_number.strip() or line.lot_number,
        item.is_serial,
        confirm=confirm,
        shape=number_shape(item=item),
    )
    if incoming:
        rows = judge_incoming(context, entries, quantity, outcome)
    else:
        rows = judge_outgoing(context, entries, quantity, outcome, new_only=relabel)
    bulk_insert_rows(Allocation, ALLOCATION_FIELDS, [row.values for row in rows])
    outcome.accepted = [row.entered for row in rows]
    grown = max(room - context.remaining - max(remaining, ZERO), ZERO) if grow else ZERO
    if grown:
        line.quantity += grown
        DocumentLine.objects.filter(pk=line.pk).update(quantity=line.quantity)
        document_totals_add(document_id=document.pk, lines=0, quantity=grown)
    outcome.remaining = context.remaining - (room - remaining) if grow else context.remaining
    outcome.remaining = max(outcome.remaining, ZERO) if grow else outcome.remaining
    return outcome


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
