"""The till's pages as a cashier uses them (the browser tests drive the same pages in Chromium)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from inventory.models import PendingNumbers
from inventory.services import membership_add
from pos.models import Sale, SaleStatus
from pos.services import cart_scan, checkout
from tests.inventory.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def till(client, cashier):
    client.force_login(cashier)
    return client


def _open(till, register):
    response = till.post(reverse("pos:registers"), {"register": register.pk, "opening_cash": "20"})
    assert response.status_code == 302
    response = till.get(reverse("pos:till"))
    assert response.status_code == 302
    return Sale.objects.get(pk=int(response.url.rstrip("/").split("/")[-1]))


def test_a_cashier_opens_a_register_scans_and_pays(till, register, phones):
    sale = _open(till, register)
    page = till.get(reverse("pos:till-sale", kwargs={"sale_pk": sale.pk}))
    assert page.status_code == 200 and b'data-testid="scan-input"' in page.content
    answer = till.post(reverse("pos:scan", kwargs={"sale_pk": sale.pk}), {"code": ["SN1", "TYPO", "PHONE"]}, HTTP_HX_REQUEST="true")
    text = answer.content.decode()
    assert answer.status_code == 200
    assert text.count('data-testid="scan-ok"') == 2 and text.count('data-testid="scan-refused"') == 1
    assert "1 missing" in text and "btn-danger" in text  # the red list-view button
    assert "data-open-numbers" in text  # the product code without its number opens the pop-up
    pay = till.post(reverse("pos:pay", kwargs={"sale_pk": sale.pk}), {"method": "cash", "tendered": "400"})
    assert pay.status_code == 302
    receipt = till.get(pay.url).content.decode()
    assert "SN1" in receipt and "1 number to follow" in receipt and "2.00" in receipt  # the change
    assert PendingNumbers.objects.get(document=sale.document).missing == 1


def test_the_numbers_pop_up_adds_and_removes_numbers(till, register, phones):
    sale = _open(till, register)
    till.post(reverse("pos:scan", kwargs={"sale_pk": sale.pk}), {"code": "PHONE"})
    line = sale.document.lines.get()
    url = reverse("pos:numbers", kwargs={"sale_pk": sale.pk, "line_pk": line.pk})
    assert b"1 missing" in till.get(url).content
    text = till.post(url, {"code": ["SN4", "SN4", "SN5"]}).content.decode()
    assert text.count('data-testid="number-ok"') == 2 and "already on this line" in text
    allocation = line.allocations.get(lot__number="SN5")
    text = till.post(url, {"action": "remove", "allocation": allocation.pk}).content.decode()
    assert 'data-testid="number-row"' in text and "SN5" not in text
    line.refresh_from_db()
    assert line.quantity == 1


def test_the_numpad_quantity_and_a_bad_one(till, register, phones):
    sale = _open(till, register)
    till.post(reverse("pos:scan", kwargs={"sale_pk": sale.pk}), {"code": "SN1"})
    line = sale.document.lines.get()
    url = reverse("pos:quantity", kwargs={"sale_pk": sale.pk, "line_pk": line.pk})
    assert "2 missing" in till.post(url, {"quantity": "3"}).content.decode()
    bad = till.post(url, {"quantity": "1e400"})
    assert bad.status_code == 422 and b"cart-error" in bad.content


def test_another_cashiers_cart_is_not_found(till, register, phones, company, client):
    sale = _open(till, register)
    other = UserFactory(username="olga")
    other.groups.add(Group.objects.get(name="Cashier"))
    membership_add(user=other, company=company, is_default=True)
    client.force_login(other)
    assert client.post(reverse("pos:scan", kwargs={"sale_pk": sale.pk}), {"code": "SN1"}).status_code == 404


def test_a_cashier_cannot_reach_the_back_office_writes_nor_costs(till, company):
    assert till.get(reverse("inventory:document-create", kwargs={"kind": "delivery"})).status_code == 403
    assert till.get(reverse("traceability:valuation")).status_code == 403
    assert till.get(reverse("pos:quotation-create")).status_code == 403


def test_follow_up_list_and_assign(till, register, phones, cashier):
    sale = _open(till, register)
    cart_scan(sale=sale, codes=["PHONE"])
    checkout(sale=sale, method="card")
    listing = till.get(reverse("pos:follow-up")).content.decode()
    assert sale.number in listing and 'data-testid="follow-up-row"' in listing
    pending = PendingNumbers.objects.get(document=sale.document)
    url = reverse("pos:follow-up-assign", kwargs={"pending_pk": pending.pk})
    long = "SN" + "7" * 300  # named as too long, not cut to a number's length and judged as another
    text = till.post(url, {"code": ["NOPE", long, "SN7"]}).content.decode()
    assert "NOPE" in text and "SN7 — assigned" in text and "All assigned" in text
    assert f"{long} — longer than 80 characters" in text
    assert sale.number not in till.get(reverse("pos:follow-up")).content.decode()


def test_refund_page_finds_the_sale_by_serial_and_refunds(till, register, phones):
    sale = _open(till, register)
    cart_scan(sale=sale, codes=["SN2", "SN3"])
    checkout(sale=sale, method="card")
    page = till.get(reverse("pos:refund"), {"q": "SN3"}).content.decode()
    assert sale.number in page and "SN2" in page
    response = till.post(reverse("pos:refund"), {"original": sale.pk, "number": ["SN3"], "method": "cash"})
    assert response.status_code == 302
    refund = Sale.objects.get(original=sale)
    assert refund.total == Decimal("-199.00") and refund.status == SaleStatus.DONE
    again = till.post(reverse("pos:refund"), {"original": sale.pk, "scanned": "SN3 NOPE", "method": "cash"})
    assert again.status_code == 422 and b"refunded already" in again.content
    assert ">SN3\nNOPE</textarea>" in again.content.decode()  # kept, to correct
    till.post(reverse("pos:refund"), {"original": sale.pk, "number": ["SN2"], "method": "cash"})
    page = till.get(reverse("pos:refund"), {"q": sale.number}).content.decode()
    assert f"Everything {sale.number} sold has been refunded already." in page and 'data-testid="refund-form"' not in page


def test_close_the_session(till, register, phones):
    sale = _open(till, register)
    cart_scan(sale=sale, codes=["SN1"])
    checkout(sale=sale, method="cash")
    summary = till.get(reverse("pos:close")).content.decode()
    assert 'data-testid="summary-sales">1<' in summary
    done = till.post(reverse("pos:close"), {"counted_cash": "219"}).content.decode()
    assert 'data-testid="cash-difference">0.00<' in done
    assert till.get(reverse("pos:till")).status_code == 302


def test_bad_input_is_answered_not_a_500(till, register, phones):
    sale = _open(till, register)
    assert till.post(reverse("pos:scan", kwargs={"sale_pk": sale.pk}), {"code": "x" * 5000}).status_code == 200
    answer = till.post(reverse("pos:pay", kwargs={"sale_pk": sale.pk}), {"method": "card", "tendered": "NaN"})  # an empty cart
    # Refused with what was typed kept, to correct it.
    assert answer.status_code == 422 and 'value="NaN"' in answer.content.decode() and 'value="card" checked' in answer.content.decode()
    assert till.post(reverse("pos:registers"), {"register": "99999999999999999999"}).status_code == 404
    assert "No sale with receipt number S-NOPE." in till.get(reverse("pos:sales"), {"q": "S-NOPE"}).content.decode()
    assert till.get(reverse("pos:refund"), {"q": "\x00" * 10}).status_code == 200


def test_a_refund_sent_twice_refunds_once(till, register, company):
    from inventory.models import Item
    from tests.inventory.flows import receive

    bag = Item.objects.create(company=company, sku="BAG", name="Bag", sale_price=Decimal("2"))
    receive(item=bag, location=register.location, quantity=10)
    sale = _open(till, register)
    cart_scan(sale=sale, codes=["BAG", "BAG", "BAG"])
    checkout(sale=sale, method="cash")
    line = sale.lines.get()
    form = {"original": sale.pk, f"quantity-{line.pk}": "1", "method": "cash", "submission_key": "0b4c1a52-1d7e-4c5c-9a57-6a3f1f0f2b11"}
    first = till.post(reverse("pos:refund"), form)
    again = till.post(reverse("pos:refund"), form)
    assert first.status_code == again.status_code == 302 and first.url == again.url
    assert Sale.objects.filter(original=sale).count() == 1


def test_a_quotation_is_made_in_the_back_office_once(client, company, phones):
    from pos.models import Quotation

    clerk = UserFactory(username="vera")
    clerk.groups.add(Group.objects.get(name="Stock clerk"))
    membership_add(user=clerk, company=company, is_default=True)
    client.force_login(clerk)
    form = {
        "submission_key": "5d2e7a9c-3b1f-4e8d-8c6a-2f4b9e1d7a30",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
        "lines-0-item": "PHONE",
        "lines-0-quantity": "2",
        "lines-0-numbers": "SN1\nSN2",
    }
    assert client.get(reverse("pos:quotation-create")).status_code == 200
    assert client.post(reverse("pos:quotation-create"), form).status_code == 302
    assert client.post(reverse("pos:quotation-create"), form).status_code == 302
    (quotation,) = Quotation.objects.all()
    line = quotation.lines.get()
    assert (line.item.sku, line.quantity, line.unit_price, line.numbers) == ("PHONE", 2, Decimal("199.00"), "SN1\nSN2")
    bad = client.post(reverse("pos:quotation-create"), {**form, "submission_key": "", "lines-0-item": "NOPE"})
    assert bad.status_code == 422 and b"no item with code NOPE" in bad.content
