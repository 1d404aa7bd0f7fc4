"""The till's benchmark suite, found by ``manage.py bench`` (``--suite pos``).

Set up through the real services (receipts posted, carts scanned; timed on stderr, not counted):
``--stock-serials`` phone serials in stock at the register's location, ten more serial items,
twenty lot items and twenty unnumbered ones. Measured:

- ``pos_judge_scan_serial``: one serial scanned into a cart that holds its product already, found
  and judged among all of them; ten serials scanned one after another, the fastest kept;
- ``pos_checkout_50_lines``: the checkout of a cart of 50 lines holding 200 serials and 20 lots,
  one serial missing (it follows); its query count does not grow with the lines
  (tests/pos/test_services.py checks that at two sizes);
- ``pos_checkouts_8_registers``: PostgreSQL only — 8 registers' carts of one serial each, checked
  out by 4 worker processes at once; the result's ``per_second`` is the rate.
"""

import multiprocessing
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection, transaction

from inventory.models import DocumentKind, Item, LotSerialClass, NumberSegment, Tracking
from inventory.selectors import ledger_verify
from inventory.services import company_create, document_create, document_line_add, document_post, line_numbers_generate, location_create

from .models import Register, Sale
from .services import cart_new, cart_scan, checkout, session_open

SIZES = {
    "stock-serials": (100_000, "serials in stock at the register's location (pos suite)", 1_000),
    "register-sales": (60, "one-serial sales per register checked out at once (pos suite, PostgreSQL)"),
}
REGISTERS = 8
WORKERS = 4
CHECKOUT_RUNS = 3
JUDGE_RUNS = 10


def suites():
    return [("pos", run)]


def check(options) -> None:
    if options["stock_serials"] > 1_000_000:
        raise CommandError("--stock-serials must be at most 1,000,000")
    if options["register_sales"] * REGISTERS + JUDGE_RUNS + 1 > options["stock_serials"]:
        raise CommandError(f"--stock-serials must be at least {REGISTERS} × --register-sales + {JUDGE_RUNS + 1} (the scans judged)")


def _serial_class(company, code: str, prefix: str) -> LotSerialClass:
    lot_class = LotSerialClass.objects.create(company=company, code=code, name=code, tracking=Tracking.SERIAL, batch_size=1_000_000)
    NumberSegment.objects.create(lot_class=lot_class, position=0, kind="constant", value=prefix)
    NumberSegment.objects.create(lot_class=lot_class, position=1, kind="counter", value="0000001")
    return lot_class


def _receive(company, location, item: Item, quantity: int) -> None:
    with transaction.atomic():
        receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=location)
        line = document_line_add(document=receipt, item=item, quantity=Decimal(quantity), unit_cost=Decimal("5"))
        line_numbers_generate(line=line, count=quantity)
        document_post(document=receipt)


