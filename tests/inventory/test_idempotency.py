"""Submission keys: a form sent twice (double-click, resend, retry) writes once and the repeat is
answered with what the first made; and a cancel confirmed for a draft never reverses it."""

import re
import uuid
from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from inventory.exceptions import InvalidDocument
from inventory.models import Document, DocumentKind, DocumentStatus, MoveReason, StockMove
from inventory.services import (
    document_cancel_draft,
    document_create,
    document_line_add,
    document_post,
    document_reverse,
    line_numbers_generate,
    membership_add,
)
from manufacturing.models import WorkOrder
from manufacturing.services import work_order_components_propose, work_order_create, work_order_release
from tests.inventory.test_views_company import sign_in
from tests.manufacturing.conftest import plant  # noqa: F401 — the work orders' fixture

from .factories import ItemFactory, LotClassFactory, UserFactory
from .flows import on_hand, receive
from .test_concurrency import run_concurrently

KEY_INPUT = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"')


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


def receipt_form(warehouse, item, quantity=3, *, key=None, post=True, **extra):
    data = {
        "date": date.today().isoformat(),
        "reference": "",
        "notes": "",
        "to_location": warehouse.pk,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-item": str(item.pk),
        "lines-0-quantity": str(quantity),
        **extra,
    }
    if post:
        data["post"] = "1"
    if key is not None:
        data["submission_key"] = key
    return data


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def detail(document) -> str:
    return reverse("inventory:document-detail", kwargs={"document_pk": document.pk})


def draft_delivery(warehouse, item, quantity=1):
    document = document_create(company=warehouse.company, kind=DocumentKind.DELIVERY, from_location=warehouse)
    document_line_add(document=document, item=item, quantity=quantity)
    return document


# --- the forms carry a fresh key ---------------------------------------------------------------


def test_document_form_carries_a_fresh_submission_key_each_time(client_clerk):
    url = reverse("inventory:document-create", kwargs={"kind": "receipt"})
    first, second = (KEY_INPUT.findall(client_clerk.get(url).content.decode()) for _ in range(2))
    assert len(first) == 1 and len(second) == 1 and first != second


def test_confirmation_page_carries_a_key_and_what_is_confirmed(client_clerk, warehouse, serial_item):
    document = draft_delivery(warehouse, serial_item)
    body = client_clerk.get(reverse("inventory:document-cancel", kwargs={"document_pk": document.pk})).content.decode()
    assert KEY_INPUT.search(body) and 'name="intent" value="cancel"' in body


# --- create and edit -----------------------------------------------------------------------


def test_save_and_post_sent_twice_posts_one_receipt(client_clerk, warehouse, serial_item):
    data = receipt_form(warehouse, serial_item, key=str(uuid.uuid4()))
    url = reverse("inventory:document-create", kwargs={"kind": "receipt"})
    first = client_clerk.post(url, data)
    second = client_clerk.post(url, data)
    document = Document.objects.get(company=warehouse.company)
    assert document.status == DocumentStatus.POSTED and on_hand(serial_item, warehouse) == 3
    assert first.status_code == second.status_code == 302 and first.url == second.url == detail(document)
    assert any("already saved" in t and "this is the receipt it made" in t for t in texts(second))


def test_save_sent_twice_makes_one_draft(client_clerk, warehouse, serial_item):
    data = receipt_form(warehouse, serial_item, key=str(uuid.uuid4()), post=False)
    url = reverse("inventory:document-create", kwargs={"kind": "receipt"})
    client_clerk.post(url, data)
    second = client_clerk.post(url, data)
    document = Document.objects.get(company=warehouse.company)
    assert document.is_draft and document.lines.count() == 1 and second.url == detail(document)


def test_refused_form_claims_nothing_and_can_be_sent_again(client_clerk, warehouse, serial_item):
    key = str(uuid.uuid4())
    url = reverse("inventory:document-create", kwargs={"kind": "receipt"})
    assert client_clerk.post(url, receipt_form(warehouse, serial_item, "1.5", key=key)).status_code == 200
    assert not Document.objects.exists()
    client_clerk.post(url, receipt_form(warehouse, serial_item, 2, key=key))
    assert Document.objects.get().status == DocumentStatus.POSTED and on_hand(serial_item, warehouse) == 2


@pytest.mark.parametrize("key", [None, "", "not-a-key", "x" * 500], ids=["missing", "empty", "malformed", "too-long"])
def test_form_without_a_good_key_still_works_each_time(client_clerk, warehouse, serial_item, key):
    url = reverse("inventory:document-create", kwargs={"kind": "receipt"})
    for _ in range(2):
        assert client_clerk.post(url, receipt_form(warehouse, serial_item, key=key)).status_code == 302
    assert Document.objects.filter(status=DocumentStatus.POSTED).count() == 2  # two pages, two receipts


