"""Labels of lots and serials to print, many a sheet: ``labels/?lot=<pk>&lot=<pk>…``."""

from django.urls import path
from django.views.generic import TemplateView

from inventory.web.views import row_ids

from ..labels import lot_labels
from .base import TrackingMixin, lots_of

MAX_LABELS = 500


def label_ids(values) -> list[int]:
    """The first ``MAX_LABELS`` distinct ids, in the order given (the sheet's order)."""
    return list(dict.fromkeys(row_ids(values[: MAX_LABELS * 2])))[:MAX_LABELS]


class LotLabelsView(TrackingMixin, TemplateView):
    """A sheet of labels; ids of another company's lots are simply not shown."""

    permission_required = "inventory.view_lot"
    template_name = "traceability/lot_labels.html"

    def get_context_data(self, **kwargs):
        ids = label_ids(self.request.GET.getlist("lot"))
        lots = {lot.pk: lot for lot in lots_of(self.company).filter(pk__in=ids)} if ids else {}
        labels = lot_labels(lots[pk] for pk in ids if pk in lots)
        return super().get_context_data(labels=labels, asked=len(ids), max_labels=MAX_LABELS, **kwargs)


urlpatterns = [
    path("labels/", LotLabelsView.as_view(), name="lot-labels"),
]
