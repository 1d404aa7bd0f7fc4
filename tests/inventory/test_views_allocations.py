"""The allocations dialog of a document line, its candidates and "Assign numbers" — through the
real views and services: what is offered, what is taken, what is refused and why."""

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import Allocation, Balance, Document, DocumentKind, IssueMethod, Lot, Tracking, TrackingScope
from inventory.services import document_create, document_line_add, line_allocate, lot_hold
from tests.inventory.factories import CompanyFactory, ItemFactory, LotClassFactory
from tests.inventory.flows import issue, on_hand, receive
from tests.inventory.test_views_catalog import sign_in, unassigned_stock

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LATER = TODAY + timedelta(days=365)


@pytest.fixture
def clerk(client, company):
    sign_in(client, company)
    return client


@pytest.fixture
def phone(company):
    """Serials, FIFO, with expiry dates."""
    return ItemFactory(company=company, sku="PHONE", lot_class=LotClassFactory(company=company, track_expiry=True, batch_size=10_000))


@pytest.fixture
def milk(company):
    """Lots by expiration."""
    lot_class = LotClassFactory(
        company=company,
        tracking=Tracking.LOT,
        track_expiry=True,
        issue_method=IssueMethod.EXPIRATION,
        segments=[("constant", "L"), ("counter", "001")],
    )
    return ItemFactory(company=company, sku="MILK", lot_class=lot_class)


def delivery_line(item, location, quantity):
    document = document_create(company=item.company, kind=DocumentKind.DELIVERY, from_location=location)
    return document_line_add(document=document, item=item, quantity=Decimal(quantity))


def receipt_line(item, location, quantity, **fields):
    document = document_create(company=item.company, kind=DocumentKind.RECEIPT, to_location=location)
    return document_line_add(document=document, item=item, quantity=Decimal(quantity), **fields)


def url(line, name="inventory:line-allocations"):
    return reverse(name, kwargs={"line_pk": line.pk})


def act(client, line, action, **data):
    response = client.post(url(line), {"action": action, **data})
    assert response.status_code == 200
    return response.content.decode()


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows(body: str, testid: str) -> list[str]:
    """The text of each table row marked ``data-testid=testid``."""
    return [_text(row) for row in re.findall(rf'<tr[^>]*data-testid="{testid}"[^>]*>(.*?)</tr>', body, re.S)]


