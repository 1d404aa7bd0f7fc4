"""The set-up kinds: locations, partners, lot/serial classes (with their numbering) and items.
Each row is matched by its code; new rows are created, changed ones updated, in batches."""

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Exists, F, OuterRef

from ..models import (
    Company,
    IssueMethod,
    Item,
    Location,
    LocationKind,
    LotSerialClass,
    NumberAssignment,
    NumberCheck,
    NumberSegment,
    Partner,
    SegmentKind,
    StockMove,
    Tracking,
    TrackingScope,
    ValuationMethod,
)
from ..models.catalog import MAX_QUANTITY, UnitOfMeasure
from ..numbering import SegmentSpec, pattern_problems, template_problems
from . import reading as r
from .base import Column, Context, Kind, Outcome, Row, written

BATCH = 2000
MONEY_MAX = MAX_QUANTITY


def _text(n: int, required: bool = False) -> Any:  # noqa: ANN401 - a reader
    return lambda value, context: r.text(value, max_length=n, required=required)


def _bool(default: bool) -> Any:  # noqa: ANN401 - a reader
    return lambda value, context: r.boolean(value) if value.strip() else default


def _choice(choices: list[tuple[str, str]], default: str) -> Any:  # noqa: ANN401 - a reader
    return lambda value, context: r.choice(value, choices, default=default)


def _money(value: str, context: Context) -> Any:  # noqa: ANN401 - a Decimal or None
    return r.decimal(value, places=4, maximum=MONEY_MAX)


def _code(value: str, context: Context) -> str:
    code = r.text(value, max_length=40, required=True)
    if any(ch in code for ch in "\n\r"):
        raise ValueError("holds a line break")
    return code


def _email(value: str, context: Context) -> str:
    value = r.text(value, max_length=254)
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError(f"{value} is not an e-mail address") from None
    return value


class SetupKind(Kind):
    """Rows matched by code within the company; created and updated in batches."""

    key = ("code",)

    def write(self, new: list[Row], changed: list[tuple[Row, dict[str, Any]]], context: Context, outcome: Outcome) -> None:
        objects = [self.model(company=context.company, **self.model_values(row.values)) for row in new]
        self.model.objects.bulk_create(objects, batch_size=BATCH)
        by_fields: dict[tuple[str, ...], list] = {}
        for row, values in changed:
            fields = tuple(sorted(self.model_values(values)))
            obj = self.model(pk=row.values["pk"], **self.model_values(values))
            by_fields.setdefault(fields, []).append(obj)
        for fields, objs in by_fields.items():
            self.model.objects.bulk_update(objs, fields, batch_size=BATCH)

    def model_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """Values as the model takes them (names resolved into ids)."""
        return {k: v for k, v in values.items() if k not in ("pk",)}

    def export_rows(self, company: Company) -> Iterator[list[Any]]:
        for obj in self.export_queryset(company).iterator(chunk_size=BATCH):
            yield [written(c, self.export_value(obj, c.field)) for c in self.columns]

    def export_queryset(self, company: Company) -> Any:  # noqa: ANN401 - a queryset
        return self.model.objects.filter(company=company).order_by(*self.key)

    def export_value(self, obj: Any, field: str) -> Any:  # noqa: ANN401 - any column's value
        return getattr(obj, field)


