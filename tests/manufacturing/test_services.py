"""Work orders and kits through the real services; every stock change is checked on the ledger."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.context_processors import USER_KINDS as MENU_KINDS
from inventory.exceptions import InsufficientStock, InventoryError, NotIssuable
from inventory.models import (
    Allocation,
    Balance,
    Document,
    DocumentKind,
    DocumentStatus,
    GenealogyLink,
    LocationKind,
    Lot,
    MoveReason,
    StockMove,
)
from inventory.selectors import ledger_verify
from inventory.services import document_create, line_allocate, line_numbers_generate, lot_hold
from inventory.views.documents import USER_KINDS as VIEW_KINDS
from manufacturing.exceptions import InvalidBom, InvalidWorkOrder, NumberAlreadyExists, OverCompletion, UnitMappingError
from manufacturing.models import UnitGenealogy, WorkOrderState
from manufacturing.services import (
    kit_assemble,
    kit_disassemble,
    work_order_cancel,
    work_order_complete,
    work_order_components_propose,
    work_order_create,
    work_order_release,
    work_order_unit_map,
)
from tests.inventory.factories import ItemFactory, LocationFactory, LotClassFactory
from tests.inventory.flows import issue, on_hand, receive
from tests.manufacturing.conftest import serial_class
from tests.manufacturing.factories import BomFactory

Q = Decimal


def released(plant, quantity=10, *, generate=True, propose=True):
    work_order = work_order_create(company=plant.company, item=plant.widget, quantity=quantity, location=plant.warehouse)
    work_order = work_order_release(work_order=work_order)
    if generate:
        line_numbers_generate(line=work_order.output_document.lines.get())
    if propose:
        work_order_components_propose(work_order=work_order)
    return work_order


def lot(item, number):
    return Lot.objects.get(item=item, number=number)


def links(**filters):
    return sorted(GenealogyLink.objects.filter(**filters).values_list("consumed__number", "produced__number", "quantity"))


def state_of_stock(company):
    """Everything a reversal must restore: balances and each serial's last known state. Serials
    a reversed completion made stay as numbers never received (as a reversed receipt leaves them)."""
    balances = sorted(Balance.objects.filter(company=company, quantity__gt=0).values_list("item_id", "lot_id", "location_id", "quantity"))
    serials = sorted(
        Lot.objects.filter(company=company, kind="serial")
        .exclude(in_stock=False, last_location__isnull=True)
        .values_list("pk", "in_stock", "last_location_id")
    )
    return balances, serials


# Document kinds ------------------------------------------------------------------------------


def test_production_kinds_default_their_virtual_end_to_production(plant):
    issue_doc = document_create(company=plant.company, kind=DocumentKind.PRODUCTION_ISSUE, from_location=plant.warehouse)
    output_doc = document_create(company=plant.company, kind=DocumentKind.PRODUCTION_OUTPUT, to_location=plant.warehouse)
    assert (issue_doc.number[:3], issue_doc.to_location.kind, issue_doc.reason) == (
        "PI-",
        LocationKind.PRODUCTION,
        MoveReason.PRODUCTION_CONSUMPTION,
    )
    assert (output_doc.number[:3], output_doc.from_location.kind, output_doc.reason) == (
        "FG-",
        LocationKind.PRODUCTION,
        MoveReason.PRODUCTION_OUTPUT,
    )


def test_production_kinds_are_not_offered_for_manual_creation():
    production = {DocumentKind.PRODUCTION_ISSUE, DocumentKind.PRODUCTION_OUTPUT}
    assert not production & set(VIEW_KINDS)
    assert not production & {k for k, _ in MENU_KINDS}


# Create and release --------------------------------------------------------------------------


def test_work_order_create_numbers_from_the_counter_as_a_draft(plant):
    first = work_order_create(company=plant.company, item=plant.widget, quantity=5, location=plant.warehouse)
    second = work_order_create(company=plant.company, item=plant.widget, quantity=5, location=plant.warehouse)
    assert (first.number, second.number, first.state, first.bom) == ("WO-000001", "WO-000002", WorkOrderState.DRAFT, plant.bom)


def test_work_order_create_refuses_an_item_without_a_bill(plant):
    with pytest.raises(InvalidBom, match="RESIN has no active bill"):
        work_order_create(company=plant.company, item=plant.resin, quantity=1, location=plant.warehouse)


def test_work_order_create_refuses_the_bill_of_another_item(plant):
    other = BomFactory(company=plant.company, item=ItemFactory(company=plant.company, sku="GADGET"), components=[(plant.screw, 1)])
    with pytest.raises(InvalidBom, match="not of WIDGET"):
        work_order_create(company=plant.company, item=plant.widget, quantity=1, location=plant.warehouse, bom=other)


def test_work_order_create_refuses_fractional_serial_quantities(plant):
    with pytest.raises(InvalidWorkOrder, match="whole units"):
        work_order_create(company=plant.company, item=plant.widget, quantity=Q("1.5"), location=plant.warehouse)


def test_work_order_release_creates_the_two_drafts_from_the_bill(plant):
    work_order = released(plant, 10, generate=False, propose=False)
    consumption, output = work_order.consumption_document, work_order.output_document
    assert (consumption.kind, consumption.from_location, consumption.to_location.kind) == (
        DocumentKind.PRODUCTION_ISSUE,
        plant.warehouse,
        LocationKind.PRODUCTION,
    )
    assert [(line.item.sku, line.quantity) for line in consumption.lines.all()] == [("RESIN", 20), ("CHIP", 10), ("SCREW", 40)]
    assert (output.from_location.kind, output.to_location) == (LocationKind.PRODUCTION, plant.warehouse)
    assert [(line.item.sku, line.quantity) for line in output.lines.all()] == [("WIDGET", 10)]
    assert work_order.state == WorkOrderState.RELEASED and consumption.status == output.status == DocumentStatus.DRAFT


def test_work_order_release_refuses_a_released_order(plant):
    work_order = released(plant, 1, generate=False, propose=False)
    with pytest.raises(InvalidWorkOrder, match="only drafts are released"):
        work_order_release(work_order=work_order)


def test_components_propose_takes_by_issue_method_and_reserves(plant):
    work_order = released(plant, 30, generate=False)
    taken = sorted(
        Allocation.objects.filter(document=work_order.consumption_document, item=plant.resin).values_list("lot__number", "quantity")
    )
    assert taken == [("R1", 60)]  # FIFO: the older lot first
    chips = Allocation.objects.filter(document=work_order.consumption_document, item=plant.chip).count()
    assert chips == 20  # only 20 chips exist: the line stays short by 10


# Completion ----------------------------------------------------------------------------------


def test_complete_posts_consumption_output_and_genealogy_at_once(plant):
    work_order = released(plant, 10)
    completion = work_order_complete(work_order=work_order)
    work_order.refresh_from_db()
    assert (work_order.state, work_order.produced_quantity, completion.quantity) == (WorkOrderState.DONE, 10, 10)
    assert on_hand(plant.resin, plant.warehouse, lot(plant.resin, "R1")) == 80
    assert on_hand(plant.screw, plant.warehouse) == 960
    assert on_hand(plant.widget, plant.warehouse) == 10
    assert Lot.objects.filter(item=plant.chip, in_stock=False).count() == 10
    assert set(GenealogyLink.objects.filter(produced__item=plant.widget).values_list("document", flat=True)) == {
        completion.output_document_id
    }
    assert ("R1", "W0001", Q(2)) in links(consumed__item=plant.resin)
    assert not ledger_verify()


def test_complete_costs_each_finished_unit_from_the_consumed_value(plant):
    work_order = released(plant, 10)
    work_order_complete(work_order=work_order)
    # 2 resin × 2.00 + 1 chip × 5.00 + 4 screws × 0.10 = 9.40 a widget
    assert set(Lot.objects.filter(item=plant.widget).values_list("unit_cost", flat=True)) == {Q("9.4000")}
    assert set(StockMove.objects.filter(item=plant.widget).values_list("unit_cost", flat=True)) == {Q("9.4000")}


def test_complete_partial_posts_its_share_and_the_drafts_keep_the_rest(plant):
    work_order = released(plant, 10)
    completion = work_order_complete(work_order=work_order, quantity=4)
    work_order.refresh_from_db()
    assert (work_order.state, work_order.produced_quantity) == (WorkOrderState.IN_PROGRESS, 4)
    assert completion.consumption_document_id != work_order.consumption_document_id
    assert on_hand(plant.widget, plant.warehouse) == 4 and on_hand(plant.screw, plant.warehouse) == 984
    drafts = work_order.consumption_document
    assert [(line.item.sku, line.quantity) for line in drafts.lines.all()] == [("RESIN", 12), ("CHIP", 6), ("SCREW", 24)]
    # The split resin lot keeps its reservation for the rest, on the draft.
    assert list(Allocation.objects.filter(document=drafts, item=plant.resin).values_list("lot__number", "quantity")) == [("R1", 12)]
    assert work_order.output_document.lines.get().quantity == 6
    assert Allocation.objects.filter(document=work_order.output_document).count() == 6
    assert not ledger_verify()


def test_complete_partial_then_the_rest_finishes_the_order(plant):
    work_order = released(plant, 10)
    work_order_complete(work_order=work_order, quantity=4)
    work_order_complete(work_order=work_order)
    work_order.refresh_from_db()
    assert (work_order.state, work_order.produced_quantity, work_order.completions.count()) == (WorkOrderState.DONE, 10, 2)
    assert on_hand(plant.widget, plant.warehouse) == 10 and on_hand(plant.resin, plant.warehouse) == 130
    assert work_order.output_document.status == DocumentStatus.POSTED
    assert not ledger_verify()


def test_complete_partial_makes_the_named_units_with_their_mapped_components(plant):
    work_order = released(plant, 10)
    work_order_unit_map(work_order=work_order, finished_number="W0007", component_number="C009")
    work_order_complete(work_order=work_order, quantity=1, numbers=["W0007"])
    assert lot(plant.widget, "W0007").in_stock and not lot(plant.chip, "C009").in_stock
    assert links(consumed__item=plant.chip) == [("C009", "W0007", Q(1))]


def test_complete_refuses_more_than_ordered_and_posts_nothing(plant):
    work_order = released(plant, 10)
    work_order_complete(work_order=work_order, quantity=8)
    moves = StockMove.objects.count()
    with pytest.raises(OverCompletion, match="has 2 of 10 left to produce; 3 is more"):
        work_order_complete(work_order=work_order, quantity=3)
    assert StockMove.objects.count() == moves


def test_complete_refuses_a_component_short_and_posts_nothing(plant):
    work_order = released(plant, 25)  # 25 chips needed, 20 exist
    before = state_of_stock(plant.company)
    with pytest.raises(InventoryError, match="CHIP") as refused:
        work_order_complete(work_order=work_order)
    assert any(p.line == 2 and "short by 5" in p.message for p in refused.value.problems)
    work_order.refresh_from_db()
    assert (work_order.state, work_order.produced_quantity) == (WorkOrderState.RELEASED, 0)
    assert state_of_stock(plant.company) == before
    assert not Document.objects.filter(status=DocumentStatus.POSTED, kind__startswith="production").exists()


def test_complete_refuses_a_held_component_lot(plant):
    work_order = released(plant, 10)
    lot_hold(lot=lot(plant.resin, "R1"), reason="contaminated")
    with pytest.raises(NotIssuable, match="R1 is on hold"):
        work_order_complete(work_order=work_order)


def test_complete_refuses_a_finished_serial_that_already_exists(plant):
    receive(item=plant.widget, location=plant.warehouse, numbers=["W-OLD"])
    issue(item=plant.widget, location=plant.warehouse, quantity=1, numbers=["W-OLD"])  # delivered: no longer in stock
    work_order = released(plant, 1, generate=False)
    line_allocate(line=work_order.output_document.lines.get(), numbers=["W-OLD"])
    with pytest.raises(NumberAlreadyExists, match="finished serial number W-OLD of WIDGET already exists"):
        work_order_complete(work_order=work_order)


def test_allocating_a_serial_already_consumed_is_refused_on_its_row(plant):
    first = released(plant, 1, generate=True, propose=False)
    line_allocate(line=first.consumption_document.lines.get(item=plant.chip), numbers=["C005"])
    work_order_complete(work_order=first)
    second = released(plant, 1, propose=False)
    outcome = line_allocate(line=second.consumption_document.lines.get(item=plant.chip), numbers=["C005"])
    assert [(r.number, r.reason) for r in outcome.rejected] == [("C005", "not at WH1 (not in stock)")]
    with pytest.raises(UnitMappingError, match="C005 is not allocated"):
        work_order_unit_map(work_order=second, finished_number="W0002", component_number="C005")


def test_unit_map_refuses_a_component_of_the_wrong_item(plant):
    work_order = released(plant, 2)
    stranger = ItemFactory(company=plant.company, sku="STRANGER")
    with pytest.raises(UnitMappingError, match="STRANGER is not a component of WIDGET"):
        work_order_unit_map(work_order=work_order, finished_number="W0001", component_number="C001", component=stranger)


def test_unit_map_refuses_a_finished_number_not_on_the_output(plant):
    work_order = released(plant, 2)
    with pytest.raises(UnitMappingError, match="W9999 is not on the output"):
        work_order_unit_map(work_order=work_order, finished_number="W9999", component_number="C001")


def test_unit_map_refuses_more_of_a_component_than_one_unit_takes(plant):
    work_order = released(plant, 2)
    work_order_unit_map(work_order=work_order, finished_number="W0001", component_number="C001")
    with pytest.raises(UnitMappingError, match="one WIDGET takes 1 of CHIP"):
        work_order_unit_map(work_order=work_order, finished_number="W0001", component_number="C002")


def test_complete_links_mapped_units_exactly_and_shares_the_rest(plant):
    work_order = released(plant, 2)
    work_order_unit_map(work_order=work_order, finished_number="W0001", component_number="C002")
    work_order_unit_map(work_order=work_order, finished_number="W0002", component_number="C001")
    work_order_complete(work_order=work_order)
    assert links(consumed__item=plant.chip) == [("C001", "W0002", Q(1)), ("C002", "W0001", Q(1))]
    assert links(consumed__item=plant.resin) == [("R1", "W0001", Q(2)), ("R1", "W0002", Q(2))]
    assert UnitGenealogy.objects.filter(completion__isnull=False).count() == 2


def test_complete_lot_output_twice_adds_to_the_same_lot(plant, company):
    lot_class = LotClassFactory(company=company, tracking="lot", track_expiry=True, segments=[("constant", "P"), ("counter", "01")])
    paint = ItemFactory(company=company, sku="PAINT", lot_class=lot_class)
    BomFactory(company=company, item=paint, components=[(plant.resin, Q("0.5"))])
    work_order = work_order_release(work_order=work_order_create(company=company, item=paint, quantity=10, location=plant.warehouse))
    line_allocate(line=work_order.output_document.lines.get(), numbers=["PAINT-1"], expiry_date=date(2099, 1, 1))
    work_order_complete(work_order=work_order, quantity=4)
    work_order_complete(work_order=work_order)
    made = lot(paint, "PAINT-1")
    assert (on_hand(paint, plant.warehouse, made), made.expiry_date.year) == (10, 2099)
    assert links(produced=made) == [("R1", "PAINT-1", Q(2)), ("R1", "PAINT-1", Q(3))]
    assert not ledger_verify()


# Cancel --------------------------------------------------------------------------------------


def test_cancel_released_cancels_the_drafts_and_frees_their_stock(plant):
    work_order = released(plant, 10)
    work_order_cancel(work_order=work_order)
    work_order.refresh_from_db()
    assert work_order.state == WorkOrderState.CANCELLED
    assert {work_order.consumption_document.status, work_order.output_document.status} == {DocumentStatus.CANCELLED}
    assert not Allocation.objects.reserving().exists()


def test_cancel_completed_restores_stock_serials_and_links_exactly(plant):
    before = state_of_stock(plant.company)
    work_order = released(plant, 10)
    work_order_complete(work_order=work_order, quantity=3)
    work_order_complete(work_order=work_order)
    work_order_cancel(work_order=work_order)
    work_order.refresh_from_db()
    assert (work_order.state, work_order.produced_quantity) == (WorkOrderState.CANCELLED, 0)
    assert state_of_stock(plant.company) == before
    assert not GenealogyLink.objects.exists()
    assert set(Document.objects.filter(kind__startswith="production").values_list("status", flat=True)) == {DocumentStatus.REVERSED}
    assert not ledger_verify()


def test_cancel_is_refused_whole_when_a_finished_unit_was_delivered(plant):
    work_order = released(plant, 2)
    work_order_complete(work_order=work_order)
    issue(item=plant.widget, location=plant.warehouse, quantity=1, numbers=["W0001"])
    after = state_of_stock(plant.company)
    with pytest.raises(InsufficientStock, match="W0001"):
        work_order_cancel(work_order=work_order)
    work_order.refresh_from_db()
    assert work_order.state == WorkOrderState.DONE and state_of_stock(plant.company) == after
    assert GenealogyLink.objects.exists()


# Kits ----------------------------------------------------------------------------------------


@pytest.fixture
def kit(plant):
    item = ItemFactory(company=plant.company, sku="KIT", lot_class=serial_class(plant.company, "K"))
    BomFactory(company=plant.company, item=item, is_kit=True, components=[(plant.chip, 2), (plant.screw, 3)])
    return item


def test_kit_assemble_gives_each_kit_its_own_components(plant, kit):
    work_order = kit_assemble(company=plant.company, item=kit, quantity=2, location=plant.warehouse)
    assert work_order.state == WorkOrderState.DONE
    assert links(consumed__item=plant.chip) == [("C001", "K0001", 1), ("C002", "K0001", 1), ("C003", "K0002", 1), ("C004", "K0002", 1)]
    assert on_hand(kit, plant.warehouse) == 2 and on_hand(plant.screw, plant.warehouse) == 994


def test_kit_assemble_refuses_a_bill_that_is_not_a_kit(plant):
    with pytest.raises(InvalidBom, match="no active kit bill"):
        kit_assemble(company=plant.company, item=plant.widget, quantity=1, location=plant.warehouse)


def test_kit_disassemble_returns_the_original_serials_and_keeps_history(plant, kit):
    kit_assemble(company=plant.company, item=kit, quantity=2, location=plant.warehouse)
    work_order = kit_disassemble(company=plant.company, item=kit, location=plant.warehouse, numbers=["K0002"])
    assert work_order.state == WorkOrderState.DONE
    assert [n for n, in_stock in Lot.objects.filter(item=plant.chip, number__lte="C004").values_list("number", "in_stock") if in_stock] == [
        "C003",
        "C004",
    ]
    assert not lot(kit, "K0002").in_stock and lot(kit, "K0001").in_stock
    assert on_hand(plant.screw, plant.warehouse) == 997
    assert len(links(consumed__item=plant.chip)) == 4  # the assembly is history
    assert not ledger_verify()


def test_kit_disassemble_can_be_reversed_by_cancelling(plant, kit):
    kit_assemble(company=plant.company, item=kit, quantity=1, location=plant.warehouse)
    before = state_of_stock(plant.company)
    work_order = kit_disassemble(company=plant.company, item=kit, location=plant.warehouse, numbers=["K0001"])
    work_order_cancel(work_order=work_order)
    assert state_of_stock(plant.company) == before


# Query counts --------------------------------------------------------------------------------


def _completion_queries(company, count, *, partial):
    location = LocationFactory(company=company)
    resin = ItemFactory(
        company=company, lot_class=LotClassFactory(company=company, tracking="lot", segments=[("constant", "RL"), ("counter", "1")])
    )
    chip = ItemFactory(
        company=company, lot_class=LotClassFactory(company=company, batch_size=10_000, segments=[("constant", "CP"), ("counter", "0001")])
    )
    widget = ItemFactory(
        company=company, lot_class=LotClassFactory(company=company, batch_size=10_000, segments=[("constant", "WG"), ("counter", "0001")])
    )
    receive(item=resin, location=location, numbers=["RL-A"], quantity=1000)
    receive(item=chip, location=location, generate=2 * count)
    BomFactory(company=company, item=widget, components=[(resin, 1), (chip, 1)])
    total = 2 * count if partial else count
    work_order = work_order_release(work_order=work_order_create(company=company, item=widget, quantity=total, location=location))
    line_numbers_generate(line=work_order.output_document.lines.get())
    work_order_components_propose(work_order=work_order)
    # Each unit's chip scanned to it: unmapped serials would be shared with every unit (n² links).
    finished = Allocation.objects.filter(document=work_order.output_document).order_by("id").values_list("number", flat=True)
    chips = (
        Allocation.objects.filter(document=work_order.consumption_document, item=chip).order_by("id").values_list("lot__number", flat=True)
    )
    for finished_number, chip_number in zip(list(finished), list(chips)):
        work_order_unit_map(work_order=work_order, finished_number=finished_number, component_number=chip_number)
    with CaptureQueriesContext(connection) as captured:
        work_order_complete(work_order=work_order, quantity=count)
    assert on_hand(widget, location) == count
    return len(captured)


def test_query_count_of_completing_does_not_grow_with_finished_serials(company):
    assert _completion_queries(company, 10, partial=False) == _completion_queries(company, 300, partial=False)


def test_query_count_of_a_partial_completion_does_not_grow_with_finished_serials(company):
    assert _completion_queries(company, 10, partial=True) == _completion_queries(company, 300, partial=True)


def test_complete_links_an_unmapped_serial_to_every_unit_it_may_be_in(plant):
    """Nobody scanned which chip went into which widget: a recall of either chip must find both."""
    work_order = released(plant, 2)
    work_order_complete(work_order=work_order)
    assert links(consumed__item=plant.chip) == [
        ("C001", "W0001", Q("0.5")),
        ("C001", "W0002", Q("0.5")),
        ("C002", "W0001", Q("0.5")),
        ("C002", "W0002", Q("0.5")),
    ]
