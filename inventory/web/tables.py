"""What the apps' tables share: pagination that never counts a million rows, and the columns
of quantities, dates and expiry written without a template per cell."""

from datetime import datetime

import django_tables2 as tables
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.timezone import template_localtime

from ..models import Tracking

PER_PAGE = 50
MAX_PER_PAGE = 500


# Rows counted past the page asked for: a list of a million lots is not counted to the end on
# every page (a full count reads every row); it says "10,000+" and pages on.
COUNT_AHEAD = 10_000


class BoundedPaginator(Paginator):
    """``?per_page=`` comes from the URL: 0 would divide by zero and a million would load everything.

    ``count`` stops at ``COUNT_AHEAD`` rows past the page asked for (``more`` then says there are
    more, and ``count_label`` shows "10,000+"): a count reads every row it counts, so counting a
    large list to its end would cost more than the page itself.
    """

    def __init__(self, object_list, per_page, *args, **kwargs):
        super().__init__(object_list, min(max(int(per_page), 1), MAX_PER_PAGE), *args, **kwargs)
        self.more = False
        self._asked = 1

    def page(self, number):
        self._asked = number
        return super().page(number)

    @cached_property
    def count(self):
        rows = getattr(getattr(self.object_list, "data", None), "data", self.object_list)
        if not isinstance(rows, QuerySet):
            return super().count
        try:
            asked = max(int(self._asked), 1)
        except (TypeError, ValueError):
            asked = 1
        limit = min(asked, 1_000_000) * self.per_page + COUNT_AHEAD
        # Neither the order nor the shown columns change how many rows there are; left in, they
        # would be computed for every row counted.
        counted = rows.order_by().values("pk")[: limit + 1].count()
        self.more = counted > limit
        return min(counted, limit)

    @property
    def count_label(self) -> str:
        return f"{self.count:,}+" if self.more else str(self.count)


PAGINATION = {"per_page": PER_PAGE, "paginator_class": BoundedPaginator}


class QuantityColumn(tables.Column):
    attrs = {"th": {"class": "text-end pe-3"}, "td": {"class": "text-end pe-3 font-monospace"}}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", self.attrs)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return floatformat(value, -4)


class ExpiryColumn(tables.Column):
    def render(self, value):
        text = date_format(value, "SHORT_DATE_FORMAT")
        if value < timezone.localdate():
            return format_html('<span class="text-danger">{} (expired)</span>', text)
        return text


class DateTimeColumn(tables.Column):
    """A date and time in the local time zone, written as Django's ``date`` filter writes it.

    django-tables2's own DateTimeColumn and DateColumn compile a small template for every cell
    they render: on a page of 50 moves that was most of the page's time.
    """

    default_format = "SHORT_DATETIME_FORMAT"

    def __init__(self, *args, format: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.format = format or self.default_format

    def render(self, value):
        return date_format(template_localtime(value), self.format)

    def value(self, value):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()


class DateColumn(DateTimeColumn):
    default_format = "SHORT_DATE_FORMAT"


class TrackingColumn(tables.Column):
    def render(self, value):
        return Tracking(value).label


def table_attrs(testid, **extra):
    return {"class": "table table-sm table-hover align-middle", "data-testid": testid, **extra}
