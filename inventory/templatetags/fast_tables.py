"""The rows of a django-tables2 table written in one pass.

django-tables2's template renders every cell through the template engine: resolving the
column's attributes, the cell and its localisation, once per cell. A page of 50 rows of eight
columns is 400 of those, most of a list page's time. ``{% table_body table %}`` writes the same
markup in Python: the same cells (``BoundRow.get_cell``: accessors, ``render_<column>``
methods, links, defaults), the same row and cell attributes (computed once per column when they
do not depend on the row), each value localised and escaped as ``{{ cell }}`` would.
"""

from django import template
from django.template.base import render_value_in_context
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


def _depends_on_row(bound_column) -> bool:
    attrs = {**bound_column._table.attrs, **bound_column.column.attrs}
    cells = attrs.get("td", attrs.get("cell", {}))
    return any(callable(value) for value in cells.values())


@register.simple_tag(takes_context=True)
def table_body(context, table):
    columns = list(table.columns)
    fixed = {column.name: column.attrs["td"].as_html() for column in columns if not _depends_on_row(column)}
    out = []
    for row in table.paginated_rows:
        out.append(format_html("<tr {}>", row.attrs.as_html()))
        for column in columns:
            cell = row.get_cell(column.name)
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
