"""Checkout and refunds.

Checkout posts the cart's draft delivery through the posting service in one transaction: the
numbers scanned leave with their units; what a tracked line still lacks leaves too, its numbers
to follow (``inventory.PendingNumbers``: held out of the stock until assigned, never blocking the
queue, seed 004). Under the lock every number is judged again, so a checkout that lost a race
names the serial and posts nothing of that sale. A repeat of a finished checkout is answered with
the sale as it was: it never writes twice.

A refund takes back only what the sale sold, less what its refunds took already: numbers by
number, unnumbered goods by quantity. It is a posted customer return to the register's location
(or its quarantine location).
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from inventory import locks
from inventory.compiled import Compiled, fields_save
from inventory.exceptions import InventoryError
from inventory.models import Document, DocumentKind, DocumentStatus, LocationKind, PendingNumbers, StockMove
from inventory.quantities import ZERO, QuantityError, quantity_read
from inventory.services import document_create, document_line_add, document_post, line_allocate, virtual_location
from inventory.services.documents import document_number_next

from ..exceptions import TillError
from ..models import PaymentMethod, RegisterSession, Sale, SaleKind, SaleLine, SaleStatus, SessionState, line_amount
from .cart import TILL, sale_lock
from .sessions import MAX_CASH, cash_read

CENT = Decimal("0.01")


_PRICES = Compiled(lambda sale: SaleLine.objects.filter(sale_id=sale).values_list("unit_price", "discount_percent", "line__quantity"))


def sale_total(sale: Sale) -> Decimal:
    """What the cart costs: each line's quantity at its price, less its discount (one query)."""
    return sum((line_amount(*row) for row in _PRICES.rows(sale=sale.pk)), ZERO).quantize(CENT)


@transaction.atomic
def checkout(*, sale: Sale, method: str, tendered: object = None, user: AbstractBaseUser | None = None) -> Sale:
    """Pay and post the cart. ``tendered``: the cash handed over (the change is given back);
    a card pays the total."""
    sale = sale_lock(sale, related=("session", "document"))
    if sale.status == SaleStatus.DONE:
        return sale  # a repeat (a double tap, a resent request): the sale as it was
    if sale.status != SaleStatus.CART:
        raise TillError(f"{sale.number} is {sale.get_status_display().lower()}")
    if sale.session.state != SessionState.OPEN:
        raise TillError("the session is closed")
    if method not in PaymentMethod.values:
        raise TillError("choose cash or card")
    if not sale.document.line_count:
        raise TillError("the cart is empty")
    total = sale_total(sale)
    if total > MAX_CASH:
        raise TillError(f"a sale totals at most {MAX_CASH:,}: split it")
    if method == PaymentMethod.CASH:
        paid = cash_read(tendered, what="cash handed over") if tendered not in (None, "") else total
        if paid < total:
            raise TillError(f"{paid:.2f} handed over is less than the {total:.2f} to pay")
    else:
        paid = total
    sale.status = SaleStatus.DONE
    sale.total, sale.payment_method, sale.tendered, sale.change = total, method, paid, paid - total
    sale.completed_at = timezone.now()
    fields_save(sale, ["status", "total", "payment_method", "tendered", "change", "completed_at"])
    # Posted last, in the same transaction (a refusal undoes the payment too: no savepoint of its
    # own): the stock rows every register's sale of an item shares are then held the shortest.
    sale.document = document_post(document=sale.document, user=user, numbers_to_follow=True, savepoint=False)
    return sale


@dataclass
class Refundable:
    """What of one sale line may still be refunded."""

    sale_line: SaleLine
    numbers: list[str]  # serials/lots sold on it and not refunded yet (lots: number → quantity in ``lot_quantities``)
    quantity: Decimal  # units left to refund (numbered or not)
    lot_quantities: dict[str, Decimal]
    unnumbered: Decimal  # of ``quantity``: sold without a number (an item sold without numbers)
    refunded: Decimal = ZERO  # taken back by earlier refunds
    to_follow: Decimal = ZERO  # sold, numbers still to be assigned: refunded once they are

    @property
    def numbered(self) -> list[tuple[str, Decimal]]:
        """Each number left to refund with how much of it is left."""
        return [(n, self.lot_quantities[n]) for n in self.numbers]


