"""Work orders completing at once over the same component lots: real threads, real PostgreSQL.

Nothing is proposed beforehand, so every completion takes its components by the issue method
inside its own transaction, under the lots' and balances' row locks.
"""

import contextlib
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from inventory.exceptions import InventoryError
from inventory.models import Balance, GenealogyLink, Lot, MoveReason, StockMove
from inventory.selectors import ledger_verify
from inventory.services import line_numbers_generate
from manufacturing.models import WorkOrder, WorkOrderState
from manufacturing.services import work_order_complete, work_order_create, work_order_release
from tests.inventory.test_concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _released(plant, quantity):
    work_order = work_order_create(company=plant.company, item=plant.widget, quantity=quantity, location=plant.warehouse)
    work_order = work_order_release(work_order=work_order)
    line_numbers_generate(line=work_order.output_document.lines.get())
    return work_order


def _consumed(item) -> Decimal:
    out = StockMove.objects.filter(item=item, reason=MoveReason.PRODUCTION_CONSUMPTION).aggregate(q=Sum("quantity"))["q"]
    back = StockMove.objects.filter(item=item, reason=MoveReason.REVERSAL).aggregate(q=Sum("quantity"))["q"]
    return (out or Decimal(0)) - (back or Decimal(0))


def test_concurrency_two_work_orders_never_consume_more_than_exists(plant):
    # 20 chips: each order needs 15, so only one can complete whole.
    orders = [_released(plant, 15) for _ in range(2)]

    def work(index, barrier):
        try:
            work_order_complete(work_order=orders[index])
        except InventoryError as refused:
            return str(refused)
        return "done"

    results = run_concurrently(2, work)
    assert sorted(r == "done" for r in results) == [False, True]
    assert "CHIP" in next(r for r in results if r != "done")
    assert _consumed(plant.chip) == 15 and Lot.objects.filter(item=plant.chip, in_stock=True).count() == 5
    assert not Balance.objects.filter(quantity__lt=0).exists()
    assert not ledger_verify()


def test_concurrency_partial_completions_share_lots_without_overdrawing(plant):
    # 6 orders of 10 widgets completed 5 at a time, 12 completions racing for 150 resin (2 each)
    # and 20 chips (1 each): exactly 20 widgets can be made.
    orders = [_released(plant, 10) for _ in range(6)]

    def work(index, barrier):
        made = 0
        for _ in range(2):
            barrier.wait(timeout=60)
            with contextlib.suppress(InventoryError):
                made += work_order_complete(work_order=orders[index], quantity=5).quantity
        return made

    made = sum(run_concurrently(6, work))
    assert made == 20
    assert _consumed(plant.chip) == 20 and _consumed(plant.resin) == 40
    assert sorted(w.produced_quantity for w in WorkOrder.objects.all() if w.produced_quantity) in ([5, 5, 5, 5], [5, 5, 10], [10, 10])
    assert WorkOrder.objects.filter(state=WorkOrderState.DONE).count() == sum(w.produced_quantity == 10 for w in WorkOrder.objects.all())
    # Unmapped chips are shared among the 5 units of their completion: each of the 20 chips links
    # to the units it may be in, with its whole quantity (1) spread over them.
    chip_links = GenealogyLink.objects.filter(consumed__item=plant.chip)
    totals = chip_links.values("consumed").annotate(total=Sum("quantity"), units=Count("produced"))
    assert len(totals) == 20 and {(r["total"], r["units"]) for r in totals} == {(Decimal(1), 5)}
    assert not ledger_verify()
