"""Lot/serial records as the Lots/Serial Numbers pages (seed 002) change them: create, edit,
archive, restore and delete.

Stock never appears without a move: a new lot with a quantity is posted as an inventory
adjustment through inventory's document services, which create the lot as they post. Only a lot
created without stock (and its lot, for a lot-and-serial item) is written here directly. Holds
and edits go through the lot services (lots.py), which record every hold and release with the
user and the time.
"""

from datetime import date
from decimal import Decimal
from typing import NoReturn

from django.db import transaction
from django.db.models import ProtectedError

from .. import locks
from ..exceptions import LotRefused, NumberingError
from ..models import Company, DocumentKind, Item, Location, LocationKind, Lot, LotKind, LotStatus, Tracking
from ..quantities import ONE, ZERO, QuantityError, quantity_read
from ..selectors import lot_usage
from .allocation import line_allocate
from .base import Actor, acting_user
from .document_posting import document_post
from .documents import document_create, document_line_add
from .lots import lot_release, lot_update, lots_hold
from .moves import number_required
from .numbers import number_shape, numbers_generate, numbers_taken
from .setup import virtual_location

MAX_NUMBER = Lot._meta.get_field("number").max_length


def _refuse(field: str | None, message: str) -> NoReturn:
    raise LotRefused({field: [message]})


# Create ---------------------------------------------------------------------------------------


@transaction.atomic
def lot_create(
    *,
    company: Company,
    item: Item,
    number: str = "",
    quantity: Decimal = ZERO,
    location: Location | None = None,
    reference: str = "",
    notes: str = "",
    expiry_date: date | None = None,
    parent_number: str = "",
    user: Actor = None,
) -> Lot:
    """A new lot/serial number of ``item``; with a quantity, its stock at ``location``.

    A blank ``number`` takes the next one from the item's numbering template, inside this
    transaction, so a refused form never uses up a number. Every reason to refuse is raised as
    ``LotRefused`` at once, keyed by field.
    """
    number = number.strip()
    parent_number = parent_number.strip() if item.tracking == Tracking.LOT_AND_SERIAL else ""
    quantity = _quantity(quantity)
    errors = _create_problems(company, item, number, quantity, location, expiry_date, parent_number)
    if errors:
        raise LotRefused(errors)
    if quantity > 0:
        lot = _create_with_stock(company, item, number, quantity, location, reference, expiry_date, parent_number, user)
        return lot_update(lot=lot, user=user, notes=notes) if notes else lot
    return _create_record(company, item, number, reference, notes, expiry_date, parent_number, user)


def _quantity(value: object) -> Decimal:
    try:
        return quantity_read(value, zero=True)
    except QuantityError as error:
        _refuse("quantity", f"{str(error)[0].upper()}{str(error)[1:]}.")


