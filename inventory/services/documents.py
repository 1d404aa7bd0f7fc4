"""Stock documents: create, add lines, post, cancel a draft, reverse (posting the opposite moves)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import locks
from ..bulk import bulk_insert_rows
from ..exceptions import InvalidDocument, Problem
from ..models import (
    Allocation,
    Company,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    Item,
    Location,
    LocationKind,
    Lot,
    LotKind,
    MoveReason,
    NumberAssignment,
    Partner,
    Tracking,
)
from ..models.catalog import MAX_QUANTITY
from ..models.documents import KIND_PREFIX
from ..quantities import QUANTUM, ZERO, QuantityError, quantity_read
from .base import Actor, acting_user, draft_required
from .numbers import document_number_next
from .posting import MoveSpec, arrival_time, moves_post, number_required, quantity_too_large
from .setup import virtual_location

# (from, to) defaults per kind: a virtual kind, or None for "the caller names an internal location".
KIND_ENDS = {
    DocumentKind.RECEIPT: (LocationKind.SUPPLIER, None),
    DocumentKind.DELIVERY: (None, LocationKind.CUSTOMER),
    DocumentKind.TRANSFER: (None, None),
    DocumentKind.CUSTOMER_RETURN: (LocationKind.CUSTOMER, None),
    DocumentKind.SUPPLIER_RETURN: (None, LocationKind.SUPPLIER),
    DocumentKind.NUMBER_ASSIGNMENT: (None, None),
    # Work orders: components go to Production, finished goods come from it.
    DocumentKind.PRODUCTION_ISSUE: (None, LocationKind.PRODUCTION),
    DocumentKind.PRODUCTION_OUTPUT: (LocationKind.PRODUCTION, None),
}


@transaction.atomic
def document_create(
    *,
    company: Company,
    kind: str,
    user: Actor = None,
    from_location: Location | None = None,
    to_location: Location | None = None,
    partner: Partner | None = None,
    date: date | None = None,
    reference: str = "",
    notes: str = "",
) -> Document:
    """A draft document. Virtual ends default from the kind (a receipt comes from Supplier…).

    An adjustment names one internal location: ``to_location`` to add stock, ``from_location``
    to remove it; the other end is the Inventory adjustment location.
    """
    if kind not in DocumentKind.values:
        raise InvalidDocument(f"unknown document kind {kind!r}")
    if kind == DocumentKind.ADJUSTMENT:
        if (from_location is None) == (to_location is None):
            raise InvalidDocument("an adjustment names one location: where stock is added or where it is removed")
        adjustment = virtual_location(company, LocationKind.ADJUSTMENT)
        from_location = from_location or adjustment
        to_location = to_location or adjustment
    else:
        from_kind, to_kind = KIND_ENDS[kind]
        from_location = from_location or (virtual_location(company, from_kind) if from_kind else None)
        to_location = to_location or (virtual_location(company, to_kind) if to_kind else None)
        if kind == DocumentKind.NUMBER_ASSIGNMENT:
            to_location = to_location or from_location
            from_location = from_location or to_location
    _check_ends(company, kind, from_location, to_location, partner)
    return Document.objects.create(
        company=company,
        kind=kind,
        number=document_number_next(company_id=company.pk, prefix=KIND_PREFIX[kind]),
        from_location=from_location,
        to_location=to_location,
        partner=partner,
        date=date or timezone.localdate(),
        reference=reference,
        notes=notes,
        created_by=acting_user(user),
    )


def _check_ends(company, kind, from_location, to_location, partner) -> None:
    label = DocumentKind(kind).label.lower()
    if from_location is None or to_location is None:
        raise InvalidDocument(f"a {label} needs " + ("a source location" if from_location is None else "a destination location"))
    for loc in (from_location, to_location):
        if loc.company_id != company.pk:
            raise InvalidDocument(f"location {loc.code} belongs to another company")
    expected_from, expected_to = KIND_ENDS.get(kind, (None, None))
    if kind == DocumentKind.ADJUSTMENT:
        if from_location.is_virtual == to_location.is_virtual:
            raise InvalidDocument("an adjustment moves stock between one internal location and Inventory adjustment")
    else:
        for loc, expected, end in ((from_location, expected_from, "from"), (to_location, expected_to, "to")):
            if expected is None and loc.is_virtual:
                raise InvalidDocument(f"a {label} must go {end} an internal location, not {loc.code}")
            if expected is not None and loc.kind != expected:
                raise InvalidDocument(f"a {label} goes {end} {LocationKind(expected).label}, not {loc.code}")
    if kind == DocumentKind.TRANSFER and from_location.pk == to_location.pk:
        raise InvalidDocument("a transfer needs two different locations")
    if kind == DocumentKind.NUMBER_ASSIGNMENT and from_location.pk != to_location.pk:
        raise InvalidDocument("numbers are assigned to stock where it lies: one location")
    if partner is not None and partner.company_id != company.pk:
        raise InvalidDocument(f"partner {partner} belongs to another company")


@transaction.atomic
def document_line_add(
    *,
    document: Document,
    item: Item,
    quantity: Decimal,
    unit_cost: Decimal | None = None,
    lot_number: str = "",
    expiry_date: date | None = None,
) -> DocumentLine:
    document = locks.document_lock(document.pk)
    draft_required(document)
    try:
        quantity = quantity_read(quantity, check=False)  # line_problems says what else is wrong
    except QuantityError as error:
        raise InvalidDocument(f"{item.sku}: {error}") from None
    problems = line_problems(item=item, quantity=quantity, company=document.company, unit_cost=unit_cost)
    if problems:
        raise InvalidDocument(problems)
    last = document.lines.order_by("-position").values_list("position", flat=True).first() or 0
    line = DocumentLine.objects.create(
        company=document.company,
        document=document,
        position=last + 1,
        item=item,
        quantity=quantity,
        unit_cost=unit_cost,
        lot_number=lot_number.strip(),
        expiry_date=expiry_date,
    )
    document_totals_add(document_id=document.pk, lines=1, quantity=quantity)
    return line


def document_totals_add(*, document_id: int, lines: int, quantity: Decimal) -> None:
    """Add to a document's line count and total quantity; its caller holds the document's lock."""
    Document.objects.filter(pk=document_id).update(line_count=F("line_count") + lines, total_quantity=F("total_quantity") + quantity)


@transaction.atomic
def document_totals_rebuild(*, company: Company) -> None:
    """Every document's line count and total quantity made again from its lines: for lines
    written around the services (the benchmark's bulk data)."""
    lines = DocumentLine.objects.filter(document=OuterRef("pk")).order_by().values("document")
    Document.objects.filter(company=company).update(
        line_count=Coalesce(Subquery(lines.annotate(n=Count("pk")).values("n")), Value(0)),
        total_quantity=Coalesce(Subquery(lines.annotate(t=Sum("quantity")).values("t")), Value(Decimal(0))),
    )


def line_problems(*, item: Item, quantity: Decimal, company: Company, unit_cost: Decimal | None = None) -> list[Problem]:
    problems = []
    if item.company_id != company.pk:
        problems.append(Problem(f"{item.sku} belongs to another company"))
    if not item.is_stocked:
        problems.append(Problem(f"{item.sku} is a lookup item and holds no stock"))
    if quantity is None or not quantity.is_finite() or quantity <= 0:
        problems.append(Problem(f"{item.sku}: quantity must be more than zero"))
    elif quantity > MAX_QUANTITY:
        problems.append(Problem(f"{item.sku}: {quantity_too_large(quantity)}"))
    elif quantity != quantity.quantize(QUANTUM):
        problems.append(Problem(f"{item.sku}: quantity {quantity} has more than 4 decimal places"))
    elif item.is_serial and quantity != quantity.to_integral_value():
        problems.append(Problem(f"{item.sku} is serial-numbered: the quantity must be whole units, not {quantity}"))
    if unit_cost is not None and unit_cost < 0:
        problems.append(Problem(f"{item.sku}: the unit cost cannot be negative"))
    return problems


@transaction.atomic
def document_post(*, document: Document, user: Actor = None, auto_allocate: bool = False) -> Document:
    """Post a draft: every line's moves in one atomic change, or nothing and a domain error.

    ``auto_allocate``: numbers a line still lacks are proposed by its class's issue method (or
    generated, on receipts) as part of posting, without storing allocations first.
    """
    from .proposal import line_proposal

    document = locks.document_lock(document.pk)
    draft_required(document)
    lines = list(document.lines.select_related("item__lot_class", "item__company").order_by("position"))
    if not lines:
        raise InvalidDocument(f"{document.number} has no lines")
    allocations: dict[int, list[AllocationRow]] = defaultdict(list)
    for row in Allocation.objects.filter(document=document).order_by("id").values(*AllocationRow.__slots__):
        allocations[row["line_id"]].append(AllocationRow(**row))
    problems: list[Problem] = []
    notes: dict[int, str] = {}
    if auto_allocate:
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

    new_lots, created = _lots_ensure(document, lines, allocations, user)
    specs = []
    for line in lines:
        specs += _line_specs(line, allocations[line.pk], new_lots, document, problems, proposed=auto_allocate, note=notes.get(line.pk, ""))
    if problems:
        raise InvalidDocument(problems)
    moves_post(
        company=document.company,
        specs=specs,
        reason=document.reason,
        user=user,
        document=document,
        new_lot_ids=created,
        on=document.date,
    )
    document.status = DocumentStatus.POSTED
    document.posted_at = timezone.now()
    document.posted_by = acting_user(user)
    document.save(update_fields=["status", "posted_at", "posted_by"])
    return document


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


def _line_specs(line, allocs, new_lots, document, problems, *, proposed: bool = False, note: str = "") -> list[MoveSpec]:
    from .allocation import RETURN_KINDS

    from_location, to_location = document.from_location, document.to_location
    item = line.item
    incoming = from_location.is_virtual
    relabel = from_location.pk == to_location.pk
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
    what = "serial numbers" if item.is_serial else "lot numbers"
    if remainder > 0 and document.kind in RETURN_KINDS:
        problems.append(
            Problem(
                f"{item.sku}: {remainder.normalize():f} of {line.quantity.normalize():f} returned have no {what}: "
                "name what comes back in Numbers… (a return takes the numbers named on it)",
                line=pos,
            )
        )
    elif remainder > 0:
        missing = _missing_when_received(line, item, allocs) if incoming else None
        if missing:
            problems.append(Problem(f"{missing}, or give its {what} in Numbers…, before posting", line=pos))
        elif incoming:
            specs.append(MoveSpec(quantity=remainder, **base))  # unassigned: numbered later
        elif proposed and not relabel:
            # The issue method already took everything it could: what is left is a shortage.
            available = allocated.normalize()
            problems.append(
                Problem(
                    f"not enough {item.sku} at {from_location.code} to take by the issue method: "
                    f"needed {line.quantity.normalize():f}, available {available:f} (short by {remainder.normalize():f})"
                    + (f"; {note}" if note else ""),
                    line=pos,
                )
            )
        else:
            verb = "numbered" if relabel else "allocated"
            problems.append(
                Problem(f"{item.sku}: {remainder.normalize():f} of {line.quantity.normalize():f} have no {what} {verb} yet", line=pos)
            )
    return specs


def _missing_when_received(line, item, allocs) -> str | None:
    """What stops numbers being given on receipt to a class that numbers stock when received.

    Its stock must not come in unnumbered for want of an expiry or a lot (only the batch size may
    leave a remainder for later): posting asks for it instead.
    """
    from .allocation import _Context
    from .proposal import _missing_receipt_data

    if item.lot_class.assignment != NumberAssignment.WHEN_RECEIVED:
        return None
    # What the numbers already on the line carry counts too (the dialog's expiry and lot).
    expiry = line.expiry_date or next((a.expiry_date for a in allocs if a.expiry_date), None)
    parent = line.lot_number or next((a.parent_number for a in allocs if a.parent_number), "")
    ctx = _Context(line, item, line.document, {}, set(), ZERO, expiry, parent, item.is_serial)
    return _missing_receipt_data(ctx)


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


def _lots_ensure(document, lines, allocations, user: Actor) -> tuple[dict[tuple[int, str], int], set[int]]:
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
    now = timezone.now()
    user_id = acting_user(user).pk if acting_user(user) else None
    reference = document.reference[:120]
    arrives = not document.to_location.is_virtual
    serial_state = (True, document.to_location.pk) if arrives else (False, document.from_location.pk)
    received_at = arrival_time(document.date, now) if arrives else None

    def lot_row(item, number, kind, expiry, line, parent_id=None):
        cost = line.unit_cost if line.unit_cost is not None else item.unit_cost
        in_stock, last_location = serial_state if kind == LotKind.SERIAL else (False, None)
        return (
            company.pk,
            item.pk,
            number,
            kind,
            parent_id,
            expiry,
            cost,
            reference,
            "",
            "active",
            "",
            in_stock,
            last_location,
            received_at,
            now,
            user_id,
        )

    parent_ids, parent_expiry = {}, {}
    if parents:
        bulk_insert_rows(
            Lot,
            LOT_INSERT_FIELDS,
            [lot_row(item, number, LotKind.LOT, expiry, line) for (_, number), (item, expiry, line) in sorted(parents.items())],
            ignore_conflicts=True,
        )
        for (item_id, number), (lot_id, expiry) in _lots_fetch(company, parents.keys(), with_expiry=True).items():
            parent_ids[(item_id, number)], parent_expiry[(item_id, number)] = lot_id, expiry
    rows = []
    kinds = {item_id: (LotKind.SERIAL if item.is_serial else LotKind.LOT) for (item_id, _), (item, *_) in wanted.items()}
    for (item_id, number), (item, a, line, parent_number) in sorted(wanted.items(), key=lambda kv: kv[0]):
        parent_key = (item_id, parent_number)
        kind = kinds[item_id]
        expiry = parent_expiry.get(parent_key) or a.expiry_date or line.expiry_date
        rows.append(lot_row(item, number, kind, expiry, line, parent_ids.get(parent_key)))
    inserted = bulk_insert_rows(Lot, LOT_INSERT_FIELDS, rows, ignore_conflicts=True, returning=["id", "item", "number"])
    found = {(item_id, number): lot_id for lot_id, item_id, number in inserted}
    # Numbers that already existed (another receipt got there first, or stock coming back).
    found.update(_lots_fetch(company, [key for key in wanted if key not in found]))
    return found, {lot_id for lot_id, _, _ in inserted}


def _lots_fetch(company, keys, *, with_expiry: bool = False) -> dict:
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


@transaction.atomic
def document_cancel(*, document: Document, user: Actor = None) -> Document:
    """Cancel a draft, or reverse a posted document: whichever its status is under its lock.

    For callers that undo whatever state a document is in (work orders); a page the user
    confirmed for one of the two calls ``document_cancel_draft`` or ``document_reverse``.
    """
    document = locks.document_lock(document.pk)
    if document.status == DocumentStatus.DRAFT:
        return document_cancel_draft(document=document, user=user)
    return document_reverse(document=document, user=user)


@transaction.atomic
def document_cancel_draft(*, document: Document, user: Actor = None) -> Document:
    """Mark a draft cancelled (what it allocated is free again); refused once it is posted.

    The status is read under the document's lock, so a post at the same moment either went
    first (and this refuses) or waits and finds the draft cancelled.
    """
    document = locks.document_lock(document.pk)
    if document.status == DocumentStatus.POSTED:
        raise InvalidDocument(f"{document.number} is already posted — reverse it instead")
    if document.status != DocumentStatus.DRAFT:
        raise InvalidDocument(f"{document.number} is already {document.get_status_display().lower()}")
    document.status = DocumentStatus.CANCELLED
    document.save(update_fields=["status"])
    return document


@transaction.atomic
def document_reverse(*, document: Document, user: Actor = None) -> Document:
    """Reverse a posted document by posting the exact opposite moves; a draft is refused."""
    document = locks.document_lock(document.pk)
    if document.status == DocumentStatus.DRAFT:
        raise InvalidDocument(f"{document.number} is a draft, not posted: nothing to reverse (cancel the draft instead)")
    if document.status != DocumentStatus.POSTED:
        raise InvalidDocument(f"{document.number} is already {document.get_status_display().lower()}")
    originals = list(
        document.moves.filter(reverses__isnull=True, reason=document.reason)
        .select_related("item__lot_class", "item__company", "from_location", "to_location", "line")
        .order_by("-id")
    )
    specs = [
        MoveSpec(
            item=m.item,
            quantity=m.quantity,
            from_location=m.to_location,
            to_location=m.from_location,
            from_lot_id=m.to_lot_id,
            to_lot_id=m.from_lot_id,
            unit_cost=m.unit_cost,
            line_id=m.line_id,
            line_position=m.line.position if m.line_id else None,
            reverses=m,
        )
        for m in originals
    ]
    moves_post(company=document.company, specs=specs, reason=MoveReason.REVERSAL, user=user, document=document)
    document.status = DocumentStatus.REVERSED
    document.reversed_at = timezone.now()
    document.reversed_by = acting_user(user)
    document.save(update_fields=["status", "reversed_at", "reversed_by"])
    return document
