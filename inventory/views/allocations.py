"""The allocations dialog (which lots/serials a line takes), the generation dialog (which numbers
a receipt brings) and "Assign numbers" for unnumbered stock — htmx fragments in the page's modal.

Every good entry is stored at once; a bad one comes back on its own row with the reason, so one
typo never costs the other scans.
"""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.views import View

from ..exceptions import InvalidDocument, InventoryError
from ..forms.allocations import GenerateForm, IncomingForm, PasteForm, ScanForm
from ..models import Allocation, DocumentLine
from ..models.documents import PRODUCTION_KINDS
from ..numbering import MAX_NUMBERS, parse_numbers_keeping_good
from ..selectors import allocation_candidates, loose_candidates
from ..services import (
    AllocationOutcome,
    Rejected,
    allocations_clear,
    line_allocate,
    line_allocate_proposed,
    line_numbers_generate,
    line_scan,
    number_required,
)
from ..services.judging import RETURN_KINDS
from ..services.scanning import MAX_SCAN_CODES
from ..web.views import CompanyMixin, clean_text, row_ids

TEMPLATE = "inventory/line_allocations.html"
PAGE_SIZE = 20
MAX_REJECTED_KEPT = 500


def _page(request, rows, param: str):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get(param) or request.POST.get(param))


class LineMixin(CompanyMixin):
    # Reading a line's numbers needs view_document; changing them is decided per line (may_change).
    permission_required = ("inventory.view_document",)

    def may_change(self, document) -> bool:
        """Stock documents: change_document. A work order's drafts: also whoever may allocate
        production documents (the Production role), without rights on deliveries and the rest."""
        user = self.request.user
        if document.owner:
            return False  # the till's: its numbers are changed at the till
        return user.has_perm("inventory.change_document") or (
            document.kind in PRODUCTION_KINDS and user.has_perm("inventory.allocate_production")
        )

    def line(self) -> DocumentLine:
        queryset = DocumentLine.objects.select_related(
            "document__from_location", "document__to_location", "document__partner", "item__lot_class", "item__company"
        )
        line = self.company_object(queryset, self.kwargs["line_pk"])
        document = line.document
        line.incoming = document.from_location.is_virtual
        line.numbered = line.item.is_tracked and number_required(line.item, document.from_location, document.to_location)
        line.editable = document.is_draft and line.numbered and self.may_change(document)
        return line

    def candidates(self, line):
        """Lots/serials the line can take, in issue-method order, searchable and paged on the server."""
        if line.incoming or not line.numbered:
            return None
        q = clean_text(self.request.GET.get("q") or self.request.POST.get("q"))
        # Both kinds of row carry the same keys, so the template reads one shape.
        if line.item.binds_lots:
            rows = allocation_candidates(line=line)
            if q:
                rows = rows.filter(lot__number__icontains=q)
            rows = rows.values(
                "available", number=F("lot__number"), expiry=F("lot__expiry_date"), received=Coalesce("first_in_at", "lot__received_at")
            )
        else:
            rows = loose_candidates(line=line)
            if q:
                rows = rows.filter(number__icontains=q)
            rows = rows.values("number", expiry=F("expiry_date"), received=F("received_at"))
        page = _page(self.request, rows, "cpage")
        return {"page": page, "q": q, "loose": not line.item.binds_lots}


MAX_CODE = 500  # a GS1 label's text; the number in it is at most 80


