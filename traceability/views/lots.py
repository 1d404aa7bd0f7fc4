"""The Lots/Serial Numbers pages (seed 002): list, create, view, edit, locations, history,
archive and delete. Views bind a form or filter and call one service or selector."""

import csv
from itertools import groupby

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views import View
from django.views.generic import FormView, TemplateView
from django_tables2 import SingleTableMixin

from inventory.exceptions import InventoryError, LotRefused
from inventory.models import LotStatus
from inventory.selectors import location_paths, lot_usage
from inventory.services import lot_archive, lot_create, lot_delete, lot_edit, lot_restore, number_preview
from inventory.web.tables import PAGINATION
from inventory.web.views import CompanyListView, GroupedListMixin, clean_text

from ..filters import ALL_STATUSES, GROUPS, LotFilter
from ..forms import LotCreateForm, LotEditForm
from ..selectors import (
    lot_history,
    lot_hold_events,
    lot_locations,
    lot_on_hand,
    lot_product_totals,
    lot_production,
    lots_with_on_hand,
)
from ..tables import LotHistoryTable, LotLocationTable, LotTable, lot_csv_rows, lot_status_badge
from .base import LotMixin, TrackingMixin


def refusal_to_form(form, error: InventoryError) -> None:
    """A service's refusal next to the field it concerns (or above the form)."""
    errors = error.errors if isinstance(error, LotRefused) else {None: [str(p) for p in error.problems]}
    for field, texts in errors.items():
        for text in texts:
            form.add_error(field if field in form.fields else None, text)


# List and export ------------------------------------------------------------------------------


class LotListView(TrackingMixin, GroupedListMixin, CompanyListView):
    permission_required = "inventory.view_lot"
    template_name = "traceability/lot_list.html"
    filterset_class = LotFilter
    table_class = LotTable
    title = "Lots/Serial Numbers"
    group_choices = GROUPS

    def get_queryset(self):
        return lots_with_on_hand(company=self.company)

    def get_table_data(self):
        rows = super().get_table_data()
        return rows.order_by(*rows.page_order) if self.group else rows

    def group_rows(self, page: list) -> list[tuple]:
        totals = lot_product_totals(lots=self.filterset.qs, item_ids={lot.item_id for lot in page})
        for lot in page:
            lot.status_badge = lot_status_badge(lot.status)  # the same badge as the ungrouped list
        return [
            (lots[0].item, totals.get(item_id, {}), lots)
            for item_id, lots in ((k, list(g)) for k, g in groupby(page, key=lambda lot: lot.item_id))
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.archived_hidden(context["table"]))
        return context

    def archived_hidden(self, table) -> dict:
        """When the filter shows nothing but would match archived lots (hidden unless asked for),
        how many, and the query string that shows them."""
        form = self.filterset.form
        if not self.filterset.is_valid() or form.cleaned_data.get("status") or (table.paginator and table.paginator.count):
            return {}
        data = self.request.GET.copy()
        data["status"] = LotStatus.ARCHIVED
        archived = LotFilter(data, queryset=self.get_queryset(), request=self.request).qs.count()
        if not archived:
            return {}
        data["status"] = ALL_STATUSES
        data.pop("page", None)
        return {"archived_hidden": archived, "show_archived": data.urlencode()}


class _Echo:
    """csv.writer writes into this and gets the line back, for streaming."""

    def write(self, value):
        return value


class LotExportView(TrackingMixin, View):
    """The filtered list as CSV, streamed a chunk at a time: a million lots never sit in memory."""

    permission_required = "inventory.view_lot"

    def get(self, request):
        filterset = LotFilter(request.GET or None, queryset=lots_with_on_hand(company=self.company), request=request)
        if filterset.is_bound and not filterset.is_valid():
            messages.error(request, "The export was not made: correct the filter first.")
            return redirect(f"{reverse('traceability:lot-list')}?{request.GET.urlencode()}")
        writer = csv.writer(_Echo())
        rows = filterset.qs.order_by("item__sku", "number")
        response = StreamingHttpResponse((writer.writerow(row) for row in lot_csv_rows(rows)), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="lots-{self.company.code}.csv"'
        return response


# Create ---------------------------------------------------------------------------------------


class LotCreateView(TrackingMixin, FormView):
    permission_required = "inventory.add_lot"
    template_name = "traceability/lot_form.html"
    form_class = LotCreateForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "company": self.company}

    def get_initial(self):
        """A product chosen (``?item=``: its SKU, label or primary key, as the form takes it)
        pre-fills the number its numbering would give next. A number the clerk typed is kept;
        the previous preview is replaced."""
        initial = super().get_initial()
        item = LotCreateForm(company=self.company).fields["item"].choice_set.shown(self.request.GET.get("item", ""))
        if item is not None:
            typed = clean_text(self.request.GET.get("number"))
            initial["item"] = item.pk
            initial["number"] = typed if typed and typed != self.request.GET.get("previewed") else number_preview(item=item)
        return initial

    def get_context_data(self, **kwargs):
        form = kwargs.get("form")
        previewed = form.initial.get("number", "") if form is not None and not form.is_bound else self.request.POST.get("previewed", "")
        return super().get_context_data(previewed=previewed, **kwargs)

    def form_valid(self, form):
        values = form.values()
        if values["number"] and values["number"] == self.request.POST.get("previewed"):
            # The shown preview is taken from the counter now, so the counter moves on (another
            # clerk may have taken it meanwhile: the message names the number given).
            values["number"] = ""
        if values["quantity"] > 0 and not self.request.user.has_perm("inventory.post_document"):
            form.add_error("quantity", "Your role does not post stock adjustments: create it with quantity 0.")
            return self.form_invalid(form)
        try:
            lot = lot_create(company=self.company, user=self.request.user, **values)
        except InventoryError as error:
            refusal_to_form(form, error)
            return self.form_invalid(form)
        stock = f" with {values['quantity'].normalize():f} at {values['location'].code}" if values["quantity"] > 0 else ""
        if "another" in self.request.POST:
            messages.success(self.request, f"{lot.number} ({lot.item.sku}) created{stock}. Create another below.")
            return redirect("traceability:lot-create")
        messages.success(self.request, f"{lot.number} created{stock}.")
        return redirect("traceability:lot-detail", lot_pk=lot.pk)


