"""What every list's filters share."""

import django_filters
from django_filters.widgets import RangeWidget


class DateFromTo(django_filters.DateFromToRangeFilter):
    """A date range as two ``<input type=date>``, ``<name>_min`` (from) and ``<name>_max``
    (to), each applied on its own and both inclusive; on a date-time field the to day counts
    whole. ``templates/_filter_form.html`` renders any two-part widget as its two inputs."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", RangeWidget(attrs={"type": "date"}))
        super().__init__(*args, **kwargs)
