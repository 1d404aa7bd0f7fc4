"""Rows that are well formed but conflict with what the company has (or with the rest of the file):
each is named, and nothing of the file is written."""

from datetime import date
from decimal import Decimal

from inventory.models import DocumentKind, Item, Location, Lot, LotKind, LotSerialClass, StockMove
from inventory.services import document_create, document_line_add, line_allocate

from .helpers import counts, import_samples, messages, problem_at, run, sample

# Locations -----------------------------------------------------------------------------------------


def test_a_parent_location_that_does_not_exist(company):
    before = counts()
    report = run("locations", "Code,Name,Parent\nA1,Aisle 1,\nA2,Aisle 2,A9\n", company)
    assert problem_at(report, 3) == [("Parent", "no location A9 (in the company or this file)")], messages(report)
    assert len(report.problems) == 1
    assert counts() == before


def test_a_parent_already_in_the_company_or_later_in_the_file_is_found(company):
    run("locations", "Code,Name\nWH1,Main\n", company)
    report = run("locations", "Code,Name,Parent\nA1-01,Bin 1,A1\nA1,Aisle 1,WH1\n", company)
    assert report.ok, messages(report)
    parents = dict(Location.objects.filter(company=company, code__in=["A1", "A1-01"]).values_list("code", "parent__code"))
    assert parents == {"A1": "WH1", "A1-01": "A1"}


def test_locations_inside_each_other_are_refused(company):
    run("locations", "Code,Name\nA1,Aisle 1\n", company)
    before = counts()
    report = run("locations", "Code,Name,Parent\nA1,Aisle 1,A2\nA2,Aisle 2,A1\n", company)
    assert problem_at(report, 2) == [("Parent", "A2 is inside A1: a location cannot contain itself")], messages(report)
    assert problem_at(report, 3) == [("Parent", "A1 is inside A2: a location cannot contain itself")]
    assert counts() == before
    assert Location.objects.get(company=company, code="A1").parent is None


def test_a_virtual_location_is_not_imported(company):
    report = run("locations", "Code,Name\nADJUSTMENT,Mine now\n", company)
    assert problem_at(report, 2) == [("Code", "ADJUSTMENT is one of the company's virtual locations: it is not imported")]
    assert Location.objects.get(company=company, code="ADJUSTMENT").name == "Inventory adjustment"


# Classes -------------------------------------------------------------------------------------------


def test_a_pattern_check_needs_a_valid_pattern(company):
    content = (
        "Code,Name,Tracking,Number check,Number pattern\n"
        "M1,Maker one,serial,pattern,\n"
        "M2,Maker two,serial,pattern,([A-Z\n"
        "M3,Maker three,serial,pattern,[A-Z]{2}\\d{6}\n"
    )
    report = run("classes", content, company)
    assert problem_at(report, 2) == [("Number pattern", "a pattern is needed when the number check is 'pattern'")], messages(report)
    assert "not a valid regular expression" in problem_at(report, 3, "Number pattern")[0][1]
    assert [p.row for p in report.problems] == [2, 3]
    assert not LotSerialClass.objects.filter(company=company).exists()


def test_the_tracking_of_a_class_whose_items_moved_stays(company):
    import_samples(company)
    before = counts()
    report = run("classes", sample("classes").decode().replace("SERX,Device serials,serial", "SERX,Device serials,lot"), company)
    assert problem_at(report, 3) == [("Tracking", "SERX's items have stock moves: its tracking stays serial")], messages(report)
    assert len(report.problems) == 1
    assert counts() == before
    assert LotSerialClass.objects.get(company=company, code="SERX").tracking == "serial"


def test_the_tracking_of_a_class_whose_items_never_moved_changes(company):
    import_samples(company, before="lots")
    report = run("classes", sample("classes").decode().replace("SERX,Device serials,serial", "SERX,Device serials,lot"), company)
    assert report.ok, messages(report)
    assert (report.outcome.changed, report.outcome.unchanged) == (1, 1)
    assert LotSerialClass.objects.get(company=company, code="SERX").tracking == "lot"


# Items ---------------------------------------------------------------------------------------------


def test_an_item_of_a_class_that_does_not_exist(company):
    import_samples(company, before="items")
    before = counts()
    report = run("items", "Item code,Name,Lot/serial class\nI1,One,LOTX\nI2,Two,NOPE\n", company)
    assert problem_at(report, 3) == [("Lot/serial class", "no lot/serial class NOPE (import the classes first)")], messages(report)
    assert len(report.problems) == 1
    assert counts() == before


def test_the_class_of_an_item_with_stock_moves_stays(company):
    import_samples(company)
    before = counts()
    report = run("items", sample("items").decode().replace(",yes,ea,SERX,", ",yes,ea,LOTX,"), company)
    assert problem_at(report, 3) == [("Lot/serial class", "PHONE has stock moves: its lot/serial class stays as it is")], messages(report)
    assert len(report.problems) == 1
    assert counts() == before
    assert Item.objects.get(company=company, sku="PHONE").lot_class.code == "SERX"