def marked(body: str, testid: str) -> str:
    match = re.search(rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', body, re.S)
    return _text(match.group(2)) if match else ""


def numbers_on(line) -> list[str]:
    return sorted(a.display_number for a in Allocation.objects.filter(line=line).select_related("lot"))


# What the dialog offers ----------------------------------------------------------------------


def test_dialog_lists_candidates_first_in_first_out_with_what_is_available(clerk, phone, warehouse):
    receive(item=phone, location=warehouse, numbers=["Z-FIRST"], expiry=LATER)
    receive(item=phone, location=warehouse, numbers=["A-SECOND"], expiry=LATER)
    receive(item=phone, location=warehouse, numbers=["M-THIRD"], expiry=LATER)
    taken = delivery_line(phone, warehouse, 1)
    line_allocate(line=taken, numbers=["A-SECOND"])  # promised to another draft
    body = clerk.get(url(delivery_line(phone, warehouse, 2))).content.decode()
    assert [row.split()[0] for row in rows(body, "candidate-row")] == ["Z-FIRST", "M-THIRD"]


def test_dialog_lists_lots_by_expiration_with_available_quantity(clerk, milk, warehouse):
    receive(item=milk, location=warehouse, numbers=["LATE"], quantity=5, expiry=TODAY + timedelta(days=90))
    receive(item=milk, location=warehouse, numbers=["SOON"], quantity=4, expiry=TODAY + timedelta(days=10))
    receive(item=milk, location=warehouse, numbers=["MIDDLE"], quantity=3, expiry=TODAY + timedelta(days=30))
    other = delivery_line(milk, warehouse, 1)
    line_allocate(line=other, numbers=["SOON"], quantity=Decimal(1))
    body = clerk.get(url(delivery_line(milk, warehouse, 2))).content.decode()
    offered = [row.split()[:2] for row in rows(body, "candidate-row")]
    assert offered == [["SOON", "3"], ["MIDDLE", "3"], ["LATE", "5"]]
    assert "issue method Expiration" in body


def test_dialog_never_offers_expired_or_held_lots(clerk, milk, warehouse):
    receive(item=milk, location=warehouse, numbers=["GOOD"], quantity=5, expiry=LATER)
    receive(item=milk, location=warehouse, numbers=["GONE"], quantity=5, expiry=TODAY - timedelta(days=1))
    receive(item=milk, location=warehouse, numbers=["HELD"], quantity=5, expiry=LATER)
    lot_hold(lot=Lot.objects.get(number="HELD"), reason="recall")
    body = clerk.get(url(delivery_line(milk, warehouse, 2))).content.decode()
    assert [row.split()[0] for row in rows(body, "candidate-row")] == ["GOOD"]


def test_dialog_of_a_loosely_bound_item_offers_serials_believed_in_stock(clerk, company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company), tracking_scope=TrackingScope.CREDITOR_DEBTOR)
    receive(item=item, location=warehouse, numbers="LOOSE-2")
    receive(item=item, location=warehouse, numbers="LOOSE-1")
    line = delivery_line(item, warehouse, 1)
    body = clerk.get(url(line)).content.decode()
    assert [row.split()[0] for row in rows(body, "candidate-row")] == ["LOOSE-2", "LOOSE-1"]
    act(clerk, line, "scan", number="LOOSE-1")
    assert numbers_on(line) == ["LOOSE-1"]


def test_dialog_of_a_receipt_line_offers_generation_not_candidates(clerk, phone, warehouse):
    body = clerk.get(url(receipt_line(phone, warehouse, 3))).content.decode()
    assert 'data-testid="generate-form"' in body
    assert 'data-testid="candidate-table"' not in body and 'data-testid="propose"' not in body


# Scanning into a delivery line ------------------------------------------------------------------


def test_scan_of_a_good_serial_allocates_it_and_lowers_what_remains(clerk, phone, warehouse):
    receive(item=phone, location=warehouse, numbers="SN-1 SN-2", expiry=LATER)
    line = delivery_line(phone, warehouse, 2)
    body = act(clerk, line, "scan", number="SN-2")
    assert numbers_on(line) == ["SN-2"]
    assert marked(body, "remaining") == "1" and marked(body, "allocated") == "1"
    assert rows(body, "rejected-row") == []
    assert "SN-2" in " ".join(rows(body, "allocated-row"))


def _unknown(phone, warehouse, warehouse2):
    return "NOPE-1", "unknown serial number of PHONE"


def _expired(phone, warehouse, warehouse2):
    receive(item=phone, location=warehouse, numbers=["OLD-1"], expiry=date(2020, 1, 31))
    return "OLD-1", "expired on 2020-01-31"


def _held(phone, warehouse, warehouse2):
    receive(item=phone, location=warehouse, numbers=["HOLD-1"], expiry=LATER)
    lot_hold(lot=Lot.objects.get(number="HOLD-1"), reason="dropped in transit")
    return "HOLD-1", "on hold (dropped in transit)"


def _elsewhere(phone, warehouse, warehouse2):
    receive(item=phone, location=warehouse2, numbers=["FAR-1"], expiry=LATER)
    return "FAR-1", "not at WH1 (it is at WH2)"


def _on_another_draft(phone, warehouse, warehouse2):
    receive(item=phone, location=warehouse, numbers=["TAKEN-1"], expiry=LATER)
    other = delivery_line(phone, warehouse, 1)
    line_allocate(line=other, numbers=["TAKEN-1"])
    return "TAKEN-1", f"already allocated on {other.document.number}"


