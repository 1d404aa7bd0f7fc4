"""Lot services of the Lots/Serial Numbers pages, through the real inventory services."""

from datetime import date
from decimal import Decimal

import pytest

from inventory.exceptions import LotRefused
from inventory.models import Balance, DocumentKind, DocumentStatus, Lot, LotHoldEvent, LotKind, LotStatus, StockMove, Tracking
from inventory.services import (
    document_create,
    document_line_add,
    genealogy_links_add,
    line_allocate,
    lot_archive,
    lot_create,
    lot_delete,
    lot_edit,
    lot_restore,
)
from tests.inventory.factories import CompanyFactory, ItemFactory, LotClassFactory, UserFactory
from tests.inventory.flows import issue, on_hand, receive

pytestmark = pytest.mark.django_db
EXPIRY = date(2031, 1, 31)


def refused(call, **kwargs) -> dict:
    with pytest.raises(LotRefused) as caught:
        call(**kwargs)
    return caught.value.errors


# lot_create -----------------------------------------------------------------------------------


def test_lot_create_with_quantity_zero_records_the_lot_alone(company, serial_item):
    user = UserFactory()
    lot = lot_create(company=company, item=serial_item, number="X-1", reference="PO 7", notes="boxed", user=user)
    assert (lot.number, lot.kind, lot.reference, lot.notes, lot.created_by, lot.status) == (
        "X-1",
        LotKind.SERIAL,
        "PO 7",
        "boxed",
        user,
        LotStatus.ACTIVE,
    )
    assert not StockMove.objects.filter(to_lot=lot).exists()
    assert not Balance.objects.filter(lot=lot).exists()


def test_lot_create_with_quantity_posts_an_adjustment_with_its_move(company, lot_item, warehouse):
    lot = lot_create(
        company=company,
        item=lot_item,
        number="B-9",
        quantity=Decimal("12.5"),
        location=warehouse,
        expiry_date=EXPIRY,
        reference="SUP-1",
        notes="cold chain",
    )
    move = StockMove.objects.get(to_lot=lot)
    assert move.document.kind == DocumentKind.ADJUSTMENT and move.document.status == DocumentStatus.POSTED
    assert (move.quantity, move.to_location) == (Decimal("12.5"), warehouse)
    assert on_hand(lot_item, warehouse, lot) == Decimal("12.5")
    assert (lot.expiry_date, lot.reference, lot.notes) == (EXPIRY, "SUP-1", "cold chain")


def test_lot_create_blank_number_takes_the_next_from_the_numbering(company, serial_item):
    assert lot_create(company=company, item=serial_item).number == "SN0001"
    assert lot_create(company=company, item=serial_item).number == "SN0002"


def test_lot_create_refused_uses_up_no_number(company, lot_item):
    refused(lot_create, company=company, item=lot_item)  # no expiry date
    assert lot_create(company=company, item=lot_item, expiry_date=EXPIRY).number == "L0001"


@pytest.mark.parametrize("quantity", ["2", "0.5"])
def test_lot_create_serial_quantity_must_be_one(company, serial_item, warehouse, quantity):
    errors = refused(lot_create, company=company, item=serial_item, number="S1", quantity=Decimal(quantity), location=warehouse)
    assert "quantity" in errors
    assert not Lot.objects.filter(number="S1").exists()


def test_lot_create_serial_with_quantity_one_is_in_stock(company, serial_item, warehouse):
    lot = lot_create(company=company, item=serial_item, number="S1", quantity=Decimal(1), location=warehouse)
    assert (lot.in_stock, lot.last_location) == (True, warehouse)


def test_lot_create_expiry_required_where_the_class_tracks_it(company, lot_item):
    errors = refused(lot_create, company=company, item=lot_item, number="B1")
    assert list(errors) == ["expiry_date"]


def test_lot_create_refuses_a_duplicate_number_of_the_product(company, serial_item):
    lot_create(company=company, item=serial_item, number="S1")
    errors = refused(lot_create, company=company, item=serial_item, number="S1")
    assert errors == {"number": [f"S1 already exists for {serial_item.sku}."]}


