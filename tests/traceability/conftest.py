"""Shared fixtures of the traceability tests: a signed-in clerk and the sign-in helper (the tracked
items ``serial_item`` and ``lot_item`` are tests/conftest.py's)."""

import pytest
from django.contrib.auth.models import Group

from inventory.services import membership_add
from tests.inventory.factories import UserFactory


def sign_in(client, company, group="Stock clerk"):
    """A user of ``group`` working in ``company``, signed in on ``client``."""
    user = UserFactory()
    user.groups.add(Group.objects.get(name=group))
    membership_add(user=user, company=company, is_default=True)
    client.force_login(user)
    return user


@pytest.fixture
def clerk_user(client, company):
    return sign_in(client, company)


@pytest.fixture
def clerk(client, clerk_user):
    """The test client, signed in as a Stock clerk of ``company``."""
    return client
