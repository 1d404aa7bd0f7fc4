"""Quotations in the back office: a list and a form (lines may name numbers; nothing is reserved)."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from inventory.models import Item, Partner
from inventory.models.catalog import MAX_QUANTITY
from inventory.services import SubmissionRepeated, submission_claim, submission_first, submission_key_new, submission_key_of
from inventory.services.documents import document_number_next
from inventory.web.views import CompanyMixin, row_ids

from ..models import Quotation, QuotationLine

MAX_LINES = 100


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        field.widget.attrs.setdefault(
            "class", "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
        )


class QuotationForm(forms.Form):
    customer = forms.ModelChoiceField(queryset=Partner.objects.none(), required=False)
    valid_until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Partner.objects.filter(company=company, is_customer=True)
        _styled(self)


class QuotationLineForm(forms.Form):
    item = forms.CharField(label="Item code", max_length=60)
    quantity = forms.DecimalField(min_value=Decimal("0.0001"), max_value=MAX_QUANTITY, max_digits=18, decimal_places=4)
    unit_price = forms.DecimalField(min_value=Decimal(0), max_digits=14, decimal_places=2, required=False)
    numbers = forms.CharField(required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 1}), help_text="One per line")

    def __init__(self, *args, company, **kwargs):
        self.company = company
        super().__init__(*args, **kwargs)
        _styled(self)

    def clean_item(self):
        code = self.cleaned_data["item"].strip()
        item = Item.objects.filter(company=self.company, sku=code).first()
        if item is None:
            raise forms.ValidationError(f"no item with code {code}")
        return item

    def clean(self):
        cleaned = super().clean()
        item, quantity = cleaned.get("item"), cleaned.get("quantity")
        if item is not None and not item.is_stocked:
            self.add_error("item", f"{item.sku} is not sold from stock")
        if item is not None and quantity is not None and item.is_serial and quantity != quantity.to_integral_value():
            self.add_error("quantity", f"{item.sku} is sold by the unit: whole numbers only")
        return cleaned

    def clean_numbers(self):
        numbers = [n.strip() for n in self.cleaned_data["numbers"].splitlines() if n.strip()]
        if len(numbers) > 1000:
            raise forms.ValidationError("at most 1,000 numbers on a line")
        if any(len(n) > 80 for n in numbers):
            raise forms.ValidationError("a number is at most 80 characters")
        return "\n".join(numbers)


LineFormSet = forms.formset_factory(QuotationLineForm, extra=3, max_num=MAX_LINES, validate_max=True, absolute_max=MAX_LINES)


class QuotationListView(CompanyMixin, View):
    permission_required = ("pos.view_quotation",)

    def get(self, request):
        rows = Quotation.objects.filter(company=self.company).select_related("customer").order_by("-created_at", "-pk")
        page = Paginator(rows, 50).get_page(row_ids([request.GET.get("page", "")])[:1] or 1)
        return render(request, "pos/quotations.html", {"page": page})


class QuotationFormView(CompanyMixin, View):
    permission_required = ("pos.add_quotation", "pos.change_quotation")

    def quotation(self, pk):
        if pk is None:
            return None
        quotation = Quotation.objects.filter(company=self.company, pk=pk).first()
        if quotation is None:
            raise Http404("No such quotation")
        return quotation

    def get(self, request, quotation_pk=None):
        quotation = self.quotation(quotation_pk)
        initial = {}
        lines = []
        if quotation:
            initial = {"customer": quotation.customer, "valid_until": quotation.valid_until, "notes": quotation.notes}
            lines = [
                {"item": line.item.sku, "quantity": line.quantity, "unit_price": line.unit_price, "numbers": line.numbers}
                for line in quotation.lines.select_related("item")
            ]
        form = QuotationForm(initial=initial, company=self.company)
        formset = LineFormSet(initial=lines, form_kwargs={"company": self.company}, prefix="lines")
        return self.render_form(form, formset, quotation, submission_key_new())

    def render_form(self, form, formset, quotation, key, status=200):
        context = {"form": form, "formset": formset, "quotation": quotation, "submission_key": key}
        return render(self.request, "pos/quotation_form.html", context, status=status)

    def post(self, request, quotation_pk=None):
        quotation = self.quotation(quotation_pk)
        key = submission_key_of(request.POST)
        if submission_first(company=self.company, user=request.user, key=key):
            return redirect("pos:quotation-list")  # a repeat (a double click): saved once already
        form = QuotationForm(request.POST, company=self.company)
        formset = LineFormSet(request.POST, form_kwargs={"company": self.company}, prefix="lines")
        lines = [f.cleaned_data for f in formset if f.is_valid() and f.has_changed() and f.cleaned_data] if formset.is_valid() else []
        if not (form.is_valid() and formset.is_valid()) or not lines:
            if form.is_valid() and formset.is_valid():
                form.add_error(None, "a quotation has at least one line")
            return self.render_form(form, formset, quotation, key, status=422)
        try:
            quotation = self.save(quotation, form.cleaned_data, lines, key)
        except SubmissionRepeated:
            return redirect("pos:quotation-list")
        messages.success(request, f"Quotation {quotation.number} saved.")
        return redirect("pos:quotation-list")

    @transaction.atomic
    def save(self, quotation: Quotation | None, header: dict, lines: list[dict], key: str) -> Quotation:
        submission_claim(company=self.company, user=self.request.user, key=key)
        if quotation is None:
            number = document_number_next(company_id=self.company.pk, prefix="Q")
            quotation = Quotation.objects.create(company=self.company, number=number, created_by=self.request.user)
        quotation.customer = header["customer"]
        quotation.valid_until = header["valid_until"]
        quotation.notes = header["notes"]
        quotation.save()
        quotation.lines.all().delete()
        QuotationLine.objects.bulk_create(
            QuotationLine(
                company=self.company,
                quotation=quotation,
                position=i,
                item=row["item"],
                quantity=row["quantity"],
                unit_price=row["unit_price"] if row["unit_price"] is not None else row["item"].sale_price,
                numbers=row["numbers"],
            )
            for i, row in enumerate(lines, start=1)
        )
        return quotation
