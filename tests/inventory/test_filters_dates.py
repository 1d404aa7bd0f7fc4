"""The date-range filters of the Documents, Lots/Serial Numbers and Work orders lists: a from and
a to input, each applied on its own, both kept in the form, a bad date a message (never a 500)."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.formats import date_format

from inventory.models import DocumentKind, Lot, Tracking
from inventory.services import document_create, lot_create, membership_add
from manufacturing.services import work_order_create
from tests.manufacturing.factories import BomFactory

from .factories import ItemFactory, LotClassFactory, UserFactory

pytestmark = pytest.mark.django_db

DAYS = [date(2024, 3, 1), date(2024, 3, 15), date(2024, 4, 1)]


@pytest.fixture
def client_staff(client, company):
    user = UserFactory()
    user.groups.add(*Group.objects.filter(name__in=["Stock clerk", "Production"]))
    membership_add(user=user, company=company, is_default=True)
    client.force_login(user)
    return client


def _rows(response):
    return sorted(row.number for row in response.context["table"].data)


def _inputs(response, name):
    """The two inputs of the range ``name``, as rendered."""
    html = response.content.decode()
    return [f'name="{name}_min"' in html, f'name="{name}_max"' in html]


def test_document_list_date_from_to_each_on_its_own(client_staff, company, warehouse):
    numbers = [document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse, date=day).number for day in DAYS]
    url = reverse("inventory:document-list")
    assert _rows(client_staff.get(url, {"date_min": "2024-03-10"})) == sorted(numbers[1:])
    assert _rows(client_staff.get(url, {"date_max": "2024-03-15"})) == sorted(numbers[:2])
    response = client_staff.get(url, {"date_min": "2024-03-02", "date_max": "2024-03-31"})
    assert _rows(response) == [numbers[1]]
    assert _inputs(response, "date") == [True, True]
    assert 'value="2024-03-02"' in response.content.decode() and 'value="2024-03-31"' in response.content.decode()
    assert "[None, None]" not in response.content.decode()


def test_document_list_bad_date_is_a_message(client_staff, company, warehouse):
    document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse, date=DAYS[0])
    response = client_staff.get(reverse("inventory:document-list"), {"date_min": "2024-02-31"})
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in response.content.decode()
    assert "Enter a valid date" in response.content.decode()
    assert _rows(response) == []


def test_lot_list_created_and_expiry_from_to(client_staff, company):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True))
    for number, created, expiry in zip(["A", "B", "C"], DAYS, [date(2025, 1, 10), date(2025, 2, 10), date(2025, 3, 10)], strict=True):
        lot = lot_create(company=company, item=item, number=number, expiry_date=expiry)
        Lot.objects.filter(pk=lot.pk).update(created_at=datetime(created.year, created.month, created.day, 18, tzinfo=UTC))
    url = reverse("traceability:lot-list")
    assert _rows(client_staff.get(url, {"created_max": "2024-03-15"})) == ["A", "B"]
    assert _rows(client_staff.get(url, {"created_min": "2024-03-15"})) == ["B", "C"]
    assert _rows(client_staff.get(url, {"expiry_min": "2025-02-01", "expiry_max": "2025-02-28"})) == ["B"]
    response = client_staff.get(url, {"expiry_max": "2025-13-45"})
    assert response.status_code == 200 and "Enter a valid date" in response.content.decode()
    assert _inputs(response, "created") == [True, True] and _inputs(response, "expiry") == [True, True]


def test_work_order_list_due_from_to(client_staff, company, warehouse):
    component = ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT))
    device = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    BomFactory(company=company, item=device, components=[(component, "1")])
    numbers = [work_order_create(company=company, item=device, quantity=1, location=warehouse, due_date=day).number for day in DAYS]
    url = reverse("manufacturing:work-order-list")
    assert _rows(client_staff.get(url, {"due_date_min": "2024-03-15"})) == sorted(numbers[1:])
    assert _rows(client_staff.get(url, {"due_date_max": "2024-03-14"})) == [numbers[0]]
    response = client_staff.get(url, {"due_date_min": "2024-03-01", "due_date_max": "2024-03-15"})
    assert _rows(response) == sorted(numbers[:2])
    assert 'value="2024-03-01"' in response.content.decode() and 'value="2024-03-15"' in response.content.decode()
    assert client_staff.get(url, {"due_date_max": "soon"}).status_code == 200


def test_lists_and_detail_pages_show_a_date_the_same_way(client_staff, company, warehouse):
    """The locale's short date format, in the django-tables2 lists, the grouped lists and the pages."""
    day = date(2024, 3, 5)
    shown = date_format(day, "SHORT_DATE_FORMAT")
    assert shown != day.isoformat()  # en-us writes 03/05/2024; the test means something
    document = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse, date=day)
    pages = [
        reverse("inventory:document-list"),
        reverse("inventory:document-list") + "?group=kind",
        reverse("inventory:document-detail", kwargs={"document_pk": document.pk}),
    ]
    component = ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT))
    device = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    BomFactory(company=company, item=device, components=[(component, "1")])
    order = work_order_create(company=company, item=device, quantity=1, location=warehouse, due_date=day)
    pages += [
        reverse("manufacturing:work-order-list"),
        reverse("manufacturing:work-order-list") + "?group=state",
        reverse("manufacturing:work-order-detail", kwargs={"work_order_pk": order.pk}),
    ]
    for page in pages:
        content = client_staff.get(page).content.decode()
        assert f">{shown}<" in content, page
        assert day.isoformat() not in content, page
