"""Work order pages: list, create, view with its drafts' lines, and the actions behind a confirmation."""

from itertools import groupby

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, F, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from inventory.exceptions import InventoryError
from inventory.selectors import document_lines
from inventory.services import (
    SubmissionRepeated,
    submission_claim,
    submission_done,
    submission_first,
    submission_key_new,
    submission_key_of,
)
from inventory.web.views import CompanyListView, CompanyMixin, CompanyObjectMixin, GroupedListMixin, subtotals_by

from ..exceptions import InvalidWorkOrder
from ..filters import GROUPS, WorkOrderFilter
from ..forms import WorkOrderForm
from ..models import WorkOrderState
from ..selectors import (
    work_order_completions,
    work_order_components,
    work_orders_of,
)
from ..services import (
    work_order_cancel,
    work_order_components_propose,
    work_order_create,
    work_order_release,
)
from ..tables import WorkOrderTable, state_badge

OPEN = (WorkOrderState.RELEASED, WorkOrderState.IN_PROGRESS)


class WorkOrderListView(GroupedListMixin, CompanyListView):
    permission_required = "manufacturing.view_workorder"
    filterset_class = WorkOrderFilter
    table_class = WorkOrderTable
    template_name = "manufacturing/work_order_list.html"
    title = "Work orders"
    group_choices = GROUPS

    def get_queryset(self):
        return work_orders_of(self.company).order_by("-id")

    def get_table_data(self):
        rows = super().get_table_data()
        if self.group:
            field = "item__sku" if self.group == "item" else "state"
            rows = rows.order_by(F(field).asc(), "-id")
        return rows

    def group_rows(self, page: list) -> list[tuple]:
        key = "item__sku" if self.group == "item" else "state"
        totals = {"orders": Count("id"), "quantity": Sum("quantity"), "produced": Sum("produced_quantity")}
        subtotals = subtotals_by(self.filterset.qs, key, **totals)
        labels = dict(WorkOrderState.choices)
        value = (lambda w: w.item.sku) if self.group == "item" else (lambda w: w.state)
        return [(labels.get(k, k), subtotals.get(k, {}), list(orders)) for k, orders in groupby(page, key=value)]


def repeated(request, submission, what: str):
    """The answer to a form sent again (double-click, resend): where the first sending went."""
    if submission is None or not submission.result:
        messages.error(request, "This form was already sent; here it is again, to fill in anew.")
        return redirect(request.path)
    messages.info(request, f"Already {what}.")
    return redirect(submission.result)


class WorkOrderCreateView(CompanyMixin, View):
    permission_required = "manufacturing.add_workorder"
    template_name = "manufacturing/work_order_form.html"
    repeat_says = "saved — this is the work order it made"

    def get(self, request):
        return render(request, self.template_name, {"form": WorkOrderForm(company=self.company), "submission_key": submission_key_new()})

    def post(self, request):
        key = submission_key_of(request.POST)
        if first := submission_first(company=self.company, user=request.user, key=key):
            return repeated(request, first, self.repeat_says)
        form = WorkOrderForm(request.POST, company=self.company)
        if form.is_valid():
            data = form.cleaned_data
            try:
                # The key and the work order commit together: a repeat waits, then gets this one.
                with transaction.atomic():
                    submission = submission_claim(company=self.company, user=request.user, key=key)
                    work_order = work_order_create(
                        company=self.company,
                        item=data["item"],
                        quantity=data["quantity"],
                        location=data["location"],
                        due_date=data["due_date"],
                        reference=data["reference"],
                        notes=data["notes"],
                        user=request.user,
                    )
                    result = reverse("manufacturing:work-order-detail", kwargs={"work_order_pk": work_order.pk})
                    submission_done(submission=submission, result=result)
            except SubmissionRepeated:
                return repeated(request, submission_first(company=self.company, user=request.user, key=key), self.repeat_says)
            except InventoryError as error:
                # Each problem next to the field the service names; a bill's problems are the item's.
                default = None if isinstance(error, InvalidWorkOrder) else "item"
                for problem in error.problems:
                    form.add_error(problem.field or default, str(problem))
            else:
                messages.success(request, f"{work_order.number} created as a draft.")
                return redirect(result)
        return render(request, self.template_name, {"form": form, "submission_key": key}, status=422)


