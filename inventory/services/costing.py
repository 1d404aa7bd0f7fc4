"""The cost state the valuation report reads (``inventory/models/costing.py``), kept by posting.

``costs_post`` runs inside ``moves_post``'s write block, after the stock summaries: it adds the
posting's incoming moves to their items' cost layers (a reversed incoming move leaves them), the
on-hand changes to the items' cost rows, recomputes the value of the units FIFO counts as gone,
and adds the lots' own cost to the summaries' ``lots_value``. ``costs_rebuild`` builds the same
state from the moves (data written around the posting service, such as the bench's);
``cost_state_faults`` (part of ``verify_ledger``) compares the two.

Periodic FIFO ("what is on hand is the newest incoming units") is kept as a queue of layers with
running sums: the value on hand is the layers' total less the value of their oldest
``max(0, incoming − on hand)`` units, which is one index lookup however long the history.
Appending a layer (a receipt) touches no other; an issue moves the pointer, not the layers; a
reversed receipt takes its layer out and rewrites the running sums of the layers after it.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import DecimalField, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..bulk import bulk_add_rows, bulk_insert_rows, bulk_update_rows, filter_in_chunks
from ..models import Balance, Company, CostLayer, Item, ItemCost, Location, LocationKind, Lot, StockMove, StockSummary
from ..quantities import ZERO

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

_FLOAT = Context(prec=15)  # SQLite keeps 15 significant digits, as Django reads its decimals


def _decimal(value, places: int) -> Decimal:
    if value is None:
        return ZERO
    if isinstance(value, float):
        return _FLOAT.create_decimal_from_float(value).quantize(Decimal(1).scaleb(-places))
    return value if isinstance(value, Decimal) else Decimal(value)


def _datetime(value) -> datetime | None:
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    # SQLite keeps UTC without an offset (USE_TZ); PostgreSQL answers with one.
    return timezone.make_aware(parsed, UTC) if timezone.is_naive(parsed) else parsed


def _params(values) -> list:
    """Values as statement parameters: SQLite gets decimals and times as Django writes them."""
    if connection.vendor != "sqlite":
        return list(values)
    adapt = connection.ops.adapt_datetimefield_value
    return [str(v) if isinstance(v, Decimal) else adapt(v) if isinstance(v, datetime) else v for v in values]


def _param(value):
    return _params([value])[0]


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


def costs_post(
    *,
    company: Company,
    specs: Sequence,
    moves: Sequence[tuple],
    fields: Sequence[str],
    move_ids: Sequence[int],
    deltas: dict[tuple[int, int | None, int], Decimal],
    lots: dict,
) -> None:
    """Keep the cost state of the items a posting changed; called by ``moves_post`` in its write
    block, after the stock summaries (the lock order of ``inventory/locks.py``).

    ``specs``, ``moves`` (rows in ``fields`` order) and ``move_ids`` are the posting's moves, in
    order; ``deltas`` its balance changes keyed (item, lot or None, internal location); ``lots``
    the locked lots' state. A transfer changes no item's cost, only where its lots' value lies:
    unnumbered stock moved between locations costs no query here.
    """
    at = {name: fields.index(name) for name in ("created_at", "unit_cost", "to_lot", "binds_lot")}
    kinds = {}
    for spec in specs:
        kinds[spec.from_location.pk] = spec.from_location.kind
        kinds[spec.to_location.pk] = spec.to_location.kind
    changes: dict[int, _Change] = defaultdict(_Change)
    reversed_moves = []
    for spec, row, move_id in zip(specs, moves, move_ids):
        if spec.reverses is not None:
            reversed_moves.append(spec.reverses)
        elif _incoming(spec.from_location.kind, spec.to_location.kind):
            cost = row[at["unit_cost"]].quantize(COST_QUANTUM, rounding=ROUND_HALF_UP)
            key = (row[at["created_at"]], cost, row[at["to_lot"]] is None or not row[at["binds_lot"]])
            layer = changes[spec.item.pk].added.setdefault(key, [ZERO, move_id])
            layer[0] += spec.quantity
            layer[1] = max(layer[1], move_id)
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
    items = {spec.item.pk: spec.item for spec in specs}
    _lots_value_add(company, deltas, lots, items)
    changes = {item_id: c for item_id, c in changes.items() if c.on_hand or c.unnumbered or c.added or c.removed}
    if not changes:
        return
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
    _consumed_update(f"{_q(ItemCost)}.item_id IN ({', '.join(['%s'] * len(recount))})", recount)


def _q(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _states_add(company: Company, changes: dict[int, _Change]) -> dict[int, _State]:
    """Add the changes to the items' cost rows (inserting missing ones), moving their newest
    layer's place on to the posting's when it comes after, in item order (their lock order), and
    return the rows as they are now: one upsert."""
    rows = []
    for item_id, change in sorted(changes.items()):
        quantity, value, unbound_quantity, unbound_value = change.sums()
        values = (change.on_hand, change.unnumbered, quantity, value, unbound_quantity, unbound_value, *(change.newest() or (None, None)))
        rows.append([item_id, company.pk, *_params(values), 0, 0])
    chunk = max(1, min(500, (connection.features.max_query_params or 999) // len(rows[0])))
    places = [ItemCost._meta.get_field(name).decimal_places for name in STATE_COLUMNS]
    found: dict[int, _State] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            cursor.execute(_upsert_sql(connection.vendor, len(part)), [v for row in part for v in row])
            for item_id, *values, last_at, last_move in cursor.fetchall():
                decimals = [_decimal(v, p) for p, v in zip(places, values)]
                found[item_id] = _State(*decimals, _datetime(last_at), last_move)
    return found


@lru_cache(maxsize=64)
def _upsert_sql(vendor: str, rows: int) -> str:
    """The upsert of ``_states_add`` for ``rows`` rows (built once per size)."""
    table = _q(ItemCost)
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


def _consumed_expressions() -> tuple[str, str]:
    """SQL giving a cost row the value of its oldest consumed units, all and unbound: the first
    layer whose running sum reaches them, less what of it lies beyond."""
    cost, layer = _q(ItemCost), _q(CostLayer)

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


def _consumed_sql() -> str:
    consumed, unbound_consumed = _consumed_expressions()
    return f"consumed_value = {consumed}, unbound_consumed_value = {unbound_consumed}"


def _consumed_update(where: str, params: Sequence) -> None:
    if not params:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_q(ItemCost)} SET {_consumed_sql()} WHERE {where}", list(params))


# Specific cost of numbered stock -------------------------------------------------------------


def _lots_value_add(company: Company, deltas, lots, items: dict[int, Item]) -> None:
    """Add each numbered balance change × its lot's cost to its (item, location) summary."""
    numbered = [(key, delta) for key, delta in deltas.items() if key[1] is not None and delta]
    if not numbered:
        return
    uncosted = {key[1] for key, _ in numbered if lots[key[1]].unit_cost is None}
    first = lot_first_costs(uncosted) if uncosted else {}
    values: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for (item_id, lot_id, location_id), delta in numbered:
        cost = lots[lot_id].unit_cost
        if cost is None:
            cost = first.get(lot_id, items[item_id].unit_cost)
        values[(item_id, location_id)] += delta * cost
    rows = [(item_id, location_id, company.pk, 0, 0, value) for (item_id, location_id), value in sorted(values.items()) if value]
    # These summaries were locked by the posting's own upsert just before, but for a place whose
    # quantity and lots in stock the posting left as they were: only a number assignment into a
    # lot already there does that, and it touches that one place, so the order holds.
    bulk_add_rows(StockSummary, keys=["item", "location"], fixed=["company", "quantity", "lots"], added=["lots_value"], rows=rows)


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


