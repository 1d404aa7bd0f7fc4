"""The traceability benchmark suite, found by ``manage.py bench`` (``--suite trace``).

It loads a large company in bulk, then opens as a signed-in user every list, report and tab of
the product that the installed apps' bench modules declare (their ``pages`` hooks, this one's
included; see ``inventory/bench_pages.py``): each once to warm up and check what it shows, then
``--runs`` times (5); the fastest run is reported with its query count (which must not grow with
the data) and its target.

The data is written with set-based SQL (``INSERT … SELECT`` over ``generate_series`` on
PostgreSQL, over a recursive counter on SQLite, which is for small sizes). This bypasses the
posting service on purpose, and only here: posting five million moves through it would take
hours, and this is bench data. It is written as the posting service would write it — every lot
received on a posted receipt document of a supplier, its moves chained from location to location,
one balance per lot at its final internal location holding what the moves leave there, and each
serial's last known state (``in_stock``, ``last_location``); then the stock summaries and the cost
state are built from them (``stock_summaries_rebuild``, ``costs_rebuild``) — so ``verify_ledger``
finds nothing to report (tests/traceability/test_bench_trace.py checks that). The few rows only
the pages need (stock received without numbers, a draft delivery) are made through the services,
as a clerk would.

What ``generate`` returns, the bench data the pages are declared on:

- ``company``, ``user`` (superuser member), ``items`` (ids of T000…T099), ``company_name``;
- ``item``, ``item_sku``: T000, lot-tracked; ``warehouse``, ``warehouse_code``: WH1;
- ``serial``, ``serial_number``: a serial in stock near the middle (the exact lookup);
  ``part``, ``part_match``: part of its number, and that number (the searches by part of a number);
- ``receipt``, ``receipt_number``, ``receipt_lot``: the posted receipt of that serial (100 lines);
  ``newest_receipt_number``; ``first_partner_name``, ``last_customer_name``;
- ``history``, ``history_number``, ``history_document``: a serial with 50 moves, in stock, and
  the document of its last move;
- ``unassigned_balance``, ``unassigned_sku``, ``unassigned_quantity``: stock without numbers;
- ``draft``, ``draft_number``, ``draft_line``: a draft delivery with one line of T000, proposed;
  ``lot``, ``candidate``: the first lot the line's dialog offers, and its number;
- ``filtered_lot``: a T000 lot on the first page of the list filtered by T000;
- ``finished``: a serial made from the recalled lot; ``recalled``: that lot (RAW-RECALL);
  ``recall_customers``, ``recall_units``: what its recall report counts;
- ``earliest_expiry``: the in-stock lot that expired first (the expiry report's first row).
"""

import time
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from inventory.bench_pages import GENEALOGY, GROUPED, HISTORY, LIST, RECALL, SEARCH, Page, declared_pages, pages_measure
from inventory.models import (
    Balance,
    Company,
    DocumentKind,
    DocumentStatus,
    Item,
    Location,
    LocationKind,
    LotKind,
    LotSerialClass,
    LotStatus,
    MoveReason,
    Partner,
    Tracking,
)
from inventory.selectors import allocation_candidates
from inventory.services import (
    company_create,
    costs_rebuild,
    document_create,
    document_line_add,
    document_post,
    document_totals_rebuild,
    line_allocate_proposed,
    location_create,
    membership_add,
    stock_summaries_rebuild,
)

SIZES = {
    "lots": (1_000_000, "lots and serials in the trace data set (trace suite)"),
    "moves": (5_000_000, "stock moves of those lots, at least one per lot (trace suite)"),
    "finished": (10_000, "finished serials made from the recalled lot (trace suite)"),
    "customers": (2_000, "customers those serials were delivered to (trace suite)"),
    "runs": (5, "times each page is opened after its warm-up, the fastest kept (trace suite)"),
    "clients": (20, "concurrent clients of the load suite (on the trace data set)"),
    "seconds": (60, "how long the load suite's clients work"),
    "workers": (4, "gunicorn workers the load suite starts"),
    "think": (1_000, "milliseconds a load client pauses between requests on average, as a clerk reads the page (0: none)", 0),
}

ITEMS = 100  # half lot-tracked (T000–T049), half serial-tracked (T050–T099)
WAREHOUSES = 4  # internal locations WH1–WH4; each move goes to the next one
LOT_QUANTITY = 10  # units in each lot (a serial is one)
WIDTH = 7  # digits of the generated numbers: S0000001, FIN0000001, CUST0000001, DL0000001, RC0000001
DAY = 86_400
PER_RECEIPT = 100  # consecutive lots received on one receipt document, one line each
SUPPLIERS = 20
SHELF_LIFE = 365  # days from receipt to expiry of a lot-tracked lot
EXPIRY_ALERT = 30  # the lot class's alert period, in days
HISTORY_MOVES = 50
HISTORY_NUMBER = "HIST-50"
UNASSIGNED_ITEMS = 10  # serial items received partly without numbers, at two warehouses
UNASSIGNED_EACH = 3


def suites():
    from .bench_load import run_load

    return [("trace", run), ("load", run_load)]


def check(options) -> None:
    lots, moves, finished, customers = (options[k] for k in ("lots", "moves", "finished", "customers"))
    limit = 10**WIDTH - 1
    if lots < ITEMS or lots > limit:
        raise CommandError(f"--lots must be between {ITEMS} (one per item) and {limit:,}")
    if moves < lots:
        raise CommandError("--moves must be at least --lots: every lot is received once")
    if finished > limit:
        raise CommandError(f"--finished must be at most {limit:,}")
    if customers > finished:
        raise CommandError("--customers must be at most --finished: every customer receives a serial")


