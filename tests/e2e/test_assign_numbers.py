"""Assign numbers in the browser: scanning at full speed, Generate, lots, refusals, a double click.

The unnumbered stock is received through the real services; the numbering is done with the mouse
and keyboard in Chromium, in the dialog the Stock without numbers list opens.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from inventory.models import Document, DocumentKind, Lot, Tracking
from inventory.services import location_create, unassigned_assign
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import on_hand, receive

EXPIRY = date.today() + timedelta(days=200)


@pytest.fixture
def main(company):
    return location_create(company=company, code="MAIN", name="Main store")


def _phone(company, main, quantity: int, batch_size: int = 1000):
    item = ItemFactory(company=company, sku="PHONE", name="Field phone", lot_class=LotClassFactory(company=company, batch_size=batch_size))
    receive(item=item, location=main, quantity=quantity)
    return item


def _open(page, sku: str):
    page.goto("/unassigned/")
    page.get_by_test_id("unassigned-table").locator("tr", has_text=sku).get_by_role("button", name="Assign numbers").click()
    expect(page.get_by_test_id("assign-dialog")).to_be_visible()
    # Shown: the dialog has focused its Numbers box (typing earlier could land there anyway).
    expect(page.locator("#dialog").get_by_label("Numbers")).to_be_focused()
    return page.locator("#dialog")


def _submit(page, dialog, name: str):
    """A button whose work changed the stock: the list reloads, and the next step waits for it."""
    with page.expect_navigation():
        dialog.get_by_role("button", name=name, exact=True).click()


def _posts(page) -> list:
    """The POST requests the page sends from now on."""
    sent = []
    page.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)
    return sent


def _assignments():
    return Document.objects.filter(kind=DocumentKind.NUMBER_ASSIGNMENT)


def test_fifty_serials_scanned_at_full_speed_are_all_assigned_in_order(signed_in, company, main):
    page = signed_in
    phone = _phone(company, main, 50)
    dialog = _open(page, "PHONE")
    numbers_box = dialog.get_by_label("Numbers")
    expect(numbers_box).to_be_focused()  # the scanner types where the dialog opens
    expect(dialog.get_by_label("Quantity")).to_have_count(0)  # serials: one unit per number
    codes = [f"NW2612{n:05d}" for n in range(1, 51)]
    posts = _posts(page)
    for code in codes:  # a scanner: each code and Enter, no pause
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert posts == [] and not _assignments().exists()  # Enter submitted nothing
    expect(numbers_box).to_have_value("\n".join(codes) + "\n")
    _submit(page, dialog, "Assign")

    expect(page.get_by_role("alert").filter(has_text="50 numbers assigned")).to_contain_text(f"{codes[0]} … {codes[-1]}")
    expect(page.get_by_test_id("unassigned-table")).to_contain_text("Every unit in stock carries its lot/serial number.")
    assert list(Lot.objects.filter(item=phone).order_by("pk").values_list("number", flat=True)) == codes
    assert on_hand(phone, main, unnumbered=True) == 0 and _assignments().count() == 1


def test_generate_numbers_up_to_the_batch_size_and_the_page_says_what_is_left(signed_in, company, main):
    page = signed_in
    phone = _phone(company, main, 7, batch_size=5)
    dialog = _open(page, "PHONE")
    expect(dialog.get_by_test_id("generate-note")).to_contain_text("5 of 7 (batch size 5); the other 2 stay without a number")
    _submit(page, dialog, "Generate")

    expect(page.get_by_role("alert").filter(has_text="5 numbers assigned")).to_contain_text(
        "2 units of PHONE at MAIN stay without a number (batch size 5)"
    )
    expect(page.get_by_test_id("unassigned-table").locator("tr", has_text="PHONE")).to_contain_text("2")
    assert sorted(Lot.objects.filter(item=phone).values_list("number", flat=True)) == [f"SN000{n}" for n in range(1, 6)]


def test_a_lot_comes_prefilled_with_its_quantity_and_more_is_refused_beside_the_field(signed_in, company, main):
    page = signed_in
    klass = LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True, segments=[("constant", "L"), ("counter", "001")])
    syrup = ItemFactory(company=company, sku="SYRUP", name="Cough syrup", lot_class=klass)
    receive(item=syrup, location=main, quantity=Decimal("12.5"), expiry=EXPIRY)
    dialog = _open(page, "SYRUP")
    quantity = dialog.get_by_label("Quantity")
    expect(quantity).to_have_value("12.5")
    dialog.get_by_label("Numbers").fill("BATCH-9")
    dialog.get_by_label("Expiration date").fill(EXPIRY.isoformat())
    quantity.fill("13")
    posts = _posts(page)
    quantity.press("Enter")  # Enter outside the numbers box submits nothing either
    dialog.get_by_label("Expiration date").press("Enter")
    page.wait_for_timeout(300)
    assert posts == []
    dialog.get_by_role("button", name="Assign", exact=True).click()
    expect(dialog.get_by_test_id("quantity-error")).to_contain_text("At most 12.5")
    expect(dialog.get_by_label("Numbers")).to_have_value("BATCH-9")
    # The answer is in once its Numbers box has the focus (given once, at the swap): typing before that could
    # land in the box it focuses.
    expect(dialog.get_by_label("Numbers")).to_be_focused()
    assert posts == [posts[0]]  # the one Assign
    assert not Lot.objects.filter(item=syrup).exists()

    dialog.get_by_label("Quantity").fill("12.5")
    _submit(page, dialog, "Assign")
    expect(page.get_by_role("alert").filter(has_text="1 number assigned")).to_contain_text("BATCH-9")
    lot = Lot.objects.get(item=syrup, number="BATCH-9")
    assert lot.expiry_date == EXPIRY and on_hand(syrup, main, lot) == Decimal("12.5")


def test_a_number_already_taken_is_named_beside_the_box_and_the_typed_numbers_stay(signed_in, company, main):
    page = signed_in
    phone = _phone(company, main, 3)
    unassigned_assign(item=phone, location=main, numbers="NW261200046")
    dialog = _open(page, "PHONE")
    dialog.get_by_label("Numbers").fill("NEW-1\nNW261200046")
    dialog.get_by_role("button", name="Assign", exact=True).click()
    problems = dialog.get_by_test_id("assign-problems")
    expect(problems).to_contain_text("NW261200046: already numbered")
    expect(problems).not_to_contain_text("Line")
    expect(dialog.get_by_label("Numbers")).to_have_value("NEW-1\nNW261200046")
    assert not Lot.objects.filter(number="NEW-1").exists() and _assignments().count() == 1


def test_a_double_click_on_assign_numbers_once(signed_in, company, main):
    page = signed_in
    phone = _phone(company, main, 2)
    dialog = _open(page, "PHONE")
    dialog.get_by_label("Numbers").fill("A-1\nA-2")
    with page.expect_navigation():
        dialog.get_by_role("button", name="Assign", exact=True).dblclick()
    expect(page.get_by_role("alert").filter(has_text="2 numbers assigned")).to_be_visible()
    assert _assignments().count() == 1 and Lot.objects.filter(item=phone).count() == 2
