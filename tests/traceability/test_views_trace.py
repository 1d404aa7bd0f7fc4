"""Lookup, genealogy and recall pages, through the real services."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.exceptions import InventoryError
from inventory.models import DocumentKind, Lot, LotHoldEvent, LotStatus
from inventory.services import document_create, document_line_add, document_post, genealogy_links_add, line_allocate
from tests.inventory.factories import ItemFactory, LotClassFactory, PartnerFactory
from tests.inventory.flows import receive
from tests.traceability.conftest import sign_in

pytestmark = pytest.mark.django_db


def deliver(company, warehouse, item, numbers, partner):
    document = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=warehouse, partner=partner)
    line = document_line_add(document=document, item=item, quantity=Decimal(len(numbers)))
    assert not line_allocate(line=line, numbers=numbers).rejected
    return document_post(document=document)


@pytest.fixture
def made(company, warehouse):
    """Flour lot FLOUR-1 baked into bread serials D001..D003; D001 and D002 delivered."""
    flour = ItemFactory(company=company, sku="FLOUR", lot_class=LotClassFactory(company=company, tracking="lot"))
    bread = ItemFactory(
        company=company, sku="BREAD", lot_class=LotClassFactory(company=company, segments=[("constant", "D"), ("counter", "001")])
    )
    receive(item=flour, location=warehouse, numbers=["FLOUR-1"], quantity=50)
    receive(item=bread, location=warehouse, generate=3)
    lots = {lot.number: lot for lot in company.lots.all()}
    genealogy_links_add(company=company, links=[(lots["FLOUR-1"].pk, lots[n].pk, 5) for n in ("D001", "D002", "D003")])
    deliver(company, warehouse, bread, ["D001", "D002"], PartnerFactory(company=company, name="Corner Café"))
    return lots


def test_lookup_exact_number_opens_its_page(clerk, made):
    response = clerk.get(reverse("traceability:lookup"), {"q": "D002"})
    assert response.status_code == 302 and response.url == reverse("traceability:lot-detail", kwargs={"lot_pk": made["D002"].pk})


def test_lookup_same_number_on_two_items_offers_the_choice(clerk, company, warehouse, made):
    other = ItemFactory(
        company=company, sku="CAKE", lot_class=LotClassFactory(company=company, segments=[("constant", "D"), ("counter", "001")])
    )
    receive(item=other, location=warehouse, generate=1)  # another D001
    response = clerk.get(reverse("traceability:lookup"), {"q": "D001"})
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="lookup-several"' in body
    assert body.count('data-testid="lookup-row"') == 2 and "BREAD" in body and "CAKE" in body


def test_lookup_partial_number_lists_matches_with_stock_state(clerk, made):
    body = clerk.get(reverse("traceability:lookup"), {"q": "D00"}).content.decode()
    assert body.count('data-testid="lookup-row"') == 3
    assert "Yes" in body and "No" in body  # D003 in stock, the delivered ones not


@pytest.mark.parametrize("q", ["NOPE", "x" * 500, ""])
def test_lookup_unknown_or_odd_input_is_a_page_not_an_error(clerk, made, q):
    response = clerk.get(reverse("traceability:lookup"), {"q": q})
    assert response.status_code == 200
    assert (b"lookup-none" in response.content) is bool(q)


def test_lookup_never_finds_another_companys_number(client, made):
    from tests.inventory.factories import CompanyFactory

    sign_in(client, CompanyFactory())
    response = client.get(reverse("traceability:lookup"), {"q": "D002"})
    assert response.status_code == 200 and b"lookup-none" in response.content


def test_genealogy_page_shows_both_sides_as_tree_and_graph(clerk, made):
    body = clerk.get(reverse("traceability:lot-genealogy", kwargs={"lot_pk": made["FLOUR-1"].pk})).content.decode()
    assert body.count('data-testid="tree-row"') == 3 and "<svg" in body
    assert body.count('data-testid="graph-node"') == 4  # the lot and its three loaves
    upstream = clerk.get(reverse("traceability:lot-genealogy", kwargs={"lot_pk": made["D003"].pk})).content.decode()
    assert 'data-number="FLOUR-1"' in upstream and "FLOUR-1" in upstream.split('data-testid="genealogy-upstream"')[1]


def test_recall_from_typed_numbers_redirects_to_the_report(clerk, made):
    response = clerk.get(reverse("traceability:recall"), {"numbers": "FLOUR-1\n"})
    assert response.status_code == 302 and f"lot={made['FLOUR-1'].pk}" in response.url


def test_recall_with_an_unknown_number_keeps_the_typing_and_names_it(clerk, made):
    response = clerk.get(reverse("traceability:recall"), {"numbers": "FLOUR-1\nFL0UR-9"})
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="recall-unknown"' in body and "FL0UR-9" in body
    assert "FLOUR-1\nFL0UR-9" in body  # the textarea keeps what was typed


def test_recall_report_lists_customers_stock_and_units(clerk, made):
    response = clerk.get(reverse("traceability:recall"), {"lot": made["FLOUR-1"].pk})
    body = response.content.decode()
    assert response.context["deliveries"].paginator.count == 2  # from the customer rows, not counted again
    assert 'data-testid="total-units">4<' in body and 'data-testid="total-customers">1<' in body
    assert body.count('data-testid="customer-row"') == 1 and "Corner Café" in body
    assert body.count('data-testid="delivery-row"') == 2
    assert body.count('data-testid="stock-row"') == 2  # the flour left and loaf D003


def test_recall_hold_puts_affected_stock_on_hold_and_records_who(client, company, made):
    user = sign_in(client, company)
    response = client.post(reverse("traceability:recall-hold"), {"lot": made["FLOUR-1"].pk, "reason": "Mould found in FLOUR-1"})
    assert response.status_code == 302
    held = set(Lot.objects.filter(status=LotStatus.ON_HOLD).values_list("number", flat=True))
    assert held == {"FLOUR-1", "D003"}  # the delivered loaves are not ours to hold
    events = LotHoldEvent.objects.filter(action="hold")
    assert {(e.lot.number, e.reason, e.created_by_id) for e in events} == {
        ("FLOUR-1", "Mould found in FLOUR-1", user.pk),
        ("D003", "Mould found in FLOUR-1", user.pk),
    }


def test_recall_hold_without_a_reason_changes_nothing(clerk, made):
    response = clerk.post(reverse("traceability:recall-hold"), {"lot": made["FLOUR-1"].pk, "reason": "  "}, follow=True)
    assert "Give the reason" in response.content.decode()
    assert not Lot.objects.filter(status=LotStatus.ON_HOLD).exists()


def test_recall_hold_is_refused_to_a_viewer(client, company, made):
    sign_in(client, company, group="Viewer")
    assert client.post(reverse("traceability:recall-hold"), {"lot": made["FLOUR-1"].pk, "reason": "x"}).status_code == 403
    body = client.get(reverse("traceability:recall"), {"lot": made["FLOUR-1"].pk}).content.decode()
    assert 'data-testid="hold-form"' not in body


def test_held_lot_cannot_be_delivered(client, company, warehouse, made):
    sign_in(client, company)
    client.post(reverse("traceability:recall-hold"), {"lot": made["FLOUR-1"].pk, "reason": "Mould"})
    document = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=warehouse)
    line = document_line_add(document=document, item=made["D003"].item, quantity=Decimal(1))
    assert [(r.number, r.reason) for r in line_allocate(line=line, numbers=["D003"]).rejected] == [("D003", "on hold (Mould)")]
    with pytest.raises(InventoryError, match="not enough BREAD"):
        document_post(document=document, auto_allocate=True)  # Save & post finds nothing it may take


def test_recall_csv_export_is_neutralised_and_complete(clerk, company, made):
    PartnerFactory  # noqa: B018 - the customer below is named like a formula on purpose
    from inventory.models import Partner

    Partner.objects.filter(name="Corner Café").update(name="=HYPERLINK(evil)")
    response = clerk.get(reverse("traceability:recall-export"), {"lot": made["FLOUR-1"].pk, "section": "deliveries"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["Date", "Document", "Customer"]
    assert len(rows) == 3 and {r[2] for r in rows[1:]} == {"'=HYPERLINK(evil)"} and {r[5] for r in rows[1:]} == {"1"}


def test_recall_ignores_lots_of_another_company(clerk, made):
    from tests.inventory.factories import CompanyFactory, LocationFactory

    stranger = CompanyFactory()
    item = ItemFactory(company=stranger, lot_class=LotClassFactory(company=stranger))
    receive(item=item, location=LocationFactory(company=stranger), generate=1)
    foreign = item.lots.get()
    body = clerk.get(reverse("traceability:recall"), {"lot": foreign.pk}).content.decode()
    assert 'data-testid="recall-totals"' not in body and foreign.number not in body.split("<main")[1]


def test_recall_page_query_count_does_not_grow_with_units(clerk, company, warehouse):
    def build(prefix, units):
        flour = ItemFactory(company=company, sku=f"{prefix}F", lot_class=LotClassFactory(company=company, tracking="lot"))
        bread = ItemFactory(
            company=company,
            sku=f"{prefix}B",
            lot_class=LotClassFactory(company=company, segments=[("constant", prefix), ("counter", "0001")]),
        )
        receive(item=flour, location=warehouse, numbers=[f"{prefix}-LOT"], quantity=units)
        receive(item=bread, location=warehouse, generate=units)
        seed = flour.lots.get()
        genealogy_links_add(company=company, links=[(seed.pk, lot.pk, 1) for lot in bread.lots.all()])
        numbers = list(bread.lots.values_list("number", flat=True))
        deliver(company, warehouse, bread, numbers[: units // 2], PartnerFactory(company=company))
        return seed

    def count(seed):
        url = reverse("traceability:recall")
        clerk.get(url, {"lot": seed.pk})
        with CaptureQueriesContext(connection) as captured:
            assert clerk.get(url, {"lot": seed.pk}).status_code == 200
        return len(captured)

    assert count(build("A", 10)) == count(build("Z", 300))


def test_pages_say_tracking_is_off_for_a_company_without_it(clerk, company, made):
    company.tracking_enabled = False
    company.save(update_fields=["tracking_enabled"])
    response = clerk.get(reverse("traceability:recall"))
    assert response.status_code == 404 and b"tracking-off" in response.content


def test_lot_create_prefills_the_next_number_without_taking_it(clerk, company, warehouse):
    item = ItemFactory(
        company=company, sku="PUMP", lot_class=LotClassFactory(company=company, segments=[("constant", "PU"), ("counter", "01")])
    )
    receive(item=item, location=warehouse, generate=1)  # PU01 is taken
    url = reverse("traceability:lot-create")
    for _ in range(2):  # opening the form twice hands out nothing
        form = clerk.get(url, {"item": item.pk}).context["form"]
        assert form.initial["number"] == "PU02"
    kept = clerk.get(url, {"item": item.pk, "number": "MY-OWN", "previewed": "PU02"}).context["form"]
    assert kept.initial["number"] == "MY-OWN"  # what the clerk typed stays
    data = {"item": item.pk, "number": "PU02", "previewed": "PU02", "quantity": "0", "create": ""}
    response = clerk.post(url, data)
    assert response.status_code == 302 and item.lots.filter(number="PU02").exists()
    assert clerk.get(url, {"item": item.pk}).context["form"].initial["number"] == "PU03"  # the counter moved on


def test_recall_leaves_out_a_reversed_delivery(clerk, company, warehouse, made):
    from inventory.models import Document
    from inventory.services import document_cancel

    document_cancel(document=Document.objects.get(kind=DocumentKind.DELIVERY))
    body = clerk.get(reverse("traceability:recall"), {"lot": made["FLOUR-1"].pk}).content.decode()
    assert 'data-testid="total-customers">0<' in body and 'data-testid="delivery-row"' not in body


def test_recall_lists_a_customer_move_posted_without_a_document(clerk, company, warehouse, made):
    from inventory.models import LocationKind, MoveReason
    from inventory.services import MoveSpec, moves_post, virtual_location

    loaf = made["D003"]
    moves_post(
        company=company,
        reason=MoveReason.DELIVERY,
        specs=[
            MoveSpec(
                item=loaf.item,
                quantity=Decimal(1),
                from_location=warehouse,
                to_location=virtual_location(company, LocationKind.CUSTOMER),
                from_lot_id=loaf.pk,
                to_lot_id=loaf.pk,
            )
        ],
    )
    response = clerk.get(reverse("traceability:recall"), {"lot": made["FLOUR-1"].pk})
    assert response.status_code == 200 and response.content.decode().count('data-testid="delivery-row"') == 3
    export = clerk.get(reverse("traceability:recall-export"), {"lot": made["FLOUR-1"].pk, "section": "deliveries"})
    assert len(list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))) == 4


def test_cashier_sees_no_history_costs_or_recall(client, company, made):
    sign_in(client, company, group="Cashier")
    lot = made["FLOUR-1"]
    assert client.get(reverse("traceability:lot-history", kwargs={"lot_pk": lot.pk})).status_code == 403
    assert client.get(reverse("traceability:recall"), {"lot": lot.pk}).status_code == 403
    body = client.get(reverse("traceability:lot-detail", kwargs={"lot_pk": lot.pk})).content.decode()
    assert "lot-unit-cost" not in body and reverse("traceability:lot-history", kwargs={"lot_pk": lot.pk}) not in body


def test_recall_counts_serials_kept_per_item_as_in_stock_and_holds_them(clerk, company, warehouse, made):
    loose = ItemFactory(
        company=company,
        sku="KIT",
        tracking_scope="creditor_debtor",
        lot_class=LotClassFactory(company=company, segments=[("constant", "K"), ("counter", "01")]),
    )
    receive(item=loose, location=warehouse, generate=2)  # K01, K02: no balance of their own
    genealogy_links_add(company=company, links=[(made["FLOUR-1"].pk, lot.pk, 1) for lot in loose.lots.all()])
    body = clerk.get(reverse("traceability:recall"), {"lot": made["FLOUR-1"].pk}).content.decode()
    assert 'data-testid="loose-in-stock"' in body and "Put 4 on hold" in body  # FLOUR-1, D003, K01, K02


# Issue 10: stock of lots in the lookup, recall dates --------------------------------------------


def _lookup(client, q):
    return client.get(reverse("traceability:lookup"), {"q": q})


def test_lookup_lists_a_lots_quantity_on_hand_and_where(clerk, company):
    from tests.inventory.factories import LocationFactory

    main, front = LocationFactory(company=company, code="MAIN"), LocationFactory(company=company, code="FRONT")
    item = ItemFactory(company=company, sku="MH", lot_class=LotClassFactory(company=company, tracking="lot"))
    receive(item=item, location=main, numbers=["MH-2291"], quantity=30)
    receive(item=item, location=front, numbers=["MH-2291"], quantity=12)
    receive(item=item, location=main, numbers=["MH-2292"], quantity=1)  # a second match, so the list shows
    [first, _] = _lookup(clerk, "MH-229").context["partial"]
    assert (first.on_hand, first.stock_locations) == (Decimal(42), [("MAIN", Decimal(30)), ("FRONT", Decimal(12))])
    body = _lookup(clerk, "MH-229").content.decode()
    assert 'data-testid="lookup-on-hand">42 ' in body and 'data-testid="lookup-locations">MAIN 30, FRONT 12<' in body


def test_lookup_lot_of_serials_shows_its_serials_stock_and_serials_keep_their_state(clerk, company, warehouse):
    from inventory.models import Tracking

    item = ItemFactory(
        company=company,
        sku="VACCINE",
        lot_class=LotClassFactory(company=company, tracking=Tracking.LOT_AND_SERIAL, segments=[("constant", "VX"), ("counter", "01")]),
    )
    receive(item=item, location=warehouse, generate=3, parent_number="VX-LOT")
    rows = {lot.number: lot for lot in _lookup(clerk, "VX").context["partial"]}
    assert (rows["VX-LOT"].on_hand, rows["VX-LOT"].stock_locations) == (Decimal(3), [(warehouse.code, Decimal(3))])
    body = _lookup(clerk, "VX").content.decode()
    assert body.count('data-testid="lookup-on-hand"') == 1 and body.count(">Yes<") == 3  # the serials: in stock


def test_lookup_query_count_does_not_grow_with_matches(clerk, company, warehouse):
    from inventory.models import Tracking

    def build(prefix, n):
        lots = ItemFactory(company=company, sku=f"{prefix}L", lot_class=LotClassFactory(company=company, tracking="lot"))
        for i in range(n):
            receive(item=lots, location=warehouse, numbers=[f"{prefix}-{i:03}"], quantity=2)
        serials = ItemFactory(
            company=company,
            sku=f"{prefix}S",
            lot_class=LotClassFactory(
                company=company, tracking=Tracking.LOT_AND_SERIAL, segments=[("constant", f"{prefix}-S"), ("counter", "001")]
            ),
        )
        receive(item=serials, location=warehouse, generate=n, parent_number=f"{prefix}-PARENT")

    def count(prefix):
        _lookup(clerk, prefix)
        with CaptureQueriesContext(connection) as captured:
            response = _lookup(clerk, prefix)
        assert response.status_code == 200 and response.context["partial"]
        return len(captured)

    build("AA", 2)
    build("ZZ", 20)
    assert count("AA") == count("ZZ")


def test_recall_customer_dates_are_the_documents_dates(clerk, company, warehouse, made):
    from datetime import date

    from inventory.models import Document

    Document.objects.filter(kind=DocumentKind.DELIVERY).update(date=date(2020, 3, 4))  # entered late: dated in the past
    response = clerk.get(reverse("traceability:recall"), {"lot": made["FLOUR-1"].pk})
    [row] = response.context["customers"].object_list
    assert (row["first"], row["last"]) == (date(2020, 3, 4), date(2020, 3, 4))
    export = clerk.get(reverse("traceability:recall-export"), {"lot": made["FLOUR-1"].pk, "section": "customers"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[1][4:6] == ["2020-03-04", "2020-03-04"]


def test_recall_customer_dates_of_a_move_without_a_document_are_its_posting_day(clerk, company, warehouse, made):
    from django.utils import timezone

    from inventory.models import LocationKind, MoveReason
    from inventory.services import MoveSpec, moves_post, virtual_location

    loaf = made["D003"]
    moves_post(
        company=company,
        reason=MoveReason.DELIVERY,
        specs=[
            MoveSpec(
                item=loaf.item,
                quantity=Decimal(1),
                from_location=warehouse,
                to_location=virtual_location(company, LocationKind.CUSTOMER),
                from_lot_id=loaf.pk,
                to_lot_id=loaf.pk,
            )
        ],
    )
    rows = {
        r["document__partner_id"]: r
        for r in clerk.get(reverse("traceability:recall"), {"lot": made["FLOUR-1"].pk}).context["customers"].object_list
    }
    assert rows[None]["first"] == timezone.localdate()
