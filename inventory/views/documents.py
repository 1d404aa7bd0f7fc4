"""Stock documents: one set of pages for every kind (list, view, post, reverse, print; drafts
are made and edited in ``drafts``). Views call the document services; the rules live there."""

from itertools import groupby

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.views.generic import TemplateView
from django_tables2 import RequestConfig

from ..exceptions import InventoryError
from ..filters.documents import GROUPS, DocumentFilter
from ..models import Document, DocumentKind, DocumentStatus, StockMove
from ..models.documents import SYSTEM_KINDS
from ..selectors import document_line_numbers, document_lines, document_unnumbered
from ..services import (
    SubmissionRepeated,
    document_cancel_draft,
    document_post,
    document_reverse,
    submission_claim,
    submission_done,
    submission_first,
    submission_key_new,
    submission_key_of,
)
from ..tables.documents import DocumentTable, MoveTable, status_badge
from ..web.tables import PAGINATION
from ..web.views import CompanyListView, CompanyMixin, GroupedListMixin, subtotals_by

USER_KINDS = [k for k in DocumentKind.values if k not in SYSTEM_KINDS]


def documents_of(company):
    return Document.objects.filter(company=company).select_related("partner", "from_location", "to_location")


class DocumentListView(GroupedListMixin, CompanyListView):
    permission_required = "inventory.view_document"
    filterset_class = DocumentFilter
    table_class = DocumentTable
    template_name = "inventory/document_list.html"
    group_choices = GROUPS

    def get_queryset(self):
        return documents_of(self.company).order_by("-date", "-id")

    def get_table_data(self):
        rows = super().get_table_data()
        if self.group:
            field = "partner__name" if self.group == "partner" else self.group
            rows = rows.order_by(F(field).asc(nulls_last=True), "-date", "-id")
        return rows

    def group_rows(self, page: list) -> list[tuple]:
        key = "partner__name" if self.group == "partner" else self.group
        value = (lambda d: d.partner.name if d.partner_id else None) if self.group == "partner" else (lambda d: getattr(d, key))
        # Subtotals of the groups this page shows, over the whole filtered list.
        shown = {value(d) for d in page}
        in_groups = Q(**{f"{key}__in": [k for k in shown if k is not None]})
        if None in shown:
            in_groups |= Q(**{f"{key}__isnull": True})
        subtotals = subtotals_by(self.filterset.qs.filter(in_groups), key, documents=Count("id"), quantity=Sum("total_quantity"))
        labels = dict(DocumentKind.choices) | dict(DocumentStatus.choices)
        return [(labels.get(k, k) or "(no partner)", subtotals.get(k, {}), list(docs)) for k, docs in groupby(page, key=value)]


def warn_unnumbered(request, document) -> None:
    """Tracked stock that came in without numbers is said, with where to number it."""
    rows = document_unnumbered(document=document)
    if not rows:
        return
    lines = "; ".join(f"line {position}: {quantity.normalize():f} {sku}" for position, sku, quantity in rows)
    url = reverse("inventory:unassigned-list")
    messages.warning(
        request,
        format_html(
            'Came in without lot/serial numbers — {}. Number them under <a href="{}">Assign numbers</a> '
            "(stock without lot/serial numbers) before they are needed.",
            lines,
            url,
        ),
    )


def repeated(request, submission, done: str | None = None):
    """The answer to a form sent again: where the first sending went, saying so. ``done``: what
    the form did to the document it made ("saved"); else the document's status now is said."""
    if submission is None or not submission.result:
        # The key was claimed by another user's page (or never finished): nothing to show them.
        messages.error(request, "This form was already sent; here it is again, to fill in anew.")
        return redirect(request.path)
    document = submission.document
    if document is not None and done:
        label = document.get_kind_display().lower()
        messages.info(request, f"{document.number} was already {done} — this is the {label} it made.")
    elif document is not None:
        messages.info(request, f"{document.number} is already {document.get_status_display().lower()} — this page was sent before.")
    else:
        messages.info(request, "Already done — this page was sent before.")
    return redirect(submission.result)


