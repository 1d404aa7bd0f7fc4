import django_tables2 as tables
from django.utils.html import format_html

from inventory.web.tables import DateColumn, QuantityColumn

from .models import WorkOrder

STATE_BADGE = {"draft": "secondary", "released": "primary", "in_progress": "info", "done": "success", "cancelled": "dark"}


def state_badge(work_order) -> str:
    return format_html(
        '<span class="badge text-bg-{}" data-testid="work-order-state">{}</span>',
        STATE_BADGE.get(work_order.state, "light"),
        work_order.get_state_display(),
    )


class WorkOrderTable(tables.Table):
    number = tables.Column(linkify=("manufacturing:work-order-detail", {"work_order_pk": tables.A("pk")}))
    item = tables.Column(accessor="item__sku", verbose_name="Item", order_by=("item__sku",))
    item_name = tables.Column(accessor="item__name", verbose_name="Name", orderable=False)
    quantity = QuantityColumn()
    produced_quantity = QuantityColumn("Produced")
    state = tables.Column()
    location = tables.Column(accessor="location__code", verbose_name="Location", order_by=("location__code",))
    due_date = DateColumn(verbose_name="Due")

    class Meta:
        model = WorkOrder
        fields = ["number", "item", "item_name", "quantity", "produced_quantity", "state", "location", "due_date", "reference"]
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "work-order-table"}
        row_attrs = {"data-number": lambda record: record.number}
        empty_text = "No work orders match."

    def render_state(self, record):
        return state_badge(record)
