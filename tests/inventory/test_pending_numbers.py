"""Numbers to follow (seed 004): a delivery posted without all its numbers holds the missing
quantity out of the stock it left, until the numbers are assigned on the same document."""

from datetime import date
from decimal import Decimal

import pytest

from inventory.exceptions import InsufficientStock, InvalidDocument
from inventory.models import DocumentKind, DocumentStatus, PendingNumbers, StockMove, StockSummary
from inventory.selectors import ledger_verify
from inventory.services import (
    document_create,
    document_line_add,
    document_post,
    document_reverse,
    line_allocate,
    pending_numbers_assign,
)
from inventory.services.setup import virtual_location
from tests.inventory.factories import PartnerFactory
from tests.inventory.flows import on_hand, receive

pytestmark = pytest.mark.django_db


def _sale(item, location, quantity, numbers=(), customer=None):
    document = document_create(company=item.company, kind=DocumentKind.DELIVERY, from_location=location, partner=customer)
    line = document_line_add(document=document, item=item, quantity=Decimal(quantity))
    if numbers:
        outcome = line_allocate(line=line, numbers=list(numbers), quantity=None if item.is_serial else Decimal(quantity))
        assert not outcome.rejected, outcome.rejected
    return document, line


def _held(item, location):
    return StockSummary.objects.get(item=item, location=location).awaiting_numbers


def test_a_sale_posts_what_is_numbered_and_holds_the_rest(serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers="SN1-SN5")
    customer = PartnerFactory(company=serial_item.company, is_customer=True)
    document, line = _sale(serial_item, warehouse, 3, ["SN1"], customer)
    document_post(document=document, numbers_to_follow=True)
    pending = PendingNumbers.objects.get(line=line)
    assert (pending.quantity, pending.missing, pending.is_open) == (Decimal(2), Decimal(2), True)
    assert pending.partner == customer and pending.location == warehouse
    assert on_hand(serial_item, warehouse) == 4  # SN1 left; the other two are still counted here
    assert _held(serial_item, warehouse) == 2
    assert ledger_verify() == []


def test_without_numbers_to_follow_a_delivery_still_needs_its_numbers(serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers="SN1-SN5")
    document, _ = _sale(serial_item, warehouse, 3, ["SN1"])
    with pytest.raises(InvalidDocument, match="have no serial numbers allocated yet"):
        document_post(document=document)
    assert not PendingNumbers.objects.exists()


def test_what_awaits_numbers_cannot_be_sold_again(serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers="SN1-SN3")
    first, _ = _sale(serial_item, warehouse, 2)
    document_post(document=first, numbers_to_follow=True)
    # One unit is left that nobody owns: it can be sold; a second cannot.
    second, line = _sale(serial_item, warehouse, 2)
    outcome = line_allocate(line=line, numbers=["SN1", "SN2"])
    assert outcome.accepted == ["SN1"]
    assert "sold without numbers" in outcome.rejected[0].reason
    third, _ = _sale(serial_item, warehouse, 2)
    with pytest.raises(
        InsufficientStock, match="; 2 of it sold without numbers still to be assigned"
    ):  # the first sale's, not the third's own
        document_post(document=third, numbers_to_follow=True)
    assert ledger_verify() == []


def test_assigning_numbers_posts_them_on_the_sale(serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers="SN1-SN5")
    customer = PartnerFactory(company=serial_item.company, is_customer=True)
    document, line = _sale(serial_item, warehouse, 3, ["SN1"], customer)
    document_post(document=document, numbers_to_follow=True)
    pending = PendingNumbers.objects.get(line=line)
    outcome = pending_numbers_assign(pending=pending, numbers=["SN2", "SN1", "NOPE", "SN3"])
    assert outcome.accepted == ["SN2", "SN3"]
    assert {r.number for r in outcome.rejected} == {"SN1", "NOPE"}
    assert "already on this line" in next(r.reason for r in outcome.rejected if r.number == "SN1")
    pending.refresh_from_db()
    assert (pending.assigned, pending.missing, pending.is_open) == (Decimal(2), Decimal(0), False)
    moved = StockMove.objects.filter(document=document, line=line).values_list("from_lot__number", "to_location")
    assert sorted(n for n, _ in moved) == ["SN1", "SN2", "SN3"]
    assert {to for _, to in moved} == {virtual_location(serial_item.company, "customer").pk}
    assert on_hand(serial_item, warehouse) == 2 and _held(serial_item, warehouse) == 0
    assert ledger_verify() == []
    with pytest.raises(InvalidDocument, match="all assigned"):
        pending_numbers_assign(pending=pending, numbers=["SN4"])


