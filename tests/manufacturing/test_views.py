"""The work order pages through the real services: list, create, view, release, propose, complete,
cancel and the per-unit scan page; roles, other companies and query counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import DocumentStatus
from inventory.services import line_numbers_generate
from manufacturing.models import UnitGenealogy, WorkOrder, WorkOrderState
from manufacturing.services import work_order_complete, work_order_components_propose, work_order_create, work_order_release
from tests.inventory.factories import CompanyFactory, ItemFactory, LocationFactory, LotClassFactory
from tests.inventory.flows import receive
from tests.inventory.test_views_company import sign_in
from tests.manufacturing.factories import BomFactory

pytestmark = pytest.mark.django_db
Q = Decimal


def draft(plant, quantity=4, **kwargs):
    return work_order_create(company=plant.company, item=plant.widget, quantity=quantity, location=plant.warehouse, **kwargs)


def released(plant, quantity=4, *, generate=False, propose=False):
    work_order = work_order_release(work_order=draft(plant, quantity))
    if generate:
        line_numbers_generate(line=work_order.output_document.lines.get())
    if propose:
        work_order_components_propose(work_order=work_order)
    return work_order


def url(name, work_order):
    return reverse(f"manufacturing:work-order-{name}", kwargs={"work_order_pk": work_order.pk})


def listed(response) -> list[str]:
    return [row.record.number for row in response.context["table"].paginated_rows]


@pytest.fixture
def production(client, plant):
    sign_in(client, plant.company, group="Production")
    return client


# List -----------------------------------------------------------------------------------------


def test_work_order_list_filters_by_state_and_item(production, plant):
    first, second = draft(plant), released(plant)
    response = production.get(reverse("manufacturing:work-order-list"), {"state": "released"})
    assert listed(response) == [second.number]
    response = production.get(reverse("manufacturing:work-order-list"), {"item": plant.widget.pk})
    assert listed(response) == [second.number, first.number]


def test_work_order_list_filters_by_due_date_range(production, plant):
    early, late = draft(plant, due_date=date(2030, 1, 5)), draft(plant, due_date=date(2030, 3, 5))
    response = production.get(reverse("manufacturing:work-order-list"), {"due_date_min": "2030-02-01", "due_date_max": "2030-04-01"})
    assert listed(response) == [late.number]
    assert early.number not in response.content.decode()


def test_work_order_list_searches_by_number_and_by_an_allocated_serial(production, plant):
    draft(plant)
    wanted = released(plant, 2, propose=True)
    assert listed(production.get(reverse("manufacturing:work-order-list"), {"q": wanted.number})) == [wanted.number]
    # C001 is the first chip the issue method proposes.
    assert listed(production.get(reverse("manufacturing:work-order-list"), {"q": "C001"})) == [wanted.number]
    assert listed(production.get(reverse("manufacturing:work-order-list"), {"q": "NOPE"})) == []


def test_work_order_list_searches_a_serial_produced_by_a_completion(production, plant):
    work_order = released(plant, 2, generate=True, propose=True)
    work_order_complete(work_order=work_order, quantity=Q(1))
    draft(plant)
    assert listed(production.get(reverse("manufacturing:work-order-list"), {"q": "W0001"})) == [work_order.number]


def test_work_order_list_groups_by_state_with_counts(production, plant):
    draft(plant), draft(plant), released(plant)
    response = production.get(reverse("manufacturing:work-order-list"), {"group": "state"})
    groups = {label: subtotal["orders"] for label, subtotal, _ in response.context["groups"]}
    assert groups == {"Draft": 2, "Released": 1}
    assert 'data-testid="group-row"' in response.content.decode()


def test_work_order_list_with_a_bad_filter_shows_the_error_not_a_500(production, plant):
    response = production.get(reverse("manufacturing:work-order-list"), {"due_date_min": "not a date", "item": "abc", "per_page": "0"})
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in response.content.decode()


# Create ---------------------------------------------------------------------------------------


def test_work_order_create_makes_a_draft_and_shows_it(production, plant):
    response = production.post(
        reverse("manufacturing:work-order-create"),
        {
            "item": plant.widget.pk,
            "quantity": "3",
            "location": plant.warehouse.pk,
            "due_date": "2030-01-31",
            "notes": "rush",
        },
    )
    work_order = WorkOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == url("detail", work_order)
    assert (work_order.quantity, work_order.state, work_order.bom, work_order.notes) == (Q(3), WorkOrderState.DRAFT, plant.bom, "rush")


def test_work_order_create_offers_only_items_with_an_active_bill(production, plant):
    response = production.get(reverse("manufacturing:work-order-create"))
    assert list(response.context["form"].fields["item"].queryset) == [plant.widget]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"item": "resin"}, "item"),  # no bill: not a choice
        ({"item": "x"}, "item"),
        ({"quantity": "1.5"}, "quantity"),  # the widget is serial-numbered
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"location": "999999999"}, "location"),
    ],
)
def test_work_order_create_refuses_bad_input_next_to_the_field(production, plant, changes, field):
    data = {"item": plant.widget.pk, "quantity": "3", "location": plant.warehouse.pk}
    data.update({k: (plant.resin.pk if v == "resin" else v) for k, v in changes.items()})
    response = production.post(reverse("manufacturing:work-order-create"), data)
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert not WorkOrder.objects.exists()


def test_work_order_create_refuses_another_company_location(production, plant):
    other = LocationFactory(company=CompanyFactory())
    response = production.post(reverse("manufacturing:work-order-create"), {"item": plant.widget.pk, "quantity": "1", "location": other.pk})
    assert response.context["form"].errors["location"]


# Detail, release, propose ---------------------------------------------------------------------


def test_work_order_detail_shows_the_bill_per_unit_and_in_total(production, plant):
    work_order = draft(plant, 3)
    response = production.get(url("detail", work_order))
    components = {line.component.sku: (line.quantity, line.total) for line in response.context["components"]}
    assert components == {"RESIN": (Q(2), Q(6)), "CHIP": (Q(1), Q(3)), "SCREW": (Q(4), Q(12))}
    assert url("release", work_order) in response.content.decode()


def test_release_then_detail_shows_both_drafts_lines_with_the_dialog_buttons(production, plant):
    work_order = draft(plant, 3)
    confirm = production.get(url("release", work_order))
    assert confirm.status_code == 200 and 'data-testid="confirm"' in confirm.content.decode()
    response = production.post(url("release", work_order), follow=True)
    work_order.refresh_from_db()
    assert work_order.state == WorkOrderState.RELEASED
    consumption = {line.item.sku: line for line in response.context["consumption_lines"]}
    output = response.context["output_lines"]
    assert {sku: line.quantity for sku, line in consumption.items()} == {"RESIN": Q(6), "CHIP": Q(3), "SCREW": Q(12)}
    assert [(line.item.sku, line.quantity) for line in output] == [("WIDGET", Q(3))]
    body = response.content.decode()
    for line in [consumption["RESIN"], consumption["CHIP"], output[0]]:
        assert reverse("inventory:line-allocations", kwargs={"line_pk": line.pk}) in body
    assert 'hx-target="#dialog-content"' in body
    assert reverse("inventory:line-allocations", kwargs={"line_pk": consumption["SCREW"].pk}) not in body  # untracked


def test_release_twice_shows_the_refusal_not_a_500(production, plant):
    work_order = released(plant)
    response = production.post(url("release", work_order))
    assert response.status_code == 422
    assert "only drafts are released" in response.content.decode()


def test_propose_fills_the_component_lines(production, plant):
    work_order = released(plant, 2)
    production.post(url("propose", work_order))
    response = production.get(url("detail", work_order))
    remaining = {line.item.sku: line.remaining for line in response.context["consumption_lines"]}
    assert remaining == {"RESIN": 0, "CHIP": 0, "SCREW": Q(8)}  # screws are not numbered: nothing to allocate
    assert "C001" in response.content.decode()


# Complete and cancel --------------------------------------------------------------------------


def test_complete_defaults_to_what_is_left(production, plant):
    work_order = released(plant, 3)
    response = production.get(url("complete", work_order))
    assert response.context["form"].initial["quantity"] == Q(3)


def test_complete_partially_then_the_rest(production, plant):
    work_order = released(plant, 3, generate=True, propose=True)
    response = production.post(url("complete", work_order), {"quantity": "1"})
    assert response.status_code == 302
    work_order.refresh_from_db()
    assert (work_order.produced_quantity, work_order.state) == (Q(1), WorkOrderState.IN_PROGRESS)
    response = production.post(url("complete", work_order), {"quantity": "2"}, follow=True)
    work_order.refresh_from_db()
    assert (work_order.produced_quantity, work_order.state) == (Q(3), WorkOrderState.DONE)
    completions = list(response.context["completions"])
    assert [c.quantity for c in completions] == [Q(1), Q(2)]
    body = response.content.decode()
    for completion in completions:
        assert completion.output_document.status == DocumentStatus.POSTED
        assert reverse("inventory:document-detail", kwargs={"document_pk": completion.output_document_id}) in body
        assert reverse("inventory:document-detail", kwargs={"document_pk": completion.consumption_document_id}) in body


@pytest.mark.parametrize("quantity", ["4", "abc", "-1", "0.5"])
def test_complete_refuses_a_bad_quantity_next_to_the_field(production, plant, quantity):
    work_order = released(plant, 3, generate=True, propose=True)
    response = production.post(url("complete", work_order), {"quantity": quantity})
    assert response.status_code == 422
    assert response.context["form"].errors["quantity"]
    work_order.refresh_from_db()
    assert work_order.produced_quantity == 0


def test_complete_shows_a_service_refusal_on_the_page(production, plant):
    work_order = released(plant, 3, generate=True, propose=True)
    response = production.post(url("complete", work_order), {"quantity": "1", "numbers": "NOT-A-WIDGET"})
    assert response.status_code == 422
    assert response.context["problems"]
    work_order.refresh_from_db()
    assert work_order.produced_quantity == 0


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def state_shown(response) -> str:
    return response.content.decode().split('data-testid="work-order-state">')[1].split("<")[0]


def test_cancel_a_draft(production, plant):
    work_order = draft(plant)
    response = production.post(url("cancel", work_order), follow=True)
    work_order.refresh_from_db()
    assert work_order.state == WorkOrderState.CANCELLED
    assert shown_messages(response) == [f"{work_order.number} cancelled."]
    assert state_shown(response) == "Cancelled"


def test_cancel_a_released_work_order_that_never_completed_says_cancelled(production, plant):
    work_order = released(plant, 2, generate=True, propose=True)
    response = production.post(url("cancel", work_order), follow=True)
    assert shown_messages(response) == [f"{work_order.number} cancelled."]
    assert "reversed" not in response.content.decode().lower()


def test_reverse_a_completed_work_order(production, plant):
    work_order = released(plant, 2, generate=True, propose=True)
    work_order_complete(work_order=work_order)
    response = production.get(url("detail", work_order))
    assert "Reverse" in response.content.decode()
    production.post(url("cancel", work_order))
    work_order.refresh_from_db()
    assert (work_order.state, work_order.produced_quantity) == (WorkOrderState.CANCELLED, 0)
    assert work_order.completions.get().is_reversed


def test_reversing_a_completed_work_order_says_reversed_not_cancelled(production, plant):
    work_order = released(plant, 3, generate=True, propose=True)
    work_order_complete(work_order=work_order, quantity=Q(1))
    work_order_complete(work_order=work_order)
    response = production.post(url("cancel", work_order), follow=True)
    assert shown_messages(response) == [
        f"{work_order.number} reversed: the moves of its 2 completions were reversed and their genealogy links removed."
    ]
    assert state_shown(response) == "Reversed"
    assert 'data-testid="reversed-note"' in response.content.decode()
    again = production.get(url("cancel", work_order)).content.decode()
    assert f"{work_order.number} is reversed: this action does not apply." in again
    assert "Cancelled" not in again


def test_reversing_one_completion_names_it_in_the_singular(production, plant):
    work_order = released(plant, 2, generate=True, propose=True)
    work_order_complete(work_order=work_order)
    response = production.post(url("cancel", work_order), follow=True)
    assert shown_messages(response) == [
        f"{work_order.number} reversed: its completion's moves were reversed and their genealogy links removed."
    ]


def test_release_numbers_the_output_document_as_finished_goods_not_a_purchase_order(production, plant):
    work_order = released(plant, 2)
    assert work_order.consumption_document.number.startswith("PI-")
    assert work_order.output_document.number.startswith("FG-")
    body = production.get(url("detail", work_order)).content.decode()
    assert work_order.output_document.number in body and "PO-" not in body


def test_actions_on_a_cancelled_work_order_answer_with_the_reason(production, plant):
    work_order = draft(plant)
    production.post(url("cancel", work_order))
    for name in ("release", "propose", "cancel", "complete"):
        response = production.post(url(name, work_order), {"quantity": "1"})
        assert response.status_code == 422, name


# Per-unit genealogy ----------------------------------------------------------------------------


def test_unit_scans_map_components_to_the_current_finished_unit(production, plant):
    work_order = released(plant, 2, generate=True, propose=True)
    page = url("units", work_order)
    assert production.get(page).status_code == 200
    response = production.post(page, {"scan": "W0001", "finished": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="W0001"' in body and 'data-testid="current-unit"' in body
    response = production.post(page, {"scan": "C001", "finished": "W0001"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'data-testid="scan-ok"' in response.content.decode()
    assert list(UnitGenealogy.objects.values_list("finished_number", "component_number", "quantity")) == [("W0001", "C001", Q(1))]


def test_a_bad_scan_is_shown_on_its_row_and_keeps_the_mappings(production, plant):
    work_order = released(plant, 2, generate=True, propose=True)
    page = url("units", work_order)
    production.post(page, {"scan": "C001", "finished": "W0001"})
    response = production.post(page, {"scan": "C019", "finished": "W0001"})  # not allocated to this work order
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-testid="scan-rejected"' in body and "C019" in body and "not allocated" in body
    assert 'value="W0001"' in body  # still on the same unit
    assert UnitGenealogy.objects.count() == 1
    assert [m.component_number for m in response.context["mappings"].object_list] == ["C001"]


def test_a_component_scan_before_a_finished_unit_is_refused(production, plant):
    work_order = released(plant, 2, generate=True, propose=True)
    response = production.post(url("units", work_order), {"scan": "C001"})
    assert response.status_code == 422
    assert "scan a finished unit first" in response.content.decode()
    assert not UnitGenealogy.objects.exists()


def test_unit_mappings_are_used_by_the_completion(production, plant):
    work_order = released(plant, 2, generate=True, propose=True)
    production.post(url("units", work_order), {"scan": "C002", "finished": "W0001"})
    production.post(url("complete", work_order), {"quantity": "2"})
    assert UnitGenealogy.objects.get().completion is not None


# Roles and companies ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["release", "propose", "complete", "cancel", "units"])
def test_viewer_is_refused_work_order_actions(client, plant, name):
    work_order = released(plant, 2, generate=True, propose=True)
    sign_in(client, plant.company, group="Viewer")
    assert client.post(url(name, work_order), {"quantity": "1", "scan": "W0001"}).status_code == 403
    assert client.post(reverse("manufacturing:work-order-create"), {}).status_code == 403


def test_viewer_sees_the_work_order_without_action_buttons(client, plant):
    work_order = released(plant, 2)
    sign_in(client, plant.company, group="Viewer")
    body = client.get(url("detail", work_order)).content.decode()
    for name in ("release", "propose", "complete", "cancel", "units"):
        assert url(name, work_order) not in body, name
    assert "Allocate…" not in body and 'data-testid="open-allocations"' in body
    assert reverse("manufacturing:work-order-create") not in client.get(reverse("manufacturing:work-order-list")).content.decode()


def test_stock_clerk_reads_work_orders_and_allocates_their_lines(client, plant):
    work_order = released(plant, 2)
    sign_in(client, plant.company, group="Stock clerk")
    body = client.get(url("detail", work_order)).content.decode()
    assert "Allocate…" in body and url("complete", work_order) not in body
    assert client.post(url("complete", work_order), {"quantity": "1"}).status_code == 403


def test_production_sees_the_menu_and_the_actions(production, plant):
    work_order = released(plant, 2)
    body = production.get(url("detail", work_order)).content.decode()
    assert 'data-testid="nav-manufacturing"' in body
    for name in ("propose", "complete", "cancel", "units"):
        assert url(name, work_order) in body, name


def test_another_company_work_order_is_404(production, plant):
    other = CompanyFactory()
    item = ItemFactory(company=other)
    BomFactory(company=other, item=item, components=[(ItemFactory(company=other), 1)])
    theirs = work_order_create(company=other, item=item, quantity=Q(1), location=LocationFactory(company=other))
    for name in ("detail", "release", "complete", "cancel", "units"):
        assert production.get(url(name, theirs)).status_code == 404, name
        assert production.post(url(name, theirs)).status_code == 404, name
    theirs.refresh_from_db()
    assert theirs.state == WorkOrderState.DRAFT


def test_non_numeric_ids_are_404(production, plant):
    assert production.get("/manufacturing/work-orders/abc/").status_code == 404
    assert production.get("/manufacturing/work-orders/99999999999999999999999/").status_code == 404


# Query counts -----------------------------------------------------------------------------------


def factory_of(n):
    """A fresh company with n work orders of a serial item (one released, its output numbered n times)."""
    company = CompanyFactory()
    location = LocationFactory(company=company)
    component = ItemFactory(company=company, lot_class=LotClassFactory(company=company, batch_size=10_000))
    receive(item=component, location=location, generate=n)
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, batch_size=10_000))
    screw = ItemFactory(company=company)
    receive(item=screw, location=location, quantity=2 * n)
    BomFactory(company=company, item=item, components=[(component, 1), (screw, 2)])
    for _ in range(n - 1):
        work_order_create(company=company, item=item, quantity=Q(1), location=location)
    work_order = work_order_release(work_order=work_order_create(company=company, item=item, quantity=Q(n), location=location))
    line_numbers_generate(line=work_order.output_document.lines.get())
    work_order_components_propose(work_order=work_order)
    work_order_complete(work_order=work_order, quantity=Q(1))
    return company, work_order


def _queries(client, path, data=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, data or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page_name", ["list", "list grouped", "detail", "units"])
def test_pages_cost_the_same_queries_at_10_and_300_rows(client, page_name):
    counts = []
    for n in (10, 300):
        company, work_order = factory_of(n)
        client.logout()
        sign_in(client, company, group="Production")
        if page_name == "units":
            for serial in range(1, min(n, 60)):
                UnitGenealogy.objects.create(
                    company=company,
                    work_order=work_order,
                    finished_number=f"F{serial}",
                    component=work_order.bom.lines.first().component,
                    component_number=f"X{serial}",
                    quantity=Q(1),
                )
        path = {
            "list": reverse("manufacturing:work-order-list"),
            "list grouped": reverse("manufacturing:work-order-list"),
            "detail": url("detail", work_order),
            "units": url("units", work_order),
        }[page_name]
        counts.append(_queries(client, path, {"group": "item"} if page_name == "list grouped" else None))
    assert counts[0] == counts[1]


def test_production_role_allocates_on_its_work_order_drafts_but_not_on_deliveries(production, plant):
    from inventory.models import DocumentKind
    from inventory.services import document_create, document_line_add

    work_order = released(plant)
    line = work_order.consumption_document.lines.filter(item=plant.chip).get()
    delivery = document_create(company=plant.company, kind=DocumentKind.DELIVERY, from_location=plant.warehouse)
    delivery_line = document_line_add(document=delivery, item=plant.chip, quantity=Q(1))
    dialog = lambda row: reverse("inventory:line-allocations", kwargs={"line_pk": row.pk})  # noqa: E731
    response = production.post(dialog(line), {"action": "propose"})
    assert response.status_code == 200 and line.allocations.count() == 4
    assert production.post(dialog(delivery_line), {"action": "propose"}).status_code == 403
    assert not delivery_line.allocations.exists()


def test_lot_pages_show_the_work_order_that_made_or_consumed_them(production, plant):
    work_order = released(plant, 2, generate=True, propose=True)
    work_order_complete(work_order=work_order)
    from inventory.models import Lot

    finished = Lot.objects.get(item=plant.widget, number="W0001")
    component = Lot.objects.get(item=plant.resin, number="R1")
    for lot, verb in ((finished, "Made by"), (component, "Consumed by")):
        body = production.get(reverse("traceability:lot-detail", kwargs={"lot_pk": lot.pk})).content.decode()
        section = body.split('data-testid="lot-production"')[1].split("</table>")[0]
        assert verb in section and work_order.number in section


@pytest.fixture
def kit_item(plant):
    from tests.manufacturing.conftest import serial_class

    item = ItemFactory(company=plant.company, sku="KIT", name="Repair kit", lot_class=serial_class(plant.company, "K"))
    BomFactory(company=plant.company, item=item, is_kit=True, components=[(plant.chip, 2), (plant.screw, 3)])
    return item


def test_kit_page_assembles_then_takes_a_kit_apart(production, plant, kit_item):
    from inventory.models import Lot

    url = reverse("manufacturing:kit")
    data = {"action": "assemble", "item": kit_item.pk, "location": plant.warehouse.pk, "quantity": "2", "numbers": ""}
    response = production.post(url, data)
    assert response.status_code == 302
    assert sorted(Lot.objects.filter(item=kit_item, in_stock=True).values_list("number", flat=True)) == ["K0001", "K0002"]
    data = {"action": "disassemble", "item": kit_item.pk, "location": plant.warehouse.pk, "quantity": "", "numbers": "K0002"}
    assert production.post(url, data).status_code == 302
    assert not Lot.objects.get(item=kit_item, number="K0002").in_stock
    assert set(Lot.objects.filter(item=plant.chip, number__in=["C003", "C004"]).values_list("in_stock", flat=True)) == {True}


def test_kit_page_refusal_is_shown_and_nothing_posted(production, plant, kit_item):
    from inventory.models import StockMove

    before = StockMove.objects.count()
    data = {"action": "disassemble", "item": kit_item.pk, "location": plant.warehouse.pk, "quantity": "", "numbers": "K9999"}
    response = production.post(reverse("manufacturing:kit"), data)
    assert response.status_code == 422 and response.context["form"].errors["numbers"]
    assert StockMove.objects.count() == before
    missing = production.post(reverse("manufacturing:kit"), {**data, "action": "assemble", "numbers": ""})
    assert "Give how many kits" in missing.content.decode()


def kit_form_html(response) -> str:
    return response.content.decode().split('data-testid="kit-form"')[1].split("</form>")[0]


def field_html(form_html: str, name: str) -> str:
    return form_html.split(f'id="div_id_{name}"')[1].split('id="div_id_')[0]


def test_kit_page_shows_a_component_shortage_once_above_the_form(production, plant, kit_item):
    # 20 kits need 40 chips; 20 are in stock.
    data = {"action": "assemble", "item": kit_item.pk, "location": plant.warehouse.pk, "quantity": "20", "numbers": ""}
    response = production.post(reverse("manufacturing:kit"), data)
    assert response.status_code == 422
    html = kit_form_html(response)
    assert html.count("not enough CHIP") == 1
    errors = html.split('data-testid="form-errors"')[1].split("</div></div>")[0]
    assert "not enough CHIP at WH1" in errors and "short by 20" in errors


def test_kit_page_shows_a_refused_kit_number_once_next_to_the_numbers(production, plant, kit_item):
    data = {"action": "disassemble", "item": kit_item.pk, "location": plant.warehouse.pk, "quantity": "", "numbers": "K9999"}
    html = kit_form_html(production.post(reverse("manufacturing:kit"), data))
    assert html.count("unknown serial number") == 1
    assert "unknown serial number" in field_html(html, "numbers")
    assert 'data-testid="form-errors"' not in html and "Line 1" not in html


def test_kit_page_shows_a_bad_quantity_once_next_to_the_quantity(production, plant, kit_item):
    data = {"action": "assemble", "item": kit_item.pk, "location": plant.warehouse.pk, "quantity": "1.5", "numbers": ""}
    html = kit_form_html(production.post(reverse("manufacturing:kit"), data))
    assert html.count("must be whole units") == 1
    assert "must be whole units" in field_html(html, "quantity")


def test_kit_page_is_refused_to_a_viewer(client, plant, kit_item):
    sign_in(client, plant.company, group="Viewer")
    assert client.get(reverse("manufacturing:kit")).status_code == 403


def test_bom_list_shows_components_in_constant_queries(production, plant):
    def count():
        production.get(reverse("manufacturing:bom-list"))
        with CaptureQueriesContext(connection) as captured:
            response = production.get(reverse("manufacturing:bom-list"))
        return len(captured), response.content.decode()

    few, body = count()
    assert body.count('data-testid="bom-row"') == 1 and "RESIN" in body and "CHIP" in body
    for n in range(10):
        item = ItemFactory(company=plant.company, sku=f"EXTRA{n}")
        BomFactory(company=plant.company, item=item, components=[(plant.resin, 1), (plant.chip, 2)])
    many, body = count()
    assert body.count('data-testid="bom-row"') == 11 and many == few
