"""The demo company's manufacturing (seed_demo): bills, a finished work order whose units trace back
to their component lots, one released for the production user, and an assembled kit."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from django.urls import reverse

from inventory.models import Company, Lot, LotKind, Tracking
from inventory.services import line_numbers_generate
from manufacturing.models import BillOfMaterials, WorkOrder, WorkOrderKind, WorkOrderState
from manufacturing.services import work_order_complete, work_order_components_propose
from tests.inventory.test_commands import verify_ledger
from traceability.selectors.trace import lot_genealogy, recall_customers, recall_trace, recall_units

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return Company.objects.get(code="northwind"), out.getvalue()


def production_done(company) -> WorkOrder:
    return WorkOrder.objects.get(company=company, kind=WorkOrderKind.PRODUCTION, state=WorkOrderState.DONE)


def finished_units(work_order) -> list[Lot]:
    return list(Lot.objects.filter(item=work_order.item, kind=LotKind.SERIAL).order_by("number"))


def test_seed_demo_has_bills_whose_components_are_lot_and_serial_tracked(demo):
    company, _ = demo
    boms = BillOfMaterials.objects.filter(company=company, is_active=True).prefetch_related("lines__component__lot_class")
    assert sorted((b.item.sku, b.is_kit) for b in boms) == [("K-FAK", True), ("M-PENSET", False), ("M-VITALS", False)]
    tracking = {line.component.lot_class.tracking for bom in boms for line in bom.lines.all()}
    assert {Tracking.LOT, Tracking.SERIAL, Tracking.LOT_AND_SERIAL} <= tracking


def test_seed_demo_finished_serial_genealogy_names_the_component_lot(demo):
    company, output = demo
    work_order = production_done(company)
    assert work_order.produced_quantity == work_order.quantity == 2
    unit = finished_units(work_order)[0]
    assert f"finished serial to trace   {unit.number}" in output
    upstream = {(node.lot.item.sku, node.lot.number): node.level for node in lot_genealogy(lot=unit).upstream}
    # One level down is its own pen and the bandage lot; the pen's lot is reached through its label.
    assert upstream[("D-PEN", "PX880101")] == 1
    assert upstream[("D-PEN", "PEN-L2411")] == 2
    bandage_lots = [number for sku, number in upstream if sku == "K-BAND"]
    assert len(bandage_lots) == 1 and Lot.objects.get(item__sku="K-BAND", number=bandage_lots[0]).kind == LotKind.LOT


def test_seed_demo_each_finished_unit_holds_only_its_own_pen(demo):
    company, _ = demo
    first, second = finished_units(production_done(company))
    pens = [{n.lot.number for n in lot_genealogy(lot=u).upstream if n.lot.kind == LotKind.SERIAL} for u in (first, second)]
    assert pens == [{"PX880101"}, {"PX880102"}]


def test_seed_demo_recall_of_the_pen_lot_lists_the_finished_units_and_the_customer(demo):
    company, _ = demo
    units = finished_units(production_done(company))
    pen_lot = Lot.objects.get(company=company, item__sku="D-PEN", number="PEN-L2411", kind=LotKind.LOT)
    affected = recall_trace(lots=[pen_lot]).affected_ids
    assert {u.number for u in units} <= {lot.number for lot in recall_units(seed_ids=affected)}
    customers = list(recall_customers(seed_ids=affected))
    assert [(c["document__partner__name"], c["net"]) for c in customers] == [("Harbor Pharmacy", 1)]
    assert [u.in_stock for u in units] == [True, False]


def test_seed_demo_leaves_a_released_work_order_the_production_user_can_complete(demo, client):
    company, _ = demo
    work_order = WorkOrder.objects.get(company=company, state=WorkOrderState.RELEASED)
    assert (work_order.item.sku, work_order.produced_quantity) == ("M-VITALS", 0)
    client.login(request=HttpRequest(), username="production", password="demo")  # django-axes needs a request
    response = client.get(reverse("manufacturing:work-order-list"), {"state": "released"})
    assert work_order.number in response.content.decode()
    assert all(not o.rejected for o in work_order_components_propose(work_order=work_order))
    line_numbers_generate(line=work_order.output_document.lines.get())
    work_order_complete(work_order=work_order)
    work_order.refresh_from_db()
    assert work_order.state == WorkOrderState.DONE
    assert verify_ledger()[2] is None


def test_seed_demo_kit_is_assembled_with_its_components_recorded(demo):
    company, _ = demo
    kit_order = WorkOrder.objects.get(company=company, kind=WorkOrderKind.KIT_ASSEMBLY)
    assert kit_order.state == WorkOrderState.DONE
    kits = Lot.objects.filter(item__sku="K-FAK", in_stock=True)
    assert kits.count() == kit_order.quantity == 2
    for kit in kits:
        assert {n.lot.item.sku for n in lot_genealogy(lot=kit).upstream} == {"K-BAND", "K-THERM"}


def test_verify_ledger_passes_after_seed_demo_with_manufacturing(demo):
    assert WorkOrder.objects.filter(state=WorkOrderState.DONE).count() == 2
    _, err, error = verify_ledger()
    assert error is None, err


def test_a_cashier_is_shown_no_link_to_a_document_it_may_not_open(demo, client):
    """A lot's production section names its documents; only roles that may open them get links
    (the production-mode crawl found cashiers sent to 403 pages)."""
    company, _ = demo
    unit = finished_units(production_done(company))[0]
    client.login(request=HttpRequest(), username="cashier", password="demo")
    body = client.get(f"/trace/lots/{unit.pk}/").content.decode()
    assert 'data-testid="lot-production"' in body
    assert "/documents/" not in body
    client.login(request=HttpRequest(), username="clerk", password="demo")
    assert "/documents/" in client.get(f"/trace/lots/{unit.pk}/").content.decode()
