"""Posting a draft document: its lines' allocations (or the numbers proposed for them) become
moves, new lots are created first, and ``moves_post`` writes it all in one transaction."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import locks
from ..bulk import bulk_insert_rows
from ..compiled import Compiled, fields_save
from ..exceptions import InsufficientStock, InvalidDocument, Problem, Shortage
from ..models import (
    Allocation,
    Company,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    Item,
    Lot,
    LotKind,
    LotStatus,
    NumberAssignment,
    PendingNumbers,
    Tracking,
)
from ..quantities import ZERO
from ..selectors import sellable_without_numbers
from .base import Actor, acting_user, draft_required
from .judging import RETURN_KINDS, Judging
from .moves import MoveSpec, arrival_time, number_required
from .posting import moves_write
from .proposal import line_proposal, missing_receipt_data


def document_post(
    *, document: Document, user: Actor = None, auto_allocate: bool = False, numbers_to_follow: bool = False, savepoint: bool = True
) -> Document:
    """Post a draft: every line's moves in one atomic change, or nothing and a domain error.

    ``auto_allocate``: numbers a line still lacks are proposed by its class's issue method (or
    generated, on receipts) as part of posting, without storing allocations first.
    ``numbers_to_follow``: a delivery's lines may leave without all their numbers (a till's sale,
    seed 004); what they lack is recorded as ``PendingNumbers`` and held out of the stock there.
    ``savepoint=False``: inside a caller's transaction that a refusal here undoes as a whole (a
    till's checkout), without the savepoint's two round trips.
    """
    with transaction.atomic(savepoint=savepoint):
        return _document_post(document, user, auto_allocate, numbers_to_follow)


def _document_post(document: Document, user: Actor, auto_allocate: bool, numbers_to_follow: bool) -> Document:
    document = locks.document_lock(document.pk)
    draft_required(document)
    lines = _LINES.objects(document=document.pk)
    for line in lines:
        line.document = document
    if not lines:
        raise InvalidDocument(f"{document.number} has no lines")
    allocations: dict[int, list[AllocationRow]] = defaultdict(list)
    for row in _ALLOCATIONS.rows(document=document.pk):
        allocations[row[1]].append(AllocationRow(*row))
    notes = _proposals_add(document, lines, allocations) if auto_allocate else {}
    problems: list[Problem] = []
    new_lots, created = _lots_ensure(document, lines, allocations, user)
    specs = []
    follow: list[tuple[DocumentLine, Decimal]] | None = [] if numbers_to_follow and document.kind == DocumentKind.DELIVERY else None
    for line in lines:
        specs += _line_specs(
            line, allocations[line.pk], new_lots, document, problems, proposed=auto_allocate, note=notes.get(line.pk, ""), follow=follow
        )
    if problems:
        raise InvalidDocument(problems)
    awaiting = _pending_numbers_add(document, follow, user) if follow else None
    # Marked posted first (the same transaction: a refusal below undoes it), so the rows every
    # posting of an item shares, which moves_post locks last, are held no longer than it needs.
    document.status = DocumentStatus.POSTED
    document.posted_at = timezone.now()
    document.posted_by = acting_user(user)
    fields_save(document, ["status", "posted_at", "posted_by"])
    moves_write(  # in this function's transaction: no savepoint of its own
        company=document.company,
        specs=specs,
        reason=document.reason,
        user=user,
        document=document,
        new_lot_ids=created,
        on=document.date,
        awaiting=awaiting,
    )
    if follow:
        _follow_room_check(document, follow)
    return document


def _follow_room_check(document: Document, follow: list[tuple[DocumentLine, Decimal]]) -> None:
    """Units leaving without numbers must be among what could be issued there: not on hold, expired
    or promised to another draft. Read after moves_post, which holds the (item, location) summaries
    every posting of those items there waits for."""
    shortages = []
    for item in {line.item_id: line.item for line, _ in follow}.values():
        room = sellable_without_numbers(item=item, location=document.from_location, exclude_document_id=document.pk)
        if room < 0:
            needed = sum((quantity for line, quantity in follow if line.item_id == item.pk), ZERO)
            position = next(line.position for line, _ in follow if line.item_id == item.pk)
            note = "the rest there is on hold, expired, promised to other drafts or sold without numbers already"
            shortages.append(Shortage(item.sku, None, document.from_location.code, needed, max(needed + room, ZERO), position, note))
    if shortages:
        raise InsufficientStock(shortages)


def _proposals_add(document: Document, lines: list[DocumentLine], allocations: dict[int, list["AllocationRow"]]) -> dict[int, str]:
    """Add to each line what its proposal takes; returns why a proposal fell short, by line."""
    problems: list[Problem] = []
    notes: dict[int, str] = {}
    # What a line still needs is taken as the issue method proposes (or numbers are generated),
    # inside this transaction; the moves record which numbers went.
    taken: dict = {}  # what earlier lines' proposals took, so the next line does not take it again
    for line in lines:
        line.document = document
        proposal = line_proposal(line=line, document=document, taken=taken)
        for row in proposal.rows:
            allocations[line.pk].append(
                AllocationRow(
                    id=None,
                    line_id=line.pk,
                    item_id=row.item,
                    lot_id=row.lot,
                    number=row.number,
                    parent_number=row.parent_number,
                    expiry_date=row.expiry_date,
                    quantity=row.quantity,
                    unknown_origin=row.unknown_origin,
                )
            )
        problems += [Problem(r.reason, line=line.position, number=r.number) for r in proposal.outcome.rejected]
        if proposal.outcome.note:
            notes[line.pk] = proposal.outcome.note
    if problems:
        raise InvalidDocument(problems)
    return notes


def _pending_numbers_add(document: Document, follow: list[tuple[DocumentLine, Decimal]], user: Actor) -> dict[tuple[int, int], Decimal]:
    """Record what each line leaves without (one insert) and return it per (item, location): what
    the posting holds out of the stock there."""
    user_id = acting_user(user).pk if acting_user(user) else None
    location = document.from_location
    PendingNumbers.objects.bulk_create(
        PendingNumbers(
            company_id=document.company_id,
            document=document,
            line=line,
            item_id=line.item_id,
            location=location,
            partner_id=document.partner_id,
            quantity=quantity,
            created_by_id=user_id,
        )
        for line, quantity in follow
    )
    awaiting: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for line, quantity in follow:
        awaiting[(line.item_id, location.pk)] += quantity
    return dict(awaiting)


_LINES = Compiled(
    lambda document: (
        DocumentLine.objects.filter(document_id=document).select_related("item__lot_class", "item__company").order_by("position")
    )
)
_ALLOCATIONS = Compiled(
    lambda document: Allocation.objects.filter(document_id=document).order_by("id").values_list(*AllocationRow.__slots__)
)


@dataclass(slots=True)
class AllocationRow:
    id: int
    line_id: int
    item_id: int
    lot_id: int | None
    number: str
    parent_number: str
    expiry_date: date | None
    quantity: Decimal
    unknown_origin: bool


def _line_specs(
    line: DocumentLine,
    allocs: list[AllocationRow],
    new_lots: dict[tuple[int, str], int],
    document: Document,
    problems: list[Problem],
    *,
    proposed: bool = False,
    note: str = "",
    follow: list[tuple[DocumentLine, Decimal]] | None = None,
) -> list[MoveSpec]:
    from_location, to_location = document.from_location, document.to_location
    item = line.item
    incoming = from_location.is_virtual
    needs_numbers = item.is_tracked and number_required(item, from_location, to_location)
    base = dict(
        item=item,
        from_location=from_location,
        to_location=to_location,
        line_id=line.pk,
        line_position=line.position,
        unit_cost=line.unit_cost,
    )
    pos = line.position
    if not needs_numbers:
        if allocs:
            problems.append(Problem(f"{item.sku} records no numbers for this kind of move; remove them", line=pos))
            return []
        return [MoveSpec(quantity=line.quantity, **base)]
    allocated = sum((a.quantity for a in allocs), ZERO)
    if allocated > line.quantity:
        problems.append(
            Problem(f"{item.sku}: {allocated.normalize():f} numbered but the line is for {line.quantity.normalize():f}", line=pos)
        )
        return []
    specs = []
    for a in allocs:
        origin = {"unknown_origin": a.unknown_origin}
        if a.lot_id is not None:
            specs.append(MoveSpec(quantity=a.quantity, from_lot_id=a.lot_id, to_lot_id=a.lot_id, **base, **origin))
        else:
            lot_id = new_lots[(item.pk, a.number)]
            # Incoming: the new number arrives with the stock. Outgoing: unnumbered stock is numbered as it leaves.
            specs.append(MoveSpec(quantity=a.quantity, from_lot_id=lot_id if incoming else None, to_lot_id=lot_id, **base, **origin))
    remainder = line.quantity - allocated
    if remainder > 0 and follow is not None:
        follow.append((line, remainder))  # leaves now; its numbers are assigned later
    elif remainder > 0:
        problem = _remainder_problem(line, allocs, remainder, document, proposed=proposed, note=note)
        if problem is None:
            specs.append(MoveSpec(quantity=remainder, **base))  # received unassigned: numbered later
        else:
            problems.append(problem)
    return specs


def _remainder_problem(
    line: DocumentLine, allocs: list[AllocationRow], remainder: Decimal, document: Document, *, proposed: bool, note: str
) -> Problem | None:
    """Why a line may not post with ``remainder`` of it unnumbered (None: it comes in unassigned)."""
    item, pos = line.item, line.position
    from_location = document.from_location
    incoming = from_location.is_virtual
    relabel = from_location.pk == document.to_location.pk
    what = "serial numbers" if item.is_serial else "lot numbers"
    if document.kind in RETURN_KINDS:
        return Problem(
            f"{item.sku}: {remainder.normalize():f} of {line.quantity.normalize():f} returned have no {what}: "
            "name what comes back in Numbers… (a return takes the numbers named on it)",
            line=pos,
        )
    missing = _missing_when_received(line, item, allocs) if incoming else None
    if missing:
        return Problem(f"{missing}, or give its {what} in Numbers…, before posting", line=pos)
    if incoming:
        return None
    if proposed and not relabel:
        # The issue method already took everything it could: what is left is a shortage.
        available = (line.quantity - remainder).normalize()
        return Problem(
            f"not enough {item.sku} at {from_location.code} to take by the issue method: "
            f"needed {line.quantity.normalize():f}, available {available:f} (short by {remainder.normalize():f})"
            + (f"; {note}" if note else ""),
            line=pos,
        )
    verb = "numbered" if relabel else "allocated"
    return Problem(f"{item.sku}: {remainder.normalize():f} of {line.quantity.normalize():f} have no {what} {verb} yet", line=pos)


def _missing_when_received(line: DocumentLine, item: Item, allocs: list[AllocationRow]) -> str | None:
    """What stops numbers being given on receipt to a class that numbers stock when received.

    Its stock must not come in unnumbered for want of an expiry or a lot (only the batch size may
    leave a remainder for later): posting asks for it instead.
    """
    if item.lot_class.assignment != NumberAssignment.WHEN_RECEIVED:
        return None
    # What the numbers already on the line carry counts too (the dialog's expiry and lot).
    expiry = line.expiry_date or next((a.expiry_date for a in allocs if a.expiry_date), None)
    parent = line.lot_number or next((a.parent_number for a in allocs if a.parent_number), "")
    ctx = Judging(line, item, line.document, {}, set(), ZERO, expiry, parent, item.is_serial)
    return missing_receipt_data(ctx)


LOT_INSERT_FIELDS = [
    "company",
    "item",
    "number",
    "kind",
    "parent",
    "expiry_date",
    "unit_cost",
    "reference",
    "notes",
    "status",
    "hold_reason",
    "in_stock",
    "last_location",
    "received_at",
    "created_at",
    "created_by",
]


@dataclass(frozen=True, slots=True)
class _NewLots:
    """What every lot a posting creates shares: its company, reference, time and author, and the
    state a new serial starts in (in stock where received, or issued from where it was numbered)."""

    company_id: int
    reference: str
    serial_state: tuple[bool, int]
    received_at: datetime | None
    now: datetime
    user_id: int | None

    def row(self, item: Item, number: str, kind: str, expiry: date | None, line: DocumentLine, parent_id: int | None = None) -> tuple:
        """A new lot's row in ``LOT_INSERT_FIELDS`` order."""
        cost = line.unit_cost if line.unit_cost is not None else item.unit_cost
        in_stock, last_location = self.serial_state if kind == LotKind.SERIAL else (False, None)
        return (
            self.company_id,
            item.pk,
            number,
            kind,
            parent_id,
            expiry,
            cost,
            self.reference,
            "",
            LotStatus.ACTIVE.value,
            "",
            in_stock,
            last_location,
            self.received_at,
            self.now,
            self.user_id,
        )


