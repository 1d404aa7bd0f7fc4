"""A file is parsed a chunk at a time in a second thread while the kind looks up what the chunk
before names, and an opening stock is posted in batches, the next planned while one is written:
the result is the same as read and posted in one piece, every problem of every chunk is told."""

import sys

import pytest

import inventory.imports as imports
from inventory.imports.opening import OpeningStock
from inventory.models import Lot, StockMove
from inventory.selectors import ledger_verify

from .helpers import counts, import_samples, messages, run


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 3 rows read, batches of 4 moves posted; what each chunk handed over was."""
    monkeypatch.setattr(imports, "READ_CHUNK", 3)
    monkeypatch.setattr("inventory.imports.opening.POST_BATCH", 4)
    handed = []
    arrived = OpeningStock.rows_arrived

    def spy(self, rows, context):
        handed.append([row.line for row in rows])
        return arrived(self, rows, context)

    monkeypatch.setattr(OpeningStock, "rows_arrived", spy)
    return handed


def _serials(company, count):
    """``count`` serials of the samples' PHONE, numbered RA001…, none in stock."""
    import_samples(company, before="opening_stock")
    content = "Item code,Lot/serial number\n" + "".join(f"PHONE,RA{n:03d}\n" for n in range(count))
    assert run("lots", content, company).ok


def _opening(rows):
    return "Item code,Location,Lot/serial number,Quantity\n" + "".join(f"PHONE,{place},{number},1\n" for number, place in rows)


def test_an_opening_stock_read_and_posted_in_pieces_is_all_there(company, small_chunks):
    _serials(company, 10)
    rows = [(f"RA{n:03d}", "SHOP" if n % 2 else "WH1-A-01") for n in range(10)]

    report = run("opening_stock", _opening(rows), company)

    assert report.ok, messages(report)
    assert small_chunks == [[2, 3, 4], [5, 6, 7], [8, 9, 10], [11]]  # the header is row 1
    assert StockMove.objects.filter(document_id=report.outcome.document_id).count() == 10
    placed = dict(Lot.objects.filter(company=company, number__startswith="RA", in_stock=True).values_list("number", "last_location__code"))
    assert placed == dict(rows)
    assert ledger_verify() == []


def test_every_problem_of_every_chunk_is_told_and_nothing_written(company, small_chunks):
    _serials(company, 8)
    before = counts()
    rows = [(f"RA{n:03d}", "WH1-A-01") for n in range(8)]
    rows[1] = ("RA999", "WH1-A-01")  # no such serial, in the first chunk
    rows[7] = ("RA000", "WH1-A-01")  # twice, in the last

    report = run("opening_stock", _opening(rows), company)

    assert [(p.row, p.column, p.message) for p in report.problems] == [
        (3, "Lot/serial number", "no lot/serial RA999 of PHONE (import it with the lots kind first)"),
        (9, "Lot/serial number", "RA000 appears twice in this file, also row 2"),
    ]
    assert counts() == before


def test_a_serial_in_stock_is_refused_in_any_chunk(company, small_chunks):
    _serials(company, 7)
    assert run("opening_stock", _opening([("RA006", "SHOP")]), company).ok

    report = run("opening_stock", _opening([(f"RA{n:03d}", "WH1-A-01") for n in range(7)]), company)

    assert [(p.row, p.message) for p in report.problems] == [(8, "RA006 is in stock already, at SHOP")]


def test_the_row_limit_holds_across_chunks(company, small_chunks):
    content = "Code,Name\n" + "".join(f"P{n},Partner {n}\n" for n in range(7))
    report = run("partners", content, company, max_rows=6)
    assert [(p.row, p.message) for p in report.problems] == [(0, "the file has more than 6 rows: import it with manage.py import_csv")]
    assert run("partners", content, company, max_rows=7).ok
    assert counts()["Partner"] == 7


def test_threads_switch_often_while_importing_and_as_before_after(company, monkeypatch):
    seen = []
    arrived = OpeningStock.rows_arrived
    monkeypatch.setattr(
        OpeningStock, "rows_arrived", lambda self, rows, context: seen.append(sys.getswitchinterval()) or arrived(self, rows, context)
    )
    before = sys.getswitchinterval()

    import_samples(company)

    assert seen == [imports.SWITCH_INTERVAL]
    assert sys.getswitchinterval() == before
