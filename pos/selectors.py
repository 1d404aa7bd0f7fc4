"""What the till's pages read: the cart with its numbers, a receipt, the sales with numbers to follow."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from inventory.models import Allocation, DocumentLine, PendingNumbers, StockMove
from inventory.quantities import ZERO

from .models import Register, RegisterSession, Sale, SaleLine, SaleStatus

CENT = Decimal("0.01")


@dataclass
class CartLine:
    line: DocumentLine
    sale_line: SaleLine
    needs_numbers: bool
    numbers: list[tuple[int | None, str, Decimal]] = field(default_factory=list)  # (allocation id, number, quantity)
    numbered: Decimal = ZERO
    to_follow: Decimal = ZERO  # after checkout: still without numbers

    @property
    def missing(self) -> Decimal:
        return max(self.line.quantity - self.numbered, ZERO) if self.needs_numbers else ZERO

    @property
    def amount(self) -> Decimal:
        return self.sale_line.amount(self.line.quantity)


@dataclass
class CartView:
    sale: Sale
    lines: list[CartLine]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO).quantize(CENT)

    @property
    def missing(self) -> Decimal:
        return sum((line.missing for line in self.lines), ZERO)

    @property
    def units(self) -> Decimal:
        return sum((line.line.quantity for line in self.lines), ZERO)


def cart_view(sale: Sale) -> CartView:
    """The cart's lines, prices and numbers: three queries, however many lines and numbers."""
    from inventory.services import number_required

    document = sale.document
    if document is None:
        return CartView(sale, [])
    sale_lines = list(
        SaleLine.objects.filter(sale=sale).select_related("line__item__lot_class", "line__item__company").order_by("line__position")
    )
    lines = []
    numbers: dict[int, list] = defaultdict(list)
    if sale.status == SaleStatus.CART:
        for pk, line_id, number, lot_number, quantity in (
            Allocation.objects.filter(document=document).order_by("pk").values_list("pk", "line_id", "number", "lot__number", "quantity")
        ):
            numbers[line_id].append((pk, lot_number or number, quantity))
        pending: dict[int, Decimal] = {}
    else:
        for line_id, number, quantity in (
            StockMove.objects.filter(document=document, reverses__isnull=True)
            .exclude(from_lot__isnull=True, to_lot__isnull=True)
            .order_by("pk")
            .values_list("line_id", "to_lot__number", "quantity")
        ):
            numbers[line_id].append((None, number, quantity))
        pending = {p.line_id: p.missing for p in PendingNumbers.objects.filter(document=document, is_open=True)}
    for sale_line in sale_lines:
        line = sale_line.line
        item = line.item
        needs = item.is_tracked and number_required(item, document.from_location, document.to_location)
        rows = numbers.get(line.pk, [])
        lines.append(CartLine(line, sale_line, needs, rows, sum((q for _, _, q in rows), ZERO), pending.get(line.pk, ZERO)))
    return CartView(sale, lines)


def sales_of(company_id: int) -> QuerySet[Sale]:
    return Sale.objects.filter(company_id=company_id).select_related("register", "customer", "created_by", "document")


def open_carts(session: RegisterSession) -> QuerySet[Sale]:
    return Sale.objects.filter(session=session, status=SaleStatus.CART).order_by("-pk")


def registers_for(company_id: int) -> QuerySet[Register]:
    return Register.objects.filter(company_id=company_id, is_active=True).select_related("location").order_by("code")


def numbers_to_follow(company_id: int) -> QuerySet[PendingNumbers]:
    """The sales whose numbers are still to be assigned, oldest first (the follow-up list)."""
    return (
        PendingNumbers.objects.filter(company_id=company_id, is_open=True, document__sale__isnull=False)
        .select_related("document__sale__register", "document__sale__created_by", "item", "line", "partner", "location")
        .order_by("created_at", "pk")
    )
