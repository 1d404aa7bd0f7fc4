"""Set-based writes for the posting path: one statement for any number of rows."""

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def bulk_update_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """UPDATE model SET fields = values WHERE pk = row[0], for each ``(pk, *values)`` row.

    PostgreSQL gets one statement whatever the row count (typed arrays through unnest);
    SQLite gets ``UPDATE … FROM (VALUES …)`` in as few chunks as its parameter limit allows.
    """
    if not rows:
        return
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    pk_col = meta.pk.column
    cols = [meta.get_field(name).column for name in fields]
    q = connection.ops.quote_name
    assignments = ", ".join(f"{q(c)} = v.c{i}" for i, c in enumerate(cols))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [meta.pk.db_type(connection)] + [
                _array_base_type(meta.get_field(name).db_type(connection)) for name in fields
            ]
            arrays = ", ".join(f"%s::{t}[]" for t in types)
            names = ", ".join(["pk"] + [f"c{i}" for i in range(len(cols))])
            columns = list(zip(*rows))
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({names}) "
                f"WHERE {table}.{q(pk_col)} = v.pk",
                [list(col) for col in columns],
            )
            return
        width = len(cols) + 1
        chunk = max(1, (connection.features.max_query_params or 999) // width)
        names = ", ".join(["pk"] + [f"c{i}" for i in range(len(cols))])
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(part))
            params = [connection.ops.adapt_unknown_value(v) for row in part for v in row]
            cursor.execute(
                f"WITH v({names}) AS (VALUES {values}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{q(pk_col)} = v.pk",
                params,
            )


def _array_base_type(db_type: str) -> str:
    # "numeric(18, 4)" is fine as an array base; serial types are not.
    return {"bigserial": "bigint", "serial": "integer"}.get(db_type, db_type)