def test_edit_save_and_post_sent_twice_posts_once_and_answers_with_the_document(client_clerk, warehouse, serial_item):
    document = document_create(company=warehouse.company, kind=DocumentKind.RECEIPT, to_location=warehouse)
    line = document_line_add(document=document, item=serial_item, quantity=2)
    data = receipt_form(warehouse, serial_item, 2, key=str(uuid.uuid4()), **{"lines-0-id": str(line.pk), "lines-INITIAL_FORMS": "1"})
    url = reverse("inventory:document-update", kwargs={"document_pk": document.pk})
    client_clerk.post(url, data)
    second = client_clerk.post(url, data)
    assert second.status_code == 302 and second.url == detail(document)
    assert not any("only drafts can be edited" in t for t in texts(second))
    assert Document.objects.get().status == DocumentStatus.POSTED and on_hand(serial_item, warehouse) == 2


def test_key_of_another_user_is_not_their_answer_and_writes_nothing(client, company, warehouse, serial_item, client_clerk):
    key = str(uuid.uuid4())
    url = reverse("inventory:document-create", kwargs={"kind": "receipt"})
    client_clerk.post(url, receipt_form(warehouse, serial_item, key=key))
    other = UserFactory()
    other.groups.add(Group.objects.get(name="Stock clerk"))
    membership_add(user=other, company=company, is_default=True)
    intruder = Client()
    intruder.force_login(other)
    response = intruder.post(url, receipt_form(warehouse, serial_item, key=key))
    assert response.status_code == 302 and response.url != detail(Document.objects.get())
    assert Document.objects.count() == 1 and on_hand(serial_item, warehouse) == 3


# --- the confirmation pages ----------------------------------------------------------------


def test_post_confirmation_sent_twice_posts_once_and_both_answers_succeed(client_clerk, warehouse, serial_item):
    receive(item=serial_item, location=warehouse, generate=2)
    delivery = draft_delivery(warehouse, serial_item, 2)
    url = reverse("inventory:document-post", kwargs={"document_pk": delivery.pk})
    data = {"submission_key": str(uuid.uuid4())}
    first, second = client_clerk.post(url, data), client_clerk.post(url, data)
    assert first.status_code == second.status_code == 302 and second.url == detail(delivery)
    assert on_hand(serial_item, warehouse) == 0 and StockMove.objects.filter(document=delivery).count() == 2


def test_reverse_confirmation_sent_twice_reverses_once(client_clerk, warehouse, serial_item):
    receipt = receive(item=serial_item, location=warehouse, generate=2)
    url = reverse("inventory:document-cancel", kwargs={"document_pk": receipt.pk})
    data = {"submission_key": str(uuid.uuid4()), "intent": "reverse"}
    first, second = client_clerk.post(url, data), client_clerk.post(url, data)
    assert first.status_code == second.status_code == 302 and second.url == detail(receipt)
    assert StockMove.objects.filter(document=receipt, reason=MoveReason.REVERSAL).count() == 2
    assert Document.objects.get(pk=receipt.pk).status == DocumentStatus.REVERSED


def test_cancel_draft_confirmed_for_a_draft_never_reverses_it_once_posted(client_clerk, warehouse, serial_item):
    receive(item=serial_item, location=warehouse, generate=1)
    delivery = draft_delivery(warehouse, serial_item)
    url = reverse("inventory:document-cancel", kwargs={"document_pk": delivery.pk})
    key = KEY_INPUT.search(client_clerk.get(url).content.decode()).group(1)
    document_post(document=delivery, auto_allocate=True)  # posted elsewhere meanwhile
    response = client_clerk.post(url, {"submission_key": key, "intent": "cancel"})
    assert response.status_code == 422 and "already posted — reverse it instead" in response.content.decode()
    assert Document.objects.get(pk=delivery.pk).status == DocumentStatus.POSTED and on_hand(serial_item, warehouse) == 0


def test_reverse_confirmed_never_cancels_a_draft(client_clerk, warehouse, serial_item):
    delivery = draft_delivery(warehouse, serial_item)
    url = reverse("inventory:document-cancel", kwargs={"document_pk": delivery.pk})
    response = client_clerk.post(url, {"submission_key": str(uuid.uuid4()), "intent": "reverse"})
    assert response.status_code == 422 and Document.objects.get(pk=delivery.pk).is_draft


