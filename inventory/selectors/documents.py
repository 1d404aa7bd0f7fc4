"""About documents: their lines' allocations and what is left to number."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import (
    Count,
    F,
    Q,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber

from ..models import (
    Allocation,
    Document,
    LocationKind,
    StockMove,
)
from .stock import fully_tracked_q


def document_unnumbered(*, document: Document) -> list[tuple[int, str, Decimal]]:
    """The lines of a posted document whose tracked stock came in without numbers: (position,
    item code, quantity). Shown after posting, so nothing is left unnumbered without a word."""
    rows = (
        StockMove.objects.filter(document=document, reverses__isnull=True, to_lot__isnull=True, to_location__kind=LocationKind.INTERNAL)
        .filter(fully_tracked_q())
        .values("line__position", "item__sku")
        .annotate(total=Sum("quantity"))
        .order_by("line__position")
    )
    return [(r["line__position"], r["item__sku"], r["total"]) for r in rows]


def line_summaries(document: Document) -> dict[int, dict]:
    """Per line: allocated quantity, how many numbers, and the first few — three queries in all."""
    summary = defaultdict(lambda: {"allocated": 0, "count": 0, "numbers": []})
    if document.is_draft:
        totals = Allocation.objects.filter(document=document).values("line_id").annotate(q=Sum("quantity"), n=Count("id"))
        first = (
            Allocation.objects.filter(document=document)
            .annotate(row=Window(RowNumber(), partition_by=[F("line_id")], order_by=[F("id").asc()]))
            .filter(row__lte=5)
            .values_list("line_id", "number", "lot__number")
        )
    else:
        moves = StockMove.objects.filter(document=document, reverses__isnull=True)
        totals = moves.values("line_id").annotate(
            q=Sum("quantity"), n=Count("id", filter=Q(from_lot__isnull=False) | Q(to_lot__isnull=False))
        )
        first = (
            moves.filter(Q(from_lot__isnull=False) | Q(to_lot__isnull=False))
            .annotate(row=Window(RowNumber(), partition_by=[F("line_id")], order_by=[F("id").asc()]))
            .filter(row__lte=5)
            .values_list("line_id", "to_lot__number", "from_lot__number")
        )
    for row in totals:
        summary[row["line_id"]].update(allocated=row["q"], count=row["n"])
    for line_id, a, b in first:
        summary[line_id]["numbers"].append(a or b)
    return summary


def document_lines(document: Document) -> list:
    """The document's lines, each with ``summary`` (``line_summaries``), ``remaining`` (quantity
    not yet allocated) and ``numbered`` (whether it takes lot/serial numbers): three queries
    besides the lines, whatever their count or their allocations'."""
    from ..services.moves import number_required

    if document is None:
        return []
    lines = list(document.lines.select_related("item__lot_class", "item__company").order_by("position"))
    summaries = line_summaries(document)
    for line in lines:
        line.summary = summaries[line.pk]
        line.remaining = line.quantity - (line.summary["allocated"] or 0)
        line.numbered = line.item.is_tracked and number_required(line.item, document.from_location, document.to_location)
    return lines


def document_line_numbers(document: Document) -> dict[int, list[tuple[str, Decimal]]]:
    """Per line: every lot/serial number with its quantity, in entry order (allocated on a draft,
    moved on a posted document, reversals left out). One query."""
    numbers: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    if document.is_draft:
        rows = Allocation.objects.filter(document=document).order_by("id").values_list("line_id", "number", "lot__number", "quantity")
        for line_id, number, lot_number, quantity in rows:
            numbers[line_id].append((number or lot_number, quantity))
    else:
        rows = (
            StockMove.objects.filter(document=document, reverses__isnull=True)
            .order_by("id")
            .values_list("line_id", "to_lot__number", "from_lot__number", "quantity")
        )
        for line_id, to_number, from_number, quantity in rows:
            if to_number or from_number:
                numbers[line_id].append((to_number or from_number, quantity))
    return numbers
