"""The form of "Assign numbers"."""

from decimal import Decimal

from django import forms

from ..models import Tracking
from ..numbering import parse_numbers_keeping_good
from ..services.lots import MAX_ASSIGN
from .allocations import QUANTITY, IncomingForm

SHOWN = 20  # problems listed beside the box; the rest are counted


class AssignForm(IncomingForm):
    """Typed or scanned numbers (Assign), or none (Generate); lots also name their quantity.

    ``available`` is the quantity there without a number: a lot's quantity is pre-filled with it
    and may not exceed it. The service judges every number again under its locks.
    """

    numbers = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "autofocus": True}),
        label="Numbers",
        help_text="Scan or type one per line (Enter is a new line); ranges like SN0001-SN0100 expand.",
        error_messages={"required": "This field is required. Scan or type the numbers, or use Generate."},
    )
    quantity = forms.DecimalField(required=False, label="Quantity", **QUANTITY)

    def __init__(self, *args, item, available: Decimal, generate: bool = False, **kwargs):
        super().__init__(*args, item=item, **kwargs)
        self.available, self.generate = available, generate
        self.fields["numbers"].required = not generate
        if item.is_serial:
            del self.fields["quantity"]
        else:
            self.fields["quantity"].initial = f"{available.normalize():f}"
            self.fields["quantity"].help_text = f"Of each lot number; at most {available.normalize():f} here carry no number."
        if item.tracking == Tracking.LOT_AND_SERIAL:
            self.fields["lot_number"].required = True
            self.fields["lot_number"].help_text = "Required: the serials belong to this lot."

    def clean_numbers(self) -> list[str]:
        if self.generate:
            return []
        entries, bad = parse_numbers_keeping_good(self.cleaned_data["numbers"])
        if len(entries) > MAX_ASSIGN:
            raise forms.ValidationError(f"{len(entries):,} numbers: at most {MAX_ASSIGN:,} at once.")
        problems = [f"{token}: {reason}" for token, reason in bad]
        seen: set[str] = set()
        problems += [f"{n}: given more than once" for n in dict.fromkeys(n for n in entries if n in seen or seen.add(n))]
        longest = 80
        problems += [f"{n[:40]}…: longer than {longest} characters" for n in entries if len(n) > longest]
        if problems:
            more = len(problems) - SHOWN
            raise forms.ValidationError(problems[:SHOWN] + ([f"and {more:,} more"] if more > 0 else []))
        if not entries:
            raise forms.ValidationError(self.fields["numbers"].error_messages["required"])
        return entries

    def clean(self):
        data = super().clean()
        quantity, entries = data.get("quantity"), data.get("numbers") or []
        if "quantity" in self.fields and quantity is not None:
            lots = 1 if self.generate else max(len(entries), 1)
            if quantity * lots > self.available:
                each = f" ({lots} lot numbers of {quantity.normalize():f} each)" if lots > 1 else ""
                self.add_error(
                    "quantity",
                    f"At most {self.available.normalize():f}: that is all that carries no number here{each}.",
                )
        return data
