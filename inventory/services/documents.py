"""Stock documents: create, add lines, post, cancel a draft, reverse (posting the opposite moves)."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import locks
from ..exceptions import InvalidDocument, Problem
from ..models import (
    Company,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    Item,
    Location,
    LocationKind,
    MoveReason,
    Partner,
)
from ..models.catalog import MAX_QUANTITY
from ..models.documents import KIND_PREFIX
from ..quantities import QUANTUM, QuantityError, quantity_read
from .base import Actor, acting_user, document_totals_add, draft_required
from .moves import MoveSpec, quantity_too_large
from .numbers import document_number_next
from .pending import pending_numbers_release
from .posting import moves_post
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
    ends_check(company, kind, from_location, to_location, partner)
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


def ends_check(company: Company, kind: str, from_location: Location, to_location: Location, partner: Partner | None) -> None:
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
    released = pending_numbers_release(document_id=document.pk)
    moves_post(company=document.company, specs=specs, reason=MoveReason.REVERSAL, user=user, document=document, awaiting=released)
    document.status = DocumentStatus.REVERSED
    document.reversed_at = timezone.now()
    document.reversed_by = acting_user(user)
    document.save(update_fields=["status", "reversed_at", "reversed_by"])
    return document
