"""The cost state the posting service keeps for the valuation report: the FIFO rules it follows
as a perpetual queue, what a rebuild (and the migration) makes of the same moves, what
``verify_ledger`` says when it is off, and what it costs a posting."""

import importlib
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import (
    CostLayer,
    DocumentKind,
    ItemCost,
    LocationKind,
    MoveReason,
    StockMove,
    StockSummary,
    Tracking,
    TrackingScope,
    ValuationMethod,
)
from inventory.selectors import ledger_verify
from inventory.services import (
    MoveSpec,
    costs_rebuild,
    document_cancel,
    document_create,
    document_line_add,
    document_post,
    moves_post,
    unassigned_assign,
    virtual_location,
)
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import issue, receive
from tests.traceability.test_valuation_reference import assert_report_equals_reference
from traceability.selectors.reports import stock_valuation

pytestmark = pytest.mark.django_db

D = Decimal


def value(company, item) -> Decimal:
    (row,) = [r for r in stock_valuation(company=company).rows if r.item_id == item.pk]
    return row.value


def agrees(company, *locations) -> None:
    """The report equals the reference in every grouping, and the state a rebuild."""
    for location in (None, *locations):
        for by in ("item", "location", "lot"):
            assert_report_equals_reference(company=company, by=by, location=location)
    assert ledger_verify() == []


def cost_state(company) -> tuple:
    layers = sorted(
        CostLayer.objects.filter(company=company).values_list(
            "item_id",
            "arrived_at",
            "unit_cost",
            "unbound",
            "last_move",
            "quantity",
            "end_quantity",
            "end_value",
            "unbound_end_quantity",
            "unbound_end_value",
        )
    )
    costs = sorted(ItemCost.objects.filter(company=company).values_list())
    values = sorted(StockSummary.objects.filter(company=company).values_list("item_id", "location_id", "lots_value"))
    return layers, costs, values


@pytest.fixture
def salt(company):
    return ItemFactory(company=company, sku="SALT", valuation_method=ValuationMethod.FIFO, unit_cost=D("1"))


# FIFO as a perpetual queue ---------------------------------------------------------------------


def test_costing_fifo_reversed_receipt_takes_its_consumed_part_from_the_oldest_layers_left(company, warehouse, salt):
    first = receive(item=salt, location=warehouse, quantity=10, unit_cost=D("5"))
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("7"))
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("9"))
    issue(item=salt, location=warehouse, quantity=12)  # took the 10 at 5 and 2 at 7: 8 at 7 and 10 at 9 left
    assert value(company, salt) == D("146")

    document_cancel(document=first)

    # The 10 at 5 were never there: the issue took 10 at 7 and 2 at 9 instead; 8 at 9 are left.
    assert value(company, salt) == D("72")
    agrees(company)


def test_costing_fifo_reversed_delivery_takes_back_the_newest_layers_it_consumed(company, warehouse, salt):
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("5"))
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("7"))
    delivery = issue(item=salt, location=warehouse, quantity=15)
    assert value(company, salt) == D("35")

    document_cancel(document=delivery)

    assert value(company, salt) == D("120")
    agrees(company)


def test_costing_fifo_units_no_layer_explains_are_the_oldest_and_go_first(company, warehouse, salt):
    """Stock older than any incoming move (data loaded around the ledger) is valued at standard
    cost, and the first to go. Made here by posting a delivery's reversal twice."""
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("5"))
    delivery = issue(item=salt, location=warehouse, quantity=4)
    move = StockMove.objects.get(document=delivery)
    customer = virtual_location(company, LocationKind.CUSTOMER)
    for _ in range(2):
        spec = MoveSpec(item=salt, quantity=D(4), from_location=customer, to_location=warehouse, reverses=move)
        moves_post(company=company, specs=[spec], reason=MoveReason.REVERSAL)
    assert value(company, salt) == D("54")  # 10 at 5, and 4 no layer explains at 1
    agrees(company)

    issue(item=salt, location=warehouse, quantity=6)

    assert value(company, salt) == D("40")  # the 4 unexplained went first, then 2 of the 5s
    agrees(company)