class WorkOrderMixin(CompanyObjectMixin):
    """A page about one work order of the active company; another company's is a 404."""

    def get_object(self):
        queryset = work_orders_of(self.company).select_related(
            "bom",
            "consumption_document__from_location",
            "consumption_document__to_location",
            "output_document__from_location",
            "output_document__to_location",
            "item__lot_class",
            "item__company",
        )
        return self.company_object(queryset, self.kwargs["work_order_pk"])


class WorkOrderDetailView(WorkOrderMixin, TemplateView):
    permission_required = "manufacturing.view_workorder"
    template_name = "manufacturing/work_order_detail.html"

    def get_context_data(self, **kwargs):
        work_order = self.object
        return super().get_context_data(
            work_order=work_order,
            state_badge=state_badge(work_order),
            components=work_order_components(work_order),
            consumption_lines=document_lines(work_order.consumption_document),
            output_lines=document_lines(work_order.output_document),
            completions=work_order_completions(work_order),
            is_open=work_order.state in OPEN,
            **kwargs,
        )


class WorkOrderActionView(WorkOrderMixin, TemplateView):
    """A confirmation page (GET) and the action (POST): nothing changes without a second click."""

    permission_required = "manufacturing.change_workorder"
    template_name = "manufacturing/work_order_confirm.html"
    allowed_states: tuple = ()

    def get_context_data(self, **kwargs):
        work_order = self.object
        return super().get_context_data(
            work_order=work_order,
            action=self.action_label(work_order),
            warning=self.warning(work_order),
            allowed=work_order.state in self.allowed_states,
            **kwargs,
        )

    def post(self, request, work_order_pk):
        try:
            self.act(self.object)
        except InventoryError as error:
            return self.render_to_response(self.get_context_data(problems=[str(p) for p in error.problems]), status=422)
        messages.success(request, self.done_message(self.object))
        return redirect("manufacturing:work-order-detail", work_order_pk=self.object.pk)


class WorkOrderReleaseView(WorkOrderActionView):
    allowed_states = (WorkOrderState.DRAFT,)

    def action_label(self, work_order):
        return "Release"

    def warning(self, work_order):
        return (
            "Release makes two draft documents: the components to consume and the finished goods to produce. "
            "Their lines are then allocated in the allocations dialog."
        )

    def act(self, work_order):
        work_order_release(work_order=work_order, user=self.request.user)

    def done_message(self, work_order):
        return f"{work_order.number} released."


class WorkOrderProposeView(WorkOrderActionView):
    allowed_states = OPEN

    def action_label(self, work_order):
        return "Propose components"

    def warning(self, work_order):
        return "Fills every component line by its class's issue method; expired and held lots are never proposed."

    def act(self, work_order):
        self.outcomes = work_order_components_propose(work_order=work_order, user=self.request.user)

    def done_message(self, work_order):
        rejected = sum(len(getattr(o, "rejected", ()) or ()) for o in self.outcomes)
        return f"Components proposed for {work_order.number}." + (f" {rejected} number(s) were refused." if rejected else "")


class WorkOrderCancelView(WorkOrderActionView):
    allowed_states = (WorkOrderState.DRAFT, *OPEN, WorkOrderState.DONE)

    def action_label(self, work_order):
        return "Reverse" if work_order.produced_quantity > 0 else "Cancel"

    def warning(self, work_order):
        if work_order.produced_quantity > 0:
            return (
                "Every completion is reversed: its documents post their exact opposite moves and its genealogy "
                "links are removed. Refused if finished goods have already moved on."
            )
        return "The work order is cancelled and its drafts with it; what they had allocated is free again."

    def act(self, work_order):
        self.reversed = work_order_cancel(work_order=work_order, user=self.request.user).completions.count()

    def done_message(self, work_order):
        # "Cancelled" only for a work order that never produced: one that did is undone by
        # posting its completions' moves back, and the ledger keeps both.
        if not self.reversed:
            return f"{work_order.number} cancelled."
        completions = "its completion's moves were" if self.reversed == 1 else f"the moves of its {self.reversed} completions were"
        return f"{work_order.number} reversed: {completions} reversed and their genealogy links removed."