# The tabs of one lot --------------------------------------------------------------------------


class LotDetailView(LotMixin, TemplateView):
    permission_required = "inventory.view_lot"
    template_name = "traceability/lot_detail.html"
    tab = "view"

    def get_context_data(self, **kwargs):
        lot = self.lot
        return super().get_context_data(
            on_hand=lot_on_hand(lot=lot),
            hold_events=lot_hold_events(lot=lot),
            production=lot_production(lot=lot),
            serial_count=None if lot.is_serial else lot.serials.count(),
            created_by=lot.created_by,
            today=timezone.localdate(),
            **kwargs,
        )


class LotUpdateView(LotMixin, FormView):
    permission_required = "inventory.change_lot"
    template_name = "traceability/lot_update.html"
    form_class = LotEditForm
    tab = "edit"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "lot": self.lot}

    def form_valid(self, form):
        try:
            lot_edit(lot=self.lot, user=self.request.user, **form.values())
        except InventoryError as error:
            refusal_to_form(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.lot.number} saved.")
        return redirect("traceability:lot-detail", lot_pk=self.lot.pk)


class LotLocationsView(LotMixin, SingleTableMixin, TemplateView):
    permission_required = "inventory.view_lot"
    template_name = "traceability/lot_locations.html"
    table_class = LotLocationTable
    table_pagination = PAGINATION
    tab = "locations"

    def get_table_data(self):
        return lot_locations(lot=self.lot)

    def get_table_kwargs(self):
        # One query for every location's path instead of one per level per row.
        return {"paths": location_paths(company=self.company)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(on_hand=lot_on_hand(lot=self.lot), **kwargs)


class LotHistoryView(LotMixin, SingleTableMixin, TemplateView):
    permission_required = ("inventory.view_lot", "inventory.view_stockmove")  # costs, partners: not for cashiers
    template_name = "traceability/lot_history.html"
    table_class = LotHistoryTable
    table_pagination = PAGINATION
    tab = "history"

    def get_table_data(self):
        return lot_history(lot=self.lot)


class LotArchiveView(LotMixin, TemplateView):
    """Archive, restore or delete, behind this confirmation page."""

    permission_required = "inventory.change_lot"
    template_name = "traceability/lot_archive.html"
    tab = "archive"

    def get_context_data(self, **kwargs):
        usage = lot_usage(lot=self.lot)
        return super().get_context_data(usage=usage, confirm=self.confirming(usage), **kwargs)

    def confirming(self, usage) -> str | None:
        """The action asked for by ``?confirm=``, when it may be done: its confirmation is shown
        instead of the tab (the documents' Post and Reverse work the same way)."""
        asked = self.request.GET.get("confirm")
        if asked == "archive" and usage.archivable and self.lot.status == LotStatus.ACTIVE:
            return asked
        if asked == "delete" and usage.deletable and self.request.user.has_perm("inventory.delete_lot"):
            return asked
        return None

    def post(self, request, lot_pk):
        action = request.POST.get("action")
        if action == "delete" and not request.user.has_perm("inventory.delete_lot"):
            raise PermissionDenied("Your role does not delete lots.")
        act = {"archive": lot_archive, "restore": lot_restore, "delete": lot_delete}.get(action)
        if act is None:
            return self.render_to_response(self.get_context_data(problems=["Choose archive, restore or delete."]), status=400)
        try:
            done = act(lot=self.lot) if action == "delete" else act(lot=self.lot, user=request.user)
        except InventoryError as error:
            problems = [str(p) for p in error.problems]
            return self.render_to_response(self.get_context_data(problems=problems), status=422)
        if action == "delete":
            messages.success(request, f"{done} deleted.")
            return redirect("traceability:lot-list")
        messages.success(request, f"{self.lot.number} {'archived' if action == 'archive' else 'restored'}.")
        return redirect("traceability:lot-detail", lot_pk=self.lot.pk)


urlpatterns = [
    path("lots/", LotListView.as_view(), name="lot-list"),
    path("lots/export.csv", LotExportView.as_view(), name="lot-export"),
    path("lots/new/", LotCreateView.as_view(), name="lot-create"),
    path("lots/<int:lot_pk>/", LotDetailView.as_view(), name="lot-detail"),
    path("lots/<int:lot_pk>/edit/", LotUpdateView.as_view(), name="lot-update"),
    path("lots/<int:lot_pk>/locations/", LotLocationsView.as_view(), name="lot-locations"),
    path("lots/<int:lot_pk>/history/", LotHistoryView.as_view(), name="lot-history"),
    path("lots/<int:lot_pk>/archive/", LotArchiveView.as_view(), name="lot-archive"),
]
