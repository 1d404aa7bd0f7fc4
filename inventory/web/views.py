"""What every back-office view shares: the active company and the role checks."""

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from ..exceptions import InventoryError
from .tables import PAGINATION


class CompanyMixin(PermissionRequiredMixin):
    """Works inside ``request.company``; anything of another company is a 404, a missing role a 403."""

    raise_exception = True

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.company:
            raise PermissionDenied("You are not a member of any company.")
        return super().dispatch(request, *args, **kwargs)

    @property
    def company(self):
        return self.request.company

    def company_object(self, queryset, pk):
        """The row ``pk`` of ``queryset`` if it belongs to the active company, else 404."""
        return get_object_or_404(queryset, pk=pk, company=self.company)


def row_ids(values) -> list[int]:
    """Row ids from a form or query string: only plain ASCII digits that fit a bigint count,
    so "²", "1.5" or a 30-digit number is dropped instead of raising in the database."""
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) <= 18]


def clean_text(value: str | None, limit: int = 80) -> str:
    """A typed search term: trimmed, bounded, and without NUL (PostgreSQL refuses it in text)."""
    return (value or "").replace("\x00", "").strip()[:limit]


def problems_text(error: InventoryError) -> list[str]:
    return [str(p) for p in error.problems]


def kind_or_404(kind: str, allowed) -> str:
    if kind not in allowed:
        raise Http404("No such document kind")
    return kind


class CompanyListView(CompanyMixin, SingleTableMixin, FilterView):
    """A filtered, sortable list of the active company's rows, 50 a page; an out-of-range page
    number shows the last page, a malformed filter an error above an empty table."""

    template_name = "inventory/list_base.html"
    table_pagination = PAGINATION
    title = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, **kwargs)


class CompanyObjectMixin(CompanyMixin):
    """A page about one row of the active company. The row is looked up before any method
    handler runs, so another company's row is a 404 whatever the method."""

    def dispatch(self, request, *args, **kwargs):
        if request.company and self.has_permission():
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)


class GroupedListMixin:
    """A list that may be grouped by ``?group=`` (one of ``group_choices``): its rows come in group
    order, its columns do not sort (that would scatter the groups), and the context's ``groups``
    holds, for the groups the page shows, ``(label, subtotals, rows)`` from ``group_rows``."""

    group_choices: list[tuple[str, str]] = []

    def get(self, request, *args, **kwargs):
        group = request.GET.get("group")
        self.group = group if group in dict(self.group_choices) else None
        return super().get(request, *args, **kwargs)

    def get_table_kwargs(self):
        return {"orderable": not self.group}

    def group_rows(self, page: list) -> list[tuple]:
        """``(label, subtotals, rows)`` per group of ``page`` (its records, in group order)."""
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["group"] = self.group
        context["groups"] = None
        if self.group and self.filterset.is_valid():
            table = context["table"]
            context["groups"] = self.group_rows([row.record for row in table.page.object_list] if table.page else [])
        return context


def subtotals_by(rows, key: str, **totals) -> dict:
    """``totals`` (aggregates) of ``rows`` per value of ``key``: a group's line above its rows."""
    return {row[key]: row for row in rows.order_by().values(key).annotate(**totals)}
