import json
import os
import subprocess
import sys
from pathlib import Path

from inventory.bench_pages import declared_pages

ROOT = Path(__file__).resolve().parents[2]
POSTING = [
    "receive_10000_serials",
    "deliver_10000_serials",
    "receive_10000_serials_drafted",
    "deliver_10000_serials_drafted",
    "post_1000_documents",
    "verify_ledger",
]
IMPORTS = [
    "import_30_items",
    "import_30_lots",
    "import_opening_stock_200_serials_dry_run",
    "import_opening_stock_200_serials",
    "export_history_200_rows",
]


def test_bench_prints_each_operation_with_seconds_and_queries_as_json():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "bench",
            "--json",
            "--serials",
            "40",
            "--documents",
            "4",
            "--lots",
            "2000",
            "--moves",
            "10000",
            "--finished",
            "50",
            "--customers",
            "10",
            "--runs",
            "1",
            "--units",
            "20",
            "--stock-serials",
            "1000",
            "--register-sales",
            "3",
            "--import-serials",
            "200",
            "--import-items",
            "30",
            "--import-lots",
            "30",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    pages = [f"page_{page.name}" for page in declared_pages()]
    pos = ["pos_judge_scan_serial", "pos_checkout_50_lines"] + (["pos_checkouts_8_registers"] if report["engine"] == "postgresql" else [])
    assert [op["name"] for op in report["operations"]] == [*POSTING, *IMPORTS, *pages, "mfg_complete_work_order", *pos]
    for op in report["operations"]:
        assert op["seconds"] > 0 and op["queries"] > 0, op
