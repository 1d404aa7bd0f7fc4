"""Changing a draft document: its header and its lines. Posted documents never change."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from .. import locks
from ..exceptions import InvalidDocument, InventoryError, Problem
from ..models import Allocation, Company, Document, DocumentKind, DocumentLine, Item, Location, LocationKind, Partner
from ..quantities import ZERO, QuantityError, quantity_read
from .base import Actor, document_totals_add, draft_required
from .documents import document_create, document_line_add, ends_check, line_problems
from .setup import virtual_location


@transaction.atomic
def document_update(
    *,
    document: Document,
    from_location: Location | None = None,
    to_location: Location | None = None,
    partner: Partner | None = None,
    date: date | None = None,
    reference: str = "",
    notes: str = "",
) -> tuple[Document, int]:
    """Change a draft's header. Returns the document and how many allocations were dropped.

    Allocations name a location; when the location they take from (or bring to) changes,
    they no longer hold and are removed, so the clerk allocates again at the new place.
    """
    document = locks.document_lock(document.pk)
    draft_required(document)
    company = document.company
    if document.kind == DocumentKind.ADJUSTMENT:
        if (from_location is None) == (to_location is None):
            raise InvalidDocument("an adjustment names one location: where stock is added or where it is removed")
        adjustment = virtual_location(company, LocationKind.ADJUSTMENT)
        from_location = from_location or adjustment
        to_location = to_location or adjustment
    from_location = from_location or document.from_location
    to_location = to_location or document.to_location
    for location in (from_location, to_location):
        if location.company_id != company.pk:
            raise InvalidDocument(f"{location} belongs to another company")
    if partner is not None and partner.company_id != company.pk:
        raise InvalidDocument(f"{partner} belongs to another company")
    ends_check(company, document.kind, from_location, to_location, partner)
    moved = from_location.pk != document.from_location_id or to_location.pk != document.to_location_id
    dropped = 0
    if moved:
        dropped, _ = Allocation.objects.filter(document=document).delete()
    document.from_location = from_location
    document.to_location = to_location
    document.partner = partner
    document.date = date or document.date
    document.reference = reference
    document.notes = notes
    document.save(update_fields=["from_location", "to_location", "partner", "date", "reference", "notes"])
    return document, dropped


@transaction.atomic
def document_line_update(
    *,
    line: DocumentLine,
    item: Item,
    quantity: Decimal,
    unit_cost: Decimal | None = None,
    lot_number: str = "",
    expiry_date: date | None = None,
) -> DocumentLine:
    """Change a draft line. A new item drops the line's allocations; a quantity below what is
    allocated is refused, so no number silently falls off the line."""
    document = locks.document_lock(line.document_id)
    draft_required(document)
    line = locks.line_lock(line.pk)
    try:
        quantity = quantity_read(quantity, check=False)  # line_problems says what else is wrong
    except QuantityError as error:
        raise InvalidDocument(Problem(str(error), line=line.position)) from None
    problems = line_problems(item=item, quantity=quantity, company=document.company, unit_cost=unit_cost)
    if problems:
        raise InvalidDocument([Problem(p.message, line=line.position) for p in problems])
    if item.pk != line.item_id:
        line.allocations.all().delete()
    else:
        allocated = line.allocations.aggregate(total=Sum("quantity"))["total"] or ZERO
        if quantity < allocated:
            raise InvalidDocument(
                Problem(
                    f"{allocated.normalize():f} are already allocated; remove allocations before lowering the quantity",
                    line=line.position,
                )
            )
        if lot_number.strip() != line.lot_number or expiry_date != line.expiry_date:
            # New numbers carry the lot and expiry they were generated with; they would no longer match.
            line.allocations.filter(lot__isnull=True).delete()
    document_totals_add(document_id=document.pk, lines=0, quantity=quantity - line.quantity)
    line.item = item
    line.quantity = quantity
    line.unit_cost = unit_cost
    line.lot_number = lot_number.strip()
    line.expiry_date = expiry_date
    line.save(update_fields=["item", "quantity", "unit_cost", "lot_number", "expiry_date"])
    return line


@transaction.atomic
def document_line_remove(*, line: DocumentLine) -> None:
    """Remove a draft line and what it had allocated."""
    document = locks.document_lock(line.document_id)
    draft_required(document)
    Allocation.objects.filter(line_id=line.pk).delete()
    removed = DocumentLine.objects.filter(pk=line.pk).values_list("quantity", flat=True).first()
    if removed is not None:
        DocumentLine.objects.filter(pk=line.pk).delete()
        document_totals_add(document_id=document.pk, lines=-1, quantity=-removed)


@dataclass(frozen=True)
class LineChange:
    """One row of a draft's form: an existing line (``line_id``) changed or removed, or a new
    line (``line_id`` None) added with ``values`` (``document_line_add``'s arguments). ``key`` is
    the caller's handle for the row (its form), given back with the row's problems."""

    key: object
    line_id: int | None = None
    remove: bool = False
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DraftSaved:
    """What ``document_draft_save`` did: the draft (None when refused), the problems by row key
    (None: the header's), and how many allocations a changed location dropped."""

    document: Document | None
    problems: dict[object, list[str]]
    dropped: int = 0

    @property
    def refused(self) -> bool:
        return self.document is None


def document_draft_save(
    *,
    company: Company,
    kind: str,
    document: Document | None,
    header: dict,
    changes: list[LineChange],
    user: Actor = None,
) -> DraftSaved:
    """Create a draft (``document`` None) or change one: its header, then each changed row. One
    savepoint for all of it: any problem leaves everything as it was, and every problem found is
    returned beside the row it concerns (a row whose line was removed elsewhere says so)."""
    problems: dict[object, list[str]] = {}
    dropped = 0
    with transaction.atomic():
        try:
            if document is None:
                document = document_create(company=company, kind=kind, user=user, **header)
            else:
                document, dropped = document_update(document=document, **header)
        except InventoryError as error:
            transaction.set_rollback(True)
            return DraftSaved(None, {None: [str(p) for p in error.problems]})
        existing = {line.pk: line for line in DocumentLine.objects.filter(document=document)}
        for change in changes:
            line = existing.get(change.line_id)
            if change.line_id and line is None:
                problems[change.key] = ["This line no longer exists; it was removed elsewhere."]
                continue
            try:
                if change.remove:
                    if line is not None:
                        document_line_remove(line=line)
                elif line is not None:
                    document_line_update(line=line, **change.values)
                else:
                    document_line_add(document=document, **change.values)
            except InventoryError as error:
                problems[change.key] = [p.message for p in error.problems]
        if problems:
            transaction.set_rollback(True)
            return DraftSaved(None, problems)
    return DraftSaved(document, {}, dropped)
