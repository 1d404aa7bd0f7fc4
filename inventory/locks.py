"""Every row lock is taken here, in one global order:

    company (an import that posts opening stock: one at a time per company; before all else)
    → work order, register session, sale (manufacturing's and the till's, through ``row_lock``:
               before any row of inventory)
             → document → its line (a draft line changed) or its numbers to follow
             → item (while numbers are allocated) → numbering counters (document numbers,
               lot/serial numbers; one at a time)
             → lots/serials (primary key order, whether asked for by id or by number)
             → balances (primary key order)
             → stock summaries ((item, location) order, taken by the upsert that adds to them)
             → expiry summaries ((item, location, expiry date) order, the same way)
             → item cost rows (item order, taken by the upsert that adds to them; then each
               item's cost layers, which only a holder of its cost row writes)

Two transactions that follow this order can wait for each other but never deadlock.
Rows that do not exist yet are inserted first, in sorted key order, for the same reason.
Rows come back as plain tuples: the posting path handles tens of thousands of them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Q, QuerySet

from .bulk import filter_in_chunks
from .compiled import Compiled
from .models import Balance, Company, Counter, Document, DocumentLine, Item, Lot, LotKind, PendingNumbers


def of_self() -> dict:
    """Lock only the rows of the queried table, not the rows select_related joins in."""
    return {"of": ("self",)} if connection.features.has_select_for_update_of else {}


def company_lock(company_id: int) -> None:
    """The company's row: opening-stock imports of one company take their turn."""
    list(Company.objects.select_for_update().filter(pk=company_id).values_list("pk", flat=True))


def document_lock(document_id: int) -> Document:
    return one(_DOCUMENT.objects(document=document_id), Document)


_DOCUMENT = Compiled(
    lambda document: (
        Document.objects.select_for_update(**of_self()).select_related("company", "from_location", "to_location").filter(pk=document)
    )
)


def row_lock[M](queryset: QuerySet[M], pk: int) -> M:
    """One row of ``queryset`` (only its own table's row, not what it joins), for the rows of the
    apps above inventory that come first in the order: a work order."""
    return queryset.select_for_update(**of_self()).get(pk=pk)


def one[M](found: list[M], model: type[M]) -> M:
    """The one instance a compiled query by primary key found, as ``get`` gives it."""
    if not found:
        raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
    return found[0]


def line_lock(line_id: int) -> DocumentLine:
    """A draft's line, after its document."""
    return DocumentLine.objects.select_for_update().get(pk=line_id)


def pending_numbers_lock(pending_id: int) -> PendingNumbers:
    """What a posted line still lacks, after its document."""
    return PendingNumbers.objects.select_for_update().get(pk=pending_id)


def pending_numbers_of_document_lock(document_id: int) -> list[PendingNumbers]:
    """A document's open numbers to follow, after the document (primary-key order)."""
    return list(PendingNumbers.objects.select_for_update().filter(document_id=document_id, is_open=True).order_by("pk"))


def counter_lock(*, company_id: int, key: str, initial: int) -> Counter:
    """A numbering counter (made at ``initial`` when it is the first use), locked: two
    transactions never hand out one number."""
    Counter.objects.get_or_create(company_id=company_id, key=key, defaults={"next_value": initial})
    return Counter.objects.select_for_update().get(company_id=company_id, key=key)


def item_lock(item_id: int) -> None:
    """Serialise the allocation of numbers to one item: two drafts cannot claim one new number."""
    _ITEM.rows(item=item_id)


_ITEM = Compiled(lambda item: Item.objects.select_for_update().filter(pk=item).values_list("pk"))


@dataclass(slots=True)
class LotState:
    id: int
    item_id: int
    number: str
    kind: str
    status: str
    hold_reason: str
    expiry_date: date | None
    unit_cost: Decimal | None
    in_stock: bool
    last_location_id: int | None
    received_at: datetime | None
    parent_status: str | None  # lot-and-serial: a hold on the lot holds its serials
    parent_hold_reason: str | None

    @property
    def is_serial(self) -> bool:
        return self.kind == LotKind.SERIAL


LOT_STATE_FIELDS = [
    "id",
    "item_id",
    "number",
    "kind",
    "status",
    "hold_reason",
    "expiry_date",
    "unit_cost",
    "in_stock",
    "last_location_id",
    "received_at",
    "parent__status",
    "parent__hold_reason",
]


def lot_lock(lot_id: int) -> Lot:
    """One lot/serial, to change its record (archive, restore, delete): posting locks lots too (by
    primary key), so no move slips in between the check and the change."""
    return Lot.objects.select_for_update().get(pk=lot_id)


