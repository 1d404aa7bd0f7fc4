"""A stock clerk's day in the browser: receive, deliver by scanning, transfer, post, reverse.

Stock that a test needs before it starts is received through the real services; everything the
test is about is done with the mouse and keyboard in Chromium.
"""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import Balance, Document, DocumentKind, DocumentStatus, Lot, LotKind, Tracking
from inventory.services import location_create
from tests.inventory.factories import ItemFactory, LotClassFactory, PartnerFactory
from tests.inventory.flows import on_hand, receive

EXPIRY = date.today() + timedelta(days=200)


@pytest.fixture
def places(company):
    return {
        "main": location_create(company=company, code="MAIN", name="Main store"),
        "front": location_create(company=company, code="FRONT", name="Front shop"),
    }


@pytest.fixture
def partners(company):
    return {
        "supplier": PartnerFactory(company=company, name="Voltline Electronics", is_supplier=True, is_customer=False),
        "customer": PartnerFactory(company=company, name="St. Olav Clinic", is_supplier=False, is_customer=True),
    }


@pytest.fixture
def phone(company):
    """Serial-tracked, numbered SN0001, SN0002… by its class."""
    return ItemFactory(
        company=company, sku="PHONE", name="Field phone", lot_class=LotClassFactory(company=company, issue_method="sequential")
    )


@pytest.fixture
def syrup(company):
    """Lot-tracked with expiry dates."""
    lot_class = LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True, segments=[("constant", "L"), ("counter", "001")])
    return ItemFactory(company=company, sku="SYRUP", name="Cough syrup 100 ml", lot_class=lot_class)


def _open_new_document(page, label: str):
    page.get_by_role("link", name=f"New {label}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"New {label}")


def _fill_line(page, index: int, *, item: str, quantity: str):
    row = page.get_by_test_id("line-row").nth(index)
    row.get_by_label("Item").select_option(label=item)
    row.get_by_label("Quantity").fill(quantity)


def _open_dialog(page, position: int):
    page.get_by_test_id("document-line").nth(position - 1).get_by_test_id("open-allocations").click()
    dialog = page.get_by_test_id("allocations-dialog")
    expect(dialog).to_be_visible()
    return page.locator("#dialog")


def _close_dialog(page):
    """Close a dialog whose work changed the page: it reloads, and the next step waits for that."""
    with page.expect_navigation():
        page.locator("#dialog").get_by_role("button", name="Done").click()
    expect(page.locator("#dialog")).to_be_hidden()


def _confirm(page, action: str):
    page.get_by_role("link", name=action, exact=True).click()
    page.get_by_test_id("confirm").click()


def _document(number: str) -> Document:
    return Document.objects.get(number=number)


def _number_on_page(page) -> str:
    heading = page.get_by_role("heading", level=1).inner_text()
    return re.search(r"[A-Z]{2}-\d+", heading).group(0)


def test_receive_five_generated_serials_and_a_lot_with_its_expiry(signed_in, places, partners, phone, syrup):
    page = signed_in
    _open_new_document(page, "receipt")
    page.get_by_label("Supplier").select_option(label=partners["supplier"].name)
    page.get_by_label("To location").select_option(value=str(places["main"].pk))
    page.get_by_label("Reference").fill("PO-4519")
    _fill_line(page, 0, item="PHONE — Field phone", quantity="5")
    page.get_by_test_id("add-line").click()  # a second row, without reloading the page
    expect(page.get_by_test_id("line-row")).to_have_count(2)
    _fill_line(page, 1, item="SYRUP — Cough syrup 100 ml", quantity="12")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_test_id("document-status")).to_have_text("Draft")
    number = _number_on_page(page)

    # Line 1: five numbers generated from the class's template.
    dialog = _open_dialog(page, 1)
    expect(dialog.get_by_label("How many")).to_have_value("5")
    dialog.get_by_test_id("generate").click()
    expect(dialog.get_by_test_id("remaining")).to_have_text("0")
    expect(dialog.get_by_test_id("allocated-row")).to_have_count(5)
    _close_dialog(page)
    expect(page.get_by_test_id("document-line").nth(0).get_by_test_id("line-numbers")).to_contain_text("SN0001")

    # Line 2: the supplier's lot number, typed with its expiry date.
    dialog = _open_dialog(page, 2)
    dialog.get_by_test_id("scan-input").fill("BATCH-77")
    dialog.get_by_test_id("scan-form").get_by_label("Expiration date").fill(EXPIRY.isoformat())
    dialog.get_by_test_id("scan-input").press("Enter")
    expect(dialog.get_by_test_id("remaining")).to_have_text("0")
    expect(dialog.get_by_test_id("allocated-row")).to_contain_text("BATCH-77")
    _close_dialog(page)

    _confirm(page, "Post")
    expect(page.get_by_test_id("document-status")).to_have_text("Posted")
    expect(page.get_by_test_id("posted-by")).to_contain_text("carl")
    expect(page.get_by_test_id("move-table").locator("tbody tr")).to_have_count(6)

    assert _document(number).status == DocumentStatus.POSTED
    assert sorted(Lot.objects.filter(item=phone).values_list("number", flat=True)) == [f"SN000{n}" for n in range(1, 6)]
    lot = Lot.objects.get(item=syrup, kind=LotKind.LOT)
    assert (lot.number, lot.expiry_date) == ("BATCH-77", EXPIRY)
    assert on_hand(phone, places["main"]) == 5 and on_hand(syrup, places["main"], lot) == Decimal("12")


