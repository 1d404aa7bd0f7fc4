"""Lot-level services: holds, and numbering unassigned stock."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from .. import locks
from ..bulk import bulk_update_rows, filter_in_chunks
from ..exceptions import InvalidDocument, Problem
from ..models import Balance, Document, DocumentKind, Item, Location, Lot, LotHoldEvent, LotStatus, Tracking
from ..selectors import unnumbered_available
from .allocation import line_allocate
from .base import Actor, acting_user
from .document_posting import document_post
from .documents import document_create, document_line_add
from .summaries import expiry_summaries_add


def _hold_events(lots: Iterable[Lot], action: str, reason: str, user: Actor) -> None:
    LotHoldEvent.objects.bulk_create(
        LotHoldEvent(company_id=lot.company_id, lot=lot, action=action, reason=reason, created_by=acting_user(user)) for lot in lots
    )


@transaction.atomic
def lots_hold(*, lot_ids: Iterable[int], reason: str, user: Actor = None) -> list[Lot]:
    """Put lots/serials on hold: none can be issued anywhere until released. Each hold is
    recorded with the user and the time; lots already on hold or archived are left as they are.
    Returns the lots this call put on hold."""
    reason = reason.strip()[:200]
    if not reason:
        raise InvalidDocument("give the reason for the hold")
    lots = locks.lot_rows_lock(lot_ids, status=LotStatus.ACTIVE)
    Lot.objects.filter(pk__in=[lot.pk for lot in lots]).update(status=LotStatus.ON_HOLD, hold_reason=reason)
    for lot in lots:
        lot.status, lot.hold_reason = LotStatus.ON_HOLD, reason
    _hold_events(lots, LotHoldEvent.Action.HOLD, reason, user)
    return lots


def lot_hold(*, lot: Lot, reason: str, user: Actor = None) -> Lot:
    """Put one lot/serial on hold (see ``lots_hold``)."""
    lots_hold(lot_ids=[lot.pk], reason=reason, user=user)
    return Lot.objects.get(pk=lot.pk)


@transaction.atomic
def lot_release(*, lot: Lot, user: Actor = None, reason: str = "") -> Lot:
    """Release a hold: the lot can be issued again. Recorded with the user and the time."""
    lot = locks.lot_lock(lot.pk)
    if lot.status != LotStatus.ON_HOLD:
        return lot  # nothing to release, nothing to record
    lot.status = LotStatus.ACTIVE
    lot.hold_reason = ""
    lot.save(update_fields=["status", "hold_reason"])
    _hold_events([lot], LotHoldEvent.Action.RELEASE, reason.strip()[:200], user)
    return lot


LOT_EDITABLE_FIELDS = ("reference", "notes", "expiry_date", "status", "hold_reason")


@transaction.atomic
def lot_update(*, lot: Lot, user: Actor = None, **changes: object) -> Lot:
    """Change a lot's descriptive fields under its row lock.

    A lot's expiry is its serials' expiry (lot-and-serial items), so it reaches them too; going
    back to active clears the hold reason.
    """
    unknown = set(changes) - set(LOT_EDITABLE_FIELDS)
    if unknown:
        raise InvalidDocument(f"these lot fields are kept by the system and cannot be edited: {', '.join(sorted(unknown))}")
    lot = locks.lot_lock(lot.pk)
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
        lots_redate(company_id=lot.company_id, dates={lot.pk: lot.expiry_date})
    return lot


def lots_redate(*, company_id: int, dates: dict[int, date | None]) -> None:
    """Give lots, locked already, their new expiry dates (lot id → date): a lot's expiry is its
    serials' expiry (lot-and-serial items), so it reaches them too, and their balances carry it
    (the expiry report reads them by it), what they hold moving between the days of the expiry
    summaries. The balances are locked after the lots, as posting locks them, so no posting
    changes them between the read and the writes. A few statements for any number of lots."""
    if not dates:
        return
    owner = {lot_id: lot_id for lot_id in dates}
    serials = Lot.objects.order_by("pk").values_list("pk", "parent_id")
    owner.update((pk, parent) for pk, parent in filter_in_chunks(serials, "parent_id__any", list(dates)))
    bulk_update_rows(Lot, ["expiry_date"], [(pk, dates[parent]) for pk, parent in sorted(owner.items())])
    changes: dict[tuple, Decimal] = defaultdict(Decimal)
    balances = []
    for pk, lot_id, row in locks.balances_of_lots(owner):
        expiry = dates[owner[lot_id]]
        if row.quantity > 0:
            if row.expiry_date is not None:
                changes[(row.item_id, row.location_id, row.expiry_date)] -= row.quantity
            if expiry is not None:
                changes[(row.item_id, row.location_id, expiry)] += row.quantity
        balances.append((pk, expiry))
    bulk_update_rows(Balance, ["expiry_date"], balances)
    expiry_summaries_add(company_id=company_id, changes=changes)


MAX_ASSIGN = 100_000  # numbers in one assignment; a larger paste is refused before anything is judged


@dataclass(frozen=True)
class UnassignedGenerated:
    document: Document
    numbers: list[str]
    left: Decimal  # what the batch size left without a number at the location, to number later


@transaction.atomic
def unassigned_assign(
    *,
    item: Item,
    location: Location,
    numbers: str | Iterable[str],
    quantity: Decimal | None = None,
    user: Actor = None,
    expiry_date: date | None = None,
    parent_number: str = "",
) -> Document:
    """Number unassigned stock where it lies (seed 000: manual assignment of the excess).

    Posts a number-assignment document; every number must be accepted or nothing is written.
    ``quantity`` is each lot's (lot items); default, all the unnumbered stock there, for one lot.
    Refused numbers are problems naming the number, not the document's line: the caller never
    showed a line.
    """
    from ..numbering import parse_numbers

    entries = parse_numbers(numbers)
    if not entries:
        raise InvalidDocument("no numbers given")
    if len(entries) > MAX_ASSIGN:
        raise InvalidDocument(f"{len(entries):,} numbers given; at most {MAX_ASSIGN:,} at once")
    seen: set[str] = set()
    twice = [n for n in entries if n in seen or seen.add(n)]
    if twice:
        raise InvalidDocument([Problem("given more than once", number=n) for n in dict.fromkeys(twice)])
    _assign_needs(item=item, expiry_date=expiry_date, parent_number=parent_number)
    available = unnumbered_available(item=item, location=location)
    if item.is_serial:
        each = None
        total = Decimal(len(entries))
    else:
        each = available if quantity is None and len(entries) == 1 else quantity
        if each is None:
            raise InvalidDocument("give the quantity of each lot")
        total = Decimal(each) * len(entries)
        # Serials beyond the stock are refused one by one by line_allocate, naming each number.
        _within(item=item, location=location, wanted=total, available=available)
    return _assignment_post(
        item=item,
        location=location,
        numbers=entries,
        total=total,
        each=each,
        expiry_date=expiry_date,
        parent_number=parent_number,
        user=user,
    )


@transaction.atomic
def unassigned_generate(
    *,
    item: Item,
    location: Location,
    quantity: Decimal | None = None,
    user: Actor = None,
    expiry_date: date | None = None,
    parent_number: str = "",
) -> UnassignedGenerated:
    """Number unassigned stock where it lies from the class's template, in one posting.

    Serials: one number per unnumbered unit, at most the class's batch size; the rest stays
    unassigned (``left``). Lots: one lot number for ``quantity`` (default, all of it). The counter
    is taken in this transaction, so a refusal gives its numbers back.
    """
    from .numbers import numbers_generate

    _assign_needs(item=item, expiry_date=expiry_date, parent_number=parent_number)
    available = unnumbered_available(item=item, location=location)
    wanted = Decimal(int(available)) if item.is_serial else (available if quantity is None else Decimal(quantity))
    _within(item=item, location=location, wanted=wanted, available=available)
    if wanted <= 0:
        raise InvalidDocument(f"no unit of {item.sku} at {location.code} is waiting for a number")
    generated = numbers_generate(item=item, count=int(wanted) if item.is_serial else 1)
    if not generated.numbers:
        raise InvalidDocument(f"the class {item.lot_class.code} generates no numbers (batch size {item.lot_class.batch_size})")
    total = Decimal(len(generated.numbers)) if item.is_serial else wanted
    document = _assignment_post(
        item=item,
        location=location,
        numbers=generated.numbers,
        total=total,
        each=None if item.is_serial else wanted,
        expiry_date=expiry_date,
        parent_number=parent_number,
        user=user,
    )
    return UnassignedGenerated(document=document, numbers=generated.numbers, left=available - total)


def _assign_needs(*, item: Item, expiry_date: date | None, parent_number: str) -> None:
    """What new numbers must carry: the lot of lot-and-serial items, the expiry the class tracks."""
    if item.tracking == Tracking.LOT_AND_SERIAL and not parent_number.strip():
        raise InvalidDocument(f"{item.sku} carries lot and serial numbers: give the lot number")
    if item.lot_class is not None and item.lot_class.track_expiry and expiry_date is None:
        parent_dated = (
            item.tracking == Tracking.LOT_AND_SERIAL
            and Lot.objects.filter(item=item, number=parent_number.strip(), expiry_date__isnull=False).exists()
        )
        if not parent_dated:
            raise InvalidDocument(f"{item.sku} tracks expiration dates: give the expiration date")


def _within(*, item: Item, location: Location, wanted: Decimal, available: Decimal) -> None:
    # Checked again under the item's lock by line_allocate; this one names the quantity plainly.
    if wanted > available:
        raise InvalidDocument(
            f"only {max(available, Decimal(0)).normalize():f} of {item.sku} at {location.code} carry no number; "
            f"{wanted.normalize():f} is more"
        )


def _assignment_post(
    *,
    item: Item,
    location: Location,
    numbers: list[str],
    total: Decimal,
    each: Decimal,
    expiry_date: date | None,
    parent_number: str,
    user: Actor,
) -> Document:
    document = document_create(company=item.company, kind=DocumentKind.NUMBER_ASSIGNMENT, user=user, from_location=location)
    line = document_line_add(document=document, item=item, quantity=total)
    outcome = line_allocate(
        line=line,
        numbers=numbers,
        quantity=each,
        expiry_date=expiry_date,
        parent_number=parent_number,
        user=user,
    )
    if outcome.rejected:
        raise InvalidDocument([Problem(r.reason, number=r.number) for r in outcome.rejected])
    return document_post(document=document, user=user)
