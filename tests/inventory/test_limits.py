"""Bounds on what one request or one row may hold: quantities and balances, pastes, SQL lists."""

import sqlite3
from decimal import Decimal

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.urls import path

from inventory.bulk import bulk_insert_rows, filter_in_chunks
from inventory.exceptions import InventoryError, NumberingError
from inventory.forms.allocations import QUANTITY, ScanForm
from inventory.models import Allocation, Balance, DocumentKind, DocumentLine, Lot, StockMove, Tracking
from inventory.models.catalog import MAX_QUANTITY
from inventory.numbering import MAX_NUMBERS, MAX_TYPED, parse_numbers, parse_numbers_keeping_good
from inventory.selectors import ledger_verify
from inventory.services import costs_rebuild, document_create, document_line_add, document_post, line_allocate, virtual_location
from inventory.services.documents import line_problems
from inventory.services.numbers import numbers_taken
from inventory.services.posting import MoveSpec, moves_post

from .factories import ItemFactory, LotClassFactory
from .flows import on_hand, receive

pytestmark = pytest.mark.django_db
BIG = Decimal("9999999999")  # ten digits: one line may hold it


@pytest.fixture
def plain_item(company):
    return ItemFactory(company=company, sku="BOLT")


@pytest.fixture
def lot_item(company):
    klass = LotClassFactory(company=company, tracking=Tracking.LOT, segments=[("constant", "L"), ("counter", "001")])
    return ItemFactory(company=company, sku="RESIN", lot_class=klass)


@pytest.fixture
def serial_item(company):
    return ItemFactory(company=company, sku="PHONE", lot_class=LotClassFactory(company=company, tracking=Tracking.SERIAL))


# A. Quantities and balances


def test_limits_max_quantity_fits_the_columns_with_room_for_sums():
    field = Balance._meta.get_field("quantity")
    integer_digits = field.max_digits - field.decimal_places
    assert len(str(int(MAX_QUANTITY))) <= integer_digits - 4
    assert MAX_QUANTITY.quantize(Decimal("0.0001")) == MAX_QUANTITY


def test_limits_line_problems_refuse_a_quantity_above_the_limit(company, plain_item):
    problems = line_problems(item=plain_item, quantity=Decimal("99999999999999"), company=company)
    assert [str(p) for p in problems] == ["BOLT: quantity 99999999999999 is more than the most a line can hold (9,999,999,999.9999)"]
    assert line_problems(item=plain_item, quantity=MAX_QUANTITY, company=company) == []


def test_limits_moves_post_refuses_a_move_above_the_limit(company, plain_item, warehouse):
    spec = MoveSpec(
        item=plain_item,
        quantity=MAX_QUANTITY + Decimal("0.0001"),
        from_location=virtual_location(company, "supplier"),
        to_location=warehouse,
        line_position=1,
    )
    with pytest.raises(InventoryError, match=r"Line 1: BOLT: quantity 10000000000 is more than the most a line can hold"):
        moves_post(company=company, specs=[spec], reason=10)
    assert not StockMove.objects.exists()


def test_limits_posting_refuses_a_balance_that_would_pass_the_limit(company, plain_item, warehouse):
    receive(item=plain_item, location=warehouse, quantity=BIG)
    draft = receive(item=plain_item, location=warehouse, quantity=6, post=False)
    with pytest.raises(InventoryError) as error:
        document_post(document=draft)
    assert str(error.value) == ("Line 1: BOLT at WH1 would hold 10000000005, more than the most a balance can hold (9,999,999,999.9999)")
    assert on_hand(plain_item, warehouse) == BIG
    assert StockMove.objects.count() == 1
    assert ledger_verify() == []


def test_limits_posting_refuses_two_lines_that_together_pass_the_limit(company, plain_item, warehouse):
    document = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse)
    for _ in range(2):
        document_line_add(document=document, item=plain_item, quantity=Decimal("6000000000"))
    with pytest.raises(InventoryError, match=r"BOLT at WH1 would hold 12000000000, more than the most a balance can hold"):
        document_post(document=document)
    assert not Balance.objects.exists()


