"""Draft documents: create and edit one (header and lines), a new line row. Views bind forms
and call ``document_draft_save``; the rules live there."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from ..exceptions import InventoryError
from ..forms.documents import LINES_PREFIX, DocumentForm, ItemChoices, LineFormSet, line_initial
from ..models import DocumentKind
from ..services import (
    LineChange,
    SubmissionRepeated,
    document_draft_save,
    document_post,
    submission_claim,
    submission_done,
    submission_first,
    submission_key_new,
    submission_key_of,
)
from ..web.views import CompanyMixin, kind_or_404
from .documents import USER_KINDS, documents_of, repeated, warn_unnumbered


class DraftFormMixin(CompanyMixin):
    """The create and edit pages of a draft: header form + line formset, saved in one transaction."""

    template_name = "inventory/document_form.html"

    def forms(self, kind, data=None, document=None):
        form_kwargs = {"items": ItemChoices(self.company, document), "kind": kind}
        if document is not None:
            header = DocumentForm(data, company=self.company, kind=kind, initial=DocumentForm.initial_for(document))
            initial = [line_initial(line) for line in document.lines.order_by("position")]
            return header, LineFormSet(data, prefix=LINES_PREFIX, initial=initial, form_kwargs=form_kwargs)
        header = DocumentForm(data, company=self.company, kind=kind, initial={"date": timezone.localdate(), "direction": "in"})
        lines = LineFormSet(data, prefix=LINES_PREFIX, form_kwargs=form_kwargs)
        if data is None:
            lines.extra = 1  # a new document opens with one empty line
        return header, lines

    def render_forms(self, kind, header, lines, document=None, status=200, key=None):
        # A refused form keeps its key: nothing claimed it, so sending it again is still its first time.
        return render(
            self.request,
            self.template_name,
            {
                "kind": kind,
                "kind_label": DocumentKind(kind).label,
                "form": header,
                "lines": lines,
                "document": document,
                "submission_key": key or submission_key_new(),
            },
            status=status,
        )

    def post(self, request, *args, **kwargs):
        key = submission_key_of(request.POST)
        # A repeat is answered before anything else: the draft it edited may be posted by now.
        if first := submission_first(company=self.company, user=request.user, key=key):
            return repeated(request, first, "saved")
        document = self.get_document()
        kind = document.kind if document else self.kwargs["kind"]
        header, lines = self.forms(kind, request.POST, document)
        if not (header.is_valid() and lines.is_valid()):
            return self.render_forms(kind, header, lines, document, key=key)
        try:
            # The key, the draft and its posting commit together: a repeat waits for all of it.
            with transaction.atomic():
                submission = submission_claim(company=self.company, user=request.user, key=key)
                saved = self.save(kind, header, lines, document)
                if saved is None:  # the reasons are on the forms; the key is not used up
                    transaction.set_rollback(True)
                else:
                    response = self.saved(saved)
                    submission_done(submission=submission, document=saved, result=response.url)
        except SubmissionRepeated:
            return repeated(request, submission_first(company=self.company, user=request.user, key=key), "saved")
        if saved is None:  # rendered after the rollback: a transaction marked for it takes no query
            return self.render_forms(kind, header, lines, document, key=key)
        return response

    def saved(self, saved):
        """Where a saved draft goes: its page, or posted (in a savepoint: a refusal keeps the draft)."""
        request = self.request
        if "post" not in request.POST:
            messages.success(request, f"{saved.number} saved as a draft.")
            return redirect("inventory:document-detail", document_pk=saved.pk)
        if not request.user.has_perm("inventory.post_document"):
            messages.warning(request, f"{saved.number} saved as a draft; your role does not post documents.")
            return redirect("inventory:document-detail", document_pk=saved.pk)
        try:
            document_post(document=saved, user=request.user, auto_allocate=True)
        except InventoryError as error:
            # Post/redirect/get: the draft is saved, so its edit page shows the refusals (and a
            # reload does not send the form again, which would make a second draft).
            messages.error(request, f"{saved.number} is saved as a draft but was not posted: fix the lines marked below.")
            request.session[problems_key(saved)] = [
                {"line": p.line, "number": p.number, "message": p.message, "text": str(p)} for p in error.problems
            ]
            return redirect("inventory:document-update", document_pk=saved.pk)
        messages.success(request, f"{saved.number} posted.")
        warn_unnumbered(request, saved)
        return redirect("inventory:document-detail", document_pk=saved.pk)

    def save(self, kind, header, lines, document):
        """Header and lines through ``document_draft_save``; each refusal beside the field or line
        it concerns. Returns the document, or None when refused (nothing of it is saved)."""
        data = header.cleaned_data
        fields = {"partner": data.get("partner"), "date": data["date"], "reference": data["reference"], "notes": data["notes"]}
        changes = []
        for form in lines.forms:
            if form.has_changed():
                remove = bool(form.cleaned_data.get("DELETE"))
                values = {} if remove else form.values()
                changes.append(LineChange(key=form, line_id=form.cleaned_data.get("id"), remove=remove, values=values))
        result = document_draft_save(
            company=self.company, kind=kind, document=document, header={**fields, **header.ends()}, changes=changes, user=self.request.user
        )
        for key, problems in result.problems.items():
            (header if key is None else key).add_error(None, problems)
        if result.dropped:  # told only once the change stands
            messages.warning(self.request, f"The location changed: {result.dropped} allocation(s) were removed; allocate again.")
        return result.document


def problems_key(document) -> str:
    return f"post-problems-{document.pk}"


def attach_problems(header, lines, problems: list[dict], document) -> None:
    """Each problem beside the line (by position) it names; the rest on the header."""
    line_ids = dict(document.lines.values_list("position", "pk"))
    forms_by_id = {form.initial.get("id"): form for form in lines.forms}
    for problem in problems:
        form = forms_by_id.get(line_ids.get(problem["line"]))
        number, message = problem["number"], problem["message"]
        text = message if not number or number in message else f"{number}: {message}"
        if form is not None:
            form.problems.append(text)
        else:
            header.problems.append(problem["text"])


class DocumentCreateView(DraftFormMixin, View):
    permission_required = "inventory.add_document"

    def get_document(self):
        kind_or_404(self.kwargs["kind"], USER_KINDS)
        return None

    def get(self, request, kind):
        kind_or_404(kind, USER_KINDS)
        header, lines = self.forms(kind)
        return self.render_forms(kind, header, lines)


class DocumentUpdateView(DraftFormMixin, View):
    permission_required = "inventory.change_document"

    def get_document(self):
        document = self.company_object(documents_of(self.company), self.kwargs["document_pk"])
        if not document.is_draft or document.owner:
            raise _NotDraft(document)
        return document

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except _NotDraft as not_draft:
            document = not_draft.document
            messages.error(
                request,
                document.owned_refusal or f"{document.number} is {document.get_status_display().lower()}; only drafts can be edited.",
            )
            return redirect("inventory:document-detail", document_pk=not_draft.document.pk)

    def get(self, request, document_pk):
        document = self.get_document()
        header, lines = self.forms(document.kind, None, document)
        attach_problems(header, lines, request.session.pop(problems_key(document), []), document)
        return self.render_forms(document.kind, header, lines, document)


class _NotDraft(Exception):
    def __init__(self, document):
        self.document = document


class LineRowView(CompanyMixin, View):
    """One more empty line row for the form (htmx), numbered after the rows already there."""

    permission_required = "inventory.add_document"

    def get(self, request, kind):
        kind_or_404(kind, USER_KINDS)
        try:
            index = max(0, min(int(request.GET.get(f"{LINES_PREFIX}-TOTAL_FORMS", 0)), 1000))
        except ValueError:
            index = 0
        formset = LineFormSet(prefix=LINES_PREFIX, form_kwargs={"items": ItemChoices(self.company), "kind": kind})
        form = formset.form(
            prefix=f"{LINES_PREFIX}-{index}", items=formset.items, kind=kind, empty_permitted=True, use_required_attribute=False
        )
        formset.add_fields(form, index)
        return render(request, "inventory/document_form.html#line-row", {"line": form, "kind": kind, "next_total": index + 1, "oob": True})
