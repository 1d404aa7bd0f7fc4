import django_filters
from django.db.models import Q

from ..models import Allocation, Document, DocumentKind, DocumentLine, DocumentStatus, Location, LocationKind, Lot, StockMove
from ..web.choices import PARTNERS
from ..web.filters import DateFromTo, SearchChoiceFilter, SearchFilter, matching

GROUPS = [("kind", "Kind"), ("status", "Status"), ("partner", "Partner")]


def _locations(request):
    return Location.objects.filter(company=request.company, kind=LocationKind.INTERNAL) if request else Location.objects.none()


class DocumentFilter(django_filters.FilterSet):
    q = SearchFilter(method="search", placeholder="Number, reference or lot/serial")
    kind = django_filters.ChoiceFilter(choices=DocumentKind.choices, empty_label="Any kind")
    status = django_filters.ChoiceFilter(choices=DocumentStatus.choices, empty_label="Any status")
    partner = SearchChoiceFilter(source=PARTNERS, empty_label="Any partner")
    location = django_filters.ModelChoiceFilter(queryset=_locations, method="at_location", label="Location", empty_label="Any location")
    date = DateFromTo(label="Date")
    group = django_filters.ChoiceFilter(choices=GROUPS, method="no_filter", empty_label="No grouping", label="Group by")

    class Meta:
        model = Document
        fields = ["q", "kind", "status", "partner", "location", "date", "group"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        company = self.request.company
        # Lot/serial numbers match exactly (they are indexed); numbers and references also in part.
        # The lots are looked up first so that the moves are read by their lot indexes.
        lot_ids = list(Lot.objects.filter(company=company, number=value).values_list("pk", flat=True)[:1000])
        on_lines = DocumentLine.objects.filter(company=company, lot_number=value).values("document_id")
        allocated = Allocation.objects.filter(company=company).filter(Q(number=value) | Q(lot_id__in=lot_ids)).values("document_id")
        moved = StockMove.objects.filter(Q(from_lot_id__in=lot_ids) | Q(to_lot_id__in=lot_ids)).values("document_id")
        return matching(
            queryset,
            Q(number__icontains=value) | Q(reference__icontains=value) | Q(pk__in=on_lines) | Q(pk__in=allocated) | Q(pk__in=moved),
        )

    def at_location(self, queryset, name, value):
        return queryset.filter(Q(from_location=value) | Q(to_location=value))

    def no_filter(self, queryset, name, value):
        return queryset
