"""Tables of the lot pages, and the CSV export's columns. Every accessor is a column of the view's
queryset (select_related or an annotation), so a page runs no query per row."""

import django_tables2 as tables
from django.db.models import F
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import format_html

from inventory.csv_safe import csv_cell
from inventory.models import LotStatus
from inventory.web.tables import DateTimeColumn, ExpiryColumn, QuantityColumn, table_attrs

STATUS_BADGE = {LotStatus.ACTIVE: "success", LotStatus.ON_HOLD: "danger", LotStatus.ARCHIVED: "secondary"}


def lot_status_badge(status: str) -> str:
    return format_html('<span class="badge text-bg-{}">{}</span>', STATUS_BADGE.get(status, "light"), LotStatus(status).label)


class LotTable(tables.Table):
    number = tables.Column("Lot/Serial Number", linkify=("traceability:lot-detail", {"lot_pk": tables.A("pk")}))
    item = tables.Column("Product", order_by=("item__sku", "number"))
    on_hand = QuantityColumn("Quantity")
    reference = tables.Column("Reference")
    company = tables.Column("Company", accessor="company__name", orderable=False)
    expiry_date = ExpiryColumn("Expiration date")
    status = tables.Column("Status")

    class Meta:
        attrs = table_attrs("lot-table")
        row_attrs = {"data-number": lambda record: record.number}
        empty_text = "No lots or serial numbers match."
        order_by = ("number",)

    def render_item(self, record):
        url = reverse("inventory:item-detail", kwargs={"item_pk": record.item_id})
        return format_html('<a href="{}">{}</a> — {}', url, record.item.sku, record.item.name)

    def render_status(self, record):
        return lot_status_badge(record.status)

    def order_expiry_date(self, queryset, is_descending):
        expiry = F("expiry_date")
        return queryset.order_by(expiry.desc(nulls_last=True) if is_descending else expiry.asc(nulls_last=True), "pk"), True


class LotLocationTable(tables.Table):
    """One row per internal location holding the lot; ``paths`` maps location id → its path."""

    location = tables.Column(
        "Location", accessor="location__code", linkify=("inventory:location-detail", {"location_pk": tables.A("location_id")})
    )
    path = tables.Column("Path", accessor="location_id", orderable=False)
    quantity = QuantityColumn("On hand")
    first_in_at = DateTimeColumn(verbose_name="Arrived")

    class Meta:
        attrs = table_attrs("lot-locations-table")
        empty_text = "Not on hand in any location."

    def __init__(self, *args, paths: dict[int, str], **kwargs):
        self.paths = paths
        super().__init__(*args, **kwargs)

    def render_path(self, value):
        return self.paths.get(value, "")


EFFECT_SIGN = {"in": "+", "out": "−", "moved": ""}


class LotHistoryTable(tables.Table):
    created_at = DateTimeColumn(verbose_name="Date")
    document = tables.Column(
        "Document",
        accessor="document__number",
        default="—",
        order_by=("document__number", "id"),
        linkify=lambda record: (
            reverse("inventory:document-detail", kwargs={"document_pk": record.document_id}) if record.document_id else None
        ),
    )
    reason = tables.Column("Kind")
    partner = tables.Column("Partner", accessor="document__partner__name", default="", orderable=False)
    from_location = tables.Column("From", accessor="from_location__code", orderable=False)
    to_location = tables.Column("To", accessor="to_location__code", orderable=False)
    quantity = QuantityColumn("Quantity")
    unit_cost = QuantityColumn("Unit cost")
    created_by = tables.Column("User", accessor="created_by__username", default="", orderable=False)

    class Meta:
        attrs = table_attrs("lot-history-table")
        row_attrs = {"data-effect": lambda record: record.effect}
        empty_text = "This lot/serial number has not moved."

    def render_reason(self, value, record):
        if record.unknown_origin:
            return format_html(
                '{} <span class="badge text-bg-warning" data-testid="unknown-origin" title="{}">unknown origin</span>',
                record.get_reason_display(),
                "Returned by a customer it was never delivered to; confirmed by the clerk",
            )
        return record.get_reason_display()

    def render_quantity(self, value, record):
        text = f"{EFFECT_SIGN[record.effect]}{floatformat(value, -4)}"
        return text if record.effect != "moved" else format_html('{} <span class="text-muted small">moved</span>', text)


# CSV export -----------------------------------------------------------------------------------

LOT_CSV_COLUMNS = [
    ("Lot/Serial Number", "number"),
    ("Product", "item__sku"),
    ("Product name", "item__name"),
    ("Quantity", "on_hand"),
    ("Reference", "reference"),
    ("Company", "company__name"),
    ("Expiration date", "expiry_date"),
    ("Status", "status"),
    ("Created", "created_at"),
]
STATUS_LABELS = dict(LotStatus.choices)


def lot_csv_rows(lots, *, chunk_size: int = 2000):
    """The header, then one row per lot of ``lots`` read in chunks from a server-side cursor,
    every text cell made safe for spreadsheets."""
    yield [label for label, _ in LOT_CSV_COLUMNS]
    fields = [field for _, field in LOT_CSV_COLUMNS]
    status_at = fields.index("status")
    for row in lots.values_list(*fields).iterator(chunk_size=chunk_size):
        row = list(row)
        row[status_at] = STATUS_LABELS.get(row[status_at], row[status_at])
        yield [csv_cell(value) for value in row]
