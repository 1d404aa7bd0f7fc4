"""Forms of the stock documents: the header (fields depend on the kind) and its lines.

Choices are read once per page and shared by every line, so a document of 200 lines costs the
same queries as one of 2. The partner and each line's item are a select while the company has
few, a type-ahead past that (choices.py).
"""

from decimal import Decimal

from django import forms
from django.db.models import Q

from ..models import DocumentKind, Item, Location, Partner
from ..models.catalog import MAX_QUANTITY
from ..selectors import internal_locations
from ..services.documents import KIND_ENDS
from ..web.choices import CUSTOMERS, PARTNERS, STOCKED_ITEMS, SUPPLIERS, ChoiceSet, SearchChoiceField
from ..web.widgets import CHOICE_INPUT_MAX_LENGTH, SearchSelect

INCOMING = {DocumentKind.RECEIPT, DocumentKind.CUSTOMER_RETURN}
ADJUST_IN, ADJUST_OUT = "in", "out"


class DocumentForm(forms.Form):
    partner = SearchChoiceField(queryset=Partner.objects.none(), source=PARTNERS, required=False)
    from_location = forms.ModelChoiceField(queryset=Location.objects.none(), label="From location")
    to_location = forms.ModelChoiceField(queryset=Location.objects.none(), label="To location")
    direction = forms.ChoiceField(
        choices=[(ADJUST_IN, "Add stock (found, counted more)"), (ADJUST_OUT, "Remove stock (lost, damaged, counted less)")],
        widget=forms.RadioSelect,
    )
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(required=False, max_length=120, help_text="Supplier's delivery note, customer order…")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, company, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.problems: list[str] = []  # refusals of the posting service, shown above the form
        locations = internal_locations(company=company)
        if kind == DocumentKind.ADJUSTMENT:
            del self.fields["from_location"], self.fields["to_location"], self.fields["partner"]
            self.fields["location"].queryset = locations
        else:
            del self.fields["direction"], self.fields["location"]
            from_kind, to_kind = KIND_ENDS[kind]
            for name, virtual in (("from_location", from_kind), ("to_location", to_kind)):
                if virtual:
                    del self.fields[name]
                else:
                    self.fields[name].queryset = locations
            if kind == DocumentKind.TRANSFER:
                del self.fields["partner"]
            else:
                supplier_side = kind in (DocumentKind.RECEIPT, DocumentKind.SUPPLIER_RETURN)
                source = SUPPLIERS if supplier_side else CUSTOMERS
                self.fields["partner"].offer(source, source.rows(company))
                self.fields["partner"].label = "Supplier" if supplier_side else "Customer"

    def clean(self):
        data = super().clean()
        if self.kind == DocumentKind.TRANSFER and data.get("from_location") and data.get("from_location") == data.get("to_location"):
            self.add_error("to_location", "A transfer goes to another location.")
        return data

    def ends(self) -> dict:
        """from_location / to_location for the services (None: the kind's virtual location)."""
        data = self.cleaned_data
        if self.kind == DocumentKind.ADJUSTMENT:
            incoming = data["direction"] == ADJUST_IN
            return {"from_location": None if incoming else data["location"], "to_location": data["location"] if incoming else None}
        return {"from_location": data.get("from_location"), "to_location": data.get("to_location")}

    @classmethod
    def initial_for(cls, document) -> dict:
        initial = {
            "partner": document.partner_id,
            "from_location": document.from_location_id,
            "to_location": document.to_location_id,
            "date": document.date,
            "reference": document.reference,
            "notes": document.notes,
        }
        if document.kind == DocumentKind.ADJUSTMENT:
            incoming = document.from_location.is_virtual
            initial["direction"] = ADJUST_IN if incoming else ADJUST_OUT
            initial["location"] = document.to_location_id if incoming else document.from_location_id
        return initial


class ItemChoices:
    """The company's stocked items, shared by all line forms of a page: read once as the lines'
    options while they are few; past that, what the lines typed is looked up for all of them at
    once (``look_up``)."""

    def __init__(self, company, document=None):
        # A draft keeps offering the items already on it, even one deactivated since.
        on_document = Q(pk__in=document.lines.values("item_id")) if document is not None else Q(pk__in=[])
        items = (
            Item.objects.filter(company=company, is_stocked=True)
            .filter(Q(is_active=True) | on_document)
            .select_related("lot_class", "company")
            .order_by("sku")
        )
        self.choice_set = ChoiceSet(STOCKED_ITEMS, items)

    def look_up(self, values) -> None:
        """What each line's item names (typed text, or a primary key from the lines' initial)."""
        keys = []
        for value in values:
            if isinstance(value, int):
                keys.append(value)
            elif isinstance(value, str) and value.strip() and "\x00" not in value and len(value.strip()) <= CHOICE_INPUT_MAX_LENGTH:
                keys.append(value.strip())
        self.choice_set.look_up(keys)


class LineForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    item = SearchChoiceField(
        source=STOCKED_ITEMS,
        empty_label="Choose an item…",
        widget=SearchSelect(attrs={"class": "form-select form-select-sm", "aria-label": "Item"}),
    )
    quantity = forms.DecimalField(max_digits=18, decimal_places=4, min_value=Decimal("0.0001"), max_value=MAX_QUANTITY)
    unit_cost = forms.DecimalField(required=False, max_digits=18, decimal_places=4, min_value=Decimal("0"))
    lot_number = forms.CharField(required=False, max_length=80, label="Lot", help_text="Lot-and-serial items: the lot of the serials.")
    expiry_date = forms.DateField(required=False, label="Expires", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, items: ItemChoices, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.problems: list[str] = []  # refusals of the posting service, shown on the row
        self.fields["item"].share(items.choice_set)
        if kind not in INCOMING and kind != DocumentKind.ADJUSTMENT:
            del self.fields["unit_cost"]
        if kind not in INCOMING:
            del self.fields["lot_number"], self.fields["expiry_date"]

    def clean(self):
        data = super().clean()
        item, quantity = data.get("item"), data.get("quantity")
        if item is not None and quantity is not None and item.is_serial and quantity != quantity.to_integral_value():
            self.add_error("quantity", f"{item.sku} is counted in whole serial-numbered units.")
        return data

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "item": data["item"],
            "quantity": data["quantity"],
            "unit_cost": data.get("unit_cost"),
            "lot_number": data.get("lot_number") or "",
            "expiry_date": data.get("expiry_date"),
        }


class BaseLineFormSet(forms.BaseFormSet):
    """Lines of one document; ``form_kwargs`` carries the shared ``items`` and the ``kind``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.items, self.kind = self.form_kwargs["items"], self.form_kwargs["kind"]
        # Every line's item, looked up at once: what was sent, else the lines as they were.
        if self.is_bound:
            self.items.look_up(v for k, v in self.data.items() if k.startswith(f"{self.prefix}-") and k.endswith("-item"))
        else:
            self.items.look_up(row.get("item") for row in self.initial or [])

    def clean(self):
        if any(self.errors):
            return
        if not [f for f in self.forms if f.has_changed() and not self._should_delete_form(f)] and not [
            f for f in self.forms if f.cleaned_data.get("id") and not self._should_delete_form(f)
        ]:
            raise forms.ValidationError("Add at least one line.")


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=0, can_delete=True)
LINES_PREFIX = "lines"


def line_initial(line) -> dict:
    return {
        "id": line.pk,
        "item": line.item_id,
        "quantity": line.quantity.normalize(),
        "unit_cost": line.unit_cost,
        "lot_number": line.lot_number,
        "expiry_date": line.expiry_date,
    }
