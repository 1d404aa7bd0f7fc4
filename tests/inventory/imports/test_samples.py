"""Each kind's sample file imports with the right values; a second run changes nothing; a dry run
writes nothing; exports imported into an empty company export the same text."""

import hashlib
from datetime import date
from decimal import Decimal

import pytest

from inventory.models import (
    Balance,
    Document,
    DocumentKind,
    DocumentStatus,
    ImportResult,
    ImportRun,
    Item,
    Location,
    LocationKind,
    Lot,
    LotKind,
    LotSerialClass,
    Partner,
    StockMove,
)
from tests.inventory.factories import UserFactory

from .helpers import ORDER, counts, exported, import_samples, run, sample

SAMPLE_ROWS = {"locations": 4, "partners": 2, "classes": 2, "items": 3, "lots": 5, "opening_stock": 6}


@pytest.mark.parametrize("kind", ORDER)
def test_the_sample_file_imports_and_is_recorded(company, kind):
    import_samples(company, before=kind)
    user = UserFactory()
    report = run(kind, sample(kind), company, user=user, file_name=f"samples/{kind}.csv")
    assert report.ok, report.problems
    outcome = report.outcome
    assert (outcome.rows, outcome.created, outcome.changed, outcome.unchanged) == (SAMPLE_ROWS[kind], SAMPLE_ROWS[kind], 0, 0)
    run_ = report.run
    assert run_ == ImportRun.objects.get(pk=run_.pk)
    assert (run_.company, run_.kind, run_.result, run_.user) == (company, kind, ImportResult.DONE, user)
    assert (run_.rows, run_.created, run_.changed, run_.unchanged, run_.errors) == (SAMPLE_ROWS[kind], SAMPLE_ROWS[kind], 0, 0, 0)
    assert run_.file_name == f"samples/{kind}.csv"
    assert run_.file_sha256 == hashlib.sha256(sample(kind)).hexdigest()


def test_the_locations_sample_builds_its_tree(company):
    import_samples(company, before="partners")
    internal = Location.objects.filter(company=company, kind=LocationKind.INTERNAL)
    rows = {loc.code: (loc.name, loc.parent.code if loc.parent else None, loc.is_active) for loc in internal.select_related("parent")}
    assert rows == {
        "WH1": ("Main warehouse", None, True),
        "WH1-A": ("Aisle A", "WH1", True),
        "WH1-A-01": ("Bin A-01", "WH1-A", True),
        "SHOP": ("Shop floor", None, True),
    }


def test_the_partners_sample(company):
    import_samples(company, before="classes")
    rows = {p.code: (p.name, p.is_supplier, p.is_customer, p.email, p.phone) for p in Partner.objects.filter(company=company)}
    assert rows == {
        "ACME": ("Acme Components Ltd", True, False, "orders@acme.example", "+44 20 7946 0000"),
        "BETA": ("Beta Retail", False, True, "", ""),
    }


def test_the_classes_sample_with_their_numbering(company):
    import_samples(company, before="items")
    lotx = LotSerialClass.objects.get(company=company, code="LOTX")
    serx = LotSerialClass.objects.get(company=company, code="SERX")
    assert (lotx.name, lotx.tracking, lotx.track_expiry, lotx.expiry_alert_days, lotx.issue_method) == (
        "Food lots",
        "lot",
        True,
        30,
        "expiration",
    )
    assert (lotx.assignment, lotx.batch_size, lotx.shared_counter, lotx.number_check, lotx.number_pattern) == (
        "received",
        1,
        True,
        "none",
        "",
    )
    assert (serx.tracking, serx.track_expiry, serx.issue_method) == ("serial", False, "fifo")
    segments = {c.code: [(s.kind, s.value) for s in c.segments.order_by("position")] for c in (lotx, serx)}
    assert segments == {
        "LOTX": [("constant", "L"), ("date", "YYMM"), ("counter", "0001")],
        "SERX": [("constant", "SN-"), ("counter", "000001")],
    }


