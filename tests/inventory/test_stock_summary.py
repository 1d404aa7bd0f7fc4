"""The stock summaries: what an item holds at each internal location, kept by the posting service
beside the balances, and checked by verify_ledger."""

from decimal import Decimal

import pytest
from django.db.models import Count, Q, Sum

from inventory.exceptions import InventoryError
from inventory.models import Balance, DocumentKind, Lot, StockSummary, Tracking
from inventory.selectors import ledger_verify
from inventory.services import document_reverse
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import issue, receive

pytestmark = pytest.mark.django_db


def from_balances(item) -> dict[int, tuple[Decimal, int]]:
    rows = (
        Balance.objects.filter(item=item)
        .values("location_id")
        .annotate(total=Sum("quantity"), lots=Count("pk", filter=Q(lot__isnull=False, quantity__gt=0)))
    )
    return {r["location_id"]: (r["total"], r["lots"]) for r in rows}


def summaries(item) -> dict[int, tuple[Decimal, int]]:
    return {s.location_id: (s.quantity, s.lots) for s in StockSummary.objects.filter(item=item)}


@pytest.fixture
def serial_item(company):
    return ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.SERIAL))


@pytest.fixture
def lot_item(company):
    return ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT))


def test_summary_follows_receipts_transfers_deliveries_and_reversals(company, warehouse, warehouse2, serial_item):
    receive(item=serial_item, location=warehouse, numbers="S1-S5")
    assert summaries(serial_item) == {warehouse.pk: (Decimal(5), 5)}
    issue(kind=DocumentKind.TRANSFER, item=serial_item, location=warehouse, to_location=warehouse2, quantity=2, numbers="S1 S2")
    assert summaries(serial_item) == {warehouse.pk: (Decimal(3), 3), warehouse2.pk: (Decimal(2), 2)}
    delivery = issue(item=serial_item, location=warehouse2, quantity=1, numbers="S1")
    assert summaries(serial_item) == {warehouse.pk: (Decimal(3), 3), warehouse2.pk: (Decimal(1), 1)}
    document_reverse(document=delivery)
    assert summaries(serial_item) == from_balances(serial_item) == {warehouse.pk: (Decimal(3), 3), warehouse2.pk: (Decimal(2), 2)}
    assert ledger_verify() == []


def test_summary_counts_a_lot_once_however_much_of_it_moves(company, warehouse, lot_item):
    receive(item=lot_item, location=warehouse, numbers=["L1"], quantity=10)
    receive(item=lot_item, location=warehouse, numbers=["L2"], quantity=Decimal("2.5"))
    assert summaries(lot_item) == {warehouse.pk: (Decimal("12.5"), 2)}
    issue(item=lot_item, location=warehouse, quantity=4, numbers=["L1"], lot_quantity=Decimal(4))
    assert summaries(lot_item) == {warehouse.pk: (Decimal("8.5"), 2)}
    issue(item=lot_item, location=warehouse, quantity=Decimal("2.5"), numbers=["L2"], lot_quantity=Decimal("2.5"))
    assert summaries(lot_item) == from_balances(lot_item) == {warehouse.pk: (Decimal(6), 1)}


def test_summary_of_unnumbered_stock_counts_no_lot(company, warehouse):
    item = ItemFactory(company=company)
    receive(item=item, location=warehouse, quantity=7)
    issue(item=item, location=warehouse, quantity=3)
    assert summaries(item) == {warehouse.pk: (Decimal(4), 0)}


def test_a_refused_posting_leaves_the_summary_as_it_was(company, warehouse, serial_item):
    receive(item=serial_item, location=warehouse, numbers="S1")
    with pytest.raises(InventoryError):
        issue(item=serial_item, location=warehouse, quantity=2, propose=True)
    assert summaries(serial_item) == {warehouse.pk: (Decimal(1), 1)}


def test_verify_ledger_names_a_summary_that_differs_from_the_moves(company, warehouse, serial_item):
    receive(item=serial_item, location=warehouse, numbers="S1 S2")
    StockSummary.objects.filter(item=serial_item).update(quantity=5, lots=1)
    faults = [str(f) for f in ledger_verify()]
    assert len(faults) == 1
    assert faults[0].startswith("stock summary ") and f"item={serial_item.pk} location={warehouse.pk}" in faults[0]
    assert "holds 5 in 1 lots, its moves 2 in 2" in faults[0]


def test_verify_ledger_names_a_missing_summary(company, warehouse, serial_item):
    receive(item=serial_item, location=warehouse, numbers="S1")
    StockSummary.objects.filter(item=serial_item).delete()
    faults = [str(f) for f in ledger_verify()]
    assert faults == [f"stock summary (missing) item={serial_item.pk} location={warehouse.pk}: holds 0 in 0 lots, its moves 1 in 1"]


