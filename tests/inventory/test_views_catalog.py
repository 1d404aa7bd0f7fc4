"""Items, locations, stock and unassigned pages: the right rows, filters, sorting, paging, query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.models import DocumentKind, Tracking
from inventory.services import document_create, document_line_add, document_post, membership_add
from tests.inventory.factories import CompanyFactory, ItemFactory, LocationFactory, LotClassFactory, UserFactory
from tests.inventory.flows import receive

TODAY = timezone.localdate()
LISTS = ["inventory:item-list", "inventory:location-list", "inventory:stock-list", "inventory:unassigned-list"]


def sign_in(client, company, group="Stock clerk", **user_fields):
    user = UserFactory(**user_fields)
    user.save()  # UserFactory sets the password after its save and skips saving again
    user.groups.add(Group.objects.get(name=group))
    membership_add(user=user, company=company, is_default=True)
    client.force_login(user)
    return user


def records(response):
    return [row.record for row in response.context["table"].paginated_rows]


def serial_item(company, **class_fields):
    return ItemFactory(company=company, lot_class=LotClassFactory(company=company, batch_size=10_000, **class_fields))


def unassigned_stock(company, location, items=1):
    """``items`` fully tracked items with one numbered and one unnumbered unit each, in one receipt."""
    klass = LotClassFactory(company=company, batch_size=1)
    receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=location)
    made = ItemFactory.create_batch(items, company=company, lot_class=klass)
    for item in made:
        document_line_add(document=receipt, item=item, quantity=Decimal(2))
    document_post(document=receipt, auto_allocate=True)
    return made


@pytest.fixture
def clerk(client, company):
    sign_in(client, company)
    return client


@pytest.fixture
def other_company():
    return CompanyFactory()


@pytest.mark.parametrize(
    "name, testid",
    [
        ("inventory:item-list", "item-table"),
        ("inventory:location-list", "location-table"),
        ("inventory:stock-list", "stock-table"),
        ("inventory:unassigned-list", "unassigned-table"),
    ],
)
def test_list_renders_for_a_stock_clerk_with_a_heading_and_its_table(clerk, name, testid):
    response = clerk.get(reverse(name))
    assert response.status_code == 200
    assert b"<h1" in response.content
    assert f'data-testid="{testid}"'.encode() in response.content


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize(
    "params",
    [{"page": "99999999999999999999"}, {"page": "-3"}, {"page": "abc"}, {"sort": "nonsense"}, {"sort": "-path"}],
)
def test_list_odd_paging_or_sorting_shows_a_page(clerk, company, name, params):
    ItemFactory.create_batch(3, company=company)
    assert clerk.get(reverse(name), params).status_code == 200


def test_list_page_past_the_end_shows_the_last_page(clerk, company):
    items = ItemFactory.create_batch(51, company=company)
    response = clerk.get(reverse("inventory:item-list"), {"page": 7})
    assert response.context["table"].page.number == 2
    assert records(response) == [max(items, key=lambda item: item.sku)]


@pytest.mark.parametrize("per_page", ["0", "-1", "100000000"])
def test_list_page_size_from_the_url_is_bounded(clerk, company, per_page):
    ItemFactory.create_batch(3, company=company)
    response = clerk.get(reverse("inventory:item-list"), {"per_page": per_page})
    assert response.status_code == 200
    assert 1 <= response.context["table"].paginator.per_page <= 500


def test_item_list_shows_only_the_active_company_items(clerk, company, other_company):
    ItemFactory(company=company, sku="MINE-1")
    ItemFactory(company=other_company, sku="THEIRS-1")
    response = clerk.get(reverse("inventory:item-list"))
    assert b"MINE-1" in response.content
    assert b"THEIRS-1" not in response.content


@pytest.mark.parametrize("term", ["BOLT", "hex bolt", "0401234"])
def test_item_list_search_matches_sku_name_or_gtin(clerk, company, term):
    ItemFactory(company=company, sku="BOLT-8", name="Hex bolt M8", gtin="04012345000017")
    ItemFactory(company=company, sku="NUT-8", name="Nut M8")
    response = clerk.get(reverse("inventory:item-list"), {"q": term})
    assert [i.sku for i in records(response)] == ["BOLT-8"]


def test_item_list_filters_by_tracking_in_force(clerk, company):
    serial_item(company)
    plain = ItemFactory(company=company)
    not_stocked = ItemFactory(company=company, is_stocked=False, lot_class=LotClassFactory(company=company))
    response = clerk.get(reverse("inventory:item-list"), {"tracking": Tracking.NONE})
    assert {i.sku for i in records(response)} == {plain.sku, not_stocked.sku}


def test_item_list_filters_by_class_stocked_and_active(clerk, company):
    item = serial_item(company)
    ItemFactory(company=company, is_active=False)
    ItemFactory(company=company, is_stocked=False)
    params = {"lot_class": item.lot_class_id, "is_stocked": "true", "is_active": "true"}
    response = clerk.get(reverse("inventory:item-list"), params)
    assert records(response) == [item]


def test_item_list_sorts_by_on_hand(clerk, company, warehouse):
    small, large, none = serial_item(company), serial_item(company), ItemFactory(company=company)
    receive(item=small, location=warehouse, generate=1)
    receive(item=large, location=warehouse, generate=3)
    response = clerk.get(reverse("inventory:item-list"), {"sort": "-on_hand"})
    assert records(response) == [large, small, none]
    assert [i.on_hand for i in records(response)] == [3, 1, 0]


@pytest.mark.parametrize(
    "name, params",
    [
        ("inventory:item-list", {"lot_class": "abc"}),
        ("inventory:item-list", {"tracking": "sometimes"}),
        ("inventory:location-list", {"parent": "99999999999"}),
        ("inventory:stock-list", {"expiring": "soon"}),
        ("inventory:stock-list", {"item": "1.5"}),
        ("inventory:unassigned-list", {"location": "x"}),
    ],
)
def test_list_bad_filter_value_shows_the_error_not_a_500(clerk, name, params):
    response = clerk.get(reverse(name), params)
    assert response.status_code == 200
    assert b'data-testid="filter-errors"' in response.content
    assert records(response) == []


def test_list_filter_refuses_a_choice_of_another_company(clerk, company, other_company):
    theirs = ItemFactory(company=other_company)
    response = clerk.get(reverse("inventory:stock-list"), {"item": theirs.pk})
    assert b'data-testid="filter-errors"' in response.content


def test_item_detail_shows_stock_by_location_and_by_lot(clerk, company, warehouse, warehouse2):
    item = serial_item(company)
    receive(item=item, location=warehouse, numbers="SN-A1 SN-A2")
    receive(item=item, location=warehouse2, numbers="SN-B1")
    response = clerk.get(reverse("inventory:item-detail", kwargs={"item_pk": item.pk}))
    assert response.status_code == 200
    assert [(r["location__code"], r["total"]) for r in response.context["by_location"]] == [("WH1", 2), ("WH2", 1)]
    by_lot = [(b.lot.number, b.location.code) for b in records(response)]
    assert by_lot == [("SN-A1", "WH1"), ("SN-A2", "WH1"), ("SN-B1", "WH2")]
    assert b'data-testid="item-stock-table"' in response.content


def test_item_detail_links_to_the_admin_only_for_staff_who_may_change_items(client, company):
    item = ItemFactory(company=company)
    url = reverse("inventory:item-detail", kwargs={"item_pk": item.pk})
    admin_url = reverse("admin:inventory_item_change", args=[item.pk]).encode()
    sign_in(client, company, group="Stock clerk", is_staff=True)
    assert admin_url not in client.get(url).content
    sign_in(client, company, group="Setup", is_staff=False)
    assert admin_url not in client.get(url).content
    sign_in(client, company, group="Setup", is_staff=True)
    assert admin_url in client.get(url).content


def test_location_list_shows_internal_locations_with_path_and_totals(clerk, company, other_company):
    zone = LocationFactory(company=company, code="MAIN")
    bin_ = LocationFactory(company=company, code="MAIN-01", parent=zone)
    LocationFactory(company=other_company, code="THEIRS")
    receive(item=serial_item(company), location=bin_, generate=4)
    response = clerk.get(reverse("inventory:location-list"), {"sort": "code"})
    assert records(response) == [zone, bin_]
    assert b"MAIN / MAIN-01" in response.content
    assert [(loc.items, loc.on_hand) for loc in records(response)] == [(0, 0), (1, 4)]


def test_location_list_search_and_parent_filter(clerk, company):
    zone = LocationFactory(company=company, code="COLD")
    child = LocationFactory(company=company, code="COLD-1", name="Freezer", parent=zone)
    LocationFactory(company=company, code="DRY")
    assert records(clerk.get(reverse("inventory:location-list"), {"q": "freez"})) == [child]
    assert records(clerk.get(reverse("inventory:location-list"), {"parent": zone.pk})) == [child]


def test_location_detail_shows_stock_by_item_and_lot(clerk, company, warehouse, warehouse2):
    item = serial_item(company)
    receive(item=item, location=warehouse, numbers="X1 X2")
    receive(item=item, location=warehouse2, numbers="Y1")
    response = clerk.get(reverse("inventory:location-detail", kwargs={"location_pk": warehouse.pk}))
    assert response.status_code == 200
    assert [b.lot.number for b in records(response)] == ["X1", "X2"]
    assert b'data-testid="location-stock-table"' in response.content


def test_stock_list_shows_quantities_of_the_company_only(clerk, company, other_company, warehouse):
    receive(item=serial_item(company), location=warehouse, numbers="OURS-1")
    receive(item=serial_item(other_company), location=LocationFactory(company=other_company), numbers="THEIRS-1")
    response = clerk.get(reverse("inventory:stock-list"))
    assert [b.lot.number for b in records(response)] == ["OURS-1"]
    assert b"THEIRS-1" not in response.content


def test_stock_list_filters_by_item_location_and_number(clerk, company, warehouse, warehouse2):
    item, other = serial_item(company), serial_item(company)
    receive(item=item, location=warehouse, numbers="K1 K2")
    receive(item=item, location=warehouse2, numbers="K3")
    receive(item=other, location=warehouse, numbers="Z1")

    def numbers(**params):
        return sorted(b.lot.number for b in records(clerk.get(reverse("inventory:stock-list"), params)))

    assert numbers(item=item.pk) == ["K1", "K2", "K3"]
    assert numbers(location=warehouse2.pk) == ["K3"]
    assert numbers(q="k2") == ["K2"]
    assert numbers(item=item.pk, location=warehouse.pk) == ["K1", "K2"]


def test_stock_list_filters_unnumbered(clerk, company, warehouse):
    item = unassigned_stock(company, warehouse)[0]
    yes = records(clerk.get(reverse("inventory:stock-list"), {"unnumbered": "true"}))
    no = records(clerk.get(reverse("inventory:stock-list"), {"unnumbered": "false"}))
    assert [(b.item, b.lot) for b in yes] == [(item, None)]
    assert [b.item for b in no] == [item] and no[0].lot is not None


def _expiring_numbers(client, company, location, tracking, value):
    item = serial_item(company, tracking=tracking, track_expiry=True, expiry_alert_days=30)
    for number, days in (("GONE", -1), ("SOON", 10), ("LATER", 60), ("FAR", 400)):
        quantity = 5 if tracking == Tracking.LOT else None
        expiry = TODAY + timedelta(days=days)
        receive(item=item, location=location, numbers=[number], quantity=quantity, expiry=expiry)
    response = client.get(reverse("inventory:stock-list"), {"expiring": value})
    return sorted(b.lot.number for b in records(response))


@pytest.mark.parametrize("value, expected", [("alert", ["GONE", "SOON"]), ("90", ["GONE", "LATER", "SOON"]), ("0", ["GONE"])])
def test_stock_list_filters_serials_expiring_within_days_or_alert(clerk, company, warehouse, value, expected):
    numbers = _expiring_numbers(clerk, company, warehouse, Tracking.SERIAL, value)
    assert numbers == expected


def test_stock_list_filters_lots_expiring_within_the_alert_period(clerk, company, warehouse):
    assert _expiring_numbers(clerk, company, warehouse, Tracking.LOT, "alert") == ["GONE", "SOON"]


def test_unassigned_list_shows_rows_and_the_assign_button_to_who_may_post(client, company, warehouse):
    item = unassigned_stock(company, warehouse)[0]
    sign_in(client, company, group="Stock clerk")
    response = client.get(reverse("inventory:unassigned-list"))
    assert [(b.item, b.location, b.quantity) for b in records(response)] == [(item, warehouse, 1)]
    balance = records(response)[0]
    assign_url = reverse("inventory:unassigned-assign", kwargs={"balance_pk": balance.pk})
    assert f'hx-get="{assign_url}"'.encode() in response.content
    sign_in(client, company, group="Viewer")
    response = client.get(reverse("inventory:unassigned-list"))
    assert records(response) == [balance]
    assert b"Assign numbers</button>" not in response.content


# Query counts: a page costs the same number of queries at 10 rows as at 1,000.


def _count_queries(client, url):
    client.get(url)  # warm caches that are not per row (content types, permissions)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.context["table"].paginator.count


def _items(company, n):
    ItemFactory.create_batch(n - 1, company=company)
    receive(item=serial_item(company), location=LocationFactory(company=company), generate=3)
    return reverse("inventory:item-list")


def _locations(company, n):
    parent = LocationFactory(company=company)
    LocationFactory.create_batch(n - 1, company=company, parent=parent)
    receive(item=serial_item(company), location=parent, generate=3)
    return reverse("inventory:location-list")


def _serials(company, n):
    location = LocationFactory(company=company)
    item = serial_item(company)
    receive(item=item, location=location, generate=n)
    return item, location


def _stock(company, n):
    _serials(company, n)
    return reverse("inventory:stock-list")


def _item_detail(company, n):
    return reverse("inventory:item-detail", kwargs={"item_pk": _serials(company, n)[0].pk})


def _location_detail(company, n):
    return reverse("inventory:location-detail", kwargs={"location_pk": _serials(company, n)[1].pk})


def _unassigned(company, n):
    unassigned_stock(company, LocationFactory(company=company), items=n)
    return reverse("inventory:unassigned-list")


PAGES = [_items, _locations, _stock, _item_detail, _location_detail, _unassigned]


@pytest.mark.parametrize("build", PAGES, ids=lambda b: b.__name__.strip("_"))
def test_page_query_count_does_not_grow_with_rows(db, client, build, request):
    counts = []
    for n in (10, 1000):
        company = CompanyFactory()
        url = build(company, n)
        sign_in(client, company)
        queries, rows = _count_queries(client, url)
        assert rows >= n
        counts.append(queries)
    request.node.user_properties.append(("queries", counts))
    print(f"{build.__name__}: {counts[0]} queries at 10 rows, {counts[1]} at 1,000")
    assert counts[0] == counts[1]
