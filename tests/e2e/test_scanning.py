"""Scanning at a keyboard-wedge scanner's speed: every code and Enter typed with no pause.

The scan box queues each code the instant Enter is pressed and is never redrawn, so nothing
typed while a request is out is lost or reordered (issue 10, item 1); refusals say what a
confirmation would do (item 3) and reflect each number's latest state (item 12).
"""

import random
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from inventory.models import Allocation, Document, DocumentKind, Lot, NumberAssignment, NumberCheck, Tracking
from inventory.services import document_create, document_line_add, location_create
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import receive


@pytest.fixture
def main(company):
    return location_create(company=company, code="MAIN", name="Main store")


def _delivery_page(page, live_server, item, location, quantity):
    document = document_create(company=item.company, kind=DocumentKind.DELIVERY, from_location=location)
    document_line_add(document=document, item=item, quantity=quantity)
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    page.get_by_test_id("document-line").nth(0).get_by_test_id("open-allocations").click()
    dialog = page.locator("#dialog")
    expect(dialog.get_by_test_id("allocations-dialog")).to_be_visible()
    expect(dialog.get_by_test_id("scan-input")).to_be_focused()
    return document, dialog


def _scan(page, codes):
    for code in codes:
        page.keyboard.type(code)  # no delay between keys, nor between codes
        page.keyboard.press("Enter")


def test_fifty_serials_scanned_at_full_speed_are_all_allocated_in_order(signed_in, live_server, company, main):
    phone = ItemFactory(company=company, sku="PHONE", lot_class=LotClassFactory(company=company, issue_method="sequential"))
    numbers = [f"611000{n:02d}" for n in range(60)]
    receive(item=phone, location=main, numbers=numbers)
    scanned = random.Random(7).sample(numbers, 50)  # not the order they were received in
    document, dialog = _delivery_page(signed_in, live_server, phone, main, 50)
    expect(dialog.get_by_test_id("scan-input")).to_be_focused()
    _scan(signed_in, scanned)
    expect(dialog.get_by_test_id("remaining")).to_have_text("0")
    expect(dialog.get_by_test_id("scan-pending")).to_have_text("")
    allocated = list(Allocation.objects.filter(document=document).order_by("id").values_list("lot__number", flat=True))
    assert allocated == scanned
    expect(dialog.get_by_test_id("rejected-row")).to_have_count(0)


def test_a_typo_among_fast_scans_is_refused_alone_and_the_good_ones_stay(signed_in, live_server, company, main):
    phone = ItemFactory(company=company, sku="PHONE", lot_class=LotClassFactory(company=company))
    numbers = [f"SN{n:04d}" for n in range(1, 21)]
    receive(item=phone, location=main, numbers=numbers)
    document, dialog = _delivery_page(signed_in, live_server, phone, main, 20)
    _scan(signed_in, numbers[:10] + ["SN00111"] + numbers[10:])
    expect(dialog.get_by_test_id("remaining")).to_have_text("0")
    expect(dialog.get_by_test_id("rejected-row")).to_have_count(1)
    expect(dialog.get_by_test_id("rejected-row")).to_contain_text("SN00111")
    assert Allocation.objects.filter(document=document).count() == 20


def test_a_number_not_in_stock_is_new_only_when_the_clerk_confirms_it(signed_in, live_server, company, main):
    """A typo of a numbered-when-used item must not ship as a new serial without a word."""
    lot_class = LotClassFactory(
        company=company,
        assignment=NumberAssignment.WHEN_USED,
        number_check=NumberCheck.TEMPLATE,
        segments=[("constant", "NW"), ("date", "YYMM"), ("counter", "00001")],
    )
    oxi = ItemFactory(company=company, sku="E-OXI", lot_class=lot_class)
    receive(item=oxi, location=main, quantity=5)
    today = date.today()
    good = f"NW{today:%y%m}00050"
    document, dialog = _delivery_page(signed_in, live_server, oxi, main, 2)
    _scan(signed_in, [f"NW{today:%y%m}0050", "UHT-1201", good])
    refused = dialog.get_by_test_id("rejected-row")
    expect(refused).to_have_count(3)
    expect(refused.nth(0)).to_contain_text("does not have the shape")
    expect(refused.nth(1)).to_contain_text("does not have the shape")
    expect(refused.nth(2)).to_contain_text("Confirm to record it as a new serial number given to one of the 5 unnumbered units at MAIN")
    assert not Allocation.objects.filter(document=document).exists()
    refused.nth(2).get_by_test_id("confirm-new").click()
    expect(dialog.get_by_test_id("allocated-row")).to_contain_text(good)
    expect(dialog.get_by_test_id("allocated-row")).to_contain_text("new number")
    # The refusal of the number now taken is gone; the other two stay as they were.
    expect(dialog.get_by_test_id("rejected-row")).to_have_count(2)
    assert list(Allocation.objects.filter(document=document).values_list("number", flat=True)) == [good]


