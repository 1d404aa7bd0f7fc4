"""The stock document pages: create, edit, post, reverse, list, print — through the real services."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from inventory.models import Document, DocumentKind, DocumentStatus, Lot, StockMove, Tracking
from inventory.services import membership_add

from .factories import ItemFactory, LotClassFactory, PartnerFactory, UserFactory
from .flows import on_hand, receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(company):
    user = UserFactory()
    user.groups.add(Group.objects.get(name="Stock clerk"))
    membership_add(user=user, company=company, is_default=True)
    return user


@pytest.fixture
def client_clerk(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def serial_item(company):
    return ItemFactory(company=company, sku="PHONE", lot_class=LotClassFactory(company=company))


@pytest.fixture
def lot_item(company):
    lot_class = LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True, segments=[("constant", "L"), ("counter", "001")])
    return ItemFactory(company=company, sku="MILK", lot_class=lot_class)


def header(kind, **values):
    data = {"date": date.today().isoformat(), "reference": "", "notes": ""}
    data.update(values)
    return data


def lines(*rows, initial=0):
    data = {
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": str(initial),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{index}-{key}"] = "" if value is None else str(value)
    return data


def test_document_create_saves_a_draft_receipt_with_its_lines(client_clerk, warehouse, serial_item, lot_item):
    supplier = PartnerFactory(company=warehouse.company)
    data = header("receipt", partner=supplier.pk, to_location=warehouse.pk, reference="PO-1")
    data.update(
        lines(
            {"item": serial_item.pk, "quantity": 5, "unit_cost": "12.50"},
            {"item": lot_item.pk, "quantity": "2.5", "expiry_date": "2030-01-31"},
        )
    )
    response = client_clerk.post(reverse("inventory:document-create", kwargs={"kind": "receipt"}), data)
    document = Document.objects.get(company=warehouse.company)
    assert response.status_code == 302 and response.url == reverse("inventory:document-detail", kwargs={"document_pk": document.pk})
    assert document.status == DocumentStatus.DRAFT and document.partner == supplier and document.reference == "PO-1"
    assert [(ln.item.sku, ln.quantity, ln.unit_cost, ln.expiry_date) for ln in document.lines.order_by("position")] == [
        ("PHONE", Decimal("5"), Decimal("12.50"), None),
        ("MILK", Decimal("2.5"), None, date(2030, 1, 31)),
    ]


def test_document_create_save_and_post_generates_numbers_and_moves_stock(client_clerk, warehouse, serial_item):
    data = header("receipt", to_location=warehouse.pk)
    data.update(lines({"item": serial_item.pk, "quantity": 3}))
    data["post"] = "1"
    client_clerk.post(reverse("inventory:document-create", kwargs={"kind": "receipt"}), data)
    document = Document.objects.get(company=warehouse.company)
    assert document.status == DocumentStatus.POSTED and document.posted_by is not None
    assert on_hand(serial_item, warehouse) == 3
    assert sorted(Lot.objects.filter(item=serial_item).values_list("number", flat=True)) == ["SN0001", "SN0002", "SN0003"]


def test_document_create_keeps_input_and_marks_the_bad_line(client_clerk, warehouse, serial_item):
    data = header("receipt", to_location=warehouse.pk, reference="keep me")
    data.update(lines({"item": serial_item.pk, "quantity": "1.5"}))
    response = client_clerk.post(reverse("inventory:document-create", kwargs={"kind": "receipt"}), data)
    assert response.status_code == 200
    assert "counted in whole serial-numbered units" in response.content.decode()
    assert 'value="keep me"' in response.content.decode()
    assert not Document.objects.exists()


def test_document_create_save_and_post_failure_keeps_the_draft_and_marks_the_line(client_clerk, warehouse, serial_item):
    data = header("delivery", from_location=warehouse.pk)
    data.update(lines({"item": serial_item.pk, "quantity": 2}))
    data["post"] = "1"
    response = client_clerk.post(reverse("inventory:document-create", kwargs={"kind": "delivery"}), data, follow=True)
    body = response.content.decode()
    document = Document.objects.get(company=warehouse.company)
    # The saved draft's edit page shows the refusal beside the line; a reload sends nothing again.
    assert response.redirect_chain == [(reverse("inventory:document-update", kwargs={"document_pk": document.pk}), 302)]
    assert document.status == DocumentStatus.DRAFT
    assert "was not posted" in body and 'data-testid="line-error"' in body and "not enough PHONE" in body
    assert not StockMove.objects.filter(document=document).exists()
    # Fixing the line and saving again changes the same draft, not a new one.
    data = header("delivery", from_location=warehouse.pk)
    line = document.lines.get()
    data.update(lines({"id": line.pk, "item": serial_item.pk, "quantity": 1}, initial=1))
    client_clerk.post(reverse("inventory:document-update", kwargs={"document_pk": document.pk}), data)
    assert Document.objects.count() == 1 and document.lines.get().quantity == 1


def test_document_update_edits_changes_and_removes_lines(client_clerk, warehouse, serial_item, lot_item):
    client_clerk.post(
        reverse("inventory:document-create", kwargs={"kind": "receipt"}),
        {
            **header("receipt", to_location=warehouse.pk),
            **lines({"item": serial_item.pk, "quantity": 5}, {"item": lot_item.pk, "quantity": 1}),
        },
    )
    document = Document.objects.get()
    first, second = document.lines.order_by("position")
    data = header("receipt", to_location=warehouse.pk, reference="changed")
    data.update(
        lines(
            {"id": first.pk, "item": serial_item.pk, "quantity": 7},
            {"id": second.pk, "item": lot_item.pk, "quantity": 1, "DELETE": "on"},
            initial=2,
        )
    )
    response = client_clerk.post(reverse("inventory:document-update", kwargs={"document_pk": document.pk}), data)
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.reference == "changed"
    assert list(document.lines.values_list("item__sku", "quantity")) == [("PHONE", Decimal("7"))]


def test_document_update_refused_by_the_service_shows_the_form_and_keeps_the_draft(client_clerk, warehouse, serial_item):
    """Refusals past the form's own checks (a line removed elsewhere, a quantity below what is
    allocated) come back on the form, 200/422, nothing of the change saved; never a 500."""
    from inventory.services import document_line_remove, line_allocate

    client_clerk.post(
        reverse("inventory:document-create", kwargs={"kind": "receipt"}),
        {
            **header("receipt", to_location=warehouse.pk),
            **lines({"item": serial_item.pk, "quantity": 3}, {"item": serial_item.pk, "quantity": 1}),
        },
    )
    document = Document.objects.get()
    first, second = document.lines.order_by("position")
    line_allocate(line=first, numbers="S1 S2 S3")
    document_line_remove(line=second)
    data = header("receipt", to_location=warehouse.pk, reference="changed")
    data.update(
        lines({"id": first.pk, "item": serial_item.pk, "quantity": 2}, {"id": second.pk, "item": serial_item.pk, "quantity": 4}, initial=2)
    )
    response = client_clerk.post(reverse("inventory:document-update", kwargs={"document_pk": document.pk}), data)
    assert response.status_code in (200, 422)
    body = response.content.decode()
    assert "This line no longer exists; it was removed elsewhere." in body
    assert "allocated" in body  # the first line: 3 numbers allocated, 2 asked for
    document.refresh_from_db()
    assert document.reference != "changed" and list(document.lines.values_list("quantity", flat=True)) == [Decimal(3)]


def test_line_row_returns_a_numbered_row_and_the_new_total(client_clerk, serial_item):
    response = client_clerk.get(reverse("inventory:document-line-row", kwargs={"kind": "delivery"}), {"lines-TOTAL_FORMS": 3})
    body = response.content.decode()
    assert 'name="lines-3-item"' in body and 'value="4"' in body and "hx-swap-oob" in body


def test_document_post_and_reverse_through_the_confirmation_pages(client_clerk, warehouse, serial_item):
    receive(item=serial_item, location=warehouse, generate=2)
    data = {**header("delivery", from_location=warehouse.pk), **lines({"item": serial_item.pk, "quantity": 2})}
    client_clerk.post(reverse("inventory:document-create", kwargs={"kind": "delivery"}), data)
    delivery = Document.objects.get(kind=DocumentKind.DELIVERY)
    url = reverse("inventory:document-post", kwargs={"document_pk": delivery.pk})
    assert "Post" in client_clerk.get(url).content.decode()
    assert Document.objects.get(pk=delivery.pk).status == DocumentStatus.DRAFT  # GET only asks
    assert client_clerk.post(url).status_code == 302
    assert on_hand(serial_item, warehouse) == 0
    client_clerk.post(reverse("inventory:document-cancel", kwargs={"document_pk": delivery.pk}))
    delivery.refresh_from_db()
    assert delivery.status == DocumentStatus.REVERSED and on_hand(serial_item, warehouse) == 2


def test_document_post_refusal_is_shown_on_the_confirmation_page(client_clerk, warehouse, serial_item):
    data = {**header("delivery", from_location=warehouse.pk), **lines({"item": serial_item.pk, "quantity": 1})}
    client_clerk.post(reverse("inventory:document-create", kwargs={"kind": "delivery"}), data)
    delivery = Document.objects.get()
    response = client_clerk.post(reverse("inventory:document-post", kwargs={"document_pk": delivery.pk}))
    assert response.status_code == 422
    assert "was not changed" in response.content.decode() and "Line 1" in response.content.decode()


def test_document_detail_shows_lines_numbers_and_moves(client_clerk, warehouse, serial_item):
    document = receive(item=serial_item, location=warehouse, generate=7)
    body = client_clerk.get(reverse("inventory:document-detail", kwargs={"document_pk": document.pk})).content.decode()
    assert "SN0001" in body and "and 2 more" in body and 'data-testid="move-table"' in body


def test_document_print_lists_every_number(client_clerk, warehouse, serial_item):
    document = receive(item=serial_item, location=warehouse, generate=30)
    body = client_clerk.get(reverse("inventory:document-print", kwargs={"document_pk": document.pk})).content.decode()
    assert all(f"SN{n:04d}" in body for n in range(1, 31))


def test_document_list_filters_searches_by_serial_and_groups(client_clerk, warehouse, serial_item):
    receipt = receive(item=serial_item, location=warehouse, numbers=["ABC-1", "ABC-2"])
    receive(item=serial_item, location=warehouse, generate=1, post=False)
    url = reverse("inventory:document-list")
    assert receipt.number in client_clerk.get(url, {"q": "ABC-2"}).content.decode()
    drafts = client_clerk.get(url, {"status": "draft"}).content.decode()
    assert receipt.number not in drafts
    grouped = client_clerk.get(url, {"group": "status"}).content.decode()
    assert grouped.count('data-testid="group-row"') == 2 and "Posted" in grouped and "Draft" in grouped


def test_document_list_bad_filter_input_is_a_message_not_an_error(client_clerk):
    response = client_clerk.get(reverse("inventory:document-list"), {"date_after": "31/31/2020", "kind": "nonsense", "page": "99999"})
    assert response.status_code == 200
    assert "Enter a valid date" in response.content.decode() or "Select a valid choice" in response.content.decode()


def test_document_create_unknown_kind_is_404(client_clerk):
    assert client_clerk.get(reverse("inventory:document-create", kwargs={"kind": "nonsense"})).status_code == 404


def test_document_update_of_a_posted_document_goes_back_to_it(client_clerk, warehouse, serial_item):
    document = receive(item=serial_item, location=warehouse, generate=1)
    response = client_clerk.get(reverse("inventory:document-update", kwargs={"document_pk": document.pk}))
    assert response.status_code == 302 and response.url.endswith(f"/documents/{document.pk}/")


def test_save_and_post_says_what_came_in_without_numbers_and_where_to_number_it(client_clerk, warehouse, company):
    """A batch size of 2 leaves 3 of 5 unnumbered: the page says so instead of a bare "posted"."""
    item = ItemFactory(company=company, sku="HONEY", lot_class=LotClassFactory(company=company, batch_size=2))
    data = header("receipt", to_location=warehouse.pk) | lines({"item": item.pk, "quantity": 5}) | {"post": "1"}
    response = client_clerk.post(reverse("inventory:document-create", kwargs={"kind": "receipt"}), data, follow=True)
    body = response.content.decode()
    assert Document.objects.get(company=company).status == DocumentStatus.POSTED
    assert "Came in without lot/serial numbers — line 1: 3 HONEY" in body
    assert reverse("inventory:unassigned-list") in body


def test_save_and_post_of_a_receipt_missing_the_expiry_its_class_numbers_by_is_refused(client_clerk, warehouse, lot_item):
    data = header("receipt", to_location=warehouse.pk) | lines({"item": lot_item.pk, "quantity": 10}) | {"post": "1"}
    response = client_clerk.post(reverse("inventory:document-create", kwargs={"kind": "receipt"}), data, follow=True)
    body = response.content.decode()
    assert "MILK tracks expiration dates: give the expiration date" in body
    assert Document.objects.get(company=warehouse.company).status == DocumentStatus.DRAFT
    assert on_hand(lot_item, warehouse) == 0


def test_save_and_post_receives_the_lot_number_typed_on_the_line(client_clerk, warehouse, lot_item):
    data = header("receipt", to_location=warehouse.pk) | {"post": "1"}
    data |= lines({"item": lot_item.pk, "quantity": 10, "lot_number": "OAT-TEST", "expiry_date": "2027-09-01"})
    client_clerk.post(reverse("inventory:document-create", kwargs={"kind": "receipt"}), data)
    assert list(Lot.objects.filter(item=lot_item).values_list("number", "expiry_date")) == [("OAT-TEST", date(2027, 9, 1))]
    assert on_hand(lot_item, warehouse) == 10


def test_document_cancel_page_says_what_it_confirms(client_clerk, warehouse, serial_item):
    receipt = receive(item=serial_item, location=warehouse, generate=1)
    body = client_clerk.get(reverse("inventory:document-cancel", kwargs={"document_pk": receipt.pk})).content.decode()
    assert 'name="intent" value="reverse"' in body and 'name="submission_key"' in body
