from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from inventory.exceptions import InsufficientStock, InvalidDocument, NotIssuable, SerialConflict
from inventory.models import Balance, DocumentKind, DocumentStatus, Lot, LotStatus, StockMove, Tracking
from inventory.selectors import ledger_verify
from inventory.services import document_cancel, lot_hold
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import issue, on_hand, receive


@pytest.fixture
def serial_item(company):
    return ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.SERIAL))


@pytest.fixture
def lot_item(company):
    klass = LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True, segments=[("constant", "L"), ("counter", "001")])
    return ItemFactory(company=company, lot_class=klass)


def test_receipt_creates_serials_in_stock_with_receipt_cost(serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers="A1 A2 A3", unit_cost=Decimal("12.50"))
    lots = Lot.objects.filter(item=serial_item).order_by("number")
    assert [lot.number for lot in lots] == ["A1", "A2", "A3"]
    assert all(lot.in_stock and lot.last_location == warehouse and lot.unit_cost == Decimal("12.50") for lot in lots)
    assert on_hand(serial_item, warehouse) == 3
    assert set(StockMove.objects.values_list("unit_cost", flat=True)) == {Decimal("12.50")}
    assert ledger_verify() == []


def test_delivery_takes_serials_out_and_records_supply_location(serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers="A1 A2 A3")
    issue(item=serial_item, location=warehouse, quantity=2, numbers="A1 A3")
    a1 = Lot.objects.get(number="A1")
    assert not a1.in_stock and a1.last_location == warehouse
    assert on_hand(serial_item, warehouse) == 1
    assert ledger_verify() == []


def test_delivery_of_more_than_on_hand_is_refused_naming_the_shortage(lot_item, warehouse):
    receive(item=lot_item, location=warehouse, numbers=["L9"], quantity=5, expiry=None or __import__("datetime").date(2099, 1, 1))
    with pytest.raises(InsufficientStock) as err:
        from inventory.services import moves_post, MoveSpec, virtual_location
        lot = Lot.objects.get(number="L9")
        moves_post(
            company=lot_item.company,
            specs=[MoveSpec(item=lot_item, quantity=Decimal(7), from_location=warehouse, to_location=virtual_location(lot_item.company, "customer"), from_lot_id=lot.pk, to_lot_id=lot.pk)],
            reason=20,
        )
    assert "needed 7, available 5 (short by 2)" in str(err.value)
    assert on_hand(lot_item, warehouse) == 5


def test_reversal_restores_balances_and_serial_state(serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers="A1 A2")
    delivery = issue(item=serial_item, location=warehouse, quantity=1, numbers="A2")
    document_cancel(document=delivery)
    delivery.refresh_from_db()
    assert delivery.status == DocumentStatus.REVERSED
    a2 = Lot.objects.get(number="A2")
    assert a2.in_stock and a2.last_location == warehouse
    assert on_hand(serial_item, warehouse) == 2
    assert ledger_verify() == []


def test_moves_cannot_be_updated_or_deleted(serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers="A1")
    move = StockMove.objects.get()
    with pytest.raises(IntegrityError if connection.vendor == "postgresql" else Exception, match="append-only"):
        with transaction.atomic():
            StockMove.objects.filter(pk=move.pk).update(quantity=Decimal(2))
    with pytest.raises(Exception, match="append-only"):
        with transaction.atomic():
            StockMove.objects.filter(pk=move.pk).delete()
    assert StockMove.objects.get().quantity == 1
