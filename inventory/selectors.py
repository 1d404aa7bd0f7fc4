"""Reads of the inventory: availability, allocation candidates, the ledger check."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Round, RowNumber
from django.utils import timezone

from .models import (
    Allocation,
    Balance,
    DocumentLine,
    GenealogyLink,
    IssueMethod,
    Item,
    Location,
    LocationKind,
    Lot,
    LotHoldEvent,
    LotKind,
    LotStatus,
    StockMove,
    Tracking,
    TrackingScope,
)
from .models.catalog import MAX_QUANTITY
from .quantities import QTY, ZERO

UNITS = 10_000  # quantities have 4 decimal places

ISSUE_ORDER = {
    IssueMethod.FIFO: ["first_in_at", "lot__received_at", "lot_id"],
    IssueMethod.LIFO: ["-first_in_at", "-lot__received_at", "-lot_id"],
    IssueMethod.SEQUENTIAL: ["lot__number", "lot_id"],
    IssueMethod.EXPIRATION: [F("lot__expiry_date").asc(nulls_last=True), "first_in_at", "lot_id"],
    IssueMethod.MANUAL: ["lot__number", "lot_id"],
}


def reserved_subquery(*, exclude_document_id: int | None = None) -> Subquery:
    rows = Allocation.objects.reserving().filter(outgoing=True, lot=OuterRef("lot"), location=OuterRef("location"))
    if exclude_document_id is not None:
        rows = rows.exclude(document_id=exclude_document_id)
    return Subquery(rows.values("lot").annotate(total=Sum("quantity")).values("total")[:1], output_field=QTY)


def allocation_candidates(*, line: DocumentLine, include_unavailable: bool = False):
    """Lots/serials of the line's item at its source location, in the class's issue-method order.

    Annotated with ``reserved`` (by any draft) and ``available``. Expired, held and archived lots
    are left out unless ``include_unavailable``.
    """
    document = line.document
    item = line.item
    rows = (
        Balance.objects.filter(item=item, location=document.from_location, lot__isnull=False, quantity__gt=0)
        .select_related("lot")
        .annotate(reserved=Coalesce(reserved_subquery(), Value(ZERO), output_field=QTY))
        .annotate(available=F("quantity") - F("reserved"))
    )
    if not include_unavailable:
        today = timezone.localdate()
        rows = (
            rows.filter(available__gt=0, lot__status=LotStatus.ACTIVE)
            .exclude(lot__expiry_date__lt=today)
            .exclude(lot__parent__status__in=[LotStatus.ON_HOLD, LotStatus.ARCHIVED])
        )
    method = item.lot_class.issue_method if item.lot_class else IssueMethod.FIFO
    return rows.order_by(*ISSUE_ORDER[method])


def loose_candidates(*, line: DocumentLine):
    """Serials of a loosely bound item believed in stock (seed 003: any location), not yet promised."""
    item = line.item
    today = timezone.localdate()
    promised = Allocation.objects.reserving().filter(outgoing=True, lot__isnull=False, item=item).values("lot_id")
    rows = (
        Lot.objects.filter(item=item, kind=LotKind.SERIAL, in_stock=True, status=LotStatus.ACTIVE)
        .exclude(expiry_date__lt=today)
        .exclude(parent__status__in=[LotStatus.ON_HOLD, LotStatus.ARCHIVED])
        .exclude(pk__in=promised)
    )
    method = item.lot_class.issue_method if item.lot_class else IssueMethod.FIFO
    order = {
        IssueMethod.LIFO: ["-received_at", "-id"],
        IssueMethod.SEQUENTIAL: ["number"],
        IssueMethod.EXPIRATION: [F("expiry_date").asc(nulls_last=True), "received_at", "id"],
    }.get(method, ["received_at", "id"])
    return rows.order_by(*order)


def unnumbered_available(*, item, location) -> Decimal:
    """Unnumbered quantity at a location less what drafts will number and take from it."""
    on_hand = Balance.objects.filter(item=item, location=location, lot__isnull=True).values_list("quantity", flat=True).first() or ZERO
    promised = (
        Allocation.objects.reserving()
        .filter(item=item, location=location, lot__isnull=True, outgoing=True)
        .aggregate(total=Sum("quantity"))["total"]
        or ZERO
    )
    return on_hand - promised


@dataclass(frozen=True)
class LedgerFault:
    what: str

    def __str__(self) -> str:
        return self.what


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _stored_quantity(text) -> Decimal | None:
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
    faults: list[LedgerFault] = []
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
        text=Cast("quantity", TextField()),
    )
    for b in rows:
        if b["lot_number"] != b["lot__number"]:
            faults.append(LedgerFault(f"balance {b['id']}: says lot number {b['lot_number']!r}, its lot is {b['lot__number']!r}"))
        if b["expiry_date"] != b["lot__expiry_date"]:
            faults.append(LedgerFault(f"balance {b['id']}: says it expires {b['expiry_date']}, its lot {b['lot__expiry_date']}"))
        quantity = _stored_quantity(b["text"])
        actual[(b["item_id"], b["lot_id"], b["location_id"])] = (b["id"], quantity, b["text"])
        if b["is_serial"] and quantity is not None and quantity > 0:
            in_place[b["lot_id"]].append((b["location_id"], quantity))
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
    faults += _summaries_verify(expected)
    faults += _expiry_summaries_verify(expected)
    faults += _document_totals_verify()
    faults += _costs_verify(expected)
    # Fully tracked serials: in stock exactly where their balance says, at most one place.
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
    from .models import StockSummary

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


def _expiry_summaries_verify(moved: dict[tuple, Decimal]) -> list[LedgerFault]:
    """Each (item, location, expiry date) summary holds what the moves left there of the lots
    expiring that day (from the moves and the lots, not the balances: a bad balance is named
    once, itself)."""
    from .models import ExpirySummary

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
    from .services.costing import cost_state_faults

    return [LedgerFault(what) for what in cost_state_faults(moved=moved)]


def _document_totals_verify() -> list[LedgerFault]:
    """Each document's line count and total quantity are those of its lines."""
    from django.db.models import Count

    from .models import Document

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