@pytest.mark.parametrize("model", [Balance, StockMove, DocumentLine, Allocation])
def test_limits_database_refuses_a_quantity_above_the_limit(model, company, lot_item, warehouse):
    receive(item=lot_item, location=warehouse, numbers=["L1"], quantity=5)
    draft = receive(item=lot_item, location=warehouse, numbers=["L2"], quantity=5, post=False)
    rows = {
        Balance: Balance.objects.all(),
        StockMove: StockMove.objects.all(),
        DocumentLine: DocumentLine.objects.filter(document=draft),
        Allocation: Allocation.objects.filter(document=draft),
    }[model]
    assert rows.exists()
    # IntegrityError (SQLite: the append-only trigger may speak first)
    with pytest.raises(Exception) as error, transaction.atomic():  # noqa: B017 (checked below)
        rows.update(quantity=MAX_QUANTITY + 1)
    assert isinstance(error.value, IntegrityError) or "append-only" in str(error.value)
    if model is StockMove:
        move = StockMove.objects.first()
        with pytest.raises(IntegrityError), transaction.atomic():
            bulk_insert_rows(
                StockMove,
                ["company", "item", "quantity", "from_location", "to_location", "binds_lot", "unit_cost", "reason", "created_at"],
                [(company.pk, lot_item.pk, MAX_QUANTITY + 1, move.from_location_id, warehouse.pk, True, 0, 10, move.created_at)],
            )
    # raw SQL, bypassing the ORM, is refused the same way
    with connection.cursor() as cursor, pytest.raises(IntegrityError), transaction.atomic():
        if model is StockMove:
            cursor.execute(
                f"INSERT INTO {model._meta.db_table} (company_id, item_id, quantity, from_location_id, to_location_id, "
                "binds_lot, unit_cost, reason, unknown_origin, created_at) SELECT company_id, item_id, %s, "
                "from_location_id, to_location_id, binds_lot, unit_cost, reason, unknown_origin, created_at "
                f"FROM {model._meta.db_table} LIMIT 1",
                ["10000000000000"],
            )
        else:
            cursor.execute(f"UPDATE {model._meta.db_table} SET quantity = %s", ["10000000000000"])


def test_limits_line_form_refuses_a_quantity_above_the_limit(company, plain_item):
    from inventory.forms.documents import ItemChoices, LineForm

    form = LineForm(data={"item": plain_item.pk, "quantity": "99999999999999"}, items=ItemChoices(company), kind=DocumentKind.DELIVERY)
    assert not form.is_valid()
    assert "quantity" in form.errors
    ok = LineForm(data={"item": plain_item.pk, "quantity": str(MAX_QUANTITY)}, items=ItemChoices(company), kind=DocumentKind.DELIVERY)
    assert ok.is_valid(), ok.errors


def test_limits_dialog_quantity_refuses_a_quantity_above_the_limit():
    assert QUANTITY["max_value"] == MAX_QUANTITY
    assert not ScanForm(data={"number": "L1", "quantity": "99999999999999"}).is_valid()
    assert ScanForm(data={"number": "L1", "quantity": str(MAX_QUANTITY)}).is_valid()


def test_limits_ledger_verify_reads_move_sums_past_the_column_size(company, plain_item, warehouse):
    # Ten thousand receipts and deliveries of the most a line can hold: each side sums to more
    # digits than the quantity columns have, while every row and the balance are in bounds.
    supplier, customer = virtual_location(company, "supplier"), virtual_location(company, "customer")
    receive(item=plain_item, location=warehouse, quantity=1)
    first = StockMove.objects.get()
    fields = ["company", "item", "quantity", "from_location", "to_location", "binds_lot", "unit_cost", "reason", "created_at"]
    count = 10_001
    for source, target in ((supplier, warehouse), (warehouse, customer)):
        rows = [(company.pk, plain_item.pk, MAX_QUANTITY, source.pk, target.pk, True, Decimal(0), 10, first.created_at)] * count
        bulk_insert_rows(StockMove, fields, rows)
    costs_rebuild(company=company)  # moves written around the posting service: their cost state too
    assert ledger_verify() == []
    Balance.objects.filter(item=plain_item).update(quantity=Decimal(3))
    faults = [str(f) for f in ledger_verify()]
    assert len(faults) == 1 and "holds 3" in faults[0] and "sum to 1" in faults[0]


def test_limits_ledger_verify_names_a_balance_it_cannot_read(company, plain_item, warehouse):
    from inventory.selectors import ledger as selectors

    receive(item=plain_item, location=warehouse, quantity=4)
    balance = Balance.objects.get()
    # What a database written before the limit may hold (SQLite stored any overflow it was given).
    assert selectors._stored_quantity("100000000000000000000.5") == Decimal("100000000000000000000.5")
    assert selectors._stored_quantity("not a number") is None
    original = selectors._stored_quantity
    selectors._stored_quantity = lambda text: (
        Decimal("100000000000000000000") if text is not None and Decimal(text) == 4 else original(text)
    )
    try:
        faults = [str(f) for f in ledger_verify()]
    finally:
        selectors._stored_quantity = original
    assert any(f.startswith(f"balance {balance.pk} ") and "more than the most a balance can hold" in f for f in faults), faults


# B. Paste caps and SQL lists


def test_limits_parse_numbers_refuses_more_than_the_most_one_request_may_expand():
    text = "A00001-A09000 B00001-B02000"  # 11,000 numbers from 27 characters
    with pytest.raises(NumberingError) as error:
        parse_numbers(text, most=MAX_NUMBERS)
    assert str(error.value) == f"11000 numbers given; at most {MAX_NUMBERS:,} at once"
    with pytest.raises(NumberingError, match="11000 numbers given"):
        parse_numbers_keeping_good(text, most=MAX_NUMBERS)
    assert len(parse_numbers(f"A00001-A{MAX_NUMBERS:05d}", most=MAX_NUMBERS)) == MAX_NUMBERS
    bomb = " ".join(f"{p}000001-{p}030000" for p in "ABCDEFG")  # 210,000 numbers from 111 bytes
    with pytest.raises(NumberingError, match=f"^210000 numbers given; at most {MAX_TYPED:,} at once$"):
        parse_numbers(bomb)
    with pytest.raises(NumberingError, match="^210000 numbers given"):
        parse_numbers_keeping_good(bomb)