def run(measure, options) -> None:
    started = time.perf_counter()
    company = company_create(name="Bench Shop", code="bench-pos")
    shop = location_create(company=company, code="SHOP")
    cashier = get_user_model().objects.create(username="bench-cashier", is_superuser=True, is_staff=True)
    phone = Item.objects.create(company=company, sku="PHONE", name="Phone", lot_class=_serial_class(company, "PH", "PH"), sale_price=199)
    _receive(company, shop, phone, options["stock_serials"])
    serial_items = []
    for i in range(10):
        item = Item.objects.create(
            company=company, sku=f"SER{i}", name=f"Serial {i}", lot_class=_serial_class(company, f"S{i}", f"S{i}-"), sale_price=10
        )
        _receive(company, shop, item, 21 * CHECKOUT_RUNS + 1)
        serial_items.append(item)
    lot_class = LotSerialClass.objects.create(company=company, code="LOT", name="Lots", tracking=Tracking.LOT)
    NumberSegment.objects.create(lot_class=lot_class, position=0, kind="constant", value="LT")
    NumberSegment.objects.create(lot_class=lot_class, position=1, kind="counter", value="00001")
    lot_items = [Item.objects.create(company=company, sku=f"LOT{i}", name=f"Lot {i}", lot_class=lot_class, sale_price=3) for i in range(20)]
    for item in lot_items:
        with transaction.atomic():
            receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=shop)
            line = document_line_add(document=receipt, item=item, quantity=Decimal(1000), unit_cost=Decimal("1"))
            line_numbers_generate(line=line, count=1)
            document_post(document=receipt)
    plain = [Item.objects.create(company=company, sku=f"BAG{i}", name=f"Bag {i}", sale_price=1) for i in range(20)]
    for item in plain:
        with transaction.atomic():
            receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=shop)
            document_line_add(document=receipt, item=item, quantity=Decimal(1000), unit_cost=Decimal("1"))
            document_post(document=receipt)
    register = Register.objects.create(company=company, code="T1", name="Till 1", location=shop)
    session = session_open(register=register, user=cashier)
    if connection.vendor == "postgresql":
        # The planner statistics autovacuum would give the tables soon after such a load.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    measure.note(f"set-up: {options['stock_serials']:,} serials and 50 more items in stock in {time.perf_counter() - started:.1f} s")

    # One scanned serial judged among all of them, as a cashier scans the next unit of a product
    # already on the cart: serial after serial (the newest, so no index order favours them), each
    # kept. Kept, not rolled back: a rollback makes psycopg drop the connection's prepared
    # statements, so every run would be planned afresh, as on no cashier's connection.
    cart = cart_new(session=session, user=cashier)
    cart_scan(sale=cart, codes=[f"PH{options['stock_serials'] - JUDGE_RUNS:07d}"], user=cashier)
    for run_index in range(JUDGE_RUNS):
        probe = f"PH{options['stock_serials'] - run_index:07d}"
        with measure("pos_judge_scan_serial", best=True, target=0.020):
            (result,) = cart_scan(sale=cart, codes=[probe], user=cashier)
        if not result.ok:
            raise CommandError(f"the probe serial {probe} was refused: {result.message}")

    # Checkout of 50 lines: 10 serial items × 20 serials, 20 lots, 20 unnumbered, one serial to follow.
    for run_index in range(CHECKOUT_RUNS):
        cart = cart_new(session=session, user=cashier)
        codes = [f"S{i}-{run_index * 20 + k + 1:07d}" for i in range(10) for k in range(20)]
        codes += [lot.sku for lot in plain]
        lots = list(
            Item.objects.filter(pk__in=[i.pk for i in lot_items])
            .values_list("sku", "balances__lot__number")
            .filter(balances__quantity__gt=0)
        )
        codes += [number for _, number in lots]
        results = cart_scan(sale=cart, codes=codes, user=cashier)
        refused = [r for r in results if not r.ok]
        if refused:
            raise CommandError(f"set-up scans refused: {refused[:3]}")
        cart_scan(sale=cart, codes=[serial_items[0].sku], user=cashier)  # a unit without its serial
        if cart.document.lines.count() != 50:
            raise CommandError(f"the cart has {cart.document.lines.count()} lines, not 50")
        with measure("pos_checkout_50_lines", best=True, target=0.150):
            checkout(sale=cart, method="card", user=cashier)

    if connection.vendor == "postgresql":
        _registers_at_once(measure, company, shop, cashier, options["register_sales"])
    else:
        measure.note("pos_checkouts_8_registers: PostgreSQL only (SQLite takes one writer at a time)")
    faults = ledger_verify()
    if faults:
        raise CommandError(f"verify_ledger after the pos suite: {faults[:3]}")


def _registers_at_once(measure, company, shop, cashier, sales: int) -> None:
    """8 registers' carts of one serial each, checked out by 4 processes at once."""
    carts: list[int] = []
    taken = 0
    for r in range(REGISTERS):
        register = Register.objects.create(company=company, code=f"R{r}", name=f"Register {r}", location=shop)
        session = session_open(register=register, user=cashier)
        for _ in range(sales):
            taken += 1
            cart = cart_new(session=session, user=cashier)
            (result,) = cart_scan(sale=cart, codes=[f"PH{taken:07d}"], user=cashier)
            if not result.ok:
                raise CommandError(f"set-up scan refused: {result.message}")
            carts.append(cart.pk)
    measure.note(f"pos_checkouts_8_registers: {len(carts)} one-serial carts scanned at {REGISTERS} registers")
    # Interleaved so every worker holds carts of every register.
    parts = [carts[i::WORKERS] for i in range(WORKERS)]
    connection.close()  # the children open their own connections
    context = multiprocessing.get_context("fork")
    with measure("pos_checkouts_8_registers", target=len(carts) / 200), context.Pool(WORKERS) as pool:
        answers = pool.map(_checkout_all, parts)
    done = sum(n for n, _ in answers)
    measure.results[-1]["queries"] = sum(q for _, q in answers)  # run by the workers, not counted here
    seconds = measure.results[-1]["seconds"]
    measure.results[-1]["per_second"] = round(done / seconds, 1)
    measure.note(f"pos_checkouts_8_registers: {done} checkouts in {seconds:.2f} s = {done / seconds:.0f}/s over {WORKERS} workers")
    if done != len(carts):
        raise CommandError(f"{len(carts) - done} checkouts failed")