@dataclass
class Plan:
    """Where the generated data puts things, and what the measured pages ask for."""

    lots: int
    moves: int
    finished: int
    customers: int

    @property
    def base(self) -> int:  # every lot has ``base`` moves, the first ``extra`` lots one more
        return self.moves // self.lots

    @property
    def extra(self) -> int:
        return self.moves % self.lots

    def moves_of(self, i: int) -> int:
        return self.base + (1 if i <= self.extra else 0)

    @staticmethod
    def delivered(i: int, m: int) -> bool:  # a quarter of the lots end with a delivery
        return m >= 2 and i % 4 == 0

    @staticmethod
    def is_serial(i: int) -> bool:
        return (i - 1) % ITEMS >= ITEMS // 2

    @staticmethod
    def receipt_of(i: int) -> int:
        """The receipt document (1, 2, …) lot ``i`` came in on, with the 99 lots around it."""
        return (i - 1) // PER_RECEIPT + 1

    @property
    def receipts(self) -> int:
        return self.receipt_of(self.lots)

    @property
    def spacing(self) -> int:  # seconds between two lots: the lots arrive over 300 days
        return max(1, 300 * DAY // self.lots)

    @property
    def gap(self) -> int:  # seconds between two moves of one lot: at most 6 hours, 90 days in all
        return max(1, min(6 * 3600, 90 * DAY // (self.base + 1)))

    def serial(self) -> int:
        """A serial near the middle of the data set, still in stock: ``moves_of`` it moves (5 at the
        default sizes), the last a transfer."""
        middle = self.lots // 2
        order = chain(range(middle, 0, -1), range(middle + 1, self.lots + 1))
        return next(i for i in order if self.is_serial(i) and not self.delivered(i, self.moves_of(i)))

    def part(self) -> str:
        """Part of the serial's number, neither its start nor its end: it is in about ten numbers."""
        return _number("S", self.serial())[2:7]

    def search(self) -> tuple[str, int]:
        """A number prefix shared by 1,000 consecutive lots, and the first of them (the load suite's
        lot list search)."""
        block = (self.lots // 2) // 1000
        return f"S{block:0{WIDTH - 3}d}", max(block * 1000, 1)


def run(measure, options) -> None:
    plan = Plan(options["lots"], options["moves"], options["finished"], options["customers"])
    started = time.perf_counter()
    data = generate(plan)
    # Every app's pages; a hook may first add the rows its pages need (work orders…).
    pages = declared_pages(data)
    if connection.vendor == "postgresql":
        # The planner statistics (ANALYZE) and visibility map (VACUUM) that autovacuum would give
        # the tables soon after such a load in production; without them the first plans are guesses.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    measure.note(
        f"trace: generated {plan.lots:,} lots/serials with {plan.moves:,} moves on {plan.receipts:,} receipts, and a lot "
        f"made into {plan.finished:,} serials delivered to {plan.customers:,} customers, in "
        f"{time.perf_counter() - started:.1f} s (not measured); opening {len(pages)} pages"
    )
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        pages_measure(measure, user=data["user"], data=data, pages=pages, runs=options["runs"])


# Pages ----------------------------------------------------------------------------------------


def _lot(d) -> dict:
    return {"lot_pk": d["lot"]}


def pages(data=None) -> list[Page]:
    """The traceability pages, on the data ``generate`` returns."""
    return [
        Page("lots", "traceability:lot-list", LIST, texts=lambda d: ["FIN0000001"]),
        Page(
            "lots_filtered",
            "traceability:lot-list",
            LIST,
            params=lambda d: {"status": LotStatus.ACTIVE, "item": d["item"]},
            texts=lambda d: [d["filtered_lot"]],
        ),
        Page("lots_searched", "traceability:lot-list", SEARCH, params=lambda d: {"q": d["part"]}, texts=lambda d: [d["part_match"]]),
        Page("lots_by_product", "traceability:lot-list", GROUPED, params=lambda d: {"group": "product"}, texts=lambda d: ["FIN0000001"]),
        Page("lot_create", "traceability:lot-create", LIST, texts=lambda d: [d["item_sku"]]),
        Page("lot", "traceability:lot-detail", LIST, kwargs=_lot, texts=lambda d: [d["candidate"]]),
        Page("lot_edit", "traceability:lot-update", LIST, kwargs=_lot, texts=lambda d: [d["candidate"]]),
        Page("lot_locations", "traceability:lot-locations", LIST, kwargs=_lot, texts=lambda d: [d["candidate"]]),
        Page("lot_archive", "traceability:lot-archive", LIST, kwargs=_lot, texts=lambda d: [d["candidate"]]),
        Page(
            "lot_history_50_moves",
            "traceability:lot-history",
            HISTORY,
            kwargs=lambda d: {"lot_pk": d["history"]},
            texts=lambda d: [d["history_number"], d["history_document"]],
        ),
        Page(
            "lot_genealogy_finished",
            "traceability:lot-genealogy",
            GENEALOGY,
            kwargs=lambda d: {"lot_pk": d["finished"]},
            texts=lambda d: ["RAW-RECALL"],
        ),
        Page(
            "lookup_exact",
            "traceability:lookup",
            SEARCH,
            params=lambda d: {"q": d["serial_number"]},
            status=302,
            redirect=lambda d: reverse("traceability:lot-detail", kwargs={"lot_pk": d["serial"]}),
        ),
        Page("lookup_partial", "traceability:lookup", SEARCH, params=lambda d: {"q": d["part"]}, texts=lambda d: [d["part_match"]]),
        Page(
            "recall",
            "traceability:recall",
            RECALL,
            params=lambda d: {"lot": d["recalled"]},
            texts=lambda d: [f'data-testid="total-customers">{d["recall_customers"]}<', f'data-testid="total-units">{d["recall_units"]}<'],
        ),
        Page("expiry", "traceability:expiry", LIST, texts=lambda d: [d["earliest_expiry"]]),
        Page("expiry_60_days", "traceability:expiry", LIST, params=lambda d: {"days": 60}, texts=lambda d: [d["earliest_expiry"]]),
        Page("valuation_by_item", "traceability:valuation", LIST, params=lambda d: {"by": "item"}, texts=lambda d: [d["item_sku"]]),
        Page("valuation_by_lot", "traceability:valuation", LIST, params=lambda d: {"by": "lot"}, texts=lambda d: [d["item_sku"]]),
        Page(
            "valuation_by_location",
            "traceability:valuation",
            LIST,
            params=lambda d: {"by": "location"},
            texts=lambda d: [d["warehouse_code"]],
        ),
        Page(
            "labels",
            "traceability:lot-labels",
            LIST,
            params=lambda d: {"lot": [d["lot"], d["history"]]},
            texts=lambda d: [d["candidate"], d["history_number"]],
        ),
    ]


# Generation -----------------------------------------------------------------------------------


def _number(prefix: str, n: int) -> str:
    return f"{prefix}{n:0{WIDTH}d}"


class SQL:
    """The few expressions that differ between PostgreSQL and SQLite."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"

    def series(self, n: int, name: str = "g", column: str = "i") -> tuple[str, str]:
        """(WITH clause, FROM item) of the integers 1..n."""
        n = int(n)
        if self.postgres:
            return "", f"generate_series(1, {n}) AS {name}({column})"
        return (
            f"WITH RECURSIVE {name}({column}) AS (SELECT 1 UNION ALL SELECT {column} + 1 FROM {name} WHERE {column} < {n})",
            name,
        )

    def pad(self, expr: str, width: int = WIDTH) -> str:
        if self.postgres:
            return f"lpad(CAST({expr} AS text), {width}, '0')"
        return f"substr('{'0' * width}' || ({expr}), -{width}, {width})"

    def at(self, seconds: str) -> str:
        """A timestamp from seconds since the epoch."""
        return f"to_timestamp({seconds})" if self.postgres else f"datetime({seconds}, 'unixepoch')"

    def day(self, seconds: str) -> str:
        return f"CAST(to_timestamp({seconds}) AS date)" if self.postgres else f"date({seconds}, 'unixepoch')"

    def number_index(self, column: str, prefix_length: int) -> str:
        return f"CAST(substr({column}, {prefix_length + 1}) AS integer)"

    def analyze(self, cursor, *tables: str) -> None:
        """Planner statistics of tables just filled, so the next statement joins them by hash
        (PostgreSQL would otherwise take them for empty and loop over one for each row of the other)."""
        if self.postgres:
            cursor.execute(f"ANALYZE {', '.join(tables)}")


def generate(plan: Plan) -> dict:
    """Write the data set; returns the bench data the pages are declared on (see the module's doc)."""
    sql = SQL()
    now = int(time.time())
    epoch = now - 400 * DAY
    with transaction.atomic():
        company = company_create(name="Bench Trace Co", code="bench-trace")
        virtual = {loc.kind: loc.pk for loc in Location.objects.filter(company=company).exclude(kind=LocationKind.INTERNAL)}
        warehouses = [location_create(company=company, code=f"WH{n + 1}").pk for n in range(WAREHOUSES)]
        lot_class = LotSerialClass.objects.create(
            company=company, code="LOT", name="Lots", tracking=Tracking.LOT, track_expiry=True, expiry_alert_days=EXPIRY_ALERT
        )
        serial_class = LotSerialClass.objects.create(company=company, code="SER", name="Serials", tracking=Tracking.SERIAL)
        Item.objects.bulk_create(
            Item(
                company=company,
                sku=f"T{k:03d}",
                name=f"{'Lotted' if k < ITEMS // 2 else 'Serial'} product {k:03d}",
                lot_class=lot_class if k < ITEMS // 2 else serial_class,
                unit_cost=Decimal("5"),
            )
            for k in range(ITEMS)
        )
        raw = Item.objects.create(company=company, sku="RAW", name="Raw component", lot_class=lot_class, unit_cost=Decimal("2"))
        fin = Item.objects.create(company=company, sku="FIN", name="Finished product", lot_class=serial_class, unit_cost=Decimal("40"))
        Partner.objects.bulk_create(
            Partner(company=company, code=f"SUP{n:02d}", name=f"Supplier {n:02d}", is_supplier=True) for n in range(1, SUPPLIERS + 1)
        )
        user = get_user_model().objects.create(username="bench-trace", is_staff=True, is_superuser=True)
        membership_add(user=user, company=company, is_default=True)

        with connection.cursor() as cursor:
            if sql.postgres:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
                cursor.execute("SET LOCAL work_mem TO '256MB'")
                cursor.execute("SET LOCAL maintenance_work_mem TO '512MB'")
            _main_lots(cursor, sql, plan, company, warehouses, epoch)
            sql.analyze(cursor, "inventory_lot", "inventory_partner", "inventory_item")
            _receipts(cursor, sql, plan, company, warehouses, virtual, epoch)
            sql.analyze(cursor, "inventory_document", "inventory_documentline")
            _main_moves_and_balances(cursor, sql, plan, company, warehouses, virtual, epoch)
            sql.analyze(cursor, "inventory_stockmove", "inventory_balance")
            recalled = _recall(cursor, sql, plan, company, warehouses[0], virtual, raw, fin, now)
            _history(cursor, sql, company, warehouses, virtual, now)
            # Each balance carries its lot's expiry date, as posting writes it.
            cursor.execute(
                f"UPDATE inventory_balance SET expiry_date = lot.expiry_date FROM inventory_lot AS lot "
                f"WHERE lot.id = inventory_balance.lot_id AND lot.expiry_date IS NOT NULL AND inventory_balance.company_id = {company.pk}"
            )
        # What posting keeps beside the balances, built from them and the moves in a few statements.
        stock_summaries_rebuild(company=company)
        costs_rebuild(company=company)
        document_totals_rebuild(company=company)
        data = {
            "company": company,
            "user": user,
            "company_name": company.name,
            "recalled": recalled,
            "recall_customers": plan.customers,
            "recall_units": plan.finished + 1,
            **_main_data(plan, company),
            **_by_services(company, user),
        }
    items = list(Item.objects.filter(company=company, sku__startswith="T").order_by("sku").values_list("pk", flat=True))
    return {**data, "items": items}


def _location(warehouses: list[int], expr: str) -> str:
    """The id of warehouse number ``expr`` modulo their count, as SQL."""
    whens = " ".join(f"WHEN {n} THEN {pk}" for n, pk in enumerate(warehouses[:-1]))
    return f"(CASE ({expr}) % {len(warehouses)} {whens} ELSE {warehouses[-1]} END)"


def _arrival(plan: Plan, epoch: int, i: str) -> str:
    """When lot ``i`` (SQL) arrived, in seconds: with the other lots of its receipt document."""
    return f"({epoch} + (({i} - 1) / {PER_RECEIPT} * {PER_RECEIPT} + 1) * {plan.spacing})"


def _main_lots(cursor, sql: SQL, plan: Plan, company: Company, warehouses: list[int], epoch: int) -> None:
    """Lots S0000001…: lot i is of item T((i-1) mod 100), received on receipt document k (the
    100 lots i of ``Plan.receipt_of``), a lot-tracked one expiring ``SHELF_LIFE`` days later.

    A serial's last known state is where its last move left it: in stock at its final location,
    or (delivered) out of stock, last seen at the location it was delivered from.
    """
    with_clause, source = sql.series(plan.lots)
    serial = f"(it.sku >= 'T{ITEMS // 2:03d}')"
    final = _location(warehouses, "x.k + x.m - CASE WHEN x.d = 1 THEN 1 ELSE 0 END")
    arrived = _arrival(plan, epoch, "x.i")
    cursor.execute(
        f"""{with_clause}
        INSERT INTO inventory_lot (company_id, item_id, number, kind, parent_id, expiry_date, reference, notes, status,
            hold_reason, unit_cost, in_stock, last_location_id, received_at, created_at, created_by_id)
        SELECT {company.pk}, it.id, 'S' || {sql.pad("x.i")},
            CASE WHEN {serial} THEN '{LotKind.SERIAL}' ELSE '{LotKind.LOT}' END,
            NULL, CASE WHEN {serial} THEN NULL ELSE {sql.day(f"{arrived} + {SHELF_LIFE * DAY}")} END,
            'PO-' || {sql.pad("x.k", 5)}, '', '{LotStatus.ACTIVE}', '', it.unit_cost,
            CASE WHEN {serial} AND x.d = 0 THEN TRUE ELSE FALSE END,
            CASE WHEN {serial} THEN {final} END,
            {sql.at(arrived)}, {sql.at(arrived)}, NULL
        FROM ({_indexed(plan, f"SELECT i FROM {source}")}) x
        JOIN inventory_item it ON it.company_id = {company.pk} AND it.sku = 'T' || {sql.pad(f"(x.i - 1) % {ITEMS}", 3)}
        ORDER BY x.i"""
    )


def _indexed(plan: Plan, rows: str) -> str:
    """``rows`` (which have column i, the lot's index) with k, its receipt document, m, its
    number of moves, and d, 1 when its last move is a delivery (a quarter of the lots with more
    than one move)."""
    return (
        f"SELECT b.*, CASE WHEN b.m >= 2 AND b.i % 4 = 0 THEN 1 ELSE 0 END AS d FROM "
        f"(SELECT a.*, (a.i - 1) / {PER_RECEIPT} + 1 AS k, {plan.base} + CASE WHEN a.i <= {plan.extra} THEN 1 ELSE 0 END AS m "
        f"FROM ({rows}) a) b"
    )


def _receipt_documents(company: Company) -> str:
    """The ids of the bulk receipts (RC0000001…)."""
    return f"SELECT id FROM inventory_document WHERE company_id = {company.pk} AND kind = '{DocumentKind.RECEIPT}' AND number LIKE 'RC0%'"


def _receipts(cursor, sql: SQL, plan: Plan, company: Company, warehouses: list[int], virtual: dict, epoch: int) -> None:
    """Receipt k (RC0000001…): lots (k-1)·100+1 … k·100 from supplier SUP((k-1) mod 20 + 1) into
    warehouse k+1 mod 4, posted when they arrived, one line per lot with its number (and expiry)."""
    c = company.pk
    with_clause, source = sql.series(plan.receipts)
    arrived = _arrival(plan, epoch, f"((g.i - 1) * {PER_RECEIPT} + 1)")
    cursor.execute(
        f"""{with_clause}
        INSERT INTO inventory_document (company_id, kind, number, status, partner_id, from_location_id, to_location_id,
            date, reference, notes, created_at, created_by_id, posted_at, posted_by_id, reversed_at, reversed_by_id)
        SELECT {c}, '{DocumentKind.RECEIPT}', 'RC' || {sql.pad("g.i")}, '{DocumentStatus.POSTED}', p.id,
            {virtual[LocationKind.SUPPLIER]}, {_location(warehouses, "g.i + 1")}, {sql.day(arrived)},
            'PO-' || {sql.pad("g.i", 5)}, '', {sql.at(arrived)}, NULL, {sql.at(arrived)}, NULL, NULL, NULL
        FROM {source}
        JOIN inventory_partner p ON p.company_id = {c} AND p.code = 'SUP' || {sql.pad(f"(g.i - 1) % {SUPPLIERS} + 1", 2)}
        ORDER BY g.i"""
    )
    cursor.execute(
        f"""INSERT INTO inventory_documentline (company_id, document_id, position, item_id, quantity, unit_cost, lot_number, expiry_date)
        SELECT {c}, r.id, (x.i - 1) % {PER_RECEIPT} + 1, x.item_id,
            CASE WHEN x.kind = '{LotKind.SERIAL}' THEN 1 ELSE {LOT_QUANTITY} END, x.unit_cost, x.number, x.expiry_date
        FROM (SELECT l.*, {sql.number_index("l.number", 1)} AS i FROM inventory_lot l WHERE l.company_id = {c}) x
        CROSS JOIN inventory_document r
        WHERE r.company_id = {c} AND r.number = 'RC' || {sql.pad(f"(x.i - 1) / {PER_RECEIPT} + 1")}
        ORDER BY x.i"""
    )


def _main_moves_and_balances(cursor, sql: SQL, plan: Plan, company: Company, warehouses: list[int], virtual: dict, epoch: int) -> None:
    """Move j of lot i (receipt k): j = 1 receives it from the supplier into warehouse k+1 mod 4
    on its receipt's line, the next ones transfer it to the next warehouse, and the last one of a
    delivered lot takes it from where it is to the customer. Written in the order they happened
    (ids rise with time, as posted)."""
    c = company.pk
    lots = (
        f"SELECT l.id, l.kind, l.item_id, l.unit_cost, l.number, {sql.number_index('l.number', 1)} AS i "
        f"FROM inventory_lot l WHERE l.company_id = {c}"
    )
    # Each lot with the line it was received on: the lines lead, each finding its lot by number
    # through the lots' unique index. (CROSS JOIN: SQLite keeps that order, where it would
    # otherwise search every line of the item for each lot; PostgreSQL still joins by hash.)
    received = (
        f"SELECT l.id, l.kind, l.item_id, l.unit_cost, {sql.number_index('l.number', 1)} AS i, dl.id AS line_id, dl.document_id "
        f"FROM inventory_documentline dl CROSS JOIN inventory_lot l "
        f"WHERE dl.document_id IN ({_receipt_documents(company)}) "
        f"AND l.company_id = {c} AND l.item_id = dl.item_id AND l.number = dl.lot_number"
    )
    with_steps, steps = sql.series(plan.base + 1, "s", "j")
    serial = f"x.kind = '{LotKind.SERIAL}'"
    last = "s.j = x.m AND x.d = 1"
    at = f"{_arrival(plan, epoch, 'x.i')} + (s.j - 1) * {plan.gap}"
    cursor.execute(
        f"""{with_steps}
        INSERT INTO inventory_stockmove (company_id, item_id, quantity, from_location_id, from_lot_id, to_location_id,
            to_lot_id, binds_lot, unit_cost, document_id, line_id, reason, reverses_id, lot_prev_in_stock,
            lot_prev_location_id, created_at, created_by_id)
        SELECT {c}, x.item_id, CASE WHEN {serial} THEN 1 ELSE {LOT_QUANTITY} END,
            CASE WHEN s.j = 1 THEN {virtual[LocationKind.SUPPLIER]} ELSE {_location(warehouses, "x.k + s.j - 1")} END,
            x.id,
            CASE WHEN {last} THEN {virtual[LocationKind.CUSTOMER]} ELSE {_location(warehouses, "x.k + s.j")} END,
            x.id, TRUE, x.unit_cost,
            CASE WHEN s.j = 1 THEN x.document_id END, CASE WHEN s.j = 1 THEN x.line_id END,
            CASE WHEN s.j = 1 THEN {MoveReason.RECEIPT} WHEN {last} THEN {MoveReason.DELIVERY} ELSE {MoveReason.TRANSFER} END,
            NULL,
            CASE WHEN s.j = 1 THEN NULL WHEN {serial} THEN TRUE ELSE FALSE END,
            CASE WHEN s.j > 1 AND {serial} THEN {_location(warehouses, "x.k + s.j - 1")} END,
            {sql.at(at)}, NULL
        FROM ({_indexed(plan, received)}) x
        JOIN {steps} ON s.j <= x.m
        ORDER BY {at}, x.id, s.j"""
    )
    # One balance per lot where it ended: what it holds (nothing once delivered), since when.
    delivered = "CASE WHEN x.d = 1 THEN 1 ELSE 0 END"
    cursor.execute(
        f"""INSERT INTO inventory_balance (company_id, item_id, lot_id, lot_number, location_id, quantity, is_serial, first_in_at)
        SELECT {c}, x.item_id, x.id, x.number, {_location(warehouses, f"x.k + x.m - {delivered}")},
            CASE WHEN x.d = 1 THEN 0 WHEN x.kind = '{LotKind.SERIAL}' THEN 1 ELSE {LOT_QUANTITY} END,
            CASE WHEN x.kind = '{LotKind.SERIAL}' THEN TRUE ELSE FALSE END,
            {sql.at(f"{_arrival(plan, epoch, 'x.i')} + (x.m - 1 - {delivered}) * {plan.gap}")}
        FROM ({_indexed(plan, lots)}) x
        ORDER BY x.id"""
    )


def _recall(cursor, sql: SQL, plan: Plan, company: Company, warehouse: int, virtual: dict, raw: Item, fin: Item, now: int) -> int:
    """Lot RAW-RECALL received, consumed whole into FIN0000001… (one unit each, genealogy links),
    which were delivered to CUST0000001… one delivery document (one line) per customer, serial j
    to customer ((j-1) mod customers) + 1. Returns the recalled lot's id."""
    c, wh = company.pk, warehouse
    supplier, customer, production = (virtual[k] for k in (LocationKind.SUPPLIER, LocationKind.CUSTOMER, LocationKind.PRODUCTION))
    received, made, shipped = now - 60 * DAY, now - 50 * DAY, now - 40 * DAY
    f, customers = plan.finished, plan.customers
    cursor.execute(
        f"""INSERT INTO inventory_lot (company_id, item_id, number, kind, parent_id, expiry_date, reference, notes, status,
            hold_reason, unit_cost, in_stock, last_location_id, received_at, created_at, created_by_id)
        VALUES ({c}, {raw.pk}, 'RAW-RECALL', '{LotKind.LOT}', NULL, {sql.day(f"{received} + {SHELF_LIFE * DAY}")},
            'Supplier batch 4711', '', '{LotStatus.ACTIVE}', '', {raw.unit_cost}, FALSE, NULL, {sql.at(received)}, {sql.at(received)}, NULL)"""
    )
    cursor.execute(f"SELECT id FROM inventory_lot WHERE company_id = {c} AND item_id = {raw.pk} AND number = 'RAW-RECALL'")
    recalled = cursor.fetchone()[0]
    move_columns = (
        "company_id, item_id, quantity, from_location_id, from_lot_id, to_location_id, to_lot_id, binds_lot, unit_cost, "
        "document_id, line_id, reason, reverses_id, lot_prev_in_stock, lot_prev_location_id, created_at, created_by_id"
    )
    cursor.execute(
        f"""INSERT INTO inventory_stockmove ({move_columns}) VALUES
        ({c}, {raw.pk}, {f}, {supplier}, {recalled}, {wh}, {recalled}, TRUE, {raw.unit_cost}, NULL, NULL, {MoveReason.RECEIPT},
            NULL, NULL, NULL, {sql.at(received)}, NULL),
        ({c}, {raw.pk}, {f}, {wh}, {recalled}, {production}, {recalled}, TRUE, {raw.unit_cost}, NULL, NULL,
            {MoveReason.PRODUCTION_CONSUMPTION}, NULL, FALSE, NULL, {sql.at(made)}, NULL)"""
    )
    cursor.execute(
        f"""INSERT INTO inventory_balance (company_id, item_id, lot_id, lot_number, location_id, quantity, is_serial, first_in_at)
        VALUES ({c}, {raw.pk}, {recalled}, 'RAW-RECALL', {wh}, 0, FALSE, {sql.at(received)})"""
    )
    # The finished serials: made into the warehouse, then delivered (last seen there).
    with_clause, source = sql.series(f)
    cursor.execute(
        f"""{with_clause}
        INSERT INTO inventory_lot (company_id, item_id, number, kind, parent_id, expiry_date, reference, notes, status,
            hold_reason, unit_cost, in_stock, last_location_id, received_at, created_at, created_by_id)
        SELECT {c}, {fin.pk}, 'FIN' || {sql.pad("g.i")}, '{LotKind.SERIAL}', NULL, NULL, '', '', '{LotStatus.ACTIVE}', '',
            {fin.unit_cost}, FALSE, {wh}, {sql.at(made)}, {sql.at(made)}, NULL
        FROM {source} ORDER BY g.i"""
    )
    finished = f"SELECT id, number, {sql.number_index('number', 3)} AS j FROM inventory_lot WHERE company_id = {c} AND item_id = {fin.pk}"
    cursor.execute(
        f"""INSERT INTO inventory_stockmove ({move_columns})
        SELECT {c}, {fin.pk}, 1, {production}, l.id, {wh}, l.id, TRUE, {fin.unit_cost}, NULL, NULL,
            {MoveReason.PRODUCTION_OUTPUT}, NULL, NULL, NULL, {sql.at(made)}, NULL
        FROM ({finished}) l ORDER BY l.j"""
    )
    cursor.execute(
        f"""INSERT INTO inventory_genealogylink (company_id, consumed_id, produced_id, quantity, document_id, created_at)
        SELECT {c}, {recalled}, l.id, 1, NULL, {sql.at(made)} FROM ({finished}) l ORDER BY l.j"""
    )
    cursor.execute(
        f"""INSERT INTO inventory_balance (company_id, item_id, lot_id, lot_number, location_id, quantity, is_serial, first_in_at)
        SELECT {c}, {fin.pk}, l.id, l.number, {wh}, 0, TRUE, {sql.at(made)} FROM ({finished}) l ORDER BY l.j"""
    )
    # Customers, and one posted delivery (one line) each.
    with_clause, source = sql.series(customers)
    cursor.execute(
        f"""{with_clause}
        INSERT INTO inventory_partner (company_id, code, name, is_supplier, is_customer, email, phone)
        SELECT {c}, 'CUST' || {sql.pad("g.i")}, 'Customer ' || {sql.pad("g.i")}, FALSE, TRUE, '', '' FROM {source} ORDER BY g.i"""
    )
    at = f"{shipped} + k * 60"
    cursor.execute(
        f"""INSERT INTO inventory_document (company_id, kind, number, status, partner_id, from_location_id, to_location_id,
            date, reference, notes, created_at, created_by_id, posted_at, posted_by_id, reversed_at, reversed_by_id)
        SELECT {c}, '{DocumentKind.DELIVERY}', 'DL' || {sql.pad("k")}, '{DocumentStatus.POSTED}', p.id, {wh}, {customer},
            {sql.day(at)}, '', '', {sql.at(at)}, NULL, {sql.at(at)}, NULL, NULL, NULL
        FROM (SELECT id, {sql.number_index("code", 4)} AS k FROM inventory_partner WHERE company_id = {c} AND code LIKE 'CUST%') p
        ORDER BY p.k"""
    )
    documents = (
        f"SELECT id, created_at, {sql.number_index('number', 2)} AS k FROM inventory_document "
        f"WHERE company_id = {c} AND kind = '{DocumentKind.DELIVERY}' AND number LIKE 'DL%'"
    )
    cursor.execute(
        f"""INSERT INTO inventory_documentline (company_id, document_id, position, item_id, quantity, unit_cost, lot_number, expiry_date)
        SELECT {c}, d.id, 1, {fin.pk}, {f // customers} + CASE WHEN d.k <= {f % customers} THEN 1 ELSE 0 END, NULL, '', NULL
        FROM ({documents}) d ORDER BY d.k"""
    )
    cursor.execute(
        f"""INSERT INTO inventory_stockmove ({move_columns})
        SELECT {c}, {fin.pk}, 1, {wh}, l.id, {customer}, l.id, TRUE, {fin.unit_cost}, d.id, dl.id,
            {MoveReason.DELIVERY}, NULL, TRUE, {wh}, d.created_at, NULL
        FROM ({finished}) l
        CROSS JOIN inventory_document d
        CROSS JOIN inventory_documentline dl
        WHERE d.company_id = {c} AND d.number = 'DL' || {sql.pad(f"(l.j - 1) % {customers} + 1")} AND dl.document_id = d.id
        ORDER BY d.created_at, l.j"""
    )
    return recalled


def _history(cursor, sql: SQL, company: Company, warehouses: list[int], virtual: dict, now: int) -> None:
    """Serial HIST-50 of T050 received on RCH0000001 (from SUP01 into WH1), then moved on to the
    next warehouse by transfers TRH0000002 … TRH0000050, a day apart: 50 moves, in stock at the
    end. Move j leaves it in warehouse (j-1) mod 4."""
    c = company.pk
    item_id, unit_cost = company.items.filter(sku=f"T{ITEMS // 2:03d}").values_list("pk", "unit_cost").get()
    supplier = company.partners.get(code="SUP01").pk
    start, n = now - 60 * DAY, HISTORY_MOVES
    at = f"{start} + g.i * {DAY}"
    here, there = _location(warehouses, "g.i - 2"), _location(warehouses, "g.i - 1")
    cursor.execute(
        f"""INSERT INTO inventory_lot (company_id, item_id, number, kind, parent_id, expiry_date, reference, notes, status,
            hold_reason, unit_cost, in_stock, last_location_id, received_at, created_at, created_by_id)
        VALUES ({c}, {item_id}, '{HISTORY_NUMBER}', '{LotKind.SERIAL}', NULL, NULL, '', '', '{LotStatus.ACTIVE}', '', {unit_cost},
            TRUE, {warehouses[(n - 1) % WAREHOUSES]}, {sql.at(start + DAY)}, {sql.at(start + DAY)}, NULL)"""
    )
    cursor.execute(f"SELECT id FROM inventory_lot WHERE company_id = {c} AND item_id = {item_id} AND number = '{HISTORY_NUMBER}'")
    lot = cursor.fetchone()[0]
    with_clause, source = sql.series(n)
    cursor.execute(
        f"""{with_clause}
        INSERT INTO inventory_document (company_id, kind, number, status, partner_id, from_location_id, to_location_id,
            date, reference, notes, created_at, created_by_id, posted_at, posted_by_id, reversed_at, reversed_by_id)
        SELECT {c}, CASE WHEN g.i = 1 THEN '{DocumentKind.RECEIPT}' ELSE '{DocumentKind.TRANSFER}' END,
            CASE WHEN g.i = 1 THEN 'RCH' ELSE 'TRH' END || {sql.pad("g.i")}, '{DocumentStatus.POSTED}',
            CASE WHEN g.i = 1 THEN {supplier} END, CASE WHEN g.i = 1 THEN {virtual[LocationKind.SUPPLIER]} ELSE {here} END,
            {there}, {sql.day(at)}, '', '', {sql.at(at)}, NULL, {sql.at(at)}, NULL, NULL, NULL
        FROM {source} ORDER BY g.i"""
    )
    documents = (
        f"SELECT id, from_location_id, to_location_id, created_at, {sql.number_index('number', 3)} AS j FROM inventory_document "
        f"WHERE company_id = {c} AND (number LIKE 'RCH%' OR number LIKE 'TRH%')"
    )
    cursor.execute(
        f"""INSERT INTO inventory_documentline (company_id, document_id, position, item_id, quantity, unit_cost, lot_number, expiry_date)
        SELECT {c}, d.id, 1, {item_id}, 1, {unit_cost}, '', NULL FROM ({documents}) d ORDER BY d.j"""
    )
    cursor.execute(
        f"""INSERT INTO inventory_stockmove (company_id, item_id, quantity, from_location_id, from_lot_id, to_location_id,
            to_lot_id, binds_lot, unit_cost, document_id, line_id, reason, reverses_id, lot_prev_in_stock,
            lot_prev_location_id, created_at, created_by_id)
        SELECT {c}, {item_id}, 1, d.from_location_id, {lot}, d.to_location_id, {lot}, TRUE, {unit_cost}, d.id, dl.id,
            CASE WHEN d.j = 1 THEN {MoveReason.RECEIPT} ELSE {MoveReason.TRANSFER} END, NULL,
            CASE WHEN d.j = 1 THEN NULL ELSE TRUE END, CASE WHEN d.j = 1 THEN NULL ELSE d.from_location_id END, d.created_at, NULL
        FROM ({documents}) d JOIN inventory_documentline dl ON dl.document_id = d.id
        ORDER BY d.j"""
    )
    cursor.execute(
        f"""INSERT INTO inventory_balance (company_id, item_id, lot_id, lot_number, location_id, quantity, is_serial, first_in_at)
        VALUES ({c}, {item_id}, {lot}, '{HISTORY_NUMBER}', {warehouses[(n - 1) % WAREHOUSES]}, 1, TRUE, {sql.at(start + n * DAY)})"""
    )


def _main_data(plan: Plan, company: Company) -> dict:
    """The ids and numbers of generated rows the pages open or must show."""
    serial_number = _number("S", plan.serial())
    lots = {
        number: (pk, item_id)
        for number, pk, item_id in company.lots.filter(number__in=[serial_number, "FIN0000001"]).values_list("number", "pk", "item_id")
    }
    receipt = company.documents.get(number=_number("RC", plan.receipt_of(plan.serial())))
    item = company.items.get(sku="T000")
    warehouse = company.locations.get(code="WH1")
    # The list filtered by T000 is ordered by number: its first lot not archived.
    filtered_lot = company.lots.filter(item=item).order_by("number").values_list("number", flat=True).first()
    # The expiry report's first row: the lot in stock that expired first.
    earliest = (
        Balance.objects.filter(company=company, quantity__gt=0, lot__expiry_date__isnull=False)
        .order_by("lot__expiry_date", "item__sku", "lot__number")
        .values_list("lot__number", flat=True)
        .first()
    )
    return {
        "serial": lots[serial_number][0],
        "serial_number": serial_number,
        "part": plan.part(),
        "part_match": serial_number,
        "receipt": receipt.pk,
        "receipt_number": receipt.number,
        "receipt_lot": serial_number,
        "item": item.pk,
        "item_sku": item.sku,
        "warehouse": warehouse.pk,
        "warehouse_code": warehouse.code,
        "filtered_lot": filtered_lot,
        "finished": lots["FIN0000001"][0],
        "earliest_expiry": earliest,
        "first_partner_name": "Customer " + "1".zfill(WIDTH),
        "last_customer_name": f"Customer {plan.customers:0{WIDTH}d}",
    }


def _by_services(company: Company, user) -> dict:
    """The rows that do not grow with the data, made as a clerk would (so the ledger, the stock
    summaries and each serial's state are the posting service's own): stock received without
    numbers, and, last (the newest document), a draft delivery."""
    warehouses = list(company.locations.filter(kind=LocationKind.INTERNAL).order_by("code"))
    supplier = company.partners.get(code="SUP01")

    # Serials received without their numbers: the unassigned stock, to be numbered later.
    unnumbered = list(company.items.filter(sku__gte=f"T{ITEMS // 2:03d}", sku__startswith="T").order_by("sku")[:UNASSIGNED_ITEMS])
    for warehouse in warehouses[:2]:
        receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse, partner=supplier, user=user)
        for item in unnumbered:
            document_line_add(document=receipt, item=item, quantity=Decimal(UNASSIGNED_EACH))
        document_post(document=receipt, user=user)
    unassigned = Balance.objects.filter(company=company, lot__isnull=True, item=unnumbered[0]).order_by("location__code").first()

    history = company.lots.get(number=HISTORY_NUMBER)

    # A draft delivery of T000 from where its first lot the dialog offers lies, that lot proposed.
    item = company.items.get(sku="T000")
    first = (
        Balance.objects.filter(company=company, item=item, quantity__gt=0, lot__expiry_date__gte=timezone.localdate())
        .order_by("lot__received_at", "lot_id")
        .select_related("location")
        .first()
    )
    if first is None:
        raise CommandError("bench data: no lot of T000 in stock before its expiry; give --lots and --moves other values")
    draft = document_create(
        company=company,
        kind=DocumentKind.DELIVERY,
        from_location=first.location,
        user=user,
        partner=company.partners.get(code="CUST" + "1".zfill(WIDTH)),
    )
    line = document_line_add(document=draft, item=item, quantity=Decimal(LOT_QUANTITY // 2))
    line_allocate_proposed(line=line, user=user)
    candidate = allocation_candidates(line=line).select_related("lot").first()
    return {
        "unassigned_balance": unassigned.pk,
        "unassigned_sku": unnumbered[0].sku,
        "unassigned_quantity": str(2 * UNASSIGNED_ITEMS * UNASSIGNED_EACH),
        "history": history.pk,
        "history_number": HISTORY_NUMBER,
        "history_document": _number("TRH", HISTORY_MOVES),
        "newest_receipt_number": receipt.number,
        "draft": draft.pk,
        "draft_number": draft.number,
        "draft_line": line.pk,
        "lot": candidate.lot_id,
        "candidate": candidate.lot.number,
    }
