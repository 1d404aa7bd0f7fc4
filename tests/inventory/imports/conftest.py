import pytest

from inventory.services import company_create


@pytest.fixture
def company(db):
    """A company as the pages create one (with its virtual locations); overrides the factory's."""
    return company_create(name="Alpha Trading", code="alpha")


@pytest.fixture
def other_company(db):
    return company_create(name="Beta Trading", code="beta")
