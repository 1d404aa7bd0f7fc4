"""Queries built into SQL once (inventory/compiled.py) and the PostgreSQL cursor (config/pg.py)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from inventory.compiled import Compiled, fields_save
from inventory.models import Balance, Lot, LotStatus
from tests.inventory.flows import receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(serial_item, lot_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers=["C1", "C2", "C3"])
    receive(item=lot_item, location=warehouse, numbers=["L1"], quantity=Decimal("2.5"), expiry=date(2030, 1, 1))
    receive(item=lot_item, location=warehouse, numbers=["L2"], quantity=Decimal("4"), expiry=date(2030, 1, 1))
    return {lot.number: lot for lot in Lot.objects.all()}


def _counting(build):
    calls = []

    def counted(**values):
        calls.append(values)
        return build(**values)

    return counted, calls


def test_rows_are_the_orms_at_every_run_with_new_values(stock, warehouse):
    def build(lots, location):
        return Balance.objects.filter(lot_id__any=lots, location_id=location).order_by("lot_id").values_list("lot__number", "quantity")

    compiled = Compiled(build, arrays=["lots"])
    for names in (["C1"], ["C2", "L1"], ["L2", "C3", "C1"], []):
        ids = [stock[n].pk for n in names]
        assert compiled.rows(lots=ids, location=warehouse.pk) == list(build(lots=ids, location=warehouse.pk))
    assert compiled.rows(lots=[stock["L1"].pk], location=warehouse.pk) == [("L1", Decimal("2.5"))]


def test_aggregates_come_back_converted(stock, lot_item):
    compiled = Compiled(lambda item: Balance.objects.filter(item_id=item).values_list("item_id").annotate(total=Sum("quantity")))
    ((item_id, total),) = compiled.rows(item=lot_item.pk)
    assert (item_id, total) == (lot_item.pk, Decimal("6.5"))
    assert isinstance(total, Decimal)


@pytest.mark.postgres
def test_postgresql_builds_the_sql_once_and_runs_it_as_text(stock, warehouse):
    build, calls = _counting(lambda lot: Balance.objects.filter(lot_id=lot).values_list("quantity"))
    compiled = Compiled(build)
    for number in ("C1", "L1", "L2"):
        with CaptureQueriesContext(connection) as queries:
            rows = compiled.rows(lot=stock[number].pk)
        assert rows == list(Balance.objects.filter(lot=stock[number]).values_list("quantity"))
        assert len(queries) == 1
    assert len(calls) == 1, "the ORM is asked for the SQL only the first time"


@pytest.mark.postgres
def test_a_value_the_sql_does_not_carry_leaves_the_query_to_the_orm(stock):
    # ``number`` is compared through a function, so its stand-in never appears as a parameter.
    build, calls = _counting(lambda number: Lot.objects.filter(pk__gte=0 if number else 0).values_list("number"))
    compiled = Compiled(build)
    assert sorted(compiled.rows(number=1)) == sorted(Lot.objects.values_list("number"))
    compiled.rows(number=2)
    assert len(calls) == 3, "built at every run (the first to look for the stand-in, then one per run)"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lock_outside_a_transaction_is_refused_as_the_orm_refuses_it(stock):
    compiled = Compiled(lambda lot: Lot.objects.select_for_update().filter(pk=lot).values_list("number"))
    with transaction.atomic():
        assert compiled.rows(lot=stock["C1"].pk) == [("C1",)]
    with pytest.raises(TransactionManagementError):
        compiled.rows(lot=stock["C2"].pk)


@pytest.mark.postgres
def test_postgresql_prepares_repeated_statements_and_takes_any_number_of_parameters(stock):
    """The server binds parameters (a repeated statement is planned once); a statement of more
    parameters than the protocol's 65,535 has them bound on the client instead."""
    from config.pg import MAX_SERVER_PARAMETERS, Cursor

    connection.ensure_connection()
    assert connection.connection.cursor_factory is Cursor
    assert connection.connection.prepare_threshold is not None
    many = list(range(-MAX_SERVER_PARAMETERS - 10, 0)) + [stock["C1"].pk]
    assert list(Lot.objects.filter(pk__in=many).values_list("number", flat=True)) == ["C1"]
    with connection.cursor() as cursor:
        cursor.executemany("SELECT %s", [[1], [2]])
        placeholders = ", ".join(["%s"] * (MAX_SERVER_PARAMETERS + 1))
        cursor.executemany(f"SELECT 1 WHERE 7 IN ({placeholders})", [[7] * (MAX_SERVER_PARAMETERS + 1)])
        cursor.execute("SELECT '100%'")
        assert cursor.fetchone() == ("100%",)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "values",
    [
        [1, 2, 3],
        [7, None, 9],
        [Decimal("1.5000"), Decimal("-2"), None],
        [None, None],
        ["a b", 'q"uote', "back\\slash", None],
        [date(2027, 1, 31), None],
        [],
    ],
)
def test_an_array_literal_reads_back_as_the_values(values):
    """pg_array writes a column of values in one pass; PostgreSQL reads each value back."""
    from inventory.bulk import pg_array

    text = pg_array(values)
    cast = "text" if any(isinstance(v, str) for v in values) else "date" if any(isinstance(v, date) for v in values) else "numeric"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT unnest(%s::{cast}[])", [text])
        back = [row[0] for row in cursor.fetchall()]
    assert back == values


