"""How long lists are read: pages ordered group by group, counts that stop, searches narrowed
first, and table rows written in one pass. Each gives the same rows as the plain way."""

import random
import re
from decimal import Decimal

import django_tables2 as tables
import pytest
from django.db import connection
from django.db.models import Q
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from inventory import paging
from inventory.models import Item, Lot, LotKind, LotStatus
from inventory.paging import grouped_pages
from inventory.web import filters as list_filters
from inventory.web import tables as web_tables
from inventory.web.tables import PAGINATION, BoundedPaginator
from tests.inventory.factories import ItemFactory

pytestmark = pytest.mark.django_db


def make_lots(company, items: int, lots: int, seed: int = 7) -> list[Item]:
    """``lots`` lots spread over ``items`` items whose SKUs sort unlike their ids, with numbers
    that sort unlike their ids too."""
    rng = random.Random(seed)
    made = [ItemFactory(company=company, sku=f"SKU-{rng.randrange(10**6):06d}-{n}") for n in range(items)]
    Lot.objects.bulk_create(
        Lot(
            company=company,
            item=rng.choice(made),
            number=f"N{rng.randrange(10**6):06d}-{n}",
            kind=LotKind.LOT,
            status=rng.choice([LotStatus.ACTIVE, LotStatus.ACTIVE, LotStatus.ON_HOLD]),
        )
        for n in range(lots)
    )
    return made


def grouped(company):
    lots = Lot.objects.filter(company=company).select_related("item")
    return grouped_pages(lots, field="item", order=("sku", "id"), within=("number",), groups=Item.objects.filter(company=company))


@pytest.fixture(params=[0, 5_000], ids=["by-group", "sorted-whole"])
def sorted_up_to(request, monkeypatch):
    """Both ways of reading a page: group by group (any list longer than 0 rows), and sorting a
    short list whole."""
    monkeypatch.setattr(paging, "SORTED_UP_TO", request.param)
    return request.param


@pytest.mark.parametrize("start, stop", [(0, 10), (10, 20), (35, 60), (55, 90), (0, 200), (190, 260)])
def test_grouped_pages_are_the_rows_of_the_plain_order(company, sorted_up_to, start, stop):
    make_lots(company, items=6, lots=200)
    paged = grouped(company)
    plain = Lot.objects.filter(company=company).order_by("item__sku", "item__id", "number")
    assert [lot.pk for lot in paged.order_by(*paged.page_order)[start:stop]] == [lot.pk for lot in plain[start:stop]]


def test_grouped_pages_follow_filters(company, sorted_up_to):
    make_lots(company, items=5, lots=150)
    paged = grouped(company).filter(status=LotStatus.ON_HOLD).exclude(number__contains="7")
    plain = (
        Lot.objects.filter(company=company, status=LotStatus.ON_HOLD)
        .exclude(number__contains="7")
        .order_by("item__sku", "item__id", "number")
    )
    assert [lot.pk for lot in paged.order_by(*paged.page_order)[20:45]] == [lot.pk for lot in plain[20:45]]


def test_grouped_pages_keep_annotations_and_related_rows(company, sorted_up_to):
    make_lots(company, items=3, lots=30)
    paged = grouped(company)
    page = list(paged.order_by(*paged.page_order)[:10])
    with CaptureQueriesContext(connection) as queries:
        skus = [lot.item.sku for lot in page]
    assert len(queries) == 0 and skus == sorted(skus)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the group-by-group read is PostgreSQL's; SQLite runs the plain query")
