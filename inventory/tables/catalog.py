"""Tables of the catalogue and stock pages. Every accessor is a column of the view's queryset
(select_related or an annotation), so rendering a page runs no query per row."""

import django_tables2 as tables
from django.db.models import F
from django.utils.safestring import mark_safe

from ..web.tables import DateColumn, ExpiryColumn, QuantityColumn, TrackingColumn, table_attrs


class ItemTable(tables.Table):
    sku = tables.Column("SKU", linkify=("inventory:item-detail", {"item_pk": tables.A("pk")}))
    name = tables.Column()
    tracking_in_force = TrackingColumn("Tracking")
    lot_class = tables.Column("Class", accessor="lot_class__code", order_by=("lot_class__code", "sku"))
    uom = tables.Column("Unit")
    on_hand = QuantityColumn("On hand")

    class Meta:
        attrs = table_attrs("item-table")
        empty_text = "No items match."
        order_by = ("sku",)


class LocationTable(tables.Table):
    code = tables.Column(linkify=("inventory:location-detail", {"location_pk": tables.A("pk")}))
    name = tables.Column()
    # Not Location.path(): that walks the parents a query at a time; the view passes every path.
    path = tables.Column("Path", accessor="pk", order_by=("parent__code", "code"))
    items = QuantityColumn("Items in stock")
    on_hand = QuantityColumn("Units on hand")

    class Meta:
        attrs = table_attrs("location-table")
        empty_text = "No locations match."
        order_by = ("code",)

    def __init__(self, *args, paths, **kwargs):
        self.paths = paths
        super().__init__(*args, **kwargs)

    def render_path(self, record):
        return self.paths.get(record.pk, record.code)


class BalanceTable(tables.Table):
    """A balance row: one (item, lot/serial or unnumbered, location) quantity. Sorting by item or
    location keeps lot number order within it (the order ``stock_on_hand`` pages by index)."""

    item = tables.Column(
        linkify=("inventory:item-detail", {"item_pk": tables.A("item_id")}),
        order_by=("item__sku", "item__id", "lot_number", "location__code"),
    )
    lot = tables.Column(
        "Lot/serial",
        accessor="lot__number",
        default=mark_safe('<span class="text-muted">unnumbered</span>'),
        order_by=("lot_number", "item__sku", "location__code"),
    )
    location = tables.Column(
        linkify=("inventory:location-detail", {"location_pk": tables.A("location_id")}),
        order_by=("location__code", "location__id", "lot_number"),
    )
    quantity = QuantityColumn()
    expiry = ExpiryColumn(verbose_name="Expiry", accessor="lot__expiry_date")
    received = DateColumn(verbose_name="Received", accessor="lot__received_at")
    first_in_at = DateColumn(verbose_name="First in")
    status = tables.Column("Status", accessor="lot__status")

    class Meta:
        attrs = table_attrs("stock-table")
        empty_text = "No stock matches."

    def order_expiry(self, queryset, is_descending):
        expiry = F("lot__expiry_date")
        return queryset.order_by(expiry.desc() if is_descending else expiry.asc(nulls_last=True), "pk"), True


class UnassignedTable(tables.Table):
    item = tables.Column(linkify=("inventory:item-detail", {"item_pk": tables.A("item_id")}), order_by=("item__sku",))
    location = tables.Column(linkify=("inventory:location-detail", {"location_pk": tables.A("location_id")}), order_by=("location__code",))
    quantity = QuantityColumn("Quantity without a number")
    assign = tables.TemplateColumn(template_name="inventory/unassigned_list.html#assign-button", verbose_name="", orderable=False)

    class Meta:
        attrs = table_attrs("unassigned-table")
        empty_text = "Every unit in stock carries its lot/serial number."