def fully_tracked_q(prefix: str = "item__") -> Q:
    """Items whose stock is kept per lot/serial (the database form of ``Item.binds_lots``)."""
    p = prefix
    return Q(**{f"{p}is_stocked": True, f"{p}lot_class__isnull": False, f"{p}company__tracking_enabled": True}) & (
        Q(**{f"{p}lot_class__tracking": Tracking.LOT})
        | Q(**{f"{p}lot_class__tracking__in": [Tracking.SERIAL, Tracking.LOT_AND_SERIAL], f"{p}tracking_scope": TrackingScope.FULL})
    )


def unassigned_balances(*, company):
    """Stock of fully tracked items that carries no number yet (seed 000: the unassigned excess)."""
    return (
        Balance.objects.filter(company=company, lot__isnull=True, quantity__gt=0)
        .filter(fully_tracked_q())
        .select_related("item", "location")
        .order_by("item__sku", "location__code")
    )


def expiry_window(*, company, within_days: int | None = None, field: str = "expiry_date", item: str = "item__") -> Q:
    """The expiry dates that count as expired or expiring: on or before ``within_days`` from
    today, or (None) each tracking class's own alert period, on the rows' ``field`` and the class
    of their item (``item`` is the path to it)."""
    from datetime import timedelta

    from .models import LotSerialClass

    today = timezone.localdate()
    if within_days is not None:
        return Q(**{f"{field}__lte": today + timedelta(days=within_days)})
    alerts = LotSerialClass.objects.filter(company=company, track_expiry=True).values_list("pk", "expiry_alert_days")
    window = Q(pk__in=[])
    for class_id, days in alerts:
        window |= Q(**{f"{item}lot_class_id": class_id, f"{field}__lte": today + timedelta(days=days)})
    return window


def expiring_lots(*, company, within_days: int | None = None):
    """Lots/serials in stock whose expiry falls within ``within_days`` of today (default: each
    class's alert period), expired ones included."""
    # A serial keeps its in-stock flag; a lot is in stock where a balance of it is positive.
    on_hand = Balance.objects.filter(lot=OuterRef("pk"), quantity__gt=0)
    rows = Lot.objects.filter(company=company, expiry_date__isnull=False).filter(Q(in_stock=True) | Exists(on_hand))
    return rows.filter(expiry_window(company=company, within_days=within_days))