# Building the state from the moves -----------------------------------------------------------


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


def _layers_sql(company_id: int | None) -> tuple[str, list]:
    """SELECT of the layers a rebuild makes of the incoming moves (of one company, or all), in
    ``LAYER_FIELDS`` order: grouped by (item, time, unit cost, bound or not), each with the
    running sums of the item's layers up to it."""
    move, location = _q(StockMove), _q(Location)
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
                AND m.id NOT IN (SELECT r.reverses_id FROM {move} r WHERE {reversals}r.reverses_id IS NOT NULL)
            GROUP BY m.company_id, m.item_id, m.created_at, m.unit_cost, {unbound}
        ) g
        WINDOW w AS ({window})"""
    return sql, [*params, INTERNAL, INTERNAL, *params]


def rebuild_statements(company_id: int) -> list[tuple[str, list]]:
    """The SQL of ``costs_rebuild``, in order, with its parameters."""
    layer, cost, move, location = _q(CostLayer), _q(ItemCost), _q(StockMove), _q(Location)
    balance, summary, lot, item = _q(Balance), _q(StockSummary), _q(Lot), _q(Item)
    c = [company_id]
    select, select_params = _layers_sql(company_id)
    layers = f"INSERT INTO {layer} ({', '.join(_column(CostLayer, name) for name in LAYER_FIELDS)}) {select}"
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
        (f"UPDATE {cost} SET {_consumed_sql()} WHERE company_id = %s", c),
    ]


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


# Checking the state against the moves --------------------------------------------------------


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
    layer = _q(CostLayer)
    select, params = _layers_sql(None)
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
        cursor.execute(sql, [*params, *[_param(tolerance)] * 5])
        return cursor.fetchall()


def _cost_rows() -> list[tuple]:
    """Every cost row as kept, then as its layers make it: the newest layer's running sums and
    key, and the consumed values the SQL of the posting service gives for its on-hand."""
    cost, layer = _q(ItemCost), _q(CostLayer)

    def newest(column: str) -> str:
        return f"(SELECT l.{column} FROM {layer} l WHERE l.item_id = {cost}.item_id ORDER BY l.end_quantity DESC LIMIT 1)"

    consumed, unbound_consumed = _consumed_expressions()
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
                    row.append(_decimal(value, place))
                elif isinstance(value, (str, datetime)):
                    row.append(_datetime(value))
                else:
                    row.append(value)
            rows.append((item_id, *row))
    return rows