def test_the_valuation_of_an_item_with_stock_moves_stays(company):
    import_samples(company)
    report = run(
        "items", sample("items").decode().replace("BAG,Paper bag,,yes,ea,,none,average", "BAG,Paper bag,,yes,ea,,none,fifo"), company
    )
    assert problem_at(report, 4) == [("Valuation", "BAG has stock moves: its valuation stays as it is")], messages(report)
    assert Item.objects.get(company=company, sku="BAG").valuation_method == "average"


def test_the_class_of_an_item_without_stock_moves_changes(company):
    import_samples(company, before="lots")
    report = run("items", sample("items").decode().replace(",yes,ea,SERX,", ",yes,ea,LOTX,"), company)
    assert report.ok, messages(report)
    assert (report.outcome.created, report.outcome.changed, report.outcome.unchanged) == (0, 1, 2)
    assert Item.objects.get(company=company, sku="PHONE").lot_class.code == "LOTX"


# Lots and serials ----------------------------------------------------------------------------------


def test_a_serial_entered_on_a_draft_already(company):
    import_samples(company, before="opening_stock")
    phone = Item.objects.get(company=company, sku="PHONE")
    receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=Location.objects.get(company=company, code="SHOP"))
    line = document_line_add(document=receipt, item=phone, quantity=Decimal(1))
    assert not line_allocate(line=line, numbers=["SN-000009"]).rejected
    before = counts()
    report = run("lots", "Item code,Lot/serial number\nPHONE,SN-000008\nPHONE,SN-000009\n", company)
    assert problem_at(report, 3) == [("Lot/serial number", "SN-000009 is already entered on a draft document for PHONE")], messages(report)
    assert len(report.problems) == 1
    assert counts() == before


def test_a_number_that_does_not_match_the_class_pattern(company):
    import_samples(company, before="items")
    run("classes", "Code,Name,Tracking,Number check,Number pattern\nMAKER,Maker serials,serial,pattern,[A-Z]{2}\\d{6}\n", company)
    run("items", "Item code,Name,Lot/serial class\nDRILL,Drill,MAKER\n", company)
    before = counts()
    report = run("lots", "Item code,Lot/serial number\nDRILL,AB123456\nDRILL,ab-1234\nDRILL,CD654321\n", company)
    assert problem_at(report, 3) == [
        ("Lot/serial number", "ab-1234 does not have the shape of its numbers (the pattern [A-Z]{2}\\d{6})")
    ], messages(report)
    assert len(report.problems) == 1
    assert counts() == before
    good = run("lots", "Item code,Lot/serial number\nDRILL,AB123456\nDRILL,CD654321\n", company)
    assert good.ok, messages(good)
    assert set(Lot.objects.filter(company=company, item__sku="DRILL").values_list("number", flat=True)) == {"AB123456", "CD654321"}


def test_a_number_that_does_not_have_the_template_shape(company):
    import_samples(company, before="lots")
    LotSerialClass.objects.filter(company=company, code="SERX").update(number_check="template")
    report = run("lots", "Item code,Lot/serial number\nPHONE,SN-000001\nPHONE,SN-12\n", company)
    assert [p.row for p in report.problems] == [3], messages(report)
    assert problem_at(report, 3)[0][1].startswith("SN-12 does not have the shape of its numbers")
    assert not Lot.objects.filter(company=company).exists()


def test_a_number_of_an_item_not_tracked_or_unknown(company):
    import_samples(company, before="lots")
    report = run("lots", "Item code,Lot/serial number\nBAG,B1\nX-12,L1\n", company)
    assert problem_at(report, 2) == [("Item code", "BAG is not tracked by lot or serial number")], messages(report)
    assert problem_at(report, 3) == [("Item code", "no item with code X-12")]


def test_a_serial_of_a_lot_and_serial_item_needs_its_lot_and_creates_it(company):
    import_samples(company, before="lots")
    run("classes", "Code,Name,Tracking\nKITS,Kits,lot_serial\n", company)
    run("items", "Item code,Name,Lot/serial class\nKIT,Kit,KITS\n", company)
    report = run("lots", "Item code,Lot/serial number,Parent lot\nKIT,K1,\nKIT,K2,LOT-A\n", company)
    assert problem_at(report, 2) == [("Parent lot", "KIT is numbered by lot and serial: give the lot of this serial")], messages(report)
    assert not Lot.objects.filter(company=company).exists()
    report = run("lots", "Item code,Lot/serial number,Parent lot,Expiration date\nKIT,K1,LOT-A,2027-05-01\nKIT,K2,LOT-A,\n", company)
    assert report.ok, messages(report)
    lots = {lot.number: (lot.kind, lot.parent.number if lot.parent else None) for lot in Lot.objects.filter(company=company)}
    assert lots == {"LOT-A": (LotKind.LOT, None), "K1": (LotKind.SERIAL, "LOT-A"), "K2": (LotKind.SERIAL, "LOT-A")}


