"""Filters of the Lots/Serial Numbers list (seed 002: by product, company, creation date; search
by lot/serial number or reference; group by product). Choices come from the active company only,
so another company's row is an invalid choice, never a filter that quietly matches nothing."""

import django_filters as filters
from django.db.models import Exists, OuterRef, Q

from inventory.models import Balance, Company, Location, LotStatus
from inventory.web.filters import DateFromTo, SearchChoiceFilter, SearchFilter, internal_locations, matching

from .choices import TRACKED_ITEMS

ALL_STATUSES = "all"
STATUS_CHOICES = [*LotStatus.choices, (ALL_STATUSES, "Any, archived included")]
GROUPS = [("product", "Product")]


def _companies(request):
    # The list shows the active company's lots only; offering the user's other companies would
    # be a filter that always comes back empty (switch company in the top bar instead).
    return Company.objects.filter(pk=request.company.pk) if request else Company.objects.none()


def _locations(request):
    return internal_locations(request) if request else Location.objects.none()


class LotFilter(filters.FilterSet):
    q = SearchFilter(method="search", placeholder="Lot/serial number or reference")
    item = SearchChoiceFilter(source=TRACKED_ITEMS, label="Product", empty_label="Any product")
    company = filters.ModelChoiceFilter(queryset=_companies, label="Company", empty_label="Active company")
    status = filters.ChoiceFilter(choices=STATUS_CHOICES, method="with_status", label="Status", empty_label="Active and on hold")
    location = filters.ModelChoiceFilter(queryset=_locations, method="at_location", label="Location", empty_label="Any location")
    created = DateFromTo(field_name="created_at", label="Created")
    expiry = DateFromTo(field_name="expiry_date", label="Expires")
    group = filters.ChoiceFilter(choices=GROUPS, method="no_filter", label="Group by", empty_label="No grouping")

    @property
    def qs(self):
        if not hasattr(self, "_visible"):
            rows = super().qs
            # Archived lots stay out of sight unless the status filter asks for them.
            asked = self.is_bound and self.form.is_valid() and self.form.cleaned_data.get("status")
            self._visible = rows if asked else rows.exclude(status=LotStatus.ARCHIVED)
        return self._visible

    def search(self, queryset, name, value):
        """A scanned number matches exactly, through the (company, number) index, without
        scanning every lot; anything else matches part of a number or reference."""
        value = value.strip()
        if not value:
            return queryset
        exact = queryset.filter(number=value)
        if exact.order_by().exists():
            return exact
        return matching(queryset, Q(number__icontains=value) | Q(reference__icontains=value))

    def with_status(self, queryset, name, value):
        return queryset if value == ALL_STATUSES else queryset.filter(status=value)

    def at_location(self, queryset, name, value):
        stock = Balance.objects.filter(lot=OuterRef("pk"), location=value, quantity__gt=0)
        return queryset.filter(Exists(stock))

    def no_filter(self, queryset, name, value):
        return queryset