def test_lot_create_takes_the_same_number_for_another_product(company, serial_item):
    other = ItemFactory(company=company, lot_class=serial_item.lot_class)
    lot_create(company=company, item=serial_item, number="S1")
    assert lot_create(company=company, item=other, number="S1").item == other


def test_lot_create_refuses_a_number_waiting_on_a_draft(company, serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers=["S1"], post=False)
    assert "draft" in refused(lot_create, company=company, item=serial_item, number="S1")["number"][0]


def test_lot_create_quantity_needs_a_location(company, serial_item):
    assert "location" in refused(lot_create, company=company, item=serial_item, quantity=Decimal(1))


def test_lot_create_refuses_a_product_of_another_company(company, warehouse):
    other = CompanyFactory()
    item = ItemFactory(company=other, lot_class=LotClassFactory(company=other))
    assert "item" in refused(lot_create, company=company, item=item, number="S1")


def test_lot_create_refuses_an_untracked_product(company):
    assert "item" in refused(lot_create, company=company, item=ItemFactory(company=company), number="S1")


def test_lot_create_lot_and_serial_serial_names_its_lot_and_takes_its_expiry(company):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT_AND_SERIAL, track_expiry=True))
    assert "parent_number" in refused(lot_create, company=company, item=item, number="S1", expiry_date=EXPIRY)
    serial = lot_create(company=company, item=item, number="S1", parent_number="LOT-A", expiry_date=EXPIRY)
    assert (serial.parent.number, serial.parent.kind, serial.parent.expiry_date) == ("LOT-A", LotKind.LOT, EXPIRY)
    second = lot_create(company=company, item=item, number="S2", parent_number="LOT-A")
    assert (second.parent, second.expiry_date) == (serial.parent, EXPIRY)


# lot_edit -------------------------------------------------------------------------------------


def _edit(lot, **changes):
    values = {
        "reference": lot.reference,
        "notes": lot.notes,
        "expiry_date": lot.expiry_date,
        "status": lot.status,
        "hold_reason": lot.hold_reason,
    }
    return lot_edit(lot=lot, **{**values, **changes})


def test_lot_edit_changes_reference_notes_and_expiry(company, lot_item):
    lot = lot_create(company=company, item=lot_item, number="B1", expiry_date=EXPIRY)
    lot = _edit(lot, reference="R2", notes="n2", expiry_date=date(2032, 2, 2))
    assert (lot.reference, lot.notes, lot.expiry_date) == ("R2", "n2", date(2032, 2, 2))


def test_lot_edit_hold_and_release_are_recorded_with_the_user(company, serial_item):
    user = UserFactory()
    lot = lot_create(company=company, item=serial_item, number="S1")
    lot = _edit(lot, status=LotStatus.ON_HOLD, hold_reason="recall 12", user=user)
    assert (lot.status, lot.hold_reason) == (LotStatus.ON_HOLD, "recall 12")
    lot = _edit(lot, status=LotStatus.ACTIVE, user=user)
    events = list(LotHoldEvent.objects.filter(lot=lot).values_list("action", "reason", "created_by"))
    assert events == [("hold", "recall 12", user.pk), ("release", "", user.pk)]
    assert (lot.status, lot.hold_reason) == (LotStatus.ACTIVE, "")


def test_lot_edit_hold_needs_a_reason(company, serial_item):
    lot = lot_create(company=company, item=serial_item, number="S1")
    assert "hold_reason" in refused(_edit, lot=lot, status=LotStatus.ON_HOLD, hold_reason=" ")
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.ACTIVE


def test_lot_edit_keeps_the_expiry_where_the_class_tracks_it(company, lot_item):
    lot = lot_create(company=company, item=lot_item, number="B1", expiry_date=EXPIRY)
    assert "expiry_date" in refused(_edit, lot=lot, expiry_date=None)


# Archive, restore, delete ---------------------------------------------------------------------


def test_lot_archive_refuses_a_lot_with_stock_on_hand(company, lot_item, warehouse):
    lot = lot_create(company=company, item=lot_item, number="B1", quantity=Decimal(3), location=warehouse, expiry_date=EXPIRY)
    assert "stock on hand" in str(refused(lot_archive, lot=lot))


