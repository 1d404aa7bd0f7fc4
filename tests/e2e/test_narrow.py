"""Narrow screens and the favicon. The documents list and a document page fit the window; wide tables scroll
inside their own box and the top bar folds into its menu button."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import DocumentKind, Tracking
from inventory.services import document_create, document_line_add, location_create
from tests.inventory.factories import ItemFactory, LotClassFactory, PartnerFactory

LONG_LOT = "LOT-" + "7" * 60  # one word: it cannot wrap, the table has to scroll


@pytest.fixture
def document(company):
    store = location_create(company=company, code="MAIN", name="Main store")
    supplier = PartnerFactory(company=company, name="Voltline Electronics and Precision Instruments of the North", is_supplier=True)
    item = ItemFactory(
        company=company,
        sku="SYRUP-EXTRA-STRENGTH-100ML",
        name="Cough syrup, extra strength, sugar free, 100 ml bottle with measuring cup",
        lot_class=LotClassFactory(company=company, tracking=Tracking.LOT),
    )
    receipt = document_create(
        company=company,
        kind=DocumentKind.RECEIPT,
        to_location=store,
        partner=supplier,
        reference="PO-" + "4519" * 25,
    )
    document_line_add(document=receipt, item=item, quantity=Decimal(12), lot_number=LONG_LOT)
    return receipt


def _fits(page) -> None:
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page is {scroll_width} px wide in a {width} px window"


@pytest.mark.parametrize("width", [400, 800])
def test_documents_list_and_page_fit_a_narrow_window(signed_in, document, width):
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})

    page.goto("/documents/")
    expect(page.get_by_test_id("document-table")).to_be_visible()
    _fits(page)
    expect(page.get_by_role("button", name="Menu")).to_be_visible()  # the top bar is folded
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_test_id("company-switcher")).to_be_visible()
    _fits(page)

    page.goto(f"/documents/{document.pk}/")
    expect(page.get_by_test_id("document-line")).to_contain_text(LONG_LOT)
    _fits(page)


def test_favicon_is_linked_and_served(page, live_server):
    page.goto("/accounts/login/")
    href = page.locator('link[rel="icon"]').get_attribute("href")
    assert href.endswith("favicon.svg")
    for url in (href, "/favicon.ico"):  # browsers ask for /favicon.ico whatever the page links
        response = page.request.get(url)
        assert response.ok and response.url.endswith("favicon.svg"), url
        assert response.headers["content-type"] == "image/svg+xml"
