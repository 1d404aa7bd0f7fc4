import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import (
    Allocation,
    Balance,
    Company,
    CostLayer,
    Counter,
    Document,
    DocumentLine,
    ExpirySummary,
    GenealogyLink,
    ImportRun,
    Item,
    ItemCost,
    Location,
    LocationKind,
    Lot,
    LotHoldEvent,
    LotSerialClass,
    LotStatus,
    Membership,
    NumberSegment,
    Partner,
    PendingNumbers,
    SegmentKind,
    StockMove,
    StockSummary,
    SubmissionKey,
    Tracking,
)
from inventory.services import lot_hold, membership_add
from tests.inventory.factories import CompanyFactory, ItemFactory, LocationFactory, LotClassFactory, PartnerFactory
from tests.inventory.flows import issue, receive

SETUP_MODELS = [Company, Membership, Location, Partner, LotSerialClass, Item]
READ_ONLY_MODELS = [
    Counter,
    StockMove,
    Balance,
    StockSummary,
    ExpirySummary,
    ItemCost,
    CostLayer,
    GenealogyLink,
    LotHoldEvent,
    Document,
    Allocation,
    SubmissionKey,
    PendingNumbers,
]
MODELS = [*SETUP_MODELS, Lot, *READ_ONLY_MODELS]


def admin_url(model, view, *args):
    return reverse(f"admin:inventory_{model._meta.model_name}_{view}", args=args)


def by_name(models):
    return pytest.mark.parametrize("model", models, ids=lambda m: m.__name__)


@pytest.fixture
def serial_item(company):
    return ItemFactory(company=company, lot_class=LotClassFactory(company=company))


@pytest.fixture
def world(company, warehouse, user, serial_item):
    """One object of every registered model, each with a search term that finds it."""
    document = receive(item=serial_item, location=warehouse, numbers="A1 A2")
    first, second = Lot.objects.filter(item=serial_item).order_by("number")
    link = GenealogyLink.objects.create(company=company, consumed=first, produced=second, quantity=1)
    return {
        Company: (company, company.code),
        Membership: (membership_add(user=user, company=company), user.username),
        Location: (warehouse, warehouse.code),
        Partner: (PartnerFactory(company=company, code="ACME"), "ACME"),
        LotSerialClass: (serial_item.lot_class, serial_item.lot_class.code),
        Item: (serial_item, serial_item.sku),
        Counter: (Counter.objects.get(company=company, key__startswith="doc:"), "doc:"),
        Lot: (first, "A1"),
        StockMove: (StockMove.objects.get(to_lot=first), "A1"),
        Balance: (Balance.objects.get(lot=first), "A1"),
        StockSummary: (StockSummary.objects.get(item=serial_item, location=warehouse), serial_item.sku),
        ExpirySummary: (
            ExpirySummary.objects.create(company=company, item=serial_item, location=warehouse, expiry_date="2031-01-31"),
            serial_item.sku,
        ),
        ItemCost: (ItemCost.objects.get(item=serial_item), serial_item.sku),
        CostLayer: (CostLayer.objects.filter(item=serial_item).first(), serial_item.sku),
        GenealogyLink: (link, "A1"),
        LotHoldEvent: (lot_hold(lot=second, reason="QA").hold_events.get(), "A2"),
        Document: (document, document.number),
        Allocation: (Allocation.objects.get(number=first.number), "A1"),
        SubmissionKey: (SubmissionKey.objects.create(company=company, key="k-7f3a", document=document), "k-7f3a"),
        PendingNumbers: (_sold_without_its_number(serial_item, warehouse), "DL-"),
    }


def _sold_without_its_number(item, location):
    """A posted delivery of one unit whose serial is still to follow."""
    from inventory.models import DocumentKind
    from inventory.services import document_create, document_line_add, document_post

    delivery = document_create(company=item.company, kind=DocumentKind.DELIVERY, from_location=location)
    document_line_add(document=delivery, item=item, quantity=1)
    document_post(document=delivery, numbers_to_follow=True)
    return PendingNumbers.objects.get(document=delivery)


def management_form(prefix, total=0):
    return {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000}


