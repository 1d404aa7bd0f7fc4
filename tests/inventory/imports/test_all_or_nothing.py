"""A file with any bad row writes nothing; every problem of every row is reported at once, named by
row and column in an operator's words."""

import pytest

from inventory.models import ImportResult, ImportRun, Partner

from .helpers import ORDER, counts, import_samples, messages, problem_at, run

# kind → (file with good rows and a bad last row, that row, its column, the message)
BAD_LAST_ROW = {
    "locations": (
        "Code,Name,Parent,Active\nA1,Aisle 1,,yes\nA2,Aisle 2,A1,yes\nA3,Aisle 3,A1,maybe\n",
        4,
        "Active",
        "maybe is not yes or no",
    ),
    "partners": (
        "Code,Name,Supplier,Customer,Email,Phone\nP1,One,yes,no,,\nP2,Two,no,yes,two@example.com,\nP3,Three,no,no,not-an-email,\n",
        4,
        "Email",
        "not-an-email is not an e-mail address",
    ),
    "classes": (
        "Code,Name,Tracking,Numbering\nC1,One,lot,constant:A|counter:001\nC2,Two,serial,constant:B|counter:001\nC3,Three,sometimes,\n",
        4,
        "Tracking",
        "sometimes is not one of: none, lot, serial, lot_serial",
    ),
    "items": (
        "Item code,Name,Lot/serial class,Standard unit cost\nI1,One,LOTX,1.5\nI2,Two,SERX,2\nI3,Three,,abc\n",
        4,
        "Standard unit cost",
        "abc is not a number",
    ),
    "lots": (
        "Item code,Lot/serial number,Expiration date\nFLOUR,L1,2027-01-31\nPHONE,SN-000101,\nFLOUR,L2,31/02/2027\n",
        4,
        "Expiration date",
        "31/02/2027 is not a date",
    ),
    "opening_stock": (
        "Item code,Location,Lot/serial number,Quantity\nFLOUR,SHOP,L2612-0001,5\nPHONE,SHOP,SN-000001,1\nBAG,SHOP,,many\n",
        4,
        "Quantity",
        "'many' is not a quantity",
    ),
}


@pytest.mark.parametrize("kind", ORDER)
def test_a_bad_last_row_writes_nothing_and_is_named(company, kind):
    import_samples(company, before=kind)
    content, row, column, message = BAD_LAST_ROW[kind]
    before, runs = counts(), ImportRun.objects.count()
    report = run(kind, content, company)
    assert not report.ok
    assert len(report.problems) == 1, messages(report)
    problem = report.problems[0]
    assert (problem.row, problem.column) == (row, column)
    assert message in problem.message
    assert counts() == before
    assert ImportRun.objects.count() == runs + 1
    assert (report.run.result, report.run.errors, report.run.created) == (ImportResult.FAILED, 1, 0)


@pytest.mark.parametrize("kind", ORDER)
def test_the_same_file_without_its_bad_row_imports(company, kind):
    """The bad-last-row files are otherwise good: it is that row, and only it, that stops them."""
    import_samples(company, before=kind)
    content = BAD_LAST_ROW[kind][0]
    good = "".join(content.splitlines(keepends=True)[:-1])
    report = run(kind, good, company)
    assert report.ok, messages(report)
    assert report.outcome.created == 2


# kind → (file with a natural key twice, the later row, its column, the message)
DUPLICATES = {
    "locations": ("Code,Name\nA1,Aisle 1\nA2,Aisle 2\nA1,Aisle 1 again\n", 4, "Code", "A1 appears twice in this file, also row 2"),
    "partners": ("Code,Name\nP1,One\nP2,Two\nP1,One again\n", 4, "Code", "P1 appears twice in this file, also row 2"),
    "classes": (
        "Code,Name,Tracking\nC1,One,lot\nC2,Two,serial\nC3,Three,lot\nC2,Two again,serial\n",
        5,
        "Code",
        "C2 appears twice in this file, also row 3",
    ),
    "items": ("Item code,Name\nI1,One\nI2,Two\nI1,One again\n", 4, "Item code", "I1 appears twice in this file, also row 2"),
    "lots": (
        "Item code,Lot/serial number\nPHONE,SN-000101\nFLOUR,SN-000101\nPHONE,SN-000102\nPHONE,SN-000101\n",
        5,
        "Lot/serial number",
        "SN-000101 appears twice in this file, also row 2",
    ),
    "opening_stock": (
        "Item code,Location,Lot/serial number,Quantity\nPHONE,WH1,SN-000001,1\nBAG,SHOP,,5\nPHONE,SHOP,SN-000001,1\n",
        4,
        "Lot/serial number",
        "SN-000001 appears twice in this file, also row 2",
    ),
}


@pytest.mark.parametrize("kind", ORDER)
def test_a_natural_key_twice_in_the_file_names_both_rows(company, kind):
    import_samples(company, before=kind)
    content, row, column, message = DUPLICATES[kind]
    before = counts()
    report = run(kind, content, company)
    assert not report.ok
    assert problem_at(report, row, column) == [(column, message)], messages(report)
    assert len(report.problems) == 1, messages(report)
    assert counts() == before


def test_opening_stock_without_numbers_twice_at_one_place_names_both_rows(company):
    import_samples(company, before="opening_stock")
    report = run("opening_stock", "Item code,Location,Quantity\nBAG,SHOP,5\nBAG,WH1,5\nBAG,SHOP,3\n", company)
    assert problem_at(report, 4) == [("Location", "BAG at SHOP appears twice in this file, also row 2")], messages(report)
    assert len(report.problems) == 1


