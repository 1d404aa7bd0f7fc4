"""What every traceability page shares: the active company, the role checks, and the company's
lot/serial tracking switch (seed 002: the pages exist only when tracking is enabled)."""

from django.shortcuts import render

from inventory.models import Lot
from inventory.web.views import CompanyMixin


class TrackingMixin(CompanyMixin):
    """A traceability page: only for companies with lot/serial tracking enabled."""

    def dispatch(self, request, *args, **kwargs):
        company = getattr(request, "company", None)
        if request.user.is_authenticated and company and not company.tracking_enabled:
            return render(request, "traceability/tracking_off.html", status=404)
        return super().dispatch(request, *args, **kwargs)


def lots_of(company):
    """The company's lots/serials with what their pages show at once."""
    return Lot.objects.filter(company=company).select_related("item__lot_class", "item__company", "last_location", "parent")


class LotMixin(TrackingMixin):
    """A page about one lot/serial (the tabs of ``traceability/lot_base.html``). The lot is
    looked up before any handler runs, so another company's lot is a 404 whatever the method."""

    tab = ""

    def dispatch(self, request, *args, **kwargs):
        company = getattr(request, "company", None)
        if request.user.is_authenticated and company and company.tracking_enabled and self.has_permission():
            self.lot = self.company_object(lots_of(company), self.kwargs["lot_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(lot=self.lot, tab=self.tab, **kwargs)
