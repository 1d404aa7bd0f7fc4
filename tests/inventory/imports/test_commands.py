"""manage.py import_csv and export_csv."""

import csv
import io
import sys
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from inventory.models import ImportResult, ImportRun, Location, LocationKind, Partner, StockMove
from tests.inventory.factories import UserFactory

from .helpers import SAMPLES, counts, exported, import_samples, last_run, sample


def _call(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _internal_codes(company):
    return set(Location.objects.filter(company=company, kind=LocationKind.INTERNAL).values_list("code", flat=True))


def test_import_csv_imports_a_file(company):
    out, _ = _call("import_csv", "locations", str(SAMPLES / "locations.csv"), "--no-progress")
    assert _internal_codes(company) == {"WH1", "WH1-A", "WH1-A-01", "SHOP"}
    run = last_run()
    assert (run.kind, run.result, run.created, run.file_name) == ("locations", ImportResult.DONE, 4, str(SAMPLES / "locations.csv"))
    assert f"import #{run.pk}" in out and "4 rows: 4 new, 0 changed, 0 unchanged" in out


def test_import_csv_names_the_company_and_the_user(company, other_company):
    user = UserFactory(username="loader")
    with pytest.raises(CommandError, match="name the company with --company"):
        _call("import_csv", "partners", str(SAMPLES / "partners.csv"), "--no-progress")
    _call("import_csv", "partners", str(SAMPLES / "partners.csv"), "--no-progress", "--company", "beta", "--user", "loader")
    assert set(Partner.objects.filter(company=other_company).values_list("code", flat=True)) == {"ACME", "BETA"}
    assert not Partner.objects.filter(company=company).exists()
    assert last_run().user == user
    with pytest.raises(CommandError, match="no user nobody"):
        _call("import_csv", "partners", str(SAMPLES / "partners.csv"), "--no-progress", "--company", "beta", "--user", "nobody")


def test_import_csv_with_an_opening_stock_file_says_the_document(company):
    import_samples(company, before="opening_stock")
    out, _ = _call("import_csv", "opening_stock", str(SAMPLES / "opening_stock.csv"), "--no-progress")
    assert f"posted as document #{last_run().document_id}" in out
    assert StockMove.objects.filter(company=company).count() == 6


def test_import_csv_with_a_bad_file_raises_and_writes_every_problem(company, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text('Code,Name,Parent,Active\nA1,One,,yes\nA2,Two,NOPE,yes\nA3,Three,,maybe\nA4,"Fo,ur",A1,perhaps\n', encoding="utf-8")
    errors = tmp_path / "errors.csv"
    before = counts()
    with pytest.raises(CommandError) as raised:
        _call("import_csv", "locations", str(path), "--no-progress", "--errors", str(errors))
    run = last_run()
    assert "3 problems" in str(raised.value) and "nothing was written" in str(raised.value) and f"import #{run.pk}" in str(raised.value)
    assert counts() == before
    assert (run.result, run.errors) == (ImportResult.FAILED, 3)
    with errors.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["row", "column", "value", "problem"],
        ["3", "Parent", "NOPE", "no location NOPE (in the company or this file)"],
        ["4", "Active", "maybe", "maybe is not yes or no"],
        ["5", "Active", "perhaps", "perhaps is not yes or no"],
    ]


def test_import_csv_errors_file_names_a_refused_file(company, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Code,Colour\nA1,red\n", encoding="utf-8")
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError, match="1 problem in"):
        _call("import_csv", "locations", str(path), "--no-progress", "--errors", str(errors))
    rows = list(csv.reader(errors.open(newline="", encoding="utf-8")))
    assert len(rows) == 2 and rows[1][0] == "" and "unknown column: Colour" in rows[1][3]


def test_import_csv_errors_file_is_written_for_a_good_file_too(company, tmp_path):
    errors = tmp_path / "errors.csv"
    _call("import_csv", "locations", str(SAMPLES / "locations.csv"), "--no-progress", "--errors", str(errors))
    assert list(csv.reader(errors.open(newline="", encoding="utf-8"))) == [["row", "column", "value", "problem"]]


def test_import_csv_dry_run(company):
    before = counts()
    out, _ = _call("import_csv", "locations", str(SAMPLES / "locations.csv"), "--no-progress", "--dry-run")
    assert "dry run, nothing written: 4 rows: 4 new, 0 changed, 0 unchanged would be imported" in out
    assert counts() == before
    assert last_run().result == ImportResult.DRY_RUN


def test_import_csv_reads_standard_input(company, monkeypatch):
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(sample("partners"))))
    out, _ = _call("import_csv", "partners", "-", "--no-progress")
    assert set(Partner.objects.filter(company=company).values_list("code", flat=True)) == {"ACME", "BETA"}
    run = last_run()
    assert (run.file_name, run.created, run.result) == ("(standard input)", 2, ImportResult.DONE)
    assert "imported (standard input)" in out


def test_import_csv_a_file_that_cannot_be_read(company, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        _call("import_csv", "locations", str(tmp_path / "missing.csv"), "--no-progress")
    assert not ImportRun.objects.exists()


def test_export_csv_writes_a_file(company, tmp_path):
    import_samples(company)
    for kind in ["locations", "partners", "classes", "items", "lots", "opening_stock", "history"]:
        path = tmp_path / f"{kind}.csv"
        _, err = _call("export_csv", kind, "-o", str(path), "--no-progress")
        assert path.read_bytes().decode("utf-8") == exported(kind, company), kind
        rows = exported(kind, company).count("\r\n") - 1
        assert f"{rows:,} rows written to {path}" in err


def test_export_csv_then_import_csv_into_another_company(company, other_company, tmp_path):
    import_samples(company)
    for kind in ["locations", "partners", "classes", "items", "lots", "opening_stock"]:
        path = tmp_path / f"{kind}.csv"
        _call("export_csv", kind, "--company", "alpha", "-o", str(path), "--no-progress")
        _call("import_csv", kind, str(path), "--company", "beta", "--no-progress")
        assert exported(kind, other_company) == exported(kind, company), kind


def test_export_csv_to_standard_output(company, capsys):
    import_samples(company, before="classes")
    call_command("export_csv", "locations", "--no-progress")
    assert capsys.readouterr().out.replace("\r\n", "\n") == exported("locations", company).replace("\r\n", "\n")


def test_import_csv_errors_file_neutralises_formulas_too(company, tmp_path):
    """The problems file is opened in a spreadsheet as well: a value that would run as a formula
    (even one the import file had marked as text) is written as text."""
    path = tmp_path / "bad.csv"
    path.write_text('Code,Name,Email\nP1,One,\'=HYPERLINK("http://evil.example")\nP2,Two,@SUM(A1)\n', encoding="utf-8")
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError):
        _call("import_csv", "partners", str(path), "--no-progress", "--errors", str(errors))
    rows = list(csv.reader(errors.open(newline="", encoding="utf-8")))
    assert [row[:3] for row in rows[1:]] == [["2", "Email", '\'=HYPERLINK("http://evil.example")'], ["3", "Email", "'@SUM(A1)"]]


def test_export_csv_without_a_file_writes_to_the_commands_own_output(company):
    import_samples(company, before="classes")
    out = io.StringIO()
    call_command("export_csv", "partners", "--company", company.code, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Code,Name,Supplier,Customer,Email,Phone"
    assert [line.split(",")[0] for line in lines[1:]] == ["ACME", "BETA"]
