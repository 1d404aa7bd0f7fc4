"""The valuation report as it was before the cost state (``inventory/models/costing.py``): every
positive balance read and every incoming move walked in Python. Kept as the reference the new
report must agree with (``test_valuation_state_machine.py``); too slow for a large company
(67–79 s at 1,000,000 lots), plain enough to trust.

Copied from ``traceability/selectors/reports.py`` as it stood, unchanged but for the imports;
``assert_report_equals_reference`` compares the two, and the test at the end does on the mixed
stock of the report's own tests.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db.models import BooleanField, Case, DecimalField, F, Max, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from inventory.models import Balance, LocationKind, StockMove, ValuationMethod

ZERO = Decimal("0")
QTY = DecimalField(max_digits=18, decimal_places=4)
MONEY = DecimalField(max_digits=18, decimal_places=4)


def _on_hand(*, company, item=None, location=None):
    """Positive balances at the company's internal locations, optionally of one item / at one location."""
    rows = Balance.objects.filter(company=company, quantity__gt=0, location__kind=LocationKind.INTERNAL)
    if item is not None:
        rows = rows.filter(item=item)
    if location is not None:
        rows = rows.filter(location=location)
    return rows


GROUPINGS = ("item", "lot", "location")


@dataclass
class ValuationRow:
    """On-hand quantity and value of one item, (item, lot/serial) or (location, item)."""

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
    def unit_cost(self) -> Decimal:
        return self.value / self.quantity if self.quantity else ZERO

    @property
    def method_label(self) -> str:
        return ValuationMethod(self.method).label


@dataclass
class Valuation:
    rows: list[ValuationRow]
    value: Decimal  # sum of the rows' unrounded values


@dataclass
class _ItemCost:
    """What valuing one item needs, company-wide (a location filter never changes an item's cost)."""

    method: str
    standard: Decimal
    on_hand: Decimal = ZERO
    unnumbered: Decimal = ZERO
    incoming_quantity: Decimal = ZERO
    incoming_value: Decimal = ZERO
    layers_value: Decimal = ZERO  # value of the FIFO layers still on hand
    layers_left: Decimal = ZERO  # quantity the layers have yet to cover while walking them

    def unit_cost(self) -> Decimal:
        """Per-unit cost of this item's stock that carries no specific (lot) cost."""
        if self.method == ValuationMethod.STANDARD:
            return self.standard
        if self.method == ValuationMethod.AVERAGE:
            return self.incoming_value / self.incoming_quantity if self.incoming_quantity else self.standard
        covered = self.on_hand if self.method == ValuationMethod.FIFO else self.unnumbered
        if not covered:
            return self.standard
        # Units no remaining layer explains (a ledger older than its receipts) at standard cost.
        return (self.layers_value + self.layers_left * self.standard) / covered


def _incoming_moves(*, company):
    """Moves that brought stock into the company: from a virtual location (supplier, customer,
    production, adjustment) to an internal one. A move later reversed and the reversal moves
    themselves are left out: they cancel each other in the on-hand quantity too."""
    reversed_ids = StockMove.objects.filter(company=company, reverses__isnull=False).values("reverses_id")
    return (
        StockMove.objects.filter(company=company, to_location__kind=LocationKind.INTERNAL, reverses__isnull=True)
        .exclude(from_location__kind=LocationKind.INTERNAL)
        .exclude(pk__in=reversed_ids)
    )


