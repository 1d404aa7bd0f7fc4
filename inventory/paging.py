"""Pages of a long list ordered by a small table first, then by an index within each of its rows.

The lot list grouped by product and the stock list are ordered by item SKU, then by lot number.
With a million lots the database cannot take such an order from one index (SKU lives on the item,
the number on the lot), so a plain ``ORDER BY … LIMIT 50`` sorts every row for every page. Here
the page is read the way an index can serve it, on PostgreSQL: for each item in SKU order (a few
hundred rows), the first rows of that item in the index order (``LATERAL … ORDER BY number LIMIT
offset + page``), and only those are sorted. The page then costs about ``offset + page size`` index
reads plus one per item, whatever the number of lots. A list that filters down to a few thousand rows is
sorted whole instead (every group would walk its index to the end to find its few). SQLite, the
embedded default for small shops, runs the plain query.

Use ``grouped_pages(queryset, …)``: the result is the same queryset (filter, annotate and order it
as usual); a slice of it ordered by exactly ``page_order`` is read this way.
"""

from django.db import connections
from django.db.models import F, QuerySet
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.query import ModelIterable

GROUP_ALIAS = "page_group"
# A filtered list of at most this many rows is sorted whole: cheaper than walking every group.
SORTED_UP_TO = 5_000


class GroupedPageQuerySet(QuerySet):
    """A queryset that reads its ordered slices group by group (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._grouping = None

    def _clone(self):
        clone = super()._clone()
        clone._grouping = self._grouping
        return clone

    @property
    def page_order(self) -> tuple[str, ...]:
        """The ordering whose slices are read group by group."""
        field, order, within, _ = self._grouping
        return (*(f"{field}__{name}" for name in order), *within)

    def _fetch_all(self):
        if self._result_cache is None and self._reads_by_group():
            self._result_cache = self._page()
        super()._fetch_all()

    def _reads_by_group(self) -> bool:
        query = self.query
        return (
            self._grouping is not None
            and connections[self.db].vendor == "postgresql"
            and query.high_mark is not None
            and tuple(query.order_by) == self.page_order
            and self._iterable_class is ModelIterable
            and not query.distinct
            and not self._prefetch_related_lookups
        )

    def _page(self) -> list:
        """The slice's rows: by group when the filtered list is long, else sorted whole (a search
        or filter that leaves a few rows would make every group walk its index to the end)."""
        low, high = self.query.low_mark, self.query.high_mark
        base = self._chain()
        base.query.clear_limits()
        base.query.clear_ordering(force=True)
        if base.order_by().values("pk")[: SORTED_UP_TO + 1].count() > SORTED_UP_TO:
            ids = self._ids_by_group(base, low, high)
        else:
            ids = list(base.order_by(*self.page_order).values_list("pk", flat=True)[low:high])
        found = {row.pk: row for row in base.filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found]

    def _ids_by_group(self, base, low: int, high: int) -> list[int]:
        field, order, within, scope = self._grouping
        # ``within`` may hold plain names or ordered expressions (``F("x").asc(nulls_last=True)``).
        ordered = [name if isinstance(name, OrderBy) else F(name).asc() for name in within]
        keys = {f"page_key{i}": ordered[i].expression for i in range(len(within))}
        inner = (
            base.filter(**{f"{field}_id": RawSQL(f'"{GROUP_ALIAS}"."group_id"', ())})
            .annotate(**keys)
            .order_by(*within)
            .values_list("pk", *keys)[:high]
        )
        inner_sql, inner_params = inner.query.sql_with_params()
        groups_sql, groups_params = scope.order_by().values_list("pk", *order).query.sql_with_params()
        group_columns = ", ".join(["group_id", *(f"o{i}" for i in range(len(order)))])
        page_columns = ", ".join(["row_id", *keys])
        sort = ", ".join(
            [
                *(f'"{GROUP_ALIAS}".o{i}' for i in range(len(order))),
                *(_sql_order(f"page_row.{key}", how) for key, how in zip(keys, ordered)),
            ]
        )
        sql = (
            f'SELECT page_row.row_id FROM ({groups_sql}) AS "{GROUP_ALIAS}"({group_columns}) '
            f"CROSS JOIN LATERAL ({inner_sql}) AS page_row({page_columns}) "
            f"ORDER BY {sort} LIMIT %s OFFSET %s"
        )
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, (*groups_params, *inner_params, high - low, low))
            return [row[0] for row in cursor.fetchall()]


def _sql_order(column: str, how: OrderBy) -> str:
    nulls = " NULLS LAST" if how.nulls_last else " NULLS FIRST" if how.nulls_first else ""
    return f"{column} {'DESC' if how.descending else 'ASC'}{nulls}"


def grouped_pages(
    queryset: QuerySet, *, field: str, order: tuple[str, ...], within: tuple[str, ...], groups: QuerySet
) -> GroupedPageQuerySet:
    """``queryset``, reading the slices ordered by ``field``'s ``order`` then ``within`` group by
    group: ``groups`` are the rows of ``field``'s model to walk (e.g. the company's items), and
    ``within`` must be an order an index serves once the group is fixed (e.g. ``("number",)``
    for lots, by the (company, item, number) index)."""
    paged = GroupedPageQuerySet(model=queryset.model, query=queryset.query.chain(), using=queryset.db)
    paged._grouping = (field, tuple(order), tuple(within), groups)
    return paged
