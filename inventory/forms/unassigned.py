"""The form of "Assign numbers"."""

from django import forms

from .allocations import QUANTITY, IncomingForm


class AssignForm(IncomingForm):
    numbers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "autofocus": True}),
        label="Numbers",
        help_text="Scan or type one per line; ranges like SN0001-SN0100 expand.",
    )
    quantity = forms.DecimalField(required=False, label="Quantity (lots)", **QUANTITY)
