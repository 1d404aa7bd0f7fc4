"""The traceability benchmark suite, found by ``manage.py bench`` (``--suite trace``).

It loads a large company in bulk, then times four pages through the test client, as a signed-in
user would open them: the lot list with a filter and a search, the lookup of one serial, the
history of one serial, and the recall of one component lot consumed into ``--finished`` serials
delivered to ``--customers`` customers. Each page is opened once to warm up, then five times; the
fastest run is reported, with its query count (which must not grow with the data).

The data is written with set-based SQL (``INSERT … SELECT`` over ``generate_series`` on
PostgreSQL, over a recursive counter on SQLite, which is only for the smoke test at small sizes).
This bypasses the posting service on purpose, and only here: posting five million moves through it
would take hours, and this is bench data. It is written as the posting service would write it —
every lot's moves chained from location to location, one balance per lot at its final internal
location holding what the moves leave there, and each serial's last known state (``in_stock``,
``last_location``) — so ``verify_ledger`` finds nothing to report (tests/traceability/test_bench_trace.py
checks that).
"""

import time
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse

from inventory.models import (
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
    Tracking,
)
from inventory.services import company_create, location_create, membership_add

SIZES = {
    "lots": (1_000_000, "lots and serials in the trace data set (trace suite)"),
    "moves": (5_000_000, "stock moves of those lots, at least one per lot (trace suite)"),
    "finished": (10_000, "finished serials made from the recalled lot (trace suite)"),
    "customers": (2_000, "customers those serials were delivered to (trace suite)"),
    "clients": (20, "concurrent clients of the load suite (on the trace data set)"),
    "seconds": (60, "how long the load suite's clients work"),
    "workers": (4, "gunicorn workers the load suite starts"),
}

