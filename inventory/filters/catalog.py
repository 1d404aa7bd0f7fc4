"""Filters of the catalogue and stock lists. Choices come from the active company only, so a
row of another company is an invalid choice, never a filter that quietly matches nothing."""

import django_filters as filters
from django import forms
from django.db.models import Q

from ..models import Item, Lot, LotSerialClass, Tracking
from ..selectors import expiry_window
from ..web.choices import ITEMS
from ..web.filters import NARROW_MATCHES, SearchChoiceFilter, SearchFilter, internal_locations

YES_NO = forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])


def _search(placeholder):
    return SearchFilter(method="search", placeholder=placeholder)


def company_classes(request):
    return LotSerialClass.objects.filter(company=request.company)


class ItemFilter(filters.FilterSet):
    q = _search("SKU, name or GTIN")
    tracking = filters.ChoiceFilter(choices=Tracking.choices, field_name="tracking_in_force", label="Tracking", empty_label="Any tracking")
    lot_class = filters.ModelChoiceFilter(queryset=company_classes, label="Class", empty_label="Any class")
    is_stocked = filters.BooleanFilter(label="Stocked", widget=YES_NO)
    is_active = filters.BooleanFilter(label="Active", widget=YES_NO)

    def search(self, queryset, name, value):
        return queryset.filter(Q(sku__icontains=value) | Q(name__icontains=value) | Q(gtin__icontains=value))


class LocationFilter(filters.FilterSet):
    q = _search("Code or name")
    parent = filters.ModelChoiceFilter(queryset=internal_locations, label="Inside", empty_label="Anywhere")
    is_active = filters.BooleanFilter(label="Active", widget=YES_NO)

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class ExpiringField(forms.CharField):
    """A number of days, or ``alert`` for each class's own alert period."""

    def clean(self, value):
        value = super().clean(value).strip().lower()
        if value in ("", "alert"):
            return value
        if not (value.isascii() and value.isdigit()) or len(value) > 5:
            raise forms.ValidationError("Enter a number of days (0 to 99999) or “alert”.")
        return int(value)


class ExpiringFilter(filters.Filter):
    field_class = ExpiringField

    def filter(self, queryset, value):
        if value == "":
            return queryset
        # On the balance's own copy of its lot's expiry date (indexed), not through the lots.
        company = self.parent.request.company
        window = expiry_window(company=company, within_days=None if value == "alert" else value)
        return queryset.filter(expiry_date__isnull=False).filter(window)


class StockFilter(filters.FilterSet):
    q = _search("Lot/serial number or SKU")
    item = SearchChoiceFilter(source=ITEMS, empty_label="Any item")
    location = filters.ModelChoiceFilter(queryset=internal_locations, empty_label="Any location")
    expiring = ExpiringFilter(
        label="Expiring within",
        widget=forms.TextInput(attrs={"placeholder": "days or “alert”", "size": 10}),
    )
    unnumbered = filters.BooleanFilter(field_name="lot", lookup_expr="isnull", label="Unnumbered", widget=YES_NO)

    def search(self, queryset, name, value):
        # The matching lots and items first, each on its own table's index (a trigram one for lot
        # numbers on PostgreSQL); then their balances by the balance's own indexes.
        company = self.request.company
        lot_ids = list(Lot.objects.filter(company=company, number__icontains=value).values_list("pk", flat=True)[: NARROW_MATCHES + 1])
        item_ids = list(Item.objects.filter(company=company, sku__icontains=value).values_list("pk", flat=True)[: NARROW_MATCHES + 1])
        if len(lot_ids) > NARROW_MATCHES or len(item_ids) > NARROW_MATCHES:
            return queryset.filter(Q(lot__number__icontains=value) | Q(item__sku__icontains=value))
        return queryset.filter(Q(lot_id__in=lot_ids) | Q(item_id__in=item_ids))


class UnassignedFilter(filters.FilterSet):
    q = _search("SKU or name")
    location = filters.ModelChoiceFilter(queryset=internal_locations, empty_label="Any location")

    def search(self, queryset, name, value):
        return queryset.filter(Q(item__sku__icontains=value) | Q(item__name__icontains=value))
