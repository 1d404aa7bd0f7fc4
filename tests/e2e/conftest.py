"""Fixtures for the browser tests: Debian's Chromium, the live server's database, signed-in pages.

Every test here runs against pytest-django's live server, so its database is transactional
(flushed after each test) with a serialized rollback that brings back what the migrations wrote,
such as the role groups. Tests make their own data through the services and factories.
"""

import importlib
import os
import re
import warnings
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection, connections
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from inventory.services import company_create, membership_add
from tests.e2e import CHROMIUM, PASSWORD, sign_in
from tests.inventory.factories import UserFactory

# Playwright's sync API keeps an event loop running in this thread for the whole session; the
# ORM calls made by fixtures and by the flush between tests are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

append_only = importlib.import_module("inventory.migrations.0002_stockmove_append_only")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "e2e-screenshots"
TIMEOUT_MS = 10_000

phase_reports = pytest.StashKey[dict[str, pytest.TestReport]]()
page_opened = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (apt-get install chromium)")
    # Playwright adds --no-sandbox and --disable-dev-shm-usage itself; they are named here because
    # the tests need them (root in a container, a small /dev/shm), and there is no GPU to use.
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    }


@pytest.fixture(scope="session")
def _thread_connections():
    return {alias: connections[alias] for alias in connections}


@pytest.fixture(scope="session")
def playwright(_thread_connections, live_server, playwright):
    """Playwright, started after the live server so that the browser is gone before it stops.

    Otherwise the server's request threads, still serving the browser's open connections, close
    a shared SQLite connection after the server has stopped sharing it.
    """
    # Playwright's sync API leaves an event loop marked as running in this thread, and from then
    # on Django's connection handler gives the thread a second, context-local set of connections:
    # without the test database's serialized contents and, on SQLite, not the in-memory connection
    # the live server shares. Keep using the thread's own connections.
    for alias, thread_connection in _thread_connections.items():
        connections[alias] = thread_connection
    return playwright


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


# The SQLite ledger trigger refuses DELETE, and Django flushes a transactional test's tables with
# DELETE on SQLite (TRUNCATE on PostgreSQL, which a row trigger does not see). So the trigger is
# dropped just before the flush and re-created just after it, from the migration's own SQL.


def _sqlite_run(statements: list[str]) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture
def _ledger_triggers_restored(django_db_blocker):
    # Set up before the database fixture, so this teardown runs after its flush.
    yield
    with django_db_blocker.unblock():
        _sqlite_run(append_only.SQLITE_DOWN + append_only.SQLITE_UP)


@pytest.fixture
def transactional_db(_ledger_triggers_restored, transactional_db, django_db_serialized_rollback):
    yield
    # Torn down before the database fixture flushes the tables.
    _sqlite_run(append_only.SQLITE_DOWN)


@pytest.fixture(autouse=True)
def _live_database(transactional_db):
    """Every browser test uses the live server's database, set up in the order above."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(phase_reports, {})[report.when] = report
    if report.failed and report.when in ("setup", "call") and item.stash.get(page_opened, False):
        report.sections.append(("e2e screenshot", f"{_artifact(item, '.png')} (and .html)"))
    return report


def _artifact(item, suffix: str) -> Path:
    return SCREENSHOTS / (re.sub(r"[^\w.-]+", "-", item.name).strip("-") + suffix)


@pytest.fixture
def page(page, request):
    """The test's page; when the test fails, a full-page screenshot and its HTML are saved."""
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    request.node.stash[page_opened] = True
    yield page
    reports = request.node.stash.get(phase_reports, {})
    if not any(report.failed for report in reports.values()):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=_artifact(request.node, ".png"), full_page=True)
        _artifact(request.node, ".html").write_text(page.content(), encoding="utf-8")
    except PlaywrightError as error:
        warnings.warn(f"no screenshot of the failed test {request.node.name}: {error}", stacklevel=1)


@pytest.fixture
def company():
    return company_create(name="Harbour Street Pharmacy", code="harbour")


@pytest.fixture
def clerk(company):
    """A stock clerk of ``company`` (password ``PASSWORD``), in the role group the migrations made."""
    user = UserFactory(username="carl")
    user.set_password(PASSWORD)  # the factory sets its password without saving it
    user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name="Stock clerk"))
    membership_add(user=user, company=company, is_default=True)
    return user


@pytest.fixture
def signed_in(page, clerk):
    """The page, signed in as ``clerk`` through the real sign-in page, on the home page."""
    sign_in(page, username=clerk.username, password=PASSWORD)
    expect(page.get_by_test_id("navbar")).to_be_visible()
    return page
