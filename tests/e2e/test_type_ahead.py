"""Partners and items past ``CHOICES_SELECT_LIMIT`` in the browser: typed, suggested over htmx,
picked (or scanned with Enter), shown back by their label, on a delivery and the documents list.

The limit is lowered so that a few rows make a type-ahead. Headless Chromium draws no datalist
popup to click: a test waits for the suggestion to arrive in the ``<datalist>``, then puts its
value in the input, which is what picking it does.
"""

import pytest
from playwright.sync_api import expect

from inventory.models import Document, DocumentKind
from inventory.services import document_create, location_create
from tests.inventory.factories import ItemFactory, LotClassFactory, PartnerFactory

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@pytest.fixture
def many(settings):
    """Every partner and item choice of these small companies is a type-ahead."""
    settings.CHOICES_SELECT_LIMIT = 1


@pytest.fixture
def shop(company):
    return {
        "main": location_create(company=company, code="MAIN", name="Main store"),
        "olav": PartnerFactory(company=company, code="C-OLAV", name="St. Olav Clinic", is_customer=True, is_supplier=False),
        "anna": PartnerFactory(company=company, code="C-ANNA", name="Anna's Pharmacy", is_customer=True, is_supplier=False),
        "volt": PartnerFactory(company=company, code="S-VOLT", name="Voltline Electronics", is_customer=False, is_supplier=True),
        "phone": ItemFactory(company=company, sku="PHONE", name="Field phone", lot_class=LotClassFactory(company=company)),
        "syrup": ItemFactory(company=company, sku="SYRUP", name="Cough syrup 100 ml"),
    }


def _pick(page, box, typed: str, label: str) -> None:
    """Type part of a code or name as a person would, wait for the suggestion, pick it."""
    box.click()
    box.press_sequentially(typed, delay=40)
    expect(page.locator(f'datalist#{box.get_attribute("list")} option[value="{label}"]')).to_be_attached()
    box.fill(label)


def _new_delivery(page, shop):
    page.goto("/documents/new/delivery/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New delivery")
    page.get_by_label("From location").select_option(value=str(shop["main"].pk))


def test_delivery_customer_and_item_picked_through_the_type_ahead(signed_in, many, shop):
    page = signed_in
    page.add_init_script(RECORD_VIOLATIONS)
    _new_delivery(page, shop)
    customer = page.get_by_label("Customer")
    expect(customer).to_have_attribute("type", "text")
    expect(page.locator("select#id_partner")).to_have_count(0)

    _pick(page, customer, "olav", "C-OLAV — St. Olav Clinic")
    # Suppliers are not offered on a delivery, nor is anything of another company.
    customer.fill("")
    customer.press_sequentially("volt", delay=40)
    expect(page.locator("#partner-choices-hint")).to_have_text("No customer matches “volt”.")
    customer.fill("C-OLAV — St. Olav Clinic")
    expect(page.locator("#partner-choices-hint")).to_have_text("")

    line = page.get_by_test_id("line-row").nth(0)
    _pick(page, line.get_by_label("Item"), "field", "PHONE — Field phone")
    line.get_by_label("Quantity").fill("2")
    page.get_by_test_id("add-line").click()  # a row added over htmx is a type-ahead too
    second = page.get_by_test_id("line-row").nth(1)
    _pick(page, second.get_by_label("Item"), "cough", "SYRUP — Cough syrup 100 ml")
    second.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_test_id("document-status")).to_have_text("Draft")
    document = Document.objects.get(kind=DocumentKind.DELIVERY)
    assert document.partner == shop["olav"]
    assert [(line.item.sku, line.quantity) for line in document.lines.order_by("position")] == [("PHONE", 2), ("SYRUP", 3)]

    page.goto(f"/documents/{document.pk}/edit/")  # shown back by their labels
    expect(page.get_by_label("Customer")).to_have_value("C-OLAV — St. Olav Clinic")
    expect(page.get_by_test_id("line-row").nth(0).get_by_label("Item")).to_have_value("PHONE — Field phone")
    expect(page.get_by_test_id("line-row").nth(1).get_by_label("Item")).to_have_value("SYRUP — Cough syrup 100 ml")
    assert page.evaluate("window.__cspViolations") == []


