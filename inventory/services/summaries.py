"""What posting keeps beside the balances for the pages to read: per (item, location) a stock
summary, per (item, location, expiry day) an expiry summary; added to in the posting's
transaction, in key order (their lock order), and rebuilt from the balances where stock was
written around the posting service."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import connection, transaction

from ..bulk import bulk_add_rows
from ..locks import BalanceRow, LotState
from ..models import Company, ExpirySummary, StockSummary
from ..quantities import ZERO


@transaction.atomic
def stock_summaries_rebuild(*, company: Company) -> int:
    """The company's stock summaries (and expiry summaries) made again from its balances: for stock
    written around the posting service (the benchmark's bulk data). Returns how many stock
    summary rows there are."""
    StockSummary.objects.filter(company=company).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inventory_stocksummary (company_id, item_id, location_id, quantity, lots) "
            "SELECT company_id, item_id, location_id, SUM(quantity), "
            "SUM(CASE WHEN lot_id IS NOT NULL AND quantity > 0 THEN 1 ELSE 0 END) "
            "FROM inventory_balance WHERE company_id = %s GROUP BY company_id, item_id, location_id",
            [company.pk],
        )
        count = cursor.rowcount
        # What awaits its numbers: the open parts of the lines that left without them.
        cursor.execute(
            "UPDATE inventory_stocksummary SET awaiting_numbers = (SELECT SUM(p.quantity - p.assigned - p.released) "
            "FROM inventory_pendingnumbers p WHERE p.item_id = inventory_stocksummary.item_id "
            "AND p.location_id = inventory_stocksummary.location_id AND p.is_open) "
            "WHERE company_id = %s AND EXISTS (SELECT 1 FROM inventory_pendingnumbers p WHERE p.company_id = %s AND p.is_open "
            "AND p.item_id = inventory_stocksummary.item_id AND p.location_id = inventory_stocksummary.location_id)",
            [company.pk, company.pk],
        )
    expiry_summaries_rebuild(company=company)
    return count


def expiry_summaries_rebuild(*, company: Company) -> int:
    """The company's expiry summaries made again from its balances (with ``stock_summaries_rebuild``)."""
    ExpirySummary.objects.filter(company=company).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inventory_expirysummary (company_id, item_id, location_id, expiry_date, quantity) "
            "SELECT company_id, item_id, location_id, expiry_date, SUM(quantity) FROM inventory_balance "
            "WHERE company_id = %s AND expiry_date IS NOT NULL AND quantity > 0 "
            "GROUP BY company_id, item_id, location_id, expiry_date",
            [company.pk],
        )
        return cursor.rowcount


def summary_changes(
    company: Company,
    deltas: dict[tuple[int, int | None, int], Decimal],
    balances: dict[tuple[int, int | None, int], BalanceRow],
    awaiting: dict[tuple[int, int], Decimal],
    values: dict[tuple[int, int], Decimal],
) -> list[tuple]:
    """What the posting adds to each (item, location) summary: the quantity, the lots/serials that
    come into stock there less those that leave it, what awaits its numbers there, and the value
    of its lots (``values``, from costing). Sorted: the summaries' lock order."""
    changes: dict[tuple[int, int], list] = {key: [ZERO, 0, quantity, ZERO] for key, quantity in awaiting.items() if quantity}
    for (item_id, lot_id, location_id), delta in deltas.items():
        balance = balances.get((item_id, lot_id, location_id))
        before = balance.quantity if balance is not None else ZERO
        change = changes.setdefault((item_id, location_id), [ZERO, 0, ZERO, ZERO])
        change[0] += delta
        if lot_id is not None:
            change[1] += (before + delta > 0) - (before > 0)
    for key, value in values.items():
        changes.setdefault(key, [ZERO, 0, ZERO, ZERO])[3] += value
    return [
        (item_id, location_id, company.pk, quantity, lots, held, value)
        for (item_id, location_id), (quantity, lots, held, value) in sorted(changes.items())
        if quantity or lots or held or value
    ]


def expiry_changes(deltas: dict[tuple[int, int | None, int], Decimal], lots: dict[int, LotState]) -> dict[tuple[int, int, date], Decimal]:
    """What the posting adds to each (item, location, expiry date) summary."""
    changes: dict[tuple[int, int, date], Decimal] = defaultdict(lambda: ZERO)
    for (item_id, lot_id, location_id), delta in deltas.items():
        lot = lots.get(lot_id) if lot_id is not None else None
        if lot is not None and lot.expiry_date is not None:
            changes[(item_id, location_id, lot.expiry_date)] += delta
    return changes


def expiry_summaries_add(*, company_id: int, changes: dict[tuple[int, int, date], Decimal]) -> None:
    """Add ``changes`` ((item, location, expiry date) → quantity) to the expiry summaries, in key
    order (their lock order, after the stock summaries)."""
    rows = [(*key, company_id, quantity) for key, quantity in sorted(changes.items()) if quantity]
    bulk_add_rows(ExpirySummary, keys=["item", "location", "expiry_date"], fixed=["company"], added=["quantity"], rows=rows)