def test_item_and_location_pages_show_the_summary(client, company, warehouse, warehouse2, lot_item):
    from tests.inventory.test_views_catalog import sign_in

    receive(item=lot_item, location=warehouse, numbers=["L1"], quantity=4)
    receive(item=lot_item, location=warehouse2, numbers=["L2"], quantity=6)
    sign_in(client, company, "Viewer")
    items = client.get("/items/", secure=True).context["table"]
    assert [(row.record.sku, row.record.on_hand) for row in items.paginated_rows] == [(lot_item.sku, Decimal(10))]
    locations = client.get("/locations/", secure=True).context["table"]
    assert {row.record.code: (row.record.items, row.record.on_hand) for row in locations.paginated_rows} == {
        warehouse.code: (1, Decimal(4)),
        warehouse2.code: (1, Decimal(6)),
    }
    detail = client.get(f"/items/{lot_item.pk}/", secure=True).context["by_location"]
    assert [(row["location__code"], row["total"]) for row in detail] == [(warehouse.code, Decimal(4)), (warehouse2.code, Decimal(6))]
    assert Lot.objects.filter(item=lot_item).count() == 2


def test_summaries_rebuilt_from_the_balances_are_what_posting_keeps(company, warehouse, warehouse2, serial_item, lot_item):
    from inventory.services import costs_rebuild, stock_summaries_rebuild

    receive(item=serial_item, location=warehouse, numbers="S1-S4")
    receive(item=lot_item, location=warehouse2, numbers=["L1"], quantity=3)
    issue(item=serial_item, location=warehouse, quantity=1, numbers="S2")
    kept = {s.pk and (s.item_id, s.location_id): (s.quantity, s.lots) for s in StockSummary.objects.all()}
    StockSummary.objects.all().update(quantity=0, lots=0)
    assert stock_summaries_rebuild(company=company) == 2
    costs_rebuild(company=company)  # the summaries' value at the lots' cost is the cost service's
    assert {(s.item_id, s.location_id): (s.quantity, s.lots) for s in StockSummary.objects.all()} == kept
    assert ledger_verify() == []


def test_a_balance_carries_its_lot_number_for_the_stock_lists(company, warehouse, serial_item):
    receive(item=serial_item, location=warehouse, numbers="S1 S2")
    unnumbered = ItemFactory(company=company)
    receive(item=unnumbered, location=warehouse, quantity=3)
    assert {b.lot.number if b.lot else None: b.lot_number for b in Balance.objects.all()} == {"S1": "S1", "S2": "S2", None: None}
    Balance.objects.filter(lot__number="S2").update(lot_number="S9")
    faults = [str(f) for f in ledger_verify()]
    assert faults == [f"balance {Balance.objects.get(lot__number='S2').pk}: says lot number 'S9', its lot is 'S2'"]


def test_a_lot_with_a_balance_has_arrived(company, warehouse, serial_item):
    """Posting looks for no balance of a lot that never arrived: the ledger check says if one has."""
    from inventory.models import Lot

    receive(item=serial_item, location=warehouse, numbers="S1 S2")
    assert ledger_verify() == []
    Lot.objects.filter(number="S2").update(received_at=None)
    faults = [str(f) for f in ledger_verify()]
    assert faults == [f"balance {Balance.objects.get(lot__number='S2').pk}: its lot 'S2' has a balance but no date it arrived"]


def test_a_document_keeps_its_line_count_and_total_through_its_line_services(company, warehouse):
    from inventory.models import Document
    from inventory.services import document_create, document_line_add, document_line_remove, document_line_update

    item = ItemFactory(company=company)
    draft = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse)
    first = document_line_add(document=draft, item=item, quantity=Decimal(3))
    second = document_line_add(document=draft, item=item, quantity=Decimal("2.5"))
    document_line_update(line=second, item=item, quantity=Decimal(4))
    document_line_remove(line=first)
    draft.refresh_from_db()
    assert (draft.line_count, draft.total_quantity) == (1, Decimal(4))
    assert ledger_verify() == []
    Document.objects.filter(pk=draft.pk).update(total_quantity=9)
    assert [str(f) for f in ledger_verify()] == [f"document {draft.number}: says 1 lines of 9 in all, its lines are 1 of 4"]