class Locations(SetupKind):
    name = "locations"
    label = "Locations"
    model = Location
    columns = [
        Column("Code", "code", _code, required=True),
        Column("Name", "name", _text(200)),
        Column("Parent", "parent_code", _text(40), aliases=("parent location",)),
        Column("Active", "is_active", _bool(True)),
    ]
    compared = ("name", "parent_code", "is_active")

    def existing(self, context: Context, rows: list[Row]) -> dict[tuple, dict[str, Any]]:
        found = {}
        for v in Location.objects.filter(company=context.company, kind=LocationKind.INTERNAL).values(
            "pk", "code", "name", "is_active", parent_code=F("parent__code")
        ):
            v["parent_code"] = v["parent_code"] or ""
            found[(v["code"],)] = v
        return found

    def check(self, rows: list[Row], stored: dict[tuple, dict[str, Any]], context: Context) -> None:
        virtual = set(Location.objects.filter(company=context.company).exclude(kind=LocationKind.INTERNAL).values_list("code", flat=True))
        known = {key[0] for key in stored} | {row.values.get("code") for row in rows}
        parents = {row.values.get("code"): row.values["parent_code"] for row in rows if "parent_code" in row.values}
        for key, values in stored.items():
            parents.setdefault(key[0], values.get("parent_code") or "")
        code_column, parent_column = self.columns[0], self.columns[2]
        for row in rows:
            code, parent = row.values.get("code"), row.values.get("parent_code")
            if code in virtual:
                context.problem(row, code_column, f"{code} is one of the company's virtual locations: it is not imported")
            if "name" in row.values and not row.values["name"]:
                row.values["name"] = code
            if not parent:
                continue
            if parent not in known:
                context.problem(row, parent_column, f"no location {parent} (in the company or this file)")
            elif parent == code or _cycle(code, parents):
                context.problem(row, parent_column, f"{parent} is inside {code}: a location cannot contain itself")

    def write(self, new: list[Row], changed: list[tuple[Row, dict[str, Any]]], context: Context, outcome: Outcome) -> None:
        # Parents last: a parent may be a row of this very file.
        Location.objects.bulk_create(
            [Location(company=context.company, code=row.values["code"], name=row.values.get("name") or row.values["code"]) for row in new],
            batch_size=BATCH,
        )
        ids = dict(Location.objects.filter(company=context.company, kind=LocationKind.INTERNAL).values_list("code", "pk"))
        # New rows get every field (the defaults for columns the file leaves out); changed rows
        # only the fields the file gives.
        columns = {"name": "name", "is_active": "is_active", "parent_code": "parent"}
        by_fields: dict[tuple[str, ...], list[Location]] = {}
        for row, values in [(row, {"is_active": True, "parent_code": "", **row.values}) for row in new] + changed:
            location = Location(pk=ids[row.values["code"]])
            if "name" in values:
                location.name = values["name"] or row.values["code"]
            if "is_active" in values:
                location.is_active = values["is_active"]
            if "parent_code" in values:
                location.parent_id = ids.get(values["parent_code"] or "")
            fields = tuple(sorted(columns[f] for f in values if f in columns))
            by_fields.setdefault(fields, []).append(location)
        for fields, locations in by_fields.items():
            if fields:
                Location.objects.bulk_update(locations, list(fields), batch_size=BATCH)

    def export_queryset(self, company: Company) -> Any:  # noqa: ANN401 - a queryset
        return Location.objects.filter(company=company, kind=LocationKind.INTERNAL).select_related("parent").order_by("code")

    def export_value(self, obj: Any, field: str) -> Any:  # noqa: ANN401 - any column's value
        return obj.parent.code if field == "parent_code" and obj.parent else ("" if field == "parent_code" else getattr(obj, field))


def _cycle(code: str, parents: dict[str, str | None]) -> bool:
    seen, node = {code}, parents.get(code)
    while node:
        if node in seen:
            return True
        seen.add(node)
        node = parents.get(node)
    return False


class Partners(SetupKind):
    name = "partners"
    label = "Partners"
    model = Partner
    columns = [
        Column("Code", "code", _code, required=True),
        Column("Name", "name", _text(200, required=True), required=True),
        Column("Supplier", "is_supplier", _bool(False)),
        Column("Customer", "is_customer", _bool(False)),
        Column("Email", "email", _email, aliases=("e-mail",)),
        Column("Phone", "phone", _text(40)),
    ]


def _segments(value: str, context: Context) -> list[tuple[str, str]]:
    """'constant:LOT-|date:YYMM|counter:00001' → [(kind, value), ...]."""
    value = value.strip()
    if not value:
        return []
    segments = []
    for part in value.split("|"):
        kind, sep, text = part.partition(":")
        kind = kind.strip().lower()
        if not sep or kind not in SegmentKind.values:
            raise ValueError(f"{part} is not a segment: write kind:value, kinds constant, date or counter, joined by |")
        if len(text) > 40:
            raise ValueError(f"{text} is longer than 40 characters")
        segments.append((kind, text))
    if len(segments) > 10:
        raise ValueError("has more than 10 segments")
    problems = template_problems([SegmentSpec(k, v) for k, v in segments])
    if problems:
        raise ValueError("; ".join(p.message for p in problems))
    return segments


def _segments_text(segments: list[tuple[str, str]]) -> str:
    return "|".join(f"{kind}:{value}" for kind, value in segments)