def test_deliver_three_serials_scanned_with_one_bad_entry_then_reverse(signed_in, places, partners, phone):
    page = signed_in
    receive(item=phone, location=places["main"], generate=5)
    _open_new_document(page, "delivery")
    page.get_by_label("Customer").select_option(label=partners["customer"].name)
    page.get_by_label("From location").select_option(value=str(places["main"].pk))
    _fill_line(page, 0, item="PHONE — Field phone", quantity="3")
    page.get_by_role("button", name="Save", exact=True).click()
    number = _number_on_page(page)

    dialog = _open_dialog(page, 1)
    expect(dialog.get_by_test_id("candidate-row")).to_have_count(5)
    scan = dialog.get_by_test_id("scan-input")
    for entry in ("SN0002", "SN0009", "SN0004", "SN0005"):
        scan = dialog.get_by_test_id("scan-input")
        expect(scan).to_be_focused()  # the next input is ready for the scanner
        scan.fill(entry)
        scan.press("Enter")
        expect(dialog.get_by_test_id("scan-input")).to_have_value("")
    rejected = dialog.get_by_test_id("rejected-row")
    expect(rejected).to_have_count(1)
    expect(rejected).to_contain_text("SN0009")
    expect(rejected).to_contain_text("unknown")
    expect(dialog.get_by_test_id("allocated")).to_have_text("3")
    expect(dialog.get_by_test_id("remaining")).to_have_text("0")
    expect(dialog.get_by_test_id("allocated-table")).to_contain_text("SN0002")
    _close_dialog(page)

    _confirm(page, "Post")
    expect(page.get_by_test_id("document-status")).to_have_text("Posted")
    delivered = set(Lot.objects.filter(item=phone, in_stock=False).values_list("number", flat=True))
    assert delivered == {"SN0002", "SN0004", "SN0005"}
    assert on_hand(phone, places["main"]) == 2

    _confirm(page, "Reverse")
    expect(page.get_by_test_id("document-status")).to_have_text("Reversed")
    assert _document(number).status == DocumentStatus.REVERSED
    assert on_hand(phone, places["main"]) == 5
    assert not Lot.objects.filter(item=phone, in_stock=False).exists()


def test_transfer_a_lot_by_the_issue_method_with_save_and_post(signed_in, places, syrup):
    page = signed_in
    receive(item=syrup, location=places["main"], numbers=["OLD-1"], quantity=10, expiry=EXPIRY - timedelta(days=100))
    receive(item=syrup, location=places["main"], numbers=["NEW-2"], quantity=10, expiry=EXPIRY)
    _open_new_document(page, "transfer")
    page.get_by_label("From location").select_option(value=str(places["main"].pk))
    page.get_by_label("To location").select_option(value=str(places["front"].pk))
    _fill_line(page, 0, item="SYRUP — Cough syrup 100 ml", quantity="4")
    page.get_by_role("button", name="Save & post").click()

    expect(page.get_by_test_id("document-status")).to_have_text("Posted")
    expect(page.get_by_test_id("document-line").nth(0).get_by_test_id("line-numbers")).to_contain_text("OLD-1")
    old = Lot.objects.get(item=syrup, number="OLD-1")
    assert on_hand(syrup, places["front"], old) == 4 and on_hand(syrup, places["main"], old) == 6
    assert Document.objects.get(kind=DocumentKind.TRANSFER).status == DocumentStatus.POSTED


def test_a_refused_line_is_marked_on_the_form_and_the_typing_kept(signed_in, places, partners, phone):
    page = signed_in
    _open_new_document(page, "delivery")
    page.get_by_label("From location").select_option(value=str(places["main"].pk))
    page.get_by_label("Reference").fill("SO-1 urgent")
    _fill_line(page, 0, item="PHONE — Field phone", quantity="2")
    page.get_by_role("button", name="Save & post").click()

    expect(page.get_by_test_id("line-error")).to_contain_text("not enough")
    expect(page.get_by_label("Reference")).to_have_value("SO-1 urgent")
    expect(page.get_by_test_id("line-row").nth(0).get_by_label("Quantity")).to_have_value("2")
    assert not Balance.objects.filter(item=phone).exists()
