import os

import pytest
from django.db import connection

from tests.inventory.factories import CompanyFactory, LocationFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Concurrency tests need PostgreSQL; on SQLite they are reported as skipped, saying why."""
    if "postgres" in os.environ.get("DATABASE_URL", ""):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://… to run the concurrency tests")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


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
