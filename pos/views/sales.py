"""Paying, the receipt, loading a sales order or a quotation, refunds, the follow-up list of sales
with missing numbers, and closing the session."""

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from inventory.exceptions import InventoryError
from inventory.models import Document, DocumentKind, DocumentStatus, PendingNumbers
from inventory.services import (
    SubmissionRepeated,
    pending_numbers_assign,
    submission_claim,
    submission_done,
    submission_first,
    submission_key_new,
    submission_key_of,
)
from inventory.web.views import CompanyMixin, clean_text, row_ids

from ..models import PaymentMethod, Quotation, Sale, SaleKind, SaleStatus
from ..selectors import cart_view, numbers_to_follow, sales_of
from ..services import (
    cart_from_quotation,
    cart_from_sales_order,
    checkout,
    refund_create,
    refundable,
    sale_of_receipt_or_serial,
    session_close,
    session_summary,
)
from .till import MAX_CODES, TillMixin, problem_text


class PayView(TillMixin, View):
    """Checkout: cash (with change) or card. Missing numbers do not stop it (they follow)."""

    def render_pay(self, sale, error="", status=200, tendered="", method=""):
        view = cart_view(sale)
        context = {"view": view, "error": error, "methods": PaymentMethod.choices, "tendered": tendered, "method": method}
        return render(self.request, "pos/pay.html", context, status=status)

    def get(self, request, sale_pk):
        sale = self.sale(sale_pk)
        if not sale.is_cart:
            return redirect("pos:receipt", sale_pk=sale.pk)
        return self.render_pay(sale)

    def post(self, request, sale_pk):
        sale = self.sale(sale_pk)
        method, tendered = clean_text(request.POST.get("method"), 10), clean_text(request.POST.get("tendered"), 20)
        try:
            sale = checkout(sale=sale, method=method, tendered=tendered, user=request.user)
        except InventoryError as error:  # answered with what was typed kept, to correct it
            return self.render_pay(sale, problem_text(error), status=422, tendered=tendered, method=method)
        return redirect("pos:receipt", sale_pk=sale.pk)


class ReceiptView(CompanyMixin, View):
    """A printable receipt: each line with its serial/lot numbers (and how many are to follow)."""

    permission_required = ("pos.view_sale",)

    def get(self, request, sale_pk):
        sale = sales_of(self.company.pk).filter(pk=sale_pk).first()
        if sale is None:
            raise Http404("No such sale")
        return render(request, "pos/receipt.html", {"view": cart_view(sale), "sale": sale})


class LoadView(TillMixin, View):
    """Open a sales order or a quotation into a cart; the cashier says whether its numbers come too."""

    def get(self, request):
        session = self.session()
        if session is None:
            return redirect("pos:registers")
        orders = (
            Document.objects.filter(
                company=self.company,
                kind=DocumentKind.DELIVERY,
                status=DocumentStatus.DRAFT,
                from_location=session.register.location,
                sale__isnull=True,
            )
            .select_related("partner")
            .order_by("-date", "-id")[:50]
        )
        quotations = Quotation.objects.filter(company=self.company).select_related("customer").order_by("-created_at")[:50]
        context = {"orders": orders, "quotations": quotations, "session": session, "submission_key": submission_key_new()}
        return render(request, "pos/load.html", context)

    def post(self, request):
        session = self.session()
        if session is None:
            return redirect("pos:registers")
        key = submission_key_of(request.POST)
        if first := submission_first(company=self.company, user=request.user, key=key):
            return redirect(first.result or "pos:till")  # a repeat: the cart it made, never a second one
        with_numbers = request.POST.get("numbers") == "yes"
        pk = row_ids([request.POST.get("pk", "")])
        quotation = order = None
        if request.POST.get("what") == "quotation":
            quotation = Quotation.objects.filter(company=self.company, pk__in=pk).first()
        else:
            order = Document.objects.filter(company=self.company, pk__in=pk).first()
        if quotation is None and order is None:
            raise Http404("No such sales order or quotation")
        refused = []
        try:
            with transaction.atomic():
                submission = submission_claim(company=self.company, user=request.user, key=key)
                if quotation is not None:
                    sale, refused = cart_from_quotation(session=session, quotation=quotation, with_numbers=with_numbers, user=request.user)
                else:
                    sale = cart_from_sales_order(session=session, document=order, with_numbers=with_numbers, user=request.user)
                submission_done(submission=submission, result=reverse("pos:till-sale", kwargs={"sale_pk": sale.pk}))
        except SubmissionRepeated:
            return redirect(submission_first(company=self.company, user=request.user, key=key).result or "pos:till")
        except InventoryError as error:
            messages.error(request, problem_text(error))
            return redirect("pos:load")
        for r in refused:
            messages.warning(request, f"{r.code}: {r.message} — scan another in its place")
        return redirect("pos:till-sale", sale_pk=sale.pk)


def _left(rows: list) -> dict:
    """Whether anything of the sale is left to refund now, and whether units wait for their numbers."""
    return {"nothing_left": not any(r.quantity > 0 for r in rows), "to_follow": any(r.to_follow > 0 for r in rows)}