class Classes(SetupKind):
    name = "classes"
    label = "Lot/serial classes"
    model = LotSerialClass
    columns = [
        Column("Code", "code", _code, required=True),
        Column("Name", "name", _text(200, required=True), required=True),
        Column("Tracking", "tracking", _choice(Tracking.choices, Tracking.NONE), required=True),
        Column("Track expiry", "track_expiry", _bool(False), aliases=("track expiration dates",)),
        Column("Expiry alert days", "expiry_alert_days", lambda v, c: r.integer(v, maximum=36500) or 0),
        Column("Assignment", "assignment", _choice(NumberAssignment.choices, NumberAssignment.WHEN_RECEIVED)),
        Column("Issue method", "issue_method", _choice(IssueMethod.choices, IssueMethod.FIFO)),
        Column("Batch size", "batch_size", lambda v, c: r.integer(v, minimum=1, maximum=100_000) or 1),
        Column("Shared counter", "shared_counter", _bool(True)),
        Column("Number check", "number_check", _choice(NumberCheck.choices, NumberCheck.NONE)),
        Column("Number pattern", "number_pattern", _text(200)),
        Column("Numbering", "segments", _segments, write=_segments_text, aliases=("segments", "numbering template")),
    ]

    def existing(self, context: Context, rows: list[Row]) -> dict[tuple, dict[str, Any]]:
        fields = [f for f in self.compared_fields() if f != "segments"]
        found = {(v["code"],): v for v in LotSerialClass.objects.filter(company=context.company).values("pk", "code", *fields)}
        by_pk = {v["pk"]: v for v in found.values()}
        for v in found.values():
            v["segments"] = []
        for class_id, kind, value in NumberSegment.objects.filter(lot_class__company=context.company).values_list(
            "lot_class_id", "kind", "value"
        ):
            by_pk[class_id]["segments"].append((kind, value))
        return found

    def check(self, rows: list[Row], stored: dict[tuple, dict[str, Any]], context: Context) -> None:
        pattern_column = next(c for c in self.columns if c.field == "number_pattern")
        tracking_column = next(c for c in self.columns if c.field == "tracking")
        moved = set(
            LotSerialClass.objects.filter(company=context.company)
            .filter(Exists(StockMove.objects.filter(item__lot_class=OuterRef("pk"))))
            .values_list("code", flat=True)
        )
        for row in rows:
            values = row.values
            if values.get("number_check") == NumberCheck.PATTERN:
                pattern = values.get("number_pattern", "")
                problems = pattern_problems(pattern) if pattern else []
                if not pattern or problems:
                    message = "; ".join(p.message for p in problems) or "a pattern is needed when the number check is 'pattern'"
                    context.problem(row, pattern_column, message)
            before = stored.get((values.get("code"),))
            if before and "tracking" in values and values["tracking"] != before["tracking"] and values["code"] in moved:
                context.problem(row, tracking_column, f"{values['code']}'s items have stock moves: its tracking stays {before['tracking']}")

    def model_values(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if k not in ("pk", "segments")}

    def write(self, new: list[Row], changed: list[tuple[Row, dict[str, Any]]], context: Context, outcome: Outcome) -> None:
        super().write(new, [(row, values) for row, values in changed if self.model_values(values)], context, outcome)
        ids = dict(LotSerialClass.objects.filter(company=context.company).values_list("code", "pk"))
        renumbered = [row for row in new if row.values.get("segments")]
        renumbered += [row for row, values in changed if "segments" in values]
        NumberSegment.objects.filter(lot_class_id__in=[ids[row.values["code"]] for row in renumbered]).delete()
        NumberSegment.objects.bulk_create(
            [
                NumberSegment(lot_class_id=ids[row.values["code"]], position=position, kind=kind, value=value)
                for row in renumbered
                for position, (kind, value) in enumerate(row.values["segments"])
            ],
            batch_size=BATCH,
        )

    def export_queryset(self, company: Company) -> Any:  # noqa: ANN401 - a queryset
        return LotSerialClass.objects.filter(company=company).prefetch_related("segments").order_by("code")

    def export_value(self, obj: Any, field: str) -> Any:  # noqa: ANN401 - any column's value
        if field == "segments":
            return [(s.kind, s.value) for s in obj.segments.all()]
        return getattr(obj, field)


