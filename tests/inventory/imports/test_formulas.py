"""Exports are safe to open in a spreadsheet (a cell starting with =, +, -, @ is marked as text with
an apostrophe) and read back as they were; random partners survive the round trip."""

import csv
import io
import string

from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from inventory.csv_safe import csv_cell
from inventory.models import Partner
from inventory.services import company_create

from .helpers import exported, messages, run

HEADER = ["Code", "Name", "Supplier", "Customer", "Email", "Phone"]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _partners(company) -> dict[str, tuple]:
    return {p.code: (p.name, p.is_supplier, p.is_customer, p.email, p.phone) for p in Partner.objects.filter(company=company)}


def test_a_formula_is_exported_as_text_and_imported_back_as_it_was(company, other_company):
    names = {"F1": '=HYPERLINK("http://evil.example","x")', "F2": "+1+2", "F3": "-3", "F4": "@SUM(A1:A2)", "F5": "Plain = fine"}
    content = "Code,Name\n" + "".join(f'{code},"{name.replace(chr(34), chr(34) * 2)}"\n' for code, name in names.items())
    report = run("partners", content, company)
    assert report.ok, messages(report)
    assert dict(Partner.objects.filter(company=company).values_list("code", "name")) == names
    text = exported("partners", company)
    cells = {row[0]: row[1] for row in _rows(text)[1:]}
    assert cells == {
        "F1": '\'=HYPERLINK("http://evil.example","x")',
        "F2": "'+1+2",
        "F3": "'-3",
        "F4": "'@SUM(A1:A2)",
        "F5": "Plain = fine",
    }
    back = run("partners", text, other_company)
    assert back.ok, messages(back)
    assert dict(Partner.objects.filter(company=other_company).values_list("code", "name")) == names
    assert exported("partners", other_company) == text


def test_an_equals_sign_name_exports_with_an_apostrophe(company):
    run("partners", "Code,Name\nEQ,=1+1\n", company)
    assert exported("partners", company).splitlines()[1] == "EQ,'=1+1,no,no,,"


def test_a_name_starting_with_an_apostrophe_and_an_equals_sign_comes_back_as_it_was(company, other_company):
    """A name that itself starts with '= (typed on the partner's page) must not lose its apostrophe
    on the way out and back in: the export has to tell it from the marker it adds to =1+1."""
    Partner.objects.create(company=company, code="AP", name="'=1+1")
    Partner.objects.create(company=company, code="EQ", name="=1+1")
    text = exported("partners", company)
    report = run("partners", text, other_company)
    assert report.ok, messages(report)
    assert dict(Partner.objects.filter(company=other_company).values_list("code", "name")) == {"AP": "'=1+1", "EQ": "=1+1"}


# Random partners ---------------------------------------------------------------------------------

CODE = st.text(alphabet=string.ascii_uppercase + string.digits + "-_.", min_size=1, max_size=12)
PRINTABLE = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn"))
TRICKY = st.sampled_from(["=", "'", "+", "-", "@", ",", '"', ";", " ", "\n", "\r", "\t"])
NAME = (
    st.tuples(st.sampled_from(["", "=", "+", "-", "@", "'", '"', ","]), st.text(PRINTABLE | TRICKY, max_size=60))
    .map("".join)
    .filter(lambda name: name == name.strip() and 0 < len(name) <= 200)
)
EMAIL = st.sampled_from(["", "a@example.com", "orders@acme.example", "x.y+z@sub.example.org"])
PHONE = st.text(alphabet=string.digits + " +-()", max_size=20).filter(lambda p: p == p.strip())
PARTNER = st.tuples(NAME, st.booleans(), st.booleans(), EMAIL, PHONE)


def _file(partners: dict[str, tuple]) -> tuple[str, list[list[str]]]:
    """The partners as our export (and a careful spreadsheet) writes them."""
    rows = [
        [csv_cell(v) for v in (code, name, "yes" if s else "no", "yes" if c else "no", email, phone)]
        for code, (name, s, c, email, phone) in partners.items()
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([HEADER, *rows])
    return out.getvalue(), rows


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.dictionaries(CODE, PARTNER, min_size=1, max_size=8))
@example({"Q1": ("=1+1", True, False, "", "+44 1"), "Q2": ('a, "b"\nc', False, True, "a@example.com", "-1")})
def test_random_partners_import_and_export_back_to_the_same_rows(db, partners):
    content, rows = _file(partners)
    with transaction.atomic():
        company = company_create(name="Random", code="random")
        report = run("partners", content, company)
        assert report.ok, messages(report)
        assert report.outcome.created == len(partners)
        stored = _partners(company)
        text = exported("partners", company)
        again = company_create(name="Random again", code="random2")
        back = run("partners", text, again)
        assert back.ok, messages(back)
        stored_again = _partners(again)
        transaction.set_rollback(True)
    assert stored == partners
    header, *body = _rows(text)
    assert header == HEADER
    assert sorted(body) == sorted(rows)  # the order is the database's
    assert stored_again == partners