@pytest.mark.postgres
def test_grouped_pages_read_each_group_by_its_index(company, monkeypatch):
    make_lots(company, items=4, lots=100)
    monkeypatch.setattr(paging, "SORTED_UP_TO", 99)
    paged = grouped(company)
    statements = []

    def record(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        list(paged.order_by(*paged.page_order)[50:60])
    assert "LIMIT 100" in statements[0][0]  # counted up to the sorted-whole bound: 100 rows is more
    sql, params = statements[1]
    assert "LATERAL" in sql and sql.endswith("LIMIT %s OFFSET %s") and list(params[-2:]) == [10, 50]
    with CaptureQueriesContext(connection) as queries:
        list(paged.filter(number__endswith="7").order_by(*paged.page_order)[:10])
    assert "LATERAL" not in queries[1]["sql"]  # a few rows: sorted whole
    assert len(queries) == 3


def test_an_other_order_reads_the_plain_way(company):
    make_lots(company, items=3, lots=40)
    with CaptureQueriesContext(connection) as queries:
        rows = list(grouped(company).order_by("-number")[:5])
    assert "LATERAL" not in queries[0]["sql"]
    assert [lot.number for lot in rows] == sorted(Lot.objects.filter(company=company).values_list("number", flat=True), reverse=True)[:5]


# Counts that stop -----------------------------------------------------------------------------


def test_a_count_stops_past_the_page_asked_for(company, monkeypatch):
    make_lots(company, items=2, lots=120)
    monkeypatch.setattr(web_tables, "COUNT_AHEAD", 30)
    paginator = BoundedPaginator(Lot.objects.order_by("pk"), 10)
    page = paginator.page(1)
    assert (paginator.count, paginator.more, paginator.count_label) == (40, True, "40+")
    assert page.has_next() and len(page.object_list) == 10
    deeper = BoundedPaginator(Lot.objects.order_by("pk"), 10)
    deeper.page(9)
    assert (deeper.count, deeper.more, deeper.count_label) == (120, False, "120")


def test_an_out_of_range_page_still_finds_the_last_page(company, monkeypatch):
    make_lots(company, items=2, lots=55)
    monkeypatch.setattr(web_tables, "COUNT_AHEAD", 5)
    table = LotRows(Lot.objects.order_by("pk"))
    request = RequestFactory().get("/", {"page": "1000000"})
    tables.RequestConfig(request, paginate={"paginator_class": BoundedPaginator, "per_page": 10}).configure(table)
    assert (table.page.number, table.paginator.count, table.paginator.more) == (6, 55, False)


# Searches narrowed first ---------------------------------------------------------------------


@pytest.mark.parametrize("term, narrow", [("-1", 2_000), ("-1", 3), ("N", 3), ("nothing", 3)])
def test_matching_gives_the_rows_of_the_plain_filter(company, monkeypatch, term, narrow):
    make_lots(company, items=3, lots=60)
    monkeypatch.setattr(list_filters, "NARROW_MATCHES", narrow)
    lots = Lot.objects.filter(company=company).order_by("number")
    condition = Q(number__icontains=term) | Q(reference__icontains=term)
    assert list(list_filters.matching(lots, condition)) == list(lots.filter(condition))


# Rows written in one pass ---------------------------------------------------------------------


class LotRows(tables.Table):
    number = tables.Column(linkify=lambda record: f"/lots/{record.pk}/", attrs={"td": {"class": "font-monospace"}})
    item = tables.Column(accessor="item__sku", attrs={"td": {"data-item": lambda record: record.item_id}})
    status = tables.Column()
    on_hand = web_tables.QuantityColumn()
    missing = tables.Column(accessor="reference", default="—")
    created = web_tables.DateTimeColumn(accessor="created_at")
    received = web_tables.DateColumn(accessor="received_at")

    class Meta:
        row_attrs = {"data-number": lambda record: record.number}


class LotRowsTheirDates(LotRows):
    """The same table with django-tables2's own date columns, which render through a template."""

    created = tables.DateTimeColumn(accessor="created_at")
    received = tables.DateColumn(accessor="received_at")

    class Meta(LotRows.Meta):
        pass


def rendered(table, template: str) -> str:
    request = RequestFactory().get("/")
    html = Template("{% load django_tables2 %}{% render_table table '" + template + "' %}").render(
        Context({"table": table, "request": request})
    )
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


def test_table_rows_written_in_one_pass_are_what_the_template_writes(company):
    make_lots(company, items=3, lots=12)
    rows = Lot.objects.filter(company=company).select_related("item").order_by("number")
    for index, lot in enumerate(rows[:3]):
        Lot.objects.filter(pk=lot.pk).update(reference="" if index else "<b>ref</b>")
    data = list(rows)
    for index, lot in enumerate(data):
        lot.on_hand = Decimal(index) / 4
        lot.received_at = lot.created_at if index % 2 else None
    fast = LotRows(data)
    fast.paginate(**PAGINATION)
    slow = LotRowsTheirDates(data)
    slow.paginate(**PAGINATION)
    ours, theirs = rendered(fast, "tables/bootstrap5.html"), rendered(slow, "django_tables2/bootstrap5.html")
    assert "&lt;b&gt;ref&lt;/b&gt;" in ours and 'data-item="' in ours and "—" in ours
    if ours != theirs:
        at = next(i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b)
        raise AssertionError(f"differ at {at}: ours {ours[at - 80 : at + 120]!r} theirs {theirs[at - 80 : at + 120]!r}")


def test_an_empty_table_says_so_in_one_pass(company):
    table = LotRows([], empty_text="Nothing here.")
    assert rendered(table, "tables/bootstrap5.html") == rendered(LotRows([], empty_text="Nothing here."), "django_tables2/bootstrap5.html")
