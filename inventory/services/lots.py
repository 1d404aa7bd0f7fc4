"""Lot-level services: holds, and numbering unassigned stock."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from ..exceptions import InvalidDocument, Problem
from ..models import Document, DocumentKind, Item, Location, Lot, LotStatus
from .allocation import line_allocate
from .documents import document_create, document_line_add, document_post


@transaction.atomic
def lot_hold(*, lot: Lot, reason: str, user=None) -> Lot:
    """Put a lot/serial on hold: it cannot be issued anywhere until released."""
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    lot.status = LotStatus.ON_HOLD
    lot.hold_reason = reason.strip()[:200]
    lot.save(update_fields=["status", "hold_reason"])
    return lot


@transaction.atomic
def lot_release(*, lot: Lot, user=None) -> Lot:
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    lot.status = LotStatus.ACTIVE
    lot.hold_reason = ""
    lot.save(update_fields=["status", "hold_reason"])
    return lot


LOT_EDITABLE_FIELDS = ("reference", "notes", "expiry_date", "status", "hold_reason")


@transaction.atomic
def lot_update(*, lot: Lot, user=None, **changes) -> Lot:
    """Change a lot's descriptive fields under its row lock.

    A lot's expiry is its serials' expiry (lot-and-serial items), so it reaches them too; going
    back to active clears the hold reason.
    """
    unknown = set(changes) - set(LOT_EDITABLE_FIELDS)
    if unknown:
        raise InvalidDocument(f"these lot fields are kept by the system and cannot be edited: {', '.join(sorted(unknown))}")
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    for name, value in changes.items():
        setattr(lot, name, value)
    if changes.get("status") == LotStatus.ACTIVE:
        lot.hold_reason = ""
        changes["hold_reason"] = ""
    if changes:
        lot.save(update_fields=list(changes))
    if "expiry_date" in changes:
        Lot.objects.filter(parent=lot).update(expiry_date=lot.expiry_date)
    return lot


@transaction.atomic
def unassigned_assign(
    *,
    item: Item,
    location: Location,
    numbers: str | Iterable[str],
    quantity: Decimal | None = None,
    user=None,
    expiry_date=None,
) -> Document:
    """Number unassigned stock where it lies (seed 000: manual assignment of the excess).

    Posts a number-assignment document; every number must be accepted or nothing is written.
    """
    from ..numbering import parse_numbers

    entries = parse_numbers(numbers)
    if not entries:
        raise InvalidDocument("no numbers given")
    total = Decimal(len(entries)) if item.is_serial else Decimal(quantity or 0)
    document = document_create(company=item.company, kind=DocumentKind.NUMBER_ASSIGNMENT, user=user, from_location=location)
    line = document_line_add(document=document, item=item, quantity=total)
    outcome = line_allocate(line=line, numbers=entries, quantity=None if item.is_serial else total, expiry_date=expiry_date, user=user)
    if outcome.rejected:
        raise InvalidDocument([Problem(r.reason, line=1, number=r.number) for r in outcome.rejected])
    return document_post(document=document, user=user)
