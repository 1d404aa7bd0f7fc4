"""Lookup, genealogy and recall: "where is this unit, what is it made of, who got it?"."""

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views import View
from django.views.generic import TemplateView

from inventory.csv_safe import csv_cell
from inventory.exceptions import InventoryError
from inventory.models import Lot
from inventory.services import lots_hold
from inventory.web.views import clean_text, row_ids

from ..graph import genealogy_drawing
from ..selectors.trace import (
    lot_genealogy,
    lot_lookup,
    lots_found,
    recall_affected,
    recall_customers,
    recall_deliveries,
    recall_holdable_ids,
    recall_in_stock,
    recall_numbers_to_follow,
    recall_totals,
    recall_units,
)
from .base import LotMixin, TrackingMixin, lots_of

PAGE_SIZE = 50
MAX_SEEDS = 200


def lot_url(lot) -> str:
    return reverse("traceability:lot-detail", kwargs={"lot_pk": lot.pk})


class LookupView(TrackingMixin, TemplateView):
    """The top bar's search: an exact number opens its page, the same number on several items
    offers the choice, a partial number lists what contains it."""

    permission_required = "inventory.view_lot"
    template_name = "traceability/lookup.html"

    def get(self, request, *args, **kwargs):
        from inventory.gs1 import MAX_SCAN_LENGTH, gtin_normalize, scan_parse

        # A GS1 label's scan names its serial (else its lot) of the item with its GTIN; a plain
        # number is looked up as typed. One over the bound, so an over-long scan stays over it.
        scan = scan_parse(clean_text(request.GET.get("q"), limit=MAX_SCAN_LENGTH + 1))
        q = clean_text(scan.number)
        if scan.is_gs1 and scan.error:
            messages.error(request, f"This GS1 code cannot be read: {scan.error}")
            return self.render_to_response(self.get_context_data(q=q, lookup_q=q, exact=[], partial=[]))
        exact, partial = lot_lookup(company=self.company, q=q)
        if scan.is_gs1:
            partial = []  # a label names one unit: no "contains" guesses
            if scan.gtin:
                exact = [lot for lot in exact if gtin_normalize(lot.item.gtin) == scan.gtin]
            if not (scan.lot or scan.serial):
                messages.info(request, f"This code names the product (GTIN {scan.gtin}) but no lot or serial number.")
        if len(exact) == 1:
            return redirect(lot_url(exact[0]))
        return self.render_to_response(self.get_context_data(q=q, lookup_q=q, exact=exact, partial=partial))


MAX_LOOKUP_SCANS = 200  # one request of the scan queue


class LookupScanView(TrackingMixin, View):
    """Check several: each scanned code's lot/serial with its stock and place, one row per scan,
    in the order scanned (the lookup page's scan box queues them; nothing typed is lost)."""

    permission_required = "inventory.view_lot"

    def post(self, request):
        from inventory.gs1 import MAX_SCAN_LENGTH, gtin_normalize, scan_parse

        codes = [clean_text(c, limit=MAX_SCAN_LENGTH + 1) for c in request.POST.getlist("q")][:MAX_LOOKUP_SCANS]
        scans = [scan_parse(c) for c in codes if c]
        numbers = {clean_text(s.number) for s in scans if not s.error and s.number}
        found: dict[str, list] = {}
        for lot in lots_found(company=self.company, numbers=numbers):
            found.setdefault(lot.number, []).append(lot)
        rows = []
        for scan in scans:
            number = clean_text(scan.number)
            lots = found.get(number, [])
            if scan.is_gs1 and scan.gtin:
                lots = [lot for lot in lots if gtin_normalize(lot.item.gtin) == scan.gtin]
            rows.append({"code": number or scan.raw[:80], "lots": lots, "error": scan.error if scan.is_gs1 else ""})
        return render(request, "traceability/lookup.html#scan-answer", {"rows": rows[::-1]})


class LotGenealogyView(LotMixin, TemplateView):
    permission_required = "inventory.view_lot"
    template_name = "traceability/lot_genealogy.html"
    tab = "genealogy"

    def get_context_data(self, **kwargs):
        genealogy = lot_genealogy(lot=self.lot)
        return super().get_context_data(genealogy=genealogy, drawing=genealogy_drawing(genealogy, lot_url), **kwargs)


# Recall ---------------------------------------------------------------------------------------


