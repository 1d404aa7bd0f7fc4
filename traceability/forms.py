"""Forms of the lot pages and the reports' filters. They check types and choices only; the rules (serial quantity, expiry,
duplicate numbers, where stock goes) are the services', whose refusals the views put back next
to the field they concern."""

from decimal import Decimal

from django import forms

from inventory.models import Company, Item, Location, LocationKind, LotStatus
from inventory.selectors import internal_locations
from inventory.web.choices import SearchChoiceField

from .choices import ACTIVE_TRACKED_ITEMS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LotCreateForm(forms.Form):
    number = forms.CharField(
        label="Lot/Serial Number",
        required=False,
        max_length=80,
        help_text="Leave blank to take the next number from the product's numbering when you save.",
    )
    item = SearchChoiceField(
        label="Product",
        source=ACTIVE_TRACKED_ITEMS,
        empty_label="Choose a product…",
        help_text="Only products tracked by lots or by serial numbers.",
    )
    quantity = forms.DecimalField(
        label="Quantity",
        initial=Decimal("0"),
        min_value=Decimal("0"),
        max_digits=18,
        decimal_places=4,
        help_text="Serial numbers: 1 (or 0 to record the number without stock). Above 0 posts an inventory adjustment.",
    )
    location = forms.ModelChoiceField(
        label="Location",
        queryset=None,
        required=False,
        empty_label="Choose a location…",
        help_text="Where the quantity is; required when the quantity is above 0.",
    )
    parent_number = forms.CharField(
        label="Lot number",
        required=False,
        max_length=80,
        help_text="Products with lot and serial numbers only: the lot this serial belongs to.",
    )
    reference = forms.CharField(label="Reference", required=False, max_length=120, help_text="Supplier batch number, production reference…")
    company = forms.ModelChoiceField(label="Company", queryset=None, disabled=True, required=False)
    expiry_date = forms.DateField(
        label="Expiration date",
        required=False,
        widget=DATE,
        help_text="Required for products whose class tracks expiration dates.",
    )
    notes = forms.CharField(
        label="Description / Notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Manufacturer notes, certificates…",
    )

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = ACTIVE_TRACKED_ITEMS.rows(company)
        self.fields["location"].queryset = internal_locations(company=company)
        self.fields["company"].queryset = Company.objects.filter(pk=company.pk)
        self.fields["company"].initial = company.pk
        self.fields["company"].empty_label = None

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name] for name in ("number", "item", "quantity", "location", "parent_number", "reference", "expiry_date", "notes")
        }


EDIT_STATUSES = [(LotStatus.ACTIVE, "Active"), (LotStatus.ON_HOLD, "On hold")]


class LotEditForm(forms.Form):
    reference = forms.CharField(label="Reference", required=False, max_length=120)
    notes = forms.CharField(label="Description / Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    expiry_date = forms.DateField(label="Expiration date", required=False, widget=DATE)
    status = forms.ChoiceField(label="Status", choices=EDIT_STATUSES, widget=forms.RadioSelect)
    hold_reason = forms.CharField(
        label="Hold reason",
        required=False,
        max_length=200,
        help_text="Required to put the lot on hold: it cannot be issued until released.",
    )

    def __init__(self, *args, lot, **kwargs):
        kwargs["initial"] = {
            "reference": lot.reference,
            "notes": lot.notes,
            "expiry_date": lot.expiry_date,
            "status": lot.status,
            "hold_reason": lot.hold_reason,
            **(kwargs.get("initial") or {}),
        }
        super().__init__(*args, **kwargs)
        if lot.status == LotStatus.ARCHIVED:
            field = self.fields["status"]
            field.choices, field.disabled = [(LotStatus.ARCHIVED, "Archived")], True
            field.help_text = "Restore it on the Archive tab to change its status."
            self.fields["hold_reason"].disabled = True
        if lot.parent_id:
            self.fields["expiry_date"].disabled = True
            self.fields["expiry_date"].help_text = f"A serial expires with its lot {lot.parent.number}."

    def values(self) -> dict:
        return dict(self.cleaned_data)


MAX_DAYS = 3650

# The report filters. Choices come from the active company, so another company's row is an
# invalid choice, not an empty report.


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, item):
        return f"{item.sku} — {item.name}"


class ReportFilterForm(forms.Form):
    item = ItemChoiceField(queryset=Item.objects.none(), required=False, empty_label="Any item")
    location = forms.ModelChoiceField(queryset=Location.objects.none(), required=False, empty_label="Any location")

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = self.items(company).only("pk", "sku", "name").order_by("sku")
        self.fields["location"].queryset = (
            Location.objects.filter(company=company, kind=LocationKind.INTERNAL).only("pk", "code", "name").order_by("code")
        )

    def items(self, company):
        return Item.objects.filter(company=company, is_stocked=True)

    def problems(self) -> list[str]:
        return [f"{self.fields[name].label or name.title()}: {' '.join(errors)}" for name, errors in self.errors.items()]


class ExpiryFilterForm(ReportFilterForm):
    days = forms.IntegerField(
        label="Expiring within (days)",
        required=False,
        min_value=0,
        max_value=MAX_DAYS,
        widget=forms.NumberInput(attrs={"placeholder": "each class's alert period"}),
    )
    field_order = ["days", "item", "location"]

    def items(self, company):
        return super().items(company).filter(lot_class__isnull=False)


class ValuationFilterForm(ReportFilterForm):
    by = forms.ChoiceField(
        label="Show by",
        required=False,
        choices=[("item", "Item"), ("lot", "Lot/serial"), ("location", "Location")],
    )
    field_order = ["by", "item", "location"]

    def clean_by(self):
        return self.cleaned_data.get("by") or "item"
