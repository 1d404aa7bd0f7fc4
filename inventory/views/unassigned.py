"""Assign numbers: number stock that came in without them, where it lies (seed 000)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.views import View

from ..exceptions import InventoryError
from ..forms.unassigned import AssignForm
from ..models import Balance
from ..selectors import unassigned_balances
from ..services import unassigned_assign
from .base import CompanyMixin


class UnassignedAssignView(CompanyMixin, View):
    """Number stock that came in without numbers, where it lies (seed 000: the unassigned excess)."""

    permission_required = "inventory.post_document"
    template_name = "inventory/unassigned_assign.html"

    def balance(self) -> Balance:
        return self.company_object(unassigned_balances(company=self.company).select_related("item__lot_class", "item__company"), self.kwargs["balance_pk"])

    def get(self, request, balance_pk):
        balance = self.balance()
        return render(request, self.template_name, {"balance": balance, "form": AssignForm(item=balance.item)})

    def post(self, request, balance_pk):
        balance = self.balance()
        form = AssignForm(request.POST, item=balance.item)
        problems = []
        if form.is_valid():
            data = form.cleaned_data
            try:
                document = unassigned_assign(
                    item=balance.item, location=balance.location, numbers=data["numbers"], quantity=data.get("quantity"),
                    expiry_date=data.get("expiry_date"), parent_number=data.get("lot_number") or "", user=request.user,
                )
            except InventoryError as error:
                problems = [str(p) for p in error.problems]
            else:
                messages.success(request, f"Numbers assigned ({document.number}).")
                response = HttpResponse(status=204)
                response["HX-Refresh"] = "true"
                return response
        return render(request, self.template_name, {"balance": balance, "form": form, "problems": problems})
