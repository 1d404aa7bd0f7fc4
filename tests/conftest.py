import os
from pathlib import Path

import pytest
from django.db import connection

from inventory.models import SegmentKind, Tracking
from tests.e2e import CHROMIUM, SKIP_REASON
from tests.inventory.factories import CompanyFactory, ItemFactory, LocationFactory, LotClassFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Concurrency tests need PostgreSQL; on SQLite they are reported as skipped, saying why.

    Browser tests (everything in tests/e2e) need Debian's Chromium; without it they are skipped,
    saying why, except on CI (CI=true), which always runs them and fails if the browser is missing.
    """
    _browser_tests_mark(config, items)
    if "postgres" in os.environ.get("DATABASE_URL", ""):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://… to run the concurrency tests")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


browser_tests_skipped = pytest.StashKey[int]()


def _browser_tests_mark(config, items) -> None:
    e2e = Path(__file__).parent / "e2e"
    browser_tests = [item for item in items if item.path.is_relative_to(e2e)]
    # An argument called ``page`` outside tests/e2e is taken for Playwright's page: the test is
    # then run among the browser tests, after their database flushes, and fails for no reason.
    strays = [item.nodeid for item in items if not item.path.is_relative_to(e2e) and "page" in getattr(item, "fixturenames", ())]
    if strays:
        raise pytest.UsageError(f"rename the argument 'page' (Playwright's fixture) in: {', '.join(strays[:5])}")
    for item in browser_tests:
        item.add_marker(pytest.mark.e2e)
    if not browser_tests or CHROMIUM.exists() or os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in browser_tests:
        item.add_marker(skip)
    config.stash[browser_tests_skipped] = len(browser_tests)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = config.stash.get(browser_tests_skipped, 0)
    if skipped:
        terminalreporter.write_line(f"Browser tests NOT run ({skipped} skipped): {SKIP_REASON}.", yellow=True, bold=True)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs over a second per user on these machines; tests check logins, not hash strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def company(db):
    return CompanyFactory()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def warehouse(company):
    return LocationFactory(company=company, code="WH1")


@pytest.fixture
def warehouse2(company):
    return LocationFactory(company=company, code="WH2")


@pytest.fixture
def vendor():
    return connection.vendor


@pytest.fixture
def serial_item(company):
    """A fully tracked serial item numbered SN0001, SN0002…"""
    return ItemFactory(company=company, sku="PHONE", name="Phone", lot_class=LotClassFactory(company=company, batch_size=10_000))


@pytest.fixture
def lot_item(company):
    """A lot-tracked item whose class tracks expiry, numbered L0001, L0002…"""
    lot_class = LotClassFactory(
        company=company,
        tracking=Tracking.LOT,
        track_expiry=True,
        segments=[(SegmentKind.CONSTANT, "L"), (SegmentKind.COUNTER, "0001")],
    )
    return ItemFactory(company=company, sku="MILK", name="Milk", lot_class=lot_class)
