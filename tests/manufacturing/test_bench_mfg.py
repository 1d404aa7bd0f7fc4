"""The manufacturing benchmark: completing a work order costs the same number of queries whatever
the number of finished serials (each mapped to its own sub-assembly serial)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["mfg_complete_work_order"]


def bench(units: int) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, "manage.py", "bench", "--json", "--suite", "manufacturing", "--units", str(units)],
        cwd=ROOT,
        env={**os.environ, "DJANGO_DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [op["name"] for op in report["operations"]] == NAMES
    for op in report["operations"]:
        assert op["seconds"] > 0 and op["queries"] > 0, op
    return {op["name"]: op["queries"] for op in report["operations"]}


def test_completing_a_work_order_costs_the_same_queries_whatever_its_size():
    assert bench(20) == bench(40)


@pytest.mark.parametrize("units, message", [("0", "--units must be 1 or more"), ("10000000", "--units must be at most")])
def test_bench_refuses_bad_unit_counts_before_making_a_database(units, message):
    with pytest.raises(CommandError, match=message):
        call_command("bench", "--suite", "manufacturing", "--units", units)
