"""Issue 10 in Chromium: confirmation pages for a lot's Archive and Delete, status badges in the
grouped document list, the partner row of a document's page, a lot's stock in the lookup."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import DocumentKind, Lot, LotStatus, Tracking
from inventory.services import location_create, lot_create
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import issue, receive


@pytest.fixture
def store(company):
    main = location_create(company=company, code="MAIN", name="Main store")
    front = location_create(company=company, code="FRONT", name="Front shop")
    honey = ItemFactory(
        company=company, sku="HONEY", name="Manuka honey", lot_class=LotClassFactory(company=company, tracking=Tracking.LOT)
    )
    return {"main": main, "front": front, "honey": honey}


@pytest.fixture
def no_dialogs(signed_in):
    """The page, failing the test if the browser's own confirm() box is opened."""
    opened = []
    signed_in.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    yield signed_in
    assert opened == [], f"a browser dialog was opened: {opened}"


@pytest.mark.parametrize("action", ["archive", "delete"])
def test_lot_archive_and_delete_confirm_on_a_page_not_a_browser_box(no_dialogs, store, action):
    page = no_dialogs
    lot = lot_create(company=store["honey"].company, item=store["honey"], number="MH-NEW")
    page.goto(f"/trace/lots/{lot.pk}/archive/")
    page.get_by_test_id(f"lot-{action}").click()
    confirm = page.get_by_test_id("lot-confirm")
    expect(confirm).to_contain_text("MH-NEW")
    confirm.get_by_test_id("confirm-back").click()  # Back changes nothing
    expect(page.get_by_test_id(f"lot-{action}")).to_be_visible()
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.ACTIVE
    page.get_by_test_id(f"lot-{action}").click()
    page.get_by_test_id("lot-confirm").get_by_test_id("confirm").click()
    expect(page.get_by_role("alert")).to_contain_text(f"MH-NEW {action}d")
    if action == "archive":
        assert Lot.objects.get(pk=lot.pk).status == LotStatus.ARCHIVED
    else:
        assert not Lot.objects.filter(pk=lot.pk).exists()


def test_lookup_shows_a_lots_stock_and_where(signed_in, store):
    page = signed_in
    receive(item=store["honey"], location=store["main"], numbers=["MH-2291"], quantity=30)
    receive(item=store["honey"], location=store["front"], numbers=["MH-2291"], quantity=12)
    receive(item=store["honey"], location=store["main"], numbers=["MH-2292"], quantity=1)
    page.goto("/trace/lookup/?q=MH-229")
    row = page.get_by_test_id("lookup-row").filter(has_text="MH-2291")
    expect(row.get_by_test_id("lookup-on-hand")).to_contain_text("42")
    expect(row.get_by_test_id("lookup-locations")).to_have_text("MAIN 30, FRONT 12")


@pytest.mark.parametrize("group", ["kind", "status", "partner"])
def test_grouped_document_list_shows_the_status_badge(signed_in, store, group):
    page = signed_in
    receive(item=store["honey"], location=store["main"], numbers=["MH-1"], quantity=5)
    receive(item=store["honey"], location=store["main"], numbers=["MH-2"], quantity=5, post=False)
    page.goto(f"/documents/?group={group}")
    expect(page.get_by_test_id("document-groups").locator(".badge", has_text="Posted")).to_have_count(1)
    expect(page.get_by_test_id("document-groups").locator(".badge.text-bg-secondary", has_text="Draft")).to_have_count(1)


def test_document_page_names_the_partner_only_where_the_kind_has_one(signed_in, store):
    page = signed_in
    receipt = receive(item=store["honey"], location=store["main"], numbers=["MH-1"], quantity=5)
    transfer = issue(
        kind=DocumentKind.TRANSFER,
        item=store["honey"],
        location=store["main"],
        to_location=store["front"],
        quantity=Decimal(2),
        numbers=["MH-1"],
        lot_quantity=Decimal(2),
    )
    page.goto(f"/documents/{transfer.pk}/")
    expect(page.get_by_test_id("document-status")).to_be_visible()
    expect(page.get_by_text("Customer", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("document-partner")).to_have_count(0)
    page.goto(f"/documents/{receipt.pk}/")
    expect(page.get_by_text("Supplier", exact=True)).to_be_visible()
