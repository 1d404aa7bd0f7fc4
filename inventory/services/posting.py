"""The one posting service every stock change goes through.

``moves_post`` takes intended moves, locks what they touch (see ``locks``), checks stock and
serial rules after the lock, then writes the moves, the balances and each serial's last known
state in one transaction. Documents, work orders, sales and imports are thin callers.
"""

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .. import locks
from ..bulk import bulk_add_rows, bulk_insert_later, bulk_insert_rows, bulk_update_later, bulk_update_rows
from ..exceptions import InsufficientStock, InventoryError, Problem, SerialConflict, Shortage
from ..locks import BalanceRow, LotState
from ..models import (
    Balance,
    Company,
    Document,
    Location,
    Lot,
    StockMove,
    StockSummary,
)
from ..models.catalog import MAX_QUANTITY
from ..quantities import ONE, ZERO
from .base import Actor, acting_user
from .costing import cost_changes, costs_post, summary_values
from .moves import (
    MOVE_FIELDS,
    MoveSpec,
    arrival_time,
)
from .posting_rules import lots_check, lots_validate, overflow, reserved_by_others, serials_elsewhere, specs_validate
from .summaries import expiry_changes, expiry_summaries_add, summary_changes


def moves_write(
    *,
    company: Company,
    specs: Sequence[MoveSpec],
    reason: int,
    user: Actor = None,
    document: Document | None = None,
    new_lot_ids: set[int] | frozenset[int] = frozenset(),
    on: date | None = None,
    awaiting: dict[tuple[int, int], Decimal] | None = None,
) -> list[int]:
    """Post ``specs`` as one atomic change of stock and return the new moves' ids.

    Raises a domain error, and writes nothing, if any rule fails: shortages, stock promised to
    another draft, a serial in two places, lots on hold or expired going to a customer or production.
    ``new_lot_ids`` are lots the caller created in this transaction already in the state these
    moves give them (so 10,000 new serials are written once, not inserted and then updated).
    ``on`` is the business date (the document's): stock arriving counts as arrived then.
    ``awaiting``: per (item, internal location), units that left without their numbers (added) or
    whose numbers these moves now give (taken off): held out of the stock there, which posting
    never lets fall below what awaits its numbers.

    ``moves_write`` runs in the caller's transaction and makes no savepoint (two statements fewer
    for a document posted inside its own, e.g. a till's checkout); ``moves_post`` is the same in
    a transaction (or savepoint) of its own.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("moves_write runs inside the caller's transaction: call moves_post")
    if not specs and not awaiting:
        return []
    specs_validate(company, specs)
    # 1. Lots first, in primary-key order; their fresh state is what the checks read.
    plan = _plan(company, specs, _lots_lock(specs), reason, user, document, new_lot_ids, on, awaiting or {})
    return _plan_write(company, plan)


moves_post = transaction.atomic(moves_write)


def moves_write_batches(
    *,
    company: Company,
    batches: Iterable[Sequence[MoveSpec]],
    reason: int,
    user: Actor = None,
    document: Document | None = None,
    on: date | None = None,
) -> int:
    """Post ``batches`` of moves in the caller's transaction, each as ``moves_write`` posts it
    (an import's million moves): the number of moves written.

    Python and PostgreSQL work at once: while one batch is written (the connection waiting on
    the database), the next is checked and its rows built in a second thread. Its lots are
    locked before the batch before it is written, which is sound when the two batches share
    no lot (their writes change no row the other reads). Otherwise, or when the next batch's
    checks need more of the database (stock already placed: its balances are read under lock),
    the next batch is planned after the one before it is written, as ``moves_write`` would.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("moves_write_batches runs inside the caller's transaction")
    written = 0
    pending: _Plan | None = None
    batches = iter(batches)
    with ThreadPoolExecutor(max_workers=1, initializer=_planner_offline) as planner:
        batch = _batch_next(company, batches)
        while batch is not None:
            specs, lot_ids = batch
            if pending is not None and not lot_ids.isdisjoint(pending.lots):
                written += len(_plan_write(company, pending))
                pending = None
            args = (company, specs, _lots_lock(specs), reason, user, document, frozenset(), on, {})
            if pending is None:
                pending, batch = _plan(*args), _batch_next(company, batches)
                continue
            planned = planner.submit(_plan_offline, args, company, batches)
            written += len(_plan_write(company, pending))
            pending, batch = planned.result()
            pending = pending or _plan(*args)
        if pending is not None:
            written += len(_plan_write(company, pending))
    return written


def _batch_next(company: Company, batches: Iterator[Sequence[MoveSpec]]) -> tuple[Sequence[MoveSpec], set[int]] | None:
    """The next batch of moves that is not empty, checked as ``moves_write`` checks them before
    it locks anything, and its lots; None after the last."""
    for specs in batches:
        if specs:
            specs_validate(company, specs)
            return specs, {spec.lot_id for spec in specs if spec.lot_id is not None}
    return None


class _NeedsDatabase(Exception):
    """A plan made in the planning thread wanted to read the database."""


def _planner_offline() -> None:
    """The planning thread's own connection is never opened: it would not be in the caller's
    transaction. Any query there stops the plan (``_NeedsDatabase``), which the caller's thread
    then makes again: the connection says it is in a transaction, so that a locking read gets as
    far as opening it, and opening it refuses."""

    def refuse() -> None:
        raise _NeedsDatabase

    connection.ensure_connection = refuse
    connection.in_atomic_block = True


def _plan_offline(args: tuple, company: Company, batches: Iterator[Sequence[MoveSpec]]) -> tuple["_Plan | None", object]:
    """In the planning thread: a batch's plan (None if it needs the database) and the batch after."""
    try:
        plan = _plan(*args)
    except _NeedsDatabase:
        plan = None
    return plan, _batch_next(company, batches)


@dataclass
class _Plan:
    """A posting checked and built, ready to write: ``_plan`` reads (under lock) and checks,
    ``_plan_write`` writes. Every read comes before anything of it is changed (the lots'
    state), so a plan stopped by ``_NeedsDatabase`` can be made again from the start."""

    specs: Sequence[MoveSpec]
    lots: dict[int, LotState]
    deltas: dict
    awaiting: dict[tuple[int, int], Decimal]
    changes: "_BalanceChanges"
    rows: list[tuple]
    loose: list[tuple]  # new balances of stock without numbers
    summaries: list[tuple]
    expiry: dict
    costs: dict
    moves_insert: Callable[[], list[int]]
    numbered_insert: Callable[[], list]
    lots_update: Callable[[], None]


def _plan(
    company: Company,
    specs: Sequence[MoveSpec],
    lot_rows: list[tuple],
    reason: int,
    user: Actor,
    document: Document | None,
    new_lot_ids: Collection[int],
    on: date | None,
    awaiting: dict[tuple[int, int], Decimal],
) -> _Plan:
    """Check ``specs`` against their locked lots (``lot_rows``) and the balances (locked here),
    and build the rows to write; raises a domain error if any rule fails."""
    lots = locks.lot_states(lot_rows)
    now = timezone.now()
    arrived = arrival_time(on, now)
    binds_by_item = _lots_checked(specs, lots, new_lot_ids)
    # Lots that have never arrived anywhere (born in this posting, or numbers imported before
    # their stock) have no balance yet: none is looked for (a million at an opening stock).
    never_arrived = {lot.id for lot in lots.values() if lot.received_at is None}  # before _moves_build marks them
    unplaced = never_arrived.union(new_lot_ids)
    # 2. Balances: lock the existing rows in pk order.
    deltas, key_spec = _deltas(specs, binds_by_item)
    balances = _balances_lock(deltas, unplaced)
    # 3. Checks after the lock: nothing negative, nothing promised to another draft, serials in one place.
    changes = _balance_changes(company, deltas, key_spec, balances, lots, document, binds_by_item, arrived)
    conflicts = changes.conflicts + serials_elsewhere(balances, deltas, lots, unplaced)
    if conflicts:
        raise SerialConflict(conflicts)
    # 4. The rows: the moves, each serial's last known state, what is kept beside them.
    rows, lot_states = _moves_build(company, specs, lots, reason, user, document, now, new_lot_ids, binds_by_item, arrived)
    values = summary_values(specs=specs, moves=rows, fields=MOVE_FIELDS, deltas=deltas, lots=lots, never_arrived=never_arrived)
    # New balances in sorted key order (their lock order); those of lots are covered by the lot
    # locks, those without a number may meet another posting's (``_loose_insert``).
    changes.inserts.sort(key=lambda r: (r[1], r[2] or 0, r[3]))
    numbered = [r for r in changes.inserts if r[2] is not None]
    return _Plan(
        specs=specs,
        lots=lots,
        deltas=deltas,
        awaiting=awaiting,
        changes=changes,
        rows=rows,
        loose=[r for r in changes.inserts if r[2] is None],
        summaries=summary_changes(company, deltas, balances, awaiting, values),
        expiry=expiry_changes(deltas, lots),
        costs=cost_changes(specs=specs, moves=rows, fields=MOVE_FIELDS, deltas=deltas),
        # The big statements built here, where ``moves_write_batches`` builds them beside a write.
        moves_insert=bulk_insert_later(StockMove, MOVE_FIELDS, rows, returning=True),
        numbered_insert=bulk_insert_later(Balance, BALANCE_FIELDS, numbered),
        lots_update=bulk_update_later(Lot, ["in_stock", "last_location", "received_at"], lot_states),
    )


def _plan_write(company: Company, plan: _Plan) -> list[int]:
    """Write a plan: the moves, the balances, each serial's last known state, what is kept
    beside them; the new moves' ids."""
    changes, deltas = plan.changes, plan.deltas
    try:
        # No savepoint of its own: on an error this function's transaction is rolled back whole.
        with transaction.atomic(savepoint=False):
            ids = plan.moves_insert()
            # Stock leaves before it arrives: a serial moving between locations must be out of
            # the first before the database sees it in the second (one place at a time).
            bulk_update_rows(Balance, ["quantity", "first_in_at"], changes.decreases)
            plan.numbered_insert()
            updates = changes.updates + _loose_insert(plan.loose, deltas)
            bulk_update_rows(Balance, ["quantity", "first_in_at"], updates)
            plan.lots_update()
            # Last, so the rows every posting of an item at a place shares are held the shortest.
            after = bulk_add_rows(
                StockSummary,
                keys=["item", "location"],
                fixed=["company"],
                added=["quantity", "lots", "awaiting_numbers", "lots_value"],
                rows=plan.summaries,
                returning=["quantity", "awaiting_numbers"],
            )
            _awaiting_check(deltas, plan.awaiting, after, plan.specs)
            expiry_summaries_add(company_id=company.pk, changes=plan.expiry)
            costs_post(company=company, changes=plan.costs, move_ids=ids)
    except IntegrityError as exc:  # a rule the checks above should have caught; never shown raw
        raise SerialConflict("the stock changed while posting; nothing was posted, please try again") from exc
    return ids


Key = tuple[int, int | None, int]  # (item, lot or None, location) of a balance


def _awaiting_check(
    deltas: dict[Key, Decimal],
    awaiting: dict[tuple[int, int], Decimal],
    after: list[tuple[int, int, Decimal, Decimal]],
    specs: Sequence[MoveSpec],
) -> None:
    """Stock taken, or held for numbers to follow, must leave at least what awaits its numbers at
    each place: read from the summaries as this posting has just written them (``after``: item,
    location, quantity, awaiting numbers; a place this posting leaves unchanged stays as sound as
    it was). Only a shortage costs a query, for the names in its message."""
    places = {(item_id, location_id) for (item_id, _, location_id), delta in deltas.items() if delta < 0}
    places |= {key for key, quantity in awaiting.items() if quantity > 0}
    short = {(i, loc): (quantity, held) for i, loc, quantity, held in after if (i, loc) in places and held > 0 and quantity < held}
    if not short:
        return
    names = {
        (i, loc): (sku, code)
        for i, loc, sku, code in StockSummary.objects.filter(
            item_id__in={p[0] for p in short}, location_id__in={p[1] for p in short}
        ).values_list("item_id", "location_id", "item__sku", "location__code")
    }
    shortages = []
    for (item_id, location_id), (quantity, held) in sorted(short.items()):
        sku, code = names[(item_id, location_id)]
        taken = -sum((d for (i, _, loc), d in deltas.items() if i == item_id and loc == location_id and d < 0), ZERO)
        needed = taken + max(awaiting.get((item_id, location_id), ZERO), ZERO)
        line = next((s.line_position for s in specs if s.item.id == item_id), None)
        # What there was to take: the stock before this posting, less what already awaited numbers.
        available = quantity + needed - held
        # What awaited its numbers before this posting (``held`` counts this posting's own too).
        earlier = held - awaiting.get((item_id, location_id), ZERO)
        note = f"{format(earlier.normalize(), 'f')} of it sold without numbers still to be assigned" if earlier > 0 else ""
        shortages.append(Shortage(sku, None, code, needed, max(available, ZERO), line, note))
    if shortages:
        raise InsufficientStock(shortages)


def _lots_lock(specs: Sequence[MoveSpec]) -> list[tuple]:
    """The moves' lots, locked in primary-key order: their state's rows (``_plan`` reads them)."""
    return locks.lots_lock_rows(spec.lot_id for spec in specs if spec.lot_id is not None)


def _lots_checked(specs: Sequence[MoveSpec], lots: dict[int, LotState], new_lot_ids: Collection[int]) -> dict[int, bool]:
    """The moves checked against their lots; per item whether its balances are per lot."""
    binds_by_item: dict[int, bool] = {}
    for spec in specs:  # a posting of a million moves names a few items
        if spec.item.id not in binds_by_item:
            binds_by_item[spec.item.id] = spec.item.binds_lots
    if any(spec.reverses is not None for spec in specs):
        # A reversal keys its balances as the move it undoes did, whatever the item says today.
        binds_by_item.update({spec.item.pk: spec.reverses.binds_lot for spec in specs if spec.reverses is not None})
    lots_validate(specs, lots)
    lots_check(specs, lots, timezone.localdate(), new_lot_ids, binds_by_item)
    return binds_by_item


def _deltas(specs: Sequence[MoveSpec], binds_by_item: dict[int, bool]) -> tuple[dict[Key, Decimal], dict[Key, tuple[MoveSpec, Location]]]:
    """What the moves add to each balance, and the first move (and its location) of each."""
    deltas: dict[Key, Decimal] = {}
    key_spec: dict[Key, tuple[MoveSpec, Location]] = {}
    for spec in specs:  # a million of them at an opening: written out, without a loop per location
        item_id = spec.item.id
        binds = binds_by_item[item_id]
        location = spec.from_location
        if not location.is_virtual:
            key = (item_id, spec.from_lot_id if binds else None, location.id)
            deltas[key] = deltas.get(key, ZERO) - spec.quantity
            if key not in key_spec:
                key_spec[key] = (spec, location)
        location = spec.to_location
        if not location.is_virtual:
            key = (item_id, spec.to_lot_id if binds else None, location.id)
            deltas[key] = deltas.get(key, ZERO) + spec.quantity
            if key not in key_spec:
                key_spec[key] = (spec, location)
    return deltas, key_spec


@dataclass
class _BalanceChanges:
    decreases: list[tuple] = field(default_factory=list)  # (id, quantity, first_in_at): written first
    updates: list[tuple] = field(default_factory=list)
    inserts: list[tuple] = field(default_factory=list)  # BALANCE_FIELDS values
    conflicts: list[Problem] = field(default_factory=list)  # a serial twice at a place


def _balance_changes(
    company: Company,
    deltas: dict[tuple[int, int | None, int], Decimal],
    key_spec: dict,
    balances: dict[tuple[int, int | None, int], BalanceRow],
    lots: dict[int, LotState],
    document: Document | None,
    binds_by_item: dict[int, bool],
    arrived: datetime,
) -> _BalanceChanges:
    """Each balance's new quantity, checked under the lock: a shortage (counting what other drafts
    reserve) or an overflow is refused here, all of them at once."""
    reserved = reserved_by_others(deltas, document, binds_by_item)
    changes, shortages, overflows = _BalanceChanges(), [], []
    company_id = company.pk
    for key, delta in deltas.items():
        balance = balances.get(key)
        spec, location = key_spec[key]
        lot = lots.get(key[1]) if key[1] else None
        quantity = balance.quantity if balance is not None else ZERO
        new_quantity = quantity + delta
        if delta < 0:
            available = quantity - reserved.get((key[1], key[2]) if key[1] else key, ZERO)
            if available + delta < 0:
                number = lot.number if lot else None
                shortages.append(Shortage(spec.item.sku, number, location.code, -delta, max(available, ZERO), spec.line_position))
                continue
        if delta > 0 and new_quantity > MAX_QUANTITY:
            overflows.append(overflow(spec, lot, location, new_quantity))
            continue
        is_serial = lot is not None and lot.is_serial
        if is_serial and new_quantity > ONE:
            changes.conflicts.append(
                Problem(f"serial {lot.number} would be at {location.code} twice", line=spec.line_position, number=lot.number)
            )
        if balance is None:
            if delta > 0:
                number, expiry = (lot.number, lot.expiry_date) if lot else (None, None)
                changes.inserts.append((company_id, *key, new_quantity, is_serial, arrived, number, expiry))
            continue
        first_in = balance.first_in_at if quantity > 0 or new_quantity <= 0 else arrived
        if new_quantity != quantity or first_in != balance.first_in_at:
            (changes.decreases if new_quantity < quantity else changes.updates).append((balance.id, new_quantity, first_in))
    if shortages:
        raise InsufficientStock(shortages)
    if overflows:
        raise InventoryError(overflows)
    return changes


BALANCE_FIELDS = ["company", "item", "lot", "location", "quantity", "is_serial", "first_in_at", "lot_number", "expiry_date"]


def _loose_insert(loose: list[tuple], deltas: dict[tuple[int, int | None, int], Decimal]) -> list[tuple]:
    """Insert the new balance rows of stock without numbers (sorted) with their final quantity.

    A row another transaction created meanwhile is locked and returned as an update instead.
    """
    if not loose:
        return []
    created = set(bulk_insert_rows(Balance, BALANCE_FIELDS, loose, ignore_conflicts=True, returning=["item", "lot", "location"]))
    keys = {(r[1], r[2], r[3]) for r in loose} - created
    if not keys:
        return []
    found = {
        (b.item_id, b.lot_id, b.location_id): b
        for b in locks.balances_lock(item_ids={k[0] for k in keys}, lot_ids=set(), location_ids={k[2] for k in keys}, unnumbered=True)
    }
    if any(k not in found for k in keys):  # the other posting's row was rolled back since
        raise SerialConflict("the stock changed while posting; nothing was posted, please try again")
    return [(b.id, b.quantity + deltas[key], b.first_in_at or timezone.now()) for key, b in found.items() if key in keys]


def _balances_lock(deltas: dict[tuple[int, int | None, int], Decimal], unplaced: set[int]) -> dict[tuple, BalanceRow]:
    """The balances the moves change, locked; none is looked for of the ``unplaced`` lots."""
    item_ids, lot_ids, location_ids, unnumbered = set(), set(), set(), False
    for item_id, lot_id, location_id in deltas:
        if lot_id is None:
            unnumbered = True
        elif lot_id in unplaced:
            continue
        else:
            lot_ids.add(lot_id)
        item_ids.add(item_id)
        location_ids.add(location_id)
    rows = locks.balances_lock(item_ids=item_ids, lot_ids=lot_ids, location_ids=location_ids, unnumbered=unnumbered)
    return {(b.item_id, b.lot_id, b.location_id): b for b in rows}


def _moves_build(
    company: Company,
    specs: Sequence[MoveSpec],
    lots: dict[int, LotState],
    reason: str,
    user: Actor,
    document: Document | None,
    now: datetime,
    new_lot_ids: Collection[int],
    binds_by_item: dict[int, bool],
    arrived: datetime,
) -> tuple[list[tuple], list[tuple]]:
    rows, states = [], {}
    found = {lot.id: (lot.in_stock, lot.last_location_id, lot.received_at) for lot in lots.values()}
    user_id = acting_user(user).pk if acting_user(user) else None
    document_id = document.pk if document is not None else None
    company_id = company.pk
    for spec in specs:
        lot = lots.get(spec.lot_id) if spec.lot_id is not None else None
        cost = spec.unit_cost
        if cost is None:
            cost = lot.unit_cost if lot is not None and lot.unit_cost is not None else spec.item.unit_cost
        prev_in_stock = prev_location = None
        if lot is not None:
            # None: the lot was born with this move; its reversal leaves it as never received.
            prev_in_stock, prev_location = (None, None) if lot.id in new_lot_ids else (lot.in_stock, lot.last_location_id)
            if lot.is_serial:
                if spec.reverses is not None:
                    lot.in_stock = bool(spec.reverses.lot_prev_in_stock)
                    lot.last_location_id = spec.reverses.lot_prev_location_id
                elif not spec.to_location.is_virtual:
                    lot.in_stock, lot.last_location_id = True, spec.to_location.id
                elif not spec.from_location.is_virtual:
                    lot.in_stock, lot.last_location_id = False, spec.from_location.id
            if lot.received_at is None and not spec.to_location.is_virtual and spec.reverses is None:
                lot.received_at = arrived
            states[lot.id] = lot
        rows.append(
            (
                company_id,
                spec.item.id,
                spec.quantity,
                spec.from_location.id,
                spec.from_lot_id,
                spec.to_location.id,
                spec.to_lot_id,
                binds_by_item[spec.item.id],
                cost,
                document_id,
                spec.line_id,
                reason,
                spec.reverses.pk if spec.reverses is not None else None,
                prev_in_stock,
                prev_location,
                now,
                user_id,
                spec.unknown_origin,
            )
        )
    lot_rows = [
        (lot.id, lot.in_stock, lot.last_location_id, lot.received_at)
        for lot in states.values()
        if found[lot.id] != (lot.in_stock, lot.last_location_id, lot.received_at)
    ]
    return rows, lot_rows