def lot_class_data(company, segments, tracking=Tracking.SERIAL):
    data = {
        "company": company.pk,
        "code": "SER",
        "name": "Serials",
        "tracking": tracking,
        "expiry_alert_days": 30,
        "assignment": "received",
        "issue_method": "fifo",
        "batch_size": 1000,
        "number_check": "none",
        **management_form("segments", len(segments)),
    }
    for i, (kind, value) in enumerate(segments):
        data |= {f"segments-{i}-position": i, f"segments-{i}-kind": kind, f"segments-{i}-value": value}
    return data


def item_data(company, lot_class, *, is_stocked=True):
    data = {
        "company": company.pk,
        "sku": "NEW1",
        "name": "New item",
        "uom": "ea",
        "lot_class": lot_class.pk,
        "tracking_scope": "full",
        "valuation_method": "fifo",
        "unit_cost": "0",
        "is_active": "on",
    }
    return data | ({"is_stocked": "on"} if is_stocked else {})


def test_admin_registers_every_inventory_model_but_the_inlined():
    inlined = {NumberSegment, DocumentLine}
    tested_elsewhere = {ImportRun}  # the import page's own tests: test_import_admin.py
    assert set(apps.get_app_config("inventory").get_models()) - inlined - tested_elsewhere == set(MODELS)
    assert all(admin.site.is_registered(model) for model in [*MODELS, *tested_elsewhere])


@by_name(MODELS)
def test_admin_changelist_lists_object(admin_client, world, model):
    obj, _ = world[model]
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert obj in response.context["cl"].result_list


@by_name(MODELS)
def test_admin_search_finds_object_by_its_term(admin_client, world, model):
    obj, term = world[model]
    found = admin_client.get(admin_url(model, "changelist"), {"q": term})
    missed = admin_client.get(admin_url(model, "changelist"), {"q": "no-such-thing"})
    assert found.status_code == missed.status_code == 200
    assert obj in found.context["cl"].result_list
    assert list(missed.context["cl"].result_list) == []


@by_name(MODELS)
def test_admin_change_page_opens(admin_client, world, model):
    obj, _ = world[model]
    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200
    assert response.context["original"] == obj


@by_name(MODELS)
def test_admin_add_page_opens_only_for_setup_models(admin_client, db, model):
    response = admin_client.get(admin_url(model, "add"))
    assert response.status_code == (200 if model in SETUP_MODELS else 403)


def test_stock_move_admin_change_page_has_no_save_button(admin_client, world):
    move, _ = world[StockMove]
    response = admin_client.get(admin_url(StockMove, "change", move.pk))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content


@by_name([Lot, *READ_ONLY_MODELS])
def test_admin_delete_is_refused_for_stock_records(admin_client, world, model):
    obj, _ = world[model]
    response = admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"})
    assert response.status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


@by_name(READ_ONLY_MODELS)
def test_admin_change_post_is_refused_for_read_only_models(admin_client, world, model):
    obj, _ = world[model]
    response = admin_client.post(admin_url(model, "change", obj.pk), {"quantity": "5", "next_value": "9"})
    assert response.status_code == 403


def test_company_admin_add_creates_virtual_locations(admin_client, db):
    data = {"name": "Acme", "code": "acme", "tracking_enabled": "on", "date_format": "%d/%m/%Y", **management_form("memberships")}
    response = admin_client.post(admin_url(Company, "add"), data)
    assert response.status_code == 302
    kinds = set(Location.objects.filter(company__code="acme").values_list("kind", flat=True))
    assert kinds == {LocationKind.SUPPLIER, LocationKind.CUSTOMER, LocationKind.PRODUCTION, LocationKind.ADJUSTMENT}


@pytest.mark.parametrize(
    "segments",
    [[], [(SegmentKind.CONSTANT, "SN")], [(SegmentKind.COUNTER, "1"), (SegmentKind.COUNTER, "1")]],
    ids=["empty", "no-counter", "two-counters"],
)
def test_lot_class_admin_rejects_tracked_class_without_one_counter(admin_client, company, segments):
    response = admin_client.post(admin_url(LotSerialClass, "add"), lot_class_data(company, segments))
    assert response.status_code == 200
    assert b"The numbering template needs exactly one auto-incremental segment" in response.content
    assert not LotSerialClass.objects.filter(code="SER").exists()


