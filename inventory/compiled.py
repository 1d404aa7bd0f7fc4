"""Queries of the posting path built into SQL once, then run with new values (PostgreSQL).

Django builds a query's SQL afresh every time it runs: about half a millisecond for each of the
posting path's locks and checks, which a till's checkout of one serial runs a dozen of (most of
its time on the application's side). A ``Compiled`` query is still written with the ORM; it is
built once per process with stand-in values, and each run puts the real values in their place.
With the statement's text the same at every run, PostgreSQL prepares it once too (config/pg.py).

The stand-ins are found among the built statement's parameters (each put wherever it was used);
a value whose stand-in is not found leaves the query to the ORM at every run, as on SQLite.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import Model, QuerySet
from django.db.models.query import _get_from_db, get_related_populators
from django.db.transaction import TransactionManagementError

from .bulk import in_chunks, pg_array

# Far below any primary key, and unlike any constant the queries compare with.
_STAND_IN = -7_346_101_928_374_650_000


class Compiled:
    """``build(**values)`` returns a QuerySet: ``rows(**values)`` the rows of a ``values_list``
    one, ``objects(**values)`` the model instances of a model one (with what it
    ``select_related``, built by the ORM's own populators, as it builds them).

    ``arrays`` names the values that are lists (compared with ``__any``), ``texts`` those that are
    strings (compared as they are); every other value is one integer (an id), never None. ``chunked`` names the one list that may be longer than an
    engine other than PostgreSQL takes in one statement: there it is read a chunk at a time.
    """

    def __init__(
        self, build: Callable[..., QuerySet], *, arrays: Iterable[str] = (), texts: Iterable[str] = (), chunked: str | None = None
    ):
        self.build = build
        self.arrays = frozenset(arrays)
        self.texts = frozenset(texts)
        self.chunked = chunked
        self._plan: tuple | None = None
        self._make: tuple | None = None  # how a model query's rows become instances
        self._orm_only = False

    def rows(self, **values: Any) -> list[tuple]:
        if connection.vendor != "postgresql":
            if self.chunked is None:
                return list(self.build(**values))
            return [row for part in in_chunks(list(values[self.chunked])) for row in self.build(**{**values, self.chunked: part})]
        if self._orm_only:
            return list(self.build(**values))
        plan = self._plan or self._compile(values)
        if plan is None:
            return list(self.build(**values))
        found = self._run(plan, values)
        width = plan[3]
        if found and len(found[0]) != width:
            found = [row[:width] for row in found]
        return found

    def objects(self, **values: Any) -> list[Model]:
        if connection.vendor != "postgresql" or self._orm_only:
            return list(self.build(**values))
        plan = self._plan or self._compile(values)
        if plan is None or self._make is None:
            self._orm_only = True
            return list(self.build(**values))
        make, db, init_list, start, end, populators = self._make
        found = []
        for row in self._run(plan, values):
            instance = make(db, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            found.append(instance)
        return found

    def _run(self, plan: tuple, values: dict[str, Any]) -> list[tuple]:
        sql, params, slots, _, converters, locks = plan
        if locks and not connection.in_atomic_block:
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = list(params)
        for index, name in slots:
            value = values[name]
            params[index] = pg_array(list(value)) if name in self.arrays else value
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        if converters:
            found = [_converted(row, converters) for row in found]
        return found

    def _compile(self, values: dict[str, Any]) -> tuple | None:
        stand_ins = {name: f"\x01{_STAND_IN - i}" if name in self.texts else _STAND_IN - i for i, name in enumerate(sorted(values))}
        queryset = self.build(**{name: [s] if name in self.arrays else s for name, s in stand_ins.items()})
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        wanted = {(pg_array([s]) if name in self.arrays else s): name for name, s in stand_ins.items()}
        slots = [(index, wanted[p]) for index, p in enumerate(params) if _hashable(p) and p in wanted]
        if {name for _, name in slots} != set(values):
            self._orm_only = True
            return None
        width = compiler.col_count
        converters = list(compiler.get_converters([s[0] for s in compiler.select[0:width]]).items())
        klass_info, fetch_mode = compiler.klass_info, queryset._fetch_mode
        if klass_info is not None and not compiler.annotation_col_map and not fetch_mode.track_peers:
            # A model query: its instances made as the ORM's ModelIterable makes them.
            fields = klass_info["select_fields"]
            start, end = fields[0], fields[-1] + 1
            self._make = (
                _get_from_db(klass_info["model"], fetch_mode),
                queryset.db,
                [f[0].target.attname for f in compiler.select[start:end]],
                start,
                end,
                get_related_populators(klass_info, compiler.select, queryset.db, fetch_mode),
            )
        self._plan = (sql, tuple(params), slots, width, converters, bool(queryset.query.select_for_update))
        return self._plan


def _hashable(value: Any) -> bool:
    return isinstance(value, (int, str))


def _converted(row: tuple, converters: list) -> tuple:
    row = list(row)
    for position, (functions, expression) in converters:
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return tuple(row)


_UPDATES: dict[tuple[type[Model], tuple[str, ...]], tuple[str, list]] = {}


def fields_save(instance: Model, fields: Sequence[str]) -> None:
    """``instance.save(update_fields=fields)`` for a row the caller holds locked, its UPDATE
    built once per model and fields (PostgreSQL; the ORM's save elsewhere). The models this
    serves have no save() of their own and no signal receivers."""
    if connection.vendor != "postgresql":
        instance.save(update_fields=fields)
        return
    key = (type(instance), tuple(fields))
    plan = _UPDATES.get(key)
    if plan is None:
        meta = instance._meta
        q = connection.ops.quote_name
        model_fields = [meta.get_field(name) for name in fields]
        columns = ", ".join(f"{q(f.column)} = %s" for f in model_fields)
        plan = _UPDATES[key] = (f"UPDATE {q(meta.db_table)} SET {columns} WHERE {q(meta.pk.column)} = %s", model_fields)
    sql, model_fields = plan
    params = [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in model_fields]
    params.append(instance.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount != 1:
            raise DatabaseError(f"{type(instance).__name__} {instance.pk} was not updated: {cursor.rowcount} rows")