def test_costing_fifo_follows_posting_time_when_the_clock_goes_back(company, warehouse, salt):
    """A posting stamped earlier than the newest layer (a clock set back, or a posting that waited
    for a lock) takes its place by time among the layers."""
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("5"))
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("7"))
    earlier = timezone.now() - timedelta(hours=1)
    with mock.patch("inventory.services.posting.timezone.now", return_value=earlier):
        receive(item=salt, location=warehouse, quantity=10, unit_cost=D("3"))
    issue(item=salt, location=warehouse, quantity=15)

    # By time the 3s came first: 15 gone are the 10 at 3 and 5 at 5; 5 at 5 and 10 at 7 are left.
    assert value(company, salt) == D("95")
    agrees(company)


def test_costing_postings_of_one_instant_share_a_layer_as_the_report_groups_them(company, warehouse, salt):
    now = timezone.now()
    with mock.patch("inventory.services.posting.timezone.now", return_value=now):
        receive(item=salt, location=warehouse, quantity=10, unit_cost=D("5"))
        receive(item=salt, location=warehouse, quantity=10, unit_cost=D("7"))
        receive(item=salt, location=warehouse, quantity=5, unit_cost=D("5"))
    issue(item=salt, location=warehouse, quantity=20)

    assert CostLayer.objects.filter(item=salt).count() == 2
    agrees(company)


# Specific cost --------------------------------------------------------------------------------


def test_costing_specific_values_unnumbered_stock_by_fifo_and_numbered_at_the_lot_cost(company, warehouse, warehouse2):
    serials = LotClassFactory(company=company, tracking=Tracking.SERIAL)
    phone = ItemFactory(company=company, sku="PHONE", lot_class=serials, valuation_method=ValuationMethod.SPECIFIC, unit_cost=D("3"))
    receive(item=phone, location=warehouse, quantity=3, numbers=["S1"], unit_cost=D("10"))  # 2 come unnumbered
    receive(item=phone, location=warehouse2, quantity=2, unit_cost=D("20"))
    assert value(company, phone) == D("70")
    agrees(company, warehouse)

    unassigned_assign(item=phone, location=warehouse, numbers=["S2"])  # numbered where it lies
    issue(item=phone, location=warehouse2, quantity=1, numbers=["S9"], confirm=True)  # numbered as it leaves

    agrees(company, warehouse, warehouse2)


def test_costing_loosely_bound_returns_count_as_unnumbered_layers(company, warehouse):
    serials = LotClassFactory(company=company, tracking=Tracking.SERIAL)
    loose = ItemFactory(
        company=company,
        sku="LOOSE",
        lot_class=serials,
        tracking_scope=TrackingScope.DEBTOR,
        valuation_method=ValuationMethod.SPECIFIC,
        unit_cost=D("2"),
    )
    receive(item=loose, location=warehouse, quantity=2, unit_cost=D("6"))
    issue(item=loose, location=warehouse, quantity=2, numbers=["X1", "X2"], confirm=True)
    returned = issue(
        kind=DocumentKind.CUSTOMER_RETURN,
        item=loose,
        location=None,
        to_location=warehouse,
        quantity=1,
        numbers=["X1"],
        confirm=True,
        post=False,
    )
    returned.lines.update(unit_cost=D("8"))

    document_post(document=returned)

    assert value(company, loose) == D("8")
    agrees(company)


def test_costing_a_changed_method_or_standard_cost_is_read_at_once(company, warehouse, salt):
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("5"))
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("7"))
    issue(item=salt, location=warehouse, quantity=15)
    for method, expected in ((ValuationMethod.AVERAGE, D("30")), (ValuationMethod.STANDARD, D("10")), (ValuationMethod.FIFO, D("35"))):
        salt.valuation_method, salt.unit_cost = method, D("2")
        salt.save()
        assert value(company, salt) == expected
        agrees(company)


# Rebuild, migration, verify -------------------------------------------------------------------


