"""Shared fixtures of the traceability tests: a signed-in clerk, tracked items, the sign-in helper."""

import pytest
from django.contrib.auth.models import Group

from inventory.models import SegmentKind, Tracking
from inventory.services import membership_add
from tests.inventory.factories import ItemFactory, LotClassFactory, UserFactory


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