def test_document_cancel_draft_refuses_a_posted_document(warehouse, serial_item):
    receipt = receive(item=serial_item, location=warehouse, generate=1)
    with pytest.raises(InvalidDocument, match="already posted — reverse it instead"):
        document_cancel_draft(document=receipt)
    assert Document.objects.get(pk=receipt.pk).status == DocumentStatus.POSTED


def test_document_reverse_refuses_a_draft(warehouse, serial_item):
    delivery = draft_delivery(warehouse, serial_item)
    with pytest.raises(InvalidDocument, match="draft"):
        document_reverse(document=delivery)
    assert Document.objects.get(pk=delivery.pk).is_draft


# --- work orders ---------------------------------------------------------------------------


def test_work_order_create_sent_twice_makes_one_work_order(client, plant):  # noqa: F811 (the fixture)
    sign_in(client, plant.company, group="Production")
    url = reverse("manufacturing:work-order-create")
    assert KEY_INPUT.search(client.get(url).content.decode())
    data = {"item": plant.widget.pk, "quantity": "3", "location": plant.warehouse.pk, "submission_key": str(uuid.uuid4())}
    first, second = client.post(url, data), client.post(url, data)
    work_order = WorkOrder.objects.get()
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert second.url == reverse("manufacturing:work-order-detail", kwargs={"work_order_pk": work_order.pk})
    assert "Already saved — this is the work order it made." in texts(second)


def test_work_order_complete_sent_twice_completes_once(client, plant):  # noqa: F811 (the fixture)
    sign_in(client, plant.company, group="Production")
    work_order = work_order_release(
        work_order=work_order_create(
            company=plant.company,
            item=plant.widget,
            quantity=3,
            location=plant.warehouse,
        )
    )
    line_numbers_generate(line=work_order.output_document.lines.get())
    work_order_components_propose(work_order=work_order)
    url = reverse("manufacturing:work-order-complete", kwargs={"work_order_pk": work_order.pk})
    assert KEY_INPUT.search(client.get(url).content.decode())
    data = {"quantity": "1", "submission_key": str(uuid.uuid4())}
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302 and first.url == second.url
    work_order.refresh_from_db()
    assert work_order.produced_quantity == 1 and work_order.completions.count() == 1


# --- PostgreSQL: repeats and races at once -------------------------------------------------


def _signed_in_clients(company, count):
    user = UserFactory(is_superuser=True)
    user.save()
    membership_add(user=user, company=company, is_default=True)
    clients = [Client() for _ in range(count)]
    for c in clients:
        c.force_login(user)
    return clients


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrency_5_identical_save_and_post_make_one_posted_receipt(company, warehouse, serial_item):
    clients = _signed_in_clients(company, 5)
    data = receipt_form(warehouse, serial_item, 4, key=str(uuid.uuid4()))
    url = reverse("inventory:document-create", kwargs={"kind": "receipt"})
    responses = run_concurrently(5, lambda i, barrier: clients[i].post(url, data))
    document = Document.objects.get(company=company)
    assert document.status == DocumentStatus.POSTED
    assert on_hand(serial_item, warehouse) == 4 and StockMove.objects.filter(document=document).count() == 4
    assert [(r.status_code, r.url) for r in responses] == [(302, detail(document))] * 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrency_post_and_cancel_draft_at_once_never_post_then_reverse(company, warehouse, serial_item):
    rounds = 8
    receive(item=serial_item, location=warehouse, generate=rounds)
    drafts = [draft_delivery(warehouse, serial_item) for _ in range(rounds)]
    poster, canceller = _signed_in_clients(company, 2)

    def work(index, barrier):
        outcomes = []
        for document in drafts:
            barrier.wait(timeout=60)
            if index == 0:
                url = reverse("inventory:document-post", kwargs={"document_pk": document.pk})
                response = poster.post(url, {"submission_key": str(uuid.uuid4())})
            else:
                url = reverse("inventory:document-cancel", kwargs={"document_pk": document.pk})
                response = canceller.post(url, {"submission_key": str(uuid.uuid4()), "intent": "cancel"})
            outcomes.append(response.status_code)
        return outcomes

    posts, cancels = run_concurrently(2, work)
    statuses = [Document.objects.get(pk=d.pk).status for d in drafts]
    for status, posted, cancelled in zip(statuses, posts, cancels):
        assert (status, posted, cancelled) in {(DocumentStatus.POSTED, 302, 422), (DocumentStatus.CANCELLED, 422, 302)}
    assert not StockMove.objects.filter(reason=MoveReason.REVERSAL).exists()
    assert on_hand(serial_item, warehouse) == statuses.count(DocumentStatus.CANCELLED)
