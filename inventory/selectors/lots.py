"""About lots/serials: who received them, where they came from, what refers to them."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce

from ..models import (
    Allocation,
    Balance,
    GenealogyLink,
    LocationKind,
    Lot,
    LotHoldEvent,
    Partner,
    StockMove,
)
from ..quantities import ZERO


def lots_customer_net(*, lot_ids: Iterable[int], partner: Partner | None = None) -> dict[int, Decimal]:
    """Per lot/serial: how much was delivered to ``partner`` (any customer when None), net of what
    came back. Reversals count against what they reverse, since they carry the same document."""

    lot_ids = list(lot_ids)
    if not lot_ids:
        return {}
    moves = StockMove.objects.filter(Q(to_lot_id__in=lot_ids) | Q(from_lot_id__in=lot_ids)).filter(
        Q(to_location__kind=LocationKind.CUSTOMER) | Q(from_location__kind=LocationKind.CUSTOMER)
    )
    if partner is not None:
        moves = moves.filter(document__partner=partner)
    net: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for to_lot, from_lot, to_kind, quantity in moves.values_list("to_lot_id", "from_lot_id", "to_location__kind", "quantity"):
        lot_id = to_lot or from_lot
        net[lot_id] += quantity if to_kind == LocationKind.CUSTOMER else -quantity
    return dict(net)


def lots_supplier_origin(*, lot_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """Per lot/serial: the suppliers it was received from, as (partner name, receipt number)."""

    lot_ids = list(lot_ids)
    if not lot_ids:
        return {}
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = (
        StockMove.objects.filter(to_lot_id__in=lot_ids, from_location__kind=LocationKind.SUPPLIER, reverses__isnull=True)
        .exclude(document__status="reversed")
        .order_by("id")
        .values_list("to_lot_id", "document__partner__name", "document__number")
    )
    for lot_id, name, number in rows:
        found[lot_id].append((name or "an unnamed supplier", number or "no document"))
    return dict(found)


@dataclass(frozen=True)
class LotUsage:
    """What refers to a lot: decides whether it may be archived or deleted."""

    on_hand: bool  # stock of it (or of its serials) in our locations
    reserved_on: str | None  # a draft document that allocates it
    moved: bool
    allocated: bool
    linked: bool  # genealogy
    serials: int  # lot-and-serial: serials labelled with this lot
    held_before: bool  # a hold record exists

    @property
    def deletable(self) -> bool:
        return not (self.moved or self.allocated or self.linked or self.serials or self.held_before or self.on_hand)

    @property
    def archivable(self) -> bool:
        return not (self.on_hand or self.reserved_on)


def lot_usage(*, lot: Lot) -> LotUsage:
    """What refers to ``lot`` (the lot pages' archive and delete decide by it). Two queries: the facts as one row of EXISTS tests, and the draft holding it, if any."""
    here = Lot.objects.filter(pk=lot.pk)
    serials = Lot.objects.filter(parent=OuterRef("pk"))
    in_stock = Balance.objects.on_hand()
    row = here.annotate(
        # Two EXISTS, each on its own index (one OR across the lot join would scan every balance).
        has_stock=Exists(in_stock.filter(lot=OuterRef("pk")))
        | Exists(in_stock.filter(lot__parent=OuterRef("pk")))
        | Exists(serials.filter(in_stock=True))
        | Q(in_stock=True),
        moved=Exists(StockMove.objects.filter(Q(from_lot=OuterRef("pk")) | Q(to_lot=OuterRef("pk")))),
        allocated=Exists(Allocation.objects.filter(lot=OuterRef("pk"))),
        linked=Exists(GenealogyLink.objects.filter(Q(consumed=OuterRef("pk")) | Q(produced=OuterRef("pk")))),
        held=Exists(LotHoldEvent.objects.filter(lot=OuterRef("pk"))),
        serial_count=Coalesce(Subquery(serials.order_by().values("parent").annotate(n=Count("id")).values("n")), 0),
    ).values("has_stock", "moved", "allocated", "linked", "held", "serial_count")[0]
    draft = (
        Allocation.objects.reserving().filter(Q(lot=lot) | Q(lot__parent=lot)).values_list("document__number", flat=True).first()
        if row["allocated"] or row["serial_count"]
        else None
    )
    return LotUsage(
        on_hand=row["has_stock"],
        reserved_on=draft,
        moved=row["moved"],
        allocated=row["allocated"],
        linked=row["linked"],
        serials=row["serial_count"],
        held_before=row["held"],
    )
