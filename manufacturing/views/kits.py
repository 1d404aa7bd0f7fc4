"""Kits: assemble and disassemble in one step, and the bills of materials they follow."""

from dataclasses import replace
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView

from inventory.exceptions import InventoryError
from inventory.numbering import parse_numbers, parse_numbers_keeping_good
from inventory.web.views import CompanyMixin

from ..forms import KitForm
from ..selectors import (
    boms_of,
)
from ..services import (
    kit_assemble,
    kit_disassemble,
)


class KitView(CompanyMixin, View):
    """Assemble kits or take them apart in one step: one posting each, with the kit's components
    recorded per kit, so taking a kit apart returns the very serials that went in."""

    permission_required = ("manufacturing.add_workorder", "manufacturing.change_workorder")
    template_name = "manufacturing/kit_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": KitForm(company=self.company)})

    def post(self, request):
        form = KitForm(request.POST, company=self.company)
        if form.is_valid():
            data = form.cleaned_data
            common = dict(company=self.company, item=data["item"], location=data["location"], numbers=data["numbers"], user=request.user)
            try:
                if data["action"] == KitForm.ASSEMBLE:
                    quantity = data["quantity"] or Decimal(len(parse_numbers(data["numbers"])))
                    work_order = kit_assemble(quantity=quantity, **common)
                else:
                    work_order = kit_disassemble(quantity=data["quantity"], **common)
            except InventoryError as error:
                good, unreadable = parse_numbers_keeping_good(data["numbers"])
                typed = {*good, *(token for token, _ in unreadable)}
                for problem in error.problems:
                    field = self.field_of(problem, typed)
                    # Next to its field, the line of the hidden work order document means nothing.
                    form.add_error(field, str(replace(problem, line=None)) if field else str(problem))
            else:
                done = "assembled" if data["action"] == KitForm.ASSEMBLE else "taken apart"
                messages.success(request, f"{work_order.quantity.normalize():f} {data['item'].sku} {done} ({work_order.number}).")
                return redirect("manufacturing:work-order-detail", work_order_pk=work_order.pk)
        return render(request, self.template_name, {"form": form}, status=422)

    @staticmethod
    def field_of(problem, typed: set[str]) -> str | None:
        """The field a refusal is about: a kit number typed in, the quantity, else the whole form
        (a component short or refused is none of the fields)."""
        if problem.number and problem.number in typed:
            return "numbers"
        if problem.line is None and problem.number is None and "quantity" in problem.message:
            return "quantity"
        return None


class BomListView(CompanyMixin, TemplateView):
    """The bills of materials (set up in the admin), readable by whoever reads work orders."""

    permission_required = "manufacturing.view_billofmaterials"
    template_name = "manufacturing/bom_list.html"

    def get_context_data(self, **kwargs):
        page = Paginator(boms_of(self.company), 25).get_page(self.request.GET.get("page"))
        return super().get_context_data(page=page, **kwargs)