class RefundView(TillMixin, View):
    """Pick the sale (its receipt number, or a serial it sold), then what comes back."""

    def get(self, request):
        code = clean_text(request.GET.get("q"), 80)
        original = sale_of_receipt_or_serial(company_id=self.company.pk, code=code) if code else None
        rows = refundable(original) if original else []
        return render(
            request,
            "pos/refund.html",
            {
                "q": code,
                "original": original,
                "rows": rows,
                "methods": PaymentMethod.choices,
                "not_found": bool(code and not original),
                "submission_key": submission_key_new(),
                **_left(rows),
            },
        )

    def post(self, request):
        session = self.session()
        if session is None:
            return redirect("pos:registers")
        original = Sale.objects.filter(company=self.company, pk__in=row_ids([request.POST.get("original", "")]), kind=SaleKind.SALE).first()
        if original is None:
            raise Http404("No such sale")
        numbers = [clean_text(n) for n in request.POST.getlist("number")][:MAX_CODES]
        scanned = [clean_text(n) for n in clean_text(request.POST.get("scanned"), 4000).split() if n][:MAX_CODES]
        quantities = {k.removeprefix("quantity-"): clean_text(v, 24) for k, v in request.POST.items() if k.startswith("quantity-")}
        quantities = {int(k): v for k, v in quantities.items() if k.isdigit() and len(k) < 18}
        key = submission_key_of(request.POST)
        if first := submission_first(company=self.company, user=request.user, key=key):
            return redirect(first.result or "pos:till")  # a repeat: the refund it made, never a second one
        try:
            with transaction.atomic():
                submission = submission_claim(company=self.company, user=request.user, key=key)
                refund = refund_create(
                    session=session,
                    original=original,
                    numbers=numbers,
                    scanned=scanned,
                    quantities=quantities,
                    method=request.POST.get("method", ""),
                    user=request.user,
                )
                submission_done(submission=submission, result=reverse("pos:receipt", kwargs={"sale_pk": refund.pk}))
        except SubmissionRepeated:
            return redirect(submission_first(company=self.company, user=request.user, key=key).result or "pos:till")
        except InventoryError as error:
            rows = refundable(original)
            return render(
                request,
                "pos/refund.html",
                {
                    "q": original.number,
                    "original": original,
                    "rows": rows,
                    "methods": PaymentMethod.choices,
                    "error": problem_text(error),
                    "submission_key": key,
                    "scanned": "\n".join(scanned),  # kept, to correct rather than scan again
                    **_left(rows),
                },
                status=422,
            )
        return redirect("pos:receipt", sale_pk=refund.pk)


class FollowUpListView(CompanyMixin, View):
    """Sales with missing numbers: sale, line, item, how many, register, cashier, date."""

    permission_required = ("inventory.assign_pendingnumbers",)

    def get(self, request):
        page = Paginator(numbers_to_follow(self.company.pk), 50).get_page(row_ids([request.GET.get("page", "")])[:1] or 1)
        return render(request, "pos/follow_up.html", {"page": page})


class FollowUpAssignView(CompanyMixin, View):
    """Assign the numbers one sale line lacks: scanned or typed, each judged on its own."""

    permission_required = ("inventory.assign_pendingnumbers",)

    def pending(self, pk) -> PendingNumbers:
        pending = numbers_to_follow(self.company.pk).filter(pk=pk).first() or (
            PendingNumbers.objects.filter(company=self.company, pk=pk).select_related("document__sale", "item", "line").first()
        )
        if pending is None:
            raise Http404("No such line")
        return pending

    def get(self, request, pending_pk):
        return render(request, "pos/assign.html", {"pending": self.pending(pending_pk), "max_codes": MAX_CODES})

    def post(self, request, pending_pk):
        pending = self.pending(pending_pk)
        # Bounded, not cut to a number's length: a code too long is named as such by the judging.
        codes = [clean_text(c, 1000) for c in request.POST.getlist("code")][:MAX_CODES]
        quantity = clean_text(request.POST.get("quantity"), 24) or None
        try:
            outcome = pending_numbers_assign(pending=pending, numbers=codes, quantity=quantity, user=request.user)
        except InventoryError as error:
            return render(request, "pos/assign.html#answer", {"pending": pending, "error": problem_text(error)}, status=422)
        pending.refresh_from_db()
        return render(request, "pos/assign.html#answer", {"pending": pending, "outcome": outcome})


class SessionCloseView(TillMixin, View):
    def get(self, request):
        session = self.session()
        if session is None:
            return redirect("pos:registers")
        return render(request, "pos/close.html", {"session": session, "summary": session_summary(session)})

    def post(self, request):
        session = self.session()
        if session is None:
            return redirect("pos:registers")
        try:
            summary = session_close(session=session, user=request.user, counted_cash=clean_text(request.POST.get("counted_cash"), 20))
        except InventoryError as error:
            messages.error(request, problem_text(error))
            return redirect("pos:close")
        session.refresh_from_db()
        difference = (session.counted_cash - summary.expected_cash) if session.counted_cash is not None else None
        return render(request, "pos/closed.html", {"session": session, "summary": summary, "difference": difference})


class SaleListView(CompanyMixin, View):
    permission_required = ("pos.view_sale",)

    def get(self, request):
        rows = sales_of(self.company.pk).exclude(status=SaleStatus.CANCELLED).order_by("-created_at", "-pk")
        q = clean_text(request.GET.get("q"), 40)
        if q:
            rows = rows.filter(number__icontains=q)
        page = Paginator(rows, 50).get_page(row_ids([request.GET.get("page", "")])[:1] or 1)
        return render(request, "pos/sales.html", {"page": page, "q": q, "zero": Decimal(0)})
