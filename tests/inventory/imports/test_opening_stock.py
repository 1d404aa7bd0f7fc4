"""Opening stock is posted through the ledger: it verifies, serials are exactly 1, quantities are
Decimals (never floats, SQLite included)."""

from decimal import Decimal

from inventory.models import Balance, DocumentLine, Lot, StockMove
from inventory.selectors import ledger_verify

from .helpers import counts, exported, import_samples, messages, problem_at, run, sample


def test_the_ledger_verifies_after_an_opening_stock_import(company):
    import_samples(company)
    assert StockMove.objects.filter(company=company).count() == 6
    assert ledger_verify() == []


def test_serial_quantities_are_exactly_one_and_quantities_are_decimals(company):
    import_samples(company)
    serials = Balance.objects.filter(company=company, lot__kind="serial")
    assert serials.count() == 3
    for balance in serials:
        assert type(balance.quantity) is Decimal
        assert balance.quantity == Decimal(1)
        assert balance.is_serial
    for move in StockMove.objects.filter(company=company):
        assert type(move.quantity) is Decimal, move.quantity
    quantities = sorted(StockMove.objects.filter(company=company).values_list("quantity", flat=True))
    assert all(type(q) is Decimal for q in quantities)
    assert quantities == [Decimal(1), Decimal(1), Decimal(1), Decimal(40), Decimal(120), Decimal(500)]
    lines = dict(DocumentLine.objects.filter(company=company).values_list("item__sku", "quantity"))
    assert lines == {"FLOUR": Decimal(160), "PHONE": Decimal(3), "BAG": Decimal(500)}
    assert all(type(q) is Decimal for q in lines.values())


def test_fractional_quantities_are_kept_exactly(company):
    import_samples(company, before="opening_stock")
    content = "Item code,Location,Lot/serial number,Quantity\nFLOUR,SHOP,L2612-0001,0.1\nFLOUR,SHOP,L2612-0002,0.2\nBAG,SHOP,,1234.5678\n"
    report = run("opening_stock", content, company)
    assert report.ok, messages(report)
    balances = {
        (b.item.sku, b.lot.number if b.lot else None): b.quantity
        for b in Balance.objects.filter(company=company).select_related("item", "lot")
    }
    assert balances == {
        ("FLOUR", "L2612-0001"): Decimal("0.1"),
        ("FLOUR", "L2612-0002"): Decimal("0.2"),
        ("BAG", None): Decimal("1234.5678"),
    }
    assert sum(b for k, b in balances.items() if k[0] == "FLOUR") == Decimal("0.3")
    assert ledger_verify() == []
    assert "BAG,SHOP,,1234.5678," in exported("opening_stock", company)


def test_a_serial_quantity_other_than_one_is_refused(company):
    import_samples(company, before="opening_stock")
    before = counts()
    content = "Item code,Location,Lot/serial number,Quantity\nPHONE,SHOP,SN-000001,1.0\nPHONE,SHOP,SN-000002,0.5\nPHONE,SHOP,SN-000003,2\n"
    report = run("opening_stock", content, company)
    assert problem_at(report, 2) == [], messages(report)  # 1.0 is one
    assert problem_at(report, 3) == [("Quantity", "SN-000002 is a serial number: its quantity is 1")]
    assert problem_at(report, 4) == [("Quantity", "SN-000003 is a serial number: its quantity is 1")]
    assert counts() == before


def test_quantities_that_are_not_quantities(company):
    import_samples(company, before="opening_stock")
    content = "Item code,Location,Quantity\nBAG,SHOP,0\nBAG,WH1,-2\nBAG,WH1-A,1.23456\nBAG,WH1-A-01,\n"
    report = run("opening_stock", content, company)
    assert problem_at(report, 2) == [("Quantity", "the quantity must be more than zero")], messages(report)
    assert problem_at(report, 3) == [("Quantity", "the quantity must be more than zero")]
    assert problem_at(report, 4) == [("Quantity", "the quantity 1.23456 has more than 4 decimal places")]
    assert problem_at(report, 5) == [("Quantity", "is empty: a quantity is required")]
    assert not StockMove.objects.exists()


def test_serials_posted_are_in_stock_where_the_file_puts_them(company):
    import_samples(company)
    serials = {lot.number: (lot.in_stock, lot.last_location.code) for lot in Lot.objects.filter(company=company, kind="serial")}
    assert serials == {"SN-000001": (True, "WH1-A-01"), "SN-000002": (True, "WH1-A-01"), "SN-000003": (True, "SHOP")}


def test_a_refused_opening_stock_file_can_be_imported_once_its_lots_are_there(company):
    """Only an import that posted blocks the same file: a refused one (its lots missing) does not."""
    import_samples(company, before="lots")
    refused = run("opening_stock", sample("opening_stock"), company)
    assert not refused.ok and "import it with the lots kind first" in messages(refused)
    dry = run("opening_stock", b"Item code,Location,Quantity\nBAG,SHOP,1\n", company, dry_run=True)
    assert dry.ok
    run("lots", sample("lots"), company)
    report = run("opening_stock", sample("opening_stock"), company)
    assert report.ok, messages(report)
    assert StockMove.objects.filter(company=company).count() == 6
    assert run("opening_stock", b"Item code,Location,Quantity\nBAG,SHOP,1\n", company).ok  # the dry-run file is new too
    assert ledger_verify() == []