def lots_customer_net(*, lot_ids, partner=None) -> dict[int, Decimal]:
    """Per lot/serial: how much was delivered to ``partner`` (any customer when None), net of what
    came back. Reversals count against what they reverse, since they carry the same document."""
    from .models import LocationKind

    lot_ids = list(lot_ids)
    if not lot_ids:
        return {}
    moves = StockMove.objects.filter(Q(to_lot_id__in=lot_ids) | Q(from_lot_id__in=lot_ids)).filter(
        Q(to_location__kind=LocationKind.CUSTOMER) | Q(from_location__kind=LocationKind.CUSTOMER)
    )
    if partner is not None:
        moves = moves.filter(document__partner=partner)
    net: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for to_lot, from_lot, to_kind, quantity in moves.values_list("to_lot_id", "from_lot_id", "to_location__kind", "quantity"):
        lot_id = to_lot or from_lot
        net[lot_id] += quantity if to_kind == LocationKind.CUSTOMER else -quantity
    return dict(net)


def lots_supplier_origin(*, lot_ids) -> dict[int, list[tuple[str, str]]]:
    """Per lot/serial: the suppliers it was received from, as (partner name, receipt number)."""
    from .models import LocationKind

    lot_ids = list(lot_ids)
    if not lot_ids:
        return {}
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = (
        StockMove.objects.filter(to_lot_id__in=lot_ids, from_location__kind=LocationKind.SUPPLIER, reverses__isnull=True)
        .exclude(document__status="reversed")
        .order_by("id")
        .values_list("to_lot_id", "document__partner__name", "document__number")
    )
    for lot_id, name, number in rows:
        found[lot_id].append((name or "an unnamed supplier", number or "no document"))
    return dict(found)


def unavailable_summary(*, item, location, document=None) -> str:
    """What of an item lies at a location but cannot be issued, in words: "30 on hold (supplier
    recall), 5 expired, 4 promised to DL-000012". Empty when nothing is held back."""
    today = timezone.localdate()
    balances = Balance.objects.filter(item=item, location=location, lot__isnull=False, quantity__gt=0)
    parts = []
    held = (
        balances.filter(Q(lot__status=LotStatus.ON_HOLD) | Q(lot__parent__status=LotStatus.ON_HOLD))
        .annotate(why=Coalesce(F("lot__hold_reason"), Value("")))
        .values("why")
        .annotate(total=Sum("quantity"))
        .order_by("why")
    )
    for row in held:
        parts.append(f"{row['total'].normalize():f} on hold" + (f" ({row['why']})" if row["why"] else ""))
    archived = balances.filter(Q(lot__status=LotStatus.ARCHIVED) | Q(lot__parent__status=LotStatus.ARCHIVED)).aggregate(t=Sum("quantity"))[
        "t"
    ]
    if archived:
        parts.append(f"{archived.normalize():f} archived")
    expired = balances.filter(lot__expiry_date__lt=today, lot__status=LotStatus.ACTIVE).aggregate(t=Sum("quantity"))["t"]
    if expired:
        parts.append(f"{expired.normalize():f} expired")
    promised = Allocation.objects.reserving().filter(item=item, location=location, outgoing=True)
    if document is not None:
        promised = promised.exclude(document=document)
    for number, total in promised.values_list("document__number").annotate(total=Sum("quantity")).order_by("document__number")[:5]:
        parts.append(f"{total.normalize():f} promised to {number}")
    return ", ".join(parts)


def document_unnumbered(*, document) -> list[tuple[int, str, Decimal]]:
    """The lines of a posted document whose tracked stock came in without numbers: (position,
    item code, quantity). Shown after posting, so nothing is left unnumbered without a word."""
    rows = (
        StockMove.objects.filter(document=document, reverses__isnull=True, to_lot__isnull=True, to_location__kind=LocationKind.INTERNAL)
        .filter(fully_tracked_q())
        .values("line__position", "item__sku")
        .annotate(total=Sum("quantity"))
        .order_by("line__position")
    )
    return [(r["line__position"], r["item__sku"], r["total"]) for r in rows]


def location_paths(*, company) -> dict[int, str]:
    """Every location's "warehouse / zone / bin" path, from one query instead of one per level."""
    locations = Location.objects.filter(company=company).values_list("pk", "parent_id", "code")
    rows = {pk: (parent_id, code) for pk, parent_id, code in locations}
    paths: dict[int, str] = {}
    for pk in rows:
        parts, node, seen = [], pk, set()
        while node in rows and node not in seen:
            seen.add(node)
            parent_id, code = rows[node]
            parts.append(code)
            node = parent_id
        paths[pk] = " / ".join(reversed(parts))
    return paths