ITEMS = 100  # half lot-tracked (T000–T049), half serial-tracked (T050–T099)
WAREHOUSES = 4  # internal locations WH1–WH4; each move goes to the next one
LOT_QUANTITY = 10  # units in each lot (a serial is one)
WIDTH = 7  # digits of the generated numbers: S0000001, FIN0000001, CUST0000001, DL0000001
DAY = 86_400
RUNS = 5


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

    @property
    def spacing(self) -> int:  # seconds between two receipts: the lots arrive over 300 days
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

    def search(self) -> tuple[str, int]:
        """The list's search text and the lot whose item the list is filtered by: a number prefix
        shared by 1,000 consecutive lots, 10 of them of that item."""
        block = (self.lots // 2) // 1000
        return f"S{block:0{WIDTH - 3}d}", max(block * 1000, 1)


def run(measure, options) -> None:
    plan = Plan(options["lots"], options["moves"], options["finished"], options["customers"])
    started = time.perf_counter()
    ids = generate(plan)
    if connection.vendor == "postgresql":
        # The planner statistics (ANALYZE) and visibility map (VACUUM) that autovacuum would give
        # the tables soon after such a load in production; without them the first plans are guesses.
        with connection.cursor() as cursor:
            for table in ("inventory_lot", "inventory_stockmove", "inventory_balance", "inventory_genealogylink",
                          "inventory_document", "inventory_documentline", "inventory_partner", "inventory_item"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    measure.note(
        f"trace: generated {plan.lots:,} lots/serials with {plan.moves:,} moves, and a lot made into "
        f"{plan.finished:,} serials delivered to {plan.customers:,} customers, in {time.perf_counter() - started:.1f} s "
        "(not measured)"
    )
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        _measure_pages(measure, plan, ids)


def _measure_pages(measure, plan: Plan, ids: dict) -> None:
    client = Client()
    client.force_login(ids["user"])
    q, filtered_lot = plan.search()
    item = ids["items"][(filtered_lot - 1) % ITEMS]
    serial_number = _number("S", plan.serial())
    serial_pk = ids["serial"]

    def lot_list():
        return _expect(client.get(reverse("traceability:lot-list"), {"status": LotStatus.ACTIVE, "item": item, "q": q}, secure=True), 200)

    def lookup():
        response = _expect(client.get(reverse("traceability:lookup"), {"q": serial_number}, secure=True), 302)
        if response.url != reverse("traceability:lot-detail", kwargs={"lot_pk": serial_pk}):
            raise CommandError(f"the lookup of {serial_number} opened {response.url}, not its page")
        return response

    def history():
        return _expect(client.get(reverse("traceability:lot-history", kwargs={"lot_pk": serial_pk}), secure=True), 200)

    def recall():
        return _expect(client.get(reverse("traceability:recall"), {"lot": ids["recalled"]}, secure=True), 200)

    pages = [
        ("trace_lot_list_filtered", lot_list, [_number("S", filtered_lot)]),
        ("trace_lookup_serial", lookup, []),
        ("trace_history_serial", history, [serial_number]),
        ("trace_recall_lot", recall, [f'data-testid="total-customers">{plan.customers}<', f'data-testid="total-units">{plan.finished + 1}<']),
    ]
    for name, page, expected in pages:
        content = page().content.decode()  # warm-up, and a check that the page shows the data
        for text in expected:
            if text not in content:
                raise CommandError(f"{name}: the page does not show {text!r}")
        for _ in range(RUNS):
            with measure(name, best=True):
                page()


def _expect(response, status: int):
    if response.status_code != status:
        raise CommandError(f"{response.request['PATH_INFO']} answered {response.status_code}, not {status}")
    return response


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


def generate(plan: Plan) -> dict:
    """Write the data set; returns the ids the measured pages need."""
    sql = SQL()
    now = int(time.time())
    epoch = now - 400 * DAY
    with transaction.atomic():
        company = company_create(name="Bench Trace Co", code="bench-trace")
        virtual = {loc.kind: loc.pk for loc in Location.objects.filter(company=company).exclude(kind=LocationKind.INTERNAL)}
        warehouses = [location_create(company=company, code=f"WH{n + 1}").pk for n in range(WAREHOUSES)]
        lot_class = LotSerialClass.objects.create(company=company, code="LOT", name="Lots", tracking=Tracking.LOT)
        serial_class = LotSerialClass.objects.create(company=company, code="SER", name="Serials", tracking=Tracking.SERIAL)
        Item.objects.bulk_create(
            Item(
                company=company, sku=f"T{k:03d}", name=f"{'Lotted' if k < ITEMS // 2 else 'Serial'} product {k:03d}",
                lot_class=lot_class if k < ITEMS // 2 else serial_class, unit_cost=Decimal("5"),
            )
            for k in range(ITEMS)
        )
        raw = Item.objects.create(company=company, sku="RAW", name="Raw component", lot_class=lot_class, unit_cost=Decimal("2"))
        fin = Item.objects.create(company=company, sku="FIN", name="Finished product", lot_class=serial_class, unit_cost=Decimal("40"))
        user = get_user_model().objects.create(username="bench-trace", is_staff=True, is_superuser=True)
        membership_add(user=user, company=company, is_default=True)

        with connection.cursor() as cursor:
            if sql.postgres:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
                cursor.execute("SET LOCAL work_mem TO '256MB'")
                cursor.execute("SET LOCAL maintenance_work_mem TO '512MB'")
            _main_lots(cursor, sql, plan, company, warehouses, epoch)
            _main_moves_and_balances(cursor, sql, plan, company, warehouses, virtual, epoch)
            recalled = _recall(cursor, sql, plan, company, warehouses[0], virtual, raw, fin, now)
            cursor.execute(
                f"SELECT id FROM inventory_lot WHERE company_id = {company.pk} AND number = %s", [_number("S", plan.serial())]
            )
            serial = cursor.fetchone()[0]
    items = list(Item.objects.filter(company=company, sku__startswith="T").order_by("sku").values_list("pk", flat=True))
    return {"company": company, "user": user, "items": items, "recalled": recalled, "serial": serial}


def _location(warehouses: list[int], expr: str) -> str:
    """The id of warehouse number ``expr`` modulo their count, as SQL."""
    whens = " ".join(f"WHEN {n} THEN {pk}" for n, pk in enumerate(warehouses[:-1]))
    return f"(CASE ({expr}) % {len(warehouses)} {whens} ELSE {warehouses[-1]} END)"


def _main_lots(cursor, sql: SQL, plan: Plan, company: Company, warehouses: list[int], epoch: int) -> None:
    """Lots S0000001…: lot i is of item T((i-1) mod 100), received at ``epoch + i·spacing``.

    A serial's last known state is where its last move left it: in stock at its final location,
    or (delivered) out of stock, last seen at the location it was delivered from.
    """
    with_clause, source = sql.series(plan.lots)
    serial = f"(it.sku >= 'T{ITEMS // 2:03d}')"
    final = _location(warehouses, "x.i + x.m - CASE WHEN x.d = 1 THEN 1 ELSE 0 END")
    cursor.execute(
        f"""{with_clause}
        INSERT INTO inventory_lot (company_id, item_id, number, kind, parent_id, expiry_date, reference, notes, status,
            hold_reason, unit_cost, in_stock, last_location_id, received_at, created_at, created_by_id)
        SELECT {company.pk}, it.id, 'S' || {sql.pad('x.i')},
            CASE WHEN {serial} THEN '{LotKind.SERIAL}' ELSE '{LotKind.LOT}' END,
            NULL, NULL, 'PO-' || {sql.pad('(x.i - 1) / 100 + 1', 5)}, '', '{LotStatus.ACTIVE}', '', it.unit_cost,
            CASE WHEN {serial} AND x.d = 0 THEN TRUE ELSE FALSE END,
            CASE WHEN {serial} THEN {final} END,
            {sql.at(f'{epoch} + x.i * {plan.spacing}')}, {sql.at(f'{epoch} + x.i * {plan.spacing}')}, NULL
        FROM ({_indexed(plan, f'SELECT i FROM {source}')}) x
        JOIN inventory_item it ON it.company_id = {company.pk} AND it.sku = 'T' || {sql.pad(f'(x.i - 1) % {ITEMS}', 3)}
        ORDER BY x.i"""
    )


def _indexed(plan: Plan, rows: str) -> str:
    """``rows`` (which have column i, the lot's index) with m, its number of moves, and d, 1 when
    its last move is a delivery (a quarter of the lots with more than one move)."""
    return (
        f"SELECT b.*, CASE WHEN b.m >= 2 AND b.i % 4 = 0 THEN 1 ELSE 0 END AS d FROM "
        f"(SELECT a.*, {plan.base} + CASE WHEN a.i <= {plan.extra} THEN 1 ELSE 0 END AS m FROM ({rows}) a) b"
    )


def _main_moves_and_balances(cursor, sql: SQL, plan: Plan, company: Company, warehouses: list[int], virtual: dict, epoch: int) -> None:
    """Move j of lot i: j = 1 receives it from the supplier into warehouse (i+1) mod 4, the next
    ones transfer it to the next warehouse, and the last one of a delivered lot takes it from where
    it is to the customer. Written in the order they happened (ids rise with time, as posted)."""
    lots = (
        f"SELECT l.id, l.kind, l.item_id, l.unit_cost, {sql.number_index('l.number', 1)} AS i "
        f"FROM inventory_lot l WHERE l.company_id = {company.pk}"
    )
    with_steps, steps = sql.series(plan.base + 1, "s", "j")
    serial = f"x.kind = '{LotKind.SERIAL}'"
    last = "s.j = x.m AND x.d = 1"
    at = f"{epoch} + x.i * {plan.spacing} + (s.j - 1) * {plan.gap}"
    cursor.execute(
        f"""{with_steps}
        INSERT INTO inventory_stockmove (company_id, item_id, quantity, from_location_id, from_lot_id, to_location_id,
            to_lot_id, binds_lot, unit_cost, document_id, line_id, reason, reverses_id, lot_prev_in_stock,
            lot_prev_location_id, created_at, created_by_id)
        SELECT {company.pk}, x.item_id, CASE WHEN {serial} THEN 1 ELSE {LOT_QUANTITY} END,
            CASE WHEN s.j = 1 THEN {virtual[LocationKind.SUPPLIER]} ELSE {_location(warehouses, 'x.i + s.j - 1')} END,
            x.id,
            CASE WHEN {last} THEN {virtual[LocationKind.CUSTOMER]} ELSE {_location(warehouses, 'x.i + s.j')} END,
            x.id, TRUE, x.unit_cost, NULL, NULL,
            CASE WHEN s.j = 1 THEN {MoveReason.RECEIPT} WHEN {last} THEN {MoveReason.DELIVERY} ELSE {MoveReason.TRANSFER} END,
            NULL,
            CASE WHEN s.j = 1 THEN NULL WHEN {serial} THEN TRUE ELSE FALSE END,
            CASE WHEN s.j > 1 AND {serial} THEN {_location(warehouses, 'x.i + s.j - 1')} END,
            {sql.at(at)}, NULL
        FROM ({_indexed(plan, lots)}) x
        JOIN {steps} ON s.j <= x.m
        ORDER BY {at}, x.id, s.j"""
    )
    # One balance per lot where it ended: what it holds (nothing once delivered), since when.
    delivered = "CASE WHEN x.d = 1 THEN 1 ELSE 0 END"
    cursor.execute(
        f"""INSERT INTO inventory_balance (company_id, item_id, lot_id, location_id, quantity, is_serial, first_in_at)
        SELECT {company.pk}, x.item_id, x.id, {_location(warehouses, f'x.i + x.m - {delivered}')},
            CASE WHEN x.d = 1 THEN 0 WHEN x.kind = '{LotKind.SERIAL}' THEN 1 ELSE {LOT_QUANTITY} END,
            CASE WHEN x.kind = '{LotKind.SERIAL}' THEN TRUE ELSE FALSE END,
            {sql.at(f'{epoch} + x.i * {plan.spacing} + (x.m - 1 - {delivered}) * {plan.gap}')}
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
        VALUES ({c}, {raw.pk}, 'RAW-RECALL', '{LotKind.LOT}', NULL, NULL, 'Supplier batch 4711', '', '{LotStatus.ACTIVE}', '',
            {raw.unit_cost}, FALSE, NULL, {sql.at(received)}, {sql.at(received)}, NULL)"""
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
        f"""INSERT INTO inventory_balance (company_id, item_id, lot_id, location_id, quantity, is_serial, first_in_at)
        VALUES ({c}, {raw.pk}, {recalled}, {wh}, 0, FALSE, {sql.at(received)})"""
    )
    # The finished serials: made into the warehouse, then delivered (last seen there).
    with_clause, source = sql.series(f)
    cursor.execute(
        f"""{with_clause}
        INSERT INTO inventory_lot (company_id, item_id, number, kind, parent_id, expiry_date, reference, notes, status,
            hold_reason, unit_cost, in_stock, last_location_id, received_at, created_at, created_by_id)
        SELECT {c}, {fin.pk}, 'FIN' || {sql.pad('g.i')}, '{LotKind.SERIAL}', NULL, NULL, '', '', '{LotStatus.ACTIVE}', '',
            {fin.unit_cost}, FALSE, {wh}, {sql.at(made)}, {sql.at(made)}, NULL
        FROM {source} ORDER BY g.i"""
    )
    finished = f"SELECT id, {sql.number_index('number', 3)} AS j FROM inventory_lot WHERE company_id = {c} AND item_id = {fin.pk}"
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
        f"""INSERT INTO inventory_balance (company_id, item_id, lot_id, location_id, quantity, is_serial, first_in_at)
        SELECT {c}, {fin.pk}, l.id, {wh}, 0, TRUE, {sql.at(made)} FROM ({finished}) l ORDER BY l.j"""
    )
    # Customers, and one posted delivery (one line) each.
    with_clause, source = sql.series(customers)
    cursor.execute(
        f"""{with_clause}
        INSERT INTO inventory_partner (company_id, code, name, is_supplier, is_customer, email, phone)
        SELECT {c}, 'CUST' || {sql.pad('g.i')}, 'Customer ' || {sql.pad('g.i')}, FALSE, TRUE, '', '' FROM {source} ORDER BY g.i"""
    )
    at = f"{shipped} + k * 60"
    cursor.execute(
        f"""INSERT INTO inventory_document (company_id, kind, number, status, partner_id, from_location_id, to_location_id,
            date, reference, notes, created_at, created_by_id, posted_at, posted_by_id, reversed_at, reversed_by_id)
        SELECT {c}, '{DocumentKind.DELIVERY}', 'DL' || {sql.pad('k')}, '{DocumentStatus.POSTED}', p.id, {wh}, {customer},
            {sql.day(at)}, '', '', {sql.at(at)}, NULL, {sql.at(at)}, NULL, NULL, NULL
        FROM (SELECT id, {sql.number_index('code', 4)} AS k FROM inventory_partner WHERE company_id = {c} AND code LIKE 'CUST%') p
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
        JOIN ({documents}) d ON d.k = (l.j - 1) % {customers} + 1
        JOIN inventory_documentline dl ON dl.document_id = d.id
        ORDER BY d.k, l.j"""
    )
    return recalled
