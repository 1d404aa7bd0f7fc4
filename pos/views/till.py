"""The sale screen: registers and sessions, the cart, the scan box, the numbers pop-up, the numpad.

Every page of the till works in the active company, for a cashier with ``pos.use_register`` on a
register they may use, on carts of their own open session. The scan box and the pop-up queue
what a scanner types (static/js/scan.js) and their answers are drawn beside the box, never over it.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from inventory.exceptions import InventoryError
from inventory.models import DocumentLine, Partner
from inventory.web.views import CompanyMixin, clean_text, row_ids

from ..models import Register, Sale, SaleStatus
from ..selectors import cart_view, open_carts, registers_for
from ..services import (
    cart_cancel,
    cart_customer,
    cart_line_numbers,
    cart_line_price,
    cart_line_quantity,
    cart_new,
    cart_numbers_remove,
    cart_scan,
    open_session_of,
    register_allowed,
    session_open,
)

MAX_CODES = 200  # one request of the scan queue
RECENT = 30  # scan answers kept in sight


def problem_text(error: InventoryError) -> str:
    return "; ".join(p.message if not p.line else str(p) for p in error.problems) or str(error)


class TillMixin(CompanyMixin):
    permission_required = ("pos.use_register",)

    def dispatch(self, request, *args, **kwargs):
        # Another company's sale is a 404 whatever the method, before any handler runs.
        known = "sale_pk" not in kwargs or not request.company or not self.has_permission()
        if not known and not Sale.objects.filter(pk=kwargs["sale_pk"], company=request.company).exists():
            raise Http404("No such sale")
        return super().dispatch(request, *args, **kwargs)

    def session(self):
        session = open_session_of(self.request.user, self.company.pk)
        if session is None or not register_allowed(session.register, self.request.user):
            return None
        return session

    def sale(self, pk) -> Sale:
        """A sale of the cashier's own open session (another's cart is not theirs to touch)."""
        session = self.session()
        sale = (
            Sale.objects.filter(pk=pk, company=self.company, session=session)
            .select_related("register__location", "document__from_location", "document__to_location", "customer", "session")
            .first()
            if session
            else None
        )
        if sale is None:
            raise Http404("No such sale at your register")
        return sale

    def line(self, sale: Sale, line_pk) -> DocumentLine:
        line = (
            DocumentLine.objects.filter(pk=line_pk, document_id=sale.document_id).select_related("item__lot_class", "item__company").first()
        )
        if line is None:
            raise Http404("That line is no longer in the cart")
        return line

    def cart_response(self, sale: Sale, results=(), error: str = "", status: int = 200):
        return render(
            self.request,
            "pos/till.html#cart",
            {"view": cart_view(sale), "results": results, "error": error, "may_price": self.request.user.has_perm("pos.change_price")},
            status=status,
        )


class RegisterListView(TillMixin, View):
    """Choose a register and open a session on it (or go back to the one open)."""

    def get(self, request):
        if self.session() is not None:
            return redirect("pos:till")
        registers = [r for r in registers_for(self.company.pk) if register_allowed(r, request.user)]
        return render(request, "pos/registers.html", {"registers": registers})

    def post(self, request):
        register = Register.objects.filter(company=self.company, pk__in=row_ids([request.POST.get("register", "")])).first()
        if register is None:
            raise Http404("No such register")
        try:
            session_open(register=register, user=request.user, opening_cash=clean_text(request.POST.get("opening_cash"), 20))
        except InventoryError as error:
            messages.error(request, problem_text(error))
            return redirect("pos:registers")
        return redirect("pos:till")


class TillView(TillMixin, View):
    """The sale screen on the cashier's latest open cart (a new one when there is none)."""

    def get(self, request, sale_pk=None):
        session = self.session()
        if session is None:
            return redirect("pos:registers")
        if sale_pk is not None:
            sale = self.sale(sale_pk)
            if not sale.is_cart:
                return redirect("pos:receipt", sale_pk=sale.pk)
        else:
            sale = open_carts(session).first() or cart_new(session=session, user=request.user)
            return redirect("pos:till-sale", sale_pk=sale.pk)
        customers = Partner.objects.filter(company=self.company, is_customer=True).order_by("name")[:200]
        context = {
            "session": session,
            "view": cart_view(sale),
            "carts": open_carts(session).exclude(pk=sale.pk)[:10],
            "customers": customers,
            "may_price": request.user.has_perm("pos.change_price"),
            "max_codes": MAX_CODES,
        }
        return render(request, "pos/till.html", context)


class NewSaleView(TillMixin, View):
    def post(self, request):
        session = self.session()
        if session is None:
            return redirect("pos:registers")
        sale = cart_new(session=session, user=request.user)
        return redirect("pos:till-sale", sale_pk=sale.pk)