def test_a_refusal_is_replaced_by_the_numbers_latest_state(signed_in, live_server, company, main):
    """UHT-1201 refused for a missing expiry, then accepted: the refusal does not stay beside it."""
    milk_class = LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True)
    milk = ItemFactory(company=company, sku="D-UHT", lot_class=milk_class)
    document = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=main)
    document_line_add(document=document, item=milk, quantity=12)
    signed_in.goto(f"{live_server.url}/documents/{document.pk}/")
    signed_in.get_by_test_id("document-line").nth(0).get_by_test_id("open-allocations").click()
    dialog = signed_in.locator("#dialog")
    dialog.get_by_test_id("scan-input").fill("UHT-1201")
    dialog.get_by_test_id("scan-input").press("Enter")
    expect(dialog.get_by_test_id("rejected-row")).to_contain_text("needs an expiration date")
    dialog.get_by_test_id("scan-form").get_by_label("Expiration date").fill((date.today() + timedelta(days=90)).isoformat())
    dialog.get_by_test_id("scan-input").fill("UHT-1201")
    dialog.get_by_test_id("scan-input").press("Enter")
    expect(dialog.get_by_test_id("outcome")).to_contain_text("Added 1 number")
    expect(dialog.get_by_test_id("rejected-row")).to_have_count(0)
    expect(dialog.get_by_test_id("remaining")).to_have_text("0")


def test_a_gs1_label_scanned_on_a_receipt_brings_its_lot_and_expiry(signed_in, live_server, company, main):
    from inventory.gs1 import element_string

    syrup_class = LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True)
    syrup = ItemFactory(company=company, sku="SYRUP", lot_class=syrup_class, gtin="09506000134352")
    other = ItemFactory(company=company, sku="BALM", lot_class=syrup_class, gtin="09506000134376")
    document = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=main)
    document_line_add(document=document, item=syrup, quantity=10)
    signed_in.goto(f"{live_server.url}/documents/{document.pk}/")
    signed_in.get_by_test_id("document-line").nth(0).get_by_test_id("open-allocations").click()
    dialog = signed_in.locator("#dialog")
    expect(dialog.get_by_test_id("scan-input")).to_be_focused()
    expiry = date(2028, 3, 31)
    # A scanner set to send "<GS>" for the separator; the symbology identifier in front.
    _scan(
        signed_in,
        [
            "]C1" + element_string(other.gtin, lot="B-1", expiry=expiry, separator="<GS>"),
            "]C1" + element_string(syrup.gtin, lot="SUP-778", expiry=expiry, separator="<GS>"),
        ],
    )
    expect(dialog.get_by_test_id("remaining")).to_have_text("0")
    expect(dialog.get_by_test_id("rejected-row")).to_contain_text("another item")
    allocation = Allocation.objects.get(document=document)
    assert (allocation.number, allocation.expiry_date) == ("SUP-778", expiry)
    assert not Lot.objects.filter(number="B-1").exists()
    assert Document.objects.get(pk=document.pk).is_draft


def test_lookup_checks_a_hundred_scans_at_full_speed(signed_in, live_server, company, main):
    phone = ItemFactory(company=company, sku="PHONE", lot_class=LotClassFactory(company=company))
    numbers = [f"SN{n:04d}" for n in range(1, 100)]
    receive(item=phone, location=main, numbers=numbers)
    signed_in.goto(f"{live_server.url}/trace/lookup/")
    signed_in.get_by_test_id("check-several").get_by_test_id("scan-input").click()
    _scan(signed_in, numbers + ["NOPE-1"])
    found = signed_in.get_by_test_id("scan-found-row")
    expect(found).to_have_count(99)
    expect(signed_in.get_by_test_id("scan-unknown-row")).to_have_text(re.compile("NOPE-1"))
    expect(signed_in.get_by_test_id("scan-pending")).to_have_text("")
    # Newest first: the last good scan is on top, the first at the bottom.
    expect(found.first).to_contain_text("SN0099")
    expect(found.last).to_contain_text("SN0001")
    expect(found.first).to_contain_text("MAIN")


def test_recall_takes_a_hundred_numbers_scanned_at_full_speed(signed_in, live_server, company, main):
    phone = ItemFactory(company=company, sku="PHONE", lot_class=LotClassFactory(company=company))
    numbers = [f"SN{n:04d}" for n in range(1, 101)]
    receive(item=phone, location=main, numbers=numbers)
    signed_in.goto(f"{live_server.url}/trace/recall/")
    signed_in.get_by_label("Lot/serial numbers to recall").click()
    _scan(signed_in, numbers)  # Enter in the box is a new line: nothing is sent until Trace
    signed_in.get_by_test_id("recall-form").get_by_role("button", name="Trace").click()
    expect(signed_in.get_by_test_id("total-units")).to_have_text("100")
