"""Lot-level services: holds, and numbering unassigned stock."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from ..exceptions import InvalidDocument, Problem
from ..models import Document, DocumentKind, Item, Location, Lot, LotHoldEvent, LotStatus
from .allocation import line_allocate
from .documents import document_create, document_line_add, document_post


def _hold_events(lots, action: str, reason: str, user) -> None:
    LotHoldEvent.objects.bulk_create(
        LotHoldEvent(company_id=lot.company_id, lot=lot, action=action, reason=reason, created_by=_user(user)) for lot in lots
    )


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


@transaction.atomic
def lots_hold(*, lot_ids: Iterable[int], reason: str, user=None) -> list[Lot]:
    """Put lots/serials on hold: none can be issued anywhere until released. Each hold is
    recorded with the user and the time; lots already on hold or archived are left as they are.
    Returns the lots this call put on hold."""
    reason = reason.strip()[:200]
    if not reason:
        raise InvalidDocument("give the reason for the hold")
    # Lots are locked in primary-key order, as everywhere (inventory/locks.py).
    lots = list(Lot.objects.select_for_update().filter(pk__in=list(lot_ids), status=LotStatus.ACTIVE).order_by("pk"))
    Lot.objects.filter(pk__in=[lot.pk for lot in lots]).update(status=LotStatus.ON_HOLD, hold_reason=reason)
    for lot in lots:
        lot.status, lot.hold_reason = LotStatus.ON_HOLD, reason
    _hold_events(lots, LotHoldEvent.Action.HOLD, reason, user)
    return lots


def lot_hold(*, lot: Lot, reason: str, user=None) -> Lot:
    """Put one lot/serial on hold (see ``lots_hold``)."""
    lots_hold(lot_ids=[lot.pk], reason=reason, user=user)
    return Lot.objects.get(pk=lot.pk)


@transaction.atomic
def lot_release(*, lot: Lot, user=None, reason: str = "") -> Lot:
    """Release a hold: the lot can be issued again. Recorded with the user and the time."""
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status != LotStatus.ON_HOLD:
        return lot  # nothing to release, nothing to record
    lot.status = LotStatus.ACTIVE
    lot.hold_reason = ""
    lot.save(update_fields=["status", "hold_reason"])
    _hold_events([lot], LotHoldEvent.Action.RELEASE, reason.strip()[:200], user)
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
    was = lot.status
    for name, value in changes.items():
        setattr(lot, name, value)
    if changes.get("status") == LotStatus.ACTIVE:
        lot.hold_reason = ""
        changes["hold_reason"] = ""
    if changes:
        lot.save(update_fields=list(changes))
    if lot.status != was and LotStatus.ON_HOLD in (was, lot.status):
        action = LotHoldEvent.Action.HOLD if lot.status == LotStatus.ON_HOLD else LotHoldEvent.Action.RELEASE
        _hold_events([lot], action, lot.hold_reason, user)
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
    parent_number: str = "",
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
    outcome = line_allocate(
        line=line, numbers=entries, quantity=None if item.is_serial else total, expiry_date=expiry_date,
        parent_number=parent_number, user=user,
    )
    if outcome.rejected:
        raise InvalidDocument([Problem(r.reason, line=1, number=r.number) for r in outcome.rejected])
    return document_post(document=document, user=user)
