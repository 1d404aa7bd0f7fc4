"""What posting refuses: the checks ``moves_post`` runs on the intended moves before it locks
anything, and on the locked lots and balances after (holds, expiry, serial state, what other
drafts promised)."""

from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet, Sum

from ..compiled import Compiled
from ..exceptions import InventoryError, NotIssuable, Problem, SerialConflict
from ..locks import BalanceRow, LotState
from ..models import (
    Allocation,
    Balance,
    Company,
    Document,
    Location,
    LotStatus,
)
from ..models.catalog import MAX_QUANTITY
from ..quantities import ONE, QUANTUM, ZERO
from .moves import ISSUE_DESTINATIONS, MoveSpec, plain, quantity_too_large


def overflow(spec: MoveSpec, lot: LotState | None, location: Location, new_quantity: Decimal) -> Problem:
    return Problem(
        f"{spec.item.sku}{f' {lot.number}' if lot else ''} at {location.code} would hold {plain(new_quantity)}, "
        f"more than the most a balance can hold ({MAX_QUANTITY:,})",
        line=spec.line_position,
        number=lot.number if lot else None,
    )


def specs_validate(company: Company, specs: Sequence[MoveSpec]) -> None:
    problems: list[Problem] = []
    seen = set()
    for spec in specs:
        line, item = spec.line_position, spec.item
        if spec.quantity is None or not spec.quantity.is_finite() or spec.quantity <= 0:
            problems.append(Problem(f"{item.sku}: quantity must be more than zero", line=line))
            continue
        if spec.quantity > MAX_QUANTITY:
            problems.append(Problem(f"{item.sku}: {quantity_too_large(spec.quantity)}", line=line))
            continue
        if spec.quantity != spec.quantity.quantize(QUANTUM):
            problems.append(Problem(f"{item.sku}: quantity {spec.quantity} has more than 4 decimal places", line=line))
            continue
        combination = (item.id, spec.from_location.id, spec.to_location.id, line)
        if combination not in seen:
            seen.add(combination)
            if not item.is_stocked:
                problems.append(Problem(f"{item.sku} is a lookup item and holds no stock", line=line))
            if {item.company_id, spec.from_location.company_id, spec.to_location.company_id} != {company.pk}:
                problems.append(Problem(f"{item.sku}: item and locations must belong to {company}", line=line))
        # Same location only to number unnumbered stock (or to undo that, in a reversal).
        if spec.from_location.id == spec.to_location.id and (spec.from_lot_id is None) == (spec.to_lot_id is None):
            problems.append(Problem(f"{item.sku}: from and to are the same location", line=line))
        if spec.from_lot_id is not None and spec.to_lot_id is not None and spec.from_lot_id != spec.to_lot_id:
            problems.append(Problem(f"{item.sku}: a move cannot change one number into another", line=line))
    if problems:
        raise InventoryError(problems)


def lots_validate(specs: Sequence[MoveSpec], lots: dict[int, LotState]) -> None:
    problems: list[Problem] = []
    for spec in specs:
        lot_id = spec.lot_id
        if lot_id is None:
            continue
        lot = lots.get(lot_id)
        if lot is None or lot.item_id != spec.item.id:
            number = lot.number if lot else str(lot_id)
            problems.append(Problem(f"{number} is not a number of {spec.item.sku}", line=spec.line_position, number=number))
        elif lot.is_serial and spec.quantity != ONE:
            problems.append(
                Problem(
                    f"serial {lot.number} is one unit; the quantity must be 1, not {spec.quantity}",
                    line=spec.line_position,
                    number=lot.number,
                )
            )
    if problems:
        raise InventoryError(problems)


