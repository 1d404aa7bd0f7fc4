"""Items, locations, stock on hand and the unassigned list (being written)."""
from django.views.generic import TemplateView

from .base import CompanyMixin


class _Todo(CompanyMixin, TemplateView):
    template_name = "inventory/home.html"
    permission_required = ()


ItemListView = ItemDetailView = LocationListView = LocationDetailView = StockListView = UnassignedListView = _Todo
