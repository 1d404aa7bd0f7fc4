"""Serving the way production does: the health check, whitenoise's static files and `make serve`.

The end-to-end check (gunicorn on PostgreSQL, crawled as every role) is `.ci/crawl.py`, run by CI.
"""

import json
import os
import subprocess
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError, connections
from django.templatetags.static import static
from django.test import override_settings
from django.urls import reverse

from tests.test_settings import ROOT, run_manage

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "k3y-" + "x9Qz!r7Lm#2vB8pW" * 4,
    "DJANGO_ALLOWED_HOSTS": "erp.example.com",
}
WHITENOISE_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_health_answers_ok_without_sign_in(client, db):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"


def test_health_answers_a_head_request(client, db):
    assert client.head(reverse("health")).status_code == 200


def test_health_is_503_when_the_database_is_unreachable(client, db):
    with mock.patch.object(connections["default"], "ensure_connection", side_effect=OperationalError("gone")):
        response = client.get(reverse("health"))
    assert response.status_code == 503
    assert b"database unreachable" in response.content


def test_health_is_not_sent_to_https_by_the_tls_redirect(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("health")).status_code == 200
    assert client.get(reverse("login")).status_code == 301


def test_whitenoise_middleware_comes_right_after_the_security_middleware():
    position = settings.MIDDLEWARE.index("django.middleware.security.SecurityMiddleware")
    assert settings.MIDDLEWARE[position + 1] == "whitenoise.middleware.WhiteNoiseMiddleware"


def test_logs_go_to_standard_output():
    assert settings.LOGGING["handlers"]["console"]["stream"] == "ext://sys.stdout"


def test_static_storage_is_whitenoise_manifest_when_debug_is_off():
    result = run_manage(
        "shell",
        "-c",
        "import json; from django.conf import settings; "
        "print(json.dumps([settings.STORAGES['staticfiles']['BACKEND'], str(settings.STATIC_ROOT)]))",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    backend, static_root = json.loads(result.stdout.strip().splitlines()[-1])
    assert backend == WHITENOISE_STORAGE
    assert static_root == str(ROOT / "var" / "staticfiles")  # var/ is gitignored


def test_collected_static_files_are_hashed_compressed_and_cached_for_years(client, db, tmp_path):
    with override_settings(STATIC_ROOT=tmp_path, STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": WHITENOISE_STORAGE}}):
        call_command("collectstatic", "--noinput", verbosity=0)
        url = static("css/app.css")
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert url != "/static/css/app.css"  # a hashed name, so it can be cached for good
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    max_age = int(response["Cache-Control"].split("max-age=")[1].split(",")[0])
    assert max_age >= 365 * 24 * 3600


def _make_serve(*flags, **env):
    """`make serve`, never reinstalling the venv (-o: its stamp counts as up to date)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MAKE"))}
    return subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", *flags, "serve"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_make_serve_migrates_collects_and_runs_gunicorn_on_stdout():
    result = _make_serve("-n", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    steps = result.stdout
    assert steps.index("migrate --noinput") < steps.index("collectstatic --noinput") < steps.index("gunicorn config.wsgi")
    assert '--bind "${DJANGO_BIND:-127.0.0.1:8000}"' in steps
    assert '--workers "${WEB_CONCURRENCY:-4}"' in steps
    assert "--access-logfile -" in steps


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_make_serve_runs_with_debug_off_and_refuses_to_start_without_production_settings(missing):
    env = {k: v for k, v in PRODUCTION.items() if k not in ("DJANGO_DEBUG", missing)}
    result = _make_serve(**env)
    assert result.returncode != 0
    assert "set DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS" in result.stderr
