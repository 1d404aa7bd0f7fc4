"""What one posting changes in the cost state: ``costs_post`` and the layers it appends or rewrites."""

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.db import connection
from django.db.models import Max, Q, QuerySet

from ...bulk import bulk_insert_rows, bulk_update_rows
from ...models import Company, CostLayer, ItemCost, Location, StockMove
from ...quantities import ZERO
from .lots import lots_value_changes
from .sql import (
    COST_QUANTUM,
    INTERNAL,
    LAYER_FIELDS,
    STATE_COLUMNS,
    consumed_update,
    quoted_table,
    read_datetime,
    read_decimal,
    sql_params,
)

# What one posting changes --------------------------------------------------------------------


def _incoming(from_kind: str, to_kind: str) -> bool:
    """From a virtual location into an internal one (a reversal never counts: the caller's part)."""
    return to_kind == INTERNAL and from_kind != INTERNAL


@dataclass(slots=True)
class _Removed:
    """An incoming move a reversal takes out of its layer."""

    arrived_at: datetime
    unit_cost: Decimal
    unbound: bool
    quantity: Decimal
    move_id: int


@dataclass
class _Change:
    on_hand: Decimal = ZERO
    unnumbered: Decimal = ZERO
    # (arrived_at, unit cost, unbound) → [quantity, newest move id]
    added: dict[tuple[datetime, Decimal, bool], list] = field(default_factory=dict)
    removed: list[_Removed] = field(default_factory=list)
    _sums: tuple | None = None  # once the posting's changes are all in

    def newest(self) -> tuple[datetime, int] | None:
        """Where the newest layer this posting adds goes in the order (None: it adds none)."""
        if not self.added:
            return None
        return max((arrived_at, last_move) for (arrived_at, _, _), (_, last_move) in self.added.items())

    def sums(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """What the layers' totals change by: quantity and value, all and unbound."""
        if self._sums is None:
            self._sums = self._add_up()
        return self._sums

    def _add_up(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        quantity = value = unbound_quantity = unbound_value = ZERO
        rows = [(q, cost, unbound) for (_, cost, unbound), (q, _) in self.added.items()]
        rows += [(-r.quantity, r.unit_cost, r.unbound) for r in self.removed]
        for q, cost, unbound in rows:
            quantity += q
            value += q * cost
            if unbound:
                unbound_quantity += q
                unbound_value += q * cost
        return quantity, value, unbound_quantity, unbound_value


@dataclass(slots=True)
class _State:
    """An item's cost row: the totals, before or after this posting."""

    on_hand: Decimal
    unnumbered: Decimal
    incoming_quantity: Decimal
    incoming_value: Decimal
    unbound_quantity: Decimal
    unbound_value: Decimal
    last_at: datetime | None
    last_move: int | None

    def before(self, change: "_Change") -> "_State":
        """The totals as they were before ``change`` (the newest layer's place is not kept)."""
        quantity, value, unbound_quantity, unbound_value = change.sums()
        return _State(
            self.on_hand - change.on_hand,
            self.unnumbered - change.unnumbered,
            self.incoming_quantity - quantity,
            self.incoming_value - value,
            self.unbound_quantity - unbound_quantity,
            self.unbound_value - unbound_value,
            None,
            None,
        )

    def consumed(self) -> tuple[Decimal, Decimal]:
        """How many of the oldest layered units FIFO counts as gone, all and unbound."""
        return (
            max(self.incoming_quantity - self.on_hand, ZERO),
            max(self.unbound_quantity - self.unnumbered, ZERO),
        )


def cost_changes(
    *,
    specs: Sequence,
    moves: Sequence[tuple],
    fields: Sequence[str],
    deltas: dict[tuple[int, int | None, int], Decimal],
) -> dict[int, "_Change"]:
    """What a posting changes in its items' cost state, made before its moves are written (as
    ``costs_post`` takes it, with their ids): ``specs`` and ``moves`` (rows in ``fields`` order)
    are the posting's moves, in order; ``deltas`` its balance changes keyed (item, lot or None,
    internal location). A transfer changes no item's cost, only where its lots' value lies
    (``summary_values``): unnumbered stock moved between locations changes nothing here."""
    changes = _changes_of(specs, moves, fields, deltas)
    return {item_id: c for item_id, c in changes.items() if c.on_hand or c.unnumbered or c.added or c.removed}


def costs_post(*, company: Company, changes: dict[int, "_Change"], move_ids: Sequence[int]) -> None:
    """Keep the cost state of the items a posting changed (``cost_changes``), its moves written
    with ``move_ids`` (in their order); called by ``moves_post`` in its write block, after the
    stock summaries (the lock order of ``inventory/locks.py``). Each layer the posting adds
    names its newest move."""
    for change in changes.values():
        for layer in change.added.values():
            layer[1] = move_ids[layer[1]]
    if changes:
        _changes_write(company, changes)


def summary_values(
    *,
    specs: Sequence,
    moves: Sequence[tuple],
    fields: Sequence[str],
    deltas: dict[tuple[int, int | None, int], Decimal],
    lots: dict,
    never_arrived: Collection[int] = frozenset(),
) -> dict[tuple[int, int], Decimal]:
    """What a posting adds to each (item, location) summary's ``lots_value``, which ``moves_write``
    writes with the summaries' quantities. ``lots``: the locked lots' state; ``never_arrived``:
    those of them no move had brought into an internal location before this posting (their first
    cost is this posting's)."""
    items = {spec.item.id: spec.item for spec in specs}
    return lots_value_changes(deltas, lots, items, _first_arrivals(specs, moves, fields, never_arrived))


def _first_arrivals(specs: Sequence, moves: Sequence[tuple], fields: Sequence[str], never_arrived: Collection[int]) -> dict[int, Decimal]:
    """The cost of the first move of this posting into an internal location of each lot that
    had never arrived: the first such move of the lot ever, read here rather than from the ledger."""
    if not never_arrived:
        return {}
    at_lot, at_cost = fields.index("to_lot"), fields.index("unit_cost")
    found: dict[int, Decimal] = {}
    rounded = _Rounded()
    for spec, row in zip(specs, moves):
        lot_id = row[at_lot]
        if lot_id in never_arrived and lot_id not in found and not spec.to_location.is_virtual and spec.reverses is None:
            found[lot_id] = rounded[row[at_cost]]
    return found


class _Rounded(dict):
    """Unit costs rounded to the cost quantum, each distinct cost once (a million moves of an
    opening stock have a few)."""

    def __missing__(self, cost: Decimal) -> Decimal:
        value = self[cost] = cost.quantize(COST_QUANTUM, rounding=ROUND_HALF_UP)
        return value


def _changes_of(specs: Sequence, moves: Sequence[tuple], fields: Sequence[str], deltas: dict) -> dict[int, "_Change"]:
    """Each item's change: the layers the posting's incoming moves add (with the place of their
    newest move in the posting: the moves' ids are given in order), those its reversals take
    out, and its on-hand changes."""
    at_time, at_cost, at_lot, at_binds = (fields.index(name) for name in ("created_at", "unit_cost", "to_lot", "binds_lot"))
    rounded = _Rounded()
    kinds = {}
    for spec in specs:
        kinds[spec.from_location.id] = spec.from_location.kind
        kinds[spec.to_location.id] = spec.to_location.kind
    changes: dict[int, _Change] = defaultdict(_Change)
    reversed_moves = []
    for position, (spec, row) in enumerate(zip(specs, moves)):
        if spec.reverses is not None:
            reversed_moves.append(spec.reverses)
        elif _incoming(spec.from_location.kind, spec.to_location.kind):
            key = (row[at_time], rounded[row[at_cost]], row[at_lot] is None or not row[at_binds])
            layer = changes[spec.item.id].added.setdefault(key, [ZERO, position])
            layer[0] += spec.quantity
            layer[1] = position  # the newest: ids are given in the moves' order
    if reversed_moves:
        missing = {m.from_location_id for m in reversed_moves} | {m.to_location_id for m in reversed_moves}
        missing -= set(kinds)
        if missing:
            kinds.update(Location.objects.filter(pk__in=missing).values_list("pk", "kind"))
        for m in reversed_moves:
            if m.reverses_id is None and _incoming(kinds[m.from_location_id], kinds[m.to_location_id]):
                changes[m.item_id].removed.append(
                    _Removed(m.created_at, m.unit_cost, m.to_lot_id is None or not m.binds_lot, m.quantity, m.pk)
                )
    for (item_id, lot_id, _), delta in deltas.items():
        if delta:
            change = changes[item_id]
            change.on_hand += delta
            if lot_id is None:
                change.unnumbered += delta
    return changes


def _changes_write(company: Company, changes: dict[int, "_Change"]) -> None:
    """Add the changes to the items' cost rows, then append or rewrite their layers and recount
    the value of their consumed units."""
    after = _states_add(company, changes)
    last_keys, recount, appended, rewrite = [], [], {}, []
    for item_id, change in sorted(changes.items()):
        new = after[item_id]
        old = new.before(change)
        ours = change.newest()
        # The upsert made the item's newest layer ours only if ours came after every other.
        if not change.removed and (ours is None or (new.last_at, new.last_move) == ours):
            if ours is not None:
                appended[item_id] = _layers_appended(company, item_id, change, old)
            if old.consumed() != new.consumed():
                recount.append(item_id)
        else:
            rewrite.append(item_id)
    if appended:
        rows = [row for item_rows in appended.values() for row in item_rows]
        inserted = Counter(r[0] for r in bulk_insert_rows(CostLayer, LAYER_FIELDS, rows, ignore_conflicts=True, returning=["item"]))
        for item_id, item_rows in appended.items():
            if inserted[item_id] != len(item_rows):
                # Another posting of the same instant made one of these layers (the report groups
                # moves by time): take ours out again and merge them the long way.
                at = item_rows[0][2]
                CostLayer.objects.filter(item_id=item_id, arrived_at=at, last_move__in=[r[5] for r in item_rows]).delete()
                rewrite.append(item_id)
                if item_id in recount:
                    recount.remove(item_id)
    for item_id in sorted(rewrite):
        new = after[item_id]
        last = _layers_rewrite(company, item_id, changes[item_id], new.before(changes[item_id]))
        if last != (new.last_at, new.last_move):
            last_keys.append((item_id, *last))
        recount.append(item_id)
    bulk_update_rows(ItemCost, ["last_at", "last_move"], last_keys)
    consumed_update(f"{quoted_table(ItemCost)}.item_id IN ({', '.join(['%s'] * len(recount))})", recount)


def _states_add(company: Company, changes: dict[int, _Change]) -> dict[int, _State]:
    """Add the changes to the items' cost rows (inserting missing ones), moving their newest
    layer's place on to the posting's when it comes after, in item order (their lock order), and
    return the rows as they are now: one upsert."""
    rows = []
    for item_id, change in sorted(changes.items()):
        quantity, value, unbound_quantity, unbound_value = change.sums()
        values = (change.on_hand, change.unnumbered, quantity, value, unbound_quantity, unbound_value, *(change.newest() or (None, None)))
        rows.append([item_id, company.pk, *sql_params(values), 0, 0])
    chunk = max(1, min(500, (connection.features.max_query_params or 999) // len(rows[0])))
    places = [ItemCost._meta.get_field(name).decimal_places for name in STATE_COLUMNS]
    found: dict[int, _State] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            cursor.execute(_upsert_sql(connection.vendor, len(part)), [v for row in part for v in row])
            for item_id, *values, last_at, last_move in cursor.fetchall():
                decimals = [read_decimal(v, p) for p, v in zip(places, values)]
                found[item_id] = _State(*decimals, read_datetime(last_at), last_move)
    return found


@lru_cache(maxsize=64)
def _upsert_sql(vendor: str, rows: int) -> str:
    """The upsert of ``_states_add`` for ``rows`` rows (built once per size)."""
    table = quoted_table(ItemCost)
    columns = STATE_COLUMNS
    names = ["item_id", "company_id", *columns, "last_at", "last_move", "consumed_value", "unbound_consumed_value"]
    sets = [f"{c} = ROUND({table}.{c} + excluded.{c}, {ItemCost._meta.get_field(c).decimal_places})" for c in columns]
    # The newest layer's place: the posting's newest when it comes after (a tuple comparison).
    newer = (
        f"excluded.last_at IS NOT NULL AND ({table}.last_at IS NULL OR excluded.last_at > {table}.last_at "
        f"OR (excluded.last_at = {table}.last_at AND excluded.last_move > {table}.last_move))"
    )
    sets += [f"{c} = CASE WHEN {newer} THEN excluded.{c} ELSE {table}.{c} END" for c in ("last_at", "last_move")]
    placeholder = "(" + ", ".join(["%s"] * len(names)) + ")"
    return (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES {', '.join([placeholder] * rows)} "
        f"ON CONFLICT (item_id) DO UPDATE SET {', '.join(sets)} "
        f"RETURNING item_id, {', '.join(columns)}, last_at, last_move"
    )


def _layer_row(company_id: int, item_id: int, key: tuple, quantity: Decimal, last_move: int, ends: list[Decimal]) -> tuple:
    """A layer's row, its running sums moved on past it (``ends``: all and unbound, quantity and value)."""
    arrived_at, cost, unbound = key
    ends[0] += quantity
    ends[1] += quantity * cost
    if unbound:
        ends[2] += quantity
        ends[3] += quantity * cost
    return (company_id, item_id, arrived_at, cost, unbound, last_move, quantity, *ends)


def _layers_appended(company: Company, item_id: int, change: _Change, old: _State) -> list[tuple]:
    """The rows of the posting's layers when they come after every layer the item has: their
    running sums go on from the item's totals (one insert for every item)."""
    ends = [old.incoming_quantity, old.incoming_value, old.unbound_quantity, old.unbound_value]
    ordered = sorted(change.added.items(), key=lambda kv: kv[1][1])
    return [_layer_row(company.pk, item_id, key, quantity, last_move, ends) for key, (quantity, last_move) in ordered]


def _layers_rewrite(company: Company, item_id: int, change: _Change, old: _State) -> tuple[datetime | None, int | None]:
    """Layers change before the newest (a reversed receipt, a clock that went back, two postings
    of one instant): read the layers from the earliest change on, apply the changes and rewrite
    their running sums. Returns the newest layer's key ((None, None) when none is left)."""
    earliest = min([key[0] for key in change.added] + [r.arrived_at for r in change.removed])
    stored = list(
        CostLayer.objects.filter(item_id=item_id, arrived_at__gte=earliest)
        .order_by("arrived_at", "last_move")
        .values_list("id", "arrived_at", "unit_cost", "unbound", "last_move", "quantity")
    )
    # The running sums just before the first layer read: the totals less what is read.
    ends = [old.incoming_quantity, old.incoming_value, old.unbound_quantity, old.unbound_value]
    layers: dict[tuple, list] = {}
    for layer_id, arrived_at, cost, unbound, last_move, quantity in stored:
        _layer_row(company.pk, item_id, (arrived_at, cost, unbound), -quantity, last_move, ends)
        layers[(arrived_at, cost, unbound)] = [layer_id, quantity, last_move]
    for key, (quantity, last_move) in change.added.items():
        layer = layers.setdefault(key, [None, ZERO, last_move])
        layer[1] += quantity
        layer[2] = max(layer[2], last_move)
    newest_gone = set()
    for r in change.removed:
        layer = layers.get((r.arrived_at, r.unit_cost, r.unbound))
        if layer is None:  # not in the state: verify_ledger names the item
            continue
        layer[1] -= r.quantity
        if layer[2] == r.move_id:
            newest_gone.add((r.arrived_at, r.unit_cost, r.unbound))
    for key in newest_gone:
        if layers[key][1] > 0:  # part of the layer stays: its newest move is another one now
            layers[key][2] = _newest_incoming(item_id, *key) or layers[key][2]
    rows, gone = [], []
    last = None
    for key, (layer_id, quantity, last_move) in sorted(layers.items(), key=lambda kv: (kv[0][0], kv[1][2])):
        if quantity <= 0:
            if layer_id is not None:
                gone.append(layer_id)
            continue
        rows.append((layer_id, _layer_row(company.pk, item_id, key, quantity, last_move, ends)))
        last = (key[0], last_move)
    if gone:
        CostLayer.objects.filter(pk__in=gone).delete()
    fields = LAYER_FIELDS[5:]  # last_move, quantity and the running sums
    bulk_update_rows(CostLayer, fields, [(layer_id, *row[5:]) for layer_id, row in rows if layer_id is not None])
    bulk_insert_rows(CostLayer, LAYER_FIELDS, [row for layer_id, row in rows if layer_id is None])
    if last is None:
        newest = CostLayer.objects.filter(item_id=item_id).order_by("-end_quantity").values_list("arrived_at", "last_move").first()
        last = tuple(newest) if newest else (None, None)
    return last


def _newest_incoming(item_id: int, arrived_at: datetime, unit_cost: Decimal, unbound: bool) -> int:
    """The newest move still in a layer whose newest move was just reversed."""
    rows = incoming_moves().filter(item_id=item_id, created_at=arrived_at, unit_cost=unit_cost)
    rows = rows.filter(_unbound_q()) if unbound else rows.exclude(_unbound_q())
    return rows.aggregate(newest=Max("pk"))["newest"]


def _unbound_q() -> Q:
    """Incoming moves that carry no bound lot/serial: unnumbered, or numbered only in the record."""
    return Q(to_lot__isnull=True) | Q(binds_lot=False)


def incoming_moves(*, company: Company | None = None) -> QuerySet[StockMove]:
    """Moves that brought stock into the company: from a virtual location (supplier, customer,
    production, adjustment) to an internal one. A move later reversed and the reversal moves
    themselves are left out: they cancel each other in the on-hand quantity too."""
    reversed_ids = StockMove.objects.filter(reverses__isnull=False)
    moves = StockMove.objects.filter(to_location__kind=INTERNAL, reverses__isnull=True)
    if company is not None:
        reversed_ids = reversed_ids.filter(company=company)
        moves = moves.filter(company=company)
    return moves.exclude(from_location__kind=INTERNAL).exclude(pk__in=reversed_ids.values("reverses_id"))
