"""A work order in the browser: 5 serial-tracked devices from a resin lot and circuit-board
serials, allocated, numbered, mapped unit by unit, completed — then the resin's recall lists them."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from inventory.models import GenealogyLink, Lot, Tracking
from inventory.services import location_create, membership_add
from manufacturing.models import WorkOrder, WorkOrderState
from tests.e2e import PASSWORD, sign_in
from tests.inventory.factories import ItemFactory, LotClassFactory, UserFactory
from tests.inventory.flows import receive
from tests.manufacturing.factories import BomFactory


@pytest.fixture
def plant(company):
    plant = location_create(company=company, code="PLANT", name="Assembly floor")
    resin = ItemFactory(company=company, sku="RESIN", name="Epoxy resin", lot_class=LotClassFactory(company=company, tracking=Tracking.LOT))
    board = ItemFactory(
        company=company,
        sku="BOARD",
        name="Circuit board",
        lot_class=LotClassFactory(company=company, segments=[("constant", "B"), ("counter", "001")]),
    )
    device = ItemFactory(
        company=company,
        sku="DEVICE",
        name="Pulse oximeter",
        lot_class=LotClassFactory(company=company, segments=[("constant", "D"), ("counter", "001")]),
    )
    receive(item=resin, location=plant, numbers=["R-BAD"], quantity=10)
    receive(item=board, location=plant, generate=5)  # B001..B005
    BomFactory(company=company, item=device, components=[(resin, "1"), (board, "1")])
    return {"plant": plant, "device": device}


@pytest.fixture
def planner(company):
    """Plans and completes work orders (Production) and allocates stock (Stock clerk)."""
    user = UserFactory(username="petra")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    user.groups.add(*Group.objects.filter(name__in=["Production", "Stock clerk"]))
    membership_add(user=user, company=company, is_default=True)
    return user


def _done(page):
    """Close a dialog whose work changed the page: it reloads, and the next click waits for that."""
    with page.expect_navigation():
        page.locator("#dialog").get_by_role("button", name="Done").click()


def _line(page, sku):
    return page.get_by_test_id("work-order-line").filter(has_text=sku)


def test_work_order_from_lot_and_serial_components_to_a_recall(page, plant, planner):
    sign_in(page, username=planner.username, password=PASSWORD)
    page.get_by_role("button", name="Manufacturing").click()
    page.get_by_role("link", name="New work order").click()
    page.get_by_label("Item").select_option(label="DEVICE — Pulse oximeter")
    page.get_by_label("Quantity").fill("5")
    page.get_by_label("Production location").select_option(value=str(plant["plant"].pk))
    page.get_by_label("Due date").fill((date.today() + timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_test_id("work-order-header")).to_contain_text("DEVICE")

    page.get_by_test_id("action-release").click()
    page.get_by_test_id("confirm").click()

    # Components: boards scanned in the allocations dialog, resin by the issue method.
    _line(page, "BOARD").get_by_test_id("open-allocations").click()
    dialog = page.locator("#dialog")
    for number in ("B001", "B002", "B003", "B004", "B005"):
        scan = dialog.get_by_test_id("scan-input")
        scan.fill(number)
        scan.press("Enter")
        expect(dialog.get_by_test_id("scan-input")).to_have_value("")
    expect(dialog.get_by_test_id("remaining")).to_have_text("0")
    _done(page)
    _line(page, "RESIN").get_by_test_id("open-allocations").click()
    dialog.get_by_test_id("propose").click()
    expect(dialog.get_by_test_id("remaining")).to_have_text("0")
    _done(page)

    # Finished serials generated from the class template.
    _line(page, "DEVICE").get_by_test_id("open-allocations").click()
    dialog.get_by_test_id("generate").click()
    expect(dialog.get_by_test_id("allocated-row")).to_have_count(5)
    _done(page)

    # Which board went into which device: scan the device, then its board.
    # At a scanner's speed: every code and Enter typed with no pause; each device scan moves on
    # to that unit, so the queue keeps the order.
    page.get_by_test_id("action-units").click()
    expect(page.get_by_test_id("scan-input")).to_be_focused()
    for n in (1, 2, 3, 4, 5):
        for scan_value in (f"D00{n}", f"B00{6 - n}"):
            page.keyboard.type(scan_value)
            page.keyboard.press("Enter")
    expect(page.get_by_test_id("mapping")).to_have_count(5)
    expect(page.get_by_test_id("scan-pending")).to_have_text("")
    expect(page.get_by_test_id("scan-rejected")).to_have_count(0)

    page.get_by_role("link", name=WorkOrder.objects.get().number).click()
    page.get_by_test_id("action-complete").click()
    expect(page.get_by_label("Quantity")).to_have_value("5")
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("completion")).to_have_count(1)
    assert WorkOrder.objects.get().state == WorkOrderState.DONE
    pairs = set(GenealogyLink.objects.filter(consumed__item__sku="BOARD").values_list("consumed__number", "produced__number"))
    assert pairs == {(f"B00{6 - n}", f"D00{n}") for n in range(1, 6)}

    # The resin lot turns out bad: its recall lists the five devices made from it.
    page.goto("/trace/recall/")
    page.get_by_label("Lot/serial numbers to recall").fill("R-BAD")
    page.get_by_role("button", name="Trace", exact=True).click()
    expect(page.get_by_test_id("total-units")).to_have_text("6")
    units = page.get_by_test_id("recall-units")
    for n in range(1, 6):
        expect(units).to_contain_text(f"D00{n}")
    assert Lot.objects.filter(item=plant["device"], in_stock=True).count() == 5
