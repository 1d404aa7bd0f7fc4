"""The Content-Security-Policy breaks nothing: pages, the allocations dialog and htmx fragments
run with no violation reported, and behaviour that was inline (onclick=, style=) still works."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import DocumentKind
from inventory.services import document_create, document_line_add, location_create
from tests.e2e import PASSWORD, sign_in
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import receive

# Every violation, as the browser reports it to the page (securitypolicyviolation) and to the console.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def watched(page, clerk):
    """The page, signed in, recording every Content Security Policy violation from the start."""
    console = []
    page.on("console", lambda message: console.append(message.text) if "Content Security Policy" in message.text else None)
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, username=clerk.username, password=PASSWORD)
    expect(page.get_by_test_id("navbar")).to_be_visible()
    page.console_violations = console
    return page


def _violations(page) -> list[str]:
    return page.console_violations + page.evaluate("window.__cspViolations || []")


@pytest.fixture
def stock(company):
    main = location_create(company=company, code="MAIN", name="Main store")
    phone = ItemFactory(company=company, sku="PHONE", name="Field phone", lot_class=LotClassFactory(company=company))
    receive(item=phone, location=main, generate=3)
    delivery = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=main)
    document_line_add(document=delivery, item=phone, quantity=Decimal(2))
    return delivery


def test_home_page_has_no_csp_violation(watched):
    watched.goto("/")
    expect(watched.get_by_role("heading", level=1)).to_be_visible()
    watched.get_by_test_id("company-switcher").click()  # Bootstrap's dropdown positions itself through the CSSOM
    assert _violations(watched) == []


def test_document_page_with_the_allocations_dialog_has_no_csp_violation(watched, stock):
    watched.goto(f"/documents/{stock.pk}/")
    watched.get_by_test_id("document-line").first.get_by_test_id("open-allocations").click()
    expect(watched.get_by_test_id("allocations-dialog")).to_be_visible()
    dialog = watched.locator("#dialog")
    expect(dialog.get_by_test_id("candidate-row")).to_have_count(3)
    dialog.get_by_placeholder("Search numbers").fill("SN0002")  # the candidates search, over htmx
    expect(dialog.get_by_test_id("candidate-row")).to_have_count(1)
    assert _violations(watched) == []


def test_lot_list_has_no_csp_violation(watched, stock):
    watched.goto("/trace/lots/")
    expect(watched.get_by_role("heading", level=1)).to_be_visible()
    assert _violations(watched) == []


def test_print_button_prints_without_an_inline_handler(watched, stock):
    watched.goto(f"/documents/{stock.pk}/print/")
    watched.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    watched.get_by_role("button", name="Print").click()
    assert watched.evaluate("window.__printed") == 1
    assert _violations(watched) == []


def test_the_watch_sees_a_violation(watched):
    # The other tests' empty lists mean something: an inline style attribute is reported.
    watched.evaluate("() => { document.querySelector('main').insertAdjacentHTML('beforeend', '<div style=\"color: red\">x</div>'); }")
    expect(watched.locator("main")).to_contain_text("x")
    watched.wait_for_timeout(200)
    assert any("style-src" in v for v in _violations(watched))
