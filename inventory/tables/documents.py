import django_tables2 as tables
from django.utils.html import format_html

from ..models import Document, StockMove
from ..web.tables import DateTimeColumn

STATUS_BADGE = {"draft": "secondary", "posted": "success", "reversed": "warning", "cancelled": "dark"}


def status_badge(document) -> str:
    return format_html(
        '<span class="badge text-bg-{}">{}</span>', STATUS_BADGE.get(document.status, "light"), document.get_status_display()
    )


class DocumentTable(tables.Table):
    number = tables.Column(linkify=("inventory:document-detail", {"document_pk": tables.A("pk")}))
    status = tables.Column()
    partner = tables.Column(accessor="partner__name", verbose_name="Partner", order_by=("partner__name",))
    from_location = tables.Column(accessor="from_location__code", verbose_name="From")
    to_location = tables.Column(accessor="to_location__code", verbose_name="To")
    line_count = tables.Column(verbose_name="Lines", attrs={"td": {"class": "text-end"}})
    total_quantity = tables.Column(verbose_name="Quantity", attrs={"td": {"class": "text-end"}})

    class Meta:
        model = Document
        fields = [
            "number",
            "kind",
            "status",
            "date",
            "partner",
            "from_location",
            "to_location",
            "reference",
            "line_count",
            "total_quantity",
        ]
        attrs = {"class": "table table-sm table-hover", "data-testid": "document-table"}
        row_attrs = {"data-number": lambda record: record.number}
        empty_text = "No documents match."

    def render_status(self, record):
        return status_badge(record)

    def render_total_quantity(self, value, record):
        return f"{value.normalize():f}" if record.line_count else "—"


class MoveTable(tables.Table):
    created_at = DateTimeColumn(verbose_name="When")
    item = tables.Column(accessor="item__sku", verbose_name="Item")
    from_location = tables.Column(accessor="from_location__code", verbose_name="From")
    from_lot = tables.Column(accessor="from_lot__number", verbose_name="From lot/serial", default="")
    to_location = tables.Column(accessor="to_location__code", verbose_name="To")
    to_lot = tables.Column(accessor="to_lot__number", verbose_name="To lot/serial", default="")
    quantity = tables.Column(attrs={"td": {"class": "text-end"}})
    unit_cost = tables.Column(verbose_name="Unit cost", attrs={"td": {"class": "text-end"}})
    reason = tables.Column()
    created_by = tables.Column(accessor="created_by__username", verbose_name="By", default="")

    class Meta:
        model = StockMove
        fields = [
            "created_at",
            "item",
            "from_location",
            "from_lot",
            "to_location",
            "to_lot",
            "quantity",
            "unit_cost",
            "reason",
            "created_by",
        ]
        attrs = {"class": "table table-sm", "data-testid": "move-table"}
        orderable = False
        empty_text = "No stock has moved for this document."

    def render_quantity(self, value):
        return f"{value.normalize():f}"
