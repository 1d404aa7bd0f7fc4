"""What a draft line may take: candidates, reservations, what is available unnumbered."""

from decimal import Decimal

from django.db.models import (
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import (
    Allocation,
    Balance,
    Document,
    DocumentLine,
    IssueMethod,
    Item,
    Location,
    Lot,
    LotKind,
    LotStatus,
    StockSummary,
)
from ..quantities import QTY, ZERO

ISSUE_ORDER = {
    IssueMethod.FIFO: ["first_in_at", "lot__received_at", "lot_id"],
    IssueMethod.LIFO: ["-first_in_at", "-lot__received_at", "-lot_id"],
    IssueMethod.SEQUENTIAL: ["lot__number", "lot_id"],
    IssueMethod.EXPIRATION: [F("lot__expiry_date").asc(nulls_last=True), "first_in_at", "lot_id"],
    IssueMethod.MANUAL: ["lot__number", "lot_id"],
}


def reserved_subquery(*, exclude_document_id: int | None = None) -> Subquery:
    rows = Allocation.objects.reserving().filter(outgoing=True, lot=OuterRef("lot"), location=OuterRef("location"))
    if exclude_document_id is not None:
        rows = rows.exclude(document_id=exclude_document_id)
    return Subquery(rows.values("lot").annotate(total=Sum("quantity")).values("total")[:1], output_field=QTY)


def allocation_candidates(*, line: DocumentLine, include_unavailable: bool = False) -> QuerySet[Lot]:
    """Lots/serials of the line's item at its source location, in the class's issue-method order.

    Annotated with ``reserved`` (by any draft) and ``available``. Expired, held and archived lots
    are left out unless ``include_unavailable``.
    """
    document = line.document
    item = line.item
    rows = (
        Balance.objects.filter(item=item, location=document.from_location, lot__isnull=False, quantity__gt=0)
        .select_related("lot")
        .annotate(reserved=Coalesce(reserved_subquery(), Value(ZERO), output_field=QTY))
        .annotate(available=F("quantity") - F("reserved"))
    )
    if not include_unavailable:
        today = timezone.localdate()
        rows = (
            rows.filter(available__gt=0, lot__status=LotStatus.ACTIVE)
            .exclude(lot__expiry_date__lt=today)
            .exclude(lot__parent__status__in=[LotStatus.ON_HOLD, LotStatus.ARCHIVED])
        )
    method = item.lot_class.issue_method if item.lot_class else IssueMethod.FIFO
    return rows.order_by(*ISSUE_ORDER[method])


def loose_candidates(*, line: DocumentLine) -> QuerySet[Lot]:
    """Serials of a loosely bound item believed in stock (seed 003: any location), not yet promised."""
    item = line.item
    today = timezone.localdate()
    promised = Allocation.objects.reserving().filter(outgoing=True, lot__isnull=False, item=item).values("lot_id")
    rows = (
        Lot.objects.filter(item=item, kind=LotKind.SERIAL, in_stock=True, status=LotStatus.ACTIVE)
        .exclude(expiry_date__lt=today)
        .exclude(parent__status__in=[LotStatus.ON_HOLD, LotStatus.ARCHIVED])
        .exclude(pk__in=promised)
    )
    method = item.lot_class.issue_method if item.lot_class else IssueMethod.FIFO
    order = {
        IssueMethod.LIFO: ["-received_at", "-id"],
        IssueMethod.SEQUENTIAL: ["number"],
        IssueMethod.EXPIRATION: [F("expiry_date").asc(nulls_last=True), "received_at", "id"],
    }.get(method, ["received_at", "id"])
    return rows.order_by(*order)


def unnumbered_available(*, item: Item, location: Location) -> Decimal:
    """Unnumbered quantity at a location less what drafts will number and take from it."""
    on_hand = Balance.objects.filter(item=item, location=location, lot__isnull=True).values_list("quantity", flat=True).first() or ZERO
    promised = (
        Allocation.objects.reserving()
        .filter(item=item, location=location, lot__isnull=True, outgoing=True)
        .aggregate(total=Sum("quantity"))["total"]
        or ZERO
    )
    return on_hand - promised


def sellable_without_numbers(*, item: Item, location: Location, exclude_document_id: int | None = None) -> Decimal:
    """What of an item at a location may still leave without its numbers (a till's sale, seed 004):
    stock that could be issued (not on hold, archived or expired, nor its lot), less what drafts
    promise (``exclude_document_id``'s own allocations aside) and what already awaits numbers."""
    today = timezone.localdate()
    issuable = (
        Balance.objects.filter(item=item, location=location, quantity__gt=0)
        .filter(
            Q(lot__isnull=True) | (Q(lot__status=LotStatus.ACTIVE) & (Q(lot__expiry_date__isnull=True) | Q(lot__expiry_date__gte=today)))
        )
        .exclude(lot__parent__status__in=[LotStatus.ON_HOLD, LotStatus.ARCHIVED])
        .aggregate(total=Sum("quantity"))["total"]
        or ZERO
    )
    promised = Allocation.objects.reserving().filter(item=item, location=location, outgoing=True)
    if exclude_document_id is not None:
        promised = promised.exclude(document_id=exclude_document_id)
    held = StockSummary.objects.filter(item=item, location=location).values_list("awaiting_numbers", flat=True).first() or ZERO
    return issuable - (promised.aggregate(total=Sum("quantity"))["total"] or ZERO) - held


def unavailable_summary(*, item: Item, location: Location, document: Document | None = None) -> str:
    """What of an item lies at a location but cannot be issued, in words: "30 on hold (supplier
    recall), 5 expired, 4 promised to DL-000012". Empty when nothing is held back."""
    today = timezone.localdate()
    balances = Balance.objects.filter(item=item, location=location, lot__isnull=False, quantity__gt=0)
    parts = []
    held = (
        balances.filter(Q(lot__status=LotStatus.ON_HOLD) | Q(lot__parent__status=LotStatus.ON_HOLD))
        .annotate(why=Coalesce(F("lot__hold_reason"), Value("")))
        .values("why")
        .annotate(total=Sum("quantity"))
        .order_by("why")
    )
    for row in held:
        parts.append(f"{row['total'].normalize():f} on hold" + (f" ({row['why']})" if row["why"] else ""))
    archived = balances.filter(Q(lot__status=LotStatus.ARCHIVED) | Q(lot__parent__status=LotStatus.ARCHIVED)).aggregate(t=Sum("quantity"))[
        "t"
    ]
    if archived:
        parts.append(f"{archived.normalize():f} archived")
    expired = balances.filter(lot__expiry_date__lt=today, lot__status=LotStatus.ACTIVE).aggregate(t=Sum("quantity"))["t"]
    if expired:
        parts.append(f"{expired.normalize():f} expired")
    promised = Allocation.objects.reserving().filter(item=item, location=location, outgoing=True)
    if document is not None:
        promised = promised.exclude(document=document)
    for number, total in promised.values_list("document__number").annotate(total=Sum("quantity")).order_by("document__number")[:5]:
        parts.append(f"{total.normalize():f} promised to {number}")
    return ", ".join(parts)
