"""Expiry and valuation reports: bind the filter form, call the selectors, render.

A filter that does not validate (``?days=abc``, another company's item, ``?by=nonsense``) is
named above an empty report, never a server error.
"""

from decimal import Decimal

from django.urls import path
from django.utils.formats import date_format
from django.views.generic import TemplateView
from django_tables2 import SingleTableMixin

from inventory.models import Balance
from inventory.web.tables import PAGINATION

from ..forms import ExpiryFilterForm, ValuationFilterForm
from ..selectors.reports import GROUPINGS, Valuation, expiry_rows, expiry_totals, expiry_weeks, stock_valuation
from ..tables_reports import ExpiryTable, ValuationTable
from .base import TrackingMixin

# The chart ------------------------------------------------------------------------------------

BAR, GAP, LEFT, TOP, PLOT, BOTTOM = 44, 14, 10, 22, 150, 40


def week_chart(buckets) -> dict:
    """Geometry of the weekly bar chart, as strings ready for SVG attributes (no locale commas)."""
    peak = max((b.quantity for b in buckets), default=Decimal(0))
    bars = []
    for index, bucket in enumerate(buckets):
        height = float(bucket.quantity / peak) * PLOT if peak else 0.0
        x = LEFT + index * (BAR + GAP)
        y = TOP + PLOT - height
        quantity = f"{bucket.quantity.normalize():f}" if bucket.quantity else "0"
        bars.append(
            {
                "x": f"{x:.1f}",
                "y": f"{y:.1f}",
                "width": str(BAR),
                "height": f"{height:.1f}",
                "centre": f"{x + BAR / 2:.1f}",
                "value_y": f"{y - 5:.1f}",
                "label_y": f"{TOP + PLOT + 16:.1f}",
                "year_y": f"{TOP + PLOT + 30:.1f}",
                "quantity": quantity,
                "start": bucket.start,
                "label": date_format(bucket.start, "j M"),
                "title": f"Week of {date_format(bucket.start, 'D j M Y')} to {date_format(bucket.end, 'D j M Y')}: {quantity} expiring",
            }
        )
    width = LEFT * 2 + len(buckets) * BAR + max(len(buckets) - 1, 0) * GAP
    return {
        "bars": bars,
        "width": str(width),
        "height": str(TOP + PLOT + BOTTOM),
        "empty": not peak,
        "baseline": f"{TOP + PLOT:.1f}",
        "right": str(width - LEFT),
        "left": str(LEFT),
    }


# Pages ----------------------------------------------------------------------------------------


class ExpiryView(TrackingMixin, SingleTableMixin, TemplateView):
    """Lots/serials expired or expiring within ``?days=`` (default: each class's alert period),
    on hand by location, with the quantity expiring in each of the next 12 weeks."""

    permission_required = "inventory.view_lot"
    template_name = "traceability/expiry.html"
    table_class = ExpiryTable
    table_pagination = PAGINATION

    def get(self, request, *args, **kwargs):
        self.form = ExpiryFilterForm(request.GET, company=self.company)
        self.valid = self.form.is_valid()
        if self.valid:
            data = self.form.cleaned_data
            self.scope = {"company": self.company, "item": data["item"], "location": data["location"]}
            self.rows = expiry_rows(within_days=data["days"], **self.scope)
        return super().get(request, *args, **kwargs)

    def get_table_data(self):
        return self.rows if self.valid else Balance.objects.none()

    def get_context_data(self, **kwargs):
        context = {"form": self.form, "problems": self.form.problems()}
        if self.valid:
            context.update(
                days=self.form.cleaned_data["days"],
                totals=expiry_totals(within_days=self.form.cleaned_data["days"], **self.scope),
                chart=week_chart(expiry_weeks(**self.scope)),
            )
        return super().get_context_data(**context, **kwargs)


class ValuationView(TrackingMixin, SingleTableMixin, TemplateView):
    """On-hand value at internal locations by item, lot/serial or location, each item by its
    valuation method (see ``stock_valuation``). By lot/serial the table pages a queryset."""

    permission_required = ("inventory.view_lot", "inventory.view_stockmove")  # costs: not for cashiers
    template_name = "traceability/valuation.html"
    table_class = ValuationTable
    table_pagination = PAGINATION

    def get(self, request, *args, **kwargs):
        self.form = ValuationFilterForm(request.GET, company=self.company)
        self.by, self.valuation = "item", Valuation(rows=[], value=Decimal(0))
        if self.form.is_valid():
            data = self.form.cleaned_data
            self.by = data["by"]
            self.valuation = stock_valuation(company=self.company, by=self.by, item=data["item"], location=data["location"])
        return super().get(request, *args, **kwargs)

    def get_table_data(self):
        return self.valuation.rows

    def get_table_kwargs(self):
        return {"by": self.by, "total": self.valuation.value}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            form=self.form, problems=self.form.problems(), by=self.by, valuation=self.valuation, groupings=GROUPINGS, **kwargs
        )


urlpatterns = [
    path("expiry/", ExpiryView.as_view(), name="expiry"),
    path("valuation/", ValuationView.as_view(), name="valuation"),
]
