"""The trace benchmark: its data is what posting would have written, and its pages cost the same
number of queries whatever the size of the data."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory.models import Balance, Document, GenealogyLink, Lot, Partner, StockMove
from inventory.selectors import ledger_verify
from traceability.bench import Plan, generate

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["trace_lot_list_filtered", "trace_lookup_serial", "trace_history_serial", "trace_recall_lot"]


def bench(*sizes: str) -> dict[str, dict]:
    result = subprocess.run(
        [sys.executable, "manage.py", "bench", "--json", "--suite", "trace", *sizes],
        cwd=ROOT, env={**os.environ, "DJANGO_DEBUG": "true"}, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [op["name"] for op in report["operations"]] == NAMES
    for op in report["operations"]:
        assert op["seconds"] > 0 and op["queries"] > 0, op
    return {op["name"]: op["queries"] for op in report["operations"]}


def test_trace_pages_cost_the_same_queries_whatever_the_data_size():
    small = bench("--lots", "2000", "--moves", "10000", "--finished", "50", "--customers", "10")
    bigger = bench("--lots", "4000", "--moves", "10000", "--finished", "100", "--customers", "20")
    assert small == bigger


@pytest.mark.django_db
def test_generated_data_is_what_posting_would_have_written():
    plan = Plan(lots=300, moves=1_000, finished=30, customers=7)
    ids = generate(plan)
    company = ids["company"]
    assert ledger_verify() == []
    main = Lot.objects.filter(company=company, number__startswith="S")
    assert main.count() == 300
    assert StockMove.objects.filter(from_lot__in=main).count() == 1_000
    assert Balance.objects.filter(lot__in=main).count() == 300
    serial = Lot.objects.get(pk=ids["serial"])
    assert serial.is_serial and serial.in_stock
    assert StockMove.objects.filter(to_lot=serial).count() == plan.moves_of(int(serial.number[1:]))
    assert serial.last_location_id == Balance.objects.get(lot=serial, quantity=1).location_id
    # The recall: one lot into 30 serials, each delivered once, 7 customers with a document each.
    assert GenealogyLink.objects.filter(consumed_id=ids["recalled"]).count() == 30
    assert Partner.objects.filter(company=company, is_customer=True).count() == 7
    deliveries = Document.objects.filter(company=company, kind="delivery")
    assert deliveries.count() == 7 and sum(d.lines.get().quantity for d in deliveries) == 30
    assert StockMove.objects.filter(document__in=deliveries, to_location__kind="customer").values("to_lot").distinct().count() == 30


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
