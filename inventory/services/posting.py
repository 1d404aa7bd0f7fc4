"""The one posting service every stock change goes through.

``moves_post`` takes intended moves, locks what they touch (see ``locks``), checks stock and
serial rules after the lock, then writes the moves, the balances and each serial's last known
state in one transaction. Documents, work orders, sales and imports are thin callers.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from .. import locks
from ..bulk import bulk_update_rows
from ..exceptions import InsufficientStock, InventoryError, NotIssuable, Problem, SerialConflict, Shortage
from ..models import (
    Allocation,
    Balance,
    Company,
    Document,
    DocumentLine,
    Item,
    Location,
    LocationKind,
    Lot,
    LotKind,
    LotStatus,
    StockMove,
    TrackingScope,
)

ZERO = Decimal("0")
ONE = Decimal("1")
ISSUE_DESTINATIONS = {LocationKind.CUSTOMER, LocationKind.PRODUCTION}

# Seed 003: which partner classes each tracking scope records numbers for.
SCOPE_CLASSES = {
    TrackingScope.NOT_SERIALISED: frozenset(),
    TrackingScope.FULL: frozenset({"creditor", "internal", "debtor"}),
    TrackingScope.CREDITOR_INTERNAL: frozenset({"creditor", "internal"}),
    TrackingScope.DEBTOR: frozenset({"debtor"}),
    TrackingScope.CREDITOR_DEBTOR: frozenset({"creditor", "debtor"}),
    TrackingScope.CREDITOR: frozenset({"creditor"}),
    TrackingScope.INTERNAL_DEBTOR: frozenset({"internal", "debtor"}),
    TrackingScope.INTERNAL: frozenset({"internal"}),
}


def partner_class(from_location: Location, to_location: Location) -> str:
    """creditor (a supplier takes part), debtor (a customer does) or internal."""
    kinds = {from_location.kind, to_location.kind}
    if LocationKind.SUPPLIER in kinds:
        return "creditor"
    if LocationKind.CUSTOMER in kinds:
        return "debtor"
    return "internal"


def number_required(item: Item, from_location: Location, to_location: Location) -> bool:
    """Does this move of ``item`` need a lot/serial number (its tracking scope, seed 003)?"""
    return partner_class(from_location, to_location) in SCOPE_CLASSES[item.effective_scope]


@dataclass
class MoveSpec:
    item: Item
    quantity: Decimal
    from_location: Location
    to_location: Location
    from_lot: Lot | None = None
    to_lot: Lot | None = None
    unit_cost: Decimal | None = None  # None: the lot's receipt cost, else the item's cost
    line: DocumentLine | None = None
    reverses: StockMove | None = None

    @property
    def lot(self) -> Lot | None:
        return self.to_lot or self.from_lot


def _line_no(spec: MoveSpec) -> int | None:
    return spec.line.position if spec.line is not None else None


def _validate(company: Company, specs: Sequence[MoveSpec]) -> None:
    problems: list[Problem] = []
    for spec in specs:
        line, item = _line_no(spec), spec.item
        if spec.quantity is None or spec.quantity <= 0:
            problems.append(Problem(f"{item.sku}: quantity must be more than zero", line=line))
            continue
        if not item.is_stocked:
            problems.append(Problem(f"{item.sku} is a lookup item and holds no stock", line=line))
        if item.company_id != company.pk or spec.from_location.company_id != company.pk or spec.to_location.company_id != company.pk:
            problems.append(Problem(f"{item.sku}: item and locations must belong to {company}", line=line))
        for lot in (spec.from_lot, spec.to_lot):
            if lot is not None and lot.item_id != item.pk:
                problems.append(Problem(f"{lot.number} is a number of another item, not {item.sku}", line=line, number=lot.number))
        # Same location only to number unnumbered stock (or to undo that, in a reversal).
        if spec.from_location.pk == spec.to_location.pk and (spec.from_lot is None) == (spec.to_lot is None):
            problems.append(Problem(f"{item.sku}: from and to are the same location", line=line))
        if spec.from_lot is not None and spec.to_lot is not None and spec.from_lot.pk != spec.to_lot.pk:
            problems.append(Problem(f"{item.sku}: a move cannot change one number into another", line=line))
        lot = spec.lot
        if lot is not None and lot.kind == LotKind.SERIAL and spec.quantity != ONE:
            problems.append(
                Problem(f"serial {lot.number} is one unit; the quantity must be 1, not {spec.quantity}", line=line, number=lot.number)
            )
    if problems:
        raise InventoryError(problems)


def _key_lot(spec: MoveSpec, lot: Lot | None) -> int | None:
    return lot.pk if lot is not None and spec.item.binds_lots else None


@transaction.atomic
def moves_post(
    *,
    company: Company,
    specs: Sequence[MoveSpec],
    reason: int,
    user=None,
    document: Document | None = None,
) -> list[StockMove]:
    """Post ``specs`` as one atomic change of stock; raise a domain error and write nothing if any rule fails."""
    if not specs:
        return []
    _validate(company, specs)
    now = timezone.now()
    today = timezone.localdate()

    # 1. Lots first, in primary-key order; their fresh state is what the checks read.
    locked = locks.lots_lock(spec.lot.pk for spec in specs if spec.lot is not None)
    for spec in specs:
        if spec.from_lot is not None:
            spec.from_lot = locked[spec.from_lot.pk]
        if spec.to_lot is not None:
            spec.to_lot = locked[spec.to_lot.pk]
    _check_lots(specs, today)

    # 2. Balances: create the missing destination rows (sorted), then lock all in pk order.
    deltas: dict[tuple[int, int | None, int], Decimal] = defaultdict(lambda: ZERO)
    key_info: dict[tuple[int, int | None, int], tuple[MoveSpec, Lot | None, Location]] = {}
    for spec in specs:
        if not spec.from_location.is_virtual:
            key = (spec.item.pk, _key_lot(spec, spec.from_lot), spec.from_location.pk)
            deltas[key] -= spec.quantity
            key_info.setdefault(key, (spec, spec.from_lot if key[1] else None, spec.from_location))
        if not spec.to_location.is_virtual:
            key = (spec.item.pk, _key_lot(spec, spec.to_lot), spec.to_location.pk)
            deltas[key] += spec.quantity
            key_info.setdefault(key, (spec, spec.to_lot if key[1] else None, spec.to_location))
    balances = _balances_locked(company, deltas, key_info)

    # 3. Checks after the lock: nothing negative, nothing promised to another draft, serials in one place.
    reserved = _reserved_by_others(deltas, document)
    shortages, conflicts = [], []
    updates = []
    for key, delta in deltas.items():
        balance = balances[key]
        spec, lot, location = key_info[key]
        new_quantity = balance.quantity + delta
        if delta < 0:
            available = balance.quantity - reserved.get((key[1], key[2]), ZERO)
            if available + delta < 0:
                shortages.append(
                    Shortage(spec.item.sku, lot.number if lot else None, location.code, -delta, max(available, ZERO), _line_no(spec))
                )
                continue
        if balance.is_serial and new_quantity > ONE:
            conflicts.append(Problem(f"serial {lot.number} would be at {location.code} twice", line=_line_no(spec), number=lot.number))
        first_in = balance.first_in_at if balance.quantity > 0 or new_quantity <= 0 else now
        if new_quantity != balance.quantity or first_in != balance.first_in_at:
            updates.append((balance.pk, new_quantity, first_in))
    if shortages:
        raise InsufficientStock(shortages)
    conflicts += _serials_elsewhere(specs, balances, deltas)
    if conflicts:
        raise SerialConflict(conflicts)

    # 4. Write: the moves, the balances, each serial's last known state.
    moves, lot_states = _moves_build(company, specs, reason, user, document, now)
    try:
        with transaction.atomic():
            StockMove.objects.bulk_create(moves)
            bulk_update_rows(Balance, ["quantity", "first_in_at"], updates)
            bulk_update_rows(Lot, ["in_stock", "last_location", "received_at"], lot_states)
    except IntegrityError as exc:  # a rule the checks above should have caught; never shown raw
        raise SerialConflict(f"the stock changed while posting; nothing was posted, please try again ({exc.__class__.__name__})") from exc
    return moves


def _check_lots(specs: Sequence[MoveSpec], today) -> None:
    blocked: list[Problem] = []
    problems: list[Problem] = []
    for spec in specs:
        lot = spec.lot
        if lot is None:
            continue
        line = _line_no(spec)
        if spec.reverses is None and spec.to_location.kind in ISSUE_DESTINATIONS:
            if lot.status == LotStatus.ON_HOLD:
                reason = f" ({lot.hold_reason})" if lot.hold_reason else ""
                blocked.append(Problem(f"{lot.number} is on hold{reason} and cannot be issued", line=line, number=lot.number))
            elif lot.status == LotStatus.ARCHIVED:
                blocked.append(Problem(f"{lot.number} is archived and cannot be issued", line=line, number=lot.number))
            if lot.expiry_date is not None and lot.expiry_date < today:
                blocked.append(
                    Problem(f"{lot.number} expired on {lot.expiry_date:%Y-%m-%d} and cannot be issued", line=line, number=lot.number)
                )
        if lot.kind != LotKind.SERIAL or spec.reverses is not None:
            continue
        # Incoming from outside: the serial must not already be in stock.
        if spec.from_location.is_virtual and not spec.to_location.is_virtual and lot.in_stock:
            where = f" at {lot.last_location.code}" if lot.last_location_id else ""
            problems.append(Problem(f"serial {lot.number} is already in stock{where}", line=line, number=lot.number))
        # Loose binding (seed 003): no per-serial balance, so its last known state decides.
        if (
            not spec.item.binds_lots
            and not spec.from_location.is_virtual
            and spec.from_lot is not None
            and not lot.in_stock
            and lot.last_location_id is not None
        ):
            problems.append(Problem(f"serial {lot.number} was already issued", line=line, number=lot.number))
    if blocked:
        raise NotIssuable(blocked + problems)
    if problems:
        raise SerialConflict(problems)


def _balances_locked(company, deltas, key_info) -> dict:
    existing_keys = set()
    item_ids, lot_ids, location_ids, unnumbered = set(), set(), set(), False
    for item_id, lot_id, location_id in deltas:
        item_ids.add(item_id)
        location_ids.add(location_id)
        if lot_id is None:
            unnumbered = True
        else:
            lot_ids.add(lot_id)

    def lock() -> dict:
        rows = locks.balances_lock(item_ids=item_ids, lot_ids=lot_ids, location_ids=location_ids, unnumbered=unnumbered)
        return {(b.item_id, b.lot_id, b.location_id): b for b in rows}

    found = lock()
    existing_keys = set(found)
    missing = sorted(
        (key for key, delta in deltas.items() if key not in existing_keys and delta > 0),
        key=lambda k: (k[0], k[1] or 0, k[2]),
    )
    if missing:
        Balance.objects.bulk_create(
            [
                Balance(
                    company=company,
                    item_id=item_id,
                    lot_id=lot_id,
                    location_id=location_id,
                    quantity=ZERO,
                    is_serial=bool(lot_id) and key_info[(item_id, lot_id, location_id)][1].kind == LotKind.SERIAL,
                )
                for item_id, lot_id, location_id in missing
            ],
            ignore_conflicts=True,
        )
        found = lock()
    for key, delta in deltas.items():
        if key not in found:
            # Taking from a row that does not exist: nothing there at all.
            found[key] = Balance(item_id=key[0], lot_id=key[1], location_id=key[2], quantity=ZERO)
    return found


def _reserved_by_others(deltas, document: Document | None) -> dict[tuple[int, int], Decimal]:
    """Quantities of each (lot, location) being taken that other drafts have allocated."""
    lot_ids = {lot_id for (_, lot_id, _), d in deltas.items() if d < 0 and lot_id is not None}
    if not lot_ids:
        return {}
    location_ids = {loc for (_, lot_id, loc), d in deltas.items() if d < 0 and lot_id is not None}
    rows = Allocation.objects.filter(reserving=True, lot_id__in=lot_ids, location_id__in=location_ids)
    if document is not None:
        rows = rows.exclude(document=document)
    return {
        (r["lot_id"], r["location_id"]): r["total"]
        for r in rows.values("lot_id", "location_id").annotate(total=Sum("quantity"))
    }


def _serials_elsewhere(specs, balances, deltas) -> list[Problem]:
    """A serial coming into an internal location must not be in stock in another one."""
    incoming = {
        key[1]: key for key, d in deltas.items() if d > 0 and key[1] is not None and balances[key].is_serial
    }
    if not incoming:
        return []
    ours = {b.pk for b in balances.values() if b.pk}
    clash = (
        Balance.objects.filter(lot_id__in=list(incoming), is_serial=True, quantity__gt=0)
        .exclude(pk__in=ours)
        .select_related("lot", "location")
    )
    return [Problem(f"serial {b.lot.number} is already in stock at {b.location.code}", number=b.lot.number) for b in clash]


def _moves_build(company, specs, reason, user, document, now):
    moves, states = [], {}
    for spec in specs:
        lot = spec.lot
        cost = spec.unit_cost
        if cost is None:
            cost = lot.unit_cost if lot is not None and lot.unit_cost is not None else spec.item.unit_cost
        prev_in_stock = prev_location = None
        if lot is not None:
            state = states.get(lot.pk) or (lot.pk, lot.in_stock, lot.last_location_id, lot.received_at)
            _, in_stock, last_location, received_at = state
            prev_in_stock, prev_location = in_stock, last_location
            if lot.kind == LotKind.SERIAL:
                if spec.reverses is not None:
                    in_stock, last_location = spec.reverses.lot_prev_in_stock, spec.reverses.lot_prev_location_id
                elif not spec.to_location.is_virtual:
                    in_stock, last_location = True, spec.to_location.pk
                elif not spec.from_location.is_virtual:
                    in_stock, last_location = False, spec.from_location.pk
            if received_at is None and not spec.to_location.is_virtual and spec.reverses is None:
                received_at = now
            states[lot.pk] = (lot.pk, in_stock, last_location, received_at)
            lot.in_stock, lot.last_location_id, lot.received_at = in_stock, last_location, received_at
        moves.append(
            StockMove(
                company=company,
                item=spec.item,
                quantity=spec.quantity,
                from_location=spec.from_location,
                from_lot=spec.from_lot,
                to_location=spec.to_location,
                to_lot=spec.to_lot,
                binds_lot=spec.item.binds_lots,
                unit_cost=cost,
                document=document,
                line=spec.line,
                reason=reason,
                reverses=spec.reverses,
                lot_prev_in_stock=prev_in_stock,
                lot_prev_location_id=prev_location,
                created_at=now,
                created_by=user if user is not None and user.is_authenticated else None,
            )
        )
    return moves, list(states.values())
