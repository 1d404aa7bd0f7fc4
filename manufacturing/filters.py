import django_filters

from inventory.web.filters import DateFromTo, SearchChoiceFilter, SearchFilter

from .choices import WORK_ORDER_ITEMS
from .models import WorkOrder, WorkOrderState
from .selectors import work_orders_with_number

GROUPS = [("state", "State"), ("item", "Item")]


class WorkOrderFilter(django_filters.FilterSet):
    q = SearchFilter(method="search", placeholder="Number, reference or lot/serial")
    state = django_filters.ChoiceFilter(choices=WorkOrderState.choices, empty_label="Any state")
    item = SearchChoiceFilter(source=WORK_ORDER_ITEMS, empty_label="Any item")
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
