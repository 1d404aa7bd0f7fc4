"""Reads of the expiry dashboard and the stock valuation report.

Both cost a fixed number of queries whatever the number of items, lots, locations or moves:
the expiry report groups in the database; the valuation report reads what the posting service
keeps per item and per (item, location) (``inventory/models/costing.py``, the stock summaries),
never the ledger, and pages its lot/serial rows in SQL.
"""

from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, NullIf, TruncWeek
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from inventory.models import Balance, Company, ExpirySummary, Item, ItemCost, Location, LocationKind, StockSummary, ValuationMethod
from inventory.paging import grouped_pages
from inventory.quantities import QTY, ZERO
from inventory.selectors import expiry_window
from inventory.services.costing import lot_cost_expression

CENT = Decimal("0.01")
CHART_WEEKS = 12


def money(value: Decimal) -> Decimal:
    """A money amount as shown: two places, halves away from zero."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _on_hand(*, company: Company, item: Item | None = None, location: Location | None = None) -> QuerySet[Balance]:
    """Positive balances at the company's internal locations, optionally of one item / at one location."""
    rows = Balance.objects.on_hand().filter(company=company)
    if item is not None:
        rows = rows.filter(item=item)
    if location is not None:
        rows = rows.filter(location=location)
    return rows


# Expiry ---------------------------------------------------------------------------------------


def expiry_rows(
    *,
    company: Company,
    within_days: int | None = None,
    item: Item | None = None,
    location: Location | None = None,
    today: date | None = None,
) -> QuerySet[Balance]:
    """One row per (lot/serial, internal location) with stock, of the lots expired or expiring
    within ``within_days`` of today, or, when it is None, within each class's own alert period
    (``inventory.selectors.expiry_window``).

    Annotated with ``expired`` (expiry before today); ordered by expiry date, then item, number
    and location. Read from the balances' own copy of their lot's expiry date, soonest first
    from its index, whatever the number of lots.
    """
    today = today or timezone.localdate()
    return (
        _on_hand(company=company, item=item, location=location)
        .filter(expiry_date__isnull=False)
        .filter(expiry_window(company=company, within_days=within_days))
        .select_related("item", "lot", "location")
        .annotate(expired=Case(When(expiry_date__lt=today, then=Value(True)), default=Value(False), output_field=BooleanField()))
        .order_by("expiry_date", "item__sku", "lot_number", "location__code", "pk")
    )


def _expiring_on_hand(*, company: Company, item: Item | None = None, location: Location | None = None) -> QuerySet[ExpirySummary]:
    """The expiry summaries (quantity per item, internal location and expiry day) with stock, of
    one item / at one location when given: what the totals and the chart add up."""
    rows = ExpirySummary.objects.filter(company=company, quantity__gt=0, location__kind=LocationKind.INTERNAL)
    if item is not None:
        rows = rows.filter(item=item)
    if location is not None:
        rows = rows.filter(location=location)
    return rows


def expiry_totals(
    *,
    company: Company,
    within_days: int | None = None,
    item: Item | None = None,
    location: Location | None = None,
    today: date | None = None,
) -> dict[str, Decimal]:
    """``expired`` and ``expiring`` (not yet expired, inside the window) quantities of the rows
    ``expiry_rows`` lists for the same arguments, from the expiry summaries."""
    today = today or timezone.localdate()
    totals = (
        _expiring_on_hand(company=company, item=item, location=location)
        .filter(expiry_window(company=company, within_days=within_days))
        .aggregate(
            expired=Coalesce(Sum("quantity", filter=Q(expiry_date__lt=today)), Value(ZERO), output_field=QTY),
            expiring=Coalesce(Sum("quantity", filter=Q(expiry_date__gte=today)), Value(ZERO), output_field=QTY),
        )
    )
    return {"expired": totals["expired"], "expiring": totals["expiring"]}


@dataclass(frozen=True)
class WeekBucket:
    start: date  # a Monday
    quantity: Decimal

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


def expiry_weeks(
    *, company: Company, item: Item | None = None, location: Location | None = None, today: date | None = None, weeks: int = CHART_WEEKS
) -> list[WeekBucket]:
    """Quantity on hand at internal locations whose lot expires in each calendar week (Monday to
    Sunday), from the week holding today for ``weeks`` weeks; every week is listed, empty ones at 0.

    The current week counts from its Monday, so a lot that expired earlier this week is in the
    first bar. One query: the database groups by ``TruncWeek`` (Monday-based on SQLite and
    PostgreSQL alike), over the expiry summaries: one row per item, location and day.
    """
    today = today or timezone.localdate()
    first = today - timedelta(days=today.weekday())
    after = first + timedelta(weeks=weeks)
    grouped = (
        _expiring_on_hand(company=company, item=item, location=location)
        .filter(expiry_date__gte=first, expiry_date__lt=after)
        .annotate(week=TruncWeek("expiry_date"))
        .values("week")
        .annotate(total=Sum("quantity"))
        .order_by("week")
    )
    found = {_as_date(r["week"]): r["total"] for r in grouped}
    starts = [first + timedelta(weeks=n) for n in range(weeks)]
    return [WeekBucket(start=start, quantity=found.get(start, ZERO)) for start in starts]