def test_limits_line_allocate_refuses_more_than_one_request_may_give(company, serial_item, warehouse):
    document = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse)
    line = document_line_add(document=document, item=serial_item, quantity=Decimal(20_000))
    with pytest.raises(NumberingError, match=f"^11000 numbers given; at most {MAX_NUMBERS:,} at once$"):
        line_allocate(line=line, numbers="X00001-X09000, Y00001-Y02000")
    with pytest.raises(NumberingError, match=f"^10001 numbers given; at most {MAX_NUMBERS:,} at once$"):
        line_allocate(line=line, numbers=[f"Z{i}" for i in range(10_001)])
    assert not Allocation.objects.exists()


def test_limits_parse_numbers_refuses_far_more_than_the_line_needs():
    with pytest.raises(NumberingError, match=r"^1000 numbers given; the line needs 30 more, so at most 530 at once$"):
        parse_numbers("SN0001-SN1000", needed=30)
    assert len(parse_numbers("SN001-SN530", needed=30)) == 530  # the extra ones are refused on their own rows
    with pytest.raises(NumberingError, match=r"^531 numbers given; the line needs 30 more"):
        parse_numbers([f"SN{i}" for i in range(531)], needed=30)
    assert len(parse_numbers([f"SN{i}" for i in range(20_000)], needed=20_000)) == 20_000  # lists from code


def test_limits_line_allocate_refuses_a_paste_far_larger_than_the_line_before_any_work(company, serial_item, warehouse):
    draft = receive(item=serial_item, location=warehouse, numbers="S1 S2", post=False)
    line = draft.lines.get()
    DocumentLine.objects.filter(pk=line.pk).update(quantity=5)
    line.refresh_from_db()
    with pytest.raises(NumberingError, match="^20000 numbers given; the line needs 3 more, so at most 503 at once$"):
        line_allocate(line=line, numbers="X00001-X20000")
    with pytest.raises(NumberingError, match="^504 numbers given; the line needs 3 more"):
        line_allocate(line=line, numbers=[f"X{i}" for i in range(504)])
    assert Allocation.objects.filter(line=line).count() == 2
    outcome = line_allocate(line=line, numbers="X1-X5")  # a few too many: refused one by one
    assert outcome.accepted == ["X1", "X2", "X3"] and [r.number for r in outcome.rejected] == ["X4", "X5"]


@pytest.fixture
def few_sql_variables():
    """Call it to allow only 120 variables per statement on this connection (SQLite only)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's limit on variables per statement; PostgreSQL takes the list as one array")
    connection.ensure_connection()
    raw = connection.connection
    before = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    yield lambda: raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 120)
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)


def test_limits_filter_in_chunks_reads_more_values_than_one_statement_takes(few_sql_variables, company, lot_item):
    numbers = [f"N{i:04d}" for i in range(500)]
    Lot.objects.bulk_create([Lot(company=company, item=lot_item, number=n, kind="lot") for n in numbers[::2]], batch_size=50)
    few_sql_variables()
    rows = filter_in_chunks(Lot.objects.filter(item=lot_item).values_list("number", flat=True), "number__any", numbers)
    assert sorted(rows) == numbers[::2]
    assert filter_in_chunks(Lot.objects.all(), "number__any", []) == []


def test_limits_number_lookups_take_more_numbers_than_one_statement_takes(few_sql_variables, company, serial_item, warehouse):
    numbers = [f"S{i:04d}" for i in range(300)]
    receive(item=serial_item, location=warehouse, numbers=numbers[:150])
    draft = receive(item=serial_item, location=warehouse, numbers=numbers[150:200], post=False)
    few_sql_variables()
    assert numbers_taken(item=serial_item, numbers=numbers) == set(numbers[:200])
    document = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse)
    line = document_line_add(document=document, item=serial_item, quantity=Decimal(250))
    outcome = line_allocate(line=line, numbers=numbers[50:])
    assert len(outcome.rejected) == 150  # in stock already, or on the other draft
    assert {r.number for r in outcome.rejected} == set(numbers[50:200])
    assert Allocation.objects.filter(line=line).count() == 100
    assert Allocation.objects.filter(document=draft).count() == 50


# C. SQLite under concurrent use


def _locked(request):
    raise OperationalError("database is locked")


def _broken(request):
    raise OperationalError("no such table: inventory_nothing")


urlpatterns = [path("locked/", _locked), path("broken/", _broken)]


@pytest.mark.urls("tests.inventory.test_limits")
def test_limits_locked_database_answers_503_saying_nothing_was_saved(client, user):
    client.force_login(user)
    response = client.post("/locked/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "The database is busy; nothing was saved — try again in a moment" in response.content.decode()
    with pytest.raises(OperationalError, match="no such table"):  # any other database error stays a 500
        client.post("/broken/")