def _checkout_all(sale_ids: list[int]) -> tuple[int, int]:
    """One worker's checkouts: how many went through, and the queries they ran."""
    connection.close()
    done, count = 0, [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(counter):
            for pk in sale_ids:
                checkout(sale=Sale.objects.get(pk=pk), method="card")
                done += 1
    finally:
        connection.close()
    return done, count[0]


def pages(data=None) -> list:
    """The till's pages, on the trace suite's data: a register at its first warehouse with the bench
    user's open session, a cart holding a serial, a paid sale whose number is still to follow, a
    refund of nothing yet, and a quotation."""
    from inventory.bench_pages import LIST, Page

    if data is not None:
        data.update(_pages_data(data))

    def sale(d):
        return {"sale_pk": d["pos_cart"]}

    def done(d):
        return {"sale_pk": d["pos_sale"]}

    return [
        Page("pos_registers", "pos:registers", LIST, status=302, redirect=lambda d: "/pos/till/"),
        Page("pos_till_current", "pos:till", LIST, status=302, redirect=lambda d: f"/pos/till/{d['pos_cart']}/"),
        Page("pos_till", "pos:till-sale", LIST, kwargs=sale, texts=lambda d: [d["pos_cart_number"], d["pos_serial"]]),
        Page(
            "pos_numbers",
            "pos:numbers",
            LIST,
            kwargs=lambda d: {"sale_pk": d["pos_cart"], "line_pk": d["pos_cart_line"]},
            texts=lambda d: [d["pos_serial"]],
        ),
        Page("pos_pay", "pos:pay", LIST, kwargs=sale, texts=lambda d: [d["pos_cart_number"]]),
        Page("pos_receipt", "pos:receipt", LIST, kwargs=done, texts=lambda d: [d["pos_sale_number"]]),
        Page("pos_load", "pos:load", LIST, texts=lambda d: [d["pos_quotation_number"]]),
        Page("pos_refund", "pos:refund", LIST, params=lambda d: {"q": d["pos_sale_number"]}, texts=lambda d: [d["pos_sale_number"]]),
        Page("pos_close", "pos:close", LIST, texts=lambda d: ["Cash counted"]),
        Page("pos_sales", "pos:sales", LIST, texts=lambda d: [d["pos_sale_number"]]),
        Page("pos_follow_up", "pos:follow-up", LIST, texts=lambda d: [d["pos_sale_number"]]),
        Page(
            "pos_follow_up_assign",
            "pos:follow-up-assign",
            LIST,
            kwargs=lambda d: {"pending_pk": d["pos_pending"]},
            texts=lambda d: [d["pos_sale_number"]],
        ),
        Page("pos_quotations", "pos:quotation-list", LIST, texts=lambda d: [d["pos_quotation_number"]]),
        Page("pos_quotation_create", "pos:quotation-create", LIST, texts=lambda d: ["New quotation"]),
        Page(
            "pos_quotation",
            "pos:quotation-update",
            LIST,
            kwargs=lambda d: {"quotation_pk": d["pos_quotation"]},
            texts=lambda d: [d["pos_quotation_number"]],
        ),
    ]


def _pages_data(data: dict) -> dict:
    from inventory.models import Balance, PendingNumbers
    from inventory.services.documents import document_number_next

    from .models import Quotation, QuotationLine

    company, user = data["company"], data["user"]
    location = company.locations.get(pk=data["warehouse"])
    balances = Balance.objects.filter(company=company, location=location, is_serial=True, quantity__gt=0).select_related("lot", "item")
    first, second = list(balances.order_by("pk")[:2])
    register = Register.objects.create(company=company, code="BENCH", name="Bench till", location=location)
    session = session_open(register=register, user=user)
    paid = cart_new(session=session, user=user)
    cart_scan(sale=paid, codes=[first.item.sku], user=user)  # a unit whose serial follows
    checkout(sale=paid, method="card", user=user)
    cart = cart_new(session=session, user=user)
    (result,) = cart_scan(sale=cart, codes=[second.lot.number], user=user)
    if not result.ok:
        raise CommandError(f"pos pages: the bench serial was refused: {result.message}")
    quotation = Quotation.objects.create(company=company, number=document_number_next(company_id=company.pk, prefix="Q"), created_by=user)
    QuotationLine.objects.create(company=company, quotation=quotation, item=second.item, quantity=1, unit_price=Decimal("10"))
    return {
        "pos_cart": cart.pk,
        "pos_cart_number": cart.number,
        "pos_cart_line": cart.document.lines.get().pk,
        "pos_serial": second.lot.number,
        "pos_sale": paid.pk,
        "pos_sale_number": paid.number,
        "pos_pending": PendingNumbers.objects.get(document=paid.document).pk,
        "pos_quotation": quotation.pk,
        "pos_quotation_number": quotation.number,
    }
