"""The till in Chromium, as a cashier works it: keyboard (or a scanner) and the on-screen numpad.

Codes are typed with no pause between keys or codes, as a keyboard-wedge scanner types them.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from inventory.models import DocumentKind, Item, Lot, PendingNumbers, Tracking
from inventory.services import document_create, document_line_add, line_allocate, location_create, membership_add
from pos.models import Register, Sale, SaleStatus
from tests.e2e import PASSWORD, sign_in
from tests.inventory.factories import ItemFactory, LotClassFactory, PartnerFactory, UserFactory
from tests.inventory.flows import receive


@pytest.fixture
def shop(company):
    return location_create(company=company, code="SHOP", name="Shop floor")


@pytest.fixture
def customer(company):
    return PartnerFactory(company=company, code="WALKIN", name="Walk-in customer", is_customer=True)


@pytest.fixture
def register(company, shop, customer):
    return Register.objects.create(company=company, code="T1", name="Till 1", location=shop, customer=customer)


@pytest.fixture
def phone(company, shop):
    item = ItemFactory(company=company, sku="PHONE", name="Phone", lot_class=LotClassFactory(company=company), sale_price=Decimal("199"))
    receive(item=item, location=shop, numbers="SN1-SN9")
    return item


@pytest.fixture
def milk(company, shop):
    lot_class = LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True, segments=[("constant", "L"), ("counter", "01")])
    item = ItemFactory(company=company, sku="MILK", name="Milk", lot_class=lot_class, sale_price=Decimal("1.50"))
    receive(item=item, location=shop, numbers="LOT-A", quantity=20, expiry=date(2099, 1, 1))
    return item


@pytest.fixture
def till(page, live_server, company, register):
    """Signed in as a cashier (password PASSWORD) with a session open on the register, at the till."""
    user = UserFactory(username="cleo")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name="Cashier"))
    membership_add(user=user, company=company, is_default=True)
    sign_in(page, username="cleo", password=PASSWORD)
    page.goto(f"{live_server.url}/pos/")
    page.get_by_test_id("register-T1").get_by_test_id("open-register").click()
    expect(page.get_by_test_id("scan-input")).to_be_focused()
    return page


def _type(page, codes):
    for code in codes:
        page.keyboard.type(code)
        page.keyboard.press("Enter")


def _sale(page) -> Sale:
    return Sale.objects.get(number=page.get_by_test_id("sale-number").inner_text().split()[0])


def test_three_serials_at_scanner_speed_with_a_typo_among_them(till, phone):
    _type(till, ["SN1", "SNX", "SN2"])
    expect(till.get_by_test_id("scan-pending")).to_have_text("")
    expect(till.get_by_test_id("scan-ok")).to_have_count(2)
    expect(till.get_by_test_id("scan-refused")).to_have_count(1)
    expect(till.get_by_test_id("scan-refused")).to_contain_text("SNX")
    expect(till.get_by_test_id("cart-total")).to_have_text("398.00")
    numbers = list(_sale(till).document.allocations.order_by("id").values_list("lot__number", flat=True))
    assert numbers == ["SN1", "SN2"]
    expect(till.get_by_test_id("scan-input")).to_be_focused()


def test_the_numpad_turns_the_lot_button_red_checkout_with_numbers_missing_then_assign_and_recall(till, live_server, milk):
    _type(till, ["LOT-A"])
    expect(till.get_by_test_id("scan-ok")).to_have_count(1)
    line = till.get_by_test_id("cart-line")
    expect(line.get_by_test_id("numbers-button")).not_to_have_class("btn-danger")
    line.locator("td").first.click()  # pick the line for the numpad
    for key in "3":
        till.locator(f'[data-numpad-key="{key}"]').click()
    till.get_by_test_id("numpad-qty").click()
    button = till.get_by_test_id("cart-line").get_by_test_id("numbers-button")
    expect(button).to_have_class("btn btn-sm btn-danger")
    expect(button).to_contain_text("2 missing")
    # Checkout is not blocked by the missing numbers.
    till.get_by_test_id("pay").click()
    expect(till.get_by_test_id("pay-missing")).to_be_visible()
    till.get_by_test_id("tendered").fill("10")
    till.get_by_test_id("pay-confirm").click()
    expect(till.get_by_test_id("receipt-to-follow")).to_contain_text("2 numbers to follow")
    expect(till.get_by_test_id("receipt-change")).to_have_text("5.50")
    # The follow-up list: assign them (the scan box queues what is typed).
    till.goto(f"{live_server.url}/pos/follow-up/")
    till.get_by_test_id("follow-up-row").get_by_test_id("assign").click()
    till.get_by_test_id("assign-input").fill("LOT-A")
    till.get_by_test_id("assign-input").press("Enter")
    expect(till.get_by_test_id("assigned")).to_have_count(1)
    expect(till.get_by_test_id("assign-missing")).to_contain_text("All assigned")
    assert not PendingNumbers.objects.filter(is_open=True).exists()


def test_recall_names_a_sale_whose_lot_is_not_yet_recorded_then_its_customer(till, live_server, milk, company):
    _type(till, ["MILK"])
    till.get_by_test_id("pay").click()
    till.get_by_test_id("pay-confirm").click()
    expect(till.get_by_test_id("receipt")).to_be_visible()
    # A back-office user runs the recall of the lot: the sale is named though its lot is missing.
    clerk = UserFactory(username="vera")
    clerk.set_password(PASSWORD)
    clerk.save(update_fields=["password"])
    clerk.groups.add(Group.objects.get(name="Stock clerk"))
    membership_add(user=clerk, company=company, is_default=True)
    till.context.clear_cookies()
    sign_in(till, username="vera", password=PASSWORD)
    lot = Lot.objects.get(number="LOT-A")
    till.goto(f"{live_server.url}/trace/recall/?lot={lot.pk}")
    expect(till.get_by_test_id("to-follow-row")).to_contain_text("sold, number not yet recorded")
    expect(till.get_by_test_id("to-follow-row")).to_contain_text("Walk-in customer")


def test_a_tracked_product_code_opens_the_numbers_pop_up(till, phone):
    _type(till, ["PHONE"])
    dialog = till.locator("#dialog")
    expect(dialog.get_by_test_id("numbers-input")).to_be_focused()
    _type(till, ["SN5", "SN6"])
    expect(dialog.get_by_test_id("number-row")).to_have_count(2)
    expect(dialog.get_by_test_id("numbers-missing")).to_contain_text("all 2 numbered")
    dialog.get_by_role("button", name="Done").click()
    expect(till.get_by_test_id("cart-line").get_by_test_id("line-quantity")).to_have_value("2")


def test_a_serial_typed_while_the_pop_up_would_open_is_never_cut_in_two(till, phone):
    """The product's answer comes back while its serial is being typed (slowly here, so it surely
    does): the pop-up waits for the typing to stop, and the serial, whole, numbers the unit."""
    _type(till, ["PHONE"])
    till.keyboard.type("SN5", delay=200)
    till.keyboard.press("Enter")
    expect(till.get_by_test_id("scan-pending")).to_have_text("")
    expect(till.get_by_test_id("scan-ok")).to_have_count(2)  # the product, then its serial
    expect(till.get_by_test_id("scan-results")).to_contain_text("SN5")
    expect(till.get_by_test_id("scan-refused")).to_have_count(0)
    till.wait_for_timeout(500)  # long enough for a pop-up to open, were one still wanted
    expect(till.locator("#dialog")).not_to_be_visible()
    expect(till.get_by_test_id("scan-input")).to_be_focused()
    expect(till.get_by_test_id("cart-line").get_by_test_id("line-quantity")).to_have_value("1")
    assert list(_sale(till).document.allocations.values_list("lot__number", flat=True)) == ["SN5"]


def test_the_numpad_says_a_refusal_beside_itself_and_at_zero_takes_a_line_off(till, phone, company):
    ItemFactory(company=company, sku="BAG", name="Bag", sale_price=Decimal("1"))
    _type(till, ["SN1", "BAG"])
    expect(till.get_by_test_id("cart-line")).to_have_count(2)
    till.get_by_test_id("cart-line").first.locator("td").first.click()  # the phone, its serial scanned
    till.locator('[data-numpad-key="0"]').click()
    till.get_by_test_id("numpad-qty").click()
    expect(till.get_by_test_id("numpad-error")).to_contain_text("remove some before lowering it to 0")
    till.get_by_test_id("cart-line").last.locator("td").first.click()  # the bag
    till.locator('[data-numpad-key="0"]').click()
    till.get_by_test_id("numpad-qty").click()
    expect(till.get_by_test_id("cart-line")).to_have_count(1)
    expect(till.get_by_test_id("numpad-error")).to_have_text("")


def test_a_refused_number_stays_in_the_pop_up_while_the_next_are_answered(till, phone):
    _type(till, ["PHONE"])
    dialog = till.locator("#dialog")
    expect(dialog.get_by_test_id("numbers-input")).to_be_focused()
    _type(till, ["SNX"])
    expect(dialog.get_by_test_id("number-refused")).to_contain_text("SNX")
    _type(till, ["SN9"])  # answered on its own: the refusal above stays
    expect(dialog.get_by_test_id("number-ok")).to_contain_text("SN9")
    expect(dialog.get_by_test_id("number-refused")).to_contain_text("SNX")
    _type(till, ["SN5"])
    expect(dialog.get_by_test_id("numbers-missing")).to_contain_text("all 2 numbered")
    expect(dialog.get_by_test_id("number-refused")).to_have_count(1)
    expect(dialog.get_by_test_id("number-ok")).to_have_count(2)


def test_the_open_pop_up_counts_a_unit_numbered_from_the_main_box(till, phone):
    _type(till, ["PHONE"])
    dialog = till.locator("#dialog")
    expect(dialog.get_by_test_id("numbers-input")).to_be_focused()  # shown, its fade over
    expect(dialog.get_by_test_id("numbers-missing")).to_contain_text("1 missing")
    dialog.get_by_test_id("numbers-input").fill("SNX")
    dialog.get_by_test_id("numbers-input").press("Enter")  # used: it stays open
    expect(dialog.get_by_test_id("number-refused")).to_contain_text("SNX")
    till.get_by_test_id("scan-input").focus()  # the scanner goes on in the main box
    _type(till, ["SN5"])
    expect(dialog.get_by_test_id("numbers-missing")).to_contain_text("all 1 numbered")
    expect(dialog.get_by_test_id("number-row")).to_contain_text("SN5")


def test_an_unused_pop_up_closes_when_the_main_box_numbers_its_line(till, phone):
    _type(till, ["PHONE"])
    dialog = till.locator("#dialog")
    expect(dialog.get_by_test_id("numbers-input")).to_be_focused()  # shown, its fade over
    expect(dialog.get_by_test_id("numbers-missing")).to_contain_text("1 missing")
    till.get_by_test_id("scan-input").focus()
    _type(till, ["SN5"])
    expect(dialog).not_to_be_visible()
    expect(till.get_by_test_id("cart-line")).to_contain_text("SN5")
    expect(till.get_by_test_id("scan-input")).to_be_focused()
    _type(till, ["SN6"])  # no reload: the next scan goes on in the same page
    expect(till.get_by_test_id("cart-line").get_by_test_id("line-quantity")).to_have_value("2")


def test_an_open_carts_receipt_shows_what_it_holds_so_far(till, live_server, phone):
    _type(till, ["SN1"])
    expect(till.get_by_test_id("scan-ok")).to_have_count(1)
    till.goto(f"{live_server.url}/pos/sales/{_sale(till).pk}/receipt/")
    expect(till.get_by_test_id("receipt-total")).to_contain_text("199.00 (not paid yet)")


def test_load_a_sales_order_with_its_numbers_and_check_out(till, live_server, phone, shop, customer):
    order = document_create(company=phone.company, kind=DocumentKind.DELIVERY, from_location=shop, partner=customer)
    line = document_line_add(document=order, item=phone, quantity=Decimal(2))
    line_allocate(line=line, numbers=["SN3", "SN4"])
    till.get_by_test_id("load").click()
    till.get_by_test_id(f"order-{order.number}").get_by_test_id("load-with-numbers").click()
    expect(till.get_by_test_id("cart-line")).to_contain_text("SN3")
    till.get_by_test_id("pay").click()
    till.get_by_test_id("pay-confirm").click()
    expect(till.get_by_test_id("receipt-numbers")).to_contain_text("SN3, SN4")
    order.refresh_from_db()
    assert order.status == "posted"


def test_refund_one_serial_of_a_sale(till, live_server, phone):
    _type(till, ["SN7", "SN8"])
    expect(till.get_by_test_id("scan-ok")).to_have_count(2)
    till.get_by_test_id("pay").click()
    till.get_by_test_id("pay-confirm").click()
    expect(till.get_by_test_id("receipt")).to_be_visible()
    till.goto(f"{live_server.url}/pos/refund/")
    till.get_by_test_id("refund-q").fill("SN8")
    till.get_by_test_id("refund-q").press("Enter")
    till.get_by_label("SN8").check()
    till.get_by_test_id("refund-confirm").click()
    expect(till.get_by_test_id("receipt-total")).to_have_text("-199.00")
    refund = Sale.objects.get(kind="refund")
    assert refund.status == SaleStatus.DONE and refund.original.number
    assert list(refund.document.moves.values_list("to_lot__number", flat=True)) == ["SN8"]
    assert Item.objects.get(sku="PHONE").balances.filter(lot__number="SN8", quantity=1).exists()
