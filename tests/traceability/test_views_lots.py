"""The Lots/Serial Numbers pages (seed 002): list, export, create, the tabs, archive and delete,
roles and query counts, through the real services."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from inventory.models import DocumentKind, Lot, LotHoldEvent, LotStatus, MoveReason, Tracking
from inventory.services import MoveSpec, document_create, document_line_add, document_post, line_allocate, lot_create, lot_edit, moves_post
from tests.inventory.factories import CompanyFactory, ItemFactory, LocationFactory, LotClassFactory, PartnerFactory
from tests.inventory.flows import issue, receive
from tests.traceability.conftest import sign_in

pytestmark = pytest.mark.django_db
EXPIRY = date(2031, 1, 31)
LIST = reverse("traceability:lot-list")
CREATE = reverse("traceability:lot-create")
EXPORT = reverse("traceability:lot-export")
LOT_TABS = ["lot-detail", "lot-update", "lot-locations", "lot-history", "lot-archive"]


def url(name, lot):
    return reverse(f"traceability:{name}", kwargs={"lot_pk": lot.pk})


def numbers(response) -> list[str]:
    return [row.record.number for row in response.context["table"].paginated_rows]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def milk(company, lot_item, warehouse):
    """Lot L-A of 5 (reference SUP-7) at WH1, 2 of it delivered; lot L-B of 4, expiring later."""
    receive(item=lot_item, location=warehouse, numbers=["L-A"], quantity=5, expiry=EXPIRY)
    receive(item=lot_item, location=warehouse, numbers=["L-B"], quantity=4, expiry=EXPIRY + timedelta(days=100))
    issue(item=lot_item, location=warehouse, quantity=2, numbers=["L-A"], lot_quantity=Decimal(2))
    lots = {lot.number: lot for lot in Lot.objects.filter(item=lot_item)}
    Lot.objects.filter(pk=lots["L-A"].pk).update(reference="SUP-7")
    return lots


# List -----------------------------------------------------------------------------------------


def test_lot_list_shows_the_columns_of_seed_002(clerk, company, milk):
    response = clerk.get(LIST)
    content = response.content.decode()
    headers = [str(column.header) for column in response.context["table"].columns]
    assert headers == ["Lot/Serial Number", "Product", "Quantity", "Reference", "Company", "Expiration date", "Status"]
    assert numbers(response) == ["L-A", "L-B"]
    row = response.context["table"].paginated_rows[0]
    assert (row.record.on_hand, row.record.reference) == (Decimal(3), "SUP-7")
    assert "MILK</a> — Milk" in content and company.name in content
    assert url("lot-detail", milk["L-A"]) in content


def test_lot_list_shows_only_the_active_company(clerk, company, milk):
    other = CompanyFactory()
    item = ItemFactory(company=other, lot_class=LotClassFactory(company=other))
    receive(item=item, location=LocationFactory(company=other), numbers=["FOREIGN"])
    assert "FOREIGN" not in numbers(clerk.get(LIST))


def test_lot_list_hides_archived_lots_unless_the_status_filter_asks(clerk, company, serial_item):
    kept, gone = (lot_create(company=company, item=serial_item, number=n) for n in ("S1", "S2"))
    Lot.objects.filter(pk=gone.pk).update(status=LotStatus.ARCHIVED)
    assert numbers(clerk.get(LIST)) == ["S1"]
    assert numbers(clerk.get(LIST, {"status": "archived"})) == ["S2"]
    assert numbers(clerk.get(LIST, {"status": "all"})) == ["S1", "S2"]


def test_lot_list_filters_by_product(clerk, company, milk, serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers=["S1"])
    assert numbers(clerk.get(LIST, {"item": serial_item.pk})) == ["S1"]


def test_lot_list_product_filter_offers_only_tracked_products(clerk, company, serial_item):
    untracked = ItemFactory(company=company)
    choices = [str(value) for value, _ in clerk.get(LIST).context["filter"].form.fields["item"].choices]
    assert str(serial_item.pk) in choices and str(untracked.pk) not in choices


def test_lot_list_filters_by_location_with_stock_there(clerk, company, milk, lot_item, warehouse2):
    receive(item=lot_item, location=warehouse2, numbers=["L-C"], quantity=1, expiry=EXPIRY)
    assert numbers(clerk.get(LIST, {"location": warehouse2.pk})) == ["L-C"]


def test_lot_list_filters_by_expiry_and_creation_dates(clerk, company, milk):
    assert numbers(clerk.get(LIST, {"expiry_min": EXPIRY + timedelta(days=1)})) == ["L-B"]
    assert numbers(clerk.get(LIST, {"expiry_max": EXPIRY})) == ["L-A"]
    today = timezone.localdate()
    assert numbers(clerk.get(LIST, {"created_min": today, "created_max": today})) == ["L-A", "L-B"]
    assert numbers(clerk.get(LIST, {"created_max": today - timedelta(days=1)})) == []


def test_lot_list_filters_by_status(clerk, company, milk):
    lot_edit(lot=milk["L-B"], reference="", notes="", expiry_date=milk["L-B"].expiry_date, status=LotStatus.ON_HOLD, hold_reason="lab")
    assert numbers(clerk.get(LIST, {"status": "on_hold"})) == ["L-B"]


def test_lot_list_company_filter_offers_the_active_company_only(clerk, company, milk):
    other = CompanyFactory()
    field = clerk.get(LIST).context["filter"].form.fields["company"]
    assert [c.pk for c in field.queryset] == [company.pk]
    assert numbers(clerk.get(LIST, {"company": company.pk})) == ["L-A", "L-B"]
    response = clerk.get(LIST, {"company": other.pk})
    assert numbers(response) == [] and b'data-testid="filter-errors"' in response.content


@pytest.mark.parametrize("q, found", [("l-a", ["L-A"]), ("sup-", ["L-A"]), ("L-", ["L-A", "L-B"]), ("nothing", [])])
def test_lot_list_searches_number_or_reference(clerk, company, milk, q, found):
    assert numbers(clerk.get(LIST, {"q": q})) == found


def test_lot_list_search_of_an_exact_number_shows_that_lot(clerk, company, serial_item):
    for n in ("SN1", "SN10", "SN11"):
        lot_create(company=company, item=serial_item, number=n)
    assert numbers(clerk.get(LIST, {"q": "SN1"})) == ["SN1"]
    assert numbers(clerk.get(LIST, {"q": "SN1", "status": "all"})) == ["SN1"]


@pytest.mark.parametrize(
    "params",
    [{"created_min": "garbage"}, {"expiry_max": "2024-13-45"}, {"item": "abc"}, {"location": "999999"}, {"status": "nope"}, {"group": "x"}],
)
def test_lot_list_malformed_filter_shows_an_error_not_a_500(clerk, company, milk, params):
    response = clerk.get(LIST, params)
    assert response.status_code == 200
    assert b'data-testid="filter-errors"' in response.content
    assert numbers(response) == []


def test_lot_list_location_of_another_company_is_an_invalid_choice(clerk, company, milk):
    response = clerk.get(LIST, {"location": LocationFactory(company=CompanyFactory()).pk})
    assert b'data-testid="filter-errors"' in response.content


@pytest.mark.parametrize("grouping", [{}, {"group": "product"}])
@pytest.mark.parametrize("page_number", ["99999999999999999999", "-3", "abc", "4"])
def test_lot_list_bad_or_out_of_range_page_shows_a_page(clerk, company, milk, page_number, grouping):
    response = clerk.get(LIST, {"page": page_number, **grouping})
    assert response.status_code == 200
    assert numbers(response) == ["L-A", "L-B"]


def test_lot_list_pages_by_50_and_shows_the_last_page_when_past_it(clerk, company, serial_item, warehouse):
    receive(item=serial_item, location=warehouse, generate=60)
    assert len(numbers(clerk.get(LIST))) == 50
    assert numbers(clerk.get(LIST, {"page": 9})) == [f"SN{n:04d}" for n in range(51, 61)]


@pytest.mark.parametrize(
    "sort, first", [("-on_hand", "L-B"), ("on_hand", "L-A"), ("-number", "L-B"), ("-expiry_date", "L-B"), ("item", "L-A")]
)
def test_lot_list_sorts_by_column(clerk, company, milk, sort, first):
    assert numbers(clerk.get(LIST, {"sort": sort}))[0] == first


def test_lot_list_group_by_product_totals_the_whole_filtered_set(clerk, company, lot_item, serial_item, warehouse):
    receive(item=lot_item, location=warehouse, numbers=["L-A"], quantity=5, expiry=EXPIRY)
    receive(item=serial_item, location=warehouse, generate=55)
    response = clerk.get(LIST, {"group": "product"})
    groups = {item.sku: (totals["lots"], totals["quantity"], len(lots)) for item, totals, lots in response.context["groups"]}
    # The page holds 50 rows (MILK's lot, then 49 phones); the totals count all 55 phones.
    assert groups == {"MILK": (1, Decimal(5), 1), "PHONE": (55, Decimal(55), 49)}
    content = response.content.decode()
    assert content.count('data-testid="group-row"') == 2 and 'data-bs-toggle="collapse"' in content


def test_lot_list_group_totals_follow_the_filter(clerk, company, milk):
    response = clerk.get(LIST, {"group": "product", "q": "L-B"})
    [(item, totals, lots)] = response.context["groups"]
    assert (totals["lots"], totals["quantity"], [lot.number for lot in lots]) == (1, Decimal(4), ["L-B"])


# Export ---------------------------------------------------------------------------------------


def test_lot_export_streams_exactly_the_filtered_lots(clerk, company, milk):
    response = clerk.get(EXPORT, {"q": "L-B"})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert rows[0][:4] == ["Lot/Serial Number", "Product", "Product name", "Quantity"]
    assert rows[1:] == [["L-B", "MILK", "Milk", "4", "", company.name, (EXPIRY + timedelta(days=100)).isoformat(), "Active", rows[1][8]]]


def test_lot_export_neutralises_spreadsheet_formulas(clerk, company, serial_item):
    for number, reference in (("=1+1", "@SUM(A1)"), ("+X", "-2"), ("OK", "\tTAB")):
        lot_create(company=company, item=serial_item, number=number, reference=reference)
    rows = {row[0]: row[4] for row in csv_rows(clerk.get(EXPORT))[1:]}
    assert rows == {"'=1+1": "'@SUM(A1)", "'+X": "'-2", "OK": "'\tTAB"}


def test_lot_export_hides_archived_lots_like_the_list(clerk, company, serial_item):
    lot = lot_create(company=company, item=serial_item, number="S1")
    Lot.objects.filter(pk=lot.pk).update(status=LotStatus.ARCHIVED)
    assert len(csv_rows(clerk.get(EXPORT))) == 1
    assert len(csv_rows(clerk.get(EXPORT, {"status": "archived"}))) == 2


def test_lot_export_with_a_malformed_filter_goes_back_to_the_list_with_a_message(clerk, company):
    response = clerk.get(EXPORT, {"created_min": "garbage"}, follow=True)
    assert response.redirect_chain[-1][0].startswith(LIST)
    assert "The export was not made: correct the filter first." in messages_of(response)


# Create ---------------------------------------------------------------------------------------


def form_data(item, **fields):
    return {
        "item": item.pk,
        "number": "",
        "quantity": "0",
        "location": "",
        "parent_number": "",
        "reference": "",
        "expiry_date": "",
        "notes": "",
        **fields,
    }


def test_lot_create_form_offers_tracked_products_and_the_active_company(clerk, company, serial_item):
    untracked = ItemFactory(company=company)
    response = clerk.get(CREATE)
    form = response.context["form"]
    assert list(form.fields["item"].queryset) == [serial_item] and untracked not in form.fields["item"].queryset
    assert list(form.fields["company"].queryset) == [company] and form.fields["company"].disabled
    content = response.content.decode()
    for label in (
        "Lot/Serial Number",
        "Product",
        "Quantity",
        "Reference",
        "Company",
        "Description / Notes",
        "Create",
        "Create &amp; Create Another",
        "Cancel",
    ):
        assert label in content, label


def test_lot_create_with_quantity_zero_opens_the_lot_page(clerk, company, clerk_user, serial_item):
    response = clerk.post(CREATE, form_data(serial_item, number="S-77", reference="PO 1", notes="spare"), follow=True)
    lot = Lot.objects.get(number="S-77")
    assert response.redirect_chain[-1][0] == url("lot-detail", lot)
    assert messages_of(response) == ["S-77 created."]
    assert f"by {clerk_user.username}</dd>" in response.content.decode()
    assert (lot.reference, lot.notes, lot.moves_in.count()) == ("PO 1", "spare", 0)


def test_lot_create_with_quantity_posts_an_adjustment(clerk, company, lot_item, warehouse):
    response = clerk.post(
        CREATE, form_data(lot_item, number="B1", quantity="7.5", location=warehouse.pk, expiry_date="2031-01-31"), follow=True
    )
    lot = Lot.objects.get(number="B1")
    assert messages_of(response) == [f"B1 created with 7.5 at {warehouse.code}."]
    move = lot.moves_in.get()
    assert (move.document.kind, move.quantity, move.to_location) == (DocumentKind.ADJUSTMENT, Decimal("7.5"), warehouse)


def test_lot_create_blank_number_takes_the_next_generated(clerk, company, serial_item):
    clerk.post(CREATE, form_data(serial_item))
    assert Lot.objects.get(item=serial_item).number == "SN0001"


@pytest.mark.parametrize("quantity", ["2", "0.5"])
def test_lot_create_serial_quantity_must_be_one_shown_at_the_field(clerk, company, serial_item, warehouse, quantity):
    response = clerk.post(CREATE, form_data(serial_item, number="S1", quantity=quantity, location=warehouse.pk, reference="typed"))
    form = response.context["form"]
    assert response.status_code == 200 and "quantity" in form.errors
    assert form["reference"].value() == "typed" and form["number"].value() == "S1"
    assert not Lot.objects.filter(number="S1").exists()


def test_lot_create_expiry_required_where_the_class_tracks_it(clerk, company, lot_item):
    form = clerk.post(CREATE, form_data(lot_item, number="B1")).context["form"]
    assert "tracks expiration dates" in form.errors["expiry_date"][0]


def test_lot_create_quantity_needs_a_location(clerk, company, lot_item):
    form = clerk.post(CREATE, form_data(lot_item, number="B1", quantity="3", expiry_date="2031-01-31")).context["form"]
    assert form.errors["location"] == ["Choose where the stock is."]


def test_lot_create_duplicate_number_is_refused_next_to_the_number(clerk, company, serial_item):
    lot_create(company=company, item=serial_item, number="S1")
    response = clerk.post(CREATE, form_data(serial_item, number="S1", notes="kept"))
    form = response.context["form"]
    assert form.errors["number"] == [f"S1 already exists for {serial_item.sku}."]
    assert form["notes"].value() == "kept"
    assert Lot.objects.filter(number="S1").count() == 1


def test_lot_create_product_of_another_company_is_an_invalid_choice(clerk, company):
    other = CompanyFactory()
    item = ItemFactory(company=other, lot_class=LotClassFactory(company=other))
    form = clerk.post(CREATE, form_data(item, number="S1")).context["form"]
    assert "item" in form.errors and not Lot.objects.exists()


def test_lot_create_and_create_another_opens_a_blank_form(clerk, company, serial_item):
    response = clerk.post(CREATE, {**form_data(serial_item, number="S9"), "another": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == CREATE
    assert messages_of(response) == [f"S9 ({serial_item.sku}) created. Create another below."]
    assert not response.context["form"].is_bound


def test_lot_create_with_stock_needs_the_right_to_post_adjustments(client, company, serial_item, warehouse):
    sign_in(client, company, group="Setup")  # may add lots, may not post documents
    form = client.post(CREATE, form_data(serial_item, number="S1", quantity="1", location=warehouse.pk)).context["form"]
    assert "does not post stock adjustments" in form.errors["quantity"][0]
    assert client.post(CREATE, form_data(serial_item, number="S1")).status_code == 302


# The tabs -------------------------------------------------------------------------------------


def test_lot_view_tab_shows_the_lot(clerk, company, clerk_user, milk):
    lot = milk["L-A"]
    lot_edit(
        lot=lot,
        reference="SUP-7",
        notes="Certificate 42",
        expiry_date=lot.expiry_date,
        status=LotStatus.ON_HOLD,
        hold_reason="lab test",
        user=clerk_user,
    )
    content = clerk.get(url("lot-detail", lot)).content.decode()
    assert "MILK</a> — Milk" in content and "SUP-7" in content and "Certificate 42" in content
    assert 'data-testid="lot-on-hand">3 ' in content
    assert "On hold: lab test" in content
    assert "Put on hold" in content and clerk_user.username in content
    assert 'data-testid="lot-serial-count">0<' in content
    assert 'data-testid="lot-unit-cost">10<' in content


def test_lot_view_tab_of_a_serial_shows_its_state_and_its_lot(clerk, company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT_AND_SERIAL))
    receive(item=item, location=warehouse, numbers=["S1"], parent_number="LOT-1")
    serial, lot = Lot.objects.get(number="S1"), Lot.objects.get(number="LOT-1")
    content = clerk.get(url("lot-detail", serial)).content.decode()
    assert 'data-testid="lot-in-stock">Yes<' in content and warehouse.code in content
    assert f'href="{url("lot-detail", lot)}" data-testid="lot-parent">LOT-1<' in content
    assert 'data-testid="lot-serial-count">1<' in clerk.get(url("lot-detail", lot)).content.decode()


def test_lot_edit_tab_shows_the_saved_values(clerk, company, milk):
    lot = milk["L-A"]
    response = clerk.get(url("lot-update", lot))
    content = response.content.decode()
    assert 'name="reference" value="SUP-7"' in content
    assert f'name="expiry_date" value="{EXPIRY.isoformat()}"' in content
    assert response.context["form"]["status"].value() == LotStatus.ACTIVE


def test_lot_edit_tab_saves_and_records_the_hold(clerk, company, clerk_user, milk):
    lot = milk["L-B"]
    data = {
        "reference": "R-2",
        "notes": "moved to cold room",
        "expiry_date": "2032-02-02",
        "status": "on_hold",
        "hold_reason": "temperature",
    }
    response = clerk.post(url("lot-update", lot), data, follow=True)
    assert messages_of(response) == ["L-B saved."]
    lot.refresh_from_db()
    assert (lot.reference, lot.notes, lot.expiry_date, lot.status, lot.hold_reason) == (
        "R-2",
        "moved to cold room",
        date(2032, 2, 2),
        "on_hold",
        "temperature",
    )
    assert LotHoldEvent.objects.get(lot=lot).created_by == clerk_user


def test_lot_edit_tab_hold_without_reason_is_refused_at_the_field(clerk, company, milk):
    lot = milk["L-B"]
    data = {"reference": "R-2", "notes": "", "expiry_date": "2032-02-02", "status": "on_hold", "hold_reason": ""}
    form = clerk.post(url("lot-update", lot), data).context["form"]
    assert form.errors["hold_reason"] == ["Give the reason for the hold."]
    assert form["reference"].value() == "R-2"
    lot.refresh_from_db()
    assert (lot.status, lot.reference) == (LotStatus.ACTIVE, "")


def test_lot_locations_tab_shows_on_hand_where_it_arrived(clerk, company, lot_item, warehouse):
    zone = LocationFactory(company=company, code="Z1", parent=warehouse)
    receive(item=lot_item, location=zone, numbers=["L-A"], quantity=5, expiry=EXPIRY)
    lot = Lot.objects.get(number="L-A")
    response = clerk.get(url("lot-locations", lot))
    [row] = response.context["table"].paginated_rows
    assert (row.record["location_id"], row.record["quantity"]) == (zone.pk, Decimal(5))
    content = response.content.decode()
    assert (
        f"{warehouse.code} / Z1" in content
        and date_format(timezone.localtime(row.record["first_in_at"]), "SHORT_DATETIME_FORMAT") in content
    )


def test_lot_history_tab_lists_every_move_with_its_document(clerk, company, lot_item, warehouse, warehouse2):
    supplier = PartnerFactory(company=company, name="Dairy Co")
    document = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse, partner=supplier)
    line = document_line_add(document=document, item=lot_item, quantity=Decimal(5), unit_cost=Decimal("2.5"), expiry_date=EXPIRY)
    line_allocate(line=line, numbers=["L-A"], quantity=Decimal(5), expiry_date=EXPIRY)
    document_post(document=document)
    issue(
        kind=DocumentKind.TRANSFER,
        item=lot_item,
        location=warehouse,
        to_location=warehouse2,
        quantity=1,
        numbers=["L-A"],
        lot_quantity=Decimal(1),
    )
    issue(item=lot_item, location=warehouse2, quantity=1, numbers=["L-A"], lot_quantity=Decimal(1))
    lot = Lot.objects.get(number="L-A")
    response = clerk.get(url("lot-history", lot))
    rows = response.context["table"].paginated_rows
    assert [row.record.effect for row in rows] == ["out", "moved", "in"]
    content = response.content.decode()
    assert reverse("inventory:document-detail", kwargs={"document_pk": document.pk}) in content
    assert "Dairy Co" in content and "+5" in content and "−1" in content and "2.5" in content


def test_lot_archive_tab_confirms_before_archiving(clerk, company, serial_item):
    lot = lot_create(company=company, item=serial_item, number="S1")
    content = clerk.get(url("lot-archive", lot)).content.decode()
    assert 'data-testid="lot-archive"' in content and 'data-testid="lot-delete"' in content
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.ACTIVE


def test_lot_archive_then_restore(clerk, company, serial_item):
    lot = lot_create(company=company, item=serial_item, number="S1")
    response = clerk.post(url("lot-archive", lot), {"action": "archive"}, follow=True)
    assert messages_of(response) == ["S1 archived."]
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.ARCHIVED
    assert numbers(clerk.get(LIST)) == []
    clerk.post(url("lot-archive", lot), {"action": "restore"})
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.ACTIVE


def test_lot_archive_refuses_a_lot_with_stock_and_says_why(clerk, company, milk):
    lot = milk["L-A"]
    content = clerk.get(url("lot-archive", lot)).content.decode()
    assert 'data-testid="archive-blocked"' in content and 'data-testid="lot-archive"' not in content
    response = clerk.post(url("lot-archive", lot), {"action": "archive"})
    assert response.status_code == 422 and "still has stock on hand" in response.content.decode()
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.ACTIVE


def test_lot_delete_removes_an_unused_lot(clerk, company, serial_item):
    lot = lot_create(company=company, item=serial_item, number="S1")
    response = clerk.post(url("lot-archive", lot), {"action": "delete"}, follow=True)
    assert response.redirect_chain[-1][0] == LIST and messages_of(response) == ["S1 deleted."]
    assert not Lot.objects.filter(pk=lot.pk).exists()


def test_lot_delete_of_a_lot_with_history_says_to_archive_instead(clerk, company, milk):
    lot = milk["L-A"]
    response = clerk.post(url("lot-archive", lot), {"action": "delete"})
    assert response.status_code == 422 and "Archive it instead" in response.content.decode()
    assert Lot.objects.filter(pk=lot.pk).exists()


def test_lot_archive_unknown_action_is_refused(clerk, company, serial_item):
    lot = lot_create(company=company, item=serial_item, number="S1")
    assert clerk.post(url("lot-archive", lot), {"action": "explode"}).status_code == 400


# Roles, tracking, companies -------------------------------------------------------------------


def test_viewer_sees_the_pages_without_create_or_edit_buttons(client, company, serial_item):
    lot = lot_create(company=company, item=serial_item, number="S1")
    sign_in(client, company, group="Viewer")
    listing = client.get(LIST).content.decode()
    assert 'data-testid="lot-create"' not in listing and CREATE not in listing
    detail = client.get(url("lot-detail", lot)).content.decode()
    assert url("lot-update", lot) not in detail and url("lot-archive", lot) not in detail
    for name in ("lot-locations", "lot-history"):
        assert client.get(url(name, lot)).status_code == 200


def test_viewer_is_refused_every_write(client, company, serial_item):
    lot = lot_create(company=company, item=serial_item, number="S1")
    sign_in(client, company, group="Viewer")
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, form_data(serial_item, number="S2")).status_code == 403
    assert client.post(url("lot-update", lot), {"status": "on_hold", "hold_reason": "x"}).status_code == 403
    for action in ("archive", "delete"):
        assert client.post(url("lot-archive", lot), {"action": action}).status_code == 403
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.ACTIVE and not Lot.objects.filter(number="S2").exists()


def test_clerk_sees_create_and_edit_buttons(clerk, company, serial_item):
    lot = lot_create(company=company, item=serial_item, number="S1")
    assert 'data-testid="lot-create"' in clerk.get(LIST).content.decode()
    detail = clerk.get(url("lot-detail", lot)).content.decode()
    assert url("lot-update", lot) in detail and url("lot-archive", lot) in detail


def test_delete_needs_the_delete_right(client, company, serial_item):
    lot = lot_create(company=company, item=serial_item, number="S1")
    user = sign_in(client, company, group="Viewer")
    user.user_permissions.add(Permission.objects.get(codename="change_lot"))
    assert 'data-testid="lot-delete"' not in client.get(url("lot-archive", lot)).content.decode()
    assert client.post(url("lot-archive", lot), {"action": "delete"}).status_code == 403
    assert Lot.objects.filter(pk=lot.pk).exists()


@pytest.mark.parametrize("name", ["lot-list", "lot-create", "lot-export", *LOT_TABS])
def test_pages_show_the_tracking_off_page_when_tracking_is_disabled(clerk, company, serial_item, name):
    lot = lot_create(company=company, item=serial_item, number="S1")
    company.tracking_enabled = False
    company.save(update_fields=["tracking_enabled"])
    response = clerk.get(url(name, lot) if name in LOT_TABS else reverse(f"traceability:{name}"))
    assert response.status_code == 404 and b'data-testid="tracking-off"' in response.content


def test_lot_of_another_company_is_404_even_to_post(clerk, company):
    other = CompanyFactory()
    lot = lot_create(company=other, item=ItemFactory(company=other, lot_class=LotClassFactory(company=other)), number="S1")
    assert clerk.get(url("lot-detail", lot)).status_code == 404
    assert clerk.post(url("lot-archive", lot), {"action": "delete"}).status_code == 404
    assert Lot.objects.filter(pk=lot.pk).exists()


# Query counts ---------------------------------------------------------------------------------


def count_queries(client, target, params=None) -> int:
    client.get(target, params)  # warm what is not per row (content types, permissions)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(target, params)
    assert response.status_code == 200
    return len(captured)


def _lots(company, warehouse, n):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, batch_size=10_000))
    receive(item=item, location=warehouse, generate=n)
    return item


@pytest.mark.parametrize("params", [{}, {"group": "product"}, {"q": "SN", "sort": "-on_hand"}])
def test_lot_list_query_count_does_not_grow_with_rows(client, params):
    counts = []
    for n in (10, 1000):
        company = CompanyFactory()
        sign_in(client, company)
        _lots(company, LocationFactory(company=company), n)
        counts.append(count_queries(client, LIST, params))
    assert counts[0] == counts[1]


def _lot_with_moves(company, warehouse, n):
    """A lot moved ``n`` times between two locations, posted at once through moves_post."""
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT))
    receive(item=item, location=warehouse, numbers=["L1"], quantity=1)
    lot = Lot.objects.get(item=item)
    other = LocationFactory(company=company)
    ends = [(warehouse, other), (other, warehouse)]
    specs = [
        MoveSpec(item=item, quantity=Decimal(1), from_location=a, to_location=b, from_lot_id=lot.pk, to_lot_id=lot.pk)
        for i in range(n)
        for a, b in [ends[i % 2]]
    ]
    moves_post(company=company, specs=specs, reason=MoveReason.TRANSFER)
    return lot


def _lot_in_locations(company, warehouse, n):
    """A lot with one unit in each of ``n`` locations."""
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT))
    receive(item=item, location=warehouse, numbers=["L1"], quantity=n)
    lot = Lot.objects.get(item=item)
    bins = LocationFactory.create_batch(n - 1, company=company, parent=warehouse)
    specs = [
        MoveSpec(item=item, quantity=Decimal(1), from_location=warehouse, to_location=b, from_lot_id=lot.pk, to_lot_id=lot.pk) for b in bins
    ]
    moves_post(company=company, specs=specs, reason=MoveReason.TRANSFER)
    return lot


@pytest.mark.parametrize("name, build", [("lot-history", _lot_with_moves), ("lot-locations", _lot_in_locations)])
def test_lot_tab_query_count_does_not_grow_with_rows(client, name, build):
    counts = []
    for n in (10, 1000):
        company = CompanyFactory()
        sign_in(client, company)
        lot = build(company, LocationFactory(company=company), n)
        response = client.get(url(name, lot))
        assert response.context["table"].paginator.count >= n
        counts.append(count_queries(client, url(name, lot)))
    assert counts[0] == counts[1]


# Issue 10 ---------------------------------------------------------------------------------------


@pytest.fixture
def vaccine(company, warehouse, warehouse2):
    """Lot-and-serial lot VX-LOT whose serials are in stock: 2 at WH1, 1 at WH2."""
    item = ItemFactory(
        company=company,
        sku="VACCINE",
        lot_class=LotClassFactory(company=company, tracking=Tracking.LOT_AND_SERIAL, segments=[("constant", "VX"), ("counter", "01")]),
    )
    receive(item=item, location=warehouse, generate=2, parent_number="VX-LOT")
    receive(item=item, location=warehouse2, generate=1, parent_number="VX-LOT")
    return Lot.objects.get(item=item, number="VX-LOT")


def test_lot_list_lot_of_serials_shows_its_serials_stock(clerk, company, vaccine):
    rows = {row.record.number: row.record.on_hand for row in clerk.get(LIST).context["table"].paginated_rows}
    assert rows == {"VX-LOT": Decimal(3), "VX01": Decimal(1), "VX02": Decimal(1), "VX03": Decimal(1)}


def test_lot_list_group_total_counts_a_serial_once_with_or_without_its_lot(clerk, company, vaccine):
    def total(params):
        response = clerk.get(LIST, {"group": "product", **params})
        [(_, totals, _)] = response.context["groups"]
        return totals["quantity"]

    assert total({}) == Decimal(3)
    assert total({"q": "VX0"}) == Decimal(3)  # the serials alone
    assert total({"q": "VX-LOT"}) == Decimal(3)  # the lot alone


def test_lot_pages_of_a_lot_of_serials_show_its_serials_stock_and_where(clerk, company, vaccine, warehouse, warehouse2):
    assert 'data-testid="lot-on-hand">3 ' in clerk.get(url("lot-detail", vaccine)).content.decode()
    response = clerk.get(url("lot-locations", vaccine))
    assert [(r.record["location_id"], r.record["quantity"]) for r in response.context["table"].paginated_rows] == [
        (warehouse.pk, Decimal(2)),
        (warehouse2.pk, Decimal(1)),
    ]
    assert 'data-testid="lot-on-hand">3<' in response.content.decode()


def test_lot_list_search_matching_only_archived_lots_says_so_with_a_link(clerk, company, serial_item):
    for number in ("OLD1", "OLD2"):
        clerk.post(url("lot-archive", lot_create(company=company, item=serial_item, number=number)), {"action": "archive"})
    response = clerk.get(LIST, {"q": "OLD"})
    body = response.content.decode()
    assert numbers(response) == [] and "2 archived lots/serial numbers match," in body
    link = response.context["show_archived"]
    assert "status=all" in link and "q=OLD" in link
    assert numbers(clerk.get(f"{LIST}?{link}")) == ["OLD1", "OLD2"]


def test_lot_list_says_nothing_of_archived_lots_when_none_match_or_rows_show(clerk, company, serial_item):
    lot_create(company=company, item=serial_item, number="NEW1")
    assert 'data-testid="archived-hidden"' not in clerk.get(LIST, {"q": "NOPE"}).content.decode()
    assert 'data-testid="archived-hidden"' not in clerk.get(LIST, {"q": "NEW"}).content.decode()


def test_lot_list_grouped_shows_the_status_badge_of_the_ungrouped_list(clerk, company, milk):
    body = clerk.get(LIST, {"group": "product"}).content.decode()
    assert body.count('<td data-testid="lot-status"><span class="badge text-bg-success">Active</span></td>') == 2


@pytest.mark.parametrize("action", ["archive", "delete"])
def test_lot_archive_and_delete_ask_on_a_confirmation_step_first(clerk, company, serial_item, action):
    lot = lot_create(company=company, item=serial_item, number="S1")
    tab = clerk.get(url("lot-archive", lot)).content.decode()
    assert "data-confirm" not in tab and f'href="?confirm={action}" data-testid="lot-{action}"' in tab
    confirm = clerk.get(url("lot-archive", lot), {"confirm": action}).content.decode()
    assert 'data-testid="lot-confirm"' in confirm and f'name="action" value="{action}" data-testid="confirm"' in confirm
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.ACTIVE  # asking changed nothing


def test_lot_archive_confirmation_is_not_offered_when_the_action_is_refused(clerk, company, milk):
    body = clerk.get(url("lot-archive", milk["L-A"]), {"confirm": "archive"}).content.decode()
    assert 'data-testid="lot-confirm"' not in body and 'data-testid="archive-blocked"' in body


@pytest.mark.parametrize("params", [{}, {"group": "product"}])
def test_lot_list_query_count_with_lots_of_serials_does_not_grow_with_rows(client, params):
    counts = []
    for n in (5, 200):
        company = CompanyFactory()
        sign_in(client, company)
        item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT_AND_SERIAL, batch_size=10_000))
        warehouse = LocationFactory(company=company)
        for i in range(3):
            receive(item=item, location=warehouse, generate=n, parent_number=f"P{i}")
        counts.append(count_queries(client, LIST, params))
    assert counts[0] == counts[1]


def test_history_marks_a_return_of_unknown_origin(client, db):
    from inventory.models import DocumentKind
    from inventory.services import document_create, document_line_add, document_post, line_allocate, location_create
    from tests.inventory.factories import CompanyFactory, ItemFactory, LotClassFactory, PartnerFactory, UserFactory

    company = CompanyFactory()
    main = location_create(company=company, code="MAIN", name="Main")
    phone = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    customer = PartnerFactory(company=company, is_customer=True)
    document = document_create(company=company, kind=DocumentKind.CUSTOMER_RETURN, to_location=main, partner=customer)
    line = document_line_add(document=document, item=phone, quantity=1)
    assert line_allocate(line=line, numbers=["SN-STRAY"]).rejected[0].confirm == "unknown_origin"
    assert line_allocate(line=line, numbers=["SN-STRAY"], confirm=True).accepted == ["SN-STRAY"]
    document_post(document=document)
    user = UserFactory(is_superuser=True)
    from inventory.services import membership_add

    membership_add(user=user, company=company, is_default=True)
    client.force_login(user)
    lot = phone.lots.get(number="SN-STRAY")
    body = client.get(f"/trace/lots/{lot.pk}/history/").content.decode()
    assert 'data-testid="unknown-origin"' in body


@pytest.mark.postgres
def test_a_search_for_part_of_a_number_reads_the_trigram_index(db):
    """The lot list's substring search must not scan every lot (issue 12: 350 ms at 1,000,000)."""
    from django.db import connection

    from inventory.models import Lot

    company = CompanyFactory()
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    Lot.objects.bulk_create(Lot(company=company, item=item, number=f"SN{n:06d}", kind="serial") for n in range(3000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inventory_lot")
        cursor.execute("SET LOCAL enable_seqscan TO off")  # a small table: ask whether the index can serve at all
        # The expression Django compares on must be the indexed one (UPPER(number::text)).
        sql, params = Lot.objects.filter(number__icontains="00150").order_by().query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "lot_number_trgm" in plan, plan