@pytest.mark.parametrize("bad", [_unknown, _expired, _held, _elsewhere, _on_another_draft], ids=lambda f: f.__name__.strip("_"))
def test_scan_of_a_bad_serial_is_refused_with_its_reason_and_keeps_the_good_ones(clerk, phone, warehouse, warehouse2, bad):
    receive(item=phone, location=warehouse, numbers=["OK-1"], expiry=LATER)
    number, reason = bad(phone, warehouse, warehouse2)
    line = delivery_line(phone, warehouse, 2)
    act(clerk, line, "scan", number="OK-1")
    body = act(clerk, line, "scan", number=number)
    assert rows(body, "rejected-row") == [f"{number} {reason}"]
    assert numbers_on(line) == ["OK-1"]
    assert marked(body, "remaining") == "1"


def test_refused_scans_stay_listed_until_dismissed(clerk, phone, warehouse):
    line = delivery_line(phone, warehouse, 2)
    act(clerk, line, "scan", number="BAD-1")
    body = act(clerk, line, "scan", number="BAD-2")
    assert [row.split()[0] for row in rows(body, "rejected-row")] == ["BAD-1", "BAD-2"]
    assert rows(act(clerk, line, "dismiss"), "rejected-row") == []
    assert rows(clerk.get(url(line)).content.decode(), "rejected-row") == []


def test_scan_of_a_blank_number_says_so_and_changes_nothing(clerk, phone, warehouse):
    line = delivery_line(phone, warehouse, 1)
    body = act(clerk, line, "scan", number="  ")
    assert marked(body, "dialog-error") == "Scan or type a number."
    assert numbers_on(line) == []


def test_unknown_action_is_refused(clerk, phone, warehouse):
    line = delivery_line(phone, warehouse, 1)
    assert marked(act(clerk, line, "explode"), "dialog-error") == "Unknown action."


# Pasting ------------------------------------------------------------------------------------------


def test_paste_of_a_range_with_a_typo_keeps_the_good_ones_and_only_the_typo_in_the_box(clerk, phone, warehouse):
    receive(item=phone, location=warehouse, numbers="SN0001-SN0010", expiry=LATER)
    line = delivery_line(phone, warehouse, 11)
    body = act(clerk, line, "paste", numbers="SN0001-SN0005\nSN00O6\nSN0006-SN0010")
    assert numbers_on(line) == [f"SN{n:04d}" for n in range(1, 11)]
    assert rows(body, "rejected-row") == ["SN00O6 unknown serial number of PHONE"]
    box = re.search(r'<textarea name="numbers"[^>]*>(.*?)</textarea>', body, re.S).group(1)
    assert box == "SN00O6"
    assert marked(body, "remaining") == "1"


def test_paste_with_everything_good_empties_the_box(clerk, phone, warehouse):
    receive(item=phone, location=warehouse, numbers="SN0001-SN0003", expiry=LATER)
    line = delivery_line(phone, warehouse, 3)
    body = act(clerk, line, "paste", numbers="SN0001, SN0002 SN0003")
    assert numbers_on(line) == ["SN0001", "SN0002", "SN0003"]
    assert re.search(r'<textarea name="numbers"[^>]*></textarea>', body)


# Propose, remove, clear --------------------------------------------------------------------------


def test_propose_fills_the_line_first_in_first_out(clerk, phone, warehouse):
    for number in ("Z-1", "A-2", "M-3"):
        receive(item=phone, location=warehouse, numbers=[number], expiry=LATER)
    line = delivery_line(phone, warehouse, 2)
    body = act(clerk, line, "propose")
    assert numbers_on(line) == ["A-2", "Z-1"]
    assert marked(body, "remaining") == "0"
    assert "Added 2 numbers." in marked(body, "outcome")


def test_propose_takes_lots_by_expiration_and_splits_quantities(clerk, milk, warehouse):
    receive(item=milk, location=warehouse, numbers=["LATE"], quantity=5, expiry=TODAY + timedelta(days=90))
    receive(item=milk, location=warehouse, numbers=["SOON"], quantity=2, expiry=TODAY + timedelta(days=10))
    line = delivery_line(milk, warehouse, 3)
    act(clerk, line, "propose")
    taken = Allocation.objects.filter(line=line).order_by("id").values_list("lot__number", "quantity")
    assert list(taken) == [("SOON", Decimal(2)), ("LATE", Decimal(1))]