def lots_check(
    specs: Sequence[MoveSpec], lots: dict[int, LotState], today: date, new_lot_ids: Collection[int], binds_by_item: dict[int, bool]
) -> None:
    """Holds, expiry, and each serial's state followed through the moves in order.

    Following the state move by move catches the same serial twice in one posting, which for
    loosely bound items (stock kept per item, seed 003) no balance would.
    """
    blocked: list[Problem] = []
    problems: list[Problem] = []
    state = {lot_id: (False, None) if lot_id in new_lot_ids else (lot.in_stock, lot.last_location_id) for lot_id, lot in lots.items()}
    for spec in specs:
        if spec.lot_id is None:
            continue
        lot, line = lots[spec.lot_id], spec.line_position
        if spec.reverses is None and spec.to_location.kind in ISSUE_DESTINATIONS:
            for status, reason, what in ((lot.status, lot.hold_reason, ""), (lot.parent_status, lot.parent_hold_reason, "the lot of ")):
                if status == LotStatus.ON_HOLD:
                    why = f" ({reason})" if reason else ""
                    blocked.append(Problem(f"{what}{lot.number} is on hold{why} and cannot be issued", line=line, number=lot.number))
                elif status == LotStatus.ARCHIVED:
                    blocked.append(Problem(f"{what}{lot.number} is archived and cannot be issued", line=line, number=lot.number))
            if lot.expiry_date is not None and lot.expiry_date < today:
                blocked.append(
                    Problem(f"{lot.number} expired on {lot.expiry_date:%Y-%m-%d} and cannot be issued", line=line, number=lot.number)
                )
        if not lot.is_serial:
            continue
        in_stock, last_location = state[lot.id]
        arriving = not spec.to_location.is_virtual
        leaving = not spec.from_location.is_virtual
        if arriving and not leaving and in_stock:
            problems.append(Problem(f"serial {lot.number} is already in stock", line=line, number=lot.number))
        if (
            leaving
            and not arriving
            and spec.from_lot_id is not None
            and not binds_by_item[spec.item.id]
            and not in_stock
            and (last_location is not None or spec.reverses is not None)
        ):
            problems.append(Problem(f"serial {lot.number} was already issued", line=line, number=lot.number))
        if arriving:
            state[lot.id] = (True, spec.to_location.id)
        elif leaving:
            state[lot.id] = (False, spec.from_location.id)
    if blocked:
        raise NotIssuable(blocked + problems)
    if problems:
        raise SerialConflict(problems)


def reserved_by_others(
    deltas: dict[tuple[int, int | None, int], Decimal], document: Document | None, binds_by_item: dict[int, bool]
) -> dict[tuple[int | None, int], Decimal]:
    """What other drafts have promised of each balance being taken, keyed like the balances.

    Numbered balances: the allocations of that lot. Unnumbered balances: new numbers to be given
    to that stock (numbered when used) or, for loosely bound items whose stock is kept per item,
    every allocation of the item there.
    """
    taken = [key for key, d in deltas.items() if d < 0]
    if not taken:
        return {}
    lot_ids = sorted({lot_id for _, lot_id, _ in taken if lot_id is not None})
    location_ids = sorted({loc for _, _, loc in taken})
    item_ids = sorted({item for item, lot_id, _ in taken if lot_id is None})
    other_than = document.pk if document is not None else 0  # no document has id 0
    found: dict[tuple, Decimal] = {}
    if lot_ids:
        for lot_id, location_id, total in _RESERVED_LOTS.rows(lots=lot_ids, locations=location_ids, document=other_than):
            found[(lot_id, location_id)] = total
    if item_ids:
        for item_id, location_id, lot_id, total in _RESERVED_ITEMS.rows(items=item_ids, locations=location_ids, document=other_than):
            if lot_id is None or not binds_by_item[item_id]:
                key = (item_id, None, location_id)
                found[key] = found.get(key, ZERO) + total
    return found


def _reserving_elsewhere(locations: list[int], document: int) -> QuerySet:
    return Allocation.objects.reserving().filter(outgoing=True, location_id__any=locations).exclude(document_id=document)


_RESERVED_LOTS = Compiled(
    lambda lots, locations, document: (
        _reserving_elsewhere(locations, document)
        .filter(lot_id__any=lots)
        .values_list("lot_id", "location_id")
        .annotate(total=Sum("quantity"))
    ),
    arrays=["lots", "locations"],
)
_RESERVED_ITEMS = Compiled(
    lambda items, locations, document: (
        _reserving_elsewhere(locations, document)
        .filter(item_id__any=items)
        .values_list("item_id", "location_id", "lot_id")
        .annotate(total=Sum("quantity"))
    ),
    arrays=["items", "locations"],
)


def serials_elsewhere(
    balances: dict[tuple[int, int | None, int], BalanceRow],
    deltas: dict[tuple[int, int | None, int], Decimal],
    lots: dict[int, LotState],
    unplaced: Collection[int],
) -> list[Problem]:
    """A serial coming into an internal location must not be in stock in another one."""
    # Serials born in this posting, or that never arrived anywhere, cannot be anywhere yet.
    incoming = [key[1] for key, d in deltas.items() if d > 0 and key[1] is not None and lots[key[1]].is_serial and key[1] not in unplaced]
    if not incoming:
        return []
    ours = [b.id for b in balances.values()]
    clash = (
        Balance.objects.filter(lot_id__any=set(incoming), is_serial=True, quantity__gt=0)
        .exclude(pk__any=set(ours))
        .values_list("lot__number", "location__code")
    )
    return [Problem(f"serial {number} is already in stock at {code}", number=number) for number, code in clash]
