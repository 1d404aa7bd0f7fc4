"""Items, locations, stock on hand and the quantities still waiting for a lot/serial number."""

from django.db.models import Case, CharField, Count, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.views.generic import TemplateView
from django_tables2 import SingleTableMixin

from ..filters.catalog import ItemFilter, LocationFilter, StockFilter, UnassignedFilter
from ..models import Balance, Item, Location, LocationKind, StockSummary, Tracking
from ..paging import grouped_pages
from ..quantities import QTY, ZERO
from ..selectors import location_paths, unassigned_balances
from ..tables.catalog import BalanceTable, ItemTable, LocationTable, UnassignedTable
from ..web.tables import PAGINATION, table_attrs
from ..web.views import CompanyListView, CompanyObjectMixin

# Reads used by these pages only (candidates for selectors.py / queryset methods).


def items_with_on_hand(*, company):
    """The company's items with ``on_hand`` (all locations, from the stock summaries: a few rows
    per item, not one per lot) and ``tracking_in_force`` (see Item.tracking)."""
    on_hand = StockSummary.objects.filter(item=OuterRef("pk")).values("item").annotate(total=Sum("quantity")).values("total")
    tracked = Q(is_stocked=True, lot_class__isnull=False, company__tracking_enabled=True)
    return (
        Item.objects.filter(company=company)
        .select_related("lot_class")
        .annotate(
            on_hand=Coalesce(Subquery(on_hand, output_field=QTY), Value(ZERO), output_field=QTY),
            tracking_in_force=Case(When(tracked, then=F("lot_class__tracking")), default=Value(Tracking.NONE), output_field=CharField()),
        )
    )


def internal_locations_with_on_hand(*, company):
    """Internal locations with how many items they hold and how much, from the stock summaries."""
    here = StockSummary.objects.filter(location=OuterRef("pk")).order_by().values("location")
    return Location.objects.filter(company=company, kind=LocationKind.INTERNAL).annotate(
        items=Coalesce(Subquery(here.filter(quantity__gt=0).annotate(n=Count("pk")).values("n")), Value(0)),
        on_hand=Coalesce(Subquery(here.annotate(total=Sum("quantity")).values("total"), output_field=QTY), Value(ZERO), output_field=QTY),
    )


def stock_on_hand(*, company, by: str = "item"):
    """Positive balances at internal locations, in item (SKU) then lot number order, or (``by``
    location) location then lot number: a page of it is read group by group from the balance's
    (item, lot number) or (location, item, lot number) index (inventory/paging.py)."""
    rows = Balance.objects.filter(company=company, quantity__gt=0, location__kind=LocationKind.INTERNAL).select_related(
        "item", "lot", "location"
    )
    if by == "location":
        places = Location.objects.filter(company=company, kind=LocationKind.INTERNAL)
        paged = grouped_pages(rows, field="location", order=("code", "id"), within=("lot_number",), groups=places)
    else:
        items = Item.objects.filter(company=company)
        paged = grouped_pages(rows, field="item", order=("sku", "id"), within=("lot_number", "location__code"), groups=items)
    return paged.order_by(*paged.page_order)


# Pages.


class ItemListView(CompanyListView):
    permission_required = "inventory.view_item"
    filterset_class = ItemFilter
    table_class = ItemTable
    title = "Items"

    def get_queryset(self):
        return items_with_on_hand(company=self.company)


class ItemDetailView(CompanyObjectMixin, SingleTableMixin, TemplateView):
    permission_required = "inventory.view_item"
    template_name = "inventory/item_detail.html"
    table_class = BalanceTable
    table_pagination = PAGINATION

    def get_object(self):
        return self.company_object(Item.objects.select_related("lot_class", "company"), self.kwargs["item_pk"])

    def get_table_data(self):
        return stock_on_hand(company=self.company, by="location").filter(item=self.object)

    def get_table_kwargs(self):
        return {"exclude": ("item",), "attrs": table_attrs("item-stock-table")}

    def get_context_data(self, **kwargs):
        by_location = (
            StockSummary.objects.filter(item=self.object, quantity__gt=0)
            .values("location_id", "location__code", "location__name")
            .annotate(total=F("quantity"))
            .order_by("location__code")
        )
        return super().get_context_data(
            item=self.object, tracking_label=Tracking(self.object.tracking).label, by_location=by_location, **kwargs
        )


class LocationListView(CompanyListView):
    permission_required = "inventory.view_location"
    filterset_class = LocationFilter
    table_class = LocationTable
    title = "Locations"

    def get_queryset(self):
        return internal_locations_with_on_hand(company=self.company)

    def get_table_kwargs(self):
        return {"paths": location_paths(company=self.company)}


class LocationDetailView(CompanyObjectMixin, SingleTableMixin, TemplateView):
    permission_required = "inventory.view_location"
    template_name = "inventory/location_detail.html"
    table_class = BalanceTable
    table_pagination = PAGINATION

    def get_object(self):
        return self.company_object(Location.objects.select_related("parent"), self.kwargs["location_pk"])

    def get_table_data(self):
        return stock_on_hand(company=self.company).filter(location=self.object)

    def get_table_kwargs(self):
        return {"exclude": ("location", "received"), "attrs": table_attrs("location-stock-table")}

    def get_context_data(self, **kwargs):
        location = self.object
        return super().get_context_data(
            location=location,
            path=location_paths(company=self.company).get(location.pk, location.code),
            children=location.children.filter(kind=LocationKind.INTERNAL).order_by("code"),
            **kwargs,
        )


class StockListView(CompanyListView):
    permission_required = "inventory.view_balance"
    template_name = "inventory/stock_list.html"
    filterset_class = StockFilter
    table_class = BalanceTable
    title = "Stock on hand"

    def get_queryset(self):
        return stock_on_hand(company=self.company)

    def get_table_kwargs(self):
        return {"exclude": ("received",)}


class UnassignedListView(CompanyListView):
    permission_required = "inventory.view_balance"
    template_name = "inventory/unassigned_list.html"
    filterset_class = UnassignedFilter
    table_class = UnassignedTable
    title = "Stock without lot/serial numbers"

    def get_queryset(self):
        return unassigned_balances(company=self.company)

    def get_table_kwargs(self):
        return {} if self.request.user.has_perm("inventory.post_document") else {"exclude": ("assign",)}
