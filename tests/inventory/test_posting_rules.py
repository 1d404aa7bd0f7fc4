"""Rules that span lines, drafts and lot families."""

from datetime import date
from decimal import Decimal

import pytest

from inventory.exceptions import InsufficientStock, InvalidDocument, NotIssuable, SerialConflict
from inventory.models import DocumentKind, Lot, NumberAssignment, StockMove, Tracking, TrackingScope
from inventory.selectors import ledger_verify
from inventory.services import (
    document_cancel,
    document_create,
    document_line_add,
    document_post,
    line_allocate,
    line_allocate_proposed,
    line_numbers_generate,
    lot_hold,
)
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import issue, on_hand, receive


def delivery_with_lines(item, location, *quantities):
    document = document_create(company=item.company, kind=DocumentKind.DELIVERY, from_location=location)
    return document, [document_line_add(document=document, item=item, quantity=Decimal(q)) for q in quantities]


def test_unnumbered_reservations_of_one_item_do_not_reduce_another(company, warehouse):
    klass = LotClassFactory(company=company, tracking=Tracking.LOT, assignment=NumberAssignment.WHEN_USED)
    a, b = ItemFactory(company=company, lot_class=klass), ItemFactory(company=company, lot_class=klass)
    receive(item=a, location=warehouse, quantity=10)
    receive(item=b, location=warehouse, quantity=10)
    _, (held,) = delivery_with_lines(b, warehouse, 5)
    assert line_allocate(line=held, numbers="LOTB1", quantity=Decimal(5), confirm=True).accepted == ["LOTB1"]
    issue(item=a, location=warehouse, quantity=10, numbers="LOTA", lot_quantity=Decimal(10), confirm=True)
    assert on_hand(a, warehouse) == 0 and on_hand(b, warehouse) == 10


def test_the_same_serial_cannot_go_out_twice_on_two_lines_of_a_loosely_bound_item(company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company), tracking_scope=TrackingScope.CREDITOR_DEBTOR)
    receive(item=item, location=warehouse, numbers="S1 S2 S3")
    document, (first, second) = delivery_with_lines(item, warehouse, 1, 1)
    line_allocate(line=first, numbers="S1")
    outcome = line_allocate(line=second, numbers="S1")
    assert outcome.rejected[0].reason == "already allocated on line 1 of this document"


def test_posting_catches_a_serial_twice_in_one_document_even_without_allocation_checks(company, warehouse):
    from inventory.models import Allocation

    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company), tracking_scope=TrackingScope.CREDITOR_DEBTOR)
    receive(item=item, location=warehouse, numbers="S1 S2")
    document, lines = delivery_with_lines(item, warehouse, 1, 1)
    s1 = Lot.objects.get(number="S1")
    for line in lines:
        Allocation.objects.create(
            company=company, document=document, line=line, item=item, location=warehouse, lot=s1, quantity=1, is_serial=True
        )
    with pytest.raises(SerialConflict, match="serial S1 was already issued"):
        document_post(document=document)


def test_auto_allocation_gives_each_line_different_serials(company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    receive(item=item, location=warehouse, numbers="S1 S2")
    document, _ = delivery_with_lines(item, warehouse, 1, 1)
    document_post(document=document, auto_allocate=True)
    assert on_hand(item, warehouse) == 0
    assert sorted(StockMove.objects.filter(document=document).values_list("to_lot__number", flat=True)) == ["S1", "S2"]


def test_reversing_a_loose_receipt_whose_serial_was_sold_is_refused(company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company), tracking_scope=TrackingScope.CREDITOR_DEBTOR)
    receipt = receive(item=item, location=warehouse, numbers="S1 S2")
    issue(item=item, location=warehouse, quantity=1, numbers="S1")
    with pytest.raises(SerialConflict, match="S1 was already issued"):
        document_cancel(document=receipt)
    assert on_hand(item, warehouse) == 1 and Lot.objects.get(number="S2").in_stock


def test_loose_stock_promised_to_a_sales_order_is_not_transferred_away(company, warehouse, warehouse2):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company), tracking_scope=TrackingScope.CREDITOR_DEBTOR)
    receive(item=item, location=warehouse, numbers="S1 S2")
    _, (line,) = delivery_with_lines(item, warehouse, 2)
    line_allocate(line=line, numbers="S1 S2")
    with pytest.raises(InsufficientStock, match="needed 1, available 0"):
        issue(kind=DocumentKind.TRANSFER, item=item, location=warehouse, to_location=warehouse2, quantity=1)


def test_a_hold_on_the_lot_holds_its_serials(company, warehouse):
    klass = LotClassFactory(company=company, tracking=Tracking.LOT_AND_SERIAL, track_expiry=True)
    item = ItemFactory(company=company, lot_class=klass)
    receive(item=item, location=warehouse, numbers="P1 P2", parent_number="LOT-A", expiry=date(2099, 1, 1))
    lot_hold(lot=Lot.objects.get(number="LOT-A"), reason="recall")
    document, (line,) = delivery_with_lines(item, warehouse, 1)
    assert line_allocate(line=line, numbers="P1").rejected[0].reason == "its lot is on hold (recall)"
    assert line_allocate_proposed(line=line).accepted == []
    # Even an allocation made before the hold cannot be posted.
    from inventory.models import Allocation

    Allocation.objects.create(
        company=company,
        document=document,
        line=line,
        item=item,
        location=warehouse,
        lot=Lot.objects.get(number="P1"),
        quantity=1,
        is_serial=True,
    )
    with pytest.raises(NotIssuable, match="the lot of P1 is on hold"):
        document_post(document=document)


def test_posted_documents_take_no_more_allocations(company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse)
    line = document_line_add(document=receipt, item=item, quantity=Decimal(3))
    document_post(document=receipt)
    for action in (lambda: line_allocate_proposed(line=line), lambda: line_numbers_generate(line=line)):
        with pytest.raises(InvalidDocument, match="is posted; only drafts can change"):
            action()


@pytest.mark.parametrize("quantity", ["0.00001", "1.23456", "NaN", "abc"])
def test_quantities_beyond_four_decimals_or_not_numbers_are_refused_clearly(company, warehouse, quantity):
    item = ItemFactory(company=company)
    document = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse)
    with pytest.raises(InvalidDocument):
        document_line_add(document=document, item=item, quantity=quantity)
    assert ledger_verify() == []
