"""Completing a work order (its finished serials and lots) and the per-unit genealogy scan page."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from inventory.exceptions import InventoryError
from inventory.services import (
    SubmissionRepeated,
    submission_claim,
    submission_done,
    submission_first,
    submission_key_new,
    submission_key_of,
)
from inventory.web.views import clean_text, row_ids

from ..exceptions import OverCompletion
from ..forms import CompleteForm, UnitScanForm
from ..selectors import (
    finished_number_allocated,
    unit_mapping_counts,
    unit_mappings,
)
from ..services import (
    work_order_complete,
    work_order_unit_map,
)
from .work_orders import OPEN, WorkOrderMixin, repeated

MAPPINGS_PER_PAGE = 50


class WorkOrderCompleteView(WorkOrderMixin, View):
    permission_required = "manufacturing.change_workorder"
    template_name = "manufacturing/work_order_complete.html"

    repeat_says = "completed — it was posted once; this is the work order"

    def render_form(self, form, problems=(), status=200, key=None):
        work_order = self.object
        return render(
            self.request,
            self.template_name,
            {
                "work_order": work_order,
                "form": form,
                "problems": problems,
                "allowed": work_order.state in OPEN,
                "submission_key": key or submission_key_new(),
            },
            status=status,
        )

    def get(self, request, work_order_pk):
        return self.render_form(CompleteForm(work_order=self.object))

    def post(self, request, work_order_pk):
        key = submission_key_of(request.POST)
        # A repeat is answered first: after the first completion the form may no longer be valid.
        if first := submission_first(company=self.company, user=request.user, key=key):
            return repeated(request, first, self.repeat_says)
        form = CompleteForm(request.POST, work_order=self.object)
        if not form.is_valid():
            return self.render_form(form, status=422, key=key)
        result = reverse("manufacturing:work-order-detail", kwargs={"work_order_pk": self.object.pk})
        try:
            with transaction.atomic():
                submission = submission_claim(company=self.company, user=request.user, key=key)
                completion = work_order_complete(
                    work_order=self.object,
                    quantity=form.cleaned_data["quantity"],
                    numbers=form.cleaned_data["numbers"],
                    user=request.user,
                )
                submission_done(submission=submission, result=result)
        except SubmissionRepeated:
            return repeated(request, submission_first(company=self.company, user=request.user, key=key), self.repeat_says)
        except OverCompletion as error:
            form.add_error("quantity", [str(p) for p in error.problems])
            return self.render_form(form, status=422, key=key)
        except InventoryError as error:
            return self.render_form(form, problems=[str(p) for p in error.problems], status=422, key=key)
        messages.success(request, f"{completion.quantity.normalize():f} of {self.object.item.sku} completed on {self.object.number}.")
        return redirect(result)


MAX_UNIT_SCANS = 500  # one request of the scan queue


class WorkOrderUnitsView(WorkOrderMixin, View):
    """Scan a finished serial, then its components' serials: each component scan is mapped to the
    current finished unit (kept in the form). A bad scan is reported on its own row; the mappings
    already made stay."""

    template_name = "manufacturing/work_order_units.html"

    def get_permission_required(self):
        return ("manufacturing.change_workorder",) if self.request.method == "POST" else ("manufacturing.view_workorder",)

    def context(self, form, scans=()):
        work_order = self.object
        page = Paginator(unit_mappings(work_order), MAPPINGS_PER_PAGE).get_page((row_ids([self.request.GET.get("page", "")]) or [1])[0])
        return {
            "work_order": work_order,
            "form": form,
            "scans": scans,
            "mappings": page,
            "counts": unit_mapping_counts(work_order),
            "finished": getattr(form, "current", ""),
            "is_open": work_order.state in OPEN and work_order.output_document_id is not None,
        }

    def respond(self, form, scans=(), status=200):
        context = self.context(form, scans)
        # The scan box is never redrawn by a scan: the answer goes beside it (static/js/scan.js).
        template = self.template_name + ("#scan-answer" if self.request.headers.get("HX-Request") else "")
        return render(self.request, template, context, status=status)

    def get(self, request, work_order_pk):
        return self.respond(UnitScanForm())

    def post(self, request, work_order_pk):
        """One or more scans, in the order scanned; each finished serial moves on to that unit."""
        finished = clean_text(request.POST.get("finished"))
        codes = [clean_text(c) for c in request.POST.getlist("scan")][:MAX_UNIT_SCANS]
        codes = [c for c in codes if c]
        if not codes:
            return self.respond(self._next_form(finished), [{"scan": "", "ok": False, "message": "Nothing was scanned."}], 422)
        results = []
        for scan in codes:
            finished, result = self._one(finished, scan)
            results.append(result)
        # Newest first, as the log shows them.
        return self.respond(self._next_form(finished), results[::-1], 200 if all(r["ok"] for r in results) else 422)

    def _one(self, finished: str, scan: str) -> tuple[str, dict]:
        work_order = self.object
        if work_order.state not in OPEN:
            return finished, {"scan": scan, "ok": False, "message": f"{work_order.number} is {work_order.get_state_display().lower()}."}
        if finished_number_allocated(work_order, scan):
            return scan, {"scan": scan, "ok": True, "message": f"Finished unit {scan}: now scan its components."}
        if not finished:
            return "", {
                "scan": scan,
                "ok": False,
                "message": f"{scan} is not a finished number on the output of {work_order.number}; scan a finished unit first.",
            }
        try:
            row = work_order_unit_map(work_order=work_order, finished_number=finished, component_number=scan)
        except InventoryError as error:
            return finished, {"scan": scan, "ok": False, "message": "; ".join(p.message for p in error.problems)}
        return finished, {"scan": scan, "ok": True, "message": f"{row.component.sku} {scan} → {finished}"}

    @staticmethod
    def _next_form(finished: str) -> UnitScanForm:
        """A fresh input, ready for the next scan, carrying the current finished unit."""
        form = UnitScanForm(initial={"finished": finished})
        form.current = finished
        return form
