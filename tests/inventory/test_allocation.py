from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.exceptions import InsufficientStock, InvalidDocument, NotIssuable
from inventory.models import Allocation, DocumentKind, IssueMethod, Lot, NumberAssignment, StockMove, Tracking
from inventory.services import (
    document_create,
    document_line_add,
    document_post,
    line_allocate,
    line_allocate_proposed,
    lot_hold,
    lot_release,
)
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import issue, on_hand, receive

TODAY = timezone.localdate()


def lot_item(company, method, **kwargs):
    klass = LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True, issue_method=method, **kwargs)
    return ItemFactory(company=company, lot_class=klass)


def draft_delivery(item, location, quantity):
    document = document_create(company=item.company, kind=DocumentKind.DELIVERY, from_location=location)
    return document, document_line_add(document=document, item=item, quantity=Decimal(quantity))


def proposed_numbers(line):
    line_allocate_proposed(line=line)
    return [a.lot.number for a in Allocation.objects.filter(line=line).select_related("lot").order_by("id")]


@pytest.mark.parametrize(
    "method, expected",
    [
        (IssueMethod.FIFO, ["B-OLD", "A-MID"]),
        (IssueMethod.LIFO, ["C-NEW", "A-MID"]),
        (IssueMethod.SEQUENTIAL, ["A-MID", "B-OLD"]),
        (IssueMethod.EXPIRATION, ["C-NEW", "B-OLD"]),
    ],
)
def test_proposal_follows_the_issue_method(company, warehouse, method, expected):
    item = lot_item(company, method)
    # Received in this order: B-OLD, A-MID, C-NEW; C-NEW expires first, A-MID last.
    for number, expiry in (("B-OLD", 60), ("A-MID", 90), ("C-NEW", 30)):
        receive(item=item, location=warehouse, numbers=[number], quantity=10, expiry=TODAY + timedelta(days=expiry))
    _, line = draft_delivery(item, warehouse, 15)
    assert proposed_numbers(line) == expected


def test_manual_issue_method_proposes_nothing(company, warehouse):
    item = lot_item(company, IssueMethod.MANUAL)
    receive(item=item, location=warehouse, numbers=["L1"], quantity=5, expiry=TODAY + timedelta(days=9))
    _, line = draft_delivery(item, warehouse, 2)
    assert proposed_numbers(line) == []


def test_expired_lots_are_never_proposed_and_cannot_be_issued(company, warehouse):
    item = lot_item(company, IssueMethod.EXPIRATION)
    receive(item=item, location=warehouse, numbers=["OLD"], quantity=5, expiry=TODAY - timedelta(days=1))
    receive(item=item, location=warehouse, numbers=["GOOD"], quantity=5, expiry=TODAY + timedelta(days=30))
    document, line = draft_delivery(item, warehouse, 3)
    assert proposed_numbers(line) == ["GOOD"]
    _, other = draft_delivery(item, warehouse, 3)
    outcome = line_allocate(line=other, numbers="OLD", quantity=Decimal(3))
    assert outcome.rejected[0].reason.startswith("expired on")
    # Even if an expired lot reached a draft, posting refuses it.
    old = Lot.objects.get(number="OLD")
    Allocation.objects.create(company=company, document=other.document, line=other, item=item, location=warehouse, lot=old, quantity=3)
    with pytest.raises(NotIssuable, match="OLD expired on"):
        document_post(document=other.document)


def test_lot_on_hold_cannot_be_issued_until_released(company, warehouse):
    item = lot_item(company, IssueMethod.FIFO)
    receive(item=item, location=warehouse, numbers=["L1"], quantity=5, expiry=TODAY + timedelta(days=30))
    lot = Lot.objects.get(number="L1")
    document, line = draft_delivery(item, warehouse, 2)
    line_allocate(line=line, numbers="L1", quantity=Decimal(2))
    lot_hold(lot=lot, reason="supplier recall R-17")
    with pytest.raises(NotIssuable, match=r"L1 is on hold \(supplier recall R-17\)"):
        document_post(document=document)
    _, other = draft_delivery(item, warehouse, 1)
    assert proposed_numbers(other) == []
    lot_release(lot=lot)
    document_post(document=document)
    assert on_hand(item, warehouse) == 3