class DocumentDetailView(CompanyMixin, TemplateView):
    permission_required = "inventory.view_document"
    template_name = "inventory/document_detail.html"

    def get_context_data(self, **kwargs):
        document = self.company_object(
            documents_of(self.company).select_related("created_by", "posted_by", "reversed_by"), self.kwargs["document_pk"]
        )
        lines = document_lines(document)
        moves = MoveTable(
            StockMove.objects.filter(document=document)
            .select_related("item", "from_location", "to_location", "from_lot", "to_lot", "created_by")
            .order_by("id"),
            prefix="moves-",
        )
        RequestConfig(self.request, paginate=PAGINATION).configure(moves)
        return super().get_context_data(
            document=document,
            lines=lines,
            moves=moves,
            status_badge=status_badge(document),
            incoming=document.from_location.is_virtual,
            **kwargs,
        )


class DocumentActionView(CompanyMixin, TemplateView):
    """A confirmation page (GET) and the action (POST): nothing changes without a second click."""

    template_name = "inventory/document_confirm.html"

    def document(self):
        return self.company_object(documents_of(self.company), self.kwargs["document_pk"])

    def get_context_data(self, **kwargs):
        document = kwargs.pop("document", None) or self.document()
        kwargs.setdefault("submission_key", submission_key_new())
        return super().get_context_data(
            document=document,
            action=self.action_label(document),
            warning=self.warning(document),
            intent=self.intent_of(document),
            **kwargs,
        )

    def intent_of(self, document) -> str:
        """What the page asks the user to confirm, sent back with the form."""
        return ""

    def post(self, request, document_pk):
        key = submission_key_of(request.POST)
        if first := submission_first(company=self.company, user=request.user, key=key):
            return repeated(request, first)
        document = self.document()
        if document.owned_refusal:
            context = self.get_context_data(document=document, problems=[document.owned_refusal], submission_key=key)
            return self.render_to_response(context, status=422)
        try:
            # The key and the action commit together: a repeat waits, then is answered with this.
            with transaction.atomic():
                submission = submission_claim(company=self.company, user=request.user, key=key)
                self.act(document)
                result = reverse("inventory:document-detail", kwargs={"document_pk": document.pk})
                submission_done(submission=submission, document=document, result=result)
        except SubmissionRepeated:
            return repeated(request, submission_first(company=self.company, user=request.user, key=key))
        except InventoryError as error:
            document.refresh_from_db()  # the page shows what it is now, and asks what is possible now
            context = self.get_context_data(document=document, problems=[str(p) for p in error.problems], submission_key=key)
            return self.render_to_response(context, status=422)
        messages.success(request, self.done_message(document))
        return redirect(result)


class DocumentPostView(DocumentActionView):
    permission_required = "inventory.post_document"

    def action_label(self, document):
        return "Post"

    def warning(self, document):
        return "Posting moves the stock now. Lines without numbers get them by the issue method (or generated, on receipts)."

    def act(self, document):
        document_post(document=document, user=self.request.user, auto_allocate=True)
        warn_unnumbered(self.request, document)

    def done_message(self, document):
        return f"{document.number} posted."


class DocumentCancelView(DocumentActionView):
    """Cancel draft or Reverse, as the page showed it: the form says which the user confirmed, so a
    page shown for a draft never reverses it once posted (the services check under the lock)."""

    permission_required = "inventory.post_document"
    INTENTS = {"cancel": document_cancel_draft, "reverse": document_reverse}

    def intent_of(self, document) -> str:
        return "cancel" if document.is_draft else "reverse"

    def action_label(self, document):
        return "Cancel draft" if document.is_draft else "Reverse"

    def warning(self, document):
        if document.is_draft:
            return "The draft is kept, marked cancelled; what it had allocated is free again."
        return "Reversing posts the exact opposite moves: every lot and serial goes back where it was."

    def act(self, document):
        intent = self.request.POST.get("intent")
        if intent not in self.INTENTS:
            # A page from before the form said (or curl): the status as read now decides, and the
            # service still refuses if it changed before the lock.
            intent = self.intent_of(document)
        self.INTENTS[intent](document=document, user=self.request.user)

    def done_message(self, document):
        document.refresh_from_db(fields=["status"])
        return f"{document.number} {document.get_status_display().lower()}."


class DocumentPrintView(CompanyMixin, TemplateView):
    """Every line with every number, for paper."""

    permission_required = "inventory.view_document"
    template_name = "inventory/document_print.html"

    def get_context_data(self, **kwargs):
        document = self.company_object(documents_of(self.company), self.kwargs["document_pk"])
        lines = list(document.lines.select_related("item").order_by("position"))
        numbers = document_line_numbers(document)
        for line in lines:
            line.numbers = numbers[line.pk]
        return super().get_context_data(document=document, lines=lines, **kwargs)