def _kits(company):
    """KIT, numbered by lot and serial: serials K1 and K2 in lot LOT-A."""
    import_samples(company, before="lots")
    run("classes", "Code,Name,Tracking\nKITS,Kits,lot_serial\n", company)
    run("items", "Item code,Name,Lot/serial class\nKIT,Kit,KITS\n", company)
    assert run("lots", "Item code,Lot/serial number,Parent lot\nKIT,K1,LOT-A\nKIT,K2,LOT-A\n", company).ok


def _kit_lots(company):
    return {lot.number: (lot.kind, lot.parent.number if lot.parent else None) for lot in Lot.objects.filter(company=company)}


def test_a_serial_number_already_entered_is_not_the_lot_of_another_serial(company):
    _kits(company)
    before = _kit_lots(company)
    report = run("lots", "Item code,Lot/serial number,Parent lot\nKIT,K9,K1\n", company)
    assert not report.ok, f"K9 was put in serial K1 as if it were a lot: {_kit_lots(company)}"
    assert {p.row for p in report.problems} == {2}
    assert {p.column for p in report.problems} <= {"Parent lot", "Lot/serial number"}
    assert _kit_lots(company) == before


def test_a_lot_number_already_entered_is_not_taken_for_a_serial(company):
    _kits(company)
    before = _kit_lots(company)
    report = run("lots", "Item code,Lot/serial number,Parent lot\nKIT,LOT-A,LOT-B\n", company)
    assert not report.ok, f"lot LOT-A was taken for a serial of LOT-B ({report.outcome.changed} changed): {_kit_lots(company)}"
    assert {p.row for p in report.problems} == {2}
    assert {p.column for p in report.problems} <= {"Parent lot", "Lot/serial number"}
    assert _kit_lots(company) == before


def test_a_parent_lot_for_an_item_without_lots_above_its_numbers(company):
    import_samples(company, before="lots")
    report = run("lots", "Item code,Lot/serial number,Parent lot\nPHONE,SN-000001,LOT-A\n", company)
    assert problem_at(report, 2) == [("Parent lot", "PHONE has no lots above its numbers: leave this empty")], messages(report)


def test_the_receipt_cost_of_a_number_that_moved_stays(company):
    import_samples(company)
    before = counts()
    report = run("lots", "Item code,Lot/serial number,Unit cost\nPHONE,SN-000001,999\n", company)
    assert len(report.problems) == 1, messages(report)
    column, message = problem_at(report, 2)[0]
    assert column == "Unit cost"
    assert message.startswith("SN-000001 has stock moves: its receipt cost stays 118")
    assert counts() == before
    assert Lot.objects.get(company=company, number="SN-000001").unit_cost == Decimal("118")


def test_the_expiry_of_a_lot_that_moved_changes(company):
    import_samples(company)
    report = run("lots", "Item code,Lot/serial number,Expiration date,Reference\nFLOUR,L2612-0001,2027-09-30,Mill batch 8812\n", company)
    assert report.ok, messages(report)
    assert (report.outcome.created, report.outcome.changed, report.outcome.unchanged) == (0, 1, 0)
    lot = Lot.objects.get(company=company, number="L2612-0001")
    assert (lot.expiry_date, lot.reference, lot.unit_cost) == (date(2027, 9, 30), "Mill batch 8812", Decimal("0.78"))


# Opening stock -------------------------------------------------------------------------------------


def test_a_serial_already_in_stock(company):
    import_samples(company)
    before = counts()
    report = run("opening_stock", "Item code,Location,Lot/serial number,Quantity\nBAG,WH1,,3\nPHONE,SHOP,SN-000002,1\n", company)
    assert problem_at(report, 3) == [("Lot/serial number", "SN-000002 is in stock already, at WH1-A-01")], messages(report)
    assert len(report.problems) == 1
    assert counts() == before


def test_a_lot_that_does_not_exist(company):
    import_samples(company, before="opening_stock")
    before = counts()
    report = run("opening_stock", "Item code,Location,Lot/serial number,Quantity\nFLOUR,SHOP,L2612-0001,3\nFLOUR,SHOP,L9999,3\n", company)
    assert problem_at(report, 3) == [("Lot/serial number", "no lot/serial L9999 of FLOUR (import it with the lots kind first)")], messages(
        report
    )
    assert len(report.problems) == 1
    assert counts() == before


