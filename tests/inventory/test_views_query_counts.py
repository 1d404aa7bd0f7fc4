"""The document pages and the allocations dialog cost the same number of queries at 10 rows as at
1,000 (documents for the list; lines, serials or candidates for the others)."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import DocumentKind
from inventory.services import document_create, document_line_add, line_allocate_proposed
from tests.inventory.factories import CompanyFactory, ItemFactory, LocationFactory, LotClassFactory, PartnerFactory
from tests.inventory.flows import receive
from tests.inventory.test_views_catalog import sign_in

pytestmark = pytest.mark.django_db


def serial_item(company):
    return ItemFactory(company=company, lot_class=LotClassFactory(company=company, batch_size=10_000))


def _count(body: str, pattern: str) -> int:
    match = re.search(pattern, body)
    return int(match.group(1)) if match else -1


def _candidates(response) -> int:
    """How many candidates match: the pager says so, or a single page shows them all."""
    body = response.content.decode()
    paged = _count(body, r"Page \d+ of \d+ \((\d+)\)")
    return paged if paged >= 0 else body.count('data-testid="candidate-row"')


# Each builder makes n rows in a fresh company and returns its pages: name → (URL, rows shown by the response).


def documents(company, n):
    """n documents of three partners, a few posted."""
    location = LocationFactory(company=company)
    partners = PartnerFactory.create_batch(3, company=company)
    item = serial_item(company)
    receive(item=item, location=location, generate=2)
    for index in range(n - 1):
        document_create(company=company, kind=DocumentKind.RECEIPT, to_location=location, partner=partners[index % 3])
    url = reverse("inventory:document-list")

    def listed(response):
        return response.context["table"].paginator.count

    return {
        "list": (url, listed),
        "list by status": (f"{url}?status=draft", lambda response: listed(response) + 1),
        "list grouped by partner": (f"{url}?group=partner", lambda response: listed(response) if response.context["groups"] else -1),
    }


def posted_serials(company, n):
    """A posted receipt of n generated serials."""
    document = receive(item=serial_item(company), location=LocationFactory(company=company), generate=n)
    return {
        "detail": (reverse("inventory:document-detail", kwargs={"document_pk": document.pk}), lambda r: r.context["moves"].paginator.count),
        "print": (reverse("inventory:document-print", kwargs={"document_pk": document.pk}), lambda r: len(r.context["lines"][0].numbers)),
    }


def draft_lines(company, n):
    """A draft delivery of n lines, tracked and untracked items in turn."""
    location = LocationFactory(company=company)
    items = [serial_item(company), ItemFactory(company=company)]
    document = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=location)
    for index in range(n):
        document_line_add(document=document, item=items[index % 2], quantity=Decimal(1))
    return {
        "detail": (reverse("inventory:document-detail", kwargs={"document_pk": document.pk}), lambda r: len(r.context["lines"])),
        "print": (reverse("inventory:document-print", kwargs={"document_pk": document.pk}), lambda r: len(r.context["lines"])),
    }


def draft_allocations(company, n):
    """A draft delivery line with n serials allocated and n more in stock to choose from."""
    location = LocationFactory(company=company)
    item = serial_item(company)
    receive(item=item, location=location, generate=2 * n)
    document = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=location)
    line = document_line_add(document=document, item=item, quantity=Decimal(n))
    line_allocate_proposed(line=line)
    dialog = reverse("inventory:line-allocations", kwargs={"line_pk": line.pk})
    candidates = reverse("inventory:line-candidates", kwargs={"line_pk": line.pk})
    return {
        "detail": (
            reverse("inventory:document-detail", kwargs={"document_pk": document.pk}),
            lambda r: r.context["lines"][0].summary["count"],
        ),
        "print": (reverse("inventory:document-print", kwargs={"document_pk": document.pk}), lambda r: len(r.context["lines"][0].numbers)),
        "allocations dialog": (dialog, lambda r: _count(r.content.decode(), r"Allocated \((\d+)\)")),
        "allocations dialog, second pages": (f"{dialog}?cpage=2&apage=2", lambda r: _count(r.content.decode(), r"Allocated \((\d+)\)")),
        "candidates": (candidates, _candidates),
        "candidates searched, page 3": (f"{candidates}?q=SN&cpage=3", _candidates),
    }


def measure(client, url, shown) -> tuple[int, int]:
    client.get(url)  # warm caches that are not per row (content types, permissions, the session)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), shown(response)


@pytest.mark.parametrize("build", [documents, posted_serials, draft_lines, draft_allocations], ids=lambda b: b.__name__)
def test_page_query_count_does_not_grow_with_rows(client, build, request):
    counts = {}
    for n in (10, 1000):
        company = CompanyFactory()
        pages = build(company, n)
        sign_in(client, company)
        for name, (url, shown) in pages.items():
            queries, rows = measure(client, url, shown)
            assert rows == n, f"{name} shows {rows} rows, built {n}"
            counts.setdefault(name, []).append(queries)
    request.node.user_properties.append(("queries", counts))
    print(f"{build.__name__}: " + ", ".join(f"{name} {a} → {b}" for name, (a, b) in counts.items()))
    assert {name: a for name, (a, b) in counts.items()} == {name: b for name, (a, b) in counts.items()}
