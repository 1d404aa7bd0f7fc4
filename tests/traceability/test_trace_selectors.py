"""Genealogy and recall walks: every level, both directions, through the real posting services."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import DocumentKind, LotStatus, Tracking
from inventory.services import document_create, document_line_add, document_post, genealogy_links_add, line_allocate, lots_hold
from tests.inventory.factories import ItemFactory, LotClassFactory, PartnerFactory
from tests.inventory.flows import receive
from traceability.selectors.trace import (
    lot_closure,
    lot_genealogy,
    lot_lookup,
    recall_customers,
    recall_deliveries,
    recall_holdable_ids,
    recall_in_stock,
    recall_totals,
    recall_units,
)

pytestmark = pytest.mark.django_db


def move(company, kind, *, item, numbers, location, partner=None, quantity=None):
    ends = {"from_location": location} if kind == DocumentKind.DELIVERY else {"to_location": location}
    document = document_create(company=company, kind=kind, partner=partner, **ends)
    qty = Decimal(quantity if quantity is not None else len(numbers))
    line = document_line_add(document=document, item=item, quantity=qty)
    outcome = line_allocate(line=line, numbers=numbers, quantity=None if item.is_serial else qty)
    assert not outcome.rejected, outcome.rejected
    return document_post(document=document)


class Plant:
    """Resin lots go into circuit boards (serials), boards into devices (serials): three levels."""

    def __init__(self, company, warehouse):
        lot_class = LotClassFactory(company=company, tracking=Tracking.LOT, segments=[("constant", "R"), ("counter", "01")])
        self.resin = ItemFactory(company=company, sku="RESIN", lot_class=lot_class)
        self.board = ItemFactory(
            company=company, sku="BOARD", lot_class=LotClassFactory(company=company, segments=[("constant", "B"), ("counter", "001")])
        )
        self.device = ItemFactory(
            company=company, sku="DEVICE", lot_class=LotClassFactory(company=company, segments=[("constant", "D"), ("counter", "001")])
        )
        receive(item=self.resin, location=warehouse, numbers=["RESIN-BAD"], quantity=10)
        receive(item=self.resin, location=warehouse, numbers=["RESIN-OK"], quantity=10)
        receive(item=self.board, location=warehouse, generate=3)  # B001..B003
        receive(item=self.device, location=warehouse, generate=4)  # D001..D004
        lots = {lot.number: lot for lot in company.lots.all()}
        self.lots = lots
        # RESIN-BAD went into boards B001 and B002; RESIN-OK into B003; each board into one device,
        # and D004 has the board B002 as well as B001 (a two-board model).
        genealogy_links_add(
            company=company,
            links=[
                (lots["RESIN-BAD"].pk, lots["B001"].pk, 1),
                (lots["RESIN-BAD"].pk, lots["B002"].pk, 1),
                (lots["RESIN-OK"].pk, lots["B003"].pk, 1),
                (lots["B001"].pk, lots["D001"].pk, 1),
                (lots["B002"].pk, lots["D002"].pk, 1),
                (lots["B003"].pk, lots["D003"].pk, 1),
                (lots["B001"].pk, lots["D004"].pk, 1),
            ],
        )


@pytest.fixture
def plant(company, warehouse):
    return Plant(company, warehouse)


def numbers(lots) -> set[str]:
    return {lot.number for lot in lots}


def test_lot_closure_down_reaches_every_level(plant):
    down = lot_closure(lot_ids=[plant.lots["RESIN-BAD"].pk], direction="down")
    by_number = {plant.lots[n].pk: n for n in plant.lots}
    assert {by_number[pk]: depth for pk, depth in down.items()} == {"RESIN-BAD": 0, "B001": 1, "B002": 1, "D001": 2, "D002": 2, "D004": 2}


def test_lot_closure_up_finds_every_component(plant):
    up = lot_closure(lot_ids=[plant.lots["D004"].pk], direction="up")
    assert {pk for pk in up} == {plant.lots[n].pk for n in ("D004", "B001", "RESIN-BAD")}


def test_lot_closure_follows_a_lot_to_its_serials(company, warehouse):
    item = ItemFactory(company=company, sku="VACCINE", lot_class=LotClassFactory(company=company, tracking=Tracking.LOT_AND_SERIAL))
    receive(item=item, location=warehouse, generate=3, parent_number="VAX-7")
    lot = company.lots.get(number="VAX-7")
    down = lot_closure(lot_ids=[lot.pk], direction="down")
    assert numbers(company.lots.filter(pk__in=down)) == {"VAX-7", "SN0001", "SN0002", "SN0003"}


def test_lot_closure_stops_on_a_cycle(plant, company):
    genealogy_links_add(company=company, links=[(plant.lots["D001"].pk, plant.lots["RESIN-BAD"].pk, 1)])
    down = lot_closure(lot_ids=[plant.lots["RESIN-BAD"].pk], direction="down")
    assert len(down) == 6


def test_lot_genealogy_trees_hang_each_lot_under_what_it_came_from(plant):
    genealogy = lot_genealogy(lot=plant.lots["B001"])
    assert [(n.lot.number, n.depth) for n in genealogy.upstream] == [("RESIN-BAD", -1)]
    assert [(n.lot.number, n.depth, n.parents) for n in genealogy.downstream] == [
        ("D001", 1, [plant.lots["B001"].pk]),
        ("D004", 1, [plant.lots["B001"].pk]),
    ]
    assert genealogy.downstream[0].on_hand == 1


def test_recall_lists_units_customers_net_of_returns_and_stock(plant, company, warehouse):
    clinic = PartnerFactory(company=company, name="Clinic")
    shop = PartnerFactory(company=company, name="Shop")
    move(company, DocumentKind.DELIVERY, item=plant.device, numbers=["D001", "D002"], location=warehouse, partner=clinic)
    move(company, DocumentKind.DELIVERY, item=plant.device, numbers=["D003"], location=warehouse, partner=shop)  # not affected
    move(company, DocumentKind.CUSTOMER_RETURN, item=plant.device, numbers=["D002"], location=warehouse, partner=clinic)
    seeds = [plant.lots["RESIN-BAD"].pk]

    assert numbers(recall_units(seed_ids=seeds)) == {"RESIN-BAD", "B001", "B002", "D001", "D002", "D004"}
    customers = list(recall_customers(seed_ids=seeds))
    assert [(c["document__partner__name"], c["delivered"], c["returned"], c["net"], c["documents"], c["moves"]) for c in customers] == [
        ("Clinic", Decimal(2), Decimal(1), Decimal(1), 2, 3)
    ]  # the deliveries list pages its rows by that count: three below
    assert [(d["lot_number"], d["signed"]) for d in recall_deliveries(seed_ids=seeds)] == [
        ("D001", Decimal(1)),
        ("D002", Decimal(1)),
        ("D002", Decimal(-1)),
    ]
    in_stock = {(b.lot.number, b.quantity) for b in recall_in_stock(seed_ids=seeds)}
    assert in_stock == {("RESIN-BAD", Decimal(10)), ("B001", 1), ("B002", 1), ("D002", 1), ("D004", 1)}
    totals = recall_totals(seed_ids=seeds)
    assert (totals["units"], totals["customers"], totals["delivered_net"], totals["in_stock_lots"]) == (6, 1, Decimal(1), 5)


def test_recall_holdable_ids_are_the_affected_lots_in_stock_and_active(plant, company, warehouse):
    move(company, DocumentKind.DELIVERY, item=plant.device, numbers=["D001"], location=warehouse, partner=PartnerFactory(company=company))
    lots_hold(lot_ids=[plant.lots["B002"].pk], reason="already quarantined")
    held = set(recall_holdable_ids(seed_ids=[plant.lots["RESIN-BAD"].pk]))
    assert held == {plant.lots[n].pk for n in ("RESIN-BAD", "B001", "D002", "D004")}
    assert plant.lots["B002"].__class__.objects.get(pk=plant.lots["B002"].pk).status == LotStatus.ON_HOLD


def test_lot_lookup_exact_first_then_partial(plant, company):
    assert numbers(lot_lookup(company=company, q=" B002 ")[0]) == {"B002"}
    exact, partial = lot_lookup(company=company, q="RESIN")
    assert exact == [] and numbers(partial) == {"RESIN-BAD", "RESIN-OK"}
    assert lot_lookup(company=company, q="") == ([], [])


def test_recall_query_count_does_not_grow_with_levels_or_units(company, warehouse):
    """The recall runs the same statements for a 2-level tree of 3 units as for a 4-level one of 40."""

    def build(prefix, width, levels):
        lot_class = LotClassFactory(company=company, segments=[("constant", prefix), ("counter", "0001")])
        item = ItemFactory(company=company, sku=f"{prefix}-ITEM", lot_class=lot_class)
        receive(item=item, location=warehouse, generate=width * levels + 1)
        lots = list(item.lots.order_by("number"))
        root, rest = lots[0], lots[1:]
        links, above = [], [root]
        for level in range(levels):
            layer = rest[level * width : (level + 1) * width]
            links += [(above[i % len(above)].pk, lot.pk, 1) for i, lot in enumerate(layer)]
            above = layer
        genealogy_links_add(company=company, links=links)
        return [root.pk]

    def count(seeds):
        with CaptureQueriesContext(connection) as captured:
            list(recall_units(seed_ids=seeds)), list(recall_customers(seed_ids=seeds)), list(recall_in_stock(seed_ids=seeds))
            recall_totals(seed_ids=seeds)
        return len(captured)

    small, large = build("S", 1, 2), build("L", 10, 4)
    assert len(lot_closure(lot_ids=large, direction="down")) == 41
    assert count(small) == count(large)