def test_the_items_sample(company):
    import_samples(company, before="lots")
    items = {i.sku: i for i in Item.objects.filter(company=company).select_related("lot_class")}
    assert sorted(items) == ["BAG", "FLOUR", "PHONE"]
    flour, phone, bag = items["FLOUR"], items["PHONE"], items["BAG"]
    assert (flour.name, flour.description, flour.lot_class.code, flour.valuation_method) == (
        "Flour 1 kg",
        "Wheat flour, type 55",
        "LOTX",
        "fifo",
    )
    assert (flour.unit_cost, flour.sale_price) == (Decimal("0.80"), Decimal("1.50"))
    assert (phone.lot_class.code, phone.gtin, phone.valuation_method, phone.unit_cost, phone.sale_price) == (
        "SERX",
        "09506000134352",
        "specific",
        Decimal("120"),
        Decimal("199"),
    )
    assert (bag.lot_class, bag.tracking_scope, bag.valuation_method, bag.unit_cost, bag.is_stocked, bag.uom) == (
        None,
        "none",
        "average",
        Decimal("0.05"),
        True,
        "ea",
    )
    assert all(item.is_active for item in items.values())


def test_the_lots_sample(company):
    import_samples(company, before="opening_stock")
    lots = {
        (lot.item.sku, lot.number): (lot.kind, lot.expiry_date, lot.reference, lot.notes, lot.unit_cost, lot.parent_id, lot.in_stock)
        for lot in Lot.objects.filter(company=company).select_related("item")
    }
    assert lots == {
        ("FLOUR", "L2612-0001"): (LotKind.LOT, date(2027, 6, 30), "Mill batch 8812", "", Decimal("0.78"), None, False),
        ("FLOUR", "L2612-0002"): (LotKind.LOT, date(2027, 7, 31), "Mill batch 8813", "", Decimal("0.79"), None, False),
        ("PHONE", "SN-000001"): (LotKind.SERIAL, None, "", "", Decimal("118"), None, False),
        ("PHONE", "SN-000002"): (LotKind.SERIAL, None, "", "", Decimal("118"), None, False),
        ("PHONE", "SN-000003"): (LotKind.SERIAL, None, "", "Display model", Decimal("115"), None, False),
    }


def test_the_opening_stock_sample_posts_one_adjustment(company):
    reports = import_samples(company)
    document = Document.objects.get(company=company)
    assert reports["opening_stock"].outcome.document_id == document.pk == reports["opening_stock"].run.document_id
    assert (document.kind, document.status) == (DocumentKind.ADJUSTMENT, DocumentStatus.POSTED)
    assert StockMove.objects.filter(company=company, document=document).count() == 6
    balances = {
        (b.item.sku, b.location.code, b.lot.number if b.lot else None): b.quantity
        for b in Balance.objects.filter(company=company, quantity__gt=0).select_related("item", "location", "lot")
    }
    assert balances == {
        ("FLOUR", "WH1-A-01", "L2612-0001"): Decimal("120"),
        ("FLOUR", "SHOP", "L2612-0002"): Decimal("40"),
        ("PHONE", "WH1-A-01", "SN-000001"): Decimal("1"),
        ("PHONE", "WH1-A-01", "SN-000002"): Decimal("1"),
        ("PHONE", "SHOP", "SN-000003"): Decimal("1"),
        ("BAG", "SHOP", None): Decimal("500"),
    }
    in_stock = dict(Lot.objects.filter(company=company, item__sku="PHONE").values_list("number", "last_location__code"))
    assert in_stock == {"SN-000001": "WH1-A-01", "SN-000002": "WH1-A-01", "SN-000003": "SHOP"}
    assert set(Lot.objects.filter(company=company, in_stock=True).values_list("number", flat=True)) == set(in_stock)  # serials


