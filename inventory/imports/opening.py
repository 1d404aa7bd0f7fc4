"""Opening stock: what is on the shelves when the company starts (item, location, lot/serial,
quantity, unit cost), posted through the posting service as one adjustment document per
import. A file imported already is refused by its hash, naming the earlier import."""

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import locks
from ..bulk import filter_in_chunks
from ..compiled import Compiled
from ..models import (
    Balance,
    Company,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    ImportResult,
    ImportRun,
    Item,
    ItemCost,
    Location,
    LocationKind,
    Lot,
    LotKind,
    MoveReason,
    StockMove,
)
from ..quantities import ZERO, QuantityError, quantity_read
from ..services.base import acting_user
from ..services.costing.lots import lot_cost_expression
from ..services.costing.sql import COST_QUANTUM
from ..services.documents import document_create
from ..services.moves import MoveSpec, number_required
from ..services.posting import moves_write_batches
from ..services.setup import virtual_location
from . import reading as r
from .base import Column, Context, Kind, Outcome, Row, written
from .setup import _money

POST_BATCH = 20_000  # moves given to the posting service at once (one transaction for all)
LOOKUP_BATCH = 100_000  # numbers looked up at once


def _quantity(value: str, context: Context) -> Decimal:
    if not value.strip():
        raise ValueError("is empty: a quantity is required")
    try:
        return quantity_read(value.strip())
    except QuantityError as error:
        raise ValueError(str(error)) from None


