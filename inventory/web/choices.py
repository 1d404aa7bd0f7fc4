"""Choices of a partner or an item, which a company may have thousands of.

A field offers an ordinary select while the rows it may take are few (at most
``settings.CHOICES_SELECT_LIMIT``, decided by reading at most one row more, never by counting);
past that, a text input whose suggestions (an HTML ``<datalist>``) are fetched over htmx from
``inventory:choices`` as the user types (``SearchSelect`` in ``widgets.py`` draws both).

A *source* (``ChoiceSource``) names what a choice offers — customers, stocked items… — and who
may ask for its suggestions; the suggestions come from the same source as the field's rows, so
they never offer what the field would refuse.

What a field accepts, the first rule that matches deciding:

1. a row's code (partners) or SKU (items) exactly as written — what the selects send and a
   scanner types;
2. a row's label as the suggestions show it, ``CODE — Name`` (what picking a suggestion types);
3. a code or SKU in any case;
4. a primary key: digits that are no row's code (links such as ``/documents/?partner=12``);
5. a name in any case, when one row only has it.

So a numeric code is told from a primary key by looking the code up first: digits are a primary
key only when no row offered has them as its code. The app's own selects and links send codes,
never primary keys, so they always mean the row they show. Anything else is a form error naming
what was typed, never a server error nor a filter that quietly matches nothing.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, CharField, F, IntegerField, Q, Value, When, Window
from django.db.models.functions import RowNumber, Upper
from django.urls import reverse
from django.utils.functional import cached_property

from ..models import Item, Partner
from .widgets import CHOICE_INPUT_MAX_LENGTH as INPUT_MAX_LENGTH
from .widgets import SearchSelect

LABEL_SEPARATOR = " — "
SUGGESTIONS = 20
# Values looked up per statement (each is a parameter or two): well under any engine's limit.
CHUNK = 500

NOT_FOUND = "not found"
AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class ChoiceSource:
    """What a choice offers: ``rows(company)``, labelled ``CODE — Name``.

    ``permissions``: any one of them lets a user ask for the suggestions — those of the pages
    whose forms offer the source.
    """

    name: str  # in the suggestions' URL: /choices/<name>/
    model: type[models.Model]
    rows: Callable[..., models.QuerySet]
    noun: str  # "customer": what the messages call one row
    permissions: tuple[str, ...]
    code: str = "code"
    code_label: str = "code"
    name_in_select: bool = False  # a select shows the name alone (partners, as they always were)

    def label(self, row) -> str:
        return f"{getattr(row, self.code)}{LABEL_SEPARATOR}{row.name}"

    def select_label(self, row) -> str:
        return row.name if self.name_in_select else self.label(row)

    def rows_for(self, request) -> models.QuerySet:
        """The rows of the request's active company (django-filter's ``queryset`` callable)."""
        if request is None or not getattr(request, "company", None):
            return self.model._default_manager.none()
        return self.rows(request.company)

    def url(self, field_name: str) -> str:
        return f"{reverse('inventory:choices', kwargs={'source': self.name})}?{urlencode({'field': field_name})}"

    def suggestions(self, queryset: models.QuerySet, typed: str) -> tuple[list, bool]:
        """At most ``SUGGESTIONS`` rows of ``queryset`` whose code or name holds every word typed
        (any case), an exact code first, then codes and names that start with it; and whether
        there are more."""
        words = typed.split()[:5]
        if not words:
            return [], False
        code = self.code
        holds = Q()
        for word in words:
            holds &= Q(**{f"{code}__icontains": word}) | Q(name__icontains=word)
        if LABEL_SEPARATOR in typed:  # a label picked from the list
            holds |= Q(**{f"{code}__iexact": typed.split(LABEL_SEPARATOR, 1)[0].strip()})
        rank = Case(
            When(**{f"{code}__iexact": typed}, then=Value(0)),
            When(**{f"{code}__istartswith": typed}, then=Value(1)),
            When(name__istartswith=typed, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
        rows = list(
            queryset.select_related(None)
            .only("pk", code, "name")
            .filter(holds)
            .annotate(suggestion_rank=rank)
            .order_by("suggestion_rank", code)[: SUGGESTIONS + 1]
        )
        return rows[:SUGGESTIONS], len(rows) > SUGGESTIONS


CHOICE_SOURCES: dict[str, ChoiceSource] = {}


def choice_source(**fields) -> ChoiceSource:
    """A source, registered under its name for the suggestions endpoint. Each app declares its
    own in a module its ``AppConfig.ready()`` imports."""
    source = ChoiceSource(**fields)
    CHOICE_SOURCES[source.name] = source
    return source


PARTNER_PAGES = ("inventory.view_partner", "inventory.view_document", "inventory.add_document", "inventory.change_document")
DOCUMENT_FORMS = ("inventory.add_document", "inventory.change_document")

PARTNERS = choice_source(
    name="partners",
    model=Partner,
    rows=lambda company: Partner.objects.filter(company=company),
    noun="partner",
    permissions=PARTNER_PAGES,
    name_in_select=True,
)
CUSTOMERS = choice_source(
    name="customers",
    model=Partner,
    rows=lambda company: Partner.objects.filter(company=company, is_customer=True),
    noun="customer",
    permissions=PARTNER_PAGES,
    name_in_select=True,
)
SUPPLIERS = choice_source(
    name="suppliers",
    model=Partner,
    rows=lambda company: Partner.objects.filter(company=company, is_supplier=True),
    noun="supplier",
    permissions=PARTNER_PAGES,
    name_in_select=True,
)
ITEMS = choice_source(
    name="items",
    model=Item,
    rows=lambda company: Item.objects.filter(company=company).order_by("sku"),
    noun="item",
    code="sku",
    code_label="SKU",
    permissions=("inventory.view_item", "inventory.view_balance"),
)
# What a document line takes (a draft also keeps the items already on it: ItemChoices).
STOCKED_ITEMS = choice_source(
    name="stocked-items",
    model=Item,
    rows=lambda company: Item.objects.filter(company=company, is_stocked=True, is_active=True).order_by("sku"),
    noun="item",
    code="sku",
    code_label="SKU",
    permissions=("inventory.view_item", *DOCUMENT_FORMS),
)


class RowIndex:
    """Rows by code, code in any case, name in any case and primary key: what a typed value
    names among them (the rules in the module's docstring)."""

    def __init__(self, source: ChoiceSource, rows: Iterable = ()):
        self.source = source
        self.by_code: dict[str, object] = {}
        self.by_pk: dict[int, object] = {}
        self.by_code_folded: dict[str, dict] = defaultdict(dict)
        self.by_name_folded: dict[str, dict] = defaultdict(dict)
        self.add(rows)

    def add(self, rows: Iterable) -> None:
        for row in rows:
            code = getattr(row, self.source.code)
            self.by_code[code] = row
            self.by_pk[row.pk] = row
            self.by_code_folded[code.casefold()][row.pk] = row
            self.by_name_folded[row.name.strip().casefold()][row.pk] = row

    def settled(self, value: str) -> bool:
        """Whether rules 1 to 4 decide ``value`` among these rows whatever other rows have a
        code differing from it in case only: its code as written is here, or it has no letter."""
        if value in self.by_code:
            return True
        if LABEL_SEPARATOR in value:
            code, name = (part.strip() for part in value.split(LABEL_SEPARATOR, 1))
            row = self.by_code.get(code)
            return row is not None and row.name.strip().casefold() == name.casefold()
        return value.upper() == value.lower()

    def pick(self, value, *, names: bool = True):
        """The row ``value`` (a stripped text, or an int: a primary key only) names, else
        ``NOT_FOUND`` or ``AMBIGUOUS``. ``names=False`` skips rule 5."""
        if isinstance(value, int):
            return self.by_pk.get(value, NOT_FOUND)
        if value in self.by_code:
            return self.by_code[value]
        tiers = []
        if LABEL_SEPARATOR in value:
            code, name = (part.strip().casefold() for part in value.split(LABEL_SEPARATOR, 1))
            tiers.append({pk: row for pk, row in self.by_code_folded.get(code, {}).items() if row.name.strip().casefold() == name})
        tiers.append(self.by_code_folded.get(value.casefold(), {}))
        if primary_key(value) is not None:
            row = self.by_pk.get(primary_key(value))
            tiers.append({row.pk: row} if row is not None else {})
        if names:
            tiers.append(self.by_name_folded.get(value.casefold(), {}))
        for tier in tiers:
            if len(tier) == 1:
                return next(iter(tier.values()))
            if tier:
                return AMBIGUOUS
        return NOT_FOUND


def primary_key(value: str) -> int | None:
    """Plain ASCII digits that fit a bigint ("²" or "1.5" are no primary key)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _codes_in(value: str) -> list[str]:
    """The codes a typed value may be: itself, and a label's code part."""
    if LABEL_SEPARATOR in value:
        return [value, value.split(LABEL_SEPARATOR, 1)[0].strip()]
    return [value]


def _chunks(values: list) -> Iterable[list]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _upper(values: Iterable[str]) -> list:
    # Upper-cased by the database on both sides, so that each engine compares as it folds case.
    return [Upper(Value(v, output_field=CharField())) for v in values]


class ChoiceSet:
    """The rows one choice offers on one page: a select's options when they are few, else what
    each typed value names among them — each value looked up once per page, and all values
    asked at once together (a page of 200 lines costs the queries of one)."""

    def __init__(self, source: ChoiceSource, queryset: models.QuerySet, limit: int | None = None):
        self.source, self.queryset = source, queryset
        self.limit = settings.CHOICES_SELECT_LIMIT if limit is None else limit
        self._named: dict = {}

    @cached_property
    def rows(self) -> list:
        """At most one row more than the limit: enough to tell "few" without counting them all."""
        return list(self.queryset[: self.limit + 1])

    @property
    def few(self) -> bool:
        return len(self.rows) <= self.limit

    def option_value(self, row) -> str:
        """What a select's option sends: the code (rule 1 names it whatever else is typed), or
        the primary key of a row whose code could not be typed back as it is."""
        code = getattr(row, self.source.code)
        return code if code and code == code.strip() and len(code) <= INPUT_MAX_LENGTH else str(row.pk)

    def named(self, value):
        """The row ``value`` names (a stripped text, or an int primary key), ``NOT_FOUND`` or
        ``AMBIGUOUS``."""
        if value not in self._named:
            self.look_up([value])
        return self._named[value]

    def shown(self, value):
        """The row a widget's value names, or None (nothing, or what names no row)."""
        if value is None or value == "":
            return None
        if isinstance(value, models.Model):
            return value
        key = value if isinstance(value, int) else str(value).strip()
        if key == "" or (isinstance(key, str) and (len(key) > INPUT_MAX_LENGTH or "\x00" in key)):
            return None
        found = self.named(key)
        return found if isinstance(found, models.Model) else None

    def look_up(self, values: Iterable) -> None:
        """What each of ``values`` names, read together: from the rows already read when they
        are few; else codes (a label's too) and primary keys as written, through their indexes
        — all a select, a link or a scanner sends —, then codes in another case and names only
        for the values still unsettled (a statement each, whatever the number of values)."""
        pending = [v for v in dict.fromkeys(values) if v not in self._named and v != ""]
        if not pending:
            return
        if self.few:
            index = RowIndex(self.source, self.rows)
        else:
            index = RowIndex(self.source, self._as_written(pending))
            other_case = [v for v in pending if isinstance(v, str) and not index.settled(v)]
            if other_case:
                index.add(self._in_any_case(other_case))
            unnamed = [v for v in pending if isinstance(v, str) and index.pick(v, names=False) == NOT_FOUND]
            if unnamed:
                index.add(self._by_name(unnamed))
        for value in pending:
            self._named[value] = index.pick(value)

    def _as_written(self, values: list) -> list:
        keys = []
        for value in values:
            if isinstance(value, int):
                keys.append(("pk", value))
                continue
            keys.extend(("code", code) for code in _codes_in(value))
            if primary_key(value) is not None:
                keys.append(("pk", primary_key(value)))
        rows = []
        for part in _chunks(list(dict.fromkeys(keys))):
            codes = [v for kind, v in part if kind == "code"]
            pks = [v for kind, v in part if kind == "pk"]
            rows.extend(self.queryset.filter(Q(**{f"{self.source.code}__in": codes}) | Q(pk__in=pks)).order_by())
        return rows

    def _in_any_case(self, values: list) -> list:
        codes = list(dict.fromkeys(code for value in values for code in _codes_in(value)))
        rows = []
        code_upper = self.queryset.annotate(choice_code=Upper(self.source.code))
        for part in _chunks(codes):
            rows.extend(code_upper.filter(choice_code__in=_upper(part)).order_by())
        return rows

    def _by_name(self, values: list) -> list:
        # Two rows of each name are enough to tell one from several.
        rows = []
        for part in _chunks(values):
            named = (
                self.queryset.annotate(choice_name=Upper("name"))
                .filter(choice_name__in=_upper(v for v in part))
                .annotate(choice_nth=Window(RowNumber(), partition_by=[F("choice_name")], order_by=F("pk").asc()))
                .filter(choice_nth__lte=2)
            )
            rows.extend(named)
        return rows


class SearchChoiceField(forms.ModelChoiceField):
    """A choice of one row of a ``ChoiceSource``, typed or picked (see the module's docstring).

    The form gives it its rows with ``offer(source, queryset)`` (or a queryset alone, for the
    source it was declared with); forms with many such fields on a page (a document's lines)
    ``share`` one ``ChoiceSet`` so that the rows and the look-ups are read once.
    """

    widget = SearchSelect

    def __init__(self, queryset=None, *, source: ChoiceSource, noun: str = "", **kwargs):
        # django-filter passes its null choice's settings; a search choice offers no null choice.
        kwargs.pop("null_label", None)
        kwargs.pop("null_value", None)
        self.source, self.noun = source, noun
        self._choice_set = None
        super().__init__(queryset, **kwargs)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        if self.queryset is None:
            result._choice_set = None
        return result

    def _set_queryset(self, queryset):
        super()._set_queryset(queryset)
        self._choice_set = None

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def offer(self, source: ChoiceSource, queryset: models.QuerySet) -> None:
        self.source = source
        self.queryset = queryset

    def share(self, choice_set: ChoiceSet) -> None:
        self.offer(choice_set.source, choice_set.queryset)
        self._choice_set = choice_set

    @property
    def choice_set(self) -> ChoiceSet:
        if self._choice_set is None:
            queryset = self.queryset if self.queryset is not None else self.source.model._default_manager.none()
            self._choice_set = ChoiceSet(self.source, queryset)
        return self._choice_set

    def label_from_instance(self, obj) -> str:
        return self.source.select_label(obj)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        noun, code = self.noun or self.source.noun, self.source.code_label
        if isinstance(value, models.Model):
            key = value.pk
        elif isinstance(value, int):  # an initial primary key (a disabled field cleans its initial)
            key = value
        else:
            value = str(value)
            self.validate_no_null_characters(value)
            key = value.strip()
            if not key:
                return None
            if len(key) > INPUT_MAX_LENGTH:
                raise ValidationError(f"Type at most {INPUT_MAX_LENGTH} characters: a {noun}’s {code} or name.", code="max_length")
        found = self.choice_set.named(key)
        if found == AMBIGUOUS:
            raise ValidationError(
                f"More than one {noun} answers to “{key}”: type its {code} exactly, or pick it from the list.",
                code="ambiguous",
            )
        if not isinstance(found, models.Model):
            raise ValidationError(f"No {noun} “{key}”: type its {code} or name and pick it from the list.", code="invalid_choice")
        return found

    def has_changed(self, initial, data) -> bool:
        if self.disabled:
            return False
        try:
            chosen = self.to_python(data)
        except ValidationError:
            return True
        before = initial.pk if isinstance(initial, models.Model) else initial
        return ("" if before in (None, "") else str(before)) != ("" if chosen is None else str(chosen.pk))
