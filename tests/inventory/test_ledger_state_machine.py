"""Random sequences of stock documents against a plain-Python model of on-hand stock.

The machine posts receipts, deliveries, transfers, returns, adjustments and reversals through
the real services, keeps open drafts (whose allocations reserve stock), puts lots on hold, and
tries operations that must be refused. Its model predicts, before each step, whether the step
is allowed and which numbers the allocation must reject; after every step the database must
agree with the model and pass ``ledger_verify``.

Each Hypothesis example runs inside a savepoint that teardown rolls back, so examples share the
test database but never see each other's rows.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from inventory.exceptions import InsufficientStock, InventoryError, NotIssuable, SerialConflict
from inventory.models import Balance, Document, DocumentKind, DocumentStatus, LocationKind, Lot, MoveReason, StockMove, Tracking
from inventory.selectors import ledger_verify
from inventory.services import (
    MoveSpec,
    document_cancel,
    document_create,
    document_line_add,
    document_post,
    line_allocate,
    lot_hold,
    lot_release,
    moves_post,
    virtual_location,
)
from tests.inventory.factories import CompanyFactory, ItemFactory, LocationFactory, LotClassFactory

ZERO = Decimal("0")
ONE = Decimal("1")
SERIALS = [f"S{n:03d}" for n in range(1, 31)]
LOTS = ["L01", "L02", "L03", "L04"]
QUANTITIES = [Decimal(q) for q in ("1", "2", "3", "5", "8", "0.5", "2.25")]
WAREHOUSES = ["WH1", "WH2"]
SER, LOT, RAW = "SER", "LOT", "RAW"
SUP, CUS, ADJ = "SUPPLIER", "CUSTOMER", "ADJUSTMENT"  # virtual ends, by code
ISSUING = {CUS}  # destinations where held lots cannot go

# kind → (from, to): "WH" is the warehouse the rule picks, "WH'" the other one.
KIND_ENDS = {
    DocumentKind.RECEIPT: (SUP, "WH"),
    DocumentKind.CUSTOMER_RETURN: (CUS, "WH"),
    "adjustment_in": (ADJ, "WH"),
    DocumentKind.DELIVERY: ("WH", CUS),
    DocumentKind.SUPPLIER_RETURN: ("WH", SUP),
    "adjustment_out": ("WH", ADJ),
    DocumentKind.TRANSFER: ("WH", "WH'"),
}
INCOMING_KINDS = [DocumentKind.RECEIPT, DocumentKind.CUSTOMER_RETURN, "adjustment_in"]
OUTGOING_KINDS = [DocumentKind.DELIVERY, DocumentKind.SUPPLIER_RETURN, "adjustment_out"]

SETTINGS = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    # No shrinking: against a database it runs for minutes and then gives up. A failure prints
    # its full step list (at most 25 steps) and is replayed first on the next run; add
    # Phase.shrink here locally to boil one down.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)


@dataclass(frozen=True)
class Leg:
    """One number (or the unnumbered quantity) of one item on a document."""

    item: str
    number: str | None
    quantity: Decimal


@dataclass
class Doc:
    pk: int
    kind: str
    source: str
    destination: str
    legs: list[Leg]
    draft: bool = False

    @property
    def incoming(self) -> bool:
        return self.source not in WAREHOUSES

    def reserved(self) -> dict[tuple, Decimal]:
        """What this draft promises to take: (item, number, location) → quantity."""
        if not self.draft or self.incoming:
            return {}
        return {(leg.item, leg.number, self.source): leg.quantity for leg in self.legs if leg.number is not None}

    def pending_numbers(self) -> set[tuple[str, str]]:
        """Numbers this draft holds: nobody else may enter them while it is open."""
        if not self.draft:
            return set()
        return {(leg.item, leg.number) for leg in self.legs if leg.number is not None}


@dataclass
class Model:
    on_hand: dict[tuple, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    lots_known: set[tuple[str, str]] = field(default_factory=set)  # (item, number) with a Lot row
    held: set[tuple[str, str]] = field(default_factory=set)
    posted: list[Doc] = field(default_factory=list)
    drafts: list[Doc] = field(default_factory=list)

    def deltas(self, source: str, destination: str, legs: list[Leg]) -> dict[tuple, Decimal]:
        out: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
        for leg in legs:
            if source in WAREHOUSES:
                out[(leg.item, leg.number, source)] -= leg.quantity
            if destination in WAREHOUSES:
                out[(leg.item, leg.number, destination)] += leg.quantity
        return out

    def reserved_by_others(self, key: tuple, exclude: Doc | None = None) -> Decimal:
        return sum((d.reserved().get(key, ZERO) for d in self.drafts if d is not exclude), ZERO)

    def pending_elsewhere(self, item: str, number: str, exclude: Doc | None = None) -> bool:
        return any((item, number) in d.pending_numbers() for d in self.drafts if d is not exclude)

    def serial_places(self, number: str, on_hand=None) -> list[str]:
        on_hand = self.on_hand if on_hand is None else on_hand
        return [loc for (item, n, loc), q in on_hand.items() if item == SER and n == number and q > 0]

    def received_from_supplier(self, item: str, number: str) -> bool:
        return any(d.source == SUP and any((leg.item, leg.number) == (item, number) for leg in d.legs) for d in self.posted)

    def refusals(self, source: str, destination: str, legs: list[Leg]) -> set[str]:
        """Numbers the allocation of a new document must reject."""
        refused = set()
        for leg in legs:
            if leg.number is None:
                continue
            if source in WAREHOUSES:
                key = (leg.item, leg.number, source)
                free = self.on_hand[key] - self.reserved_by_others(key)
                if free < leg.quantity or self.on_hand[key] <= 0:
                    refused.add(leg.number)
                elif destination == SUP and not self.received_from_supplier(leg.item, leg.number):
                    refused.add(leg.number)  # a supplier return takes what came from a supplier
                elif destination in ISSUING and (leg.item, leg.number) in self.held:
                    refused.add(leg.number)
            else:
                if leg.item == SER and (self.serial_places(leg.number) or self.pending_elsewhere(SER, leg.number)):
                    refused.add(leg.number)
                if leg.item == LOT and (LOT, leg.number) not in self.lots_known and self.pending_elsewhere(LOT, leg.number):
                    refused.add(leg.number)
        return refused

    def postable(self, source: str, destination: str, legs: list[Leg], *, exclude: Doc | None = None, reversal: bool = False) -> str | None:
        """Why posting these legs must fail, or None when it must succeed."""
        deltas = self.deltas(source, destination, legs)
        after = defaultdict(lambda: ZERO, self.on_hand)
        for key, delta in deltas.items():
            if delta < 0:
                free = self.on_hand[key] - self.reserved_by_others(key, exclude)
                if free + delta < 0:
                    return f"short of {key}: {free} free, {-delta} wanted"
            after[key] += delta
        for leg in legs:
            if leg.item == SER and len(self.serial_places(leg.number, after)) > 1:
                return f"serial {leg.number} would be in two places"
            if leg.item == SER and any(after[(SER, leg.number, w)] > 1 for w in WAREHOUSES):
                return f"serial {leg.number} would be in one place twice"
            if not reversal and destination in ISSUING and leg.number is not None and (leg.item, leg.number) in self.held:
                return f"{leg.number} is on hold"
        return None

    def apply(self, source: str, destination: str, legs: list[Leg]) -> None:
        for key, delta in self.deltas(source, destination, legs).items():
            self.on_hand[key] += delta
        for leg in legs:
            if leg.number is not None:
                self.lots_known.add((leg.item, leg.number))


def _up_to(limit: Decimal) -> list[Decimal]:
    """Quantities worth trying when at most ``limit`` is there: all of it, or a part."""
    return sorted({limit} | {q for q in QUANTITIES if q < limit})


def db_snapshot():
    balances = sorted(Balance.objects.values_list("item_id", "lot_id", "location_id", "quantity"), key=str)
    lots = sorted(Lot.objects.values_list("id", "number", "in_stock", "last_location_id", "status"))
    return balances, lots, StockMove.objects.count()


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        company = CompanyFactory()
        self.company = company
        self.locations = {code: LocationFactory(company=company, code=code) for code in WAREHOUSES}
        for code, kind in ((SUP, LocationKind.SUPPLIER), (CUS, LocationKind.CUSTOMER), (ADJ, LocationKind.ADJUSTMENT)):
            self.locations[code] = virtual_location(company, kind)
        self.code_of = {loc.pk: code for code, loc in self.locations.items()}
        lot_class = LotClassFactory(company=company, tracking=Tracking.LOT, segments=[("constant", "L"), ("counter", "01")])
        self.items = {
            SER: ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.SERIAL)),
            LOT: ItemFactory(company=company, lot_class=lot_class),
            RAW: ItemFactory(company=company, lot_class=None),
        }
        self.key_of = {item.pk: key for key, item in self.items.items()}
        self.model = Model()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- drawing operations ----------------------------------------------------------------

    def _draw_legs(self, data, source: str, destination: str, *, sane: bool = False) -> list[Leg]:
        """A few legs. Mostly ones the model says will pass, so that stock builds up and moves;
        otherwise anything from the pools, which often must be refused."""
        if not sane and data.draw(st.integers(0, 3), label="anything goes") == 0:
            return self._draw_any_legs(data, source=source)
        model, legs = self.model, []
        incoming = source not in WAREHOUSES
        if incoming:
            free = [n for n in SERIALS if not model.serial_places(n) and not model.pending_elsewhere(SER, n)]
        else:
            free = [
                n
                for n in SERIALS
                if model.on_hand[(SER, n, source)] == 1
                and not model.pending_elsewhere(SER, n)
                and not (destination in ISSUING and (SER, n) in model.held)
            ]
        if free and data.draw(st.integers(0, 3), label="serials") > 0:
            numbers = data.draw(st.lists(st.sampled_from(free), min_size=1, max_size=3, unique=True), label="serial numbers")
            legs += [Leg(SER, n, ONE) for n in numbers]
        if incoming:
            lots = {n: Decimal(8) for n in LOTS if (LOT, n) in model.lots_known or not model.pending_elsewhere(LOT, n)}
        else:
            lots = {
                n: model.on_hand[(LOT, n, source)] - model.reserved_by_others((LOT, n, source))
                for n in LOTS
                if not (destination in ISSUING and (LOT, n) in model.held)
            }
            lots = {n: q for n, q in lots.items() if q > 0}
        if lots and data.draw(st.booleans(), label="lot"):
            number = data.draw(st.sampled_from(sorted(lots)), label="lot number")
            legs.append(Leg(LOT, number, data.draw(st.sampled_from(_up_to(lots[number])), label="lot quantity")))
        raw = Decimal(8) if incoming else model.on_hand[(RAW, None, source)]
        if raw > 0 and (not legs or data.draw(st.booleans(), label="unnumbered")):
            legs.append(Leg(RAW, None, data.draw(st.sampled_from(_up_to(raw)), label="unnumbered quantity")))
        return legs or self._draw_any_legs(data, source=source)

    def _draw_any_legs(self, data, *, source: str) -> list[Leg]:
        legs = []
        if data.draw(st.booleans(), label="serials"):
            here = sorted({n for (item, n, loc), q in self.model.on_hand.items() if item == SER and loc == source and q > 0})
            numbers = data.draw(st.lists(st.sampled_from(here + SERIALS), min_size=1, max_size=4, unique=True), label="serial numbers")
            legs += [Leg(SER, n, ONE) for n in numbers]
        if data.draw(st.booleans(), label="lot"):
            number = data.draw(st.sampled_from(LOTS), label="lot number")
            legs.append(Leg(LOT, number, data.draw(st.sampled_from(QUANTITIES), label="lot quantity")))
        if not legs or data.draw(st.booleans(), label="unnumbered"):
            legs.append(Leg(RAW, None, data.draw(st.sampled_from(QUANTITIES), label="unnumbered quantity")))
        return legs

    def _ends(self, kind: str, warehouse: str) -> tuple[str, str]:
        other = next(w for w in WAREHOUSES if w != warehouse)
        source, destination = KIND_ENDS[kind]
        resolve = {"WH": warehouse, "WH'": other}
        return resolve.get(source, source), resolve.get(destination, destination)

    # --- talking to the services --------------------------------------------------------------

    def _draft(self, kind: str, source: str, destination: str, legs: list[Leg]):
        """Create the draft, add its lines, allocate its numbers.

        Returns the document, the numbers rejected one by one, and the numbers of lines whose
        allocation raised as a whole.
        """
        loc = self.locations
        if kind.startswith("adjustment"):
            ends = {"to_location": loc[destination]} if kind == "adjustment_in" else {"from_location": loc[source]}
            document = document_create(company=self.company, kind=DocumentKind.ADJUSTMENT, **ends)
        else:
            document = document_create(company=self.company, kind=kind, from_location=loc[source], to_location=loc[destination])
        refused: set[str] = set()
        wholesale: list[set[str]] = []
        for item_key in (SER, LOT, RAW):
            mine = [leg for leg in legs if leg.item == item_key]
            if not mine:
                continue
            quantity = sum((leg.quantity for leg in mine), ZERO)
            line = document_line_add(document=document, item=self.items[item_key], quantity=quantity)
            if item_key == RAW:
                continue
            numbers = [leg.number for leg in mine]
            try:
                # Confirmed: a return of unknown origin, a new number for unnumbered stock (each has its own tests).
                outcome = line_allocate(line=line, numbers=numbers, quantity=None if item_key == SER else quantity, confirm=True)
            except InventoryError:
                wholesale.append(set(numbers))  # refused as a whole (e.g. a serial promised elsewhere)
                continue
            refused |= {r.number for r in outcome.rejected}
        return document, refused, wholesale

    def _attempt(self, kind: str, warehouse: str, legs: list[Leg], *, keep_draft: bool = False) -> None:
        source, destination = self._ends(kind, warehouse)
        model = self.model
        expected_refused = model.refusals(source, destination, legs)
        why_not = model.postable(source, destination, legs)
        before = db_snapshot()
        document, refused, wholesale = self._draft(kind, source, destination, legs)
        whole = set().union(*wholesale)
        assert refused == expected_refused - whole, (
            f"{kind} {source}→{destination} {legs}: allocation rejected {sorted(refused)}, expected {sorted(expected_refused)}"
        )
        for numbers in wholesale:
            assert numbers & expected_refused, f"{kind} {source}→{destination} {legs}: allocation of {sorted(numbers)} raised"
        refused |= whole
        event(
            f"{kind}: "
            + ("numbers rejected" if refused else "kept as draft" if keep_draft else "posted" if why_not is None else "post refused")
        )
        doc = Doc(document.pk, kind, source, destination, legs)
        if refused:
            if not doc.incoming:  # an under-allocated outgoing line cannot post
                try:
                    document_post(document=document)
                except InventoryError:
                    pass
                else:
                    raise AssertionError(f"{kind} posted although {sorted(refused)} were rejected")
            document_cancel(document=document)
            assert db_snapshot() == before, "a refused document changed stock"
            return
        if keep_draft:
            doc.draft = True
            model.drafts.append(doc)
            return
        self._post(doc, document, why_not, before)

    def _post(self, doc: Doc, document, why_not: str | None, before) -> None:
        model = self.model
        if why_not is None:
            try:
                document_post(document=document)
            except InventoryError as exc:
                raise AssertionError(f"{doc.kind} {doc.source}→{doc.destination} {doc.legs} refused: {exc}") from exc
            model.apply(doc.source, doc.destination, doc.legs)
            doc.draft = False
            model.posted.append(doc)
            return
        try:
            document_post(document=document)
        except InventoryError:
            pass
        else:
            raise AssertionError(f"{doc.kind} {doc.source}→{doc.destination} {doc.legs} posted although {why_not}")
        assert db_snapshot() == before, f"a refused {doc.kind} changed stock"
        document_cancel(document=document)
        doc.draft = False

    # --- rules ------------------------------------------------------------------------------------

    @initialize(data=st.data())
    def opening_stock(self, data):
        """Both warehouses start with something, so that issues and transfers have stock to take."""
        for warehouse in WAREHOUSES:
            self._attempt(DocumentKind.RECEIPT, warehouse, self._draw_legs(data, SUP, warehouse, sane=True))

    @rule(data=st.data(), kind=st.sampled_from(INCOMING_KINDS), warehouse=st.sampled_from(WAREHOUSES))
    def stock_comes_in(self, data, kind, warehouse):
        self._attempt(kind, warehouse, self._draw_legs(data, *self._ends(kind, warehouse)))

    @rule(data=st.data(), kind=st.sampled_from(OUTGOING_KINDS), warehouse=st.sampled_from(WAREHOUSES))
    def stock_goes_out(self, data, kind, warehouse):
        self._attempt(kind, warehouse, self._draw_legs(data, *self._ends(kind, warehouse)))

    @rule(data=st.data(), warehouse=st.sampled_from(WAREHOUSES))
    def stock_is_transferred(self, data, warehouse):
        self._attempt(DocumentKind.TRANSFER, warehouse, self._draw_legs(data, *self._ends(DocumentKind.TRANSFER, warehouse)))

    @precondition(lambda self: len(self.model.drafts) < 3)
    @rule(data=st.data(), kind=st.sampled_from([DocumentKind.RECEIPT, DocumentKind.DELIVERY]), warehouse=st.sampled_from(WAREHOUSES))
    def draft_opens(self, data, kind, warehouse):
        self._attempt(kind, warehouse, self._draw_legs(data, *self._ends(kind, warehouse)), keep_draft=True)

    @precondition(lambda self: self.model.drafts)
    @rule(data=st.data(), post=st.booleans())
    def draft_is_posted_or_cancelled(self, data, post):
        model = self.model
        doc = data.draw(st.sampled_from(model.drafts), label="draft")
        document = Document.objects.get(pk=doc.pk)
        if post:
            why_not = model.postable(doc.source, doc.destination, doc.legs, exclude=doc)
            event(f"draft {doc.kind}: " + ("posted" if why_not is None else "refused"))
            before = db_snapshot()
            model.drafts.remove(doc)
            self._post(doc, document, why_not, before)
            return
        before = db_snapshot()
        document_cancel(document=document)
        model.drafts.remove(doc)
        assert db_snapshot() == before

    @precondition(lambda self: self.model.posted)
    @rule(data=st.data())
    def posted_document_is_reversed(self, data):
        model = self.model
        doc = data.draw(st.sampled_from(model.posted), label="posted document")
        why_not = model.postable(doc.destination, doc.source, doc.legs, reversal=True)
        event(f"reversal of {doc.kind}: " + ("posted" if why_not is None else "refused"))
        before = db_snapshot()
        document = Document.objects.get(pk=doc.pk)
        if why_not is None:
            try:
                document_cancel(document=document)
            except InventoryError as exc:
                raise AssertionError(f"reversal of {doc.kind} {doc.source}→{doc.destination} {doc.legs} refused: {exc}") from exc
            model.apply(doc.destination, doc.source, doc.legs)
            model.posted.remove(doc)
            document.refresh_from_db()
            assert document.status == DocumentStatus.REVERSED
            return
        try:
            document_cancel(document=document)
        except InventoryError:
            pass
        else:
            raise AssertionError(f"reversal of {doc.kind} {doc.source}→{doc.destination} {doc.legs} posted although {why_not}")
        assert db_snapshot() == before, "a refused reversal changed stock"
        document.refresh_from_db()
        assert document.status == DocumentStatus.POSTED

    @precondition(lambda self: self.model.lots_known)
    @rule(data=st.data(), hold=st.booleans())
    def lot_is_held_or_released(self, data, hold):
        model = self.model
        item_key, number = data.draw(st.sampled_from(sorted(model.lots_known)), label="lot")
        lot = Lot.objects.get(item=self.items[item_key], number=number)
        if hold:
            lot_hold(lot=lot, reason="quality check")
            model.held.add((item_key, number))
        else:
            lot_release(lot=lot)
            model.held.discard((item_key, number))

    # --- operations that must be refused -------------------------------------------------------

    @rule(
        data=st.data(),
        what=st.sampled_from(
            [
                "deliver too much",
                "deliver a serial not here",
                "receive a serial in stock",
                "post a serial in stock",
                "post more than free",
                "post a held lot to a customer",
            ]
        ),
        warehouse=st.sampled_from(WAREHOUSES),
    )
    def invalid_operation_is_refused(self, data, what, warehouse):
        """One rule for all of them: Hypothesis' swarm testing switches whole rules off per example."""
        model = self.model
        in_stock = sorted({n for (item, n, _), q in model.on_hand.items() if item == SER and q > 0})
        event(f"invalid: {what}")
        if what == "deliver too much":
            item_key = data.draw(st.sampled_from([LOT, RAW]), label="item")
            number = data.draw(st.sampled_from(LOTS), label="lot number") if item_key == LOT else None
            legs = [
                Leg(item_key, number, model.on_hand[(item_key, number, warehouse)] + data.draw(st.sampled_from(QUANTITIES), label="excess"))
            ]
            assert model.postable(warehouse, CUS, legs) is not None
            self._attempt(DocumentKind.DELIVERY, warehouse, legs)
        elif what == "deliver a serial not here":
            number = data.draw(st.sampled_from([n for n in SERIALS if model.on_hand[(SER, n, warehouse)] == 0] or SERIALS), label="serial")
            self._attempt(DocumentKind.DELIVERY, warehouse, [Leg(SER, number, ONE)])
        elif what == "receive a serial in stock" and in_stock:
            kind = data.draw(st.sampled_from(INCOMING_KINDS), label="kind")
            self._attempt(kind, warehouse, [Leg(SER, data.draw(st.sampled_from(in_stock), label="serial"), ONE)])
        elif what == "post a serial in stock" and in_stock:
            # Bypassing allocation: the posting service itself must refuse.
            lot = Lot.objects.get(item=self.items[SER], number=data.draw(st.sampled_from(in_stock), label="serial"))
            spec = MoveSpec(
                item=self.items[SER],
                quantity=ONE,
                from_location=self.locations[SUP],
                to_location=self.locations[warehouse],
                from_lot_id=lot.pk,
                to_lot_id=lot.pk,
            )
            self._engine_refuses(spec, SerialConflict)
        elif what == "post more than free" and model.lots_known:
            # Stock promised to an open draft counts as taken, so aim at it when there is some.
            promised = sorted({key for d in model.drafts for key in d.reserved() if key[2] == warehouse})
            choices = promised or sorted((item, number, warehouse) for item, number in model.lots_known)
            item_key, number, _ = key = data.draw(st.sampled_from(choices), label="lot")
            free = max(model.on_hand[key] - model.reserved_by_others(key), ZERO)
            if item_key == SER and free >= 1:
                return
            quantity = ONE if item_key == SER else free + data.draw(st.sampled_from(QUANTITIES), label="excess")
            lot = Lot.objects.get(item=self.items[item_key], number=number)
            spec = MoveSpec(
                item=self.items[item_key],
                quantity=quantity,
                from_location=self.locations[warehouse],
                to_location=self.locations[ADJ],
                from_lot_id=lot.pk,
                to_lot_id=lot.pk,
            )
            exc = self._engine_refuses(spec, InsufficientStock)
            assert "short by" in str(exc)

        elif what == "post a held lot to a customer":
            here = sorted(
                (item, number)
                for (item, number, loc), q in model.on_hand.items()
                if number is not None and loc == warehouse and q - model.reserved_by_others((item, number, loc)) >= 1
            )
            if not here:
                return
            item_key, number = data.draw(st.sampled_from(here), label="lot")
            lot = Lot.objects.get(item=self.items[item_key], number=number)
            lot_hold(lot=lot, reason="recall")
            model.held.add((item_key, number))
            spec = MoveSpec(
                item=self.items[item_key],
                quantity=ONE,
                from_location=self.locations[warehouse],
                to_location=self.locations[CUS],
                from_lot_id=lot.pk,
                to_lot_id=lot.pk,
            )
            self._engine_refuses(spec, NotIssuable)

    def _engine_refuses(self, spec: MoveSpec, error: type[InventoryError]) -> InventoryError:
        before = db_snapshot()
        try:
            moves_post(company=self.company, specs=[spec], reason=MoveReason.ADJUSTMENT)
        except error as exc:
            assert db_snapshot() == before, "a refused posting changed stock"
            return exc
        raise AssertionError(f"moves_post accepted {spec}")

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def ledger_balances(self):
        assert ledger_verify() == []

    @invariant()
    def no_balance_is_negative(self):
        assert not Balance.objects.filter(quantity__lt=0).exists()

    @invariant()
    def each_serial_is_in_one_place_once(self):
        places = defaultdict(list)
        for lot_id, quantity in Balance.objects.filter(lot__item=self.items[SER], quantity__gt=0).values_list("lot_id", "quantity"):
            places[lot_id].append(quantity)
        assert all(q == [ONE] for q in places.values()), dict(places)

    @invariant()
    def balances_match_the_model(self):
        numbers = dict(Lot.objects.filter(company=self.company).values_list("id", "number"))
        actual = {
            (self.key_of[item_id], numbers.get(lot_id), self.code_of[location_id]): quantity
            for item_id, lot_id, location_id, quantity in Balance.objects.filter(company=self.company)
            .exclude(quantity=0)
            .values_list("item_id", "lot_id", "location_id", "quantity")
        }
        expected = {key: q for key, q in self.model.on_hand.items() if q != 0}
        assert actual == expected


def test_ledger_state_machine_invariants_hold(db):
    run_state_machine_as_test(LedgerMachine, settings=SETTINGS)