def _create_problems(
    company: Company, item: Item, number: str, quantity: Decimal | None, location: Location, expiry_date: date | None, parent_number: str
) -> dict[str | None, list[str]]:
    errors: dict[str | None, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not company.tracking_enabled:
        add(None, f"Lot/serial tracking is not enabled for {company.name}.")
    if item.company_id != company.pk:
        add("item", "Choose a product of this company.")
        return errors
    if not item.is_tracked:
        add("item", f"{item.sku} is not tracked by lot or serial number.")
        return errors
    if item.is_serial and quantity not in (ZERO, ONE):
        add("quantity", "A serial number is one unit: enter 1, or 0 to record the number without stock.")
    if quantity > 0:
        if location is None:
            add("location", "Choose where the stock is.")
        elif location.company_id != company.pk or location.kind != LocationKind.INTERNAL:
            add("location", "Choose one of this company's own locations.")
        elif not number_required(item, virtual_location(company, LocationKind.ADJUSTMENT), location):
            add(
                "quantity",
                f"{item.sku} records numbers only on some moves (its serial scope): create it with quantity 0 and receive its stock.",
            )
    if len(number) > MAX_NUMBER:
        add("number", f"At most {MAX_NUMBER} characters.")
    elif number:
        # A typed number has the class's shape, as everywhere a number is typed or scanned.
        shape = number_shape(item=item)
        problem = shape.problem(number) if shape is not None else None
        if problem:
            add("number", f"{number} {problem}.")
    lot_and_serial = item.tracking == Tracking.LOT_AND_SERIAL
    parent = None
    if lot_and_serial:
        if not parent_number:
            add("parent_number", f"{item.sku} carries lot and serial numbers: give the lot this serial belongs to.")
        elif parent_number == number:
            add("number", "A serial number must differ from its lot number.")
        else:
            parent = Lot.objects.filter(company=company, item=item, number=parent_number).first()
            if parent is not None and parent.kind != LotKind.LOT:
                add("parent_number", f"{parent_number} is a serial number of {item.sku}, not a lot.")
    if item.lot_class.track_expiry and expiry_date is None and not (parent and parent.expiry_date):
        add("expiry_date", f"{item.sku} tracks expiration dates: give the expiration date.")
    if number and "number" not in errors:
        problem = _number_problem(item, number)
        if problem:
            add("number", problem)
    return errors


def _number_problem(item: Item, number: str) -> str | None:
    if Lot.objects.filter(company_id=item.company_id, item=item, number=number).exists():
        return f"{number} already exists for {item.sku}."
    if numbers_taken(item=item, numbers=[number]):
        return f"{number} is already entered on a draft document for {item.sku}."
    return None


def _number_claim(item: Item, number: str) -> str:
    """The typed number, checked again under the item's lock, or the next generated one."""
    if number:
        problem = _number_problem(item, number)
        if problem:
            _refuse("number", problem)
        return number
    try:
        generated = numbers_generate(item=item, count=1).numbers
    except NumberingError as error:
        _refuse("number", f"Type a number: {item.sku}'s numbering cannot make one ({error}).")
    return generated[0]


def _create_with_stock(
    company: Company,
    item: Item,
    number: str,
    quantity: Decimal | None,
    location: Location,
    reference: str,
    expiry_date: date | None,
    parent_number: str,
    user: Actor,
) -> Lot:
    """Post the opening quantity as an adjustment into ``location``; posting creates the lot."""
    document = document_create(
        company=company,
        kind=DocumentKind.ADJUSTMENT,
        to_location=location,
        user=user,
        reference=reference,
        notes="Opening quantity of a new lot/serial number",
    )
    line = document_line_add(document=document, item=item, quantity=quantity, lot_number=parent_number, expiry_date=expiry_date)
    locks.item_lock(item.pk)  # document → item → counters: the global lock order
    number = _number_claim(item, number)
    outcome = line_allocate(
        line=line,
        numbers=[number],
        quantity=None if item.is_serial else quantity,
        expiry_date=expiry_date,
        parent_number=parent_number,
        user=user,
    )
    if outcome.rejected:
        raise LotRefused({"number": [f"{r.number}: {r.reason}" for r in outcome.rejected]})
    document_post(document=document, user=user)
    return Lot.objects.get(company=company, item=item, number=number)


def _create_record(
    company: Company, item: Item, number: str, reference: str, notes: str, expiry_date: date | None, parent_number: str, user: Actor
) -> Lot:
    locks.item_lock(item.pk)
    parent = None
    if item.tracking == Tracking.LOT_AND_SERIAL:
        # The lot first, so a generated serial number never takes the lot's number.
        parent = Lot.objects.filter(company=company, item=item, number=parent_number).first()
        if parent is None:
            parent = Lot.objects.create(
                company=company,
                item=item,
                number=parent_number,
                kind=LotKind.LOT,
                expiry_date=expiry_date,
                reference=reference,
                created_by=acting_user(user),
            )
    number = _number_claim(item, number)
    return Lot.objects.create(
        company=company,
        item=item,
        number=number,
        kind=LotKind.SERIAL if item.is_serial else LotKind.LOT,
        parent=parent,
        # A serial of a lot-and-serial item expires with its lot.
        expiry_date=(parent.expiry_date if parent and parent.expiry_date else expiry_date),
        reference=reference,
        notes=notes,
        created_by=acting_user(user),
    )


# Edit -----------------------------------------------------------------------------------------


@transaction.atomic
def lot_edit(
    *,
    lot: Lot,
    reference: str,
    notes: str,
    expiry_date: date | None,
    status: str,
    hold_reason: str = "",
    user: Actor = None,
) -> Lot:
    """Change what the Edit tab shows; a hold or release is recorded with the user and the time."""
    lot = Lot.objects.select_related("item__lot_class", "item__company").get(pk=lot.pk)
    hold_reason = hold_reason.strip()
    errors: dict[str | None, list[str]] = {}
    if lot.status == LotStatus.ARCHIVED and status != LotStatus.ARCHIVED:
        errors["status"] = ["The lot is archived: restore it on the Archive tab first."]
    elif lot.status != LotStatus.ARCHIVED and status not in (LotStatus.ACTIVE, LotStatus.ON_HOLD):
        errors["status"] = ["Choose Active or On hold (archive on the Archive tab)."]
    if status == LotStatus.ON_HOLD and not hold_reason:
        errors["hold_reason"] = ["Give the reason for the hold."]
    if lot.parent_id and expiry_date != lot.expiry_date:
        errors["expiry_date"] = [f"A serial expires with its lot {lot.parent.number}: change the lot's date."]
    elif expiry_date is None and lot.item.lot_class and lot.item.lot_class.track_expiry:
        errors["expiry_date"] = [f"{lot.item.sku} tracks expiration dates: the date is required."]
    if errors:
        raise LotRefused(errors)
    changes = {
        name: value
        for name, value in (("reference", reference.strip()), ("notes", notes), ("expiry_date", expiry_date))
        if getattr(lot, name) != value
    }
    if lot.status == LotStatus.ON_HOLD and status == LotStatus.ON_HOLD and hold_reason != lot.hold_reason:
        changes["hold_reason"] = hold_reason[:200]
    if changes:
        lot = lot_update(lot=lot, user=user, **changes)
    if lot.status == LotStatus.ACTIVE and status == LotStatus.ON_HOLD:
        lots_hold(lot_ids=[lot.pk], reason=hold_reason, user=user)
    elif lot.status == LotStatus.ON_HOLD and status == LotStatus.ACTIVE:
        lot_release(lot=lot, user=user)
    return Lot.objects.get(pk=lot.pk)


# Archive, restore, delete ---------------------------------------------------------------------


@transaction.atomic
def lot_archive(*, lot: Lot, user: Actor = None) -> Lot:
    """Archive a lot nobody needs any more: hidden from the pickers and, by default, the list;
    its history stays. Only with nothing on hand and nothing promised to a draft."""
    lot = locks.lot_lock(lot.pk)
    if lot.status == LotStatus.ARCHIVED:
        _refuse(None, f"{lot.number} is already archived.")
    if lot.status == LotStatus.ON_HOLD:
        _refuse(None, f"{lot.number} is on hold ({lot.hold_reason}): release it on the Edit tab first, so the release is on record.")
    usage = lot_usage(lot=lot)
    if usage.on_hand:
        _refuse(None, f"{lot.number} still has stock on hand: issue, transfer or adjust it out first.")
    if usage.reserved_on:
        _refuse(None, f"{lot.number} is allocated on draft {usage.reserved_on}: remove it from the draft first.")
    return lot_update(lot=lot, user=user, status=LotStatus.ARCHIVED)


@transaction.atomic
def lot_restore(*, lot: Lot, user: Actor = None) -> Lot:
    """Bring an archived lot back: active, shown in the list and the pickers again."""
    lot = locks.lot_lock(lot.pk)
    if lot.status != LotStatus.ARCHIVED:
        _refuse(None, f"{lot.number} is not archived.")
    return lot_update(lot=lot, user=user, status=LotStatus.ACTIVE)


@transaction.atomic
def lot_delete(*, lot: Lot) -> str:
    """Delete a lot that nothing refers to (created by mistake); returns its number.

    A lot that ever moved, was allocated, linked in a genealogy or put on hold has a record that
    must stay: archive it instead.
    """
    lot = locks.lot_lock(lot.pk)
    usage = lot_usage(lot=lot)
    if not usage.deletable:
        reasons = [
            text
            for flag, text in (
                (usage.on_hand, "stock on hand"),
                (usage.moved, "stock moves"),
                (usage.allocated, "allocations on documents"),
                (usage.linked, "genealogy links"),
                (usage.serials, f"{usage.serials} serial number(s) labelled with it"),
                (usage.held_before, "a hold record"),
            )
            if flag
        ]
        _refuse(None, f"{lot.number} cannot be deleted: it has {', '.join(reasons)}. Archive it instead; its history is kept.")
    number = lot.number
    try:
        lot.delete()
    except ProtectedError:
        _refuse(None, f"{number} is still referred to: archive it instead.")
    return number