def test_lot_archive_hides_an_emptied_lot_and_restore_brings_it_back(company, lot_item, warehouse):
    lot = lot_create(company=company, item=lot_item, number="B1", quantity=Decimal(3), location=warehouse, expiry_date=EXPIRY)
    issue(item=lot_item, location=warehouse, quantity=3, numbers=["B1"])
    assert lot_archive(lot=lot).status == LotStatus.ARCHIVED
    assert lot_restore(lot=lot).status == LotStatus.ACTIVE


def test_lot_archive_refuses_a_lot_on_hold(company, serial_item):
    lot = lot_create(company=company, item=serial_item, number="S1")
    lot = _edit(lot, status=LotStatus.ON_HOLD, hold_reason="recall")
    assert "release it" in str(refused(lot_archive, lot=lot))


def test_lot_archive_refuses_a_lot_allocated_on_a_draft(company, lot_item, warehouse):
    lot = lot_create(company=company, item=lot_item, number="B1", quantity=Decimal(3), location=warehouse, expiry_date=EXPIRY)
    issue(item=lot_item, location=warehouse, quantity=3, numbers=["B1"])
    comeback = document_create(company=company, kind=DocumentKind.CUSTOMER_RETURN, to_location=warehouse)
    line = document_line_add(document=comeback, item=lot_item, quantity=Decimal(1))
    assert not line_allocate(line=line, numbers=["B1"], quantity=Decimal(1)).rejected
    assert f"allocated on draft {comeback.number}" in str(refused(lot_archive, lot=lot))


def test_lot_restore_refuses_a_lot_that_is_not_archived(company, serial_item):
    lot = lot_create(company=company, item=serial_item, number="S1")
    assert "not archived" in str(refused(lot_restore, lot=lot))


def test_lot_delete_removes_a_lot_nothing_refers_to(company, serial_item):
    lot = lot_create(company=company, item=serial_item, number="S1")
    assert lot_delete(lot=lot) == "S1"
    assert not Lot.objects.filter(pk=lot.pk).exists()


def test_lot_delete_refuses_a_lot_that_moved(company, serial_item, warehouse):
    lot = lot_create(company=company, item=serial_item, number="S1", quantity=Decimal(1), location=warehouse)
    issue(item=serial_item, location=warehouse, quantity=1, numbers=["S1"])
    message = str(refused(lot_delete, lot=lot))
    assert "stock moves" in message and "Archive it instead" in message
    assert Lot.objects.filter(pk=lot.pk).exists()


def test_lot_delete_refuses_a_lot_in_a_genealogy(company, serial_item):
    a, b = (lot_create(company=company, item=serial_item, number=n) for n in ("S1", "S2"))
    genealogy_links_add(company=company, links=[(a.pk, b.pk, Decimal(1))])
    assert "genealogy links" in str(refused(lot_delete, lot=a))


def test_lot_delete_refuses_a_lot_allocated_on_a_document(company, lot_item, warehouse):
    lot = lot_create(company=company, item=lot_item, number="B1", quantity=Decimal(3), location=warehouse, expiry_date=EXPIRY)
    document = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=warehouse)
    line = document_line_add(document=document, item=lot_item, quantity=Decimal(1))
    assert not line_allocate(line=line, numbers=["B1"], quantity=Decimal(1)).rejected
    assert "allocations" in str(refused(lot_delete, lot=lot))


def test_lot_create_refuses_a_number_without_the_class_shape(db):
    company = CompanyFactory()
    lot_class = LotClassFactory(company=company, number_check="pattern", number_pattern=r"[A-Z]{2}\d{9}")
    item = ItemFactory(company=company, lot_class=lot_class)
    with pytest.raises(LotRefused) as caught:
        lot_create(company=company, item=item, number="NW26120050")
    assert "does not have the shape" in caught.value.errors["number"][0]
    assert lot_create(company=company, item=item, number="NW261200050").number == "NW261200050"