class ScanView(TillMixin, View):
    """The scan box: codes in the order scanned; the cart comes back with each code's answer."""

    def post(self, request, sale_pk):
        sale = self.sale(sale_pk)
        codes = request.POST.getlist("code")[:MAX_CODES]
        try:
            results = cart_scan(sale=sale, codes=codes, user=request.user)
        except InventoryError as error:
            return self.cart_response(sale, error=problem_text(error), status=422)
        return self.cart_response(sale, self.remembered(sale, results))

    def remembered(self, sale: Sale, results: list) -> list:
        """This cart's latest answers, newest first: a refused scan stays in sight while the
        scanner goes on (the answer to the next batch does not wipe it)."""
        key = f"pos-scans-{sale.pk}"
        for other in [k for k in self.request.session.keys() if k.startswith("pos-scans-") and k != key]:  # noqa: SIM118 (a session is not iterable)
            del self.request.session[other]  # only the cart at hand keeps its answers
        fresh = [{"code": r.code[:80], "ok": r.ok, "message": r.message[:300], "line_id": r.line_id} for r in results]
        kept = (fresh[::-1] + self.request.session.get(key, []))[:RECENT]
        self.request.session[key] = [{**r, "opens_numbers": False} for r in kept]
        opened = [r for r in results if r.opens_numbers]
        return [{**r, "opens_numbers": False} for r in kept] + [
            {"code": "", "ok": True, "message": "", "line_id": r.line_id, "opens_numbers": True, "hidden": True} for r in opened[-1:]
        ]


class LineNumbersView(TillMixin, View):
    """The numbers pop-up of one line: type or scan a number, Enter, the next row opens."""

    def context(self, sale, line, results=(), error=""):
        view = cart_view(sale)
        entry = next((cl for cl in view.lines if cl.line.pk == line.pk), None)
        return {"sale": sale, "entry": entry, "results": results, "error": error, "max_codes": MAX_CODES}

    def get(self, request, sale_pk, line_pk):
        sale = self.sale(sale_pk)
        # ?part=list: the numbers and the count only, drawn again while the pop-up is open.
        template = "pos/numbers.html#numbers" if request.GET.get("part") == "list" else "pos/numbers.html"
        return render(request, template, self.context(sale, self.line(sale, line_pk)))

    def post(self, request, sale_pk, line_pk):
        sale = self.sale(sale_pk)
        line = self.line(sale, line_pk)
        try:
            if request.POST.get("action") == "remove":
                cart_numbers_remove(sale=sale, line=line, allocation_ids=row_ids(request.POST.getlist("allocation")))
                results = []
            else:
                results = cart_line_numbers(sale=sale, line=line, codes=request.POST.getlist("code")[:MAX_CODES], user=request.user)
        except InventoryError as error:
            return render(request, "pos/numbers.html#numbers", self.context(sale, line, error=problem_text(error)), status=422)
        return render(request, "pos/numbers.html#numbers", self.context(sale, line, results))


class LineQuantityView(TillMixin, View):
    """The numpad's quantity for one line (0 removes it)."""

    def post(self, request, sale_pk, line_pk):
        sale = self.sale(sale_pk)
        line = self.line(sale, line_pk)
        try:
            cart_line_quantity(sale=sale, line=line, quantity=clean_text(request.POST.get("quantity"), 24))
        except InventoryError as error:
            return self.cart_response(sale, error=problem_text(error), status=422)
        return self.cart_response(sale)


class LinePriceView(TillMixin, View):
    permission_required = ("pos.use_register", "pos.change_price")

    def post(self, request, sale_pk, line_pk):
        sale = self.sale(sale_pk)
        line = self.line(sale, line_pk)
        try:
            cart_line_price(
                sale=sale,
                line=line,
                unit_price=clean_text(request.POST.get("unit_price"), 20),
                discount_percent=clean_text(request.POST.get("discount_percent"), 10),
            )
        except InventoryError as error:
            return self.cart_response(sale, error=problem_text(error), status=422)
        return self.cart_response(sale)


class CustomerView(TillMixin, View):
    def post(self, request, sale_pk):
        sale = self.sale(sale_pk)
        customer = Partner.objects.filter(company=self.company, pk__in=row_ids([request.POST.get("customer", "")])).first()
        try:
            cart_customer(sale=sale, customer=customer)
        except InventoryError as error:
            messages.error(request, problem_text(error))
        return redirect("pos:till-sale", sale_pk=sale.pk)


class CancelView(TillMixin, View):
    def post(self, request, sale_pk):
        sale = self.sale(sale_pk)
        if sale.status == SaleStatus.CART:
            try:
                cart_cancel(sale=sale)
            except InventoryError as error:
                messages.error(request, problem_text(error))
                return redirect("pos:till-sale", sale_pk=sale.pk)
            messages.info(request, f"{sale.number} cancelled: what it held is free again.")
        return redirect(reverse("pos:till"))