def test_remove_drops_only_the_allocation_named(clerk, phone, warehouse):
    receive(item=phone, location=warehouse, numbers="SN-1 SN-2 SN-3", expiry=LATER)
    line = delivery_line(phone, warehouse, 3)
    line_allocate(line=line, numbers="SN-1 SN-2 SN-3")
    allocation = Allocation.objects.get(line=line, lot__number="SN-2")
    body = act(clerk, line, "remove", allocation=allocation.pk)
    assert numbers_on(line) == ["SN-1", "SN-3"]
    assert marked(body, "remaining") == "1"


def test_remove_without_a_choice_asks_for_one(clerk, phone, warehouse):
    receive(item=phone, location=warehouse, numbers="SN-1", expiry=LATER)
    line = delivery_line(phone, warehouse, 1)
    line_allocate(line=line, numbers="SN-1")
    body = act(clerk, line, "remove", allocation="x")
    assert marked(body, "dialog-error") == "Choose what to remove."
    assert numbers_on(line) == ["SN-1"]


def test_remove_cannot_touch_another_line_allocation(clerk, phone, warehouse):
    receive(item=phone, location=warehouse, numbers="SN-1 SN-2", expiry=LATER)
    mine, theirs = delivery_line(phone, warehouse, 1), delivery_line(phone, warehouse, 1)
    line_allocate(line=theirs, numbers="SN-2")
    act(clerk, mine, "remove", allocation=Allocation.objects.get(line=theirs).pk)
    assert numbers_on(theirs) == ["SN-2"]


def test_clear_removes_every_allocation_of_the_line(clerk, phone, warehouse):
    receive(item=phone, location=warehouse, numbers="SN-1 SN-2", expiry=LATER)
    line, other = delivery_line(phone, warehouse, 2), delivery_line(phone, warehouse, 1)
    line_allocate(line=line, numbers="SN-1")
    line_allocate(line=other, numbers="SN-2")
    body = act(clerk, line, "clear")
    assert numbers_on(line) == [] and numbers_on(other) == ["SN-2"]
    assert marked(body, "remaining") == "2"


# Incoming lines ----------------------------------------------------------------------------------


def test_generate_respects_the_batch_size_and_reports_the_rest_unassigned(clerk, company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, batch_size=4))
    line = receipt_line(item, warehouse, 10)
    body = act(clerk, line, "generate", count="10")
    assert numbers_on(line) == ["SN0001", "SN0002", "SN0003", "SN0004"]
    assert "6 units left unnumbered by the batch size" in marked(body, "outcome")
    assert marked(body, "remaining") == "6"


