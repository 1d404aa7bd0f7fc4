from decimal import Decimal

from django import forms

from inventory.exceptions import InventoryError
from inventory.numbering import parse_numbers
from inventory.web.choices import SearchChoiceField

from .choices import KIT_ITEMS, PRODUCIBLE_ITEMS
from .selectors import production_locations


class WorkOrderForm(forms.Form):
    item = SearchChoiceField(source=PRODUCIBLE_ITEMS, help_text="Items with an active bill of materials.")
    quantity = forms.DecimalField(max_digits=18, decimal_places=4, min_value=Decimal("0.0001"))
    location = forms.ModelChoiceField(
        queryset=None, label="Production location", help_text="Where components are taken from and finished goods put."
    )
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(max_length=120, required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = PRODUCIBLE_ITEMS.rows(company)
        self.fields["location"].queryset = production_locations(company)

    def clean(self):
        data = super().clean()
        item, quantity = data.get("item"), data.get("quantity")
        if item is not None and quantity is not None and item.is_serial and quantity != quantity.to_integral_value():
            self.add_error("quantity", f"{item.sku} is serial-numbered: the quantity must be whole units.")
        return data


class CompleteForm(forms.Form):
    quantity = forms.DecimalField(max_digits=18, decimal_places=4, min_value=Decimal("0.0001"))
    numbers = forms.CharField(
        required=False,
        label="Finished numbers (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Which of the allocated finished lot/serial numbers this completion produces; empty lets the system choose.",
    )

    def __init__(self, *args, work_order, **kwargs):
        self.work_order = work_order
        kwargs.setdefault("initial", {"quantity": work_order.remaining_quantity.normalize()})
        super().__init__(*args, **kwargs)

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        remaining = self.work_order.remaining_quantity
        if quantity > remaining:
            raise forms.ValidationError(f"Only {remaining.normalize():f} of {self.work_order.quantity.normalize():f} is left to produce.")
        if self.work_order.item.is_serial and quantity != quantity.to_integral_value():
            raise forms.ValidationError(f"{self.work_order.item.sku} is serial-numbered: complete whole units.")
        return quantity

    def clean_numbers(self):
        try:
            return parse_numbers(self.cleaned_data["numbers"] or "")
        except InventoryError as error:  # a malformed range is the user's typing, not a server error
            raise forms.ValidationError([str(p) for p in error.problems]) from None


class UnitScanForm(forms.Form):
    scan = forms.CharField(
        max_length=80,
        label="Scan",
        strip=True,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "data-testid": "scan-input"}),
    )
    finished = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)


class KitForm(forms.Form):
    """Assemble kits, or take them apart (seed 000: kits with their own serials, made of
    components that have lot and serial numbers)."""

    ASSEMBLE, DISASSEMBLE = "assemble", "disassemble"

    action = forms.ChoiceField(choices=[(ASSEMBLE, "Assemble"), (DISASSEMBLE, "Take apart")], widget=forms.RadioSelect, initial=ASSEMBLE)
    item = SearchChoiceField(source=KIT_ITEMS, label="Kit", help_text="Items whose bill of materials is a kit.")
    location = forms.ModelChoiceField(queryset=None, label="Location")
    quantity = forms.DecimalField(
        max_digits=18,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        required=False,
        help_text="Serial kits: leave blank to count the numbers below.",
    )
    numbers = forms.CharField(
        required=False,
        label="Kit numbers",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Scan or type one per line (ranges like K0001-K0010 expand). Assembling: blank generates them.",
    )

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = KIT_ITEMS.rows(company)
        self.fields["location"].queryset = production_locations(company)

    def clean(self):
        data = super().clean()
        item = data.get("item")
        if item is not None and data.get("quantity") is None and not (item.is_serial and data.get("numbers", "").strip()):
            self.add_error("quantity", "Give how many kits (or, for serial kits, their numbers).")
        return data