class OpeningStock(Kind):
    name = "opening_stock"
    label = "Opening stock"
    model = StockMove
    key = ("sku", "location_code", "number")
    columns = [
        Column("Item code", "sku", lambda v, c: r.text(v, max_length=60, required=True), required=True, aliases=("item", "sku")),
        Column("Location", "location_code", lambda v, c: r.text(v, max_length=40, required=True), required=True),
        Column("Lot/serial number", "number", lambda v, c: r.text(v, max_length=80), aliases=("number", "lot", "serial")),
        Column("Quantity", "quantity", _quantity, required=True),
        Column("Unit cost", "unit_cost", _money, aliases=("cost",)),
    ]

    filled = (StockMove, Balance, Lot)

    def __init__(self) -> None:
        self.items: dict[str, Item] = {}  # by code, those the file names
        self.serial: set[str] = set()  # codes of serial items
        self.tracked: set[str] = set()  # codes of items tracked by lot or serial
        self._codes_asked: set[str] = set()
        # Per item, number → lot id (a million of them: no tuple per lot), and the few in stock.
        self.lot_ids: dict[int, dict[str, int]] = defaultdict(dict)
        self.in_stock: dict[tuple[int, str], int | None] = {}

    def rows_arrived(self, rows: list[Row], context: Context) -> None:
        """The items a chunk of the file names, and the lots it names of those tracked, looked
        up while the next chunk is parsed."""
        self._items_load({row.values.get("sku") for row in rows}, context)
        wanted: dict[int, list[str]] = defaultdict(list)
        items, tracked = self.items, self.tracked
        for row in rows:
            v = row.values
            number, sku = v.get("number"), v.get("sku")
            if number and sku in tracked:
                wanted[items[sku].id].append(number)
        company = context.company.pk
        for item_id, numbers in wanted.items():
            ids = self.lot_ids[item_id]
            for start in range(0, len(numbers), LOOKUP_BATCH):
                for number, pk, stocked, last in _LOTS_NAMED.rows(
                    company=company, item=item_id, numbers=numbers[start : start + LOOKUP_BATCH]
                ):
                    ids[number] = pk
                    if stocked:
                        self.in_stock[(item_id, number)] = last

    def _items_load(self, codes: set[str | None], context: Context) -> None:
        codes = {code for code in codes if code} - self._codes_asked
        if not codes:
            return
        self._codes_asked |= codes
        for item in filter_in_chunks(Item.objects.filter(company=context.company).select_related("lot_class", "company"), "sku__in", codes):
            self.items[item.sku] = item
            # What each item is, read once (a million rows name a few items).
            if item.is_serial:
                self.serial.add(item.sku)
            if item.is_tracked:
                self.tracked.add(item.sku)

    def duplicates_check(self, rows: list[Row], context: Context) -> None:
        """A serial twice anywhere in the file; a lot, or an item without numbers, twice at one place."""
        self._items_load({row.values.get("sku") for row in rows}, context)
        first: dict[tuple, int] = {}
        number_column, location_column = self.columns[2], self.columns[1]
        serial, items = self.serial, self.items
        for row in rows:
            v = row.values
            sku, number, code = v.get("sku"), v.get("number") or "", v.get("location_code")
            if sku not in items or code is None:
                continue
            key = (sku, number) if number and sku in serial else (sku, code, number)
            seen = first.setdefault(key, row.line)
            if seen != row.line:
                column = number_column if number else location_column
                context.problem(row, column, f"{number or f'{sku} at {code}'} appears twice in this file, also row {seen:,}")

    def lock(self, context: Context, sha256: str) -> None:
        """The company's row first (one opening-stock import at a time), then the earlier imports."""
        locks.company_lock(context.company.pk)
        earlier = (
            ImportRun.objects.filter(company=context.company, kind=self.name, file_sha256=sha256, result=ImportResult.DONE)
            .select_related("user", "document")
            .first()
        )
        if earlier is not None:
            who = f" by {earlier.user}" if earlier.user else ""
            posted = f" as {earlier.document.number}" if earlier.document else ""
            when = timezone.localtime(earlier.finished_at).strftime("%Y-%m-%d %H:%M")
            context.problem(
                0,
                "",
                f"this file was imported already (import #{earlier.pk}, {when}{who}, {earlier.rows:,} rows{posted}): nothing is posted twice",
            )

    def existing(self, context: Context, rows: list[Row]) -> dict[tuple, dict[str, Any]]:
        return {}  # every row is new stock

    def resolve(self, rows: list[Row], context: Context) -> None:
        company = context.company
        self.locations = {
            loc.code: loc for loc in Location.objects.filter(company=company, code__in={row.values.get("location_code") for row in rows})
        }
        self.adjustment = virtual_location(company, LocationKind.ADJUSTMENT)
        sku_column, location_column, number_column = self.columns[0], self.columns[1], self.columns[2]
        required: dict[tuple[str, str], bool] = {}  # (item, location) → a number is needed there
        for row in rows:
            v = row.values
            sku, code = v.get("sku"), v.get("location_code")
            item, location = self.items.get(sku), self.locations.get(code)
            if sku and item is None:
                context.problem(row, sku_column, f"no item with code {sku}")
            if code and location is None:
                context.problem(row, location_column, f"no location {code}")
            elif location is not None and (location.is_virtual or not location.is_active):
                state = "virtual" if location.is_virtual else "archived"
                context.problem(row, location_column, f"{location.code} is {state}: stock is kept at active internal locations")
                location = None
            if item is None or location is None:
                continue
            if not item.is_stocked:
                context.problem(row, sku_column, f"{item.sku} is not stocked: it has no stock to open")
                continue
            number = v.get("number", "")
            if sku not in self.tracked:
                if number:
                    context.problem(row, number_column, f"{item.sku} is not tracked by lot or serial number: leave this empty")
            elif not number:
                needed = required.get((sku, code))
                if needed is None:
                    needed = required[(sku, code)] = number_required(item, self.adjustment, location)
                if needed:
                    context.problem(row, number_column, f"{item.sku} is tracked: give its lot/serial number")
            if sku in self.serial and v.get("quantity") is not None and v["quantity"] != 1:
                context.problem(row, self.columns[3], f"{number or item.sku} is a serial number: its quantity is 1")
        # The lots the file names were looked up as it was read (``rows_arrived``): under the
        # lock, posting checks their state again.
        in_stock = self.in_stock
        codes = dict(Location.objects.filter(company=company).values_list("pk", "code")) if in_stock else {}
        for row in rows:
            v = row.values
            sku = v.get("sku")
            if sku not in self.tracked or not v.get("number"):
                continue
            item = self.items[sku]
            if v["number"] not in self.lot_ids[item.id]:
                context.problem(row, number_column, f"no lot/serial {v['number']} of {item.sku} (import it with the lots kind first)")
            elif sku in self.serial and (item.id, v["number"]) in in_stock:
                context.problem(
                    row, number_column, f"{v['number']} is in stock already, at {codes.get(in_stock[(item.id, v['number'])], '?')}"
                )

    def write(self, new: list[Row], changed: list[tuple[Row, dict[str, Any]]], context: Context, outcome: Outcome) -> None:
        if not new:
            return
        company, user = context.company, context.user
        first = self.locations[new[0].values["location_code"]]
        document = document_create(
            company=company, kind=DocumentKind.ADJUSTMENT, to_location=first, user=user, reference="Opening stock", notes=self.file_name
        )
        totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for row in new:
            totals[self.items[row.values["sku"]].id] += row.values["quantity"]
        lines = DocumentLine.objects.bulk_create(
            [
                DocumentLine(company=company, document=document, position=position, item_id=item_id, quantity=quantity)
                for position, (item_id, quantity) in enumerate(totals.items(), start=1)
            ]
        )
        line_of = {line.item_id: line.pk for line in lines}
        now = timezone.now()
        Document.objects.filter(pk=document.pk).update(
            status=DocumentStatus.POSTED,
            posted_at=now,
            posted_by=acting_user(user),
            line_count=len(lines),
            total_quantity=sum(totals.values(), ZERO),
        )
        moves_write_batches(
            company=company,
            batches=self._batches(new, line_of),
            reason=MoveReason.ADJUSTMENT,
            user=user,
            document=document,
            on=document.date,
        )
        outcome.document_id = document.pk

    def _batches(self, new: list[Row], line_of: dict[int, int]) -> Iterator[list[MoveSpec]]:
        """The rows' moves, ``POST_BATCH`` at a time, made as the posting service takes them."""
        items, locations, lot_ids, adjustment = self.items, self.locations, self.lot_ids, self.adjustment
        for start in range(0, len(new), POST_BATCH):
            specs = []
            for row in new[start : start + POST_BATCH]:
                v = row.values
                item = items[v["sku"]]
                number = v.get("number")
                specs.append(
                    MoveSpec(
                        item=item,
                        quantity=v["quantity"],
                        from_location=adjustment,
                        to_location=locations[v["location_code"]],
                        to_lot_id=lot_ids[item.id][number] if number else None,
                        unit_cost=v.get("unit_cost"),
                        line_id=line_of[item.id],
                    )
                )
            yield specs

    def export_rows(self, company: Company) -> Iterator[list[Any]]:
        """What is in stock now, as an opening-stock file: each numbered balance at its lot's cost;
        the serials of items whose stock is kept per item (tracked inside the company less than
        fully) one by one, where they last arrived; what is left without numbers at the item's
        average cost of it (the value of that stock kept)."""
        average = {
            item_id: ((value - consumed) / quantity).quantize(COST_QUANTUM)
            for item_id, value, consumed, quantity in ItemCost.objects.filter(company=company, unnumbered__gt=0).values_list(
                "item_id", "unbound_value", "unbound_consumed_value", "unnumbered"
            )
        }
        balances = (
            Balance.objects.filter(company=company, quantity__gt=0, location__kind=LocationKind.INTERNAL)
            .annotate(cost=lot_cost_expression(joined=True))
            .order_by("item__sku", "location__code", "lot__number")
            .values_list("item_id", "location_id", "item__sku", "location__code", "lot__number", "quantity", "cost")
        )
        loose = {
            item.pk
            for item in Item.objects.filter(company=company).select_related("lot_class", "company")
            if item.is_serial and not item.binds_lots
        }
        for item_id, location_id, sku, code, number, quantity, cost in balances.iterator(chunk_size=5000):
            if number is not None:
                yield self._exported(sku, code, number, quantity, cost)
                continue
            if item_id in loose:
                for serial, serial_cost in _serials_at(item_id, location_id):
                    quantity -= 1
                    yield self._exported(sku, code, serial, Decimal(1), serial_cost)
            if quantity > 0:
                yield self._exported(sku, code, "", quantity, average.get(item_id, cost))

    def _exported(self, *values: Any) -> list[Any]:  # noqa: ANN401 - the columns' values
        return [written(column, value) for column, value in zip(self.columns, values)]


_LOTS_NAMED = Compiled(  # (number, id, in stock, last location) of the item's lots with these numbers
    lambda company, item, numbers: Lot.objects.filter(company_id=company, item_id=item, number__any=numbers).values_list(
        "number", "pk", "in_stock", "last_location_id"
    ),
    arrays=["numbers"],
    chunked="numbers",
)


def _serials_at(item_id: int, location_id: int) -> list[tuple[str, Decimal]]:
    """The serials of an item kept per item that are in stock at a location (their last arrival)."""
    first = StockMove.objects.filter(to_lot=OuterRef("pk"), to_location__kind=LocationKind.INTERNAL).order_by("created_at", "pk")
    money = DecimalField(max_digits=18, decimal_places=4)
    return list(
        Lot.objects.filter(item_id=item_id, in_stock=True, last_location_id=location_id, kind=LotKind.SERIAL)
        .annotate(cost=Coalesce(F("unit_cost"), Subquery(first.values("unit_cost")[:1], output_field=money), F("item__unit_cost")))
        .order_by("number")
        .values_list("number", "cost")
    )
