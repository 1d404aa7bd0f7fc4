"""Tables of the expiry and valuation reports. The expiry table reads the selector's queryset
(select_related), the valuation table the selector's computed rows or, by lot/serial, its
annotated queryset: no query per row."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from inventory.models import ValuationMethod
from inventory.web.tables import ExpiryColumn, QuantityColumn, table_attrs

from .selectors.reports import money
from .tables import lot_status_badge


class MoneyColumn(tables.Column):
    """A Decimal amount shown to the cent (the selector keeps it unrounded)."""

    attrs = {
        "th": {"class": "text-end pe-3"},
        "td": {"class": "text-end pe-3 font-monospace"},
        "tf": {"class": "text-end pe-3 font-monospace fw-bold"},
    }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", self.attrs)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return f"{money(value):,}"


UNNUMBERED = mark_safe('<span class="text-muted">unnumbered</span>')
_PLACEHOLDER = 987654321


def _path_of(name: str, kwarg: str):
    """The path of ``name`` for any primary key, from one ``reverse``."""
    head, tail = reverse(name, kwargs={kwarg: _PLACEHOLDER}).split(str(_PLACEHOLDER))
    return lambda pk: f"{head}{pk}{tail}"


def _item_link(item_id, sku, name):
    url = reverse("inventory:item-detail", kwargs={"item_pk": item_id})
    return format_html('<a href="{}">{}</a> <span class="text-muted">{}</span>', url, sku, name)


class ExpiryTable(tables.Table):
    """One row per (lot/serial, internal location); expired rows are marked."""

    expiry = ExpiryColumn("Expiry", accessor="lot__expiry_date", order_by=("lot__expiry_date", "item__sku", "lot__number"))
    days_left = tables.Column("Days left", accessor="lot__expiry_date", orderable=False, attrs={"td": {"class": "text-end"}})
    item = tables.Column("Item", order_by=("item__sku", "lot__expiry_date"))
    lot = tables.TemplateColumn(
        template_name="traceability/expiry.html#lot-link", verbose_name="Lot/serial", order_by=("lot__number", "item__sku")
    )
    location = tables.Column(
        "Location", accessor="location__code", linkify=("inventory:location-detail", {"location_pk": tables.A("location_id")})
    )
    quantity = QuantityColumn("On hand")
    status = tables.Column("Status", accessor="lot__status")

    class Meta:
        attrs = table_attrs("expiry-table")
        row_attrs = {
            "class": lambda record: "table-danger" if record.expired else "",
            "data-testid": "expiry-row",
            "data-expired": lambda record: "true" if record.expired else "false",
        }
        empty_text = "Nothing in stock has expired or expires in this window."

    def render_days_left(self, value):
        days = (value - timezone.localdate()).days
        if days < 0:
            return format_html('<span class="text-danger">{} ago</span>', f"{-days} day{'s' if days != -1 else ''}")
        return "today" if days == 0 else days

    def render_item(self, record):
        return _item_link(record.item_id, record.item.sku, record.item.name)

    def render_status(self, record):
        return lot_status_badge(record.lot.status)


class ValuationTable(tables.Table):
    """Rows of ``stock_valuation`` (ValuationRow, or by lot/serial annotated balances: both
    answer to these accessors); the footer carries the total value. By lot/serial the location
    follows the number: a lot split between two locations is a row at each."""

    location = tables.Column("Location", accessor="location_code", footer=lambda table: "Total" if table.by == "location" else "")
    item = tables.Column("Item", accessor="sku", footer=lambda table: "Total" if table.by != "location" else "")
    method = tables.Column("Valuation", accessor="method", order_by=("method", "sku"))
    # Rendered here rather than by a partial: the page shows 50 of them and a template per cell
    # costs more than the rest of the row.
    lot = tables.Column("Lot/serial", accessor="lot_number", order_by=("lot_number",), empty_values=())
    quantity = QuantityColumn("On hand", accessor="on_hand")
    unit_cost = MoneyColumn("Unit cost", orderable=False)
    value = MoneyColumn("Value", footer=lambda table: f"{money(table.total):,}")

    class Meta:
        attrs = table_attrs("valuation-table")
        row_attrs = {"data-testid": "valuation-row"}
        sequence = ("location", "item", "method", "lot", "quantity", "unit_cost", "value")
        empty_text = "No stock on hand matches."

    def __init__(self, *args, by: str, total, **kwargs):
        self.by, self.total = by, total
        exclude = {"item": ("location", "lot"), "lot": (), "location": ("lot",)}[by]
        if by == "lot":  # where each lot lies, after its number
            kwargs.setdefault("sequence", ("item", "method", "lot", "location", "quantity", "unit_cost", "value"))
        super().__init__(*args, exclude=exclude, **kwargs)

    @cached_property
    def _paths(self):
        """The pages the rows link to, reversed once per table, not once per cell."""
        return {
            "item": _path_of("inventory:item-detail", "item_pk"),
            "lot": _path_of("traceability:lot-detail", "lot_pk"),
            "location": _path_of("inventory:location-detail", "location_pk"),
        }

    def render_item(self, record):
        return format_html(
            '<a href="{}">{}</a> <span class="text-muted">{}</span>', self._paths["item"](record.item_id), record.sku, record.item_name
        )

    def render_lot(self, record):
        if not record.lot_id:
            return UNNUMBERED
        return format_html('<a class="font-monospace" href="{}">{}</a>', self._paths["lot"](record.lot_id), record.lot_number)

    def render_method(self, value):
        return ValuationMethod(value).label

    def render_location(self, record):
        places = getattr(record, "places", 1)
        if places > 1:  # an item's unnumbered stock, at every location that holds some
            return format_html('<span class="text-muted">{} locations</span>', places)
        return format_html('<a href="{}">{}</a>', self._paths["location"](record.location_id), record.location_code)
