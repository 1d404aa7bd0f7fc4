from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from inventory.services import membership_add
from pos.models import Register
from pos.services import cart_new, session_open
from tests.inventory.factories import PartnerFactory, UserFactory
from tests.inventory.flows import receive


@pytest.fixture
def cashier(company):
    user = UserFactory(username="cleo")
    user.groups.add(Group.objects.get(name="Cashier"))
    membership_add(user=user, company=company, is_default=True)
    return user


@pytest.fixture
def walk_in(company):
    return PartnerFactory(company=company, code="WALKIN", name="Walk-in customer", is_customer=True)


@pytest.fixture
def register(company, warehouse, walk_in):
    return Register.objects.create(company=company, code="T1", name="Till 1", location=warehouse, customer=walk_in)


@pytest.fixture
def session(register, cashier):
    return session_open(register=register, user=cashier, opening_cash="50")


@pytest.fixture
def cart(session, cashier):
    return cart_new(session=session, user=cashier)


@pytest.fixture
def phones(serial_item, warehouse):
    serial_item.sale_price = Decimal("199.00")
    serial_item.gtin = "09506000134352"
    serial_item.save()
    receive(item=serial_item, location=warehouse, numbers="SN1-SN9")
    return serial_item
