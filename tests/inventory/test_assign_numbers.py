"""Assign numbers: the services that number unassigned stock where it lies, and their page."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.exceptions import InvalidDocument
from inventory.models import Allocation, Balance, Document, DocumentKind, DocumentStatus, Lot, Tracking
from inventory.services import unassigned_assign, unassigned_generate
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import on_hand, receive
from tests.inventory.test_views_catalog import sign_in

pytestmark = pytest.mark.django_db

LATER = timezone.localdate() + timedelta(days=300)


@pytest.fixture
def clerk(client, company):
    sign_in(client, company)
    return client


def serials(company, location, *, quantity=7, batch_size=1000, **class_fields):
    """A serial item with ``quantity`` units at ``location`` and no numbers."""
    klass = LotClassFactory(company=company, batch_size=batch_size, **class_fields)
    item = ItemFactory(company=company, sku="PHONE", lot_class=klass)
    receive(item=item, location=location, quantity=quantity, expiry=LATER if klass.track_expiry else None)
    return item


def lots(company, location, *, quantity="12.5", **class_fields):
    klass = LotClassFactory(company=company, tracking=Tracking.LOT, segments=[("constant", "L"), ("counter", "001")], **class_fields)
    item = ItemFactory(company=company, sku="SYRUP", lot_class=klass)
    receive(item=item, location=location, quantity=Decimal(quantity), expiry=LATER if klass.track_expiry else None)
    return item


def balance_of(item):
    return Balance.objects.get(item=item, lot__isnull=True)


def url(item):
    return reverse("inventory:unassigned-assign", kwargs={"balance_pk": balance_of(item).pk})


def html_text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def marked(body: str, testid: str) -> str:
    match = re.search(rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', body, re.DOTALL)
    return html_text(match.group(2)) if match else ""


def box(body: str) -> str:
    return re.search(r'<textarea name="numbers"[^>]*>(.*?)</textarea>', body, re.DOTALL).group(1)


def assignments():
    return Document.objects.filter(kind=DocumentKind.NUMBER_ASSIGNMENT)


# Services ----------------------------------------------------------------------------------------


def test_unassigned_generate_numbers_serials_up_to_the_batch_size_and_leaves_the_rest(company, warehouse):
    item = serials(company, warehouse, quantity=7, batch_size=5)
    made = unassigned_generate(item=item, location=warehouse)
    assert made.numbers == ["SN0001", "SN0002", "SN0003", "SN0004", "SN0005"]
    assert made.left == 2 and made.document.status == DocumentStatus.POSTED
    assert on_hand(item, warehouse, unnumbered=True) == 2
    assert list(Lot.objects.filter(item=item, in_stock=True).order_by("pk").values_list("number", flat=True)) == made.numbers


def test_unassigned_generate_gives_a_lot_one_number_with_its_expiry(company, warehouse):
    item = lots(company, warehouse, quantity="12.5", track_expiry=True)
    made = unassigned_generate(item=item, location=warehouse, expiry_date=LATER)
    lot = Lot.objects.get(item=item)
    assert (made.numbers, lot.number, lot.expiry_date, made.left) == (["L001"], "L001", LATER, 0)
    assert on_hand(item, warehouse, lot) == Decimal("12.5")


def test_unassigned_generate_without_the_expiry_the_class_tracks_writes_nothing(company, warehouse):
    item = serials(company, warehouse, quantity=3, track_expiry=True)
    with pytest.raises(InvalidDocument, match="expiration date"):
        unassigned_generate(item=item, location=warehouse)
    assert not Lot.objects.filter(item=item).exists() and not assignments().exists()
    assert unassigned_generate(item=item, location=warehouse, expiry_date=LATER).numbers[0] == "SN0001"  # counter given back


def test_unassigned_assign_of_a_lot_takes_the_unassigned_quantity_by_default(company, warehouse):
    item = lots(company, warehouse, quantity="4")
    unassigned_assign(item=item, location=warehouse, numbers="BATCH-9")
    assert on_hand(item, warehouse, Lot.objects.get(item=item, number="BATCH-9")) == 4


def test_unassigned_assign_refusals_name_the_number_not_a_line(company, warehouse):
    item = serials(company, warehouse, quantity=2)
    unassigned_assign(item=item, location=warehouse, numbers="NW261200046")
    with pytest.raises(InvalidDocument) as error:
        unassigned_assign(item=item, location=warehouse, numbers="NW261200046")
    assert [(p.line, p.number) for p in error.value.problems] == [(None, "NW261200046")]
    assert not str(error.value).startswith("Line")


def test_unassigned_assign_refuses_a_number_given_twice(company, warehouse):
    item = serials(company, warehouse, quantity=3)
    with pytest.raises(InvalidDocument, match="given more than once") as error:
        unassigned_assign(item=item, location=warehouse, numbers=["A-1", "A-2", "A-1"])
    assert [p.number for p in error.value.problems] == ["A-1"]
    assert not Lot.objects.filter(item=item).exists() and not assignments().exists()


def test_unassigned_assign_refuses_more_than_100000_numbers(company, warehouse):
    item = serials(company, warehouse, quantity=1)
    with pytest.raises(InvalidDocument, match="at most 100,000"):
        unassigned_assign(item=item, location=warehouse, numbers=[f"N{i}" for i in range(100_001)])
    assert not assignments().exists()


def test_unassigned_assign_refuses_a_lot_quantity_above_the_unassigned(company, warehouse):
    item = lots(company, warehouse, quantity="4")
    with pytest.raises(InvalidDocument, match="only 4 of SYRUP at WH1 carry no number"):
        unassigned_assign(item=item, location=warehouse, numbers="BATCH-9", quantity=Decimal(5))
    assert not Lot.objects.filter(item=item).exists()


def test_unassigned_assign_of_a_lot_and_serial_item_needs_the_lot_number(company, warehouse):
    klass = LotClassFactory(company=company, tracking=Tracking.LOT_AND_SERIAL)
    item = ItemFactory(company=company, lot_class=klass)
    receive(item=item, location=warehouse, quantity=1, parent_number="LOT-A")
    with pytest.raises(InvalidDocument, match="give the lot number"):
        unassigned_assign(item=item, location=warehouse, numbers="S-1")
    assert not Lot.objects.filter(item=item).exists()


# The page ----------------------------------------------------------------------------------------


def test_assign_page_of_a_serial_item_has_no_quantity_box(clerk, company, warehouse):
    body = clerk.get(url(serials(company, warehouse))).content.decode()
    assert 'name="numbers"' in body and 'name="quantity"' not in body


def test_assign_page_of_a_lot_prefills_the_unassigned_quantity(clerk, company, warehouse):
    body = clerk.get(url(lots(company, warehouse, quantity="12.5"))).content.decode()
    assert re.search(r'<input name="quantity"[^>]*value="12.5"', body)


def test_assign_page_numbers_a_lot_with_the_prefilled_quantity(clerk, company, warehouse):
    item = lots(company, warehouse, quantity="12.5")
    response = clerk.post(url(item), {"numbers": "BATCH-9", "quantity": "12.5", "assign": "1"})
    assert response.status_code == 204
    assert on_hand(item, warehouse, Lot.objects.get(item=item, number="BATCH-9")) == Decimal("12.5")


def test_assign_page_refuses_a_lot_quantity_above_the_unassigned_next_to_the_field(clerk, company, warehouse):
    item = lots(company, warehouse, quantity="12.5")
    body = clerk.post(url(item), {"numbers": "BATCH-9", "quantity": "13"}).content.decode()
    assert "At most 12.5" in marked(body, "quantity-error")
    assert not Lot.objects.filter(item=item).exists() and not assignments().exists()


def test_assign_page_shows_a_refused_number_beside_the_box_without_a_line(clerk, company, warehouse):
    item = serials(company, warehouse, quantity=3)
    unassigned_assign(item=item, location=warehouse, numbers="NW261200046")
    body = clerk.post(url(item), {"numbers": "NEW-1\nNW261200046"}).content.decode()
    problems = marked(body, "assign-problems")
    assert problems.startswith("NW261200046: already numbered") and "Line" not in body.split('data-testid="assign-problems"')[1][:300]
    assert box(body).split() == ["NEW-1", "NW261200046"]
    assert not Lot.objects.filter(number="NEW-1").exists()


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        ("", "This field is required."),
        ("  \n \n", "This field is required."),
        ("A-1\nA-2\nA-1", "A-1: given more than once"),
        ("X" * 81, "longer than 80 characters"),
        ("\n".join(f"N{i}" for i in range(100_001)), "100,001 numbers: at most 100,000 at once."),
    ],
    ids=["empty", "blank", "duplicates", "over-long", "too-many"],
)
def test_assign_page_bad_input_gets_a_message_beside_the_box(clerk, company, warehouse, numbers, message):
    item = serials(company, warehouse, quantity=3)
    response = clerk.post(url(item), {"numbers": numbers, "assign": "1"})
    assert response.status_code == 200
    assert message in marked(response.content.decode(), "assign-problems")
    assert not Lot.objects.filter(item=item).exists() and not assignments().exists()
    assert not Allocation.objects.exists()


def test_assign_page_posted_twice_numbers_once_and_says_so(clerk, company, warehouse):
    item = serials(company, warehouse, quantity=2)
    first = clerk.post(url(item), {"numbers": "A-1\nA-2"})
    second = clerk.post(
        reverse("inventory:unassigned-assign", kwargs={"balance_pk": Balance.objects.get(item=item, lot__isnull=True).pk}),
        {"numbers": "A-1\nA-2"},
    )
    assert first.status_code == 204
    assert second.status_code == 200 and "nothing is left here without a number" in marked(second.content.decode(), "assign-gone")
    assert assignments().count() == 1 and Lot.objects.filter(item=item).count() == 2


def test_assign_page_posted_twice_with_stock_left_refuses_the_numbers_now_taken(clerk, company, warehouse):
    item = serials(company, warehouse, quantity=5)
    clerk.post(url(item), {"numbers": "A-1\nA-2"})
    body = clerk.post(url(item), {"numbers": "A-1\nA-2"}).content.decode()
    assert "A-1: already numbered" in marked(body, "assign-problems")
    assert assignments().count() == 1 and on_hand(item, warehouse, unnumbered=True) == 3


def test_assign_page_generate_says_what_the_batch_size_leaves(clerk, company, warehouse):
    item = serials(company, warehouse, quantity=7, batch_size=5)
    note = marked(clerk.get(url(item)).content.decode(), "generate-note")
    assert "5 of 7 (batch size 5)" in note and "the other 2 stay without a number" in note
    response = clerk.post(url(item), {"numbers": "", "generate": "1"}, follow=False)
    assert response.status_code == 204
    listing = clerk.get(reverse("inventory:unassigned-list")).content.decode()
    assert "5 numbers assigned" in listing and "SN0001 … SN0005" in listing
    assert "2 units of PHONE at WH1 stay without a number (batch size 5)" in listing
    assert on_hand(item, warehouse, unnumbered=True) == 2


def test_assign_page_generate_without_the_tracked_expiry_marks_the_field(clerk, company, warehouse):
    item = serials(company, warehouse, quantity=2, track_expiry=True)
    body = clerk.post(url(item), {"generate": "1"}).content.decode()
    assert "Give the expiration date" in body
    assert not Lot.objects.filter(item=item).exists()