def reference_valuation(*, company, by: str = "item", item=None, location=None) -> Valuation:
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
      layers. Each balance gets its share: value × balance quantity / item on-hand quantity.
    * **average** — every incoming move of the item, all time:
      unit cost = Σ(quantity × unit cost) / Σ quantity; value = on-hand quantity × that cost.
      (The weighted average of all receipts, not a perpetual average recomputed after each
      issue; with no incoming move, the standard cost.)
    * **standard** — ``Item.unit_cost`` × on-hand quantity.

    "Incoming" is defined by ``_incoming_moves``. Costs never depend on the ``location`` filter:
    it only chooses which balances are shown. Values are unrounded Decimals (``money()`` rounds
    for display); ``Valuation.value`` is the sum of the unrounded rows, so it is the same total
    whichever grouping is chosen.

    Three queries whatever the data: the balances, the items' company-wide on-hand, and the
    incoming moves grouped by (item, time, unit cost), read once newest first.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {GROUPINGS}")
    first_cost = (
        StockMove.objects.filter(to_lot=OuterRef("lot_id"), to_location__kind=LocationKind.INTERNAL)
        .order_by("created_at", "pk")
        .values("unit_cost")[:1]
    )
    balances = list(
        _on_hand(company=company, item=item, location=location)
        .annotate(lot_cost=Coalesce(F("lot__unit_cost"), Subquery(first_cost, output_field=MONEY)))
        .values(
            "item_id",
            "lot_id",
            "location_id",
            "quantity",
            "lot_cost",
            "item__sku",
            "item__name",
            "item__valuation_method",
            "item__unit_cost",
            "lot__number",
            "location__code",
        )
        .order_by()
    )
    costs = _item_costs(company=company, item=item, location=location) if balances else {}

    rows: dict[tuple, ValuationRow] = {}
    total = ZERO
    for b in balances:
        cost = costs[b["item_id"]]
        quantity = b["quantity"]
        numbered = b["lot_id"] is not None
        if cost.method == ValuationMethod.SPECIFIC and numbered:
            value = quantity * (b["lot_cost"] if b["lot_cost"] is not None else cost.standard)
        else:
            value = quantity * cost.unit_cost()
        key, extra = _row_key(by, b)
        row = rows.get(key)
        if row is None:
            row = rows[key] = ValuationRow(item_id=b["item_id"], sku=b["item__sku"], item_name=b["item__name"], method=cost.method, **extra)
        row.quantity += quantity
        row.value += value
        total += value
    ordered = sorted(rows.values(), key=_row_order(by))
    return Valuation(rows=ordered, value=total)


def _row_key(by: str, b: dict) -> tuple[tuple, dict]:
    if by == "lot":
        return (b["item_id"], b["lot_id"]), {"lot_id": b["lot_id"], "lot_number": b["lot__number"] or ""}
    if by == "location":
        return (b["location_id"], b["item_id"]), {"location_id": b["location_id"], "location_code": b["location__code"]}
    return (b["item_id"],), {}


def _row_order(by: str):
    if by == "lot":
        return lambda r: (r.sku, r.item_id, r.lot_id is None, r.lot_number, r.lot_id or 0)
    if by == "location":
        return lambda r: (r.location_code, r.location_id, r.sku, r.item_id)
    return lambda r: (r.sku, r.item_id)