def _seed_ids(request) -> list[int]:
    return sorted(set(row_ids(request.GET.getlist("lot"))))[:MAX_SEEDS]


class _Counted:
    """Rows whose number is already known: the paginator takes it instead of counting again."""

    def __init__(self, rows, count: int):
        self.rows, self.total = rows, count

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, key):
        return self.rows[key]


def _page(request, rows, param: str, count: int | None = None):
    return Paginator(rows if count is None else _Counted(rows, count), PAGE_SIZE).get_page(request.GET.get(param))


class RecallView(TrackingMixin, TemplateView):
    """Choose the lots/serials to recall (typed, scanned, or from a lot's page), then see every
    affected unit through all manufacturing levels, who received them and what is still here."""

    permission_required = ("inventory.view_lot", "inventory.view_document")  # who received what
    template_name = "traceability/recall.html"

    def get(self, request, *args, **kwargs):
        numbers_text = clean_text(request.GET.get("numbers"), limit=20_000)
        if numbers_text.strip():
            return self.from_numbers(numbers_text)
        seeds = list(lots_of(self.company).filter(pk__in=_seed_ids(request)).order_by("item__sku", "number"))
        context = {"seeds": seeds, "numbers_text": ""}
        if seeds:
            ids = [lot.pk for lot in seeds]
            # The walk, the customer moves and the customer rows are read once and shared by the
            # sections; their counts come from what is already read.
            affected = recall_affected(seed_ids=ids)
            customers = list(recall_customers(affected=affected))  # one row per customer
            totals = recall_totals(affected=affected, customers=customers)
            context.update(
                query=urlencode([("lot", pk) for pk in ids]),
                totals=totals,
                customers=_page(request, customers, "cpage"),
                deliveries=_page(request, recall_deliveries(affected=affected), "dpage", sum(row["moves"] for row in customers)),
                units=_page(request, recall_units(affected=affected), "upage", totals["units"]),
                in_stock=_page(request, recall_in_stock(affected=affected), "spage", totals["in_stock_rows"]),
                to_follow=_page(request, recall_numbers_to_follow(affected=affected), "fpage") if totals["of_items_to_follow"] else None,
            )
        return self.render_to_response(self.get_context_data(**context))

    def from_numbers(self, text: str):
        """Each typed or scanned number to its lots: a plain number may name lots of several
        items, a GS1 scan only those of the item with its GTIN. Unknown numbers are listed with
        the form, and the known ones are not lost."""
        from inventory.gs1 import GS, gtin_normalize, scan_parse

        scans = []
        # Lines by hand, not splitlines(): that also splits at the GS inside a GS1 scan. A GS1
        # line is one scan (its lot may hold a comma); a plain one may list numbers with commas.
        for line in text.replace("\r", "\n").split("\n"):
            scan = scan_parse(line)
            scans.extend([scan] if scan.is_gs1 else (scan_parse(n) for n in line.split(",")))
        scans = [scan for scan in scans if scan.number.strip()][:MAX_SEEDS]
        numbers = {scan.number.strip() for scan in scans if not scan.error}
        lots_by_number: dict[str, list[tuple[int, str | None]]] = {}
        for pk, number, gtin in Lot.objects.filter(company=self.company, number__in=numbers).values_list("pk", "number", "item__gtin"):
            lots_by_number.setdefault(number, []).append((pk, gtin_normalize(gtin)))
        ids, unknown = [], []
        for scan in scans:
            number = scan.number.strip()
            pks = [] if scan.error else [pk for pk, gtin in lots_by_number.get(number, []) if not scan.gtin or gtin == scan.gtin]
            ids.extend(pks)
            if scan.error:
                unknown.append(f"{scan.text.replace(GS, ' ')} ({scan.error})")
            elif not pks:
                unknown.append(f"{number} (GTIN {scan.gtin})" if scan.gtin else number)
        ids = sorted(set(ids))
        if unknown:
            return self.render_to_response(
                self.get_context_data(seeds=list(lots_of(self.company).filter(pk__in=ids)), numbers_text=text, unknown=unknown),
                status=200,
            )
        return redirect(f"{reverse('traceability:recall')}?{urlencode([('lot', pk) for pk in ids])}")