def _history(company, warehouse, warehouse2):
    """Receipts with and without numbers, issues, a transfer, a reversed receipt, numbering."""
    salt = ItemFactory(company=company, sku="SALT", valuation_method=ValuationMethod.FIFO)
    serials = LotClassFactory(company=company, tracking=Tracking.SERIAL)
    phone = ItemFactory(company=company, sku="PHONE", lot_class=serials, valuation_method=ValuationMethod.SPECIFIC)
    for cost in ("5", "7", "9"):
        receive(item=salt, location=warehouse, quantity=10, unit_cost=D(cost))
    mistake = receive(item=salt, location=warehouse2, quantity=4, unit_cost=D("50"))
    issue(item=salt, location=warehouse, quantity=12)
    issue(kind=DocumentKind.TRANSFER, item=salt, location=warehouse, to_location=warehouse2, quantity=3)
    document_cancel(document=mistake)
    receive(item=phone, location=warehouse, quantity=4, numbers=["S1", "S2"], unit_cost=D("100"))
    unassigned_assign(item=phone, location=warehouse, numbers=["S3"])
    issue(item=phone, location=warehouse, quantity=1, numbers=["S1"])
    return salt, phone


def test_costing_rebuild_makes_what_posting_kept(company, warehouse, warehouse2):
    _history(company, warehouse, warehouse2)
    kept = cost_state(company)

    costs_rebuild(company=company)

    assert cost_state(company) == kept
    assert ledger_verify() == []


def test_costing_migration_builds_what_posting_kept(company, warehouse, warehouse2):
    _history(company, warehouse, warehouse2)
    kept = cost_state(company)
    CostLayer.objects.filter(company=company).delete()
    ItemCost.objects.filter(company=company).delete()
    StockSummary.objects.filter(company=company).update(lots_value=0)
    migration = importlib.import_module("inventory.migrations.0014_cost_state")

    migration.build_cost_state(apps, mock.Mock(connection=connection))

    assert cost_state(company) == kept


def test_costing_verify_names_the_item_whose_cost_state_is_off(company, warehouse, warehouse2):
    salt, phone = _history(company, warehouse, warehouse2)
    ItemCost.objects.filter(item=salt).update(consumed_value=D("1"))
    CostLayer.objects.filter(item=phone).update(unit_cost=D("1"))
    StockSummary.objects.filter(item=phone, location=warehouse).update(lots_value=D("3"))

    faults = [str(f) for f in ledger_verify()]

    assert len(faults) == 3, faults
    assert "item cost SALT" in faults[0] and "consumed value" in faults[0]
    assert "item cost PHONE" in faults[1] and "cost layers" in faults[1]
    assert faults[2].startswith("stock summary") and f"item={phone.pk} location={warehouse.pk}" in faults[2]
    costs_rebuild(company=company)
    assert ledger_verify() == []


def test_costing_a_transfer_touches_no_cost_row(company, warehouse, warehouse2, salt):
    receive(item=salt, location=warehouse, quantity=10, unit_cost=D("5"))

    with CaptureQueriesContext(connection) as queries:
        issue(kind=DocumentKind.TRANSFER, item=salt, location=warehouse, to_location=warehouse2, quantity=3)

    assert not [q for q in queries.captured_queries if "costlayer" in q["sql"] or "itemcost" in q["sql"]]


@pytest.mark.parametrize("lines", [1, 20])
def test_costing_adds_the_same_queries_to_a_posting_whatever_its_size(company, warehouse, lines):
    items = [ItemFactory(company=company) for _ in range(lines)]
    counts = {}
    for kind in ("receipt", "delivery"):
        document = document_create(
            company=company, kind=kind, **({"to_location": warehouse} if kind == "receipt" else {"from_location": warehouse})
        )
        for item in items:
            document_line_add(document=document, item=item, quantity=D(2), unit_cost=D("3"))
        with CaptureQueriesContext(connection) as queries:
            document_post(document=document)
        counts[kind] = len([q for q in queries.captured_queries if "costlayer" in q["sql"] or "itemcost" in q["sql"]])
    assert counts == {"receipt": 2, "delivery": 2}