def test_lot_class_admin_saves_segments_in_order(admin_client, company):
    segments = [(SegmentKind.CONSTANT, "SN"), (SegmentKind.DATE, "YY"), (SegmentKind.COUNTER, "0001")]
    response = admin_client.post(admin_url(LotSerialClass, "add"), lot_class_data(company, segments))
    assert response.status_code == 302
    saved = LotSerialClass.objects.get(code="SER").segments.order_by("position")
    assert [(s.kind, s.value) for s in saved] == segments


def test_lot_class_admin_accepts_untracked_class_without_template(admin_client, company):
    response = admin_client.post(admin_url(LotSerialClass, "add"), lot_class_data(company, [], Tracking.NONE))
    assert response.status_code == 302
    assert LotSerialClass.objects.filter(code="SER").exists()


def test_item_admin_creates_tracked_item(admin_client, company):
    response = admin_client.post(admin_url(Item, "add"), item_data(company, LotClassFactory(company=company)))
    assert response.status_code == 302
    assert Item.objects.get(sku="NEW1").is_serial


def item_add_errors(client, data):
    response = client.post(admin_url(Item, "add"), data)
    assert response.status_code == 200
    assert not Item.objects.filter(sku="NEW1").exists()
    return response.context["adminform"].form.errors


def test_item_admin_rejects_tracked_class_on_lookup_item(admin_client, company):
    data = item_data(company, LotClassFactory(company=company), is_stocked=False)
    assert "cannot have a tracked" in item_add_errors(admin_client, data)["lot_class"][0]


def test_item_admin_rejects_class_of_another_company(admin_client, company):
    data = item_data(company, LotClassFactory(company=CompanyFactory()))
    assert "another company" in item_add_errors(admin_client, data)["lot_class"][0]


def test_item_admin_rejects_tracked_class_when_company_tracking_is_off(admin_client):
    company = CompanyFactory(tracking_enabled=False)
    data = item_data(company, LotClassFactory(company=company))
    assert "tracking turned off" in item_add_errors(admin_client, data)["lot_class"][0]


def test_location_admin_rejects_parent_of_another_company(admin_client, company):
    data = {
        "company": company.pk,
        "code": "BIN1",
        "name": "Bin 1",
        "kind": "internal",
        "is_active": "on",
        "parent": LocationFactory(company=CompanyFactory()).pk,
    }
    response = admin_client.post(admin_url(Location, "add"), data)
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors


def test_lot_admin_changes_only_editable_fields(admin_client, world):
    lot, _ = world[Lot]
    data = {
        "number": "CHANGED",
        "in_stock": "",
        "status": LotStatus.ON_HOLD,
        "hold_reason": "QA check",
        "expiry_date": "",
        "reference": "",
        "notes": "",
    }
    response = admin_client.post(admin_url(Lot, "change", lot.pk), data)
    assert response.status_code == 302
    lot.refresh_from_db()
    assert (lot.number, lot.in_stock, lot.status, lot.hold_reason) == ("A1", True, LotStatus.ON_HOLD, "QA check")


def test_lot_admin_save_keeps_stock_state_posted_meanwhile(rf, admin_user, serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers="A1")
    stale = Lot.objects.get(item=serial_item, number="A1")
    issue(item=serial_item, location=warehouse, quantity=1, numbers="A1")
    lot_admin = admin.site.get_model_admin(Lot)
    request = rf.post("/")
    request.user = admin_user
    form = lot_admin.get_form(request, stale, change=True)({"status": "active", "notes": "checked"}, instance=stale)
    assert form.is_valid(), form.errors
    lot_admin.save_model(request, form.save(commit=False), form, change=True)
    stale.refresh_from_db()
    assert (stale.notes, stale.in_stock) == ("checked", False)


@by_name([Lot, StockMove, Balance, Allocation, Document])
def test_admin_changelist_queries_do_not_grow_with_rows(admin_client, serial_item, warehouse, model):
    receive(item=serial_item, location=warehouse, numbers="S1-S3")
    url = admin_url(model, "changelist")
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    for start in range(4, 31, 3):
        bin_ = LocationFactory(company=serial_item.company)
        receive(item=serial_item, location=bin_, numbers=f"S{start}-S{start + 2}")
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url)
    assert len(response.context["cl"].result_list) >= 10
    assert len(many) == len(few)