class LineAllocationsView(LineMixin, View):
    def get(self, request, line_pk):
        return self.render_dialog(self.line(), part="results" if request.GET.get("part") == "results" else "dialog")

    def post(self, request, line_pk):
        line = self.line()
        if not self.may_change(line.document):
            raise PermissionDenied("Your role does not change this document's lot and serial numbers.")
        if not line.editable:
            if line.document.is_draft and not line.numbered:
                return self.render_dialog(line, error="This line records no lot or serial numbers.")
            return self.render_dialog(
                line, error=f"{line.document.number} is {line.document.get_status_display().lower()}: its numbers can no longer change."
            )
        action = request.POST.get("action", "")
        handler = getattr(self, f"do_{action}", None)
        if handler is None:
            return self.render_dialog(line, error="Unknown action.")
        forms, outcome, error = {}, None, None
        try:
            result = handler(line, forms)
            if isinstance(result, str):
                error = result
            else:
                outcome = result
        except InventoryError as exc:
            error = "; ".join(str(p) for p in exc.problems)
        if outcome is not None:
            self.remember_rejected(line, outcome)
        line = self.line()  # what the line holds now
        return self.render_dialog(line, outcome=outcome, error=error, forms=forms, changed=True, part="results")

    # The actions -----------------------------------------------------------------------------
    def do_scan(self, line, forms):
        """One or more scanned codes, in the order scanned (the scan box queues and batches them)."""
        codes = [clean_text(c, limit=MAX_CODE + 1) for c in self.request.POST.getlist("number")]
        codes = [c for c in codes if c]
        if not codes:
            return "Scan or type a number."
        if len(codes) > MAX_SCAN_CODES:
            return f"At most {MAX_SCAN_CODES} codes at once; paste longer lists."
        too_long = [c for c in codes if len(c) > MAX_CODE]
        codes = [c for c in codes if len(c) <= MAX_CODE]
        form = ScanForm({"number": "x", "quantity": self.request.POST.get("quantity", "")})
        if not form.is_valid():
            return f"Check the quantity: {form.errors['quantity'][0]}"
        try:
            incoming = self.incoming_values(line)
        except InvalidDocument as error:
            # The box is already empty for the next scan: the codes are listed as refused, to scan again.
            return AllocationOutcome(line=line, rejected=[Rejected(c, str(error)) for c in codes])
        outcome = (
            line_scan(
                line=line,
                codes=codes,
                quantity=form.cleaned_data["quantity"],
                confirm=self.request.POST.get("confirm") == "1",
                user=self.request.user,
                **incoming,
            )
            if codes
            else AllocationOutcome(line=line)
        )
        outcome.rejected[:0] = [Rejected(c[:40] + "…", f"longer than {MAX_CODE} characters") for c in too_long]
        return outcome

    def do_paste(self, line, forms):
        form = forms["paste"] = PasteForm(self.request.POST)
        if not form.is_valid():
            return "Paste at least one number."
        # Counted before any range expands: a few bytes never become hundreds of thousands of numbers.
        numbers, unreadable = parse_numbers_keeping_good(form.cleaned_data["numbers"], most=MAX_NUMBERS)
        if numbers:
            outcome = line_allocate(line=line, numbers=numbers, user=self.request.user, **self.incoming_values(line))
        else:
            outcome = AllocationOutcome(line=line)
        # An unreadable token (a range too long…) is one more refused row; the rest still count.
        outcome.rejected[:0] = [Rejected(token, reason) for token, reason in unreadable]
        if outcome.rejected:
            # Keep only the entries that failed in the box, to fix and send again.
            forms["paste"] = PasteForm(initial={"numbers": "\n".join(r.number for r in outcome.rejected)})
        else:
            forms["paste"] = PasteForm()
        return outcome

    def do_propose(self, line, forms):
        return line_allocate_proposed(line=line, user=self.request.user)

    def do_generate(self, line, forms):
        form = forms["generate"] = GenerateForm(self.request.POST, item=line.item, default_expiry=line.expiry_date)
        if not form.is_valid():
            return "Check the fields marked below."
        data = form.cleaned_data
        return line_numbers_generate(
            line=line,
            count=data.get("count"),
            expiry_date=data.get("expiry_date"),
            parent_number=data.get("lot_number") or "",
            user=self.request.user,
        )

    def do_remove(self, line, forms):
        ids = row_ids(self.request.POST.getlist("allocation"))
        allocations_clear(line=line, allocation_ids=ids)
        return "" if ids else "Choose what to remove."

    def do_clear(self, line, forms):
        allocations_clear(line=line)
        self.request.session.pop(self.rejected_key(line), None)
        return ""

    def do_dismiss(self, line, forms):
        self.request.session.pop(self.rejected_key(line), None)
        return ""

    def incoming_values(self, line) -> dict:
        """What new numbers carry: the lot and expiry typed, else the line's own."""
        if not line.incoming:
            return {}
        form = IncomingForm(self.request.POST, item=line.item, default_expiry=line.expiry_date, require_expiry=False)
        if not form.is_valid():
            raise InvalidDocument("; ".join(f"{form.fields[name].label}: {e}" for name, errors in form.errors.items() for e in errors))
        data = form.cleaned_data
        # Shown again in the scan and paste forms, so the next scan carries the same lot and expiry.
        self.typed = {"lot_number": data.get("lot_number") or line.lot_number, "expiry_date": data.get("expiry_date") or line.expiry_date}
        return {"expiry_date": self.typed["expiry_date"], "parent_number": self.typed["lot_number"]}

    # Rejections stay listed until dismissed, so a clerk scanning fast sees every bad entry.
    def rejected_key(self, line) -> str:
        return f"rejected-{line.pk}"

    def remember_rejected(self, line, outcome) -> None:
        """Each refused number once, with its latest reason; a number since taken is no longer listed."""
        key = self.rejected_key(line)
        kept = self.request.session.get(key, [])
        if not kept and not outcome.rejected:
            return
        fresh = {r.number for r in outcome.rejected} | set(outcome.accepted)
        kept = [row for row in kept if row[0] not in fresh]
        kept += [[r.number, r.reason, r.confirm] for r in outcome.rejected]
        self.request.session[key] = kept[-MAX_REJECTED_KEPT:]

    def render_dialog(self, line, *, outcome=None, error=None, forms=None, changed=False, part="dialog"):
        forms = forms or {}
        allocations = Allocation.objects.filter(line=line).select_related("lot").order_by("-id")
        allocated = allocations.aggregate(total=Sum("quantity"))["total"] or 0
        context = {
            "line": line,
            "document": line.document,
            "item": line.item,
            "allocated": allocated,
            "remaining": line.quantity - allocated,
            "allocations": _page(self.request, allocations, "apage"),
            "candidates": self.candidates(line) if line.editable else None,  # only an editable dialog lists them
            "outcome": outcome,
            "error": error,
            "rejected": [(row + ["", ""])[:3] for row in self.request.session.get(self.rejected_key(line), [])],
            "scan_form": forms.get("scan") or ScanForm(),
            "paste_form": forms.get("paste") or PasteForm(),
            "generate_form": forms.get("generate")
            or GenerateForm(item=line.item, initial={"expiry_date": line.expiry_date, "lot_number": line.lot_number}),
            "changed": changed,
            "typed": getattr(self, "typed", None) or {"lot_number": line.lot_number, "expiry_date": line.expiry_date},
            "issue_method": line.item.lot_class.get_issue_method_display() if line.item.lot_class else "",
            "is_return": line.document.kind in RETURN_KINDS,
            "scan_max": MAX_CODE,
        }
        return render(self.request, f"{TEMPLATE}#{part}", context)


class LineCandidatesView(LineMixin, View):
    """The candidates table alone: search and paging without redrawing the dialog."""

    def get(self, request, line_pk):
        line = self.line()
        return render(request, f"{TEMPLATE}#candidates", {"line": line, "candidates": self.candidates(line)})
