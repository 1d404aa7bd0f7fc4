"""The Lots/Serial Numbers pages, lookup and recall, driven in Chromium as a stock clerk would."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import Lot, LotHoldEvent, LotStatus, StockMove, Tracking
from inventory.services import genealogy_links_add, location_create
from tests.inventory.factories import ItemFactory, LotClassFactory, PartnerFactory
from tests.inventory.flows import receive

EXPIRY = date.today() + timedelta(days=300)


@pytest.fixture
def shop(company):
    """Syrup lots, and thermometers (serials) made from syrup lot SY-BAD… as a stand-in for any
    product made from a component lot."""
    main = location_create(company=company, code="MAIN", name="Main store")
    syrup = ItemFactory(
        company=company,
        sku="SYRUP",
        name="Cough syrup",
        lot_class=LotClassFactory(
            company=company, tracking=Tracking.LOT, track_expiry=True, segments=[("constant", "SY"), ("counter", "001")]
        ),
    )
    therm = ItemFactory(
        company=company,
        sku="THERM",
        name="Thermometer",
        lot_class=LotClassFactory(company=company, segments=[("constant", "TH"), ("counter", "001")]),
    )
    receive(item=syrup, location=main, numbers=["SY-BAD"], quantity=20, expiry=EXPIRY)
    receive(item=syrup, location=main, numbers=["SY-GOOD"], quantity=30, expiry=EXPIRY)
    receive(item=therm, location=main, generate=3)
    lots = {lot.number: lot for lot in company.lots.all()}
    genealogy_links_add(company=company, links=[(lots["SY-BAD"].pk, lots[n].pk, 1) for n in ("TH001", "TH002")])
    PartnerFactory(company=company, name="Corner Clinic", is_supplier=False, is_customer=True)
    return {"main": main, "syrup": syrup, "therm": therm, "lots": lots}


def test_lot_list_filter_group_by_product_and_search(signed_in, shop):
    page = signed_in
    page.get_by_test_id("nav-lots").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lots/Serial Numbers")
    expect(page.get_by_test_id("row-count")).to_contain_text("5 lots")

    page.get_by_label("Product").select_option(label="SYRUP — Cough syrup")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("row-count")).to_contain_text("2 lots")

    page.get_by_label("Product").select_option(index=0)
    page.get_by_label("Group by").select_option(label="Product")
    page.get_by_role("button", name="Filter").click()
    groups = page.get_by_test_id("group-row")
    expect(groups).to_have_count(2)
    syrup_group = page.locator('[data-testid="group-row"][data-item="SYRUP"]')
    expect(syrup_group.get_by_test_id("group-quantity")).to_have_text("50")
    syrup_group.get_by_role("button").click()  # expand the group
    expect(page.locator('tr[data-number="SY-BAD"]')).to_be_visible()

    page.get_by_label("Group by").select_option(index=0)
    page.get_by_label("Search").fill("TH002")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("row-count")).to_contain_text("1 lot")
    expect(page.get_by_role("link", name="TH002")).to_be_visible()


def test_create_with_create_and_create_another_then_view_locations_and_history(signed_in, shop):
    page = signed_in
    page.goto("/trace/lots/")
    page.get_by_test_id("lot-create").click()
    page.locator("main").get_by_label("Lot/Serial Number", exact=True).fill("SY-NEW")
    page.get_by_label("Product").select_option(label="SYRUP — Cough syrup")
    page.get_by_label("Quantity").fill("7")
    page.get_by_label("Location").select_option(value=str(shop["main"].pk))
    page.get_by_label("Expiration date").fill(EXPIRY.isoformat())
    page.get_by_label("Reference").fill("Found in count")
    page.get_by_role("button", name="Create & Create Another").click()

    # A blank form again, saying what was made.
    expect(page.get_by_role("alert")).to_contain_text("SY-NEW")
    expect(page.locator("main").get_by_label("Lot/Serial Number", exact=True)).to_have_value("")
    lot = Lot.objects.get(number="SY-NEW")
    assert StockMove.objects.filter(to_lot=lot, quantity=Decimal(7)).count() == 1  # stock only ever arrives by a move

    page.locator("main").get_by_label("Lot/Serial Number", exact=True).fill("SY-NEW2")
    page.get_by_label("Product").select_option(label="SYRUP — Cough syrup")
    page.get_by_label("Quantity").fill("0")
    page.get_by_label("Expiration date").fill(EXPIRY.isoformat())
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_test_id("lot-tabs")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("SY-NEW2")

    page.goto(f"/trace/lots/{lot.pk}/")
    page.get_by_test_id("lot-tabs").get_by_role("link", name="Locations").click()
    expect(page.locator("main")).to_contain_text("MAIN")
    expect(page.locator("main")).to_contain_text("7")
    page.get_by_test_id("lot-tabs").get_by_role("link", name="History").click()
    expect(page.locator("main")).to_contain_text("Adjustment")
    expect(page.locator("main")).to_contain_text("carl")


def test_lookup_from_the_top_bar(signed_in, shop):
    page = signed_in
    box = page.get_by_test_id("lookup-input")
    box.fill("TH002")
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("TH002")
    page.get_by_test_id("lookup-input").fill("SY-")
    page.get_by_test_id("lookup-input").press("Enter")
    expect(page.get_by_test_id("lookup-row")).to_have_count(2)


def test_recall_hold_then_a_delivery_of_the_held_lot_is_refused(signed_in, shop):
    page = signed_in
    page.goto(f"/trace/lots/{shop['lots']['SY-BAD'].pk}/genealogy/")
    expect(page.get_by_test_id("graph-node")).to_have_count(3)
    page.get_by_test_id("recall-this").click()
    expect(page.get_by_test_id("total-units")).to_have_text("3")
    page.get_by_label("reason").fill("Supplier notice 17: contamination")
    page.get_by_test_id("hold-all").click()
    expect(page.get_by_text("3 lots/serials put on hold")).to_be_visible()
    assert set(Lot.objects.filter(status=LotStatus.ON_HOLD).values_list("number", flat=True)) == {"SY-BAD", "TH001", "TH002"}
    assert LotHoldEvent.objects.filter(created_by__username="carl").count() == 3

    # The clerk tries to ship the held lot: the dialog refuses it and says why.
    page.get_by_role("button", name="Documents").click()
    page.get_by_role("link", name="New delivery").first.click()
    page.get_by_label("Customer").select_option(label="Corner Clinic")
    page.get_by_label("From location").select_option(value=str(shop["main"].pk))
    row = page.get_by_test_id("line-row").nth(0)
    row.get_by_label("Item").select_option(label="SYRUP — Cough syrup")
    row.get_by_label("Quantity").fill("5")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_test_id("open-allocations").click()
    dialog = page.locator("#dialog")
    expect(dialog.get_by_test_id("candidate-row")).to_have_count(1)  # only SY-GOOD is offered
    scan = dialog.get_by_test_id("scan-input")
    scan.fill("SY-BAD")
    scan.press("Enter")
    expect(dialog.get_by_test_id("rejected-row")).to_contain_text("on hold (Supplier notice 17: contamination)")
    expect(dialog.get_by_test_id("allocated")).to_have_text("0")
