"""Reads of the Lots/Serial Numbers pages (seed 002): the list with quantities on hand, one lot's
locations, history and what still refers to it. Each is a fixed number of queries whatever the
number of rows."""

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Case, CharField, Count, Min, Q, QuerySet, Sum, Value, When

from inventory.models import Balance, Company, Item, LocationKind, Lot, LotHoldEvent, StockMove, Tracking
from inventory.paging import grouped_pages
from inventory.quantities import ZERO


def _of_lot_or_its_serials(lot: Lot) -> Q:
    """Balances of ``lot`` and, for a lot-and-serial lot, of the serials labelled with it: such a
    lot's stock is kept on its serials, never on the lot itself. The serials are named by id, so
    the read stays on the balance's lot index (an OR through the lot table would scan them all)."""
    if lot.item.tracking != Tracking.LOT_AND_SERIAL:
        return Q(lot_id=lot.pk)
    return Q(lot_id__in=[lot.pk, *Lot.objects.filter(parent=lot).values_list("pk", flat=True)])


def lots_with_on_hand(*, company: Company) -> QuerySet[Lot]:
    """The company's lots/serials with ``on_hand`` (``LotQuerySet.with_on_hand``), read product by
    product in the list's order."""
    lots = Lot.objects.filter(company=company).select_related("item", "company").with_on_hand()
    # Grouped by product: SKU order, then the (company, item, number) index within each product.
    return grouped_pages(lots, field="item", order=("sku", "id"), within=("number",), groups=Item.objects.filter(company=company))


def lot_product_totals(*, lots: QuerySet[Lot], item_ids: Iterable[int]) -> dict[int, dict]:
    """Per product ``item_ids`` (those shown) of ``lots`` (a filtered ``lots_with_on_hand``): how
    many lots and their total quantity on hand, over the whole filtered set.

    The quantity is the set's balances at internal locations, each counted once: a lot-and-serial
    lot's stock lies on its serials, so those count with their lot when it is in the set (and not
    again on their own). Read from the balances by item, not lot by lot.
    """
    chosen = lots.filter(item_id__in=list(item_ids)).order_by()
    totals = {row["item_id"]: {**row, "quantity": ZERO} for row in chosen.values("item_id").annotate(lots=Count("id"))}
    if not totals:
        return {}
    ids = chosen.values("pk")
    internal = Balance.objects.internal().filter(item_id__in=list(totals)).order_by()
    sums = [internal.filter(lot__in=ids)]
    lot_serial = list(Item.objects.filter(pk__in=list(totals), lot_class__tracking=Tracking.LOT_AND_SERIAL).values_list("pk", flat=True))
    if lot_serial:
        sums.append(internal.filter(item_id__in=lot_serial, lot__parent__in=ids).exclude(lot__in=ids))
    for rows in sums:
        for row in rows.values("item_id").annotate(total=Sum("quantity")):
            totals[row["item_id"]]["quantity"] += row["total"] or ZERO
    return totals


def lot_on_hand(*, lot: Lot) -> Decimal:
    """On hand at internal locations; for a lot-and-serial lot, its serials' stock."""
    return Balance.objects.internal().filter(_of_lot_or_its_serials(lot)).aggregate(total=Sum("quantity"))["total"] or ZERO


def lot_locations(*, lot: Lot) -> QuerySet[Balance]:
    """Where the lot is (a lot-and-serial lot: where its serials are): the positive quantity per
    internal location, with the date the first of it arrived."""
    return (
        Balance.objects.on_hand()
        .filter(_of_lot_or_its_serials(lot))
        .order_by("location__code")
        .values("location_id", "location__code")
        .annotate(quantity=Sum("quantity"), first_in_at=Min("first_in_at"))
    )


def lot_history(*, lot: Lot) -> QuerySet[StockMove]:
    """Every move of the lot (stock of it leaving, arriving, or being numbered with it), newest
    first, with ``effect``: ``in`` (into our stock), ``out`` (out of it) or ``moved`` (between two
    of our locations, or between two outside ones)."""
    into = Q(to_lot=lot, to_location__kind=LocationKind.INTERNAL)
    out_of = Q(from_lot=lot, from_location__kind=LocationKind.INTERNAL)
    return (
        StockMove.objects.filter(Q(from_lot=lot) | Q(to_lot=lot))
        .select_related("document__partner", "from_location", "to_location", "created_by")
        .annotate(
            effect=Case(
                When(into & ~out_of, then=Value("in")),
                When(out_of & ~into, then=Value("out")),
                default=Value("moved"),
                output_field=CharField(),
            )
        )
        .order_by("-created_at", "-id")
    )


def lot_hold_events(*, lot: Lot) -> QuerySet[LotHoldEvent]:
    return LotHoldEvent.objects.filter(lot=lot).select_related("created_by").order_by("-created_at", "-id")


def tracked_items(*, company: Company, active_only: bool = False) -> QuerySet[Item]:
    """Stocked items of the company numbered by lot or serial: what the list filters by, and
    (``active_only``) what a new lot can be created for."""
    items = (
        Item.objects.filter(company=company, is_stocked=True, lot_class__isnull=False)
        .exclude(lot_class__tracking=Tracking.NONE)
        .select_related("lot_class", "company")
        .order_by("sku")
    )
    return items.filter(is_active=True) if active_only else items


def lot_production(*, lot: Lot) -> list[dict]:
    """The production documents that made this lot/serial or consumed it (seed 002: "view its
    production history"), with the work order they belong to (the documents' reference), newest
    first; reversed production is left out. One query."""
    from inventory.models import DocumentKind, DocumentStatus

    rows = (
        StockMove.objects.filter(Q(to_lot=lot) | Q(from_lot=lot))
        .filter(
            document__kind__in=[DocumentKind.PRODUCTION_OUTPUT, DocumentKind.PRODUCTION_ISSUE],
            reverses__isnull=True,
        )
        .exclude(document__status=DocumentStatus.REVERSED)
        .values("document_id", "document__number", "document__kind", "document__reference", "document__date")
        .annotate(quantity=Sum("quantity"))
        .order_by("-document__date", "-document_id")
    )
    return [{**row, "made": row["document__kind"] == DocumentKind.PRODUCTION_OUTPUT} for row in rows]
