"""The suggestions of a type-ahead choice (``inventory/web/choices.py``): ``<option>``s for
its ``<datalist>``, from the active company's rows of one source only."""

import re

from django.http import Http404, HttpResponse
from django.utils.html import format_html, format_html_join
from django.views import View

from ..web.choices import CHOICE_SOURCES, INPUT_MAX_LENGTH, SUGGESTIONS
from ..web.views import CompanyMixin
from ..web.widgets import choices_hint_html

FIELD_NAME = re.compile(r"[\w-]{1,100}")


class ChoicesView(CompanyMixin, View):
    """``GET /choices/<source>/?field=<name>&<name>=<typed>`` (or ``?q=<typed>``): the rows whose
    code or name holds what was typed, and the line under the input (replaced out of band) saying
    when none does or there are more than shown. Whoever may open a form offering the source may ask."""

    def has_permission(self) -> bool:
        self.source = CHOICE_SOURCES.get(self.kwargs["source"])
        if self.source is None:
            raise Http404("No such choice")
        return any(self.request.user.has_perm(permission) for permission in self.source.permissions)

    def get(self, request, source):
        field = request.GET.get("field", "")
        field = field if FIELD_NAME.fullmatch(field) else "q"
        typed = request.GET.get(field, request.GET.get("q", "")).replace("\x00", "").strip()
        noun = self.source.noun
        if len(typed) > INPUT_MAX_LENGTH:
            message = f"Type at most {INPUT_MAX_LENGTH} characters: a {noun}’s {self.source.code_label} or name."
            return HttpResponse(choices_hint_html(field, message, out_of_band=True), status=400)
        rows, more = self.source.suggestions(self.source.rows(self.company), typed)
        options = format_html_join("", '<option value="{}"></option>', ((self.source.label(row),) for row in rows))
        # Said only when the list alone would not tell (the page does not move under the pointer
        # each time suggestions arrive).
        if typed and not rows:
            hint = format_html("No {} matches “{}”.", noun, typed)
        elif more:
            hint = f"The first {SUGGESTIONS} {noun}s that match: type more to narrow them."
        else:
            hint = ""
        return HttpResponse(options + choices_hint_html(field, hint, out_of_band=True))
