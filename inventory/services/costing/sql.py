"""SQL the cost state shares: reading what the database returns outside the ORM, the layers a
rebuild makes of the moves, and the consumed value of the oldest units."""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Context, Decimal

from django.db import connection
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ...models import CostLayer, ItemCost, Location, LocationKind, StockMove
from ...quantities import ZERO

COST_QUANTUM = Decimal("0.0001")  # unit costs have 4 decimal places
INTERNAL = LocationKind.INTERNAL

LAYER_FIELDS = [
    "company",
    "item",
    "arrived_at",
    "unit_cost",
    "unbound",
    "last_move",
    "quantity",
    "end_quantity",
    "end_value",
    "unbound_end_quantity",
    "unbound_end_value",
]
STATE_COLUMNS = ["on_hand", "unnumbered", "incoming_quantity", "incoming_value", "unbound_quantity", "unbound_value"]


# Reading what the database returns outside the ORM ---------------------------------------------

FLOAT = Context(prec=15)  # SQLite keeps 15 significant digits, as Django reads its decimals


def read_decimal(value: object, places: int) -> Decimal:
    if value is None:
        return ZERO
    if isinstance(value, float):
        return FLOAT.create_decimal_from_float(value).quantize(Decimal(1).scaleb(-places))
    return value if isinstance(value, Decimal) else Decimal(value)


def read_datetime(value: object) -> datetime | None:
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    # SQLite keeps UTC without an offset (USE_TZ); PostgreSQL answers with one.
    return timezone.make_aware(parsed, UTC) if timezone.is_naive(parsed) else parsed


def sql_params(values: Iterable[object]) -> list:
    """Values as statement parameters: SQLite gets decimals and times as Django writes them."""
    if connection.vendor != "sqlite":
        return list(values)
    adapt = connection.ops.adapt_datetimefield_value
    return [str(v) if isinstance(v, Decimal) else adapt(v) if isinstance(v, datetime) else v for v in values]


def sql_param(value: object) -> object:
    return sql_params([value])[0]


def quoted_table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def consumed_expressions() -> tuple[str, str]:
    """SQL giving a cost row the value of its oldest consumed units, all and unbound: the first
    layer whose running sum reaches them, less what of it lies beyond."""
    cost, layer = quoted_table(ItemCost), quoted_table(CostLayer)

    def value_of_first(quantity: str, covered: str, value: str, end_quantity: str, end_value: str, only: str) -> str:
        consumed = f"({cost}.{quantity} - {cost}.{covered})"
        lookup = (
            f"SELECT ROUND(l.{end_value} - (l.{end_quantity} - {consumed}) * l.unit_cost, 8) FROM {layer} l "
            f"WHERE l.item_id = {cost}.item_id{only} AND l.{end_quantity} >= {consumed} ORDER BY l.{end_quantity} LIMIT 1"
        )
        return (
            f"CASE WHEN {consumed} <= 0 THEN 0 WHEN {cost}.{covered} <= 0 THEN {cost}.{value} ELSE COALESCE(({lookup}), {cost}.{value}) END"
        )

    return (
        value_of_first("incoming_quantity", "on_hand", "incoming_value", "end_quantity", "end_value", ""),
        value_of_first("unbound_quantity", "unnumbered", "unbound_value", "unbound_end_quantity", "unbound_end_value", " AND l.unbound"),
    )


def consumed_sql() -> str:
    consumed, unbound_consumed = consumed_expressions()
    return f"consumed_value = {consumed}, unbound_consumed_value = {unbound_consumed}"


def consumed_update(where: str, params: Sequence) -> None:
    if not params:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quoted_table(ItemCost)} SET {consumed_sql()} WHERE {where}", list(params))


def layers_sql(company_id: int | None) -> tuple[str, list]:
    """SELECT of the layers a rebuild makes of the incoming moves (of one company, or all), in
    ``LAYER_FIELDS`` order: grouped by (item, time, unit cost, bound or not), each with the
    running sums of the item's layers up to it."""
    move, location = quoted_table(StockMove), quoted_table(Location)
    of_company, params = ("m.company_id = %s AND ", [company_id]) if company_id is not None else ("", [])
    reversals = "r.company_id = %s AND " if company_id is not None else ""
    unbound = "CASE WHEN m.to_lot_id IS NULL OR NOT m.binds_lot THEN TRUE ELSE FALSE END"
    window = "PARTITION BY g.item_id ORDER BY g.arrived_at, g.last_move ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    sql = f"""
        SELECT g.company_id, g.item_id, g.arrived_at, g.unit_cost, g.unbound, g.last_move, g.quantity,
            SUM(g.quantity) OVER w AS end_quantity, SUM(g.quantity * g.unit_cost) OVER w AS end_value,
            SUM(CASE WHEN g.unbound THEN g.quantity ELSE 0 END) OVER w AS unbound_end_quantity,
            SUM(CASE WHEN g.unbound THEN g.quantity * g.unit_cost ELSE 0 END) OVER w AS unbound_end_value
        FROM (
            SELECT m.company_id, m.item_id, m.created_at AS arrived_at, m.unit_cost, {unbound} AS unbound,
                MAX(m.id) AS last_move, SUM(m.quantity) AS quantity
            FROM {move} m
            JOIN {location} t ON t.id = m.to_location_id
            JOIN {location} f ON f.id = m.from_location_id
            WHERE {of_company}t.kind = %s AND f.kind <> %s AND m.reverses_id IS NULL
                AND NOT EXISTS (SELECT 1 FROM {move} r WHERE {reversals}r.reverses_id = m.id)
            GROUP BY m.company_id, m.item_id, m.created_at, m.unit_cost, {unbound}
        ) g
        WINDOW w AS ({window})"""
    return sql, [*params, INTERNAL, INTERNAL, *params]