class Items(SetupKind):
    name = "items"
    label = "Items"
    model = Item
    key = ("sku",)
    columns = [
        Column("Item code", "sku", _code, required=True, aliases=("code", "sku")),
        Column("Name", "name", _text(200, required=True), required=True),
        Column("Description", "description", _text(r.MAX_CELL)),
        Column("Stocked", "is_stocked", _bool(True)),
        Column("Unit of measure", "uom", _choice(UnitOfMeasure.choices, UnitOfMeasure.EACH), aliases=("uom",)),
        Column("Lot/serial class", "class_code", _text(40), aliases=("class",)),
        Column("Tracking scope", "tracking_scope", _choice(TrackingScope.choices, TrackingScope.FULL)),
        Column("Valuation", "valuation_method", _choice(ValuationMethod.choices, ValuationMethod.FIFO), aliases=("valuation method",)),
        Column("Standard unit cost", "unit_cost", lambda v, c: _money(v, c) or 0, aliases=("unit cost",)),
        Column("Counter start", "counter_start", _text(20)),
        Column("GTIN", "gtin", lambda v, c: _gtin(v)),
        Column("Sale price", "sale_price", lambda v, c: _money(v, c) or 0),
        Column("Active", "is_active", _bool(True)),
    ]
    compared = (
        "name",
        "description",
        "is_stocked",
        "uom",
        "class_code",
        "tracking_scope",
        "valuation_method",
        "unit_cost",
        "counter_start",
        "gtin",
        "sale_price",
        "is_active",
    )

    def existing(self, context: Context, rows: list[Row]) -> dict[tuple, dict[str, Any]]:
        fields = [f for f in self.compared if f != "class_code"]
        found = {}
        for v in Item.objects.filter(company=context.company).values("pk", "sku", *fields, class_code=F("lot_class__code")):
            v["class_code"] = v["class_code"] or ""
            found[(v["sku"],)] = v
        return found

    def resolve(self, rows: list[Row], context: Context) -> None:
        self.classes = classes = dict(LotSerialClass.objects.filter(company=context.company).values_list("code", "pk"))
        column = next(c for c in self.columns if c.field == "class_code")
        for row in rows:
            code = row.values.get("class_code")
            if code and code not in classes:
                context.problem(row, column, f"no lot/serial class {code} (import the classes first)")
            elif "class_code" in row.values:
                row.values["lot_class_id"] = classes.get(code)

    def check(self, rows: list[Row], stored: dict[tuple, dict[str, Any]], context: Context) -> None:
        guarded = {"class_code": "lot/serial class", "valuation_method": "valuation", "is_stocked": "stocked"}
        changing = [
            row
            for row in rows
            if (before := stored.get((row.values.get("sku"),))) and any(f in row.values and row.values[f] != before[f] for f in guarded)
        ]
        if not changing:
            return
        moved = set(
            StockMove.objects.filter(item_id__in=[stored[(row.values["sku"],)]["pk"] for row in changing])
            .values_list("item__sku", flat=True)
            .distinct()
        )
        for row in changing:
            before = stored[(row.values["sku"],)]
            if row.values["sku"] not in moved:
                continue
            for f, words in guarded.items():
                if f in row.values and row.values[f] != before[f]:
                    column = next(c for c in self.columns if c.field == f)
                    context.problem(row, column, f"{row.values['sku']} has stock moves: its {words} stays as it is")

    def model_values(self, values: dict[str, Any]) -> dict[str, Any]:
        found = {k: v for k, v in values.items() if k not in ("pk", "class_code")}
        if "class_code" in values:
            found["lot_class_id"] = self.classes.get(values["class_code"])
        return found

    def export_queryset(self, company: Company) -> Any:  # noqa: ANN401 - a queryset
        return Item.objects.filter(company=company).select_related("lot_class").order_by("sku")

    def export_value(self, obj: Any, field: str) -> Any:  # noqa: ANN401 - any column's value
        if field == "class_code":
            return obj.lot_class.code if obj.lot_class else ""
        return getattr(obj, field)


def _gtin(value: str) -> str:
    value = value.strip()
    if value and (not value.isdigit() or len(value) not in (8, 12, 13, 14)):
        raise ValueError(f"{value} is not a GTIN (8, 12, 13 or 14 digits)")
    return value
