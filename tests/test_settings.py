import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120)


def test_settings_deploy_check_passes_with_production_values():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="k3y-" + "x9Qz!r7Lm#2vB8pW" * 4,
        DJANGO_ALLOWED_HOSTS="erp.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_settings_refuse_to_start_without_a_secret_key_when_debug_is_off():
    result = run_manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_settings_sqlite_runs_in_wal_with_a_busy_timeout_and_immediate_transactions(tmp_path):
    script = (
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('PRAGMA journal_mode'); mode = c.fetchone()[0]\n"
        "    c.execute('PRAGMA busy_timeout'); timeout = c.fetchone()[0]\n"
        "print(mode, timeout, connection.transaction_mode)\n"
    )
    result = run_manage("shell", "--no-imports", "-c", script, DJANGO_DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path / 'shop.sqlite3'}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["wal", "20000", "IMMEDIATE"]
