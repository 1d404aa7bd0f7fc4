"""Stock on hand: by item, location and lot, unassigned, expiring; the locations' paths."""

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import (
    Balance,
    Company,
    Item,
    Location,
    LocationKind,
    Lot,
    StockSummary,
    Tracking,
)
from ..models.catalog import fully_tracked_q
from ..paging import grouped_pages
from ..quantities import QTY, ZERO


def unassigned_balances(*, company: Company) -> QuerySet[Balance]:
    """Stock of fully tracked items that carries no number yet (seed 000: the unassigned excess)."""
    return (
        Balance.objects.filter(company=company, lot__isnull=True, quantity__gt=0)
        .filter(fully_tracked_q())
        .select_related("item", "location")
        .order_by("item__sku", "location__code")
    )


def expiry_window(*, company: Company, within_days: int | None = None, field: str = "expiry_date", item: str = "item__") -> Q:
    """The expiry dates that count as expired or expiring: on or before ``within_days`` from
    today, or (None) each tracking class's own alert period, on the rows' ``field`` and the class
    of their item (``item`` is the path to it)."""
    from datetime import timedelta

    from ..models import LotSerialClass

    today = timezone.localdate()
    if within_days is not None:
        return Q(**{f"{field}__lte": today + timedelta(days=within_days)})
    alerts = LotSerialClass.objects.filter(company=company, track_expiry=True).values_list("pk", "expiry_alert_days")
    window = Q(pk__in=[])
    for class_id, days in alerts:
        window |= Q(**{f"{item}lot_class_id": class_id, f"{field}__lte": today + timedelta(days=days)})
    return window


def expiring_lots(*, company: Company, within_days: int | None = None) -> QuerySet[Lot]:
    """Lots/serials in stock whose expiry falls within ``within_days`` of today (default: each
    class's alert period), expired ones included."""
    # A serial keeps its in-stock flag; a lot is in stock where a balance of it is positive.
    on_hand = Balance.objects.filter(lot=OuterRef("pk"), quantity__gt=0)
    rows = Lot.objects.filter(company=company, expiry_date__isnull=False).filter(Q(in_stock=True) | Exists(on_hand))
    return rows.filter(expiry_window(company=company, within_days=within_days))


def location_paths(*, company: Company) -> dict[int, str]:
    """Every location's "warehouse / zone / bin" path, from one query instead of one per level."""
    locations = Location.objects.filter(company=company).values_list("pk", "parent_id", "code")
    rows = {pk: (parent_id, code) for pk, parent_id, code in locations}
    paths: dict[int, str] = {}
    for pk in rows:
        parts, node, seen = [], pk, set()
        while node in rows and node not in seen:
            seen.add(node)
            parent_id, code = rows[node]
            parts.append(code)
            node = parent_id
        paths[pk] = " / ".join(reversed(parts))
    return paths


def internal_locations(*, company: Company) -> "QuerySet[Location]":
    """The company's active internal locations, by code: where stock may be put or taken."""
    return Location.objects.filter(company=company, kind=LocationKind.INTERNAL, is_active=True).order_by("code")


def items_with_on_hand(*, company: Company) -> QuerySet[Item]:
    """The company's items with ``on_hand`` (all locations, from the stock summaries: a few rows
    per item, not one per lot) and ``tracking_in_force`` (see Item.tracking)."""
    on_hand = StockSummary.objects.filter(item=OuterRef("pk")).values("item").annotate(total=Sum("quantity")).values("total")
    tracked = Q(is_stocked=True, lot_class__isnull=False, company__tracking_enabled=True)
    return (
        Item.objects.filter(company=company)
        .select_related("lot_class")
        .annotate(
            on_hand=Coalesce(Subquery(on_hand, output_field=QTY), Value(ZERO), output_field=QTY),
            tracking_in_force=Case(When(tracked, then=F("lot_class__tracking")), default=Value(Tracking.NONE), output_field=CharField()),
        )
    )


def internal_locations_with_on_hand(*, company: Company) -> QuerySet[Location]:
    """Internal locations with how many items they hold and how much, from the stock summaries."""
    here = StockSummary.objects.filter(location=OuterRef("pk")).order_by().values("location")
    return Location.objects.filter(company=company, kind=LocationKind.INTERNAL).annotate(
        items=Coalesce(Subquery(here.filter(quantity__gt=0).annotate(n=Count("pk")).values("n")), Value(0)),
        on_hand=Coalesce(Subquery(here.annotate(total=Sum("quantity")).values("total"), output_field=QTY), Value(ZERO), output_field=QTY),
    )


def stock_on_hand(*, company: Company, by: str = "item") -> QuerySet[Balance]:
    """Positive balances at internal locations, in item (SKU) then lot number order, or (``by``
    location) location then lot number: a page of it is read group by group from the balance's
    (item, lot number) or (location, item, lot number) index (inventory/paging.py)."""
    rows = Balance.objects.on_hand().filter(company=company).select_related("item", "lot", "location")
    if by == "location":
        places = Location.objects.filter(company=company, kind=LocationKind.INTERNAL)
        paged = grouped_pages(rows, field="location", order=("code", "id"), within=("lot_number",), groups=places)
    else:
        items = Item.objects.filter(company=company)
        paged = grouped_pages(rows, field="item", order=("sku", "id"), within=("lot_number", "location__code"), groups=items)
    return paged.order_by(*paged.page_order)
