import django_filters

from inventory.filters import DateFromTo, SearchFilter
from inventory.models import Item

from .models import WorkOrder, WorkOrderState
from .selectors import work_orders_with_number

GROUPS = [("state", "State"), ("item", "Item")]


def _items(request):
    return Item.objects.filter(company=request.company).order_by("sku") if request else Item.objects.none()


class WorkOrderFilter(django_filters.FilterSet):
    q = SearchFilter(method="search", placeholder="Number, reference or lot/serial")
    state = django_filters.ChoiceFilter(choices=WorkOrderState.choices, empty_label="Any state")
    item = django_filters.ModelChoiceFilter(queryset=_items, empty_label="Any item")
    due_date = DateFromTo(label="Due")
    group = django_filters.ChoiceFilter(choices=GROUPS, method="no_filter", empty_label="No grouping", label="Group by")

    class Meta:
        model = WorkOrder
        fields = ["q", "state", "item", "due_date", "group"]

    def search(self, queryset, name, value):
        value = value.replace("\x00", "").strip()[:80]
        if not value:
            return queryset
        return queryset.filter(work_orders_with_number(self.request.company, value))

    def no_filter(self, queryset, name, value):
        return queryset
