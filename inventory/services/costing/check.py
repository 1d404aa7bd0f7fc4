"""Checking the kept cost state against what a rebuild from the moves would make (part of ``verify_ledger``)."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField

from ...models import CostLayer, Item, ItemCost, Lot, StockSummary
from ...quantities import ZERO
from .lots import lot_first_costs
from .sql import consumed_expressions, layers_sql, quoted_table, read_datetime, read_decimal, sql_param


def cost_state_faults(*, moved: dict[tuple[int, int | None, int], Decimal]) -> list[str]:
    """Where the kept cost state differs from what ``costs_rebuild`` would build, one line per
    item (or summary) naming it. ``moved`` is what the moves left in each (item, lot or None,
    internal location), as ``verify_ledger`` sums them: the on-hand the layers must cover.

    Set-based: the layers a rebuild would make are compared with the kept ones in the database
    (the incoming moves read once), then the items' cost rows (a few per item) and the numbered
    balances' value per summary. On SQLite, whose decimals are floating point, values may differ
    in the last of their 15 digits, so a millionth is let pass there.
    """
    tolerance = Decimal("0.000001") if connection.vendor == "sqlite" else ZERO
    faulty: dict[int, str] = {}
    for item_id, found, expected in _layers_differ(tolerance):
        faulty[item_id] = f"cost layers differ from a rebuild from the moves ({found} kept, {expected} rebuilt)"
    on_hand: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for (item_id, lot_id, _), quantity in moved.items():
        if quantity > 0:
            on_hand[item_id][0] += quantity
            if lot_id is None:
                on_hand[item_id][1] += quantity
    names = (
        "on hand",
        "unnumbered",
        "incoming quantity",
        "incoming value",
        "unbound quantity",
        "unbound value",
        "newest layer",
        "its newest move",
        "consumed value",
        "unbound consumed value",
    )
    kept = {row[0]: row[1:] for row in _cost_rows()}
    for item_id in sorted((set(kept) | set(on_hand)) - set(faulty)):
        have, want = kept.get(item_id), None
        if have is None:
            faulty[item_id] = "no cost row, though it has stock"
            continue
        # The rebuilt row: on hand from the moves; the rest from its layers, which are right.
        want = (*on_hand.get(item_id, (ZERO, ZERO)), *have[10:])
        wrong = [
            f"{name} {h} (rebuilt: {w})"
            for name, h, w in zip(names, have[:10], want)
            if not (abs(h - w) <= tolerance if isinstance(h, Decimal) and isinstance(w, Decimal) else h == w)
        ]
        if wrong:
            faulty[item_id] = "; ".join(wrong)
    faults = []
    if faulty:
        skus = dict(Item.objects.filter(pk__in=list(faulty)).values_list("pk", "sku"))
        faults += [f"item cost {skus.get(i, '?')} (item {i}): {what}" for i, what in sorted(faulty.items())]
    faults += _lots_value_faults(moved, tolerance)
    return faults


def _lots_value_faults(moved: dict[tuple[int, int | None, int], Decimal], tolerance: Decimal) -> list[str]:
    """Each stock summary's ``lots_value`` against what the moves left of each lot there × its cost."""
    faults = []
    # What the moves left of each lot at each place × the lot's cost: a bad balance is named by
    # the balances' own check, not here again.
    numbered = [(key, quantity) for key, quantity in moved.items() if key[1] is not None and quantity]
    costs = dict(Lot.objects.filter(unit_cost__isnull=False).values_list("id", "unit_cost")) if numbered else {}
    uncosted = {key[1] for key, _ in numbered if key[1] not in costs}
    costs.update(lot_first_costs(uncosted) if uncosted else {})
    never_in = {key[0] for key, _ in numbered if key[1] in uncosted and key[1] not in costs}  # impossible by posting
    standard = dict(Item.objects.filter(pk__in=never_in).values_list("pk", "unit_cost")) if never_in else {}
    want_values: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for (item_id, lot_id, location_id), quantity in numbered:
        want_values[(item_id, location_id)] += quantity * costs.get(lot_id, standard.get(item_id, ZERO))
    have_values = {(r[0], r[1]): (r[2], r[3]) for r in StockSummary.objects.values_list("item_id", "location_id", "id", "lots_value")}
    # A missing summary is named by the summaries' own check, once.
    for key, (summary_id, have) in sorted(have_values.items()):
        want = want_values.get(key) or ZERO
        if abs(have - want) > tolerance:
            faults.append(f"stock summary {summary_id} item={key[0]} location={key[1]}: its lots are worth {have}, at their cost {want}")
    return faults