def test_generate_a_smaller_count_numbers_only_that_many(clerk, company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    line = receipt_line(item, warehouse, 5)
    act(clerk, line, "generate", count="2")
    assert numbers_on(line) == ["SN0001", "SN0002"]


def test_scan_of_manufacturer_numbers_on_a_receipt_line(clerk, company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    line = receipt_line(item, warehouse, 2)
    act(clerk, line, "scan", number="MFR-77A")
    body = act(clerk, line, "scan", number="MFR-77A")
    assert numbers_on(line) == ["MFR-77A"]
    assert rows(body, "rejected-row") == ["MFR-77A already on this line"]


def test_scan_of_a_lot_with_its_expiry_on_a_receipt_line(clerk, milk, warehouse):
    line = receipt_line(milk, warehouse, "7.5")
    act(clerk, line, "scan", number="BATCH-9", expiry_date="2031-03-15")
    allocation = Allocation.objects.get(line=line)
    assert (allocation.number, allocation.quantity, allocation.expiry_date) == ("BATCH-9", Decimal("7.5"), date(2031, 3, 15))


def test_generate_a_lot_number_with_its_expiry(clerk, milk, warehouse):
    line = receipt_line(milk, warehouse, 4)
    act(clerk, line, "generate", expiry_date="2031-03-15")
    assert list(Allocation.objects.filter(line=line).values_list("number", "quantity", "expiry_date")) == [
        ("L001", Decimal(4), date(2031, 3, 15))
    ]


def test_generate_without_the_expiry_the_class_tracks_marks_the_field_and_stores_nothing(clerk, milk, warehouse):
    line = receipt_line(milk, warehouse, 4)
    body = act(clerk, line, "generate", expiry_date="")
    field = re.search(r'<input id="gen-expiry_date"[^>]*>\s*<div class="invalid-feedback d-block">(.*?)</div>', body, re.S)
    assert field and field.group(1) == "Give the expiration date: this item tracks it."
    assert 'id="gen-expiry_date" name="expiry_date" type="date" class="form-control is-invalid"' in body
    assert marked(body, "dialog-error") == "Check the fields marked below."
    assert not Allocation.objects.filter(line=line).exists()


def test_generate_uses_the_line_expiry_when_none_is_typed(clerk, milk, warehouse):
    line = receipt_line(milk, warehouse, 4, expiry_date=date(2031, 1, 1))
    act(clerk, line, "generate", expiry_date="")
    assert list(Allocation.objects.filter(line=line).values_list("expiry_date", flat=True)) == [date(2031, 1, 1)]


def test_scan_without_the_expiry_the_class_tracks_is_refused(clerk, milk, warehouse):
    line = receipt_line(milk, warehouse, 4)
    body = act(clerk, line, "scan", number="BATCH-1")
    assert rows(body, "rejected-row") == ["BATCH-1 needs an expiration date"]
    assert not Allocation.objects.filter(line=line).exists()


def test_generate_with_a_garbage_expiry_marks_the_field(clerk, milk, warehouse):
    line = receipt_line(milk, warehouse, 4)
    body = act(clerk, line, "generate", expiry_date="31/31/2031")
    assert "Enter a valid date." in body
    assert not Allocation.objects.filter(line=line).exists()


# Who may change what -----------------------------------------------------------------------------


def test_posted_document_dialog_is_read_only_and_refuses_changes(clerk, phone, warehouse):
    receive(item=phone, location=warehouse, numbers="SN-1 SN-2", expiry=LATER)
    delivery = issue(item=phone, location=warehouse, quantity=1, numbers="SN-1")
    line = delivery.lines.get()
    before = list(Allocation.objects.filter(line=line).values_list("pk", "lot__number"))
    body = clerk.get(url(line)).content.decode()
    assert 'data-testid="scan-form"' not in body and 'data-testid="clear"' not in body
    for action, data in [("scan", {"number": "SN-2"}), ("clear", {}), ("propose", {})]:
        body = act(clerk, line, action, **data)
        assert marked(body, "dialog-error") == f"{delivery.number} is posted: its numbers can no longer change."
    assert list(Allocation.objects.filter(line=line).values_list("pk", "lot__number")) == before
    assert on_hand(phone, warehouse) == 1


def test_viewer_may_look_but_gets_403_on_post(client, company, phone, warehouse):
    receive(item=phone, location=warehouse, numbers="SN-1", expiry=LATER)
    line = delivery_line(phone, warehouse, 1)
    sign_in(client, company, group="Viewer")
    body = client.get(url(line)).content.decode()
    assert 'data-testid="allocations-dialog"' in body and 'data-testid="scan-form"' not in body
    assert client.post(url(line), {"action": "scan", "number": "SN-1"}).status_code == 403
    assert numbers_on(line) == []


def test_user_of_another_company_gets_404(client, phone, warehouse):
    receive(item=phone, location=warehouse, numbers="SN-1", expiry=LATER)
    line = delivery_line(phone, warehouse, 1)
    sign_in(client, CompanyFactory())
    assert client.get(url(line)).status_code == 404
    assert client.get(url(line, "inventory:line-candidates")).status_code == 404
    assert client.post(url(line), {"action": "scan", "number": "SN-1"}).status_code == 404
    assert numbers_on(line) == []


# Candidates: searched and paged on the server ----------------------------------------------------


@pytest.fixture
def many_candidates(phone, warehouse):
    receive(item=phone, location=warehouse, generate=45, expiry=LATER)
    return delivery_line(phone, warehouse, 1)


def candidates(client, line, **params):
    response = client.get(url(line, "inventory:line-candidates"), params)
    assert response.status_code == 200
    return [row.split()[0] for row in rows(response.content.decode(), "candidate-row")]


def test_candidates_page_three_of_forty_five_has_five_rows(clerk, many_candidates):
    assert candidates(clerk, many_candidates, cpage=3) == [f"SN{n:04d}" for n in range(41, 46)]


def test_candidates_first_page_has_twenty_rows_and_says_how_many(clerk, many_candidates):
    response = clerk.get(url(many_candidates, "inventory:line-candidates"))
    assert len(rows(response.content.decode(), "candidate-row")) == 20
    assert "Page 1 of 3 (45)" in _text(response.content.decode())


def test_candidates_search_matches_part_of_the_number(clerk, many_candidates):
    assert candidates(clerk, many_candidates, q="sn004") == [f"SN{n:04d}" for n in range(40, 46)]
    assert candidates(clerk, many_candidates, q="nothing") == []


def test_candidates_search_and_page_go_together(clerk, many_candidates):
    assert candidates(clerk, many_candidates, q="SN00", cpage=2) == [f"SN{n:04d}" for n in range(21, 41)]


@pytest.mark.parametrize("page_number", ["99999999999999999999999999", "abc", "-1", "0", "1e9", "", "%00"])
def test_candidates_odd_page_numbers_show_a_page(clerk, many_candidates, page_number):
    shown = candidates(clerk, many_candidates, cpage=page_number)
    assert shown in ([f"SN{n:04d}" for n in range(1, 21)], [f"SN{n:04d}" for n in range(41, 46)])


@pytest.mark.parametrize("page_number", ["99999999999999999999999999", "abc", "-5"])
def test_dialog_odd_page_numbers_show_a_page(clerk, many_candidates, page_number):
    line_allocate(line=many_candidates, numbers=["SN0001"])
    response = clerk.get(url(many_candidates), {"cpage": page_number, "apage": page_number})
    assert response.status_code == 200
    assert len(rows(response.content.decode(), "allocated-row")) == 1


# Assign numbers to unassigned stock --------------------------------------------------------------


@pytest.fixture
def unassigned(company, warehouse):
    """One unit of a serial item numbered (SN0001), one waiting for its number."""
    item = unassigned_stock(company, warehouse)[0]
    return Balance.objects.get(item=item, lot__isnull=True)


def assign_url(balance):
    return reverse("inventory:unassigned-assign", kwargs={"balance_pk": balance.pk})


def test_unassigned_assign_numbers_the_stock_where_it_lies(clerk, unassigned, warehouse):
    response = clerk.post(assign_url(unassigned), {"numbers": "NEW-1"})
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    item = unassigned.item
    assert on_hand(item, warehouse, unnumbered=True) == 0
    assert on_hand(item, warehouse, Lot.objects.get(item=item, number="NEW-1")) == 1
    assert Document.objects.filter(kind=DocumentKind.NUMBER_ASSIGNMENT, status="posted").count() == 1


def test_unassigned_assign_with_a_taken_number_says_why_and_writes_nothing(clerk, unassigned, warehouse):
    response = clerk.post(assign_url(unassigned), {"numbers": "SN0001"})
    assert response.status_code == 200
    problems = marked(response.content.decode(), "assign-problems")
    assert "SN0001" in problems and "already numbered" in problems
    assert "SN0001" in re.search(r'<textarea name="numbers"[^>]*>(.*?)</textarea>', response.content.decode(), re.S).group(1)
    assert on_hand(unassigned.item, warehouse, unnumbered=True) == 1
    assert not Document.objects.filter(kind=DocumentKind.NUMBER_ASSIGNMENT).exists()


def test_unassigned_assign_with_one_good_and_one_bad_number_writes_nothing(clerk, company, warehouse):
    klass = LotClassFactory(company=company, batch_size=1)
    item = ItemFactory(company=company, lot_class=klass)
    receive(item=item, location=warehouse, quantity=3, generate=1)
    balance = Balance.objects.get(item=item, lot__isnull=True)
    response = clerk.post(assign_url(balance), {"numbers": "NEW-1\nSN0001"})
    assert response.status_code == 200
    assert "SN0001" in marked(response.content.decode(), "assign-problems")
    assert not Lot.objects.filter(number="NEW-1").exists()
    assert not Allocation.objects.filter(number="NEW-1").exists()
    assert not Document.objects.filter(kind=DocumentKind.NUMBER_ASSIGNMENT).exists()
    assert on_hand(item, warehouse, unnumbered=True) == 2


def test_unassigned_assign_with_no_numbers_marks_the_field(clerk, unassigned):
    response = clerk.post(assign_url(unassigned), {"numbers": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Document.objects.filter(kind=DocumentKind.NUMBER_ASSIGNMENT).exists()


# Found while writing these tests ------------------------------------------------------------------


def incoming_input(body: str, form: str, name: str) -> str:
    """The value of an incoming field (lot number, expiry) inside the scan or paste form."""
    start = body.index(f'data-testid="{form}"')
    return re.search(rf'<input name="{name}"[^>]*value="([^"]*)"', body[start : body.index("</form>", start)]).group(1)


def test_scan_on_a_receipt_keeps_the_typed_lot_and_expiry_for_the_next_scan(clerk, company, warehouse):
    lot_class = LotClassFactory(company=company, tracking=Tracking.LOT_AND_SERIAL, track_expiry=True)
    line = receipt_line(ItemFactory(company=company, lot_class=lot_class), warehouse, 3)
    body = act(clerk, line, "scan", number="S-1", lot_number="LOT-A", expiry_date="2031-03-15")
    assert numbers_on(line) == ["S-1"]
    # The scan form is never redrawn (the browser keeps what was typed in it); the paste form is.
    assert 'data-testid="scan-form"' not in body
    assert incoming_input(body, "paste-form", "lot_number") == "LOT-A"
    assert incoming_input(body, "paste-form", "expiry_date") == "2031-03-15"


def test_scan_on_a_receipt_line_that_has_an_expiry_uses_it(clerk, milk, warehouse):
    line = receipt_line(milk, warehouse, 4, expiry_date=date(2031, 1, 1))
    body = act(clerk, line, "scan", number="BATCH-1")
    assert rows(body, "rejected-row") == []
    assert list(Allocation.objects.filter(line=line).values_list("number", "expiry_date")) == [("BATCH-1", date(2031, 1, 1))]


def test_scan_on_a_receipt_with_a_garbage_expiry_says_so_and_stores_nothing(clerk, milk, warehouse):
    line = receipt_line(milk, warehouse, 4)
    body = act(clerk, line, "scan", number="BATCH-1", expiry_date="2031-02-30")
    assert rows(body, "rejected-row") == ["BATCH-1 Expiration date: Enter a valid date."]
    assert not Allocation.objects.filter(line=line).exists()  # listed as refused, to scan again


def test_scan_with_a_bad_quantity_names_the_quantity(clerk, milk, warehouse):
    receive(item=milk, location=warehouse, numbers=["GOOD"], quantity=5, expiry=LATER)
    line = delivery_line(milk, warehouse, 2)
    body = act(clerk, line, "scan", number="GOOD", quantity="-1")
    assert marked(body, "dialog-error").startswith("Check the quantity")
    assert numbers_on(line) == []


def test_post_on_a_line_that_records_no_numbers_says_so(clerk, company, warehouse):
    line = delivery_line(ItemFactory(company=company), warehouse, 1)
    body = act(clerk, line, "scan", number="X")
    assert marked(body, "dialog-error") == "This line records no lot or serial numbers."
