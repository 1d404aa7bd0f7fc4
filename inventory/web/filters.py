"""What every list's filters share."""

import django_filters
from django import forms
from django_filters.widgets import RangeWidget

from ..models import Location, LocationKind
from .choices import SearchChoiceField


class DateFromTo(django_filters.DateFromToRangeFilter):
    """A date range as two ``<input type=date>``, ``<name>_min`` (from) and ``<name>_max``
    (to), each applied on its own and both inclusive; on a date-time field the to day counts
    whole. ``templates/_filter_form.html`` renders any two-part widget as its two inputs."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", RangeWidget(attrs={"type": "date"}))
        super().__init__(*args, **kwargs)


SEARCH_MAX_LENGTH = 100


class SearchFilter(django_filters.CharFilter):
    """A list's search box, bounded: a longer text is a form error on the list, never a query
    (SQLite refuses a LIKE pattern over 50,000 characters with a 500). A NUL, which PostgreSQL
    refuses in text, is a form error too (Django's CharField refuses it)."""

    def __init__(self, *args, placeholder: str = "", **kwargs):
        kwargs.setdefault("label", "Search")
        kwargs.setdefault("max_length", SEARCH_MAX_LENGTH)
        kwargs.setdefault("error_messages", {"max_length": f"Search for at most {SEARCH_MAX_LENGTH} characters."})
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": placeholder, "type": "search"}))
        super().__init__(*args, **kwargs)


# A part-of-a-number search that matches at most this many rows is read through its own index
# (trigram on PostgreSQL) and the list then sorts only those; one that matches more is common
# enough that walking the list's order finds a page at once.
NARROW_MATCHES = 2_000


def matching(queryset, condition):
    """``queryset.filter(condition)`` for a search ``condition`` (``icontains`` and the like),
    without letting the database walk the list's sort index through a million rows for a term
    that matches a handful: the matches are read first, without an order, and kept by id when
    they are few. Two queries; the same rows."""
    filtered = queryset.filter(condition)
    ids = list(filtered.order_by().values_list("pk", flat=True)[: NARROW_MATCHES + 1])
    return queryset.filter(pk__in=ids) if len(ids) <= NARROW_MATCHES else filtered


class SearchChoiceFilter(django_filters.ModelChoiceFilter):
    """A list's filter by partner or item: a select while the company has few, a type-ahead past
    that; it takes a code, a label, a name or a primary key (inventory/web/choices.py), and
    what names no row of ``source`` in the active company is a form error on the list."""

    field_class = SearchChoiceField

    def __init__(self, *args, source, **kwargs):
        kwargs.setdefault("queryset", source.rows_for)
        super().__init__(*args, source=source, **kwargs)


def internal_locations(request):
    return Location.objects.filter(company=request.company, kind=LocationKind.INTERNAL).only("pk", "code", "name")