def _layers_differ(tolerance: Decimal) -> list[tuple[int, int, int]]:
    """Items whose kept layers are not the rebuilt ones: (item, layers kept, layers rebuilt)."""
    layer = quoted_table(CostLayer)
    select, params = layers_sql(None)
    key = "k.item_id = e.item_id AND k.arrived_at = e.arrived_at AND k.unit_cost = e.unit_cost AND k.unbound = e.unbound"
    close = " AND ".join(
        f"ABS(k.{c} - e.{c}) <= %s" for c in ("quantity", "end_quantity", "end_value", "unbound_end_quantity", "unbound_end_value")
    )
    sql = f"""
        WITH e AS ({select})
        SELECT d.item_id, (SELECT COUNT(*) FROM {layer} c WHERE c.item_id = d.item_id),
            (SELECT COUNT(*) FROM e c WHERE c.item_id = d.item_id)
        FROM (
            SELECT e.item_id FROM e LEFT JOIN {layer} k ON {key}
            WHERE k.id IS NULL OR k.last_move <> e.last_move OR NOT ({close})
            UNION
            SELECT k.item_id FROM {layer} k LEFT JOIN e ON {key} WHERE e.item_id IS NULL
        ) d
        ORDER BY d.item_id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *[sql_param(tolerance)] * 5])
        return cursor.fetchall()


def _cost_rows() -> list[tuple]:
    """Every cost row as kept, then as its layers make it: the newest layer's running sums and
    key, and the consumed values the SQL of the posting service gives for its on-hand."""
    cost, layer = quoted_table(ItemCost), quoted_table(CostLayer)

    def newest(column: str) -> str:
        return f"(SELECT l.{column} FROM {layer} l WHERE l.item_id = {cost}.item_id ORDER BY l.end_quantity DESC LIMIT 1)"

    consumed, unbound_consumed = consumed_expressions()
    kept = [
        "on_hand",
        "unnumbered",
        "incoming_quantity",
        "incoming_value",
        "unbound_quantity",
        "unbound_value",
        "last_at",
        "last_move",
        "consumed_value",
        "unbound_consumed_value",
    ]
    fields = {name: ItemCost._meta.get_field(name) for name in kept}
    sql = (
        f"SELECT item_id, {', '.join(kept)}, "
        f"COALESCE({newest('end_quantity')}, 0), COALESCE({newest('end_value')}, 0), "
        f"COALESCE({newest('unbound_end_quantity')}, 0), COALESCE({newest('unbound_end_value')}, 0), "
        f"{newest('arrived_at')}, {newest('last_move')}, {consumed}, {unbound_consumed} FROM {cost}"
    )
    places = [fields[name].decimal_places if name in fields and isinstance(fields[name], DecimalField) else None for name in kept]
    places = places + [4, 8, 4, 8, None, None, 8, 8]
    rows = []
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for item_id, *values in cursor.fetchall():
            row = []
            for value, place in zip(values, places):
                if place is not None:
                    row.append(read_decimal(value, place))
                elif isinstance(value, (str, datetime)):
                    row.append(read_datetime(value))
                else:
                    row.append(value)
            rows.append((item_id, *row))
    return rows
