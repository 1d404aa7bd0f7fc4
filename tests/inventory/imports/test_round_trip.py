"""Everything a company can hold in these files, exported and imported into an empty company,
exports the same: lot-and-serial items, patterns, archived rows, text with commas, quotes, line
breaks and formula characters, dates in the company's format."""

import csv
import io

import pytest

from inventory.models import DateFormat

from .helpers import ORDER, exported, import_samples, messages, run, sample

RICH = {
    "locations": 'Code,Name,Parent,Active\nZ9,"Zone, nine",,yes\nZ9-1,=Bin one,Z9,no\nA0,Alpha,Z9-1,yes\n',
    "partners": 'Code,Name,Supplier,Customer,Email,Phone\nQ1,"Quote ""Q"" Co, Ltd",yes,yes,q@example.com,-12\nQ2,"@home\nsecond line",no,no,,\n',
    "classes": (
        "Code,Name,Tracking,Track expiry,Expiry alert days,Assignment,Issue method,Batch size,Shared counter,Number check,"
        "Number pattern,Numbering\n"
        "KITS,Kits,lot_serial,yes,7,used,manual,50,no,template,,constant:K|date:YY|counter:0001\n"
        "MAKER,Maker serials,serial,no,0,received,sequential,1,yes,pattern,[A-Z]{2}\\d{6},\n"
        "PLAIN,No numbers,none,no,,,,,,,,\n"
    ),
    "items": (
        "Item code,Name,Description,Stocked,Unit of measure,Lot/serial class,Tracking scope,Valuation,Standard unit cost,"
        "Counter start,GTIN,Sale price,Active\n"
        'KIT,Kit,"Box, with ""manual""\nand cable",yes,box,KITS,full,specific,12.3456,0100,12345670,20,yes\n'
        "DRILL,Drill,,yes,ea,MAKER,full,fifo,50,,,0,yes\n"
        "SERVICE,Service,,no,ea,,none,standard,0,,,99.99,no\n"
    ),
    "lots": (
        "Item code,Lot/serial number,Parent lot,Expiration date,Reference,Notes,Unit cost\n"
        'KIT,K270001,LOT-A,{date},"Ref, one","Note\nwith a line break",10\n'
        "KIT,K270002,LOT-A,,,,10\n"
        "KIT,K270003,LOT-B,,,=not a formula,11.5\n"
        "DRILL,AB123456,,,,,49.99\n"
        "DRILL,CD654321,,,,,\n"
    ),
    "opening_stock": (
        "Item code,Location,Lot/serial number,Quantity,Unit cost\n"
        "KIT,A0,K270001,1,\n"
        "KIT,Z9,K270002,1,\n"
        "DRILL,A0,AB123456,1,49.99\n"
        "FLOUR,Z9,L2612-0001,0.0005,\n"
        "BAG,A0,,12.5,\n"
    ),
}


@pytest.mark.parametrize(("date_format", "written"), [(DateFormat.DMY, "31/12/2027"), (DateFormat.MDY, "12/31/2027")])
def test_a_rich_company_exported_and_imported_exports_the_same(company, other_company, date_format, written):
    import_samples(company)  # their dates are ISO or day/month/year
    for target in (company, other_company):
        target.date_format = date_format
        target.save(update_fields=["date_format"])
    for kind in ORDER:
        content = RICH[kind].replace("{date}", written)
        report = run(kind, content, company, file_name=f"rich-{kind}.csv")
        assert report.ok, (kind, messages(report))
    exports = {kind: exported(kind, company) for kind in ORDER}
    assert "2027-12-31" in exports["lots"]
    for kind in ORDER:
        report = run(kind, exports[kind], other_company)
        assert report.ok, (kind, messages(report), exports[kind])
    for kind in ORDER:
        assert exported(kind, other_company) == exports[kind], kind
    # And each export imported again into the company it came from changes nothing (opening stock
    # aside: that would be stock twice).
    for kind in ORDER[:-1]:
        again = run(kind, exports[kind], company)
        assert again.ok, (kind, messages(again))
        assert (again.outcome.created, again.outcome.changed) == (0, 0), (kind, again.outcome)


def test_opening_stock_of_serials_tracked_inside_the_company_only_exports_their_numbers(company, other_company):
    """Serials whose scope stops short of full tracking (here creditor and internal) still need
    their numbers to be brought in as opening stock: the export, which is an opening-stock file,
    has to give them, or it cannot be imported back."""
    import_samples(company, before="lots")
    extra = {
        "items": "Item code,Name,Lot/serial class,Tracking scope\nLOOSE,Loose phone,SERX,creditor_internal\n",
        "lots": "Item code,Lot/serial number\nLOOSE,SN-100001\nLOOSE,SN-100002\n",
        "opening_stock": "Item code,Location,Lot/serial number,Quantity\nLOOSE,SHOP,SN-100001,1\nLOOSE,WH1,SN-100002,1\n",
    }
    for kind, content in extra.items():
        report = run(kind, content, company)
        assert report.ok, (kind, messages(report))
    text = exported("opening_stock", company)
    assert "LOOSE,SHOP,SN-100001,1," in text and "LOOSE,WH1,SN-100002,1," in text, text
    for kind in ORDER:
        report = run(kind, exported(kind, company), other_company)
        assert report.ok, (kind, messages(report))
    assert exported("opening_stock", other_company) == text


def _moves(company) -> list[list[str]]:
    """The history's rows without their date, document and user (which a new company renumbers)."""
    rows = list(csv.reader(io.StringIO(exported("history", company), newline="")))
    return sorted(row[2:10] for row in rows[1:])


def test_the_cost_of_unnumbered_opening_stock_survives_the_round_trip(company, other_company):
    """BAG is brought in at 0.07 (its standard cost is 0.05): the export, imported into another
    company, must post it at 0.07 too, not fall back on the standard cost."""
    import_samples(company, before="opening_stock")
    report = run("opening_stock", sample("opening_stock").decode().replace("BAG,SHOP,,500,0.05", "BAG,SHOP,,500,0.07"), company)
    assert report.ok, messages(report)
    assert ["Adjustment", "", "ADJUSTMENT", "SHOP", "BAG", "", "500", "0.07"] in _moves(company)
    for kind in ORDER:
        report = run(kind, exported(kind, company), other_company)
        assert report.ok, (kind, messages(report))
    assert _moves(other_company) == _moves(company)