class RecallHoldView(TrackingMixin, View):
    """Put every affected lot still in stock on hold, with the reason; recorded per lot."""

    permission_required = "inventory.change_lot"

    def post(self, request):
        ids = sorted(set(row_ids(request.POST.getlist("lot"))))[:MAX_SEEDS]
        seeds = list(Lot.objects.filter(company=self.company, pk__in=ids).values_list("pk", flat=True))
        back = f"{reverse('traceability:recall')}?{urlencode([('lot', pk) for pk in seeds])}"
        reason = clean_text(request.POST.get("reason"), limit=200)
        if not seeds:
            messages.error(request, "Choose the lots or serial numbers to recall first.")
            return redirect(back)
        if not reason:
            messages.error(request, "Give the reason for the hold (it is kept with each lot).")
            return redirect(back)
        try:
            held = lots_hold(lot_ids=recall_holdable_ids(seed_ids=seeds), reason=reason, user=request.user)
        except InventoryError as error:
            messages.error(request, "; ".join(str(p) for p in error.problems))
            return redirect(back)
        if held:
            messages.success(
                request,
                f"{len(held)} lot{'s' if len(held) != 1 else ''}/serial{'s' if len(held) != 1 else ''} put on hold: nothing of them can ship until released.",
            )
        else:
            messages.info(request, "Nothing to hold: every affected lot in stock is already on hold.")
        return redirect(back)


class _Echo:
    def write(self, value):
        return value


EXPORTS = {
    "customers": (
        ["Customer", "Delivered", "Returned", "Net", "First", "Last", "Documents"],
        lambda ids: (
            [r["document__partner__name"] or "", r["delivered"], r["returned"], r["net"], r["first"], r["last"], r["documents"]]
            for r in recall_customers(seed_ids=ids).iterator()
        ),
    ),
    "deliveries": (
        ["Date", "Document", "Customer", "Item", "Lot/serial number", "Quantity (returns negative)"],
        lambda ids: (
            [
                r["document__date"] or r["created_at"],
                r["document__number"] or "",
                r["document__partner__name"] or "",
                r["item__sku"],
                r["lot_number"],
                r["signed"],
            ]
            for r in recall_deliveries(seed_ids=ids).iterator()
        ),
    ),
    "to_follow": (
        ["Date", "Document", "Customer", "Item", "Sold from", "Quantity without numbers"],
        lambda ids: (
            [p.created_at, p.document.number, p.partner.name if p.partner else "", p.item.sku, p.location.code, p.missing]
            for p in recall_numbers_to_follow(seed_ids=ids).iterator()
        ),
    ),
    "units": (
        ["Lot/serial number", "Item", "Kind", "Status", "On hand"],
        lambda ids: (
            [u.number, u.item.sku, u.get_kind_display(), u.get_status_display(), u.on_hand] for u in recall_units(seed_ids=ids).iterator()
        ),
    ),
    "stock": (
        ["Location", "Item", "Lot/serial number", "Quantity"],
        lambda ids: ([b.location.code, b.item.sku, b.lot.number, b.quantity] for b in recall_in_stock(seed_ids=ids).iterator()),
    ),
}


class RecallExportView(TrackingMixin, View):
    """One section of the recall report as CSV, streamed: a recall of 10,000 units is one file."""

    permission_required = ("inventory.view_lot", "inventory.view_document")  # who received what

    def get(self, request):
        section = request.GET.get("section", "customers")
        if section not in EXPORTS:
            section = "customers"
        ids = list(Lot.objects.filter(company=self.company, pk__in=_seed_ids(request)).values_list("pk", flat=True))
        header, rows = EXPORTS[section]
        writer = csv.writer(_Echo())

        def stream():
            yield writer.writerow(header)
            if ids:
                for row in rows(ids):
                    yield writer.writerow([csv_cell(v) for v in row])

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="recall-{section}.csv"'
        return response


urlpatterns = [
    path("lookup/", LookupView.as_view(), name="lookup"),
    path("lookup/scan/", LookupScanView.as_view(), name="lookup-scan"),
    path("lots/<int:lot_pk>/genealogy/", LotGenealogyView.as_view(), name="lot-genealogy"),
    path("recall/", RecallView.as_view(), name="recall"),
    path("recall/hold/", RecallHoldView.as_view(), name="recall-hold"),
    path("recall/export.csv", RecallExportView.as_view(), name="recall-export"),
]
