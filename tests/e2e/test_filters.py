"""Date-range filters in the browser: a from box and a to box, each applied on its own, both
kept after filtering, and a clear message on a bad value."""

import re
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from inventory.models import DocumentKind, Lot, Tracking
from inventory.services import document_create, location_create, lot_create
from manufacturing.services import work_order_create
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.manufacturing.factories import BomFactory

MARCH_1, MARCH_15, APRIL_1 = date(2024, 3, 1), date(2024, 3, 15), date(2024, 4, 1)
INVALID = re.compile(r"\bis-invalid\b")


@pytest.fixture
def store(company):
    return location_create(company=company, code="MAIN", name="Main store")


def _filter(page, label, *, start="", end=""):
    page.get_by_label(f"{label} from").fill(start)
    page.get_by_label(f"{label} to").fill(end)
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_label(f"{label} from")).to_have_value(start)
    expect(page.get_by_label(f"{label} to")).to_have_value(end)


def _numbers(page, table):
    rows = page.get_by_test_id(table).locator("tbody tr[data-number]")
    return sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.number)"))


def test_documents_filtered_by_date_from_to_and_both(signed_in, company, store):
    numbers = {
        day: document_create(company=company, kind=DocumentKind.RECEIPT, to_location=store, date=day).number
        for day in (MARCH_1, MARCH_15, APRIL_1)
    }
    page = signed_in
    page.goto("/documents/")

    _filter(page, "Date", start="2024-03-10")
    assert _numbers(page, "document-table") == sorted([numbers[MARCH_15], numbers[APRIL_1]])
    _filter(page, "Date", end="2024-03-15")
    assert _numbers(page, "document-table") == sorted([numbers[MARCH_1], numbers[MARCH_15]])
    _filter(page, "Date", start="2024-03-02", end="2024-03-31")
    assert _numbers(page, "document-table") == [numbers[MARCH_15]]
    expect(page.get_by_text("[None, None]")).to_have_count(0)


def test_documents_bad_date_is_a_message_not_an_error_page(signed_in, company, store):
    document_create(company=company, kind=DocumentKind.RECEIPT, to_location=store, date=MARCH_1)
    page = signed_in
    response = page.goto("/documents/?date_min=2024-02-31&date_max=")
    assert response.status == 200
    expect(page.get_by_test_id("filter-errors")).to_contain_text("Enter a valid date")
    expect(page.get_by_label("Date from")).to_have_class(INVALID)


def test_lots_filtered_by_created_and_expiry_dates(signed_in, company, store):
    item = ItemFactory(
        company=company,
        sku="SYRUP",
        name="Cough syrup",
        lot_class=LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True),
    )
    for number, created, expiry in (
        ("L-MAR01", MARCH_1, date(2025, 1, 10)),
        ("L-MAR15", MARCH_15, date(2025, 2, 10)),
        ("L-APR01", APRIL_1, date(2025, 3, 10)),
    ):
        lot = lot_create(company=company, item=item, number=number, expiry_date=expiry)
        Lot.objects.filter(pk=lot.pk).update(created_at=datetime(created.year, created.month, created.day, 12, tzinfo=UTC))
    page = signed_in
    page.get_by_test_id("nav-lots").click()

    _filter(page, "Created", start="2024-03-15")
    assert _numbers(page, "lot-table") == ["L-APR01", "L-MAR15"]
    _filter(page, "Created", end="2024-03-15")  # the whole last day, not up to its midnight
    assert _numbers(page, "lot-table") == ["L-MAR01", "L-MAR15"]
    _filter(page, "Created", start="2024-03-02", end="2024-03-31")
    assert _numbers(page, "lot-table") == ["L-MAR15"]

    _filter(page, "Created")
    _filter(page, "Expires", start="2025-02-01", end="2025-02-28")
    assert _numbers(page, "lot-table") == ["L-MAR15"]
    _filter(page, "Expires", end="2025-02-10")
    assert _numbers(page, "lot-table") == ["L-MAR01", "L-MAR15"]


def test_work_orders_filtered_by_due_date(signed_in, company, clerk, store):
    clerk.groups.add(Group.objects.get(name="Production"))
    resin = ItemFactory(company=company, sku="RESIN", name="Epoxy resin", lot_class=LotClassFactory(company=company, tracking=Tracking.LOT))
    device = ItemFactory(company=company, sku="DEVICE", name="Pulse oximeter", lot_class=LotClassFactory(company=company))
    BomFactory(company=company, item=device, components=[(resin, "1")])
    numbers = {
        day: work_order_create(company=company, item=device, quantity=1, location=store, due_date=day).number
        for day in (MARCH_1, MARCH_15, APRIL_1)
    }
    page = signed_in
    page.goto("/manufacturing/work-orders/")

    _filter(page, "Due", start="2024-03-15")
    assert _numbers(page, "work-order-table") == sorted([numbers[MARCH_15], numbers[APRIL_1]])
    _filter(page, "Due", end="2024-03-14")
    assert _numbers(page, "work-order-table") == [numbers[MARCH_1]]
    _filter(page, "Due", start="2024-03-01", end="2024-03-15")
    assert _numbers(page, "work-order-table") == sorted([numbers[MARCH_1], numbers[MARCH_15]])
