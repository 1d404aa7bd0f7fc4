"""Expiry dashboard and stock valuation: the right rows, weeks, costs and totals, through the
real posting services; bad input is a message, tracking off a 404, query counts flat."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.models import DocumentKind, Lot, SegmentKind, Tracking, ValuationMethod
from inventory.services import document_cancel, document_create, document_line_add, document_post, lot_create, membership_add
from tests.inventory.factories import CompanyFactory, ItemFactory, LocationFactory, LotClassFactory, UserFactory
from tests.inventory.flows import issue, receive
from traceability.selectors.reports import expiry_rows, expiry_weeks, stock_valuation

pytestmark = pytest.mark.django_db

EXPIRY = reverse("traceability:expiry")
VALUATION = reverse("traceability:valuation")
D = Decimal


def today():
    return timezone.localdate()


def in_days(n):
    return today() + timedelta(days=n)


def sign_in(client, company, group="Viewer"):
    user = UserFactory()
    user.save()  # UserFactory sets the password after its save and skips saving again
    if group:
        user.groups.add(Group.objects.get(name=group))
    membership_add(user=user, company=company, is_default=True)
    client.force_login(user)
    return user


@pytest.fixture
def viewer(client, company):
    sign_in(client, company)
    return client


def lot_item(company, *, sku, alert_days=30, prefix="L", **fields):
    """A lot-tracked item whose class tracks expiry with ``alert_days`` of warning."""
    lot_class = LotClassFactory(
        company=company,
        tracking=Tracking.LOT,
        track_expiry=True,
        expiry_alert_days=alert_days,
        segments=[(SegmentKind.CONSTANT, prefix), (SegmentKind.COUNTER, "0001")],
    )
    return ItemFactory(company=company, sku=sku, lot_class=lot_class, **fields)


def serial_item(company, *, sku, track_expiry=False, **fields):
    lot_class = LotClassFactory(company=company, batch_size=10_000, track_expiry=track_expiry)
    return ItemFactory(company=company, sku=sku, lot_class=lot_class, **fields)


def receive_lot(item, location, number, quantity, *, expiry=None, cost=None):
    receive(item=item, location=location, numbers=[number], quantity=quantity, expiry=expiry, unit_cost=None if cost is None else D(cost))
    return Lot.objects.get(item=item, number=number)


def expiry_numbers(response) -> list[str]:
    return [row.record.lot.number for row in response.context["table"].paginated_rows]


def body(response) -> str:
    return response.content.decode()


# Expiry ---------------------------------------------------------------------------------------


def test_expiry_default_window_is_each_class_alert_period(viewer, company, warehouse):
    month = lot_item(company, sku="MILK", alert_days=30, prefix="M")
    week = lot_item(company, sku="YOGURT", alert_days=7, prefix="Y")
    receive_lot(month, warehouse, "M-20", 5, expiry=in_days(20))
    receive_lot(month, warehouse, "M-40", 5, expiry=in_days(40))
    receive_lot(week, warehouse, "Y-5", 5, expiry=in_days(5))
    receive_lot(week, warehouse, "Y-20", 5, expiry=in_days(20))

    response = viewer.get(EXPIRY)

    assert response.status_code == 200
    assert expiry_numbers(response) == ["Y-5", "M-20"]


@pytest.mark.parametrize(
    "days, expected", [("0", []), ("10", ["Y-5"]), ("25", ["Y-5", "M-20", "Y-20"]), ("45", ["Y-5", "M-20", "Y-20", "M-40"])]
)
def test_expiry_days_replaces_the_alert_periods(viewer, company, warehouse, days, expected):
    month = lot_item(company, sku="MILK", alert_days=30, prefix="M")
    week = lot_item(company, sku="YOGURT", alert_days=7, prefix="Y")
    receive_lot(month, warehouse, "M-20", 5, expiry=in_days(20))
    receive_lot(month, warehouse, "M-40", 5, expiry=in_days(40))
    receive_lot(week, warehouse, "Y-5", 5, expiry=in_days(5))
    receive_lot(week, warehouse, "Y-20", 5, expiry=in_days(20))

    response = viewer.get(EXPIRY, {"days": days})

    assert expiry_numbers(response) == expected
    assert f"within {days} day" in body(response)


def test_expiry_expired_rows_are_marked_and_come_first(viewer, company, warehouse):
    milk = lot_item(company, sku="MILK")
    receive_lot(milk, warehouse, "FRESH", 4, expiry=in_days(10))
    receive_lot(milk, warehouse, "OLD", 3, expiry=in_days(-2))

    response = viewer.get(EXPIRY)
    rows = list(response.context["table"].paginated_rows)
    html = body(response)

    assert [(r.record.lot.number, r.record.expired) for r in rows] == [("OLD", True), ("FRESH", False)]
    row_tags = re.findall(r"<tr [^>]*data-testid=\"expiry-row\"[^>]*>|<tr [^>]*data-expired[^>]*>", html)
    assert len(row_tags) == 2
    assert "table-danger" in row_tags[0] and 'data-expired="true"' in row_tags[0]
    assert "table-danger" not in row_tags[1] and 'data-expired="false"' in row_tags[1]
    assert "(expired)" in html and "2 days ago" in html


def test_expiry_one_row_per_lot_and_location_linking_the_lot(viewer, company, warehouse, warehouse2):
    milk = lot_item(company, sku="MILK")
    lot = receive_lot(milk, warehouse, "SPLIT", 10, expiry=in_days(3))
    issue(
        kind=DocumentKind.TRANSFER, item=milk, location=warehouse, to_location=warehouse2, quantity=4, numbers=["SPLIT"], lot_quantity=D(4)
    )

    response = viewer.get(EXPIRY)
    rows = [(r.record.location.code, r.record.quantity) for r in response.context["table"].paginated_rows]

    assert sorted(rows) == [("WH1", D(6)), ("WH2", D(4))]
    assert body(response).count(f'href="{reverse("traceability:lot-detail", kwargs={"lot_pk": lot.pk})}"') == 2


def test_expiry_leaves_out_stock_that_is_gone(viewer, company, warehouse):
    milk = lot_item(company, sku="MILK")
    receive_lot(milk, warehouse, "SOLD", 2, expiry=in_days(3))
    receive_lot(milk, warehouse, "KEPT", 2, expiry=in_days(4))
    issue(item=milk, location=warehouse, quantity=2, numbers=["SOLD"], lot_quantity=D(2))

    assert expiry_numbers(viewer.get(EXPIRY)) == ["KEPT"]


def test_expiry_totals_split_expired_from_expiring(viewer, company, warehouse, warehouse2):
    milk = lot_item(company, sku="MILK")
    receive_lot(milk, warehouse, "OLD-1", 3, expiry=in_days(-5))
    receive_lot(milk, warehouse2, "OLD-2", D("1.5"), expiry=in_days(-1))
    receive_lot(milk, warehouse, "SOON", 7, expiry=in_days(0))
    receive_lot(milk, warehouse, "LATER", 11, expiry=in_days(29))
    receive_lot(milk, warehouse, "OUTSIDE", 100, expiry=in_days(31))

    response = viewer.get(EXPIRY)

    assert response.context["totals"] == {"expired": D("4.5"), "expiring": D(18)}
    html = body(response)
    assert 'data-testid="total-expired">4.5000<' in html and 'data-testid="total-expiring">18<' in html


def test_expiry_filters_by_item_and_location(viewer, company, warehouse, warehouse2):
    milk = lot_item(company, sku="MILK", prefix="M")
    cream = lot_item(company, sku="CREAM", prefix="C")
    receive_lot(milk, warehouse, "M-A", 1, expiry=in_days(2))
    receive_lot(milk, warehouse2, "M-B", 1, expiry=in_days(3))
    receive_lot(cream, warehouse, "C-A", 1, expiry=in_days(4))

    assert expiry_numbers(viewer.get(EXPIRY, {"item": milk.pk})) == ["M-A", "M-B"]
    assert expiry_numbers(viewer.get(EXPIRY, {"location": warehouse.pk})) == ["M-A", "C-A"]
    assert expiry_numbers(viewer.get(EXPIRY, {"item": milk.pk, "location": warehouse2.pk})) == ["M-B"]


def test_expiry_with_no_class_tracking_expiry_shows_nothing_and_zero_totals(viewer, company, warehouse):
    receive(item=serial_item(company, sku="PHONE"), location=warehouse, numbers=["S1"])

    response = viewer.get(EXPIRY)

    assert response.status_code == 200 and expiry_numbers(response) == []
    assert response.context["totals"] == {"expired": 0, "expiring": 0}
    assert response.context["chart"]["empty"] and "nothing in stock expires in these 12 weeks" in body(response)


def test_expiry_pages_long_lists_on_the_server(viewer, company, warehouse):
    item = serial_item(company, sku="PEN")
    receive(item=item, location=warehouse, generate=60, expiry=in_days(1))

    first = viewer.get(EXPIRY, {"days": 5})
    second = viewer.get(EXPIRY, {"days": 5, "page": 2})

    assert first.context["table"].paginator.count == 60
    assert len(first.context["table"].page.object_list) == 50 and len(second.context["table"].page.object_list) == 10


def _monday():
    return today() - timedelta(days=today().weekday())


def test_expiry_weeks_put_each_lot_in_its_monday_week(company, warehouse):
    milk = lot_item(company, sku="MILK")
    monday = _monday()
    receive_lot(milk, warehouse, "W0", 2, expiry=today())
    receive_lot(milk, warehouse, "W0-SUNDAY", 3, expiry=monday + timedelta(days=6))
    receive_lot(milk, warehouse, "W1", 5, expiry=monday + timedelta(days=7))
    receive_lot(milk, warehouse, "W11", 7, expiry=monday + timedelta(weeks=11, days=6))
    receive_lot(milk, warehouse, "W12", 100, expiry=monday + timedelta(weeks=12))
    receive_lot(milk, warehouse, "LAST-WEEK", 1000, expiry=monday - timedelta(days=1))

    weeks = expiry_weeks(company=company)

    assert [w.start for w in weeks] == [monday + timedelta(weeks=n) for n in range(12)]
    assert all(w.start.weekday() == 0 for w in weeks)
    assert [w.quantity for w in weeks] == [D(5), D(5)] + [D(0)] * 9 + [D(7)]
    assert sum(w.quantity for w in weeks) == 17


def test_expiry_chart_draws_a_bar_per_week_with_labels_and_titles(viewer, company, warehouse):
    milk = lot_item(company, sku="MILK")
    monday = _monday()
    receive_lot(milk, warehouse, "W0", 4, expiry=today())
    receive_lot(milk, warehouse, "W1", 8, expiry=monday + timedelta(days=8))
    receive_lot(milk, warehouse, "W11", D("2.5"), expiry=monday + timedelta(weeks=11))
    receive_lot(milk, warehouse, "W12", 50, expiry=monday + timedelta(weeks=12, days=1))

    html = body(viewer.get(EXPIRY))
    chart = html[html.index('data-testid="expiry-chart"') : html.index("</svg>")]

    assert chart.count('data-testid="expiry-bar"') == 12
    assert "<svg" in chart and 'role="img"' in chart and "<title" in chart
    assert f'data-week="{monday:%Y-%m-%d}" data-quantity="4"' in chart
    assert f'data-week="{monday + timedelta(weeks=1):%Y-%m-%d}" data-quantity="8"' in chart
    assert f'data-week="{monday + timedelta(weeks=11):%Y-%m-%d}" data-quantity="2.5"' in chart
    assert f"{monday + timedelta(weeks=12):%Y-%m-%d}" not in chart
    assert chart.count('data-quantity="0"') == 9
    # The tallest bar fills the plot; the others are in proportion.
    bars = viewer.get(EXPIRY).context["chart"]["bars"]
    assert float(bars[1]["height"]) == 150.0 and float(bars[0]["height"]) == 75.0 and float(bars[2]["height"]) == 0.0


def test_expiry_chart_follows_the_filters(viewer, company, warehouse, warehouse2):
    milk = lot_item(company, sku="MILK")
    receive_lot(milk, warehouse, "HERE", 4, expiry=in_days(1))
    receive_lot(milk, warehouse2, "THERE", 6, expiry=in_days(1))

    response = viewer.get(EXPIRY, {"location": warehouse2.pk})

    assert sum(D(b["quantity"]) for b in response.context["chart"]["bars"]) == 6


@pytest.mark.parametrize(
    "params",
    [
        {"days": "abc"},
        {"days": "-1"},
        {"days": "1.5"},
        {"days": "99999999999999999999"},
        {"days": "²"},
        {"item": "abc"},
        {"item": "99999999"},
        {"location": "x"},
        {"page": "abc"},
        {"sort": "nonsense"},
    ],
)
def test_expiry_bad_input_is_a_message_not_an_error(viewer, company, warehouse, params):
    milk = lot_item(company, sku="MILK")
    receive_lot(milk, warehouse, "M1", 1, expiry=in_days(1))

    response = viewer.get(EXPIRY, params)

    assert response.status_code == 200
    if "page" in params or "sort" in params:
        assert expiry_numbers(response) == ["M1"]
    else:
        assert 'data-testid="filter-errors"' in body(response)
        assert expiry_numbers(response) == []


def test_expiry_bad_days_names_the_field(viewer):
    html = body(viewer.get(EXPIRY, {"days": "soon"}))
    assert "The filter was not applied" in html and "Expiring within (days): Enter a whole number." in html


def test_reports_refuse_another_company_item_and_location(viewer, company, warehouse):
    other = CompanyFactory()
    stranger = lot_item(other, sku="THEIRS")
    there = LocationFactory(company=other)
    receive_lot(stranger, there, "THEIR-LOT-1", 1, expiry=in_days(1))

    for url in (EXPIRY, VALUATION):
        for params in ({"item": stranger.pk}, {"location": there.pk}):
            response = viewer.get(url, params)
            assert response.status_code == 200 and 'data-testid="filter-errors"' in body(response)
            assert "THEIR-LOT-1" not in body(response) and "THEIRS" not in body(response)


# Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [EXPIRY, VALUATION])
def test_reports_are_a_404_tracking_off_page_when_tracking_is_disabled(client, company, url):
    sign_in(client, company)
    company.tracking_enabled = False
    company.save(update_fields=["tracking_enabled"])

    response = client.get(url)

    assert response.status_code == 404
    assert 'data-testid="tracking-off"' in body(response)


@pytest.mark.parametrize("url", [EXPIRY, VALUATION])
@pytest.mark.parametrize("group, status", [("Viewer", 200), ("Stock clerk", 200), (None, 403)])
def test_reports_need_the_view_lot_right(client, company, url, group, status):
    sign_in(client, company, group=group)
    assert client.get(url).status_code == status


# Valuation ------------------------------------------------------------------------------------


def valuation(client, **params):
    response = client.get(VALUATION, params)
    assert response.status_code == 200
    return response


def rows_of(response) -> list:
    return [row.record for row in response.context["table"].paginated_rows]


def test_valuation_specific_cost_of_serials_and_lots(viewer, company, warehouse):
    phone = serial_item(company, sku="PHONE", valuation_method=ValuationMethod.SPECIFIC, unit_cost=D("1"))
    receive(item=phone, location=warehouse, numbers=["S1", "S2", "S3"], unit_cost=D("100"))
    receive(item=phone, location=warehouse, numbers=["S4", "S5"], unit_cost=D("120.50"))
    issue(item=phone, location=warehouse, quantity=1, numbers=["S4"])
    flour = lot_item(company, sku="FLOUR", valuation_method=ValuationMethod.SPECIFIC, unit_cost=D("1"))
    receive_lot(flour, warehouse, "F-CHEAP", 10, cost="2.0000", expiry=in_days(100))
    receive_lot(flour, warehouse, "F-DEAR", 10, cost="3.3333", expiry=in_days(100))
    issue(item=flour, location=warehouse, quantity=4, numbers=["F-DEAR"], lot_quantity=D(4))

    by_item = {r.sku: r for r in rows_of(valuation(viewer))}
    by_lot = {r.lot_number: r for r in rows_of(valuation(viewer, by="lot"))}

    assert by_item["PHONE"].quantity == 4 and by_item["PHONE"].value == D("420.50")
    assert by_item["FLOUR"].quantity == 16 and by_item["FLOUR"].value == D("39.9998")
    assert {n: r.value for n, r in by_lot.items()} == {
        "S1": D("100"),
        "S2": D("100"),
        "S3": D("100"),
        "S5": D("120.50"),
        "F-CHEAP": D("20"),
        "F-DEAR": D("19.9998"),
    }


def test_valuation_specific_cost_falls_back_to_the_receipt_move(viewer, company, warehouse):
    """A number recorded ahead of its stock has no receipt cost of its own: the move that brought it in has."""
    flour = lot_item(company, sku="FLOUR", valuation_method=ValuationMethod.SPECIFIC, unit_cost=D("1"))
    lot = lot_create(company=company, item=flour, number="EARLY", expiry_date=in_days(50))
    assert lot.unit_cost is None
    receive(item=flour, location=warehouse, numbers=["EARLY"], quantity=6, expiry=in_days(50), unit_cost=D("4.25"))

    (row,) = rows_of(valuation(viewer, by="lot"))

    assert row.lot_number == "EARLY" and row.value == D("25.50") and row.unit_cost == D("4.25")


def test_valuation_fifo_keeps_the_newest_layers_after_partial_deliveries(viewer, company, warehouse):
    salt = ItemFactory(company=company, sku="SALT", valuation_method=ValuationMethod.FIFO, unit_cost=D("1"))
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("5"))
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("7"))
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("9"))
    issue(item=salt, location=warehouse, quantity=8)
    issue(item=salt, location=warehouse, quantity=7)

    (row,) = rows_of(valuation(viewer))

    # 15 left: the 10 at 9 and 5 of the 10 at 7.
    assert row.quantity == 15 and row.value == D("125") and row.method == ValuationMethod.FIFO
    issue(item=salt, location=warehouse, quantity=12)
    (row,) = rows_of(valuation(viewer))
    assert row.quantity == 3 and row.value == D("27")


def test_valuation_fifo_shares_the_item_value_among_locations(viewer, company, warehouse, warehouse2):
    salt = ItemFactory(company=company, sku="SALT", valuation_method=ValuationMethod.FIFO)
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("5"))
    receive(item=salt, location=warehouse2, quantity=10, unit_cost=D("8"))
    issue(item=salt, location=warehouse, quantity=5)  # 5 at WH1, 10 at WH2 remain: layers 10 × 8 + 5 × 5 = 105

    rows = {r.location_code: r for r in rows_of(valuation(viewer, by="location"))}
    only_wh1 = rows_of(valuation(viewer, by="location", location=warehouse.pk))

    assert sum(r.value for r in rows.values()) == D("105")
    assert rows["WH1"].value.quantize(D("0.01")) == D("35.00") and rows["WH2"].value.quantize(D("0.01")) == D("70.00")
    assert [(r.location_code, r.value.quantize(D("0.01"))) for r in only_wh1] == [("WH1", D("35.00"))]


def test_valuation_fifo_ignores_a_reversed_receipt(viewer, company, warehouse):
    salt = ItemFactory(company=company, sku="SALT", valuation_method=ValuationMethod.FIFO)
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("5"))
    mistake = receive(item=salt, location=warehouse, quantity=10, unit_cost=D("50"))
    document_cancel(document=mistake)

    (row,) = rows_of(valuation(viewer))

    assert row.quantity == 10 and row.value == D("50")


def test_valuation_moving_average_weighs_every_receipt(viewer, company, warehouse):
    sugar = ItemFactory(company=company, sku="SUGAR", valuation_method=ValuationMethod.AVERAGE, unit_cost=D("1"))
    receive(item=sugar, location=warehouse, quantity=10, unit_cost=D("5"))
    receive(item=sugar, location=warehouse, quantity=30, unit_cost=D("9"))
    issue(item=sugar, location=warehouse, quantity=20)
    receive(item=sugar, location=warehouse, quantity=10, unit_cost=D("3"))

    (row,) = rows_of(valuation(viewer))

    # (10 × 5 + 30 × 9 + 10 × 3) / 50 = 7 a unit, 30 on hand.
    assert row.quantity == 30 and row.unit_cost == D("7") and row.value == D("210")


def test_valuation_standard_cost_is_the_item_cost(viewer, company, warehouse):
    oil = ItemFactory(company=company, sku="OIL", valuation_method=ValuationMethod.STANDARD, unit_cost=D("12.5"))
    receive(item=oil, location=warehouse, quantity=4, unit_cost=D("99"))

    (row,) = rows_of(valuation(viewer))

    assert row.value == D("50") and row.unit_cost == D("12.5")


def _mixed_stock(company, warehouse, warehouse2):
    phone = serial_item(company, sku="PHONE", valuation_method=ValuationMethod.SPECIFIC)
    receive(item=phone, location=warehouse, numbers=["S1", "S2"], unit_cost=D("100.005"))
    issue(kind=DocumentKind.TRANSFER, item=phone, location=warehouse, to_location=warehouse2, quantity=1, numbers=["S2"])
    salt = ItemFactory(company=company, sku="SALT", valuation_method=ValuationMethod.FIFO)
    receive(item=salt, location=warehouse, quantity=3, unit_cost=D("1.10"))
    receive(item=salt, location=warehouse2, quantity=3, unit_cost=D("1.20"))
    sugar = ItemFactory(company=company, sku="SUGAR", valuation_method=ValuationMethod.AVERAGE)
    receive(item=sugar, location=warehouse, quantity=3, unit_cost=D("1"))
    receive(item=sugar, location=warehouse, quantity=3, unit_cost=D("2"))
    oil = ItemFactory(company=company, sku="OIL", valuation_method=ValuationMethod.STANDARD, unit_cost=D("0.333"))
    receive(item=oil, location=warehouse2, quantity=3)
    # 200.01 + 6.90 + 9 + 0.999
    return D("216.909")


@pytest.mark.parametrize("by", ["item", "lot", "location"])
def test_valuation_totals_are_the_same_whichever_the_grouping(viewer, company, warehouse, warehouse2, by):
    expected = _mixed_stock(company, warehouse, warehouse2)

    response = valuation(viewer, by=by)
    html = body(response)

    assert response.context["valuation"].value == expected
    assert sum(r.value for r in rows_of(response)) == expected
    assert "<tfoot" in html and "216.91" in html[html.index("<tfoot") :]
    assert len(rows_of(response)) == {"item": 4, "lot": 5, "location": 6}[by]


def test_valuation_shows_money_to_the_cent(viewer, company, warehouse, warehouse2):
    _mixed_stock(company, warehouse, warehouse2)

    html = body(valuation(viewer, by="lot"))
    rows = {}
    for row in html.split('data-testid="valuation-row"')[1:]:
        row = row[: row.index("</tr>")]
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows[re.sub(r"<[^>]+>|\s+", " ", cells[2]).strip() + " " + re.search(r">([A-Z]+)</a>", cells[0]).group(1)] = cells[-2:]

    assert rows["S1 PHONE"] == ["100.01", "100.01"]  # 100.005 rounds half up
    assert rows["unnumbered OIL"] == ["0.33", "1.00"]  # 3 × 0.333 = 0.999
    assert rows["unnumbered SUGAR"] == ["1.50", "9.00"]


def test_valuation_by_lot_links_each_number(viewer, company, warehouse, warehouse2):
    _mixed_stock(company, warehouse, warehouse2)
    s2 = Lot.objects.get(number="S2")

    html = body(valuation(viewer, by="lot"))

    assert reverse("traceability:lot-detail", kwargs={"lot_pk": s2.pk}) in html
    assert html.count("unnumbered") == 3  # SALT, SUGAR, OIL


def test_valuation_filters_by_item_and_location(viewer, company, warehouse, warehouse2):
    _mixed_stock(company, warehouse, warehouse2)
    salt = company.items.get(sku="SALT")

    assert [r.sku for r in rows_of(valuation(viewer, item=salt.pk))] == ["SALT"]
    at_wh2 = rows_of(valuation(viewer, by="location", location=warehouse2.pk))
    assert sorted(r.sku for r in at_wh2) == ["OIL", "PHONE", "SALT"]
    assert {r.location_code for r in at_wh2} == {"WH2"}


@pytest.mark.parametrize("params", [{"by": "nonsense"}, {"item": "x"}, {"location": "99999999"}, {"page": "-3"}, {"sort": "-nonsense"}])
def test_valuation_bad_input_is_a_message_not_an_error(viewer, company, warehouse, params):
    receive(item=ItemFactory(company=company, sku="SALT"), location=warehouse, quantity=1, unit_cost=D("2"))

    response = valuation(viewer, **params)

    if "page" in params or "sort" in params:
        assert len(rows_of(response)) == 1
    else:
        assert 'data-testid="filter-errors"' in body(response) and rows_of(response) == []


def test_valuation_selector_refuses_an_unknown_grouping(company):
    with pytest.raises(ValueError):
        stock_valuation(company=company, by="colour")


# Query counts ---------------------------------------------------------------------------------


def _expiring_serials(company, n):
    location = LocationFactory(company=company)
    pen = serial_item(company, sku="PEN", track_expiry=True)
    receive(item=pen, location=location, generate=n, expiry=in_days(3))
    return location


def _valued_stock(company, n):
    """n untracked items of every method, half delivered, and n serials at specific cost."""
    location = LocationFactory(company=company)
    methods = [ValuationMethod.FIFO, ValuationMethod.AVERAGE, ValuationMethod.STANDARD, ValuationMethod.SPECIFIC]
    items = [ItemFactory(company=company, valuation_method=methods[i % 4]) for i in range(n)]
    for cost in ("2", "3"):
        receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=location)
        for item in items:
            document_line_add(document=receipt, item=item, quantity=D(2), unit_cost=D(cost))
        document_post(document=receipt)
    delivery = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=location)
    for item in items:
        document_line_add(document=delivery, item=item, quantity=D(1))
    document_post(document=delivery)
    phone = serial_item(company, sku="PHONE", valuation_method=ValuationMethod.SPECIFIC)
    receive(item=phone, location=location, generate=n, unit_cost=D("10"))


def _queries(client, url, params) -> int:
    client.get(url, params)  # warm: session, permissions and content types cached as on any later request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("params", [{}, {"days": "30"}, {"days": "30", "sort": "-quantity", "page": "2"}])
def test_expiry_queries_do_not_grow_with_rows(client, params):
    counts = {}
    for n in (10, 1000):
        company = CompanyFactory()
        _expiring_serials(company, n)
        sign_in(client, company)
        rows = client.get(EXPIRY, params).context["table"].paginator.count
        assert rows == n
        counts[n] = _queries(client, EXPIRY, params)
    assert counts[10] == counts[1000], counts


def test_valuation_queries_do_not_grow_with_items_or_lots(client):
    rows = {"item": lambda n: n + 1, "lot": lambda n: 2 * n, "location": lambda n: n + 1}
    counts = {by: {} for by in rows}
    for n in (10, 1000):
        company = CompanyFactory()
        _valued_stock(company, n)
        sign_in(client, company)
        for by, expected in rows.items():
            assert client.get(VALUATION, {"by": by}).context["table"].paginator.count == expected(n)
            counts[by][n] = _queries(client, VALUATION, {"by": by})
    assert all(c[10] == c[1000] for c in counts.values()), counts


def test_expiry_selector_orders_by_expiry_date(company, warehouse):
    milk = lot_item(company, sku="MILK")
    for number, days in (("C", 9), ("A", 1), ("B", 5)):
        receive_lot(milk, warehouse, number, 1, expiry=in_days(days))

    assert [b.lot.number for b in expiry_rows(company=company)] == ["A", "B", "C"]


def test_valuation_by_lot_shows_a_split_lot_at_each_location_and_unnumbered_stock_once(viewer, company, warehouse, warehouse2):
    flour = lot_item(company, sku="FLOUR", valuation_method=ValuationMethod.SPECIFIC, unit_cost=D("1"))
    receive_lot(flour, warehouse, "F-1", 10, cost="2", expiry=in_days(100))
    issue(
        kind=DocumentKind.TRANSFER, item=flour, location=warehouse, to_location=warehouse2, quantity=4, numbers=["F-1"], lot_quantity=D(4)
    )
    salt = ItemFactory(company=company, sku="SALT", valuation_method=ValuationMethod.FIFO)
    receive(item=salt, location=warehouse, quantity=3, unit_cost=D("1.10"))
    receive(item=salt, location=warehouse2, quantity=3, unit_cost=D("1.20"))

    response = valuation(viewer, by="lot")
    rows = [(r.sku, r.lot_number, r.location_code, r.on_hand, r.value) for r in rows_of(response)]

    assert [r[:4] for r in rows] == [("FLOUR", "F-1", "WH1", D(6)), ("FLOUR", "F-1", "WH2", D(4)), ("SALT", None, "WH1", D(6))]
    assert [r[4] for r in rows] == [D("12"), D("8"), D("6.9")]
    assert "2 locations" in body(response)
    assert response.context["valuation"].value == D("26.9")
