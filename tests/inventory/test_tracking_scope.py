"""Seed 003: the eight serial types, and the loose binding of the seven that are not fully tracked."""

import pytest

from inventory.exceptions import InvalidDocument
from inventory.models import Balance, DocumentKind, LocationKind, Lot, StockMove, TrackingScope
from inventory.selectors import ledger_verify
from inventory.services import number_required, virtual_location
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import issue, on_hand, receive

# (creditor, internal, debtor): does the move need a serial number?
SCOPES = {
    TrackingScope.NOT_SERIALISED: (False, False, False),
    TrackingScope.FULL: (True, True, True),
    TrackingScope.CREDITOR_INTERNAL: (True, True, False),
    TrackingScope.DEBTOR: (False, False, True),
    TrackingScope.CREDITOR_DEBTOR: (True, False, True),
    TrackingScope.CREDITOR: (True, False, False),
    TrackingScope.INTERNAL_DEBTOR: (False, True, True),
    TrackingScope.INTERNAL: (False, True, False),
}


def scoped_item(company, scope):
    return ItemFactory(company=company, lot_class=LotClassFactory(company=company), tracking_scope=scope)


@pytest.mark.parametrize("scope, expected", SCOPES.items())
def test_tracking_scope_decides_which_moves_need_a_number(company, warehouse, warehouse2, scope, expected):
    item = scoped_item(company, scope)
    supplier = virtual_location(company, LocationKind.SUPPLIER)
    customer = virtual_location(company, LocationKind.CUSTOMER)
    production = virtual_location(company, LocationKind.PRODUCTION)
    assert number_required(item, supplier, warehouse) == expected[0]
    assert number_required(item, warehouse, warehouse2) == expected[1]
    assert number_required(item, warehouse, production) == expected[1]
    assert number_required(item, warehouse, customer) == expected[2]
    assert item.binds_lots == (scope == TrackingScope.FULL)


@pytest.mark.parametrize("scope, expected", SCOPES.items())
def test_every_scope_posts_a_receipt_transfer_and_delivery(company, warehouse, warehouse2, scope, expected):
    item = scoped_item(company, scope)
    receive(item=item, location=warehouse, **({"numbers": "S1 S2"} if expected[0] else {"quantity": 2}))
    kwargs = {"numbers": "S1"} if expected[1] else {}
    if expected[1] and not expected[0]:
        kwargs = {"numbers": "S1"}  # numbered for the first time on the transfer
    issue(kind=DocumentKind.TRANSFER, item=item, location=warehouse, to_location=warehouse2, quantity=1, **kwargs)
    issue(item=item, location=warehouse2, quantity=1, **({"numbers": "S1"} if expected[2] else {}))
    assert on_hand(item, warehouse) == 1
    assert on_hand(item, warehouse2) == 0
    assert ledger_verify() == []
    recorded = StockMove.objects.filter(item=item).exclude(to_lot=None).count()
    assert recorded == expected[0] * 2 + expected[1] + expected[2]


def test_numbers_outside_the_scope_are_refused_on_the_line(company, warehouse):
    item = scoped_item(company, TrackingScope.DEBTOR)
    with pytest.raises(InvalidDocument, match="records no lot or serial numbers on a receipt"):
        receive(item=item, location=warehouse, numbers="S1")
    assert not Lot.objects.filter(item=item).exists()


def test_creditor_and_debtor_serial_keeps_its_receipt_location_until_sold(company, warehouse, warehouse2):
    """Seed 003's example: LOCNO stays at the goods receipt through a transfer; after the sale
    it is the supply location."""
    item = scoped_item(company, TrackingScope.CREDITOR_DEBTOR)
    receive(item=item, location=warehouse, numbers="S1")
    issue(kind=DocumentKind.TRANSFER, item=item, location=warehouse, to_location=warehouse2, quantity=1)
    s1 = Lot.objects.get(item=item, number="S1")
    assert s1.in_stock and s1.last_location == warehouse
    assert on_hand(item, warehouse2) == 1 and on_hand(item, warehouse) == 0
    assert not Balance.objects.filter(item=item, lot__isnull=False).exists()  # stock kept per item
    issue(item=item, location=warehouse2, quantity=1, numbers="S1")
    s1.refresh_from_db()
    assert not s1.in_stock and s1.last_location == warehouse2


def test_debtor_only_serial_is_created_at_the_sale_and_cannot_be_sold_twice(company, warehouse):
    item = scoped_item(company, TrackingScope.DEBTOR)
    receive(item=item, location=warehouse, quantity=3)
    issue(item=item, location=warehouse, quantity=1, numbers="W-100")
    sold = Lot.objects.get(item=item, number="W-100")
    assert not sold.in_stock and sold.last_location == warehouse
    with pytest.raises(AssertionError, match="already issued"):
        issue(item=item, location=warehouse, quantity=1, numbers="W-100")
    assert on_hand(item, warehouse) == 2


def test_fully_tracked_serial_list_matches_stock_by_location(company, warehouse, warehouse2):
    item = scoped_item(company, TrackingScope.FULL)
    receive(item=item, location=warehouse, numbers="S1 S2 S3")
    issue(kind=DocumentKind.TRANSFER, item=item, location=warehouse, to_location=warehouse2, quantity=1, numbers="S2")
    by_location = {
        loc: sorted(Lot.objects.filter(item=item, in_stock=True, last_location=loc).values_list("number", flat=True))
        for loc in (warehouse, warehouse2)
    }
    assert by_location == {warehouse: ["S1", "S3"], warehouse2: ["S2"]}
    assert on_hand(item, warehouse) == 2 and on_hand(item, warehouse2) == 1
