"""Assign numbers: number stock that came in without them, where it lies (seed 000)."""

from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views import View

from ..exceptions import InventoryError
from ..forms.unassigned import AssignForm
from ..models import Balance
from ..selectors import unassigned_balances, unnumbered_available
from ..services import number_preview, unassigned_assign, unassigned_generate
from ..web.views import CompanyMixin


def _listed(numbers: list[str]) -> str:
    return ", ".join(numbers) if len(numbers) <= 3 else f"{numbers[0]} … {numbers[-1]}"


def _units(quantity: Decimal) -> str:
    return f"{quantity.normalize():f} unit{'' if quantity == 1 else 's'}"


class UnassignedAssignView(CompanyMixin, View):
    """Number stock that came in without numbers, where it lies (seed 000: the unassigned excess)."""

    permission_required = "inventory.post_document"
    template_name = "inventory/unassigned_assign.html"

    def balance(self) -> Balance | None:
        """The unassigned balance; None when it was numbered meanwhile (a second post, a stale list)."""
        rows = unassigned_balances(company=self.company).select_related("item__lot_class", "item__company")
        try:
            return self.company_object(rows, self.kwargs["balance_pk"])
        except Http404:
            gone = Balance.objects.filter(company=self.company, pk=self.kwargs["balance_pk"], lot__isnull=True, quantity=0)
            if gone.exists():
                return None
            raise

    def context(self, balance: Balance, form: AssignForm) -> dict:
        item, lot_class = balance.item, balance.item.lot_class
        available = form.available
        generated = min(int(available), lot_class.batch_size) if item.is_serial else (1 if available > 0 else 0)
        return {
            "balance": balance,
            "form": form,
            "available": available,
            "batch_size": lot_class.batch_size,
            "preview": number_preview(item=item),
            "generated": generated,
            "left": available - generated if item.is_serial else Decimal(0),
        }

    def gone(self, request):
        return render(request, self.template_name, {"gone": True})

    def get(self, request, balance_pk):
        balance = self.balance()
        if balance is None:
            return self.gone(request)
        available = unnumbered_available(item=balance.item, location=balance.location)
        return render(request, self.template_name, self.context(balance, AssignForm(item=balance.item, available=available)))

    def post(self, request, balance_pk):
        balance = self.balance()
        if balance is None:
            return self.gone(request)
        item, location = balance.item, balance.location
        generate = "generate" in request.POST
        form = AssignForm(request.POST, item=item, available=unnumbered_available(item=item, location=location), generate=generate)
        if form.is_valid():
            data = form.cleaned_data
            fields = {
                "item": item,
                "location": location,
                "quantity": data.get("quantity"),
                "expiry_date": data.get("expiry_date"),
                "parent_number": data.get("lot_number") or "",
                "user": request.user,
            }
            try:
                if generate:
                    made = unassigned_generate(**fields)
                    document, numbers = made.document, made.numbers
                else:
                    numbers = data["numbers"]
                    document = unassigned_assign(numbers=numbers, **fields)
            except InventoryError as error:
                for problem in error.problems:
                    if problem.number:
                        form.add_error("numbers", f"{problem.number}: {problem.message}")
                    else:
                        form.add_error(None, problem.message[:1].upper() + problem.message[1:] + ".")
            else:
                text = f"{len(numbers):,} number{'' if len(numbers) == 1 else 's'} assigned ({document.number}): {_listed(numbers)}."
                if generate and made.left > 0:
                    text += (
                        f" {_units(made.left)} of {item.sku} at {location.code} stay without a number "
                        f"(batch size {item.lot_class.batch_size}): generate again or type them."
                    )
                messages.success(request, text)
                response = HttpResponse(status=204)
                response["HX-Refresh"] = "true"
                return response
        return render(request, self.template_name, self.context(balance, form))
