"""Building the cost state from the moves, for data written around the posting service."""

from django.db import connection, transaction

from ...models import Balance, Company, CostLayer, Item, ItemCost, Location, Lot, StockMove, StockSummary
from .sql import INTERNAL, LAYER_FIELDS, column, consumed_sql, layers_sql, quoted_table


@transaction.atomic
def costs_rebuild(*, company: Company) -> None:
    """Build the company's cost state from its moves and balances, replacing what is there: the
    layers of its incoming moves, each item's cost row, and its stock summaries' ``lots_value``
    (the summaries themselves must exist, their quantities are the posting service's: run it
    after ``stock_summaries_rebuild``, which makes them anew).

    For data written around the posting service (the bench data set, SQL imports), and to repair
    what ``verify_ledger`` names. A few set-based statements, whatever the size; run it while
    nothing posts for the company (it rewrites rows posting locks).
    """
    with connection.cursor() as cursor:
        for statement, params in rebuild_statements(company.pk):
            cursor.execute(statement, params)


def rebuild_statements(company_id: int) -> list[tuple[str, list]]:
    """The SQL of ``costs_rebuild``, in order, with its parameters."""
    layer, cost, move, location = quoted_table(CostLayer), quoted_table(ItemCost), quoted_table(StockMove), quoted_table(Location)
    balance, summary, lot, item = quoted_table(Balance), quoted_table(StockSummary), quoted_table(Lot), quoted_table(Item)
    c = [company_id]
    select, select_params = layers_sql(company_id)
    layers = f"INSERT INTO {layer} ({', '.join(column(CostLayer, name) for name in LAYER_FIELDS)}) {select}"
    internal = f"JOIN {location} bl ON bl.id = b.location_id AND bl.kind = %s"
    costs = f"""
        INSERT INTO {cost} (item_id, company_id, on_hand, unnumbered, incoming_quantity, incoming_value, consumed_value,
            unbound_quantity, unbound_value, unbound_consumed_value)
        SELECT i.id, i.company_id, COALESCE(b.on_hand, 0), COALESCE(b.unnumbered, 0), 0, 0, 0, 0, 0, 0
        FROM {item} i
        LEFT JOIN (
            SELECT b.item_id, SUM(b.quantity) AS on_hand, SUM(CASE WHEN b.lot_id IS NULL THEN b.quantity ELSE 0 END) AS unnumbered
            FROM {balance} b {internal}
            WHERE b.company_id = %s AND b.quantity > 0
            GROUP BY b.item_id
        ) b ON b.item_id = i.id
        WHERE i.company_id = %s
            AND (b.item_id IS NOT NULL OR EXISTS (SELECT 1 FROM {layer} l WHERE l.item_id = i.id))"""

    def newest(column: str) -> str:
        return f"(SELECT l.{column} FROM {layer} l WHERE l.item_id = {cost}.item_id ORDER BY l.end_quantity DESC LIMIT 1)"

    totals = f"""
        UPDATE {cost} SET
            incoming_quantity = COALESCE({newest("end_quantity")}, 0), incoming_value = COALESCE({newest("end_value")}, 0),
            unbound_quantity = COALESCE({newest("unbound_end_quantity")}, 0),
            unbound_value = COALESCE({newest("unbound_end_value")}, 0),
            last_at = {newest("arrived_at")}, last_move = {newest("last_move")}
        WHERE company_id = %s"""
    first = (
        f"SELECT m.unit_cost FROM {move} m JOIN {location} ml ON ml.id = m.to_location_id AND ml.kind = %s "
        f"WHERE m.to_lot_id = b.lot_id ORDER BY m.created_at, m.id LIMIT 1"
    )
    lots_value = f"""
        UPDATE {summary} SET lots_value = v.value
        FROM (
            SELECT b.item_id, b.location_id, ROUND(SUM(b.quantity * COALESCE(n.unit_cost, ({first}), i.unit_cost)), 8) AS value
            FROM {balance} b JOIN {lot} n ON n.id = b.lot_id JOIN {item} i ON i.id = b.item_id
            WHERE b.company_id = %s AND b.quantity > 0
            GROUP BY b.item_id, b.location_id
        ) v
        WHERE {summary}.item_id = v.item_id AND {summary}.location_id = v.location_id"""
    return [
        (f"UPDATE {summary} SET lots_value = 0 WHERE company_id = %s", c),
        (lots_value, [INTERNAL, company_id]),
        (f"DELETE FROM {cost} WHERE company_id = %s", c),
        (f"DELETE FROM {layer} WHERE company_id = %s", c),
        (layers, select_params),
        (costs, [INTERNAL, company_id, company_id]),
        (totals, c),
        (f"UPDATE {cost} SET {consumed_sql()} WHERE company_id = %s", c),
    ]
