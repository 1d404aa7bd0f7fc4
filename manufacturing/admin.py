from django import forms
from django.contrib import admin

from .models import BillOfMaterials, BomLine, Completion, UnitGenealogy, WorkOrder


class BomLineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        item = self.instance.item if self.instance.item_id else None
        for form in self.forms:
            component = form.cleaned_data.get("component") if hasattr(form, "cleaned_data") else None
            if component is None or form.cleaned_data.get("DELETE") or item is None:
                continue
            if component.pk == item.pk:
                form.add_error("component", "An item cannot be a component of itself.")
            elif component.company_id != item.company_id:
                form.add_error("component", "The component belongs to another company.")
            elif not component.is_stocked:
                form.add_error("component", "A lookup item holds no stock and cannot be a component.")


class BomLineInline(admin.TabularInline):
    model = BomLine
    formset = BomLineFormSet
    extra = 1
    autocomplete_fields = ["component"]


@admin.register(BillOfMaterials)
class BillOfMaterialsAdmin(admin.ModelAdmin):
    list_display = ["item", "is_kit", "is_active", "company", "created_at"]
    list_filter = ["is_kit", "is_active", "company"]
    search_fields = ["item__sku", "item__name", "notes"]
    autocomplete_fields = ["item"]
    list_select_related = ["item", "company"]
    exclude = ["company"]
    inlines = [BomLineInline]

    def save_model(self, request, obj, form, change):
        obj.company_id = obj.item.company_id  # a bill belongs to its item's company
        super().save_model(request, obj, form, change)


class CompletionInline(admin.TabularInline):
    model = Completion
    extra = 0
    fields = ["quantity", "unit_cost", "consumption_document", "output_document", "is_reversed", "created_at", "created_by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    """Read-mostly: work orders change through the manufacturing services, never by hand."""

    list_display = ["number", "kind", "item", "quantity", "produced_quantity", "location", "due_date", "state", "company"]
    list_filter = ["state", "kind", "company"]
    search_fields = ["number", "item__sku", "reference"]
    list_select_related = ["item", "location", "company"]
    readonly_fields = [
        "company",
        "kind",
        "number",
        "item",
        "quantity",
        "produced_quantity",
        "bom",
        "location",
        "state",
        "consumption_document",
        "output_document",
        "created_at",
        "created_by",
    ]
    fields = readonly_fields[:8] + ["due_date", "reference", "notes"] + readonly_fields[8:]
    inlines = [CompletionInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UnitGenealogy)
class UnitGenealogyAdmin(admin.ModelAdmin):
    list_display = ["work_order", "finished_number", "component", "component_number", "quantity", "completion"]
    search_fields = ["work_order__number", "finished_number", "component_number"]
    list_select_related = ["work_order", "component", "completion__work_order"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
