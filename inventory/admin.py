from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import display_for_value
from django.core.exceptions import ValidationError
from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.template.defaultfilters import floatformat
from django.utils.text import capfirst

from .models import (
    Allocation,
    Balance,
    Company,
    CostLayer,
    Counter,
    Document,
    DocumentLine,
    ExpirySummary,
    GenealogyLink,
    Item,
    ItemCost,
    Location,
    LocationKind,
    Lot,
    LotHoldEvent,
    LotSerialClass,
    Membership,
    NumberSegment,
    Partner,
    PendingNumbers,
    StockMove,
    StockSummary,
    SubmissionKey,
    Tracking,
)
from .numbering import SegmentSpec, template_problems
from .services import lot_update, virtual_locations_ensure

ON_HAND = DecimalField(max_digits=18, decimal_places=4)


class ReadOnlyMixin:
    """View only: these rows are written by the services, never by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class CompanyForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = "__all__"

    def clean_tracking_enabled(self):
        enabled = self.cleaned_data["tracking_enabled"]
        if (
            self.instance.pk
            and self.instance.tracking_enabled
            and not enabled
            and Balance.objects.filter(company=self.instance, lot__isnull=False, quantity__gt=0).exists()
        ):
            raise forms.ValidationError("Lots and serials are in stock; tracking cannot be turned off while they are.")
        return enabled


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "tracking_enabled", "created_at"]
    list_filter = ["tracking_enabled"]
    search_fields = ["name", "code"]
    inlines = [MembershipInline]

    form = CompanyForm

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            virtual_locations_ensure(company=obj)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "is_default"]
    list_filter = ["company", "is_default"]
    list_select_related = ["user", "company"]
    search_fields = ["user__username", "user__email", "company__name", "company__code"]
    autocomplete_fields = ["user", "company"]


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        company, parent = cleaned.get("company"), cleaned.get("parent")
        if parent is None or company is None:
            return cleaned
        if parent.company_id != company.pk or parent.is_virtual:
            self.add_error("parent", "The parent must be an internal location of the same company.")
        elif self.instance.pk is not None and parent.pk == self.instance.pk:
            self.add_error("parent", "A location cannot be its own parent.")
        return cleaned


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    form = LocationForm
    list_display = ["code", "name", "company", "kind", "parent", "is_active"]
    list_filter = ["company", "kind", "is_active"]
    list_select_related = ["company", "parent"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["company", "parent"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "company", "is_supplier", "is_customer", "email", "phone"]
    list_filter = ["company", "is_supplier", "is_customer"]
    list_select_related = ["company"]
    search_fields = ["code", "name", "email"]
    autocomplete_fields = ["company"]


class NumberSegmentFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors) or not self.instance.is_tracked:
            return
        segments = [
            SegmentSpec(form.cleaned_data["kind"], form.cleaned_data.get("value", ""))
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        problems = template_problems(segments)
        if problems:
            raise ValidationError([f"{capfirst(p.message)}." for p in problems])


class NumberSegmentInline(admin.TabularInline):
    model = NumberSegment
    formset = NumberSegmentFormSet
    fields = ["position", "kind", "value"]
    ordering = ["position", "id"]
    extra = 1


@admin.register(LotSerialClass)
class LotSerialClassAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "company", "tracking", "numbering", "issue_method", "assignment", "track_expiry"]
    list_filter = ["company", "tracking", "issue_method", "assignment", "track_expiry", "shared_counter"]
    list_select_related = ["company"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["company"]
    inlines = [NumberSegmentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("segments")

    @admin.display(description="numbering template")
    def numbering(self, obj):
        return " + ".join(str(segment) for segment in obj.segments.all())


class ItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = "__all__"

    # Changing how an item is tracked once it has moved would make its history unreadable.
    FROZEN_ONCE_MOVED = ("company", "lot_class", "tracking_scope", "is_stocked")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "sale_price" in self.fields:
            self.fields["sale_price"].required = False  # empty: the item is not sold at the till (0)

    def clean_sale_price(self):
        return self.cleaned_data.get("sale_price") or Decimal("0")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.instance.moves.exists():
            for name in self.FROZEN_ONCE_MOVED:
                if name in self.changed_data:
                    self.add_error(name, "This item has stock moves; its tracking can no longer change. Create a new item instead.")
        company, lot_class = cleaned.get("company"), cleaned.get("lot_class")
        if company is None or lot_class is None:
            return cleaned
        if lot_class.company_id != company.pk:
            self.add_error("lot_class", f"{lot_class} belongs to another company than {company}.")
        elif lot_class.is_tracked and not cleaned.get("is_stocked"):
            self.add_error("lot_class", "A lookup (non-stocked) item cannot have a tracked lot/serial class.")
        elif lot_class.is_tracked and not company.tracking_enabled:
            self.add_error("lot_class", f"{company} has lot/serial tracking turned off; choose an untracked class.")
        return cleaned


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    form = ItemForm
    list_display = ["sku", "name", "company", "lot_class", "tracking", "is_stocked", "valuation_method", "is_active"]
    list_filter = [
        "company",
        "lot_class__tracking",
        "is_stocked",
        "tracking_scope",
        "valuation_method",
        "uom",
        "is_active",
    ]
    list_select_related = ["company", "lot_class"]
    search_fields = ["sku", "name", "gtin"]
    autocomplete_fields = ["company", "lot_class"]

    @admin.display(description="tracking in force")
    def tracking(self, obj):
        return Tracking(obj.tracking).label


@admin.register(Counter)
class CounterAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["key", "company", "next_value"]
    list_filter = ["company"]
    list_select_related = ["company"]
    search_fields = ["key"]


LOT_EDITABLE = ["status", "hold_reason", "expiry_date", "reference", "notes"]


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "item",
        "kind",
        "status",
        "expiry_date",
        "on_hand",
        "serial_in_stock",
        "last_location",
        "parent",
        "created_at",
    ]
    list_filter = ["status", "kind", "in_stock", "company"]
    list_select_related = ["item", "last_location", "parent"]
    search_fields = ["number", "reference", "item__sku", "item__name"]
    date_hierarchy = "created_at"
    fields = [
        "number",
        "item",
        "kind",
        "parent",
        "company",
        *LOT_EDITABLE,
        "in_stock",
        "last_location",
        "unit_cost",
        "received_at",
        "created_at",
        "created_by",
    ]
    readonly_fields = [f for f in fields if f not in LOT_EDITABLE]

    def get_queryset(self, request):
        # On hand at our own locations, of the lot and (lot-and-serial) of its serials, whose
        # balances hold such a lot's stock: a subquery, not a query per row.
        stock = (
            Balance.objects.filter(Q(lot=OuterRef("pk")) | Q(lot__parent=OuterRef("pk")), location__kind=LocationKind.INTERNAL)
            .order_by()
            .values("company")
            .annotate(total=Sum("quantity"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(on_hand=Coalesce(Subquery(stock, output_field=ON_HAND), Value(Decimal(0)), output_field=ON_HAND))
        )

    @admin.display(description="on hand", ordering="on_hand")
    def on_hand(self, obj):
        return floatformat(obj.on_hand, -4)

    @admin.display(description="in stock", ordering="in_stock")
    def serial_in_stock(self, obj):
        """A serial's last known state; a lot has no such flag (its on hand says it)."""
        empty = self.get_empty_value_display()
        return display_for_value(obj.in_stock, empty, boolean=True) if obj.is_serial else empty

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service, and only the edited columns: posting keeps in_stock and
        # last_location under its own locks.
        lot_update(lot=obj, user=request.user, **{name: form.cleaned_data[name] for name in form.changed_data})


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "reason",
        "item",
        "quantity",
        "from_location",
        "from_lot",
        "to_location",
        "to_lot",
        "document",
    ]
    list_filter = ["company", "reason", "binds_lot"]
    list_select_related = ["item", "from_location", "from_lot", "to_location", "to_lot", "document"]
    search_fields = ["item__sku", "from_lot__number", "to_lot__number", "document__number"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Balance)
class BalanceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "item", "lot", "location", "quantity", "is_serial", "first_in_at"]
    list_filter = ["company", "is_serial"]
    list_select_related = ["item", "lot", "location"]
    search_fields = ["item__sku", "item__name", "lot__number", "location__code"]
    show_full_result_count = False


@admin.register(StockSummary)
class StockSummaryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "item", "location", "quantity", "lots"]
    list_filter = ["company"]
    list_select_related = ["item", "location"]
    search_fields = ["item__sku", "item__name", "location__code"]
    show_full_result_count = False


@admin.register(ExpirySummary)
class ExpirySummaryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """What the expiry report's totals and chart read, kept by posting."""

    list_display = ["id", "item", "location", "expiry_date", "quantity"]
    list_filter = ["company"]
    list_select_related = ["item", "location"]
    search_fields = ["item__sku", "item__name", "location__code"]
    show_full_result_count = False


@admin.register(PendingNumbers)
class PendingNumbersAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Lines that left without all their numbers (a till's sale): assigned on the till's follow-up list."""

    list_display = ["id", "document", "item", "location", "partner", "quantity", "assigned", "released", "is_open", "created_at"]
    list_filter = ["company", "is_open"]
    list_select_related = ["document", "item", "location", "partner"]
    search_fields = ["document__number", "item__sku"]
    show_full_result_count = False


@admin.register(ItemCost)
class ItemCostAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """What the valuation report reads per item, kept by posting (``costs_rebuild`` rebuilds it)."""

    list_display = ["item", "on_hand", "incoming_quantity", "incoming_value", "consumed_value", "unnumbered", "last_at"]
    list_filter = ["company"]
    list_select_related = ["item"]
    search_fields = ["item__sku", "item__name"]
    show_full_result_count = False


@admin.register(CostLayer)
class CostLayerAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "item", "arrived_at", "unit_cost", "unbound", "quantity", "end_quantity", "end_value"]
    list_filter = ["company", "unbound"]
    list_select_related = ["item"]
    search_fields = ["item__sku", "item__name"]
    show_full_result_count = False


@admin.register(GenealogyLink)
class GenealogyLinkAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "consumed", "produced", "quantity", "document", "created_at"]
    list_filter = ["company"]
    list_select_related = ["consumed", "produced", "document"]
    search_fields = ["consumed__number", "produced__number", "document__number"]
    date_hierarchy = "created_at"


@admin.register(LotHoldEvent)
class LotHoldEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Holds and releases as they happened: written by the services, never edited."""

    list_display = ["lot", "action", "reason", "created_by", "created_at"]
    list_filter = ["company", "action"]
    list_select_related = ["lot", "created_by"]
    search_fields = ["lot__number", "reason"]
    date_hierarchy = "created_at"


@admin.register(SubmissionKey)
class SubmissionKeyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The keys of submitted forms: a repeat of one answers with its first result, never writes again."""

    list_display = ["key", "user", "document", "result", "created_at"]
    list_filter = ["company"]
    list_select_related = ["user", "document"]
    search_fields = ["key", "document__number"]


class DocumentLineInline(ReadOnlyMixin, admin.TabularInline):
    model = DocumentLine
    fields = ["position", "item", "quantity", "unit_cost", "lot_number", "expiry_date"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("document", "item")


class AllocationInline(ReadOnlyMixin, admin.TabularInline):
    model = Allocation
    fields = ["line", "item", "location", "lot", "number", "quantity", "expiry_date", "outgoing"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("line__document", "item", "location", "lot")


@admin.register(Document)
class DocumentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "kind", "status", "date", "partner", "from_location", "to_location", "company"]
    list_filter = ["company", "kind", "status"]
    list_select_related = ["partner", "from_location", "to_location", "company"]
    search_fields = ["number", "reference", "partner__name", "partner__code"]
    date_hierarchy = "date"
    inlines = [DocumentLineInline, AllocationInline]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "document", "item", "lot", "number", "quantity", "location", "outgoing"]
    list_filter = ["company", "document__status", "outgoing", "is_serial"]
    list_select_related = ["document", "item", "lot", "location"]
    search_fields = ["number", "lot__number", "document__number", "item__sku"]


from . import admin_imports  # noqa: E402, F401 - the import page registers itself