def line_summaries(document) -> dict[int, dict]:
    """Per line: allocated quantity, how many numbers, and the first few — three queries in all."""
    summary = defaultdict(lambda: {"allocated": 0, "count": 0, "numbers": []})
    if document.is_draft:
        totals = Allocation.objects.filter(document=document).values("line_id").annotate(q=Sum("quantity"), n=Count("id"))
        first = (
            Allocation.objects.filter(document=document)
            .annotate(row=Window(RowNumber(), partition_by=[F("line_id")], order_by=[F("id").asc()]))
            .filter(row__lte=5)
            .values_list("line_id", "number", "lot__number")
        )
    else:
        moves = StockMove.objects.filter(document=document, reverses__isnull=True)
        totals = moves.values("line_id").annotate(
            q=Sum("quantity"), n=Count("id", filter=Q(from_lot__isnull=False) | Q(to_lot__isnull=False))
        )
        first = (
            moves.filter(Q(from_lot__isnull=False) | Q(to_lot__isnull=False))
            .annotate(row=Window(RowNumber(), partition_by=[F("line_id")], order_by=[F("id").asc()]))
            .filter(row__lte=5)
            .values_list("line_id", "to_lot__number", "from_lot__number")
        )
    for row in totals:
        summary[row["line_id"]].update(allocated=row["q"], count=row["n"])
    for line_id, a, b in first:
        summary[line_id]["numbers"].append(a or b)
    return summary


def internal_locations(*, company) -> "QuerySet[Location]":
    """The company's active internal locations, by code: where stock may be put or taken."""
    return Location.objects.filter(company=company, kind=LocationKind.INTERNAL, is_active=True).order_by("code")


@dataclass(frozen=True)
class LotUsage:
    """What refers to a lot: decides whether it may be archived or deleted."""

    on_hand: bool  # stock of it (or of its serials) in our locations
    reserved_on: str | None  # a draft document that allocates it
    moved: bool
    allocated: bool
    linked: bool  # genealogy
    serials: int  # lot-and-serial: serials labelled with this lot
    held_before: bool  # a hold record exists

    @property
    def deletable(self) -> bool:
        return not (self.moved or self.allocated or self.linked or self.serials or self.held_before or self.on_hand)

    @property
    def archivable(self) -> bool:
        return not (self.on_hand or self.reserved_on)


def lot_usage(*, lot: Lot) -> LotUsage:
    """What refers to ``lot`` (the lot pages' archive and delete decide by it). Two queries: the facts as one row of EXISTS tests, and the draft holding it, if any."""
    here = Lot.objects.filter(pk=lot.pk)
    serials = Lot.objects.filter(parent=OuterRef("pk"))
    in_stock = Balance.objects.filter(quantity__gt=0, location__kind=LocationKind.INTERNAL)
    row = here.annotate(
        # Two EXISTS, each on its own index (one OR across the lot join would scan every balance).
        has_stock=Exists(in_stock.filter(lot=OuterRef("pk")))
        | Exists(in_stock.filter(lot__parent=OuterRef("pk")))
        | Exists(serials.filter(in_stock=True))
        | Q(in_stock=True),
        moved=Exists(StockMove.objects.filter(Q(from_lot=OuterRef("pk")) | Q(to_lot=OuterRef("pk")))),
        allocated=Exists(Allocation.objects.filter(lot=OuterRef("pk"))),
        linked=Exists(GenealogyLink.objects.filter(Q(consumed=OuterRef("pk")) | Q(produced=OuterRef("pk")))),
        held=Exists(LotHoldEvent.objects.filter(lot=OuterRef("pk"))),
        serial_count=Coalesce(Subquery(serials.order_by().values("parent").annotate(n=Count("id")).values("n")), 0),
    ).values("has_stock", "moved", "allocated", "linked", "held", "serial_count")[0]
    draft = (
        Allocation.objects.reserving().filter(Q(lot=lot) | Q(lot__parent=lot)).values_list("document__number", flat=True).first()
        if row["allocated"] or row["serial_count"]
        else None
    )
    return LotUsage(
        on_hand=row["has_stock"],
        reserved_on=draft,
        moved=row["moved"],
        allocated=row["allocated"],
        linked=row["linked"],
        serials=row["serial_count"],
        held_before=row["held"],
    )