def test_admin_refuses_to_change_the_tracking_of_an_item_that_has_moved(admin_client, company, warehouse, serial_item):
    receive(item=serial_item, location=warehouse, numbers="Z1")
    untracked = LotSerialClass.objects.create(company=company, code="NONE", name="Untracked")
    url = reverse("admin:inventory_item_change", args=[serial_item.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        company=company.pk,
        lot_class=untracked.pk,
        unit_cost="10",
        tracking_scope=serial_item.tracking_scope,
        valuation_method=serial_item.valuation_method,
        uom=serial_item.uom,
        is_stocked="on",
        is_active="on",
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "its tracking can no longer change" in response.content.decode()
    serial_item.refresh_from_db()
    assert serial_item.lot_class_id != untracked.pk


def test_admin_lot_expiry_edit_reaches_the_lots_serials_and_release_clears_the_reason(admin_client, company, warehouse):
    from datetime import date

    from inventory.models import Tracking
    from inventory.services import lot_hold

    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT_AND_SERIAL, track_expiry=True))
    receive(item=item, location=warehouse, numbers="P1 P2", parent_number="LOT-A", expiry=date(2030, 1, 1))
    lot = Lot.objects.get(number="LOT-A")
    lot_hold(lot=lot, reason="recall")
    url = reverse("admin:inventory_lot_change", args=[lot.pk])
    response = admin_client.post(
        url, {"status": "active", "hold_reason": "recall", "expiry_date": "2031-06-30", "reference": "", "notes": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    lot.refresh_from_db()
    assert lot.status == "active" and lot.hold_reason == ""
    assert set(Lot.objects.filter(parent=lot).values_list("expiry_date", flat=True)) == {date(2031, 6, 30)}


def test_admin_refuses_to_turn_tracking_off_while_lots_are_in_stock(admin_client, company, warehouse, serial_item):
    receive(item=serial_item, location=warehouse, numbers="Z9")
    url = reverse("admin:inventory_company_change", args=[company.pk])
    data = {
        "name": company.name,
        "code": company.code,
        **management_form("memberships"),
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "tracking cannot be turned off" in response.content.decode()
    company.refresh_from_db()
    assert company.tracking_enabled


def test_lot_admin_changelist_shows_a_lots_on_hand_and_a_serials_flag(admin_client, company, warehouse, warehouse2):
    lots = ItemFactory(company=company, sku="FLOUR", lot_class=LotClassFactory(company=company, tracking=Tracking.LOT))
    receive(item=lots, location=warehouse, numbers=["F-60"], quantity=40)
    receive(item=lots, location=warehouse2, numbers=["F-60"], quantity=20)
    serials = ItemFactory(company=company, sku="VAX", lot_class=LotClassFactory(company=company, tracking=Tracking.LOT_AND_SERIAL))
    receive(item=serials, location=warehouse, generate=2, parent_number="VX-LOT")
    response = admin_client.get(admin_url(Lot, "changelist"))
    rows = {lot.number: lot for lot in response.context["cl"].result_list}
    assert (rows["F-60"].on_hand, rows["VX-LOT"].on_hand, rows["SN0001"].on_hand) == (60, 2, 1)
    body = response.content.decode()
    f60 = body[body.index(">F-60<") :]
    f60 = f60[: f60.index("</tr>")]
    assert '<td class="field-on_hand">60</td>' in f60 and "icon-no" not in f60 and '<td class="field-serial_in_stock">-</td>' in f60
    serial = body[body.index(">SN0001<") :]
    assert "icon-yes" in serial[: serial.index("</tr>")]


def test_lot_class_admin_refuses_a_pattern_that_is_not_a_regular_expression(admin_client, company):
    data = lot_class_data(company, [(SegmentKind.COUNTER, "0001")]) | {"number_check": "pattern", "number_pattern": "[A-Z"}
    response = admin_client.post(admin_url(LotSerialClass, "add"), data)
    assert response.status_code == 200
    assert b"is not a valid regular expression" in response.content
    assert not LotSerialClass.objects.filter(code="SER").exists()


def test_lot_class_admin_needs_the_pattern_it_checks(admin_client, company):
    data = lot_class_data(company, [(SegmentKind.COUNTER, "0001")]) | {"number_check": "pattern", "number_pattern": ""}
    response = admin_client.post(admin_url(LotSerialClass, "add"), data)
    assert response.status_code == 200
    assert b"Give the pattern the numbers must match." in response.content
