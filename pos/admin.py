from django.contrib import admin

from .models import Register, RegisterSession, Sale


@admin.register(Register)
class RegisterAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "company", "location", "return_location", "customer", "is_active"]
    list_filter = ["company", "is_active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["cashiers"]
    autocomplete_fields = ["location", "return_location", "customer"]


class ReadOnly(admin.ModelAdmin):
    """Written by the till only: read here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RegisterSession)
class RegisterSessionAdmin(ReadOnly):
    list_display = ["register", "cashier", "state", "opened_at", "closed_at", "opening_cash", "counted_cash"]
    list_filter = ["state", "register"]


@admin.register(Sale)
class SaleAdmin(ReadOnly):
    list_display = ["number", "kind", "status", "register", "customer", "total", "payment_method", "completed_at"]
    list_filter = ["kind", "status", "register"]
    search_fields = ["number"]