def test_a_scanned_sku_and_enter_picks_the_item(signed_in, many, shop):
    page = signed_in
    _new_delivery(page, shop)
    page.get_by_label("Customer").fill("c-anna")  # a code typed whole needs no suggestion either
    item = page.get_by_test_id("line-row").nth(0).get_by_label("Item")
    item.click()
    page.keyboard.type("phone\n")  # a keyboard-wedge scanner: the code and Enter at once

    # The form comes back with what the scan named, and asks for what is still missing.
    line = page.get_by_test_id("line-row").nth(0)
    expect(line.get_by_label("Item")).to_have_value("PHONE — Field phone")
    expect(page.get_by_label("Customer")).to_have_value("C-ANNA — Anna's Pharmacy")
    expect(line.get_by_label("Quantity")).to_have_class(r"form-control form-control-sm is-invalid")
    line.get_by_label("Quantity").fill("1")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_test_id("document-status")).to_have_text("Draft")
    document = Document.objects.get(kind=DocumentKind.DELIVERY)
    assert document.partner == shop["anna"] and document.lines.get().item == shop["phone"]


def test_a_typed_item_that_is_no_item_is_named_beside_the_line(signed_in, many, shop):
    page = signed_in
    _new_delivery(page, shop)
    line = page.get_by_test_id("line-row").nth(0)
    line.get_by_label("Item").fill("PHONE-X")
    line.get_by_label("Quantity").fill("1")
    page.get_by_role("button", name="Save", exact=True).click()
    line = page.get_by_test_id("line-row").nth(0)
    expect(line).to_contain_text("No item “PHONE-X”: type its SKU or name and pick it from the list.")
    expect(line.get_by_label("Item")).to_have_value("PHONE-X")
    assert not Document.objects.exists()


def test_documents_list_filtered_by_a_partner_through_the_type_ahead(signed_in, many, shop, company):
    for_olav = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=shop["main"], partner=shop["olav"])
    for_anna = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=shop["main"], partner=shop["anna"])
    page = signed_in
    page.goto("/documents/")
    rows = page.get_by_test_id("document-table").locator("tbody tr[data-number]")
    expect(rows).to_have_count(2)

    partner = page.get_by_label("Partner")
    _pick(page, partner, "anna", "C-ANNA — Anna's Pharmacy")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-number", for_anna.number)
    expect(page.get_by_label("Partner")).to_have_value("C-ANNA — Anna's Pharmacy")

    # A code typed (or scanned) with Enter filters at once, and comes back as its label.
    page.get_by_label("Partner").fill("c-olav")
    page.get_by_label("Partner").press("Enter")
    expect(page.get_by_label("Partner")).to_have_value("C-OLAV — St. Olav Clinic")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-number", for_olav.number)

    page.get_by_label("Partner").fill("nobody")
    page.get_by_label("Partner").press("Enter")
    expect(page.get_by_test_id("filter-errors")).to_contain_text("No partner “nobody”: type its code or name and pick it from the list.")
    expect(page.get_by_label("Partner")).to_have_value("nobody")


def test_new_lot_product_picked_through_the_type_ahead_previews_its_number(signed_in, many, shop, company):
    ItemFactory(company=company, sku="RADIO", name="Field radio", lot_class=LotClassFactory(company=company))
    page = signed_in
    page.goto("/trace/lots/new/")
    product = page.get_by_label("Product")
    # The suggestions arrive although the field sits in the block that asks for the number preview.
    _pick(page, product, "field", "PHONE — Field phone")
    product.press("Tab")  # the choice is made: the next number of its numbering is shown
    expect(page.locator("main").get_by_label("Lot/Serial Number", exact=True)).to_have_value("SN0001")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("SN0001")
    assert shop["phone"].lots.get().number == "SN0001"