def test_a_lot_sold_without_its_number(lot_item, warehouse):
    receive(item=lot_item, location=warehouse, numbers="L1", quantity=10, expiry=date(2099, 1, 1))
    document, line = _sale(lot_item, warehouse, "2.5")
    document_post(document=document, numbers_to_follow=True)
    pending = PendingNumbers.objects.get(line=line)
    outcome = pending_numbers_assign(pending=pending, numbers="L1", quantity="1.5")
    assert outcome.accepted == ["L1"] and outcome.remaining == Decimal("1")
    assert pending_numbers_assign(pending=pending, numbers="L1").accepted == ["L1"]
    pending.refresh_from_db()
    assert not pending.is_open
    assert on_hand(lot_item, warehouse) == Decimal("7.5")
    assert ledger_verify() == []


def test_reversal_gives_back_what_awaited_numbers(serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers="SN1-SN3")
    document, line = _sale(serial_item, warehouse, 3, ["SN1"])
    document_post(document=document, numbers_to_follow=True)
    pending_numbers_assign(pending=PendingNumbers.objects.get(line=line), numbers=["SN2"])
    document_reverse(document=document)
    pending = PendingNumbers.objects.get(line=line)
    assert (pending.assigned, pending.released, pending.is_open) == (Decimal(1), Decimal(1), False)
    assert on_hand(serial_item, warehouse) == 3 and _held(serial_item, warehouse) == 0
    assert document.__class__.objects.get(pk=document.pk).status == DocumentStatus.REVERSED
    assert ledger_verify() == []


def test_verify_ledger_names_a_summary_that_holds_the_wrong_amount(serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers="SN1-SN3")
    document, _ = _sale(serial_item, warehouse, 1)
    document_post(document=document, numbers_to_follow=True)
    StockSummary.objects.filter(item=serial_item, location=warehouse).update(awaiting_numbers=Decimal(3))
    faults = [str(f) for f in ledger_verify()]
    assert any("holds 3 for numbers to follow, its open records 1" in f for f in faults), faults


def test_a_recall_names_sales_whose_numbers_are_not_yet_recorded(serial_item, warehouse):
    from inventory.models import Lot
    from traceability.selectors.trace import recall_numbers_to_follow, recall_totals

    receive(item=serial_item, location=warehouse, numbers="SN1-SN3")
    customer = PartnerFactory(company=serial_item.company, is_customer=True, name="Cafe Nord")
    document, line = _sale(serial_item, warehouse, 1, customer=customer)
    document_post(document=document, numbers_to_follow=True)
    seed = Lot.objects.get(item=serial_item, number="SN2")
    rows = list(recall_numbers_to_follow(seed_ids=[seed.pk]))
    assert [(r.document, r.partner, r.missing) for r in rows] == [(document, customer, Decimal(1))]
    assert recall_totals(seed_ids=[seed.pk])["of_items_to_follow"] == 1  # the page asks for them only then
    pending_numbers_assign(pending=rows[0], numbers=["SN3"])
    assert not recall_numbers_to_follow(seed_ids=[seed.pk]).exists()
    assert recall_totals(seed_ids=[seed.pk])["of_items_to_follow"] == 0


@pytest.mark.parametrize("typed", ["1e400", "-1e400", "1e-400", "9" * 30])
def test_a_quantity_far_out_of_range_is_named_not_a_crash(typed):
    from inventory.quantities import QuantityError, quantity_read

    with pytest.raises(QuantityError) as error:
        quantity_read(typed)
    assert len(str(error.value)) < 120
