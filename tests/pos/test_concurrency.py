"""Registers at once, on real PostgreSQL: no serial is sold twice, each loser is told which
serial; two cashiers completing one sales order make one sale."""

import random
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission

from inventory.models import DocumentKind, DocumentStatus, StockMove
from inventory.selectors import ledger_verify
from inventory.services import document_create, document_line_add, line_allocate, membership_add
from pos.exceptions import TillError
from pos.models import Register, Sale, SaleStatus
from pos.services import cart_from_sales_order, cart_new, cart_scan, checkout, session_open
from tests.inventory.factories import PartnerFactory, UserFactory
from tests.inventory.flows import receive
from tests.inventory.test_concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REGISTERS = 8


def _registers(company, warehouse, count):
    customer = PartnerFactory(company=company, code="WALKIN", name="Walk-in", is_customer=True)
    # A transactional test starts from an emptied database: the role's group is made again here.
    cashiers, _ = Group.objects.get_or_create(name="Cashier")
    cashiers.permissions.add(Permission.objects.get(content_type__app_label="pos", codename="use_register"))
    sessions = []
    for i in range(count):
        user = UserFactory(username=f"cashier{i}")
        user.groups.add(cashiers)
        membership_add(user=user, company=company, is_default=True)
        register = Register.objects.create(company=company, code=f"T{i}", name=f"Till {i}", location=warehouse, customer=customer)
        sessions.append((session_open(register=register, user=user), user))
    return sessions


def test_concurrency_eight_registers_never_sell_a_serial_twice(company, warehouse, serial_item):
    numbers = [f"SN{i:03d}" for i in range(50)]
    receive(item=serial_item, location=warehouse, numbers=numbers)
    sessions = _registers(company, warehouse, REGISTERS)
    picks = [random.Random(i).sample(numbers, 12) for i in range(REGISTERS)]

    def sell(index, barrier):
        session, user = sessions[index]
        sold, refused = [], []
        for number in picks[index]:
            cart = cart_new(session=session, user=user)
            (result,) = cart_scan(sale=cart, codes=[number], user=user)
            if not result.ok:
                refused.append((number, result.message))
                continue
            checkout(sale=cart, method="card", user=user)
            sold.append(number)
        return sold, refused

    results = run_concurrently(REGISTERS, sell)
    sold = [n for done, _ in results for n in done]
    assert len(sold) == len(set(sold)), Counter(sold).most_common(3)
    moved = StockMove.objects.filter(item=serial_item, to_location__kind="customer").values_list("from_lot__number", flat=True)
    assert sorted(moved) == sorted(sold)
    for _, refused in results:
        for number, message in refused:
            assert number in set(sold), (number, message)  # refused only because another register sold or held it
            assert "allocated on" in message or "not at" in message, message
    assert ledger_verify() == []


def test_concurrency_two_cashiers_complete_one_sales_order_once(company, warehouse, serial_item):
    receive(item=serial_item, location=warehouse, numbers="SN1-SN5")
    sessions = _registers(company, warehouse, 2)
    order = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=warehouse)
    line = document_line_add(document=order, item=serial_item, quantity=Decimal(2))
    line_allocate(line=line, numbers=["SN1", "SN2"])

    def complete(index, barrier):
        session, user = sessions[index]
        try:
            sale = cart_from_sales_order(session=session, document=order, with_numbers=True, user=user)
            checkout(sale=sale, method="card", user=user)
        except TillError as error:
            return str(error)
        return "sold"

    answers = run_concurrently(2, complete)
    # The loser is told, whichever moment it comes: while the winner's cart holds the order, or after its checkout.
    loser = sorted(answers)[0]
    assert sorted(answers)[1] == "sold" and ("already in a cart" in loser or "is posted, not an open sales order" in loser), answers
    order.refresh_from_db()
    assert order.status == DocumentStatus.POSTED
    assert Sale.objects.filter(document=order, status=SaleStatus.DONE).count() == 1
    assert StockMove.objects.filter(document=order).count() == 2
    assert ledger_verify() == []
