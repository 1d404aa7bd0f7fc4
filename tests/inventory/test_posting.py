from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from inventory.exceptions import InsufficientStock, InvalidDocument
from inventory.models import Balance, DocumentKind, DocumentStatus, Lot, StockMove, Tracking
from inventory.selectors import ledger_verify
from inventory.services import document_cancel
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
        from inventory.services import MoveSpec, moves_post, virtual_location

        lot = Lot.objects.get(number="L9")
        moves_post(
            company=lot_item.company,
            specs=[
                MoveSpec(
                    item=lot_item,
                    quantity=Decimal(7),
                    from_location=warehouse,
                    to_location=virtual_location(lot_item.company, "customer"),
                    from_lot_id=lot.pk,
                    to_lot_id=lot.pk,
                )
            ],
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
    with pytest.raises(IntegrityError if connection.vendor == "postgresql" else Exception, match="append-only"), transaction.atomic():
        StockMove.objects.filter(pk=move.pk).update(quantity=Decimal(2))
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        StockMove.objects.filter(pk=move.pk).delete()
    assert StockMove.objects.get().quantity == 1


def test_number_is_unique_per_item_in_the_database_but_may_repeat_across_items(company, serial_item, warehouse):
    other = ItemFactory(company=company, lot_class=serial_item.lot_class)
    receive(item=serial_item, location=warehouse, numbers="X1")
    receive(item=other, location=warehouse, numbers="X1")
    assert Lot.objects.filter(number="X1").count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Lot.objects.create(company=company, item=serial_item, number="X1", kind="serial")


def test_serial_quantities_are_whole_units_of_one(company, serial_item, warehouse):
    from inventory.services import document_create, document_line_add

    document = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse)
    with pytest.raises(InvalidDocument, match="whole units, not 1.5"):
        document_line_add(document=document, item=serial_item, quantity=Decimal("1.5"))
    receive(item=serial_item, location=warehouse, numbers="A1")
    with pytest.raises(Exception, match="one unit; the quantity must be 1"):
        from inventory.services import MoveSpec, moves_post, virtual_location

        lot = Lot.objects.get(number="A1")
        moves_post(
            company=company,
            specs=[
                MoveSpec(
                    item=serial_item,
                    quantity=Decimal(2),
                    from_location=warehouse,
                    to_location=virtual_location(company, "customer"),
                    from_lot_id=lot.pk,
                    to_lot_id=lot.pk,
                )
            ],
            reason=20,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Balance.objects.filter(lot__number="A1").update(quantity=2)


def test_receiving_a_serial_already_in_stock_is_refused(serial_item, warehouse, warehouse2):
    receive(item=serial_item, location=warehouse, numbers="A1")
    with pytest.raises(AssertionError, match="already in stock at WH1"):
        receive(item=serial_item, location=warehouse2, numbers="A1")


def test_a_document_that_fails_on_its_second_line_writes_nothing(company, serial_item, lot_item, warehouse):
    from inventory.services import document_create, document_line_add, document_post, line_allocate

    receive(item=serial_item, location=warehouse, numbers="A1 A2")
    document = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=warehouse)
    first = document_line_add(document=document, item=serial_item, quantity=Decimal(2))
    line_allocate(line=first, numbers="A1 A2")
    document_line_add(document=document, item=ItemFactory(company=company), quantity=Decimal(5))
    moves, lots = StockMove.objects.count(), list(Lot.objects.values_list("number", "in_stock"))
    with pytest.raises(InsufficientStock) as err:
        document_post(document=document)
    assert err.value.problems[0].line == 2 and "short by 5" in str(err.value)
    assert StockMove.objects.count() == moves
    assert list(Lot.objects.values_list("number", "in_stock")) == lots
    document.refresh_from_db()
    assert document.status == DocumentStatus.DRAFT


@pytest.mark.parametrize("kind", [DocumentKind.TRANSFER, DocumentKind.DELIVERY, DocumentKind.SUPPLIER_RETURN, DocumentKind.ADJUSTMENT])
def test_reversing_any_outgoing_document_restores_stock_and_serial_state_exactly(company, serial_item, warehouse, warehouse2, kind):
    receive(item=serial_item, location=warehouse, numbers="A1 A2 A3")
    before = sorted(Lot.objects.values_list("number", "in_stock", "last_location"))
    balances = sorted(Balance.objects.values_list("lot__number", "location", "quantity"))
    document = issue(
        kind=kind,
        item=serial_item,
        location=warehouse,
        quantity=2,
        numbers="A1 A3",
        to_location=warehouse2 if kind == DocumentKind.TRANSFER else None,
    )
    assert sorted(Lot.objects.values_list("number", "in_stock", "last_location")) != before
    document_cancel(document=document)
    assert sorted(Lot.objects.values_list("number", "in_stock", "last_location")) == before
    assert sorted(b for b in Balance.objects.values_list("lot__number", "location", "quantity") if b[2]) == [b for b in balances if b[2]]
    assert ledger_verify() == []


def test_reversing_a_receipt_leaves_its_serials_as_never_received(serial_item, warehouse):
    document = receive(item=serial_item, location=warehouse, numbers="A1 A2")
    document_cancel(document=document)
    assert list(Lot.objects.values_list("in_stock", "last_location")) == [(False, None), (False, None)]
    assert on_hand(serial_item, warehouse) == 0
    receive(item=serial_item, location=warehouse, numbers="A1")  # the number can come in again
    assert ledger_verify() == []


def test_a_receipt_whose_serials_were_shipped_cannot_be_reversed(serial_item, warehouse):
    document = receive(item=serial_item, location=warehouse, numbers="A1 A2")
    issue(item=serial_item, location=warehouse, quantity=1, numbers="A2")
    with pytest.raises(InsufficientStock, match="A2 at WH1"):
        document_cancel(document=document)
    delivery = issue(item=serial_item, location=warehouse, quantity=1, numbers="A1")
    document_cancel(document=delivery)
    with pytest.raises(InvalidDocument, match="already reversed"):
        document_cancel(document=delivery)


def test_a_customer_return_brings_the_serial_back_into_stock(company, serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers="A1", unit_cost=Decimal("40"))
    issue(item=serial_item, location=warehouse, quantity=1, numbers="A1")
    issue(kind=DocumentKind.CUSTOMER_RETURN, item=serial_item, location=None, to_location=warehouse, quantity=1, numbers="A1")
    a1 = Lot.objects.get(number="A1")
    assert a1.in_stock and a1.last_location == warehouse and a1.unit_cost == Decimal("40")
    assert list(StockMove.objects.filter(to_lot=a1).values_list("unit_cost", flat=True)) == [Decimal("40")] * 3


def test_every_move_carries_its_unit_cost_and_issues_cost_the_lots_receipt_cost(lot_item, warehouse):
    from datetime import date

    receive(item=lot_item, location=warehouse, numbers=["L1"], quantity=10, expiry=date(2099, 1, 1), unit_cost=Decimal("2.5"))
    issue(item=lot_item, location=warehouse, quantity=4, numbers="L1", lot_quantity=Decimal(4))
    assert list(StockMove.objects.order_by("id").values_list("quantity", "unit_cost")) == [
        (Decimal(10), Decimal("2.5")),
        (Decimal(4), Decimal("2.5")),
    ]