def lot_rows_lock(lot_ids: Iterable[int], **conditions: object) -> list[Lot]:
    """The lots/serials of ``lot_ids`` that meet ``conditions``, as rows to change (a hold)."""
    return list(Lot.objects.select_for_update().filter(pk__in=sorted(set(lot_ids)), **conditions).order_by("pk"))


def lots_by_number_lock(*, item: Item, numbers: list[str], fields: list[str]) -> list[tuple]:
    """The item's lots/serials with these numbers, locked in primary-key order: ``fields`` of each."""
    query = _LOTS_BY_NUMBER.get(tuple(fields))
    if query is None:
        query = _LOTS_BY_NUMBER[tuple(fields)] = Compiled(
            lambda company, item, numbers: (
                Lot.objects.select_for_update(**of_self())
                .filter(company_id=company, item_id=item, number__any=numbers)
                .order_by("pk")
                .values_list(*fields)
            ),
            arrays=["numbers"],
            chunked="numbers",
        )
    return query.rows(company=item.company_id, item=item.pk, numbers=list(dict.fromkeys(numbers)))


_LOTS_BY_NUMBER: dict[tuple[str, ...], Compiled] = {}


_LOTS = Compiled(
    lambda ids: Lot.objects.select_for_update(**of_self()).filter(pk__any=ids).order_by("pk").values_list(*LOT_STATE_FIELDS),
    arrays=["ids"],
)


def lots_lock(lot_ids: Iterable[int]) -> dict[int, LotState]:
    return lot_states(lots_lock_rows(lot_ids))


def lots_lock_rows(lot_ids: Iterable[int]) -> list[tuple]:
    """The lots locked, as rows of ``LOT_STATE_FIELDS`` (``lot_states`` makes them states)."""
    ids = sorted(set(lot_ids))
    if not ids:
        return []
    return _LOTS.rows(ids=ids)


def lot_states(rows: list[tuple]) -> dict[int, LotState]:
    return {row[0]: LotState(*row) for row in rows}


@dataclass(slots=True)
class BalanceRow:
    id: int | None
    item_id: int
    lot_id: int | None
    location_id: int
    quantity: Decimal
    is_serial: bool
    first_in_at: datetime | None


def balances_lock(*, item_ids: set[int], lot_ids: set[int], location_ids: set[int], unnumbered: bool) -> list[BalanceRow]:
    """Lock every balance row that may be touched, in primary-key order.

    Over-locks a little (the cross product of the sets) to keep it one query.
    """
    if not location_ids:
        return []
    if lot_ids and unnumbered:
        rows = _BALANCES_BOTH.rows(lots=sorted(lot_ids), items=sorted(item_ids), locations=sorted(location_ids))
    elif lot_ids:
        rows = _BALANCES_OF_LOTS.rows(lots=sorted(lot_ids), locations=sorted(location_ids))
    elif unnumbered:
        rows = _BALANCES_UNNUMBERED.rows(items=sorted(item_ids), locations=sorted(location_ids))
    else:
        return []
    return [BalanceRow(*row) for row in rows]


def _balances(condition: Q) -> QuerySet:
    return (
        Balance.objects.select_for_update()
        .filter(condition)
        .order_by("pk")
        .values_list("id", "item_id", "lot_id", "location_id", "quantity", "is_serial", "first_in_at")
    )


def _of_lots(lots: list[int], locations: list[int]) -> Q:
    return Q(lot_id__any=lots, location_id__any=locations)


def _unnumbered(items: list[int], locations: list[int]) -> Q:
    return Q(lot__isnull=True, item_id__any=items, location_id__any=locations)


_BALANCES_OF_LOTS = Compiled(lambda lots, locations: _balances(_of_lots(lots, locations)), arrays=["lots", "locations"])
_BALANCES_UNNUMBERED = Compiled(lambda items, locations: _balances(_unnumbered(items, locations)), arrays=["items", "locations"])
_BALANCES_BOTH = Compiled(
    lambda lots, items, locations: _balances(_of_lots(lots, locations) | _unnumbered(items, locations)),
    arrays=["lots", "items", "locations"],
)


@dataclass(slots=True)
class DatedBalance:
    item_id: int
    location_id: int
    quantity: Decimal
    expiry_date: date | None


def balances_of_lots(lot_ids: Iterable[int]) -> list[tuple[int, int, DatedBalance]]:
    """Lock the balances of these lots/serials, in primary-key order: (balance id, lot id, the
    balance) of each (their expiry dates changing)."""
    rows = (
        Balance.objects.select_for_update(**of_self())
        .order_by("pk")
        .values_list("pk", "lot_id", "item_id", "location_id", "quantity", "expiry_date")
    )
    return [(pk, lot_id, DatedBalance(*rest)) for pk, lot_id, *rest in filter_in_chunks(rows, "lot_id__any", lot_ids)]
