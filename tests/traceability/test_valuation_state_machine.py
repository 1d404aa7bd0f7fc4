"""Random sequences of stock documents, for each valuation method: after every step the valuation
report (read from the cost state the posting service keeps) equals the reference, the report as
it was when it walked the ledger (``test_valuation_reference.py``), by item, by lot/serial and by
location, with and without a location filter; and ``verify_ledger`` finds the cost state equal
to a rebuild from the moves.

The machine posts through the real services: receipts with numbers and without (what stays
unnumbered is numbered later), customer returns, adjustments in and out, deliveries (taking
serials, lots, or unnumbered stock numbered as it leaves), supplier returns, transfers,
reversals of any posted document, numbers assigned to unnumbered stock, and an item's method
or standard cost changed as an administrator would. A step the services refuse changes nothing
and is skipped: refusals have their own tests (``tests/inventory/test_ledger_state_machine.py``).

Each Hypothesis example runs inside a savepoint that teardown rolls back.
"""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from inventory.exceptions import InventoryError
from inventory.models import Balance, Document, DocumentKind, DocumentStatus, Tracking, TrackingScope, ValuationMethod
from inventory.selectors import ledger_verify
from inventory.services import document_cancel, document_create, document_line_add, document_post, line_allocate, unassigned_assign
from tests.inventory.factories import CompanyFactory, ItemFactory, LocationFactory, LotClassFactory

from .test_valuation_reference import assert_report_equals_reference

D = Decimal
ZERO = D("0")
SER, LOT, RAW, LOOSE = "SER", "LOT", "RAW", "LOOSE"
ITEMS = [SER, LOT, RAW, LOOSE]
WAREHOUSES = ["WH1", "WH2"]
COSTS = [D(c) for c in ("1", "2.5", "3.3333", "7", "10.125", "0")]
QUANTITIES = [D(q) for q in ("1", "2", "3", "5", "0.5", "2.25")]
LOT_NUMBERS = ["L1", "L2", "L3"]
INCOMING = [DocumentKind.RECEIPT, DocumentKind.CUSTOMER_RETURN, "adjustment_in"]
OUTGOING = [DocumentKind.DELIVERY, DocumentKind.SUPPLIER_RETURN, "adjustment_out", DocumentKind.TRANSFER]
SETTINGS = settings(
    max_examples=12,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)