def test_opening_stock_a_lot_twice_at_one_place_names_both_rows(company):
    import_samples(company, before="opening_stock")
    content = "Item code,Location,Lot/serial number,Quantity\nFLOUR,SHOP,L2612-0001,5\nFLOUR,WH1,L2612-0001,5\nFLOUR,SHOP,L2612-0001,3\n"
    report = run("opening_stock", content, company)
    assert problem_at(report, 4) == [("Lot/serial number", "L2612-0001 appears twice in this file, also row 2")], messages(report)
    assert len(report.problems) == 1


# Every problem at once -----------------------------------------------------------------------------


def test_every_bad_row_is_reported_in_one_run(company):
    import_samples(company, before="items")
    content = (
        "Item code,Name,Lot/serial class,Standard unit cost,GTIN\n"
        "I1,One,NOPE,1,\n"  # an unknown class
        "I2,Two,LOTX,-3,\n"  # a negative cost
        "I3,Three,,1,12345\n"  # not a GTIN
        "I4,Four,SERX,2,\n"  # good
        "I5,,,x,\n"  # no name, not a number
    )
    before = counts()
    report = run("items", content, company)
    assert {p.row for p in report.problems} == {2, 3, 4, 6}, messages(report)
    assert len(report.problems) >= 5
    assert problem_at(report, 2) == [("Lot/serial class", "no lot/serial class NOPE (import the classes first)")]
    assert problem_at(report, 3) == [("Standard unit cost", "-3 is less than 0")]
    assert "12345 is not a GTIN" in problem_at(report, 4, "GTIN")[0][1]
    assert {column for column, _ in problem_at(report, 6)} == {"Name", "Standard unit cost"}
    assert report.run.errors == len(report.problems)
    assert counts() == before


def test_three_bad_lots_give_three_problems(company):
    import_samples(company, before="lots")
    content = "Item code,Lot/serial number,Expiration date\nFLOUR,L1,31/02/2027\nX-12,L2,\nFLOUR,L3,2027-13-01\nFLOUR,L4,2027-12-01\n"
    report = run("lots", content, company)
    assert [p.row for p in report.problems] == [2, 3, 4], messages(report)
    assert problem_at(report, 2)[0][0] == "Expiration date"
    assert problem_at(report, 2)[0][1].startswith("31/02/2027 is not a date")
    assert problem_at(report, 3) == [("Item code", "no item with code X-12")]
    assert problem_at(report, 4)[0][1].startswith("2027-13-01 is not a date")
    assert not report.ok
    assert counts()["Lot"] == 0


def test_three_bad_opening_stock_rows_give_three_problems(company):
    import_samples(company, before="opening_stock")
    before = counts()
    content = "Item code,Location,Lot/serial number,Quantity\nX-12,SHOP,,1\nBAG,NOWHERE,,1\nPHONE,SHOP,SN-000001,2\nBAG,SHOP,,4\n"
    report = run("opening_stock", content, company)
    assert problem_at(report, 2) == [("Item code", "no item with code X-12")], messages(report)
    assert problem_at(report, 3) == [("Location", "no location NOWHERE")]
    assert problem_at(report, 4) == [("Quantity", "SN-000001 is a serial number: its quantity is 1")]
    assert len(report.problems) == 3
    assert counts() == before


# The file as a whole -------------------------------------------------------------------------------


def test_a_missing_column_refuses_the_file_naming_it(company):
    before = counts()
    report = run("partners", "Code,Supplier\nP1,yes\n", company)
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert (problem.row, problem.column) == (0, "")
    assert "missing column: Name" in problem.message
    assert report.run.result == ImportResult.FAILED
    assert counts() == before


def test_missing_columns_are_all_named(company):
    report = run("opening_stock", "Item code,Lot/serial number\nBAG,\n", company)
    assert "missing columns: Location, Quantity" in report.problems[0].message


def test_an_unknown_column_refuses_the_file_naming_it(company):
    before = counts()
    report = run("partners", "Code,Name,Colour,Shoe size\nP1,One,red,42\n", company)
    assert len(report.problems) == 1
    assert report.problems[0].row == 0
    assert "unknown columns: Colour, Shoe size" in report.problems[0].message
    assert counts() == before


def test_a_column_given_twice_refuses_the_file(company):
    report = run("partners", "Code,Name,E-mail,Email\nP1,One,a@example.com,b@example.com\n", company)
    assert report.problems[0].row == 0
    assert "column given twice: Email" in report.problems[0].message
    assert counts()["Partner"] == 0


def test_headers_are_matched_whatever_their_case_and_spacing(company):
    report = run("partners", "  CODE , name ,Is_Supplier,e-mail\nP1,One,yes,one@example.com\n", company)
    assert report.ok, messages(report)
    assert report.outcome.created == 1
    partner = Partner.objects.get(company=company, code="P1")
    assert (partner.name, partner.is_supplier, partner.email) == ("One", True, "one@example.com")


def test_an_empty_file_is_refused(company):
    report = run("locations", b"", company)
    assert report.problems[0].row == 0
    assert "empty" in report.problems[0].message
    assert report.run.result == ImportResult.FAILED


def test_a_file_over_the_row_limit_is_refused(company):
    content = "Code,Name\n" + "".join(f"P{n},Partner {n}\n" for n in range(5))
    report = run("partners", content, company, max_rows=4)
    assert [(p.row, p.message) for p in report.problems] == [(0, "the file has more than 4 rows: import it with manage.py import_csv")]
    assert counts()["Partner"] == 0
    assert run("partners", content, company, max_rows=5).ok
    assert counts()["Partner"] == 5


def test_progress_is_told_every_row(company):
    told = []
    content = "Code,Name\n" + "".join(f"P{n},Partner {n}\n" for n in range(2345))
    report = run("partners", content, company, progress=told.append)
    assert report.ok, messages(report)
    assert sum(told) == 2345
    assert told[:2] == [1000, 1000]
