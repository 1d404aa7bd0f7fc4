"""What a review found the till let through, each now refused in words (and never a 500)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from inventory.exceptions import InsufficientStock
from inventory.models import DocumentKind, Item, Lot
from inventory.selectors import ledger_verify
from inventory.services import document_create, document_line_add, document_reverse, line_allocate, lot_hold, membership_add
from pos.exceptions import TillError
from pos.models import Quotation, QuotationLine, Sale
from pos.selectors import cart_view
from pos.services import (
    cart_cancel,
    cart_from_quotation,
    cart_from_sales_order,
    cart_line_price,
    cart_line_quantity,
    cart_new,
    cart_scan,
    checkout,
    refund_create,
    refundable,
)
from tests.inventory.factories import UserFactory
from tests.inventory.flows import receive

pytestmark = pytest.mark.django_db


def _order(item, location, customer, numbers):
    order = document_create(company=item.company, kind=DocumentKind.DELIVERY, from_location=location, partner=customer)
    line = document_line_add(document=order, item=item, quantity=Decimal(len(numbers)))
    assert not line_allocate(line=line, numbers=numbers).rejected
    return order


def test_held_stock_is_not_sold_without_its_number(cart, phones):
    for lot in Lot.objects.filter(item=phones):
        lot_hold(lot=lot, reason="recall")
    (refused,) = cart_scan(sale=cart, codes=["PHONE"])
    assert not refused.ok and "can be sold without a number" in refused.message


def test_stock_promised_to_a_sales_order_is_not_sold_without_its_number(session, cashier, cart, phones, warehouse, walk_in):
    _order(phones, warehouse, walk_in, [f"SN{i}" for i in range(1, 10)])  # every phone promised
    (refused,) = cart_scan(sale=cart, codes=["PHONE"])
    assert not refused.ok and "promised to other drafts" in refused.message


def test_checkout_judges_the_room_again_under_the_lock(cart, phones):
    cart_scan(sale=cart, codes=["PHONE"])
    for lot in Lot.objects.filter(item=phones):  # a recall between the scan and the payment
        lot_hold(lot=lot, reason="recall")
    with pytest.raises(InsufficientStock, match="on hold"):
        checkout(sale=cart, method="card")
    assert ledger_verify() == []


def test_the_numpad_cannot_raise_a_line_past_what_can_be_sold_nor_past_any_bound(cart, phones):
    cart_scan(sale=cart, codes=["PHONE"])
    line = cart_view(cart).lines[0].line
    with pytest.raises(TillError, match="can be sold without a number"):
        cart_line_quantity(sale=cart, line=line, quantity="20")
    with pytest.raises(TillError, match="most a line can hold"):
        cart_line_quantity(sale=cart, line=line, quantity="99999999999")


def test_a_cancelled_sales_order_loads_again(session, cashier, phones, warehouse, walk_in):
    order = _order(phones, warehouse, walk_in, ["SN1"])
    sale = cart_from_sales_order(session=session, document=order, with_numbers=True, user=cashier)
    cart_cancel(sale=sale)
    order.refresh_from_db()
    assert order.owner == "" and order.allocations.count() == 1  # back as it was, numbers and all
    again = cart_from_sales_order(session=session, document=order, with_numbers=True, user=cashier)
    assert [n for _, n, _ in cart_view(again).lines[0].numbers] == ["SN1"]


def test_the_back_office_only_reads_the_tills_documents(client, company, cart, phones):
    clerk = UserFactory(username="vera")
    clerk.groups.add(Group.objects.get(name="Stock clerk"))
    membership_add(user=clerk, company=company, is_default=True)
    client.force_login(clerk)
    cart_scan(sale=cart, codes=["SN1"])
    document = cart.document
    post = client.post(reverse("inventory:document-post", kwargs={"document_pk": document.pk}))
    assert post.status_code == 422 and b"belongs to the till" in post.content
    edit = client.get(reverse("inventory:document-update", kwargs={"document_pk": document.pk}))
    assert edit.status_code == 302
    page = client.get(reverse("inventory:document-detail", kwargs={"document_pk": document.pk})).content.decode()
    assert 'data-testid="document-owned"' in page and "document-post" not in page
    checkout(sale=cart, method="card")
    reverse_it = client.post(reverse("inventory:document-cancel", kwargs={"document_pk": document.pk}))
    assert reverse_it.status_code == 422
    document.refresh_from_db()
    assert document.status == "posted"


def test_a_reversed_sale_is_not_refunded_again(session, cashier, cart, company, warehouse):
    bag = Item.objects.create(company=company, sku="BAG", name="Bag", sale_price=Decimal("5"))
    receive(item=bag, location=warehouse, quantity=10)
    cart_scan(sale=cart, codes=["BAG", "BAG"])
    sale = checkout(sale=cart, method="cash")
    document_reverse(document=sale.document)
    line = refundable(sale)[0].sale_line
    with pytest.raises(TillError, match="reversed"):
        refund_create(session=session, original=sale, numbers=[], quantities={line.pk: "2"}, method="cash", user=cashier)


def test_partial_refunds_never_pay_back_more_than_was_paid(session, cashier, cart, company, warehouse):
    bag = Item.objects.create(company=company, sku="BAG", name="Bag", sale_price=Decimal("0.07"))
    receive(item=bag, location=warehouse, quantity=10)
    cart_scan(sale=cart, codes=["BAG", "BAG"])
    cart_line_price(sale=cart, line=cart.document.lines.get(), unit_price="0.07", discount_percent="50")
    sale = checkout(sale=cart, method="cash")
    line = refundable(sale)[0].sale_line
    first = refund_create(session=session, original=sale, numbers=[], quantities={line.pk: "1"}, method="cash", user=cashier)
    second = refund_create(session=session, original=sale, numbers=[], quantities={line.pk: "1"}, method="cash", user=cashier)
    assert sale.total == Decimal("0.07") and -(first.total + second.total) == Decimal("0.07")


def test_units_with_numbers_to_follow_are_named_on_the_refund(session, cashier, cart, phones):
    cart_scan(sale=cart, codes=["PHONE"])
    sale = checkout(sale=cart, method="card")
    (row,) = refundable(sale)
    assert (row.quantity, row.to_follow) == (0, 1)


def test_a_quotation_of_half_a_serial_is_refused_in_the_form_and_at_the_till(client, session, cashier, company, phones):
    clerk = UserFactory(username="vera")
    clerk.groups.add(Group.objects.get(name="Stock clerk"))
    membership_add(user=clerk, company=company, is_default=True)
    client.force_login(clerk)
    form = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
        "lines-0-item": "PHONE",
        "lines-0-quantity": "1.5",
    }
    answer = client.post(reverse("pos:quotation-create"), form)
    assert answer.status_code == 422 and b"whole numbers only" in answer.content
    quotation = Quotation.objects.create(company=company, number="Q-9")
    QuotationLine.objects.create(company=company, quotation=quotation, item=phones, quantity=Decimal("1.5"), unit_price=1)
    with pytest.raises(Exception, match="whole units"):
        cart_from_quotation(session=session, quotation=quotation, with_numbers=False, user=cashier)


def test_a_double_tap_on_new_sale_makes_one_cart(session, cashier):
    first = cart_new(session=session, user=cashier)
    assert cart_new(session=session, user=cashier).pk == first.pk
    assert Sale.objects.filter(session=session).count() == 1