def _item_costs(*, company, item, location) -> dict[int, _ItemCost]:
    """Per item in stock (at ``location`` if given): company-wide on-hand (all and unnumbered),
    the incoming totals (average) and the FIFO layers still on hand. Two queries however many items."""
    shown = _on_hand(company=company, item=item, location=location).values("item_id")
    on_hand = (
        _on_hand(company=company, item=item)
        .filter(item_id__in=shown)
        .values("item_id", "item__valuation_method", "item__unit_cost")
        .annotate(
            total=Sum("quantity"),
            unnumbered=Coalesce(Sum("quantity", filter=Q(lot__isnull=True)), Value(ZERO), output_field=QTY),
        )
        .order_by()
    )
    costs: dict[int, _ItemCost] = {}
    for r in on_hand:
        cost = _ItemCost(method=r["item__valuation_method"], standard=r["item__unit_cost"], on_hand=r["total"], unnumbered=r["unnumbered"])
        if cost.method == ValuationMethod.FIFO:
            cost.layers_left = cost.on_hand
        elif cost.method == ValuationMethod.SPECIFIC:
            cost.layers_left = cost.unnumbered
        costs[r["item_id"]] = cost

    # Only the items whose cost depends on their receipts; grouped so that a receipt of 10,000
    # serials at one cost is one row.
    needs_moves = [ValuationMethod.FIFO, ValuationMethod.AVERAGE, ValuationMethod.SPECIFIC]
    unbound = Q(to_lot__isnull=True) | Q(binds_lot=False)
    layers = (
        _incoming_moves(company=company)
        .filter(item_id__in=shown, item__valuation_method__in=needs_moves)
        .annotate(unbound=Case(When(unbound, then=Value(True)), default=Value(False), output_field=BooleanField()))
        .values("item_id", "created_at", "unit_cost", "unbound")
        .annotate(quantity=Sum("quantity"), last_id=Max("pk"))
        .order_by("item_id", "-created_at", "-last_id")
    )
    for r in layers.iterator():
        cost = costs.get(r["item_id"])
        if cost is None:
            continue
        quantity, unit_cost = r["quantity"], r["unit_cost"]
        cost.incoming_quantity += quantity
        cost.incoming_value += quantity * unit_cost
        counts_as_layer = cost.method == ValuationMethod.FIFO or (cost.method == ValuationMethod.SPECIFIC and r["unbound"])
        if counts_as_layer and cost.layers_left > 0:
            taken = min(quantity, cost.layers_left)
            cost.layers_value += taken * unit_cost
            cost.layers_left -= taken
    return costs


# Comparing the report with it ---------------------------------------------------------------

# Values are compared to well past the cent: the report divides in the database (lot/serial
# rows) or adds per location, the reference per balance, so the last of 28 digits may differ.
CLOSE = Decimal("0.000000001")


def assert_report_equals_reference(*, company, by: str, item=None, location=None) -> None:
    """``stock_valuation`` gives the reference's rows, in its order, with its quantities, methods
    and (to ``CLOSE``) values and total; by lot/serial, a lot's rows at several locations taken
    together."""
    from traceability.selectors.reports import stock_valuation

    scope = {"company": company, "by": by, "item": item, "location": location}
    got, want = stock_valuation(**scope), reference_valuation(**scope)
    where = f"by {by}{f' at {location.code}' if location else ''}"
    assert abs(got.value - want.value) <= CLOSE, f"{where}: total {got.value}, reference {want.value}"
    rows: dict[tuple, list] = {}
    for row in got.rows:
        # By lot/serial the report lists a lot at each location it lies at; the reference once.
        key = (row.item_id, row.lot_id, row.location_id if by == "location" else None)
        if key in rows:
            assert by == "lot" and row.lot_id is not None, f"{where}: row {key} twice"
            rows[key][0] += row.on_hand
            rows[key][1] += row.value
        else:
            rows[key] = [row.on_hand, row.value, row.method]
    assert len(rows) == len(want.rows), f"{where}: {len(rows)} rows, reference {len(want.rows)}"
    for (key, (on_hand, value, method)), ref in zip(rows.items(), want.rows):
        assert key == (ref.item_id, ref.lot_id, ref.location_id), f"{where}: row {key}, reference {ref}"
        assert on_hand == ref.quantity, f"{where} {key}: on hand {on_hand}, reference {ref.quantity}"
        assert abs(value - ref.value) <= CLOSE, f"{where} {key}: value {value}, reference {ref.value}"
        assert method == ref.method, f"{where} {key}: method {method}, reference {ref.method}"


@pytest.mark.django_db
@pytest.mark.parametrize("by", ["item", "lot", "location"])
def test_valuation_reference_agrees_with_the_report_on_mixed_stock(company, warehouse, warehouse2, by):
    from .test_reports import _mixed_stock

    expected = _mixed_stock(company, warehouse, warehouse2)

    assert reference_valuation(company=company, by=by).value == expected
    assert_report_equals_reference(company=company, by=by)
    assert_report_equals_reference(company=company, by=by, location=warehouse2)
