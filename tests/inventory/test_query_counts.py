"""The posting path runs the same number of queries for 10 serials as for 300."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import DocumentKind
from inventory.selectors import ledger_verify
from inventory.services import (
    document_create,
    document_line_add,
    document_post,
    line_allocate,
    line_allocate_proposed,
    line_numbers_generate,
)
from tests.inventory.factories import ItemFactory, LocationFactory, LotClassFactory


def queries(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def fresh_item(company):
    return ItemFactory(company=company, lot_class=LotClassFactory(company=company, batch_size=10_000))


def receive_and_deliver(company, count, *, drafted):
    item, location = fresh_item(company), LocationFactory(company=company)
    receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=location)
    line = document_line_add(document=receipt, item=item, quantity=Decimal(count))
    delivery = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=location)
    out = document_line_add(document=delivery, item=item, quantity=Decimal(count))
    if drafted:
        return (
            queries(lambda: (line_numbers_generate(line=line), document_post(document=receipt))),
            queries(lambda: (line_allocate_proposed(line=out), document_post(document=delivery))),
        )
    return (
        queries(lambda: document_post(document=receipt, auto_allocate=True)),
        queries(lambda: document_post(document=delivery, auto_allocate=True)),
    )


def test_query_count_of_receiving_and_delivering_does_not_grow_with_serials(company):
    assert receive_and_deliver(company, 10, drafted=False) == receive_and_deliver(company, 300, drafted=False)


def test_query_count_of_drafted_receipt_and_proposal_does_not_grow_with_serials(company):
    assert receive_and_deliver(company, 10, drafted=True) == receive_and_deliver(company, 300, drafted=True)


def test_query_count_of_scanning_numbers_into_a_line_does_not_grow(company):
    def scan(count):
        item, location = fresh_item(company), LocationFactory(company=company)
        receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=location)
        line = document_line_add(document=receipt, item=item, quantity=Decimal(count))
        received = queries(lambda: line_allocate(line=line, numbers=[f"M{i:05d}" for i in range(count)]))
        document_post(document=receipt)
        delivery = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=location)
        out = document_line_add(document=delivery, item=item, quantity=Decimal(count))
        picked = queries(lambda: line_allocate(line=out, numbers=f"M00000-M{count - 1:05d}"))
        return received, picked

    assert scan(10) == scan(300)


def test_query_count_of_verify_ledger_does_not_grow(company):
    receive_and_deliver(company, 5, drafted=False)
    small = queries(ledger_verify)
    receive_and_deliver(company, 200, drafted=False)
    assert queries(ledger_verify) == small