def refundable(original: Sale) -> list[Refundable]:
    """Per line of a paid sale: the numbers it sold less those its refunds took, and the quantity
    left (a few queries, whatever the size)."""
    lines = list(
        SaleLine.objects.filter(sale=original).select_related("line__item__lot_class", "line__item__company").order_by("line__position")
    )
    sold: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for line_id, number, quantity in StockMove.objects.filter(
        document=original.document, line__in=[sl.line_id for sl in lines], reverses__isnull=True, to_location__kind=LocationKind.CUSTOMER
    ).values_list("line_id", "from_lot__number", "quantity"):
        sold[line_id][number or ""] += quantity
    back: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for refunded_line, number, quantity in StockMove.objects.filter(
        line__sale_line__refunds__sale=original, document__sale__status=SaleStatus.DONE, reverses__isnull=True
    ).values_list("line__sale_line__refunds_id", "to_lot__number", "quantity"):
        back[refunded_line][number or ""] += quantity
    pending = dict(
        PendingNumbers.objects.filter(document=original.document, is_open=True).values_list(
            "line_id", F("quantity") - F("assigned") - F("released")
        )
    )
    found = []
    for sl in lines:
        left = {n: q - back[sl.pk].get(n, ZERO) for n, q in sold[sl.line_id].items()}
        left = {n: q for n, q in left.items() if q > 0}
        unnumbered = left.pop("", ZERO)
        refunded = sum(back[sl.pk].values(), ZERO)
        found.append(
            Refundable(sl, sorted(left), sum(left.values(), ZERO) + unnumbered, left, unnumbered, refunded, pending.get(sl.line_id, ZERO))
        )
    return found