class ValuationMachine(RuleBasedStateMachine):
    method = ValuationMethod.FIFO

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        company = CompanyFactory()
        self.company = company
        self.locations = {code: LocationFactory(company=company, code=code) for code in WAREHOUSES}
        serials = LotClassFactory(company=company, tracking=Tracking.SERIAL, batch_size=100)
        lots = LotClassFactory(company=company, tracking=Tracking.LOT, segments=[("constant", "L"), ("counter", "01")])
        fields = {"company": company, "valuation_method": self.method, "unit_cost": D("4")}
        self.items = {
            SER: ItemFactory(sku="SER", lot_class=serials, **fields),
            LOT: ItemFactory(sku="LOT", lot_class=lots, **fields),
            RAW: ItemFactory(sku="RAW", **fields),
            # Numbers recorded on customer moves only; its stock is kept without them (seed 003).
            LOOSE: ItemFactory(sku="LOOSE", lot_class=serials, tracking_scope=TrackingScope.DEBTOR, **fields),
        }
        self.posted: list[int] = []
        self.serial_count = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers ------------------------------------------------------------------------------

    def _new_serials(self, n: int) -> list[str]:
        numbers = [f"S{self.serial_count + i:04d}" for i in range(1, n + 1)]
        self.serial_count += n
        return numbers

    def _balance(self, key: str, warehouse: str, number: str | None = None) -> Decimal:
        rows = Balance.objects.filter(item=self.items[key], location=self.locations[warehouse])
        rows = rows.filter(lot__number=number) if number is not None else rows.filter(lot__isnull=True)
        return sum(rows.values_list("quantity", flat=True), ZERO)

    def _in_stock(self, key: str, warehouse: str) -> list[str]:
        return sorted(
            Balance.objects.filter(item=self.items[key], location=self.locations[warehouse], quantity__gt=0, lot__isnull=False).values_list(
                "lot__number", flat=True
            )
        )

    def _post(self, kind: str, warehouse: str, lines: list[tuple]) -> None:
        """Draft, allocate and post one document; ``lines`` are (item key, quantity, numbers,
        lot quantity, unit cost). A refusal cancels the draft and changes nothing."""
        location = self.locations[warehouse]
        other = self.locations[next(w for w in WAREHOUSES if w != warehouse)]
        if kind == "adjustment_in":
            ends = {"kind": DocumentKind.ADJUSTMENT, "to_location": location}
        elif kind == "adjustment_out":
            ends = {"kind": DocumentKind.ADJUSTMENT, "from_location": location}
        elif kind == DocumentKind.TRANSFER:
            ends = {"kind": kind, "from_location": location, "to_location": other}
        elif kind in INCOMING:
            ends = {"kind": kind, "to_location": location}
        else:
            ends = {"kind": kind, "from_location": location}
        document = document_create(company=self.company, **ends)
        try:
            for key, quantity, numbers, lot_quantity, cost in lines:
                line = document_line_add(document=document, item=self.items[key], quantity=quantity, unit_cost=cost)
                if numbers:
                    outcome = line_allocate(line=line, numbers=numbers, quantity=lot_quantity, confirm=True)
                    if outcome.rejected:
                        raise InventoryError([r.reason for r in outcome.rejected])
            document_post(document=document)
        except InventoryError:
            event(f"{kind}: refused")
            document_cancel(document=document)
            return
        event(f"{kind}: posted")
        self.posted.append(document.pk)

    def _incoming_line(self, data, key: str, kind: str) -> tuple:
        """A receipt or adjustment may leave numbers for later; a return names every one."""
        cost = data.draw(st.sampled_from(COSTS), label="unit cost")
        quantity = data.draw(st.sampled_from(QUANTITIES), label="quantity")
        named = kind == DocumentKind.CUSTOMER_RETURN
        if key == SER:
            count = data.draw(st.integers(1, 3), label="serials")
            numbered = count if named else data.draw(st.integers(0, count), label="numbered")
            return (SER, D(count), self._new_serials(numbered), None, cost)
        if key == LOT and (named or data.draw(st.booleans(), label="numbered")):
            return (LOT, quantity, [data.draw(st.sampled_from(LOT_NUMBERS), label="lot")], quantity, cost)
        if key == LOOSE:
            units = data.draw(st.integers(1, 3), label="units")
            # Numbers only on customer moves: kept in the record, not in the balance.
            return (LOOSE, D(units), self._new_serials(units) if named else None, None, cost)
        return (key, quantity, None, None, cost)

    def _outgoing_line(self, data, key: str, warehouse: str, kind: str) -> tuple | None:
        numbered = self._in_stock(key, warehouse)
        loose = self._balance(key, warehouse)
        if key == SER:
            taken = data.draw(st.lists(st.sampled_from(numbered), unique=True, max_size=2), label="serials") if numbered else []
            if loose >= 1 and (not taken or data.draw(st.booleans(), label="and unnumbered")):
                taken += self._new_serials(1)  # numbered as it leaves
            return (SER, D(len(taken)), taken, None, None) if taken else None
        if key == LOT and numbered and data.draw(st.booleans(), label="a lot"):
            number = data.draw(st.sampled_from(numbered), label="lot")
            here = self._balance(LOT, warehouse, number)
            quantity = data.draw(st.sampled_from(sorted({here} | {q for q in QUANTITIES if q < here})), label="lot quantity")
            return (LOT, quantity, [number], quantity, None)
        if loose <= 0:
            return None
        if key == LOOSE:
            units = D(data.draw(st.integers(1, int(loose)), label="units")) if loose >= 1 else None
            if units is None:
                return None
            numbers = self._new_serials(int(units)) if kind == DocumentKind.DELIVERY else None
            return (LOOSE, units, numbers, None, None)
        quantity = data.draw(st.sampled_from(sorted({loose} | {q for q in QUANTITIES if q < loose})), label="quantity")
        return (key, quantity, None, None, None)

    # --- rules -------------------------------------------------------------------------------

    @initialize(data=st.data())
    def opening_stock(self, data):
        for warehouse in WAREHOUSES:
            self._post(DocumentKind.RECEIPT, warehouse, [self._incoming_line(data, key, DocumentKind.RECEIPT) for key in ITEMS])

    @rule(data=st.data(), kind=st.sampled_from(INCOMING), warehouse=st.sampled_from(WAREHOUSES))
    def stock_comes_in(self, data, kind, warehouse):
        keys = data.draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=2, unique=True), label="items")
        self._post(kind, warehouse, [self._incoming_line(data, key, kind) for key in keys])

    @rule(data=st.data(), warehouse=st.sampled_from(WAREHOUSES))
    def stock_is_delivered(self, data, warehouse):
        self._issue(data, DocumentKind.DELIVERY, warehouse)

    @rule(data=st.data(), kind=st.sampled_from(OUTGOING), warehouse=st.sampled_from(WAREHOUSES))
    def stock_goes_out(self, data, kind, warehouse):
        self._issue(data, kind, warehouse)

    def _issue(self, data, kind: str, warehouse: str) -> None:
        keys = data.draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=2, unique=True), label="items")
        lines = [line for key in keys if (line := self._outgoing_line(data, key, warehouse, kind)) is not None]
        if lines:
            self._post(kind, warehouse, lines)

    @precondition(lambda self: self.posted)
    @rule(data=st.data())
    def posted_document_is_reversed(self, data):
        self._reverse(data.draw(st.sampled_from(self.posted), label="document"))

    @precondition(lambda self: self.posted)
    @rule()
    def newest_document_is_reversed(self):
        """Mostly what was just delivered coming back: FIFO takes back the newest layers it used."""
        self._reverse(self.posted[-1])

    def _reverse(self, pk: int) -> None:
        document = Document.objects.get(pk=pk)
        try:
            document_cancel(document=document)
        except InventoryError:
            event(f"reversal of {document.kind}: refused")
            return
        event(f"reversal of {document.kind}: posted")
        assert Document.objects.get(pk=pk).status == DocumentStatus.REVERSED
        self.posted.remove(pk)

    @rule(data=st.data(), key=st.sampled_from([SER, LOT]), warehouse=st.sampled_from(WAREHOUSES))
    def unnumbered_stock_is_numbered(self, data, key, warehouse):
        loose = self._balance(key, warehouse)
        if key == SER and loose >= 1:
            numbers, quantity = self._new_serials(data.draw(st.integers(1, int(loose)), label="units")), None
        elif key == LOT and loose > 0:
            numbers = [data.draw(st.sampled_from(LOT_NUMBERS), label="lot")]
            quantity = data.draw(st.sampled_from(sorted({loose} | {q for q in QUANTITIES if q < loose})), label="quantity")
        else:
            return
        try:
            document = unassigned_assign(item=self.items[key], location=self.locations[warehouse], numbers=numbers, quantity=quantity)
        except InventoryError:
            event("numbering: refused")
            return
        event("numbering: posted")
        self.posted.append(document.pk)

    @rule(key=st.sampled_from(ITEMS), method=st.sampled_from(ValuationMethod.values), cost=st.sampled_from(COSTS))
    def item_is_revalued_by_an_administrator(self, key, method, cost):
        item = self.items[key]
        item.valuation_method, item.unit_cost = method, cost
        item.save(update_fields=["valuation_method", "unit_cost"])

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def report_equals_the_reference(self):
        for location in (None, self.locations["WH1"]):
            for by in ("item", "location", "lot"):
                assert_report_equals_reference(company=self.company, by=by, location=location)

    @invariant()
    def cost_state_is_what_a_rebuild_makes(self):
        assert ledger_verify() == []


@pytest.mark.parametrize("method", ValuationMethod.values)
def test_valuation_state_machine_report_equals_the_reference(db, method):
    machine = type(f"ValuationMachine_{method}", (ValuationMachine,), {"method": method})
    run_state_machine_as_test(machine, settings=SETTINGS)