def test_stock_at_a_virtual_or_archived_location(company):
    import_samples(company, before="opening_stock")
    run("locations", "Code,Name,Active\nOLD,Old store,no\n", company)
    report = run("opening_stock", "Item code,Location,Quantity\nBAG,ADJUSTMENT,1\nBAG,OLD,1\n", company)
    assert problem_at(report, 2) == [("Location", "ADJUSTMENT is virtual: stock is kept at active internal locations")], messages(report)
    assert problem_at(report, 3) == [("Location", "OLD is archived: stock is kept at active internal locations")]
    assert not StockMove.objects.exists()


def test_numbers_given_or_missing_against_the_items_tracking(company):
    import_samples(company, before="opening_stock")
    report = run("opening_stock", "Item code,Location,Lot/serial number,Quantity\nFLOUR,SHOP,,3\nBAG,SHOP,B1,3\n", company)
    assert problem_at(report, 2) == [("Lot/serial number", "FLOUR is tracked: give its lot/serial number")], messages(report)
    assert problem_at(report, 3) == [("Lot/serial number", "BAG is not tracked by lot or serial number: leave this empty")]
    assert not StockMove.objects.exists()


# A file with fewer columns --------------------------------------------------------------------------


def test_a_locations_file_without_some_columns_leaves_them_as_they_are(company):
    """Only the columns a file has are compared, so only those may change: archiving WH1-A with
    a file of Code and Active keeps its name and its parent."""
    run("locations", sample("locations"), company)
    report = run("locations", "Code,Active\nWH1-A,no\n", company)
    assert report.ok, messages(report)
    assert (report.outcome.changed, report.outcome.unchanged) == (1, 0)
    aisle = Location.objects.select_related("parent").get(company=company, code="WH1-A")
    assert (aisle.name, aisle.parent.code if aisle.parent else None, aisle.is_active) == ("Aisle A", "WH1", False)


def test_a_locations_file_without_an_active_column_does_not_bring_archived_ones_back(company):
    run("locations", sample("locations").decode().replace("SHOP,Shop floor,,yes", "SHOP,Shop floor,,no"), company)
    report = run("locations", "Code,Name\nSHOP,Shop floor (old)\n", company)
    assert report.ok, messages(report)
    shop = Location.objects.get(company=company, code="SHOP")
    assert (shop.name, shop.is_active) == ("Shop floor (old)", False)


def test_an_items_file_without_some_columns_leaves_them_as_they_are(company):
    import_samples(company, before="lots")
    report = run("items", "Item code,Name,Sale price\nPHONE,Phone X,249\n", company)
    assert report.ok, messages(report)
    assert report.outcome.changed == 1
    phone = Item.objects.select_related("lot_class").get(company=company, sku="PHONE")
    assert (phone.name, phone.lot_class.code, phone.gtin, phone.unit_cost, phone.sale_price) == (
        "Phone X",
        "SERX",
        "09506000134352",
        Decimal("120"),
        Decimal("249"),
    )


def test_the_serials_of_a_new_lot_expire_with_it_and_a_different_date_is_refused(company):
    _kits(company)
    before = _kit_lots(company)
    report = run(
        "lots",
        "Item code,Lot/serial number,Parent lot,Expiration date\nKIT,K5,LOT-C,2027-06-30\nKIT,K6,LOT-C,\nKIT,K7,LOT-C,2027-07-31\n",
        company,
    )
    assert problem_at(report, 4) == [
        ("Expiration date", "lot LOT-C expires on 2027-06-30, and its serials with it: leave this empty or give the lot's date")
    ], messages(report)
    assert len(report.problems) == 1
    assert _kit_lots(company) == before

    assert run("lots", "Item code,Lot/serial number,Parent lot,Expiration date\nKIT,K5,LOT-C,2027-06-30\nKIT,K6,LOT-C,\n", company).ok
    expiries = dict(Lot.objects.filter(company=company, number__in=["LOT-C", "K5", "K6"]).values_list("number", "expiry_date"))
    assert expiries == {"LOT-C": date(2027, 6, 30), "K5": date(2027, 6, 30), "K6": date(2027, 6, 30)}


def test_a_serial_of_an_existing_lot_takes_its_date(company):
    _kits(company)
    Lot.objects.filter(company=company, number="LOT-A").update(expiry_date=date(2028, 1, 31))
    report = run("lots", "Item code,Lot/serial number,Parent lot\nKIT,K3,LOT-A\n", company)
    assert report.ok, messages(report)
    assert Lot.objects.get(company=company, number="K3").expiry_date == date(2028, 1, 31)
    refused = run("lots", "Item code,Lot/serial number,Parent lot,Expiration date\nKIT,K4,LOT-A,2028-02-29\n", company)
    assert problem_at(refused, 2) == [
        ("Expiration date", "lot LOT-A expires on 2028-01-31, and its serials with it: leave this empty or give the lot's date")
    ]
