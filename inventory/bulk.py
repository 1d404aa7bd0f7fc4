"""Set-based writes for the posting path: one statement for any number of rows."""

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache, partial
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.utils import CursorWrapper


def bulk_update_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """UPDATE model SET fields = values WHERE pk = row[0], for each ``(pk, *values)`` row.

    PostgreSQL gets one statement whatever the row count (typed arrays through unnest);
    SQLite gets ``UPDATE … FROM (VALUES …)`` in as few chunks as its parameter limit allows.
    """
    bulk_update_later(model, fields, rows)()


def bulk_update_later(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> Callable[[], None]:
    """``bulk_update_rows`` made ready to run: PostgreSQL's statement is built now (the work of
    it, for 20,000 rows), and run when the returned function is called."""
    if not rows:
        return _nothing
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    pk_col = meta.pk.column
    cols = [meta.get_field(name).column for name in fields]
    q = connection.ops.quote_name
    if connection.vendor == "postgresql":
        # A column of one value (a serial now in stock, the day it arrived) is given once,
        # not as an array PostgreSQL reads a value of per row.
        columns = list(zip(*rows))
        sets, arrays, scalars, array_params = [], [f"%s::{_pg_type(meta.pk)}[]"], [], [pg_array(columns[0])]
        names = ["pk"]
        for i, (name, column) in enumerate(zip(fields, columns[1:])):
            base = _pg_type(meta.get_field(name))
            if column.count(column[0]) == len(column):
                sets.append(f"{q(cols[i])} = %s::{base}")
                scalars.append(column[0])
            else:
                sets.append(f"{q(cols[i])} = v.c{i}")
                arrays.append(f"%s::{base}[]")
                array_params.append(pg_array(column))
                names.append(f"c{i}")
        sql = (
            f"UPDATE {table} SET {', '.join(sets)} FROM unnest({', '.join(arrays)}) AS v({', '.join(names)}) "
            f"WHERE {table}.{q(pk_col)} = v.pk"
        )
        return partial(_run, sql, scalars + array_params, None)
    assignments = ", ".join(f"{q(c)} = v.c{i}" for i, c in enumerate(cols))

    def run() -> None:
        width = len(cols) + 1
        chunk = max(1, (connection.features.max_query_params or 999) // width)
        names = ", ".join(["pk"] + [f"c{i}" for i in range(len(cols))])
        with connection.cursor() as cursor:
            for start in range(0, len(rows), chunk):
                part = rows[start : start + chunk]
                values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(part))
                params = [connection.ops.adapt_unknown_value(v) for row in part for v in row]
                cursor.execute(
                    f"WITH v({names}) AS (VALUES {values}) UPDATE {table} SET {assignments} FROM v WHERE {table}.{q(pk_col)} = v.pk",
                    params,
                )

    return run


def _nothing() -> list:
    return []


def _run(sql: str, params: list, fetch: Callable[[CursorWrapper], list] | None) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return fetch(cursor) if fetch is not None else []


def filter_in_chunks(queryset: models.QuerySet, lookup: str, values: Iterable[Any]) -> list:
    """The rows of ``queryset.filter(**{lookup: values})``, read in as many statements as the
    engine's limit on parameters needs (SQLite: 32,766 in modern builds, fewer in old ones).

    ``lookup`` is an ``__in`` or ``__any`` one. PostgreSQL takes ``__any`` as one array whatever
    its length, so that is one statement and the queryset's order (a lock order) holds; chunked
    reads keep it within each chunk only, which is all SQLite needs (it locks the whole file).
    """
    values = list(dict.fromkeys(values))
    if not values:
        return []
    if connection.vendor == "postgresql" and lookup.endswith("__any"):
        return list(queryset.filter(**{lookup: values}))
    rows: list = []
    for part in in_chunks(values):
        rows.extend(queryset.filter(**{lookup: part}))
    return rows


def in_chunks(values: list[Any]) -> list[list[Any]]:
    """``values`` cut into lists that fit one statement with the engine's limit on parameters
    (leaving room for the query's own: company, item, status…); one list if it has no limit."""
    limit = connection.features.max_query_params
    if limit is None:
        return [values]
    size = max(1, limit - min(100, limit // 2))
    return [values[start : start + size] for start in range(0, len(values), size)]


@cache
def _pg_type(field: models.Field) -> str:
    """A field's PostgreSQL type as an array's element type (what a cast of its values names)."""
    return _array_base_type(field.db_type(connection))


def _array_base_type(db_type: str) -> str:
    # Serial types are not array bases; varchar(n) would cut long values silently, text does not
    # (the column itself then refuses what is too long).
    if db_type.startswith("varchar"):
        return "text"
    return {"bigserial": "bigint", "serial": "integer"}.get(db_type, db_type)


def bulk_insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    ignore_conflicts: bool = False,
    returning: bool | Sequence[str] = False,
) -> list:
    """INSERT rows (tuples in ``fields`` order) without building model instances.

    PostgreSQL: one statement over typed arrays (unnest), whatever the row count. SQLite:
    multi-row VALUES in chunks. Returns the new primary keys, in row order, when ``returning``
    is true, or tuples of the named fields when it is a list of names (inserted rows only).
    """
    return bulk_insert_later(model, fields, rows, ignore_conflicts=ignore_conflicts, returning=returning)()


def bulk_insert_later(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    ignore_conflicts: bool = False,
    returning: bool | Sequence[str] = False,
) -> Callable[[], list]:
    """``bulk_insert_rows`` made ready to run: PostgreSQL's statement is built now, and run
    (its answer returned) when the returned function is called."""
    if not rows:
        return _nothing
    meta = model._meta
    q = connection.ops.quote_name
    table = q(meta.db_table)
    model_fields = [meta.get_field(name) for name in fields]
    cols = ", ".join(q(f.column) for f in model_fields)
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if returning is True:
        tail = f" RETURNING {q(meta.pk.column)}"
    elif returning:
        tail = " RETURNING " + ", ".join(q(meta.get_field(name).column) for name in returning)
    else:
        tail = ""

    def fetch(cursor: CursorWrapper) -> list:
        return [r[0] if returning is True else tuple(r) for r in cursor.fetchall()]

    if connection.vendor == "postgresql":
        return partial(_run, *_pg_insert(table, cols, model_fields, rows, conflict + tail), fetch if returning else None)

    def run() -> list:
        ids: list = []
        width = len(fields)
        chunk = max(1, min(500, (connection.features.max_query_params or 999) // width))
        placeholder = "(" + ", ".join(["%s"] * width) + ")"
        adapters = [_sqlite_adapter(f) for f in model_fields]
        with connection.cursor() as cursor:
            for start in range(0, len(rows), chunk):
                part = rows[start : start + chunk]
                params = [v if a is None or v is None else a(v) for row in part for a, v in zip(adapters, row)]
                cursor.execute(f"INSERT INTO {table} ({cols}) VALUES {', '.join([placeholder] * len(part))}{conflict}{tail}", params)
                if returning:
                    ids.extend(fetch(cursor))
        return ids

    return run


def _pg_insert(table: str, cols: str, model_fields: list, rows: Sequence[tuple[Any, ...]], suffix: str) -> tuple[str, list]:
    """PostgreSQL's INSERT of ``rows`` as one statement: columns with one value for every row
    (company, document, reason…) go in once as a scalar; the others as arrays that unnest turns
    into rows."""
    selects, arrays, scalar_params, array_params = [], [], [], []
    for i, (field, column) in enumerate(zip(model_fields, zip(*rows))):
        base = _pg_type(field)
        first = column[0]
        if column.count(first) == len(column):
            selects.append(f"%s::{base}")
            scalar_params.append(first)
        else:
            selects.append(f"u.c{i}")
            arrays.append((f"%s::{base}[]", f"c{i}"))
            array_params.append(pg_array(column))
    if arrays:
        source = f"unnest({', '.join(a for a, _ in arrays)}) AS u({', '.join(n for _, n in arrays)})"
    else:
        source, array_params = "generate_series(1, %s)", [len(rows)]
    return f"INSERT INTO {table} ({cols}) SELECT {', '.join(selects)} FROM {source}{suffix}", scalar_params + array_params


def bulk_add_rows(
    model: type[models.Model],
    *,
    keys: Sequence[str],
    fixed: Sequence[str] = (),
    added: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Add each row's ``added`` values to the row of the same ``keys``, inserting it (with its
    ``fixed`` values) when missing: ``INSERT … ON CONFLICT (keys) DO UPDATE SET a = a + new``.

    ``rows`` are tuples of ``keys``, ``fixed`` then ``added`` values; they are written in the
    order given, which is the order their rows are locked in. Decimal sums are rounded to the
    column's places (SQLite adds them as floating point).
    ``returning``: columns read back from each row as written (the sums), as tuples of ``keys``
    then those columns; none by default.
    """
    if not rows:
        return []
    head, conflict, placeholder, width, adapters, read = _add_statement(
        model, tuple(keys), tuple(fixed), tuple(added), tuple(returning), connection.vendor
    )
    chunk = max(1, min(500, (connection.features.max_query_params or 999) // width))
    written: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            params = [v if a is None or v is None else a(v) for row in part for a, v in zip(adapters, row)]
            cursor.execute(f"{head}{', '.join([placeholder] * len(part))}{conflict}", params)
            if read:
                written += cursor.fetchall()
    if read and connection.vendor == "sqlite":  # SQLite hands decimals back as text or float
        written = [tuple(_from_sqlite(f, v) for f, v in zip(read, row)) for row in written]
    return written


@cache
def _add_statement(model: type[models.Model], keys: tuple, fixed: tuple, added: tuple, returning: tuple, vendor: str) -> tuple:
    """bulk_add_rows's statement, in parts around its rows, built once per model, columns and engine."""
    meta = model._meta
    q = connection.ops.quote_name
    table = q(meta.db_table)
    model_fields = [meta.get_field(name) for name in [*keys, *fixed, *added]]
    cols = ", ".join(q(f.column) for f in model_fields)
    sets = []
    for name in added:
        field = meta.get_field(name)
        total = f"{table}.{q(field.column)} + excluded.{q(field.column)}"
        sets.append(
            f"{q(field.column)} = " + (f"ROUND({total}, {field.decimal_places})" if isinstance(field, models.DecimalField) else total)
        )
    placeholder = "(" + ", ".join(["%s"] * len(model_fields)) + ")"
    adapters = [_sqlite_adapter(f) if vendor == "sqlite" else None for f in model_fields]
    read = [meta.get_field(name) for name in [*keys, *returning]] if returning else []
    tail = f" RETURNING {', '.join(q(f.column) for f in read)}" if read else ""
    conflict = f" ON CONFLICT ({', '.join(q(meta.get_field(name).column) for name in keys)}) DO UPDATE SET {', '.join(sets)}{tail}"
    return f"INSERT INTO {table} ({cols}) VALUES ", conflict, placeholder, len(model_fields), adapters, read


def _from_sqlite(field: models.Field, value: Any) -> Any:  # noqa: ANN401 - a column's value, any type
    if value is None or not isinstance(field, models.DecimalField):
        return value
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-field.decimal_places))


def _sqlite_adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """What SQLite needs done to a Python value of this field (None: nothing)."""
    ops = connections[DEFAULT_DB_ALIAS].ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DecimalField):
        return str
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    return None


def pg_array(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal ('{1,NULL,"a b"}') built in one pass.

    Handing psycopg a Python list of 10,000 values costs it far more (it adapts each element)
    than one string; the ``::type[]`` cast in the statement gives the elements their type.
    """
    convert = _PG_ELEMENT.get
    first = values[0] if values else None
    if len(values) > 1 and values.count(first) == len(values):  # a column of one value: convert once
        return "{" + ",".join([(convert(type(first)) or _pg_text)(first)] * len(values)) + "}"
    types = set(map(type, values))
    if types <= _PLAIN:  # ids, quantities, costs: their own text, converted in one pass
        return "{" + ",".join(map(str, values)) + "}" if type(None) not in types else "{" + ",".join(map(_plain_or_null, values)) + "}"
    return "{" + ",".join([(convert(type(v)) or _pg_text)(v) for v in values]) + "}"


_PLAIN = {int, Decimal, type(None)}


def _plain_or_null(value: int | Decimal | None) -> str:
    return "NULL" if value is None else str(value)


def _pg_text(value: Any) -> str:
    text = str(value)
    if '"' in text or "\\" in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text + '"'


_PG_ELEMENT = {
    str: _pg_text,
    type(None): lambda v: "NULL",
    bool: lambda v: "t" if v else "f",
    int: str,
    Decimal: str,
    datetime: lambda v: '"' + v.isoformat() + '"',
    date: date.isoformat,
}