@transaction.atomic
def refund_create(
    *,
    session: RegisterSession,
    original: Sale,
    numbers: list[str],
    quantities: dict[int, object],
    method: str,
    user: AbstractBaseUser,
    scanned: list[str] = (),
) -> Sale:
    """Refund ``numbers`` (serials or lots, each of a line of ``original``: all of each that is
    left), the ``scanned`` ones (a serial, or one unit of a lot per scan) and ``quantities`` of
    unnumbered goods per sale line id: a posted customer return, paid back by ``method``."""
    session = locks.row_lock(RegisterSession.objects.select_related("register__location", "register__return_location"), session.pk)
    if session.state != SessionState.OPEN:
        raise TillError("the session is closed")
    original = sale_lock(original)
    if original.kind != SaleKind.SALE or original.status != SaleStatus.DONE or original.company_id != session.company_id:
        raise TillError(f"{original.number} is not a paid sale of this shop")
    if original.document.status != DocumentStatus.POSTED:
        raise TillError(f"{original.number}'s delivery is {original.document.get_status_display().lower()}: nothing of it is to refund")
    if method not in PaymentMethod.values:
        raise TillError("choose cash or card")
    rows = {r.sale_line.pk: r for r in refundable(original)}
    by_number = {n: r for r in rows.values() for n in r.numbers}
    # Per sale line, number → quantity back: a number ticked is all of it left to refund; a scanned
    # serial is itself, a scanned lot one unit of it per scan.
    wanted_numbers: dict[int, dict[str, Decimal]] = defaultdict(dict)
    problems = []
    ticked = [n.strip() for n in numbers if n and n.strip()]
    scans = [n.strip() for n in scanned if n and n.strip()]
    for number in dict.fromkeys(ticked + scans):
        row = by_number.get(number)
        if row is None:
            problems.append(f"{number}: not sold on {original.number}, or refunded already")
            continue
        left = row.lot_quantities[number]
        if number in ticked or row.sale_line.line.item.is_serial:
            wanted_numbers[row.sale_line.pk][number] = left
            continue
        count = Decimal(scans.count(number))
        if count > left:
            problems.append(f"{number}: scanned {count.normalize():f} times, but only {left.normalize():f} of it is left to refund")
        else:
            wanted_numbers[row.sale_line.pk][number] = count
    wanted_quantity: dict[int, Decimal] = {}
    for line_id, value in quantities.items():
        if value in (None, "", "0"):
            continue
        row = rows.get(int(line_id))
        try:
            quantity = quantity_read(value)
        except QuantityError as error:
            problems.append(str(error))
            continue
        if row is None or quantity <= 0:
            continue
        if quantity > row.unnumbered:
            problems.append(f"{row.sale_line.line.item.sku}: only {row.unnumbered.normalize():f} sold without a number is left to refund")
        else:
            wanted_quantity[row.sale_line.pk] = quantity
    if problems:
        raise TillError(problems and "; ".join(problems))
    if not wanted_numbers and not wanted_quantity:
        raise TillError("choose what comes back: scan its numbers or give a quantity")
    register = session.register
    customer = original.document.partner
    document = document_create(
        company=register.company,
        kind=DocumentKind.CUSTOMER_RETURN,
        from_location=virtual_location(register.company, LocationKind.CUSTOMER),
        to_location=register.return_location or register.location,
        partner=customer,
        user=user,
    )
    Document.objects.filter(pk=document.pk).update(owner=TILL)
    number = document_number_next(company_id=register.company_id, prefix="R")
    refund = Sale.objects.create(
        company=register.company,
        session=session,
        register=register,
        number=number,
        kind=SaleKind.REFUND,
        customer=customer,
        document=document,
        original=original,
        created_by=user,
    )
    total = ZERO
    for sale_line_id in sorted(set(wanted_numbers) | set(wanted_quantity)):
        row = rows[sale_line_id]
        item = row.sale_line.line.item
        names = wanted_numbers.get(sale_line_id, {})
        quantity = sum(names.values(), ZERO) + wanted_quantity.get(sale_line_id, ZERO)
        line = document_line_add(document=document, item=item, quantity=quantity, unit_cost=None)
        SaleLine.objects.create(
            company_id=register.company_id,
            sale=refund,
            line=line,
            unit_price=row.sale_line.unit_price,
            discount_percent=row.sale_line.discount_percent,
            refunds=row.sale_line,
        )
        for name, back in names.items():
            outcome = line_allocate(line=line, numbers=[name], quantity=None if item.is_serial else back, confirm=False)
            if outcome.rejected:
                raise TillError(f"{name}: {outcome.rejected[0].reason}")
        # What this refund adds to what the line has paid back: never more than it was paid in all.
        total += row.sale_line.amount(row.refunded + quantity) - row.sale_line.amount(row.refunded)
    try:
        refund.document = document_post(document=document, user=user)
    except InventoryError as error:
        raise TillError("; ".join(str(p) for p in error.problems)) from None
    total = total.quantize(CENT)
    refund.status, refund.total, refund.payment_method = SaleStatus.DONE, -total, method
    refund.tendered, refund.change, refund.completed_at = -total, ZERO, timezone.now()
    fields_save(refund, ["status", "total", "payment_method", "tendered", "change", "completed_at"])
    return refund


def sale_of_receipt_or_serial(*, company_id: int, code: str) -> Sale | None:
    """The paid sale a receipt number names, or the latest one that sold this serial/lot."""
    code = (code or "").strip()[:80]
    if not code:
        return None
    sale = Sale.objects.filter(company_id=company_id, number=code, kind=SaleKind.SALE, status=SaleStatus.DONE).first()
    if sale is not None:
        return sale
    move = (
        StockMove.objects.filter(
            company_id=company_id, from_lot__number=code, to_location__kind=LocationKind.CUSTOMER, document__sale__kind=SaleKind.SALE
        )
        .order_by("-created_at", "-pk")
        .values_list("document__sale", flat=True)
        .first()
    )
    return Sale.objects.filter(pk=move).first() if move else None


def refunded_quantity(sale_line: SaleLine) -> Decimal:
    return SaleLine.objects.filter(refunds=sale_line, sale__status=SaleStatus.DONE).aggregate(total=Sum("line__quantity"))["total"] or ZERO
