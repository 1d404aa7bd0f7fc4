"""The trace benchmark: its data is what posting would have written, and every page it opens
costs the same number of queries whatever the size of the data."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from inventory.bench_pages import declared_pages
from inventory.models import Allocation, Balance, Document, DocumentLine, GenealogyLink, Lot, LotKind, Partner, StockMove
from inventory.selectors import expiring_lots, ledger_verify, unassigned_balances
from traceability.bench import HISTORY_MOVES, PER_RECEIPT, SHELF_LIFE, Plan, generate

ROOT = Path(__file__).resolve().parents[2]


def bench_started(*sizes: str, database_suffix: str = "") -> subprocess.Popen:
    """``manage.py bench --suite trace`` at these sizes, started. One run after the warm-up is
    enough to count queries (and keeps the test short). On PostgreSQL a ``database_suffix`` gives
    it its own throw-away database (bench_<name><suffix>), so two can run at once."""
    env = {**os.environ, "DJANGO_DEBUG": "true"}
    if database_suffix and env.get("DATABASE_URL", "").startswith("postgres"):
        url = urlsplit(env["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(url._replace(path=url.path + database_suffix))
    return subprocess.Popen(
        [sys.executable, "manage.py", "bench", "--json", "--suite", "trace", "--runs", "1", *sizes],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def page_queries(process: subprocess.Popen) -> dict[str, int]:
    """Each page operation's queries, once checked that every declared page is there, with its
    target, a time and queries."""
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    report = json.loads(stdout)
    pages = {f"page_{page.name}": page for page in declared_pages()}
    assert [op["name"] for op in report["operations"]] == list(pages)
    for op in report["operations"]:
        assert op["seconds"] > 0 and op["queries"] > 0, op
        assert op["target"] == pages[op["name"]].target_on(report["engine"]), op
    return {op["name"]: op["queries"] for op in report["operations"]}


def test_every_page_costs_the_same_queries_whatever_the_data_size():
    started = [
        bench_started("--lots", "2000", "--moves", "10000", "--finished", "50", "--customers", "10"),
        bench_started("--lots", "4000", "--moves", "10000", "--finished", "100", "--customers", "20", database_suffix="_2"),
    ]
    try:
        small, bigger = (page_queries(process) for process in started)
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()
    grown = {name: (queries, bigger[name]) for name, queries in small.items() if bigger[name] != queries}
    assert not grown, f"queries at 2,000 and 4,000 lots: {grown}"


@pytest.mark.django_db
def test_generated_data_is_what_posting_would_have_written():
    plan = Plan(lots=300, moves=1_000, finished=30, customers=7)
    data = generate(plan)
    company = data["company"]
    assert ledger_verify() == []
    main = Lot.objects.filter(company=company, number__startswith="S")
    assert main.count() == 300
    assert StockMove.objects.filter(from_lot__in=main).count() == 1_000
    assert Balance.objects.filter(lot__in=main).count() == 300
    serial = Lot.objects.get(pk=data["serial"])
    assert serial.is_serial and serial.in_stock
    assert StockMove.objects.filter(to_lot=serial).count() == plan.moves_of(int(serial.number[1:]))
    assert serial.last_location_id == Balance.objects.get(lot=serial, quantity=1).location_id
    # The recall: one lot into 30 serials, each delivered once, 7 customers with a document each.
    assert GenealogyLink.objects.filter(consumed_id=data["recalled"]).count() == 30
    assert Partner.objects.filter(company=company, is_customer=True).count() == 7
    deliveries = Document.objects.filter(company=company, kind="delivery", status="posted")
    assert deliveries.count() == 7 and sum(d.lines.get().quantity for d in deliveries) == 30
    assert StockMove.objects.filter(document__in=deliveries, to_location__kind="customer").values("to_lot").distinct().count() == 30


@pytest.mark.django_db
def test_generated_lots_arrive_on_posted_receipts_of_100_lots_from_suppliers():
    data = generate(Plan(lots=300, moves=1_000, finished=30, customers=7))
    company = data["company"]
    receipts = Document.objects.filter(company=company, kind="receipt", number__startswith="RC0").order_by("number")
    assert receipts.count() == 3
    assert {r.status for r in receipts} == {"posted"} and all(r.partner.is_supplier for r in receipts)
    first_moves = StockMove.objects.filter(company=company, from_location__kind="supplier", from_lot__number__startswith="S")
    assert first_moves.count() == 300 and not first_moves.filter(line__isnull=True).exists()
    for move in first_moves.select_related("line", "document", "to_lot"):
        line, lot = move.line, move.to_lot
        assert move.document_id == line.document_id and move.to_location_id == move.document.to_location_id
        assert (line.item_id, line.quantity, line.lot_number, line.expiry_date) == (lot.item_id, move.quantity, lot.number, lot.expiry_date)
        assert move.document.date == move.created_at.date() and line.position == (int(lot.number[1:]) - 1) % PER_RECEIPT + 1
    assert DocumentLine.objects.filter(document__in=receipts).count() == 300


@pytest.mark.django_db
def test_generated_lots_expire_a_shelf_life_after_arriving():
    data = generate(Plan(lots=300, moves=1_000, finished=30, customers=7))
    lots = Lot.objects.filter(company=data["company"], number__startswith="S", item__lot_class__track_expiry=True)
    assert lots.count() == 150 and not lots.filter(expiry_date__isnull=True).exists()
    assert all((lot.expiry_date - lot.received_at.date()).days == SHELF_LIFE for lot in lots)
    expiring = expiring_lots(company=data["company"])
    assert expiring.exists() and expiring.filter(expiry_date__lt=timezone.localdate()).exists()
    assert lots.filter(expiry_date__gt=timezone.localdate() + timedelta(days=30)).exists()


@pytest.mark.django_db
def test_generated_pages_rows_a_serial_of_50_moves_unassigned_stock_and_a_draft():
    data = generate(Plan(lots=300, moves=1_000, finished=30, customers=7))
    company = data["company"]
    history = Lot.objects.get(pk=data["history"])
    moves = StockMove.objects.filter(to_lot=history).order_by("id")
    assert moves.count() == HISTORY_MOVES and not moves.filter(document__isnull=True).exists()
    assert moves.first().from_location.kind == "supplier"
    assert history.in_stock and history.last_location_id == moves.last().to_location_id
    assert history.kind == LotKind.SERIAL
    unassigned = unassigned_balances(company=company)
    assert unassigned.filter(pk=data["unassigned_balance"]).exists()
    assert f"{sum(b.quantity for b in unassigned).normalize():f}" == data["unassigned_quantity"]
    draft = Document.objects.get(pk=data["draft"])
    assert draft.is_draft and draft.lines.get().pk == data["draft_line"]
    assert Allocation.objects.filter(line_id=data["draft_line"]).exists()
    assert Lot.objects.get(pk=data["lot"]).number == data["candidate"]
    assert ledger_verify() == []


@pytest.mark.parametrize(
    "sizes, message",
    [
        (["--lots", "0"], "--lots must be 1 or more"),
        (["--customers", "-3"], "--customers must be 1 or more"),
        (["--lots", "1000", "--moves", "999"], "--moves must be at least --lots"),
        (["--finished", "5", "--customers", "6"], "--customers must be at most --finished"),
    ],
)
def test_bench_refuses_bad_sizes_before_making_a_database(sizes, message):
    with pytest.raises(CommandError, match=message):
        call_command("bench", "--suite", "trace", *sizes)
