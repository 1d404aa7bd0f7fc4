"""Items, locations, stock on hand and the quantities still waiting for a lot/serial number."""

from django.db.models import F
from django.views.generic import TemplateView
from django_tables2 import SingleTableMixin

from ..filters.catalog import ItemFilter, LocationFilter, StockFilter, UnassignedFilter
from ..models import Item, Location, LocationKind, StockSummary, Tracking
from ..selectors import internal_locations_with_on_hand, items_with_on_hand, location_paths, stock_on_hand, unassigned_balances
from ..tables.catalog import BalanceTable, ItemTable, LocationTable, UnassignedTable
from ..web.tables import PAGINATION, table_attrs
from ..web.views import CompanyListView, CompanyObjectMixin

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
