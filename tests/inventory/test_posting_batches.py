"""``moves_write_batches``: an import's batches posted as ``moves_write`` posts them, the next one
planned in a second thread while one is written; a lot in two batches in a row, and stock already
placed, planned by the caller's thread after the write instead."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from inventory import locks
from inventory.exceptions import SerialConflict
from inventory.models import Balance, ItemCost, LocationKind, Lot, LotKind, MoveReason, StockMove
from inventory.selectors import ledger_verify
from inventory.services import MoveSpec, posting, virtual_location
from tests.inventory.factories import ItemFactory
from tests.inventory.flows import on_hand, receive


@pytest.fixture
def planned(monkeypatch):
    """What each plan of the planning thread came to: True planned there, False handed back."""
    seen = []
    offline = posting._plan_offline

    def spy(*args):
        plan, batch = offline(*args)
        seen.append(plan is not None)
        return plan, batch

    monkeypatch.setattr(posting, "_plan_offline", spy)
    return seen


def _arrivals(item, lots, locations, cost="5"):
    adjustment = virtual_location(item.company, LocationKind.ADJUSTMENT)
    return [
        MoveSpec(
            item=item,
            quantity=Decimal(1) if lot is None or lot.kind == LotKind.SERIAL else Decimal(2),
            from_location=adjustment,
            to_location=location,
            to_lot_id=lot.pk if lot else None,
            unit_cost=Decimal(cost),
        )
        for lot, location in zip(lots, locations)
    ]


def _post(company, batches):
    with transaction.atomic():
        return posting.moves_write_batches(company=company, batches=batches, reason=MoveReason.ADJUSTMENT, on=date.today())


def _serials(item, count, start=0):
    return [Lot.objects.create(company=item.company, item=item, number=f"S{start + i:04d}", kind=LotKind.SERIAL) for i in range(count)]


def test_batches_post_every_move_with_the_next_planned_beside_the_write(company, serial_item, warehouse, warehouse2, planned):
    serials = _serials(serial_item, 9)
    places = [warehouse, warehouse2] * 5
    batches = [_arrivals(serial_item, serials[i : i + 3], places[i : i + 3]) for i in range(0, 9, 3)]

    assert _post(company, iter(batches)) == 9

    assert planned == [True, True]  # batches 2 and 3, each while the one before was written
    assert StockMove.objects.filter(company=company).count() == 9
    for serial, place in zip(serials, places):
        serial.refresh_from_db()
        assert (serial.in_stock, serial.last_location_id, serial.received_at is not None) == (True, place.pk, True)
        assert on_hand(serial_item, place, serial) == 1
    assert ItemCost.objects.get(item=serial_item).on_hand == 9
    assert ledger_verify() == []


def test_a_lot_in_two_batches_in_a_row_is_planned_after_the_first_is_written(company, lot_item, warehouse, warehouse2, planned):
    lot = Lot.objects.create(company=company, item=lot_item, number="L1", kind=LotKind.LOT, expiry_date=date(2099, 1, 1))
    other = Lot.objects.create(company=company, item=lot_item, number="L2", kind=LotKind.LOT, expiry_date=date(2099, 1, 1))

    _post(
        company,
        [
            _arrivals(lot_item, [lot], [warehouse]),
            _arrivals(lot_item, [lot], [warehouse2], cost="7"),
            _arrivals(lot_item, [other], [warehouse]),
        ],
    )

    assert planned == [True]  # only the third: the second shares the first's lot
    assert (on_hand(lot_item, warehouse, lot), on_hand(lot_item, warehouse2, lot), on_hand(lot_item, warehouse, other)) == (2, 2, 2)
    lot.refresh_from_db()
    first, second = StockMove.objects.filter(to_lot=lot).order_by("pk")
    assert first.created_at < second.created_at
    assert lot.received_at == first.created_at  # arrived with the first batch, not again with the second
    assert ledger_verify() == []  # the lots' value kept beside the stock agrees with the moves


def test_a_batch_whose_checks_read_the_database_is_planned_by_the_callers_thread(company, warehouse, planned):
    plain = ItemFactory(company=company, sku="BOLT")
    receive(item=plain, location=warehouse, quantity=4)  # a balance to read under lock

    _post(company, [_arrivals(plain, [None], [warehouse]), _arrivals(plain, [None], [warehouse])])

    assert planned == [False]  # handed back: its plan reads the balance the first batch wrote
    assert on_hand(plain, warehouse, unnumbered=True) == 6
    assert Balance.objects.filter(item=plain).count() == 1
    assert ledger_verify() == []


def test_a_refusal_in_a_later_batch_writes_nothing(company, serial_item, warehouse, warehouse2, planned):
    serials = _serials(serial_item, 4)
    receive(item=serial_item, location=warehouse, numbers="S0003")  # already in stock
    moves = StockMove.objects.count()

    with pytest.raises(SerialConflict, match="S0003 is already in stock"):
        _post(company, [_arrivals(serial_item, serials[:2], [warehouse2] * 2), _arrivals(serial_item, serials[2:], [warehouse2] * 2)])

    assert StockMove.objects.count() == moves
    assert not Lot.objects.filter(pk__in=[s.pk for s in serials[:3]], in_stock=True).exists()
    assert ledger_verify() == []


def test_the_planning_thread_never_opens_a_connection():
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def query():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    with ThreadPoolExecutor(max_workers=1, initializer=posting._planner_offline) as planner:
        for read in (query, lambda: list(Balance.objects.all()), lambda: locks.lots_lock([1, 2])):
            with pytest.raises(posting._NeedsDatabase):
                planner.submit(read).result()
        assert planner.submit(lambda: connection.connection).result() is None