def _as_date(value: object) -> date:
    # PostgreSQL's DATE_TRUNC returns a timestamp; Django converts it for a DateField, but be sure.
    return value.date() if hasattr(value, "date") and callable(value.date) else value


# Valuation ------------------------------------------------------------------------------------

GROUPINGS = ("item", "lot", "location")
PRECISE = DecimalField(max_digits=40, decimal_places=8)  # unrounded values and unit costs


@dataclass
class ValuationRow:
    """On-hand quantity and value of one item or (location, item)."""

    item_id: int
    sku: str
    item_name: str
    method: str
    quantity: Decimal = ZERO
    value: Decimal = ZERO  # unrounded; ``money()`` for display
    lot_id: int | None = None
    lot_number: str = ""
    location_id: int | None = None
    location_code: str = ""

    @property
    def on_hand(self) -> Decimal:  # the name the lot rows (balances) give it
        return self.quantity

    @property
    def unit_cost(self) -> Decimal:
        return self.value / self.quantity if self.quantity else ZERO

    @property
    def method_label(self) -> str:
        return ValuationMethod(self.method).label


@dataclass
class Valuation:
    # By item or location: computed rows. By lot: a queryset of balances (``valuation_lot_rows``),
    # annotated like a ValuationRow (``on_hand`` for its quantity).
    rows: list[ValuationRow] | QuerySet
    value: Decimal  # the total, unrounded; the same whichever the grouping


@dataclass
class _ItemCost:
    """What valuing one item needs, company-wide (a location filter never changes an item's
    cost): its ``ItemCost`` row and its standard cost, as read now."""

    method: str
    standard: Decimal
    on_hand: Decimal = ZERO
    unnumbered: Decimal = ZERO
    incoming_quantity: Decimal = ZERO
    incoming_value: Decimal = ZERO
    consumed_value: Decimal = ZERO
    unbound_quantity: Decimal = ZERO
    unbound_value: Decimal = ZERO
    unbound_consumed_value: Decimal = ZERO

    def unit_cost(self) -> Decimal:
        """Per-unit cost of this item's stock that carries no specific (lot) cost."""
        if self.method == ValuationMethod.STANDARD:
            return self.standard
        if self.method == ValuationMethod.AVERAGE:
            return self.incoming_value / self.incoming_quantity if self.incoming_quantity else self.standard
        if self.method == ValuationMethod.FIFO:
            covered, layered = self.on_hand, self.incoming_quantity
            value = self.incoming_value - self.consumed_value
        else:
            covered, layered = self.unnumbered, self.unbound_quantity
            value = self.unbound_value - self.unbound_consumed_value
        if not covered:
            return self.standard
        # Units no layer explains (a ledger older than its receipts) at standard cost.
        return (value + max(covered - layered, ZERO) * self.standard) / covered


COST_FIELDS = [f.name for f in fields(_ItemCost)][2:]


