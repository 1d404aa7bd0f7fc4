"""Lots and serial numbers: number, item, expiry, reference, notes, receipt cost, and the lot a
serial belongs to (lot-and-serial items, whose lot is created with its first serial). Matched
by item and number; a new number is held to its class's shape and must not be entered on a
draft already, as when it is typed."""

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from .. import locks
from ..bulk import bulk_insert_rows, bulk_update_rows, filter_in_chunks
from ..models import Allocation, Company, Item, Lot, LotKind, LotStatus, StockMove, Tracking
from ..services.lots import lots_redate
from ..services.numbers import number_shape
from . import reading as r
from .base import Column, Context, Kind, Outcome, Row, written
from .setup import BATCH, _money, _text

INSERT_BATCH = 50_000
LOT_FIELDS = [
    "company",
    "item",
    "number",
    "kind",
    "parent",
    "expiry_date",
    "reference",
    "notes",
    "status",
    "hold_reason",
    "unit_cost",
    "in_stock",
    "created_at",
    "created_by",
]


def _number(value: str, context: Context) -> str:
    number = r.text(value, max_length=80, required=True)
    if any(ch in number for ch in "\n\r\t"):
        raise ValueError("holds a line break or a tab")
    return number


def _expiry(value: str, context: Context) -> Any:  # noqa: ANN401 - a date or None
    return r.a_date(value, company_format=context.date_format)


