"""The rows of a django-tables2 table written in one pass.

django-tables2's template renders every cell through the template engine: resolving the
column's attributes, the cell and its localisation, once per cell. A page of 50 rows of eight
columns is 400 of those, most of a list page's time. ``{% table_body table %}`` writes the same
markup in Python: the same cells (what ``BoundRow.get_cell`` does: accessors, choices' display
text, ``render_<column>`` methods, links, defaults, with what is the same for every row worked out
once per column), the same row and cell attributes, each value localised and escaped as
``{{ cell }}`` would. tests/inventory/test_paging.py compares the two renderings.
"""

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.base import render_value_in_context
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django_tables2 import utils
from django_tables2.columns import ManyToManyColumn
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.utils import Accessor

register = template.Library()


def _depends_on_row(bound_column) -> bool:
    attrs = {**bound_column._table.attrs, **bound_column.column.attrs}
    cells = attrs.get("td", attrs.get("cell", {}))
    return any(callable(value) for value in cells.values())


CELL_ARGUMENTS = ("value", "record", "column", "bound_column", "bound_row", "table")


class _Cell:
    """What ``BoundRow.get_cell`` does for one column (django_tables2/rows.py
    ``_get_and_render_with`` and ``_call_render``), with what does not change from row to row
    worked out once: the accessor's parts, the render method's arguments, whether a field's
    choices give the shown text."""

    def __init__(self, bound_column):
        self.bound_column = bound_column
        self.column = bound_column.column
        self.accessor = Accessor(bound_column.accessor)
        path, _, self.remainder = self.accessor.rpartition(self.accessor.SEPARATOR)
        self.path = Accessor(path)
        self.default = bound_column.default
        self.empty = self.column.empty_values
        self.render = bound_column.render
        self.link = bound_column.link
        args, catch_all = utils.signature(self.render)
        self.arguments = None if catch_all else tuple(args)
        self.never = bool(self.arguments) and any(arg not in CELL_ARGUMENTS for arg in self.arguments)
        self.many = isinstance(self.column, ManyToManyColumn)
        self.links_on_failure = isinstance(self.column, BaseLinkColumn) and self.column.text is not None
        self.displays: dict[tuple, bool] = {}

    def __call__(self, row):
        record = row.record
        value, remainder = None, self.remainder
        penultimate = self.path.resolve(record, quiet=True)
        if isinstance(penultimate, models.Model):
            key = (type(record), type(penultimate))
            shows_choice = self.displays.get(key)
            if shows_choice is None:
                try:
                    field = self.accessor.get_field(record)
                except FieldDoesNotExist:
                    field = None
                shows_choice = bool(getattr(field, "choices", ())) and getattr(penultimate, f"get_{remainder}_display", None) is not None
                self.displays[key] = shows_choice
            if shows_choice:
                value, remainder = getattr(penultimate, f"get_{remainder}_display")(), None
        if remainder:
            try:
                value = self.accessor.resolve(record)
            except Exception:
                if self.links_on_failure:
                    return self.rendered(row, None)
        if value in self.empty or (self.many and not value.exists()):
            return self.default
        return self.rendered(row, value)

    def rendered(self, row, value):
        given = {
            "value": value,
            "record": row.record,
            "column": self.column,
            "bound_column": self.bound_column,
            "bound_row": row,
            "table": row.table,
        }
        if self.never:
            content = None
        elif self.arguments is None:
            content = self.render(**given)
        else:
            content = self.render(**{name: given[name] for name in self.arguments})
        return self.link(content, **given) if self.link else content


@register.simple_tag(takes_context=True)
def table_body(context, table):
    columns = list(table.columns)
    fixed = {column.name: column.attrs["td"].as_html() for column in columns if not _depends_on_row(column)}
    cells = [(column, _Cell(column)) for column in columns]
    out = []
    for row in table.paginated_rows:
        out.append(format_html("<tr {}>", row.attrs.as_html()))
        for column, cell_of in cells:
            cell = cell_of(row)
            attrs = fixed.get(column.name)
            if attrs is None:
                # What BoundRow.items() gives a callable attribute: this row's record and value.
                column.current_value, column.current_record = cell, row.record
                attrs = column.attrs["td"].as_html()
            out.append(format_html("<td {}>{}</td>", attrs, render_value_in_context(cell, context)))
        out.append("</tr>")
    if not out and table.empty_text:
        out.append(format_html('<tr><td colspan="{}">{}</td></tr>', len(columns), table.empty_text))
    return mark_safe("".join(out))


def remember_signatures() -> None:
    """django-tables2 asks ``inspect.signature`` of a column's render method before every cell it
    renders (``utils.call_with_appropriate``): about a fifth of a list page's time. A function's
    signature does not change, so it is read once per function (bound methods by their function).
    Installed once, when the app is ready."""
    from django_tables2 import utils

    if getattr(utils.signature, "remembered", False):
        return
    read = utils.signature
    known: dict = {}

    def signature(fn):
        key = (getattr(fn, "__func__", fn), hasattr(fn, "__self__"))
        try:
            return known[key]
        except KeyError:
            known[key] = found = read(fn)
            return found
        except TypeError:  # an unhashable callable: read it every time, as before
            return read(fn)

    signature.remembered = True
    utils.signature = signature
