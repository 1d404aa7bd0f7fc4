"""Files as spreadsheets save them: a byte-order mark, semicolons, quoted fields holding commas,
quotes and line breaks, CRLF line ends, dates in ISO or the company's format; a file that is not
UTF-8 is refused in words, not with a traceback."""

import re
from datetime import date

import pytest

from inventory.models import DateFormat, ImportResult, Item, Lot, Partner

from .helpers import counts, import_samples, messages, problem_at, run

BOM = b"\xef\xbb\xbf"


def test_utf8_with_a_byte_order_mark(company):
    content = BOM + "Code,Name\r\nZ1,Café Zürich\r\nZ2,Łódź — 東京\r\n".encode()
    report = run("partners", content, company)
    assert report.ok, messages(report)
    assert dict(Partner.objects.filter(company=company).values_list("code", "name")) == {"Z1": "Café Zürich", "Z2": "Łódź — 東京"}


def test_semicolons_between_fields(company):
    content = BOM + b"Code;Name;Supplier;Email\r\nP1;Acme, Ltd;yes;a@example.com\r\nP2;Beta;no;\r\n"
    report = run("partners", content, company)
    assert report.ok, messages(report)
    rows = {p.code: (p.name, p.is_supplier, p.email) for p in Partner.objects.filter(company=company)}
    assert rows == {"P1": ("Acme, Ltd", True, "a@example.com"), "P2": ("Beta", False, "")}


def test_semicolon_file_problems_are_named_by_column(company):
    report = run("partners", "Code;Name;Supplier\nP1;One;perhaps\n", company)
    assert problem_at(report, 2) == [("Supplier", "perhaps is not yes or no")], messages(report)


def test_quoted_fields_with_commas_quotes_and_line_breaks_and_crlf(company):
    import_samples(company, before="items")
    content = b'Item code,Name,Description\r\nI1,"Bolt, M8 ""hex""","First line,\nsecond line"\r\nI2,Plain,"semi;colon"\r\n'
    report = run("items", content, company)
    assert report.ok, messages(report)
    rows = {i.sku: (i.name, i.description) for i in Item.objects.filter(company=company)}
    assert rows == {"I1": ('Bolt, M8 "hex"', "First line,\nsecond line"), "I2": ("Plain", "semi;colon")}


def test_crlf_line_ends_leave_no_carriage_return_in_the_last_column(company):
    report = run("partners", b"Code,Name,Phone\r\nP1,One,0123\r\nP2,Two,0456\r\n", company)
    assert report.ok, messages(report)
    assert sorted(Partner.objects.filter(company=company).values_list("phone", flat=True)) == ["0123", "0456"]


def test_a_blank_line_is_skipped_but_rows_keep_their_numbers(company):
    report = run("partners", "Code,Name\nP1,One\n\n,\nP2,\n", company)
    assert [(p.row, p.column) for p in report.problems] == [(5, "Name")], messages(report)


def test_a_bad_row_spread_over_two_lines_is_named_by_its_own_row(company):
    """A cell holding a line break: the row is where the spreadsheet shows it, row 2 (it starts on
    line 2 of the file too), not the line its record ends on."""
    content = 'Code,Name,Email\nP1,"Two\nlines",not-an-email\nP2,Two,\n'
    report = run("partners", content, company)
    assert [(p.row, p.column) for p in report.problems] == [(2, "Email")], messages(report)


def test_an_unbalanced_quote_refuses_the_file(company):
    report = run("partners", 'Code,Name\nP1,"One\n', company)
    assert not report.ok
    assert report.problems[0].row == 0
    assert counts()["Partner"] == 0


# Dates -------------------------------------------------------------------------------------------


LOTS = "Item code,Lot/serial number,Expiration date\nFLOUR,L1,{}\nFLOUR,L2,{}\n"


def _expiries(company):
    return dict(Lot.objects.filter(company=company).values_list("number", "expiry_date"))


def test_iso_dates_and_the_default_day_month_year(company):
    import_samples(company, before="lots")
    assert company.date_format == DateFormat.DMY == "%d/%m/%Y"
    report = run("lots", LOTS.format("2027-06-30", "30/06/2027"), company)
    assert report.ok, messages(report)
    assert _expiries(company) == {"L1": date(2027, 6, 30), "L2": date(2027, 6, 30)}


@pytest.mark.parametrize(
    ("date_format", "written"),
    [(DateFormat.MDY, "06/30/2027"), (DateFormat.DMY_DOTS, "30.06.2027"), (DateFormat.ISO, "2027-06-30")],
)
def test_the_companys_date_format(company, date_format, written):
    company.date_format = date_format
    company.save(update_fields=["date_format"])
    import_samples(company, before="lots")
    report = run("lots", LOTS.format(written, "2027-07-01"), company)
    assert report.ok, messages(report)
    assert _expiries(company) == {"L1": date(2027, 6, 30), "L2": date(2027, 7, 1)}


def test_a_date_in_another_format_than_the_companys_is_refused_in_words(company):
    company.date_format = DateFormat.MDY
    company.save(update_fields=["date_format"])
    import_samples(company, before="lots")
    report = run("lots", LOTS.format("30/06/2027", "2027-07-01"), company)
    assert problem_at(report, 2) == [("Expiration date", "30/06/2027 is not a date (write 2027-12-31 or 12/31/2027)")], messages(report)
    assert not Lot.objects.exists()


def test_a_date_that_does_not_exist(company):
    import_samples(company, before="lots")
    report = run("lots", LOTS.format("31/02/2027", "2027-02-29"), company)
    assert problem_at(report, 2) == [("Expiration date", "31/02/2027 is not a date (write 2027-12-31 or 31/12/2027)")], messages(report)
    assert problem_at(report, 3)[0][1].startswith("2027-02-29 is not a date")


# Encodings ---------------------------------------------------------------------------------------


def test_a_latin1_file_is_refused_with_a_clear_message(company):
    before = counts()
    report = run("partners", "Code,Name\nP1,Café Zürich\n".encode("latin-1"), company)
    assert not report.ok
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert problem.row == 0
    assert "not UTF-8" in problem.message and "CSV UTF-8" in problem.message
    assert report.run.result == ImportResult.FAILED
    assert counts() == before


def test_a_latin1_byte_far_down_a_long_file_is_refused_naming_its_row(company):
    """The bad byte is on row 5,002; a message that names a row names that one (not the row the
    reader had reached when it decoded the next block of the file)."""
    rows = "".join(f"P{n},Partner {n}\n" for n in range(1, 5001)).encode()
    content = b"Code,Name\n" + rows + "P9999,Caf\xe9\n".encode("latin-1") + b"P10000,Last\n"
    report = run("partners", content, company)
    assert len(report.problems) == 1, messages(report)
    problem = report.problems[0]
    assert problem.row in (0, 5002)
    assert "not UTF-8" in problem.message
    named = re.findall(r"row ([\d,]+)", str(problem))
    assert named in ([], ["5,002"]), str(problem)
    assert counts()["Partner"] == 0
    assert report.run.result == ImportResult.FAILED


def test_a_latin1_header_is_refused(company):
    report = run("locations", "Code,Name,Désignation\nA,B,C\n".encode("latin-1"), company)
    assert "not UTF-8" in report.problems[0].message