def stock_valuation(*, company: Company, by: str = "item", item: Item | None = None, location: Location | None = None) -> Valuation:
    """On-hand value at internal locations by item, by (item, lot/serial) or by (location, item).

    Each item is valued by its ``valuation_method``:

    * **specific** — a lot/serial balance at that lot's receipt cost: ``Lot.unit_cost``, else the
      unit cost of the first move that brought the lot into an internal location, else the item's
      standard cost. Its stock without a number (loosely bound serials, the unassigned excess of
      a receipt) has no lot to take a cost from and is valued by FIFO over the incoming moves
      that carried no bound lot, covering the unnumbered quantity on hand.
    * **fifo** — the on-hand quantity (all lots and locations together) is made of the most
      recent incoming moves: walk them newest first, taking each move's quantity × unit cost
      until the on-hand quantity is covered (the last move taken in part). Value = sum of those
      layers. Each row gets its share: value × its quantity / item on-hand quantity.
    * **average** — every incoming move of the item, all time:
      unit cost = Σ(quantity × unit cost) / Σ quantity; value = on-hand quantity × that cost.
      (The weighted average of all receipts, not a perpetual average recomputed after each
      issue; with no incoming move, the standard cost.)
    * **standard** — ``Item.unit_cost`` × on-hand quantity.

    "Incoming" is defined by ``inventory.services.costing.incoming_moves``: from a virtual
    location into an internal one, leaving out reversed moves and the reversals. Costs never
    depend on the ``location`` filter: it only chooses which stock is shown. Values are
    unrounded Decimals (``money()`` rounds for display); ``Valuation.value`` is the sum of the
    (location, item) values, so it is the same total whichever grouping is chosen.

    Read from what the posting service keeps (``inventory/models/costing.py``): the stock
    summaries per (item, location) with their lots' value, each item's cost row, and the
    unnumbered balances of specific-cost items — two queries whatever the data. By lot/serial,
    the rows are a queryset of balances (``valuation_lot_rows``: a lot/serial per location it
    lies at, the unnumbered stock per item) that the page pages in SQL.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {GROUPINGS}")
    places = _valued_places(company=company, item=item, location=location)
    total = sum((p.value for p in places), ZERO)
    if by == "lot":
        return Valuation(rows=valuation_lot_rows(company=company, item=item, location=location), value=total)
    rows: dict[tuple, ValuationRow] = {}
    for place in places:
        if by == "location":
            key, extra = (place.location_id, place.item_id), {"location_id": place.location_id, "location_code": place.location_code}
        else:
            key, extra = (place.item_id,), {}
        row = rows.get(key)
        if row is None:
            row = rows[key] = ValuationRow(item_id=place.item_id, sku=place.sku, item_name=place.item_name, method=place.method, **extra)
        row.quantity += place.quantity
        row.value += place.value
    if by == "location":
        ordered = sorted(rows.values(), key=lambda r: (r.location_code, r.location_id, r.sku, r.item_id))
    else:
        ordered = sorted(rows.values(), key=lambda r: (r.sku, r.item_id))
    return Valuation(rows=ordered, value=total)


def _valued_places(*, company: Company, item: Item | None = None, location: Location | None = None) -> list[ValuationRow]:
    """One row per (item, internal location) with stock, valued: the stock summary, the item's
    cost row, and (specific cost) the unnumbered balance there. Two queries."""
    cost = "item__cost__"
    summaries = StockSummary.objects.filter(company=company, quantity__gt=0, location__kind=LocationKind.INTERNAL)
    unnumbered = Balance.objects.filter(
        company=company,
        lot__isnull=True,
        quantity__gt=0,
        location__kind=LocationKind.INTERNAL,
        item__valuation_method=ValuationMethod.SPECIFIC,
    )
    if item is not None:
        summaries, unnumbered = summaries.filter(item=item), unnumbered.filter(item=item)
    if location is not None:
        summaries, unnumbered = summaries.filter(location=location), unnumbered.filter(location=location)
    unnumbered_at = {(i, loc): q for i, loc, q in unnumbered.values_list("item_id", "location_id", "quantity").order_by()}
    rows = summaries.values(
        "item_id",
        "location_id",
        "quantity",
        "lots_value",
        "location__code",
        "item__sku",
        "item__name",
        "item__valuation_method",
        "item__unit_cost",
        *(cost + name for name in COST_FIELDS),
    ).order_by()
    unit_costs: dict[int, Decimal] = {}
    places = []
    for r in rows:
        method, unit_cost = r["item__valuation_method"], unit_costs.get(r["item_id"])
        if unit_cost is None:
            state = {name: r[cost + name] for name in COST_FIELDS if r[cost + name] is not None}
            unit_cost = unit_costs[r["item_id"]] = _ItemCost(method=method, standard=r["item__unit_cost"], **state).unit_cost()
        quantity = r["quantity"]
        if method == ValuationMethod.SPECIFIC:
            loose = unnumbered_at.get((r["item_id"], r["location_id"]), ZERO)
            value = r["lots_value"] + (loose * unit_cost if loose else ZERO)
        else:
            value = quantity * unit_cost
        places.append(
            ValuationRow(
                item_id=r["item_id"],
                sku=r["item__sku"],
                item_name=r["item__name"],
                method=method,
                quantity=quantity,
                value=value,
                location_id=r["location_id"],
                location_code=r["location__code"],
            )
        )
    return places


# ``lot_number`` is the balance's copy of its lot's number (NULL unnumbered: last, as the page lists it).
LOT_WITHIN = (F("lot_number").asc(nulls_last=True), "location__code")


def valuation_lot_rows(*, company: Company, item: Item | None = None, location: Location | None = None) -> QuerySet[Balance]:
    """The lot/serial rows of the valuation, for the table to page in SQL: the positive balances
    of lots/serials at internal locations (a lot split between two locations is two rows), and
    the stock without a number as one row per item, ordered by item, number (unnumbered last)
    and location.

    Unless ``location`` is given, an item's unnumbered row is its balance at the first location
    (by id), standing for all of them: ``on_hand`` adds them up and ``places`` counts them. Every
    row is annotated with ``on_hand``, ``places``, ``unit_cost`` and ``value`` (``on_hand`` × the
    lot's cost for specific-cost numbered stock, × the item's unit cost as ``stock_valuation``
    computes it otherwise, from the item's cost row), ``sku``, ``item_name``, ``method`` and
    ``location_code`` (``lot_number`` is the balance's own): no query per row, and the lots'
    rows are balances as they are, so counting and ordering them reads indexes only.
    """
    rows = _on_hand(company=company, item=item, location=location)
    if location is not None:
        on_hand, places = F("quantity"), Value(1)
    else:
        # Balances are kept at internal locations only (see Balance): no join to check the kind.
        # The lots' rows are told by the balance's copy of the number, which the indexes of
        # positive balances hold: counting a page's worth of them reads an index only.
        loose = Balance.objects.filter(item=OuterRef("item_id"), lot__isnull=True, quantity__gt=0).order_by().values("item")
        rows = rows.filter(Q(lot_number__isnull=False) | ~Exists(loose.filter(location_id__lt=OuterRef("location_id"))))
        on_hand = Case(
            When(lot__isnull=True, then=Subquery(loose.annotate(total=Sum("quantity")).values("total"), output_field=QTY)),
            default=F("quantity"),
            output_field=QTY,
        )
        places = Case(When(lot__isnull=True, then=Subquery(loose.annotate(n=Count("pk")).values("n"))), default=Value(1))
    specific_lot = Q(item__valuation_method=ValuationMethod.SPECIFIC, lot__isnull=False)
    unit_cost = Case(When(specific_lot, then=lot_cost_expression(joined=False)), default=_item_unit_cost(), output_field=PRECISE)
    rows = (
        rows.annotate(
            sku=F("item__sku"),
            item_name=F("item__name"),
            method=F("item__valuation_method"),
            location_code=F("location__code"),
            on_hand=on_hand,
            places=places,
        )
        .annotate(unit_cost=unit_cost)
        .annotate(value=ExpressionWrapper(F("on_hand") * F("unit_cost"), output_field=PRECISE))
    )
    # A page is read item by item from the (item, lot number) index (inventory/paging.py).
    paged = grouped_pages(rows, field="item", order=("sku", "id"), within=LOT_WITHIN, groups=Item.objects.filter(company=company))
    return paged.order_by(*paged.page_order)


class _Dividend(Func):
    """A decimal about to be divided: SQLite stores whole decimals as integers and would divide
    them as integers (9 / 6 = 1), so there it is made a float first; PostgreSQL keeps numeric."""

    template = "%(expressions)s"
    output_field = PRECISE

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: object) -> tuple[str, list]:
        return super().as_sql(compiler, connection, template="CAST(%(expressions)s AS REAL)", **extra_context)


def _item_unit_cost() -> Case:
    """``_ItemCost.unit_cost`` as SQL, from the item's cost row and its standard cost.

    The cost row is read by a subquery, not a join: a page of rows ordered and cut by LIMIT
    reads it for its own rows only, and the order is left to the tables it is made of."""
    standard = F("item__unit_cost")

    def layered(quantity: str, covered: str, value: str, consumed: str) -> Coalesce:
        beyond = Greatest(F(covered) - F(quantity), Value(ZERO), output_field=QTY)
        worth = F(value) - F(consumed) + beyond * standard
        return Coalesce(ExpressionWrapper(_Dividend(worth) / NullIf(F(covered), Value(ZERO)), output_field=PRECISE), standard)

    average = ExpressionWrapper(_Dividend(F("incoming_value")) / NullIf(F("incoming_quantity"), Value(ZERO)), output_field=PRECISE)
    by_method = Case(
        When(item__valuation_method=ValuationMethod.AVERAGE, then=Coalesce(average, standard)),
        When(item__valuation_method=ValuationMethod.FIFO, then=layered("incoming_quantity", "on_hand", "incoming_value", "consumed_value")),
        default=layered("unbound_quantity", "unnumbered", "unbound_value", "unbound_consumed_value"),
        output_field=PRECISE,
    )
    row = ItemCost.objects.filter(item_id=OuterRef("item_id")).annotate(unit_cost=by_method).values("unit_cost")[:1]
    return Case(
        When(item__valuation_method=ValuationMethod.STANDARD, then=standard),
        default=Coalesce(Subquery(row, output_field=PRECISE), standard),
        output_field=PRECISE,
    )