def _parents_ensure(company: Company, new: _NewLots, parents: dict) -> tuple[dict, dict]:
    """Create the lots the new serials of lot-and-serial items belong to (skipping existing ones);
    returns each parent's id and expiry by (item, number)."""
    if not parents:
        return {}, {}
    rows = [new.row(item, number, LotKind.LOT, expiry, line) for (_, number), (item, expiry, line) in sorted(parents.items())]
    bulk_insert_rows(Lot, LOT_INSERT_FIELDS, rows, ignore_conflicts=True)
    found = _lots_fetch(company, parents.keys(), with_expiry=True)
    return {key: lot_id for key, (lot_id, _) in found.items()}, {key: expiry for key, (_, expiry) in found.items()}


def _lots_ensure(
    document: Document, lines: list[DocumentLine], allocations: dict[int, list[AllocationRow]], user: Actor
) -> tuple[dict[tuple[int, str], int], set[int]]:
    """Create the lots/serials that the document's new numbers name (sorted, skipping existing).

    New serials are written in the state the posting gives them (in stock where received, or
    issued from where they were numbered), so posting need not update them. Returns every
    number's lot id and the ids created here.
    """
    company = document.company
    line_by_id = {line.pk: line for line in lines}
    wanted, parents = {}, {}
    for line_id, rows in allocations.items():
        line = line_by_id[line_id]
        item = line.item
        has_parent = item.tracking == Tracking.LOT_AND_SERIAL
        for a in rows:
            if a.lot_id is not None:
                continue
            parent_number = a.parent_number or line.lot_number
            if has_parent and parent_number:
                parents[(item.pk, parent_number)] = (item, a.expiry_date or line.expiry_date, line)
            wanted[(item.pk, a.number)] = (item, a, line, parent_number)
    if not wanted:
        return {}, set()
    arrives = not document.to_location.is_virtual
    now = timezone.now()
    new = _NewLots(
        company_id=company.pk,
        reference=document.reference[:120],
        serial_state=(True, document.to_location.pk) if arrives else (False, document.from_location.pk),
        received_at=arrival_time(document.date, now) if arrives else None,
        now=now,
        user_id=acting_user(user).pk if acting_user(user) else None,
    )
    parent_ids, parent_expiry = _parents_ensure(company, new, parents)
    rows = []
    kinds = {item_id: (LotKind.SERIAL if item.is_serial else LotKind.LOT) for (item_id, _), (item, *_) in wanted.items()}
    for (item_id, number), (item, a, line, parent_number) in sorted(wanted.items(), key=lambda kv: kv[0]):
        parent_key = (item_id, parent_number)
        kind = kinds[item_id]
        expiry = parent_expiry.get(parent_key) or a.expiry_date or line.expiry_date
        rows.append(new.row(item, number, kind, expiry, line, parent_ids.get(parent_key)))
    inserted = bulk_insert_rows(Lot, LOT_INSERT_FIELDS, rows, ignore_conflicts=True, returning=["id", "item", "number"])
    found = {(item_id, number): lot_id for lot_id, item_id, number in inserted}
    # Numbers that already existed (another receipt got there first, or stock coming back).
    found.update(_lots_fetch(company, [key for key in wanted if key not in found]))
    return found, {lot_id for lot_id, _, _ in inserted}


def _lots_fetch(company: Company, keys: Iterable[tuple[int, str]], *, with_expiry: bool = False) -> dict:
    if not keys:
        return {}
    by_item = defaultdict(list)
    for item_id, number in keys:
        by_item[item_id].append(number)
    condition = Q(pk__in=[])
    for item_id, numbers in by_item.items():
        condition |= Q(item_id=item_id, number__any=numbers)
    rows = Lot.objects.filter(condition, company=company).values_list("item_id", "number", "id", "expiry_date")
    if with_expiry:
        return {(item_id, number): (lot_id, expiry) for item_id, number, lot_id, expiry in rows}
    return {(item_id, number): lot_id for item_id, number, lot_id, _ in rows}
