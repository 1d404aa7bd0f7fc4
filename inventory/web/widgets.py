"""How the pages' form widgets are rendered."""

from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
# What a type-ahead takes: a label is at most a 60-character SKU, " — " and a 200-character name.
CHOICE_INPUT_MAX_LENGTH = 300


def select_html(widget: dict) -> str:
    """The HTML Django's select template makes, written in one pass instead of one template per
    option (the same markup: the options' values, labels and attributes)."""
    groups = []
    for group_name, options, _ in widget["optgroups"]:
        rows = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((str(o["value"]) if o["value"] is not None else "", flatatt(o["attrs"]), o["label"]) for o in options),
        )
        groups.append(format_html('<optgroup label="{}">{}</optgroup>', group_name, rows) if group_name else rows)
    return format_html('<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), mark_safe("".join(groups)))


class FastSelectRenderer(DjangoTemplates):
    """Django's template renderer, except for selects.

    Django renders every option of a select through a template of its own: a company's 2,000
    customers cost about 0.15 s on every documents list and document form, each time. Here a
    select is written in one pass (a few milliseconds); every other widget is as Django renders it.
    """

    def render(self, template_name, context, request=None):
        if template_name == SELECT_TEMPLATE:
            return select_html(context["widget"])
        return super().render(template_name, context, request)


def choices_hint_html(name: str, text: str = "", *, out_of_band: bool = False) -> str:
    """The line under a type-ahead that says how its suggestions went (read out by screen
    readers); the suggestions' answer replaces it out of band (htmx)."""
    swap = mark_safe(' hx-swap-oob="true"') if out_of_band else ""
    return format_html('<div id="{}-choices-hint" class="form-text"{} aria-live="polite">{}</div>', name, swap, text)


class SearchSelect(forms.Select):
    """The widget of ``inventory.web.choices.SearchChoiceField``: an ordinary select while the
    field's rows are few; past ``settings.CHOICES_SELECT_LIMIT``, a text input showing the chosen
    row's label, with an HTML ``<datalist>`` that htmx fills from the field's source as the user
    types (no script of its own: picking a suggestion, or typing a code and Enter, is the
    browser's own form behaviour, and the server reads what was typed)."""

    def use_required_attribute(self, initial) -> bool:
        # Django's select looks at its first option for that, which could read the rows.
        return forms.Widget.use_required_attribute(self, initial) and self.choices.field.empty_label is not None

    def render(self, name, value, attrs=None, renderer=None):
        field = self.choices.field
        offered = field.choice_set
        row = offered.shown(value)
        attrs = self.build_attrs(self.attrs, attrs)
        classes = attrs.get("class", "").split()
        if attrs.get("aria-invalid") == "true" and "is-invalid" not in classes:
            classes.append("is-invalid")  # crispy-forms says so itself; a hand-placed widget does not
        if offered.few:
            attrs["class"] = " ".join(classes)
            return self._select(field, offered, name, value, row, attrs)
        attrs["class"] = " ".join(c.replace("form-select", "form-control") for c in classes) or "form-control"
        return self._type_ahead(field, offered, name, value, row, attrs)

    def _select(self, field, offered, name, value, row, attrs) -> str:
        chosen = offered.option_value(row) if row is not None else ("" if value in (None, "") else None)
        options = [("", field.empty_label)] if field.empty_label is not None else []
        options += [(offered.option_value(r), field.label_from_instance(r)) for r in offered.rows]
        rows = [{"value": v, "label": label, "attrs": {"selected": True} if v == chosen else {}} for v, label in options]
        return select_html({"name": name, "attrs": attrs, "optgroups": [(None, rows, 0)]})

    def _type_ahead(self, field, offered, name, value, row, attrs) -> str:
        source = offered.source
        shown = source.label(row) if row is not None else ("" if value in (None, "") else str(value).replace("\x00", ""))
        list_id = f"{attrs.get('id') or name}-choices"
        typing = f"type a {source.code_label} or name"
        # "Any partner — type a code or name" on a filter; Django's "---------" says nothing.
        empty = (field.empty_label or "").strip("- ")
        placeholder = f"{empty} — {typing}" if empty and not field.required else f"{typing[0].upper()}{typing[1:]}…"

        attrs = {
            **attrs,
            "list": list_id,
            "autocomplete": "off",
            "spellcheck": "false",
            "maxlength": CHOICE_INPUT_MAX_LENGTH,
            "placeholder": attrs.get("placeholder") or placeholder,
            "aria-describedby": " ".join(filter(None, [attrs.get("aria-describedby"), f"{name}-choices-hint"])),
            # Asks for suggestions a moment after typing stops; a newer request replaces one under
            # way. Its own target and no inherited select or include (the lot form's wrapper has them).
            "hx-get": source.url(name),
            "hx-trigger": "input changed delay:250ms",
            "hx-sync": "this:replace",
            "hx-target": "next datalist",
            "hx-swap": "innerHTML",
            "hx-select": "unset",
            "hx-include": "unset",
        }
        return format_html(
            '<input type="text" name="{}" value="{}"{}><datalist id="{}"></datalist>{}',
            name,
            shown,
            flatatt(attrs),
            list_id,
            choices_hint_html(name),
        )