# The same file twice -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [k for k in ORDER if k != "opening_stock"])
def test_the_same_file_again_changes_nothing(company, kind):
    import_samples(company, before=kind)
    first = run(kind, sample(kind), company)
    assert first.ok and first.outcome.created == SAMPLE_ROWS[kind]
    before = counts()
    second = run(kind, sample(kind), company)
    assert second.ok, second.problems
    outcome = second.outcome
    assert (outcome.rows, outcome.created, outcome.changed, outcome.unchanged) == (SAMPLE_ROWS[kind], 0, 0, SAMPLE_ROWS[kind])
    assert (second.run.result, second.run.created, second.run.changed, second.run.unchanged) == (
        ImportResult.DONE,
        0,
        0,
        SAMPLE_ROWS[kind],
    )
    assert counts() == before
    assert exported(kind, company) == exported(kind, company)  # and what is there reads the same


def test_the_same_locations_with_a_change_counts_it_changed(company):
    run("locations", sample("locations"), company)
    changed = sample("locations").decode().replace("SHOP,Shop floor,,yes", "SHOP,Shop floor,WH1,no")
    report = run("locations", changed, company)
    assert report.ok, report.problems
    assert (report.outcome.created, report.outcome.changed, report.outcome.unchanged) == (0, 1, 3)
    shop = Location.objects.get(company=company, code="SHOP")
    assert (shop.parent.code, shop.is_active) == ("WH1", False)


def test_the_same_opening_stock_again_is_refused_naming_the_earlier_import(company):
    first = import_samples(company)["opening_stock"]
    document = Document.objects.get(pk=first.outcome.document_id)
    before = counts()
    second = run("opening_stock", sample("opening_stock"), company)
    assert not second.ok
    assert len(second.problems) == 1
    problem = second.problems[0]
    assert problem.row == 0
    assert f"import #{first.run.pk}" in problem.message
    assert document.number in problem.message
    assert "nothing is posted twice" in problem.message
    assert (second.outcome.created, second.outcome.document_id) == (0, None)
    assert (second.run.result, second.run.document_id) == (ImportResult.FAILED, None)
    assert counts() == before
    assert StockMove.objects.filter(company=company).count() == 6


def test_the_same_opening_stock_under_another_name_is_refused_too(company):
    import_samples(company)
    second = run("opening_stock", sample("opening_stock"), company, file_name="renamed.csv")
    assert not second.ok and "imported already" in second.problems[0].message
    assert StockMove.objects.filter(company=company).count() == 6


# Dry runs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ORDER)
def test_a_dry_run_counts_and_writes_nothing(company, kind):
    import_samples(company, before=kind)
    before = counts()
    report = run(kind, sample(kind), company, dry_run=True)
    assert report.ok, report.problems
    assert report.dry_run
    outcome = report.outcome
    assert (outcome.rows, outcome.created, outcome.changed, outcome.unchanged) == (SAMPLE_ROWS[kind], SAMPLE_ROWS[kind], 0, 0)
    assert len(outcome.preview) == SAMPLE_ROWS[kind]
    assert counts() == before
    assert report.run.result == ImportResult.DRY_RUN
    assert ImportRun.objects.get(pk=report.run.pk).result == ImportResult.DRY_RUN
    assert report.run.document_id is None
    # A dry run is no import: the very file imports afterwards.
    real = run(kind, sample(kind), company)
    assert real.ok, real.problems
    assert real.outcome.created == SAMPLE_ROWS[kind]
    assert counts() != before


# Round trip ----------------------------------------------------------------------------------------


def test_exports_imported_into_an_empty_company_export_the_same(company, other_company):
    import_samples(company)
    exports = {kind: exported(kind, company) for kind in ORDER}
    for kind in ORDER:
        assert exports[kind].count("\r\n") == SAMPLE_ROWS[kind] + 1, (kind, exports[kind])
    for kind in ORDER:
        report = run(kind, exports[kind], other_company, file_name=f"alpha-{kind}.csv")
        assert report.ok, (kind, report.problems)
        assert report.outcome.created == SAMPLE_ROWS[kind]
    for kind in ORDER:
        assert exported(kind, other_company) == exports[kind], kind
    assert exported("history", other_company).count("\r\n") == exported("history", company).count("\r\n") == 7