def test_model_instances_come_with_what_the_query_selects_related(stock, serial_item, warehouse):
    from inventory.models import DocumentLine
    from inventory.services import document_create, document_line_add

    document = document_create(company=serial_item.company, kind="delivery", from_location=warehouse)
    document_line_add(document=document, item=serial_item, quantity=Decimal(2))

    def build(document):
        return DocumentLine.objects.filter(document_id=document).select_related("item__lot_class", "item__company").order_by("position")

    compiled = Compiled(build)
    for _ in range(2):  # the first run builds the SQL, the second reuses it
        (line,) = compiled.objects(document=document.pk)
        with CaptureQueriesContext(connection) as queries:
            assert (line.pk, line.quantity, line.item.sku) == (document.lines.get().pk, Decimal(2), serial_item.sku)
            assert line.item.lot_class.tracking == serial_item.lot_class.tracking
            assert line.item.company.pk == serial_item.company_id
        assert len(queries) == 1, "only the comparison's own query: the item, its class and company came with the line"
        assert line._state.db == "default" and not line._state.adding


def test_a_document_lock_of_a_missing_document_says_it_does_not_exist(company):
    from inventory import locks
    from inventory.models import Document

    with transaction.atomic(), pytest.raises(Document.DoesNotExist):
        locks.document_lock(987_654_321)


def test_fields_save_writes_the_named_fields_only(stock):
    lot = stock["L1"]
    lot.status, lot.hold_reason, lot.notes = LotStatus.ON_HOLD, "recalled by the supplier", "not saved"
    fields_save(lot, ["status", "hold_reason"])
    lot.refresh_from_db()
    assert (lot.status, lot.hold_reason, lot.notes) == (LotStatus.ON_HOLD, "recalled by the supplier", "")


def test_fields_save_converts_values_as_the_orm_does(stock, warehouse):
    lot = stock["C1"]
    lot.unit_cost, lot.last_location = Decimal("12.3456"), None
    fields_save(lot, ["unit_cost", "last_location"])
    assert Lot.objects.values_list("unit_cost", "last_location").get(pk=lot.pk) == (Decimal("12.3456"), None)


def test_fields_save_refuses_a_row_that_is_gone(stock):
    lot = stock["C2"]
    lot.pk = -1
    with pytest.raises(DatabaseError, match="was not updated: 0 rows|did not affect any rows"):
        fields_save(lot, ["hold_reason"])


def test_texts_are_put_in_as_they_are(stock, serial_item):
    build, calls = _counting(lambda item, number: Lot.objects.filter(item_id=item, number=number).values_list("number", "pk"))
    compiled = Compiled(build, texts=["number"])
    for number in ("C1", "C3", "nothing like it", "C2"):
        assert compiled.rows(item=serial_item.pk, number=number) == list(build(item=serial_item.pk, number=number))
    assert compiled.rows(item=serial_item.pk, number="C3") == [("C3", stock["C3"].pk)]
    if connection.vendor == "postgresql":
        # Built once, with its stand-ins; the other four calls are this test's own.
        assert len(calls) == 5 and [c for c in calls if c["number"].startswith("\x01")] == [calls[0]]
