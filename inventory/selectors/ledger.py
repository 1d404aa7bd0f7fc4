"""The ledger check (``manage.py verify_ledger``): every balance, summary, cost state and
document total against what the moves and lines say."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import (
    BigIntegerField,
    Case,
    F,
    Q,
    Sum,
    TextField,
    When,
)
from django.db.models.functions import Cast, Round

from ..models import (
    Balance,
    DocumentLine,
    Item,
    LocationKind,
    Lot,
    LotKind,
    StockMove,
    Tracking,
)
from ..models.catalog import MAX_QUANTITY
from ..quantities import ZERO

UNITS = 10_000  # quantities have 4 decimal places


@dataclass(frozen=True)
class LedgerFault:
    what: str

    def __str__(self) -> str:
        return self.what


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _stored_quantity(text: str) -> Decimal | None:
    """A stored quantity as the database wrote it, None when it is no number at all.

    Read as text, not as the column's decimal: a value outside the column's size (SQLite stored
    any overflow before the limit existed) cannot be read back that way and would stop the check.
    """
    if text is None:
        return None
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def ledger_verify() -> list[LedgerFault]:
    """Every balance equals the sum of its moves; every fully tracked serial's state agrees.

    Quantities are read defensively, so a bad row is named instead of stopping the check: moves
    are summed in whole ten-thousandths (exact on SQLite too, whose decimals are floating point,
    and never past what Python can read), balances are read as text.
    """
    expected = _moved()
    faults, actual, in_place = _balances_read()
    faults += _balances_verify(expected, actual)
    faults += _summaries_verify(expected)
    faults += _awaiting_verify()
    faults += _expiry_summaries_verify(expected)
    faults += _document_totals_verify()
    faults += _costs_verify(expected)
    faults += _serials_verify(in_place)
    return faults


def _moved() -> dict[tuple, Decimal]:
    """What the moves leave in each (item, bound lot or None, internal location)."""
    expected: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    units = Cast(Round(F("quantity") * UNITS), output_field=BigIntegerField())
    for side, sign in (("to", 1), ("from", -1)):
        lot_key = Case(When(binds_lot=True, then=F(f"{side}_lot")), default=None)
        rows = (
            StockMove.objects.filter(**{f"{side}_location__kind": LocationKind.INTERNAL})
            .values("item_id", f"{side}_location_id")
            .annotate(key_lot=lot_key)
            .values("item_id", f"{side}_location_id", "key_lot")
            .annotate(total=Sum(units))
        )
        for r in rows:
            expected[(r["item_id"], r["key_lot"], r[f"{side}_location_id"])] += sign * Decimal(int(r["total"])).scaleb(-4)
    return expected


def _balances_read() -> tuple[list[LedgerFault], dict[tuple, tuple], dict[int, list[tuple[int, Decimal]]]]:
    """The balances as stored (their quantity as text), the faults of their copied lot fields, and
    where each serial balance holds stock."""
    faults: list[LedgerFault] = []
    actual: dict[tuple, tuple[int, Decimal | None, str]] = {}
    in_place: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    rows = Balance.objects.values(
        "id",
        "item_id",
        "lot_id",
        "location_id",
        "is_serial",
        "lot_number",
        "lot__number",
        "expiry_date",
        "lot__expiry_date",
        "lot__received_at",
        text=Cast("quantity", TextField()),
    )
    for b in rows:
        if b["lot_id"] is not None and b["lot__received_at"] is None:
            # Posting looks for no balance of a lot that never arrived: there must be none.
            faults.append(LedgerFault(f"balance {b['id']}: its lot {b['lot__number']!r} has a balance but no date it arrived"))
        if b["lot_number"] != b["lot__number"]:
            faults.append(LedgerFault(f"balance {b['id']}: says lot number {b['lot_number']!r}, its lot is {b['lot__number']!r}"))
        if b["expiry_date"] != b["lot__expiry_date"]:
            faults.append(LedgerFault(f"balance {b['id']}: says it expires {b['expiry_date']}, its lot {b['lot__expiry_date']}"))
        quantity = _stored_quantity(b["text"])
        actual[(b["item_id"], b["lot_id"], b["location_id"])] = (b["id"], quantity, b["text"])
        if b["is_serial"] and quantity is not None and quantity > 0:
            in_place[b["lot_id"]].append((b["location_id"], quantity))
    return faults, actual, in_place


def _balances_verify(expected: dict[tuple, Decimal], actual: dict[tuple, tuple]) -> list[LedgerFault]:
    """Each balance against the sum of its moves, and within its bounds."""
    faults: list[LedgerFault] = []
    for key in sorted(set(expected) | set(actual), key=lambda k: (k[0], k[1] or 0, k[2])):
        want = expected.get(key, ZERO)
        balance_id, have, text = actual.get(key, (None, ZERO, "0"))
        item_id, lot_id, location_id = key
        where = f"balance {balance_id or '(missing)'} item={item_id} lot={lot_id} location={location_id}"
        if have is None:
            faults.append(LedgerFault(f"{where}: holds {text!r}, which is not a quantity; its moves sum to {want}"))
            continue
        if want != have:
            faults.append(LedgerFault(f"{where}: holds {_plain(have)}, its moves sum to {_plain(want)}"))
        if have > MAX_QUANTITY:
            faults.append(LedgerFault(f"{where}: holds {_plain(have)}, more than the most a balance can hold ({MAX_QUANTITY:,})"))
        if have < 0:
            faults.append(LedgerFault(f"balance {balance_id}: negative quantity {have}"))
    return faults


def _serials_verify(in_place: dict[int, list[tuple[int, Decimal]]]) -> list[LedgerFault]:
    """Fully tracked serials: in stock exactly where their balance says, at most one place."""
    faults: list[LedgerFault] = []
    bound_items = [
        item.pk
        for item in Item.objects.select_related("lot_class", "company").filter(
            lot_class__tracking__in=[Tracking.SERIAL, Tracking.LOT_AND_SERIAL]
        )
        if item.binds_lots
    ]
    serials = (
        Lot.objects.filter(kind=LotKind.SERIAL, item_id__in=bound_items)
        .filter(Q(in_stock=True) | Q(balances__is_serial=True, balances__quantity__gt=0))
        .distinct()
        .values_list("id", "number", "in_stock", "last_location_id")
    )
    for lot_id, number, in_stock, last_location in serials:
        places = in_place.get(lot_id, [])
        if len(places) > 1 or any(q != 1 for _, q in places):
            faults.append(LedgerFault(f"serial {number} (lot {lot_id}) is in {places}, not one place once"))
        elif places and (not in_stock or last_location != places[0][0]):
            faults.append(
                LedgerFault(
                    f"serial {number} (lot {lot_id}) is at location {places[0][0]} but says in_stock={in_stock}, last location {last_location}"
                )
            )
        elif not places and in_stock:
            faults.append(LedgerFault(f"serial {number} (lot {lot_id}) says it is in stock but no balance holds it"))
    return faults


def _summaries_verify(moved: dict[tuple, Decimal]) -> list[LedgerFault]:
    """Each (item, location) summary holds what the moves left there and counts the lots/serials
    they left in stock (from the moves, not the balances: a bad balance is named once, itself)."""
    from ..models import StockSummary

    expected: dict[tuple[int, int], list] = defaultdict(lambda: [ZERO, 0])
    for (item_id, lot_id, location_id), quantity in moved.items():
        total = expected[(item_id, location_id)]
        total[0] += quantity
        total[1] += 1 if lot_id is not None and quantity > 0 else 0
    faults = []
    found = {
        (r["item_id"], r["location_id"]): (r["id"], _stored_quantity(r["text"]), r["lots"])
        for r in StockSummary.objects.values("id", "item_id", "location_id", "lots", text=Cast("quantity", TextField()))
    }
    for key in sorted(set(expected) | set(found)):
        want_quantity, want_lots = expected.get(key, (ZERO, 0))
        summary_id, quantity, lots = found.get(key, (None, ZERO, 0))
        if quantity != want_quantity or lots != want_lots:
            faults.append(
                LedgerFault(
                    f"stock summary {summary_id or '(missing)'} item={key[0]} location={key[1]}: holds "
                    f"{_plain(quantity) if quantity is not None else 'no quantity'} in {lots} lots, its moves "
                    f"{_plain(want_quantity)} in {want_lots}"
                )
            )
    return faults


def _awaiting_verify() -> list[LedgerFault]:
    """What each summary holds out for numbers to follow is the open part of the lines that left
    without them, and no more than its stock; each such record adds up."""
    from ..models import PendingNumbers, StockSummary

    faults = []
    wrong = PendingNumbers.objects.exclude(assigned__lte=F("quantity") - F("released"))
    faults += [LedgerFault(f"numbers to follow {p}: {p.assigned} assigned and {p.released} released of {p.quantity}") for p in wrong]
    shut = PendingNumbers.objects.filter(is_open=True, quantity=F("assigned") + F("released"))
    faults += [LedgerFault(f"numbers to follow {p}: all assigned or released, yet open") for p in shut]
    expected: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for item_id, location_id, missing in PendingNumbers.objects.filter(is_open=True).values_list(
        "item_id", "location_id", F("quantity") - F("assigned") - F("released")
    ):
        expected[(item_id, location_id)] += missing
    found = {
        (r[0], r[1]): (r[2], r[3], r[4])
        for r in StockSummary.objects.exclude(awaiting_numbers=0).values_list(
            "item_id", "location_id", "id", "awaiting_numbers", "quantity"
        )
    }
    for key in sorted(set(expected) | set(found)):
        summary_id, held, quantity = found.get(key, (None, ZERO, ZERO))
        want = expected.get(key, ZERO)
        where = f"stock summary {summary_id or '(missing)'} item={key[0]} location={key[1]}"
        if held != want:
            faults.append(LedgerFault(f"{where}: holds {_plain(held)} for numbers to follow, its open records {_plain(want)}"))
        if held > quantity:
            faults.append(LedgerFault(f"{where}: holds {_plain(held)} for numbers to follow but only {_plain(quantity)} in stock"))
    return faults


def _expiry_summaries_verify(moved: dict[tuple, Decimal]) -> list[LedgerFault]:
    """Each (item, location, expiry date) summary holds what the moves left there of the lots
    expiring that day (from the moves and the lots, not the balances: a bad balance is named
    once, itself)."""
    from ..models import ExpirySummary

    expires = dict(Lot.objects.filter(expiry_date__isnull=False).values_list("id", "expiry_date"))
    expected: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for (item_id, lot_id, location_id), quantity in moved.items():
        if lot_id in expires and quantity > 0:
            expected[(item_id, location_id, expires[lot_id])] += quantity
    found = {
        r[1:4]: (r[0], _stored_quantity(r[4]))
        for r in ExpirySummary.objects.values_list("id", "item_id", "location_id", "expiry_date", Cast("quantity", TextField()))
    }
    faults = []
    for key in sorted(set(expected) | set(found)):
        want = expected.get(key, ZERO)
        summary_id, have = found.get(key, (None, ZERO))
        if have != want:
            faults.append(
                LedgerFault(
                    f"expiry summary {summary_id or '(missing)'} item={key[0]} location={key[1]} expiry={key[2]}: holds "
                    f"{_plain(have) if have is not None else 'no quantity'}, its moves {_plain(want)}"
                )
            )
    return faults


def _costs_verify(moved: dict[tuple, Decimal]) -> list[LedgerFault]:
    """The cost state the valuation report reads is what a rebuild from the moves would make."""
    from ..services.costing import cost_state_faults

    return [LedgerFault(what) for what in cost_state_faults(moved=moved)]


def _document_totals_verify() -> list[LedgerFault]:
    """Each document's line count and total quantity are those of its lines."""
    from django.db.models import Count

    from ..models import Document

    lines = {
        r["document_id"]: (r["n"], r["total"])
        for r in DocumentLine.objects.order_by().values("document_id").annotate(n=Count("pk"), total=Sum("quantity"))
    }
    faults = []
    for pk, number, count, total in Document.objects.order_by("pk").values_list("pk", "number", "line_count", "total_quantity"):
        want_count, want_total = lines.get(pk, (0, ZERO))
        if (count, total) != (want_count, want_total):
            faults.append(
                LedgerFault(
                    f"document {number}: says {count} lines of {_plain(total)} in all, its lines are {want_count} of {_plain(want_total)}"
                )
            )
    return faults
