"""The inputs of the allocations and generation dialogs and of "Assign numbers"."""

from decimal import Decimal

from django import forms

from ..models.catalog import MAX_QUANTITY

QUANTITY = {"max_digits": 18, "decimal_places": 4, "min_value": Decimal("0.0001"), "max_value": MAX_QUANTITY}


class ScanForm(forms.Form):
    """One typed or scanned number; Enter submits it. Lots may name a quantity."""

    number = forms.CharField(max_length=80, strip=True, label="Scan or type a number")
    quantity = forms.DecimalField(required=False, label="Quantity", **QUANTITY)


class PasteForm(forms.Form):
    numbers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Paste numbers or ranges",
        help_text="One per line, or separated by commas or spaces; SN0001-SN0100 is a range.",
    )


class IncomingForm(forms.Form):
    """What new numbers carry: the lot of lot-and-serial items, and the expiry date."""

    lot_number = forms.CharField(required=False, max_length=80, label="Lot number")
    expiry_date = forms.DateField(required=False, label="Expiration date", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, item, default_expiry=None, require_expiry: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.item, self.default_expiry = item, default_expiry
        self.tracks_expiry = bool(item.lot_class and item.lot_class.track_expiry)
        self.require_expiry = require_expiry and self.tracks_expiry
        if self.tracks_expiry:
            self.fields["expiry_date"].help_text = "Required: this item tracks expiration dates."
        if item.tracking != "lot_serial":
            del self.fields["lot_number"]

    def clean(self):
        data = super().clean()
        if self.require_expiry and not data.get("expiry_date") and not self.default_expiry and "expiry_date" not in self.errors:
            self.add_error("expiry_date", "Give the expiration date: this item tracks it.")
        return data


class GenerateForm(IncomingForm):
    count = forms.IntegerField(required=False, min_value=1, max_value=100000, label="How many")
