"""Specific cost of numbered stock: a lot's own cost, else the cost of the move that first brought it in."""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from ...bulk import filter_in_chunks
from ...locks import LotState
from ...models import Item, Lot, StockMove
from ...quantities import ZERO
from .sql import INTERNAL


def lots_value_changes(
    deltas: dict[tuple[int, int | None, int], Decimal],
    lots: dict[int, LotState],
    items: dict[int, Item],
    arriving: dict[int, Decimal] | None = None,
) -> dict[tuple[int, int], Decimal]:
    """What a posting adds to each (item, location) summary's ``lots_value``: each numbered balance
    change × its lot's cost. ``arriving``: the first cost of lots arriving for the first time,
    known without the ledger. Read before the posting writes (the summaries take it with their
    quantities, in one statement)."""
    numbered = [(key, delta) for key, delta in deltas.items() if key[1] is not None and delta]
    if not numbered:
        return {}
    arriving = arriving or {}
    uncosted = {key[1] for key, _ in numbered if lots[key[1]].unit_cost is None and key[1] not in arriving}
    first = lot_first_costs(uncosted) if uncosted else {}
    first.update(arriving)
    values: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for (item_id, lot_id, location_id), delta in numbered:
        cost = lots[lot_id].unit_cost
        if cost is None:
            cost = first.get(lot_id, items[item_id].unit_cost)
        values[(item_id, location_id)] += delta * cost
    return values


def lot_first_costs(lot_ids: Iterable[int]) -> dict[int, Decimal]:
    """Each lot's cost when it has none of its own: the unit cost of the first move (by time,
    then id) that brought it into an internal location."""
    found: dict[int, Decimal] = {}
    moves = (
        StockMove.objects.filter(to_location__kind=INTERNAL).order_by("to_lot_id", "created_at", "pk").values_list("to_lot_id", "unit_cost")
    )
    # Chunked by lot: a lot's moves are read together, in their order.
    for lot_id, cost in filter_in_chunks(moves, "to_lot_id__in", lot_ids):
        found.setdefault(lot_id, cost)
    return found


def lot_cost_expression(*, joined: bool = True) -> Coalesce:
    """A balance's lot cost as SQL: ``Lot.unit_cost``, else the cost of the move that first
    brought the lot into an internal location, else the item's standard cost.

    ``joined``: read the lot by a join (for every row of an aggregate); otherwise by a subquery,
    which a page of rows ordered and cut by LIMIT evaluates for its own rows only."""
    money = DecimalField(max_digits=18, decimal_places=4)
    first = (
        StockMove.objects.filter(to_lot=OuterRef("lot_id"), to_location__kind=INTERNAL).order_by("created_at", "pk").values("unit_cost")[:1]
    )
    own = F("lot__unit_cost") if joined else Subquery(Lot.objects.filter(pk=OuterRef("lot_id")).values("unit_cost")[:1])
    return Coalesce(own, Subquery(first, output_field=money), F("item__unit_cost"), output_field=money)