class Lots(Kind):
    name = "lots"
    label = "Lots and serial numbers"
    model = Lot
    key = ("sku", "number")
    columns = [
        Column("Item code", "sku", lambda v, c: r.text(v, max_length=60, required=True), required=True, aliases=("item", "sku")),
        Column("Lot/serial number", "number", _number, required=True, aliases=("number", "lot", "serial", "lot number", "serial number")),
        Column("Parent lot", "parent_number", _text(80), aliases=("lot of the serial", "parent")),
        Column("Expiration date", "expiry_date", _expiry, aliases=("expiry", "expiry date", "expires")),
        Column("Reference", "reference", _text(120)),
        Column("Notes", "notes", _text(r.MAX_CELL), aliases=("description", "description / notes")),
        Column("Unit cost", "unit_cost", _money, aliases=("receipt unit cost", "cost")),
    ]
    compared = ("parent_number", "expiry_date", "reference", "notes", "unit_cost")

    def resolve(self, rows: list[Row], context: Context) -> None:
        skus = {row.values["sku"] for row in rows if row.values.get("sku")}
        self.items = {
            item.sku: item
            for item in filter_in_chunks(
                Item.objects.filter(company=context.company).select_related("lot_class", "company"), "sku__in", skus
            )
        }
        column = self.columns[0]
        for row in rows:
            sku = row.values.get("sku")
            item = self.items.get(sku)
            if sku and item is None:
                context.problem(row, column, f"no item with code {sku}")
            elif item is not None and item.tracking == Tracking.NONE:
                context.problem(row, column, f"{sku} is not tracked by lot or serial number")

    def existing(self, context: Context, rows: list[Row]) -> dict[tuple, dict[str, Any]]:
        by_item: dict[int, list[str]] = defaultdict(list)
        for row in rows:
            item = self.items.get(row.values.get("sku"))
            if item is not None and row.values.get("number"):
                by_item[item.pk].append(row.values["number"])
        found: dict[tuple, dict[str, Any]] = {}
        for item_id, numbers in by_item.items():
            queryset = Lot.objects.filter(company=context.company, item_id=item_id).values(
                "pk",
                "number",
                "expiry_date",
                "reference",
                "notes",
                "unit_cost",
                "kind",
                sku=F("item__sku"),
                parent_number=F("parent__number"),
            )
            for values in filter_in_chunks(queryset, "number__any", numbers):
                values["parent_number"] = values["parent_number"] or ""
                found[(values["sku"], values["number"])] = values
        return found

    def check(self, rows: list[Row], stored: dict[tuple, dict[str, Any]], context: Context) -> None:
        number_column, parent_column, cost_column = self.columns[1], self.columns[2], self.columns[6]
        new_by_item: dict[int, list[Row]] = defaultdict(list)
        parents_of: dict[int, list[tuple[Row, str]]] = defaultdict(list)
        for row in rows:
            item = self.items.get(row.values.get("sku"))
            if item is None or item.tracking == Tracking.NONE or not row.values.get("number"):
                continue
            parent = row.values.get("parent_number", "")
            before = stored.get(self.key_of(row))
            kind = LotKind.SERIAL if item.is_serial else LotKind.LOT
            if before is not None and before["kind"] != kind:
                context.problem(
                    row, number_column, f"{row.values['number']} is a {before['kind']} of {item.sku}: this file's rows are its {kind}s"
                )
            if item.tracking == Tracking.LOT_AND_SERIAL:
                if not parent and before is None:
                    context.problem(row, parent_column, f"{item.sku} is numbered by lot and serial: give the lot of this serial")
                elif parent:
                    parents_of[item.pk].append((row, parent))
            elif parent:
                context.problem(row, parent_column, f"{item.sku} has no lots above its numbers: leave this empty")
            if self.key_of(row) not in stored:
                new_by_item[item.pk].append(row)
        expiry_column = self.columns[3]

        def before_of(row: Row) -> dict[str, Any] | None:
            return stored.get(self.key_of(row))

        for item_id, wanted in parents_of.items():
            found = {
                number: (kind, expiry)
                for number, kind, expiry in filter_in_chunks(
                    Lot.objects.filter(company=context.company, item_id=item_id).values_list("number", "kind", "expiry_date"),
                    "number__any",
                    [parent for _, parent in wanted],
                )
            }
            # A serial expires with its lot: the lot's date, or for a new lot its first row's.
            for row, parent in wanted:
                if parent not in found:
                    found[parent] = (LotKind.LOT, row.values.get("expiry_date"))
                kind, expiry = found[parent]
                if kind != LotKind.LOT:
                    context.problem(row, parent_column, f"{parent} is a serial of {row.values['sku']}: a serial's lot must be a lot")
                    continue
                given = row.values.get("expiry_date")
                if given is not None and given != expiry:
                    when = f"expires on {expiry.isoformat()}" if expiry else "has no expiration date"
                    context.problem(
                        row, expiry_column, f"lot {parent} {when}, and its serials with it: leave this empty or give the lot's date"
                    )
                elif "expiry_date" in row.values or before_of(row) is None:
                    row.values["expiry_date"] = expiry
        for item_id, new_rows in new_by_item.items():
            item = self.items[new_rows[0].values["sku"]]
            shape = number_shape(item=item)
            if shape is not None:
                for row in new_rows:
                    problem = shape.problem(row.values["number"])
                    if problem:
                        context.problem(row, number_column, f"{row.values['number']} {problem}")
            drafted = set(
                filter_in_chunks(
                    Allocation.objects.reserving().filter(item_id=item_id, lot__isnull=True).values_list("number", flat=True),
                    "number__any",
                    [row.values["number"] for row in new_rows],
                )
            )
            for row in new_rows:
                if row.values["number"] in drafted:
                    context.problem(row, number_column, f"{row.values['number']} is already entered on a draft document for {item.sku}")
        # A receipt cost or a lot stays as it is once the number has moved.
        moved_ids = {v["pk"] for v in stored.values()}
        moved = set(
            Lot.objects.filter(pk__in=moved_ids)
            .filter(Exists(StockMove.objects.filter(to_lot=OuterRef("pk"))))
            .values_list("pk", flat=True)
            if moved_ids
            else []
        )
        for row in rows:
            before = stored.get(self.key_of(row))
            if before is None or before["pk"] not in moved:
                continue
            if "unit_cost" in row.values and row.values["unit_cost"] != before["unit_cost"]:
                context.problem(row, cost_column, f"{row.values['number']} has stock moves: its receipt cost stays {before['unit_cost']}")
            if "parent_number" in row.values and row.values["parent_number"] != before["parent_number"]:
                context.problem(row, parent_column, f"{row.values['number']} has stock moves: its lot stays {before['parent_number']}")

    def write(self, new: list[Row], changed: list[tuple[Row, dict[str, Any]]], context: Context, outcome: Outcome) -> None:
        company, user = context.company, context.user
        # Lots of lot-and-serial items first (a serial's parent), those of this file's serials
        # that do not exist yet.
        parents_wanted = {
            (self.items[row.values["sku"]].pk, row.values["parent_number"]): row
            for row in new
            if row.values.get("parent_number") and self.items[row.values["sku"]].tracking == Tracking.LOT_AND_SERIAL
        }
        parents = _lot_ids(company, parents_wanted)
        Lot.objects.bulk_create(
            [
                Lot(
                    company=company,
                    item_id=item_id,
                    number=number,
                    kind=LotKind.LOT,
                    expiry_date=row.values.get("expiry_date"),
                    reference=row.values.get("reference", ""),
                    created_by_id=getattr(user, "pk", None),
                )
                for (item_id, number), row in parents_wanted.items()
                if (item_id, number) not in parents
            ],
            batch_size=BATCH,
        )
        parents = _lot_ids(company, parents_wanted)
        # Plain rows, not model instances, a batch at a time: a million new numbers fit in memory.
        now, user_id = timezone.now(), getattr(user, "pk", None)
        kinds = {sku: LotKind.SERIAL if item.is_serial else LotKind.LOT for sku, item in self.items.items()}
        for start in range(0, len(new), INSERT_BATCH):
            rows = []
            for row in new[start : start + INSERT_BATCH]:
                values = row.values
                item_id = self.items[values["sku"]].pk
                rows.append(
                    (
                        company.pk,
                        item_id,
                        values["number"],
                        kinds[values["sku"]],
                        parents.get((item_id, values.get("parent_number", ""))),
                        values.get("expiry_date"),
                        values.get("reference", ""),
                        values.get("notes", ""),
                        LotStatus.ACTIVE,
                        "",
                        values.get("unit_cost"),
                        False,
                        now,
                        user_id,
                    )
                )
            bulk_insert_rows(Lot, LOT_FIELDS, rows)
        self._changes_write(changed, context)

    def _changes_write(self, changed: list[tuple[Row, dict[str, Any]]], context: Context) -> None:
        """Changed numbers, locked in primary-key order, written field by field for all of them at
        once; a new expiry date reaches the serials, balances and expiry report through the lot
        service, as on the lot's page. A changed cost or lot is only ever one of a number that
        never moved (``check``)."""
        if not changed:
            return
        company = context.company
        locks.lot_rows_lock(row.values["pk"] for row, _ in changed)
        parents_wanted = {
            (self.items[row.values["sku"]].pk, values["parent_number"]): row for row, values in changed if values.get("parent_number")
        }
        parents = _lot_ids(company, parents_wanted)
        for field in ("reference", "notes", "unit_cost", "parent_number"):
            rows = [(row, values[field]) for row, values in changed if field in values]
            if field == "parent_number":
                bulk_update_rows(
                    Lot, ["parent"], [(row.values["pk"], parents.get((self.items[row.values["sku"]].pk, v))) for row, v in rows]
                )
            else:
                bulk_update_rows(Lot, [field], [(row.values["pk"], v) for row, v in rows])
        lots_redate(company_id=company.pk, dates={row.values["pk"]: v["expiry_date"] for row, v in changed if "expiry_date" in v})

    def export_rows(self, company: Company) -> Iterator[list[Any]]:
        queryset = (
            Lot.objects.filter(company=company, kind__in=[LotKind.LOT, LotKind.SERIAL])
            .exclude(kind=LotKind.LOT, item__lot_class__tracking=Tracking.LOT_AND_SERIAL)
            .order_by("item__sku", "number")
            .values_list("item__sku", "number", "parent__number", "expiry_date", "reference", "notes", "unit_cost")
        )
        for values in queryset.iterator(chunk_size=BATCH):
            yield [written(column, value) for column, value in zip(self.columns, values)]


def _lot_ids(company: Company, keys: dict[tuple[int, str], Any]) -> dict[tuple[int, str], int]:
    """The ids of the lots (not serials) of these (item, number) keys."""
    by_item: dict[int, list[str]] = defaultdict(list)
    for item_id, number in keys:
        by_item[item_id].append(number)
    found = {}
    for item_id, numbers in by_item.items():
        queryset = Lot.objects.filter(company=company, item_id=item_id, kind=LotKind.LOT).values_list("number", "pk")
        for number, pk in filter_in_chunks(queryset, "number__any", numbers):
            found[(item_id, number)] = pk
    return found