def test_a_bad_entry_is_rejected_on_its_own_and_the_good_ones_are_kept(company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    receive(item=item, location=warehouse, numbers="SN0001-SN0005")
    _, line = draft_delivery(item, warehouse, 3)
    outcome = line_allocate(line=line, numbers="SN0001\nSN0009\nSN0002 SN0002 SN0003")
    assert outcome.accepted == ["SN0001", "SN0002", "SN0003"]
    assert [(r.number, r.reason) for r in outcome.rejected] == [
        ("SN0009", f"unknown serial number of {item.sku}"),
        ("SN0002", "already on this line"),
    ]
    assert outcome.remaining == 0


def test_two_drafts_cannot_promise_the_same_serial(company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    receive(item=item, location=warehouse, numbers="SN0001 SN0002")
    first, line1 = draft_delivery(item, warehouse, 1)
    line_allocate(line=line1, numbers="SN0001")
    _, line2 = draft_delivery(item, warehouse, 1)
    outcome = line_allocate(line=line2, numbers="SN0001")
    assert outcome.accepted == []
    assert outcome.rejected[0].reason == f"already allocated on {first.number}"
    assert proposed_numbers(line2) == ["SN0002"]


def test_two_drafts_cannot_promise_more_of_a_lot_than_is_available(company, warehouse):
    item = lot_item(company, IssueMethod.FIFO)
    receive(item=item, location=warehouse, numbers=["L1"], quantity=10, expiry=TODAY + timedelta(days=30))
    _, line1 = draft_delivery(item, warehouse, 7)
    line_allocate(line=line1, numbers="L1", quantity=Decimal(7))
    _, line2 = draft_delivery(item, warehouse, 5)
    outcome = line_allocate(line=line2, numbers="L1", quantity=Decimal(5))
    assert outcome.rejected[0].reason == "only 3 available at WH1"
    # Without a quantity the lot gives what is still free.
    outcome = line_allocate(line=line2, numbers="L1")
    assert outcome.accepted == ["L1"] and outcome.remaining == 2


def test_posting_does_not_take_stock_promised_to_another_draft(company, warehouse):
    item = lot_item(company, IssueMethod.FIFO)
    receive(item=item, location=warehouse, numbers=["L1"], quantity=10, expiry=TODAY + timedelta(days=30))
    _, line1 = draft_delivery(item, warehouse, 8)
    line_allocate(line=line1, numbers="L1", quantity=Decimal(8))
    document, line2 = draft_delivery(item, warehouse, 3)
    lot = Lot.objects.get(number="L1")
    Allocation.objects.create(company=company, document=document, line=line2, item=item, location=warehouse, lot=lot, quantity=3)
    with pytest.raises(InsufficientStock, match="needed 3, available 2"):
        document_post(document=document)


def test_serial_not_at_the_location_says_where_it_is(company, warehouse, warehouse2):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    receive(item=item, location=warehouse2, numbers="SN0001")
    _, line = draft_delivery(item, warehouse, 1)
    outcome = line_allocate(line=line, numbers="SN0001")
    assert outcome.rejected[0].reason == "not at WH1 (it is at WH2)"


def test_posting_an_outgoing_line_without_all_its_numbers_is_refused(company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    receive(item=item, location=warehouse, numbers="SN0001 SN0002 SN0003")
    document, line = draft_delivery(item, warehouse, 3)
    line_allocate(line=line, numbers="SN0001")
    with pytest.raises(InvalidDocument, match="Line 1: .*2 of 3 have no serial numbers allocated yet"):
        document_post(document=document)
    assert not StockMove.objects.filter(document=document).exists()
    document_post(document=document, auto_allocate=True)
    assert on_hand(item, warehouse) == 0


def test_numbers_assigned_when_used_are_generated_as_stock_leaves(company, warehouse):
    klass = LotClassFactory(company=company, assignment=NumberAssignment.WHEN_USED, segments=[("constant", "U"), ("counter", "001")])
    item = ItemFactory(company=company, lot_class=klass)
    receive(item=item, location=warehouse, quantity=5)
    assert not Lot.objects.filter(item=item).exists()
    assert on_hand(item, warehouse, unnumbered=True) == 5
    issue(item=item, location=warehouse, quantity=2, propose=True)
    issued = Lot.objects.filter(item=item).order_by("number")
    assert [lot.number for lot in issued] == ["U001", "U002"]
    assert all(not lot.in_stock and lot.last_location == warehouse for lot in issued)
    assert on_hand(item, warehouse, unnumbered=True) == 3
    moves = StockMove.objects.filter(to_lot__in=issued)
    assert all(m.from_lot_id is None for m in moves)  # numbered as it was used


def test_lot_and_serial_items_name_their_lot_and_take_its_expiry(company, warehouse):
    klass = LotClassFactory(company=company, tracking=Tracking.LOT_AND_SERIAL, track_expiry=True)
    item = ItemFactory(company=company, lot_class=klass)
    receive(item=item, location=warehouse, numbers="D-1 D-2", parent_number="BATCH7", expiry=date(2030, 5, 1))
    batch = Lot.objects.get(item=item, number="BATCH7")
    serials = Lot.objects.filter(item=item, parent=batch)
    assert sorted(s.number for s in serials) == ["D-1", "D-2"]
    assert {s.expiry_date for s in serials} == {date(2030, 5, 1)}
    assert on_hand(item, warehouse) == 2


def test_expiry_is_required_where_the_class_tracks_it(company, warehouse):
    item = lot_item(company, IssueMethod.FIFO)
    document = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse)
    line = document_line_add(document=document, item=item, quantity=Decimal(4))
    outcome = line_allocate(line=line, numbers="L1", quantity=Decimal(4))
    assert outcome.rejected[0].reason == "needs an expiration date"