def test_a_balance_carries_its_lot_expiry_even_when_the_lot_is_edited(company, warehouse, warehouse2):
    from datetime import date

    from inventory.services import lot_update

    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True))
    receive(item=item, location=warehouse, numbers=["L1"], quantity=6, expiry=date(2031, 1, 31))
    issue(
        kind=DocumentKind.TRANSFER,
        item=item,
        location=warehouse,
        to_location=warehouse2,
        quantity=2,
        numbers=["L1"],
        lot_quantity=Decimal(2),
    )
    assert set(Balance.objects.filter(item=item).values_list("expiry_date", flat=True)) == {date(2031, 1, 31)}
    lot_update(lot=Lot.objects.get(item=item, number="L1"), expiry_date=date(2030, 6, 30))
    assert set(Balance.objects.filter(item=item).values_list("expiry_date", flat=True)) == {date(2030, 6, 30)}
    assert ledger_verify() == []
    Balance.objects.filter(item=item, location=warehouse2).update(expiry_date=date(2099, 1, 1))
    assert [str(f) for f in ledger_verify()] == [
        f"balance {Balance.objects.get(item=item, location=warehouse2).pk}: says it expires 2099-01-01, its lot 2030-06-30"
    ]


def expiry_summaries(item) -> dict[tuple, Decimal]:
    from inventory.models import ExpirySummary

    return {(s.location_id, s.expiry_date): s.quantity for s in ExpirySummary.objects.filter(item=item) if s.quantity}


def test_expiry_summary_follows_postings_reversals_and_a_changed_expiry(company, warehouse, warehouse2):
    from datetime import date

    from inventory.services import lot_update

    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True))
    receive(item=item, location=warehouse, numbers=["L1"], quantity=6, expiry=date(2031, 1, 31))
    receive(item=item, location=warehouse, numbers=["L2"], quantity=4, expiry=date(2031, 1, 31))
    receive(item=item, location=warehouse, numbers=["L3"], quantity=1, expiry=date(2032, 2, 1))
    assert expiry_summaries(item) == {(warehouse.pk, date(2031, 1, 31)): Decimal(10), (warehouse.pk, date(2032, 2, 1)): Decimal(1)}
    issue(
        kind=DocumentKind.TRANSFER,
        item=item,
        location=warehouse,
        to_location=warehouse2,
        quantity=2,
        numbers=["L1"],
        lot_quantity=Decimal(2),
    )
    delivery = issue(item=item, location=warehouse, quantity=Decimal("1.5"), numbers=["L2"], lot_quantity=Decimal("1.5"))
    assert expiry_summaries(item) == {
        (warehouse.pk, date(2031, 1, 31)): Decimal("6.5"),
        (warehouse2.pk, date(2031, 1, 31)): Decimal(2),
        (warehouse.pk, date(2032, 2, 1)): Decimal(1),
    }
    document_reverse(document=delivery)
    lot_update(lot=Lot.objects.get(item=item, number="L1"), expiry_date=date(2030, 6, 30))
    assert expiry_summaries(item) == {
        (warehouse.pk, date(2030, 6, 30)): Decimal(4),
        (warehouse2.pk, date(2030, 6, 30)): Decimal(2),
        (warehouse.pk, date(2031, 1, 31)): Decimal(4),
        (warehouse.pk, date(2032, 2, 1)): Decimal(1),
    }
    lot_update(lot=Lot.objects.get(item=item, number="L3"), expiry_date=None)
    assert (warehouse.pk, date(2032, 2, 1)) not in expiry_summaries(item)
    assert ledger_verify() == []


def test_expiry_summary_of_a_lot_and_its_serials_moves_with_the_lot(company, warehouse):
    from datetime import date

    from inventory.services import lot_update

    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT_AND_SERIAL, track_expiry=True))
    receive(item=item, location=warehouse, numbers="S1-S3", parent_number="L1", expiry=date(2031, 1, 31))
    assert expiry_summaries(item) == {(warehouse.pk, date(2031, 1, 31)): Decimal(3)}
    lot_update(lot=Lot.objects.get(item=item, number="L1"), expiry_date=date(2030, 1, 1))
    assert expiry_summaries(item) == {(warehouse.pk, date(2030, 1, 1)): Decimal(3)}
    assert ledger_verify() == []


def test_verify_ledger_names_an_expiry_summary_that_differs_from_the_moves(company, warehouse):
    from datetime import date

    from inventory.models import ExpirySummary
    from inventory.services import expiry_summaries_rebuild

    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True))
    receive(item=item, location=warehouse, numbers=["L1"], quantity=6, expiry=date(2031, 1, 31))
    summary = ExpirySummary.objects.get(item=item)
    ExpirySummary.objects.filter(pk=summary.pk).update(quantity=2)
    assert [str(f) for f in ledger_verify()] == [
        f"expiry summary {summary.pk} item={item.pk} location={warehouse.pk} expiry=2031-01-31: holds 2, its moves 6"
    ]
    assert expiry_summaries_rebuild(company=company) == 1
    assert ledger_verify() == []
