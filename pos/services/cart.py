"""The cart: scanning products and numbers into it, the numbers pop-up, the numpad's quantity,
prices, the customer, loading a sales order or a quotation.

A cart is a draft delivery (see ``pos.models``): every number is judged by inventory's allocation
service as the allocations dialog judges it, at the moment it is scanned, under the item's lock
(so a serial another open cart holds, or one already sold, is refused there and then). Each
scanned code is added in its own savepoint: a refused one leaves the cart as it was, and the
good scans around it stay.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum

from inventory import locks
from inventory.compiled import Compiled
from inventory.exceptions import InventoryError
from inventory.gs1 import gtin_normalize, scan_parse
from inventory.models import Allocation, Document, DocumentKind, DocumentLine, DocumentStatus, Item, Lot, Partner
from inventory.models.catalog import MAX_QUANTITY
from inventory.quantities import ONE, ZERO, QuantityError, quantity_read
from inventory.selectors import sellable_without_numbers
from inventory.services import (
    allocations_clear,
    document_cancel_draft,
    document_create,
    document_line_add,
    document_line_remove,
    document_line_update,
    document_update,
    line_allocate,
    number_required,
)
from inventory.services.documents import document_number_next
from inventory.services.moves import quantity_too_large

from ..exceptions import TillError
from ..models import Quotation, RegisterSession, Sale, SaleLine, SaleStatus, SessionState

MAX_CODE = 200  # a scanned code; GS1 strings are far shorter
TILL = "till"  # Document.owner of the till's carts and sales
MAX_CART_LINES = 500


@dataclass
class ScanResult:
    code: str
    ok: bool
    message: str
    line_id: int | None = None
    opens_numbers: bool = False  # a tracked product came in without its number: the pop-up opens


class _Refused(TillError):
    """One code refused (the others go on); outside a scan, a refusal like any of the till's."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


CART_RELATED = ("register__location", "document__from_location", "document__to_location", "document__company", "session")


def sale_lock(sale: Sale, related: tuple[str, ...] = CART_RELATED) -> Sale:
    """The sale's row (before any of inventory's, as ``inventory/locks.py`` orders it), with the
    rows ``related`` names read alongside (a cart's scans judge against its register's location;
    a checkout needs only its session and document: a join of eight tables costs PostgreSQL
    milliseconds to plan)."""
    query = _SALE_LOCKS.get(related)
    if query is None:
        query = _SALE_LOCKS[related] = Compiled(
            lambda sale: Sale.objects.select_for_update(**locks.of_self()).select_related(*related).filter(pk=sale)
        )
    return locks.one(query.objects(sale=sale.pk), Sale)


_SALE_LOCKS: dict[tuple[str, ...], Compiled] = {}


def _cart_locked(sale: Sale) -> Sale:
    sale = sale_lock(sale)
    if sale.status != SaleStatus.CART:
        raise TillError(f"{sale.number} is {sale.get_status_display().lower()}: start a new sale")
    if sale.session.state != SessionState.OPEN:
        raise TillError("the session is closed")
    return sale


@transaction.atomic
def cart_new(*, session: RegisterSession, user: AbstractBaseUser, customer: Partner | None = None) -> Sale:
    """An empty cart on the session's register, to its default customer unless one is named. An
    empty cart the session has already is given again (a double tap on "New sale" makes one)."""
    session = locks.row_lock(RegisterSession.objects.select_related("register"), session.pk)
    if session.state != SessionState.OPEN:
        raise TillError("the session is closed: open one to sell")
    register = session.register
    customer = customer or register.customer
    empty = (
        Sale.objects.filter(session=session, status=SaleStatus.CART, from_sales_order=False, quotation__isnull=True, document__line_count=0)
        .filter(customer=customer)
        .order_by("-pk")
        .first()
    )
    if empty is not None:
        return empty
    document = document_create(
        company=register.company, kind=DocumentKind.DELIVERY, from_location=register.location, partner=customer, user=user
    )
    number = document_number_next(company_id=register.company_id, prefix="S")
    Document.objects.filter(pk=document.pk).update(reference=number, owner=TILL)
    return Sale.objects.create(
        company=register.company, session=session, register=register, number=number, customer=customer, document=document, created_by=user
    )


_ITEM_BY_CODE = Compiled(
    lambda company, sku: Item.objects.filter(company_id=company, sku=sku, is_active=True).select_related("lot_class", "company")[:1],
    texts=["sku"],
)
_LAST_LINE = Compiled(  # the cart's last line of an item
    lambda document, item: (
        DocumentLine.objects.filter(document_id=document, item_id=item).order_by("-position").select_related("item__lot_class")[:1]
    )
)


def _item_by_code(company_id: int, text: str) -> Item | None:
    item = next(iter(_ITEM_BY_CODE.objects(company=company_id, sku=text)), None)
    if item is None and text.isdigit() and 8 <= len(text) <= 14:
        return _item_by_gtin(company_id, gtin_normalize(text))
    return item


def _item_by_gtin(company_id: int, gtin: str) -> Item | None:
    candidates = (
        Item.objects.filter(company_id=company_id, is_active=True)
        .filter(gtin__in={gtin, gtin[1:], gtin[2:], gtin[6:]})
        .select_related("lot_class", "company")
    )
    return next((i for i in candidates if gtin_normalize(i.gtin) == gtin), None)


def _item_by_name(company_id: int, text: str) -> Item:
    """Product search by name (or part of its code): one match is the product; several are named."""
    if len(text) < 3:
        raise _Refused("no product, GTIN or lot/serial number of this shop")
    matches = list(
        Item.objects.filter(company_id=company_id, is_active=True, is_stocked=True)
        .filter(Q(name__icontains=text) | Q(sku__icontains=text))
        .select_related("lot_class", "company")
        .order_by("sku")[:6]
    )
    if not matches:
        raise _Refused("no product, GTIN or lot/serial number of this shop")
    if len(matches) > 1:
        names = ", ".join(f"{i.sku} {i.name}" for i in matches[:5]) + (" …" if len(matches) > 5 else "")
        raise _Refused(f"several products match: {names} — type more of the name, or scan")
    return matches[0]


@dataclass
class _Code:
    item: Item
    number: str | None = None
    expiry: date | None = None
    parent: str = ""


def _resolve(sale: Sale, code: str) -> _Code:
    """What a scan names: a product (code or GTIN), a GS1 label (product and its number), or a
    lot/serial number alone that tells its product."""
    scan = scan_parse(code)
    if scan.error:
        raise _Refused(scan.error)
    company_id = sale.company_id
    if scan.is_gs1 and scan.gtin:
        item = _item_by_gtin(company_id, scan.gtin)
        if item is None:
            raise _Refused(f"GTIN {scan.gtin} is no product of this shop")
        number = scan.serial if item.is_serial else scan.lot
        parent = scan.lot if item.is_serial and scan.serial and scan.lot else ""
        return _Code(item, number or None, scan.expiry, parent)
    text = scan.text
    item = _item_by_code(company_id, text)
    if item is not None:
        return _Code(item)
    # A number alone: the lots/serials with it, those in stock at the register first.
    lots = list(Lot.objects.filter(company_id=company_id, number=text).select_related("item__lot_class", "item__company")[:20])
    if not lots:
        return _Code(_item_by_name(company_id, text))
    here = [lot for lot in lots if lot.balances.filter(location=sale.register.location, quantity__gt=0).exists()] if len(lots) > 1 else lots
    items = {lot.item_id: lot.item for lot in (here or lots)}
    if len(items) > 1:
        names = ", ".join(sorted(i.sku for i in items.values()))
        raise _Refused(f"{text} is a number of several products ({names}): scan the product first")
    return _Code(next(iter(items.values())), text)


def _lines_of(sale: Sale, item: Item) -> DocumentLine | None:
    return next(iter(_LAST_LINE.objects(document=sale.document_id, item=item.pk)), None)


def _allocated(line: DocumentLine) -> Decimal:
    return Allocation.objects.filter(line=line).aggregate(total=Sum("quantity"))["total"] or ZERO


def _line_add(sale: Sale, item: Item, quantity: Decimal, unit_price: Decimal | None = None) -> DocumentLine:
    if sale.document.line_count >= MAX_CART_LINES:
        raise _Refused(f"a cart holds at most {MAX_CART_LINES} lines")
    line = document_line_add(document=sale.document, item=item, quantity=quantity)
    SaleLine.objects.create(
        company_id=sale.company_id, sale=sale, line=line, unit_price=item.sale_price if unit_price is None else unit_price
    )
    sale.document.line_count += 1
    return line


def _room_check(sale: Sale, item: Item, more: Decimal) -> None:
    """Units added without their numbers must be there to sell: not on hold, expired, promised to
    another draft, sold without numbers already, nor held by this cart's other unnumbered units."""
    location = sale.document.from_location
    lines = DocumentLine.objects.filter(document=sale.document, item=item)
    quantity = lines.aggregate(total=Sum("quantity"))["total"] or ZERO
    numbered = Allocation.objects.filter(line__in=lines).aggregate(total=Sum("quantity"))["total"] or ZERO
    room = sellable_without_numbers(item=item, location=location) - max(quantity - numbered, ZERO)
    if more > room:
        raise _Refused(
            f"only {max(room, ZERO).normalize():f} more {item.sku} can be sold without a number at {location.code}: "
            "the rest is on hold, expired, promised to other drafts or sold without numbers already"
        )


def _needs_number(sale: Sale, item: Item) -> bool:
    document = sale.document
    return item.is_tracked and number_required(item, document.from_location, document.to_location)


def _add_one(sale: Sale, found: _Code, line: DocumentLine | None = None) -> ScanResult:
    """One unit of ``found.item`` (with its number, when it has one) into the cart."""
    item = found.item
    if not item.is_stocked:
        raise _Refused(f"{item.sku} is not sold from stock")
    needs = _needs_number(sale, item)
    line = line or _lines_of(sale, item)
    if not needs or not found.number:
        if needs:
            _room_check(sale, item, ONE)
        if line is None:
            line = _line_add(sale, item, ONE)
        else:
            document_line_update(
                line=line, item=item, quantity=line.quantity + ONE, lot_number=line.lot_number, expiry_date=line.expiry_date
            )
        what = f"{item.sku} {item.name}"
        return ScanResult(found.number or item.sku, True, f"{what} added" + (": scan its number" if needs else ""), line.pk, needs)
    if line is None:
        line = _line_add(sale, item, ONE)
        quantity = ONE
    elif item.is_serial:
        quantity = ONE  # line_allocate grows the line by the unit if it is fully numbered
    else:
        allocated = _allocated(line)
        kept = None if item.is_serial else Allocation.objects.filter(line=line, lot__number=found.number).first()
        if kept is not None:
            # The same lot again: one more unit of it (judged again for the whole quantity).
            allocations_clear(line=line, allocation_ids=[kept.pk])
            allocated -= kept.quantity
        quantity = (kept.quantity if kept else ZERO) + ONE
        if allocated + quantity > line.quantity:
            line = document_line_update(
                line=line, item=item, quantity=allocated + quantity, lot_number=line.lot_number, expiry_date=line.expiry_date
            )
    outcome = line_allocate(
        line=line,
        numbers=[found.number],
        quantity=None if item.is_serial else quantity,
        expiry_date=found.expiry,
        parent_number=found.parent,
        grow=True,
    )
    if outcome.rejected:
        raise _Refused(outcome.rejected[0].reason)
    return ScanResult(found.number, True, f"{item.sku} {found.number}", line.pk)


def _scan_one(sale: Sale, code: str, line: DocumentLine | None) -> ScanResult:
    code = (code or "").strip()
    if not code:
        return ScanResult(code, False, "empty scan")
    if len(code) > MAX_CODE:
        return ScanResult(code[:40] + "…", False, f"a code is at most {MAX_CODE} characters")
    try:
        found = _resolve(sale, code) if line is None else _Code(line.item, code)
        if line is not None and found.item.pk != line.item_id:
            raise _Refused(f"not a number of {line.item.sku}")
        grows = found.number and found.item.is_serial and _needs_number(sale, found.item)
        line = line or (_lines_of(sale, found.item) if grows else None)
        if grows and line is not None:
            # One more serial on a line of its product: line_allocate writes it, or nothing, itself.
            return _add_one(sale, found, line)
        with transaction.atomic():  # a refused code leaves the cart as it was (its new line too)
            return _add_one(sale, found, line)
    except _Refused as refused:
        return ScanResult(code, False, refused.message)
    except InventoryError as error:
        return ScanResult(code, False, "; ".join(p.message for p in error.problems) or str(error))


@transaction.atomic
def cart_scan(*, sale: Sale, codes: list[str], user: AbstractBaseUser | None = None) -> list[ScanResult]:
    """Scanned or typed codes, in the order scanned: each adds a product, or a product and its
    number, or is refused on its own with the reason."""
    sale = _cart_locked(sale)
    return [_scan_one(sale, code, None) for code in codes]


@transaction.atomic
def cart_line_numbers(*, sale: Sale, line: DocumentLine, codes: list[str], user: AbstractBaseUser | None = None) -> list[ScanResult]:
    """The numbers pop-up: each number is one more unit of this line once its quantity is numbered
    (a serial), or of its lot; a bad one is refused on its own row."""
    sale = _cart_locked(sale)
    line = _cart_line(sale, line.pk)
    if not _needs_number(sale, line.item):
        raise TillError(f"{line.item.sku} records no lot or serial numbers at the till")
    return [_scan_one(sale, code, line) for code in codes]


def _cart_line(sale: Sale, line_id: int) -> DocumentLine:
    line = DocumentLine.objects.filter(pk=line_id, document_id=sale.document_id).select_related("item__lot_class", "item__company").first()
    if line is None:
        raise TillError("that line is no longer in the cart")
    return line


@transaction.atomic
def cart_line_quantity(*, sale: Sale, line: DocumentLine, quantity: object) -> DocumentLine | None:
    """The numpad: a new quantity for the line (0 removes it). Lowering it below the numbers
    scanned on it is refused: remove numbers first, so none falls off unseen."""
    sale = _cart_locked(sale)
    line = _cart_line(sale, line.pk)
    if quantity in (None, ""):
        raise TillError("type a quantity (0 takes the line off)")
    try:
        value = quantity_read(quantity, zero=True)
    except QuantityError as error:
        raise TillError(str(error)) from None
    if line.item.is_serial and value != value.to_integral_value():
        raise TillError(f"{line.item.sku} is sold by the unit: whole numbers only")
    if value > MAX_QUANTITY:
        raise TillError(quantity_too_large(value))
    allocated = _allocated(line)
    if value == 0 and not allocated:
        document_line_remove(line=line)
        return None
    if value > line.quantity and _needs_number(sale, line.item):
        _room_check(sale, line.item, value - max(line.quantity, allocated))
    if value < allocated:
        raise TillError(
            f"{allocated.normalize():f} numbers are scanned on this line: remove some before lowering it to {value.normalize():f}"
        )
    return document_line_update(line=line, item=line.item, quantity=value, lot_number=line.lot_number, expiry_date=line.expiry_date)


@transaction.atomic
def cart_numbers_remove(*, sale: Sale, line: DocumentLine, allocation_ids: list[int], shrink: bool = True) -> DocumentLine:
    """Take numbers off a line (the pop-up's ×); the line's quantity goes down with them."""
    sale = _cart_locked(sale)
    line = _cart_line(sale, line.pk)
    gone = Allocation.objects.filter(line=line, pk__in=allocation_ids).aggregate(total=Sum("quantity"))["total"] or ZERO
    allocations_clear(line=line, allocation_ids=allocation_ids)
    if shrink and gone and line.quantity - gone > 0:
        line = document_line_update(
            line=line, item=line.item, quantity=line.quantity - gone, lot_number=line.lot_number, expiry_date=line.expiry_date
        )
    return line


@transaction.atomic
def cart_line_price(*, sale: Sale, line: DocumentLine, unit_price: object, discount_percent: object) -> SaleLine:
    """A price or a discount on one line (the view checks the role's right to do it)."""
    from .sessions import cash_read

    sale = _cart_locked(sale)
    line = _cart_line(sale, line.pk)
    price = cash_read(unit_price, what="price")
    try:
        discount = Decimal(str(discount_percent or "0").strip().replace(",", "."))
    except ArithmeticError:
        raise TillError("the discount is not a number") from None
    if not discount.is_finite() or not ZERO <= discount <= 100 or discount != discount.quantize(Decimal("0.01")):
        raise TillError("the discount is a percentage from 0 to 100, at most two decimals")
    sale_line = SaleLine.objects.get(line=line)
    sale_line.unit_price, sale_line.discount_percent = price, discount
    sale_line.save(update_fields=["unit_price", "discount_percent"])
    return sale_line


@transaction.atomic
def cart_customer(*, sale: Sale, customer: Partner | None) -> Sale:
    sale = _cart_locked(sale)
    if customer is not None and (customer.company_id != sale.company_id or not customer.is_customer):
        raise TillError("not a customer of this shop")
    document = sale.document
    document_update(document=document, partner=customer or sale.register.customer, reference=document.reference, notes=document.notes)
    sale.customer = customer or sale.register.customer
    sale.save(update_fields=["customer"])
    return sale


@transaction.atomic
def cart_cancel(*, sale: Sale) -> Sale:
    """Give up the cart: its draft is cancelled and what it reserved is free again. A sales
    order loaded into it stays a sales order (it is only let go)."""
    sale = sale_lock(sale)
    if sale.status != SaleStatus.CART:
        return sale
    if sale.from_sales_order:
        # The sales order goes back to the back office as it is (with the numbers it was loaded
        # with); the sale lets go of it, and of its prices.
        SaleLine.objects.filter(sale=sale).delete()
        Document.objects.filter(pk=sale.document_id).update(owner="")
        sale.document = None
    else:
        document_cancel_draft(document=sale.document)
    sale.status = SaleStatus.CANCELLED
    sale.save(update_fields=["status", "document"])
    return sale


@transaction.atomic
def cart_from_sales_order(*, session: RegisterSession, document: Document, with_numbers: bool, user: AbstractBaseUser) -> Sale:
    """A sales order (a draft delivery) becomes the cart: its lines, and its numbers if the cashier
    takes them (else they are let go, and scanned at the till). Its reservation is the cart's:
    checking out consumes it, never reserving twice."""
    session = locks.row_lock(RegisterSession.objects.select_related("register__location"), session.pk)
    if session.state != SessionState.OPEN:
        raise TillError("the session is closed: open one to sell")
    document = locks.document_lock(document.pk)
    register = session.register
    if document.company_id != register.company_id or document.kind != DocumentKind.DELIVERY:
        raise TillError("not a sales order of this shop")
    if document.status != DocumentStatus.DRAFT:
        raise TillError(f"{document.number} is {document.get_status_display().lower()}, not an open sales order")
    if Sale.objects.filter(document=document).exists():
        raise TillError(f"{document.number} is already in a cart")
    if document.from_location_id != register.location_id:
        raise TillError(f"{document.number} ships from {document.from_location.code}; {register.code} sells from {register.location.code}")
    if not with_numbers:
        Allocation.objects.filter(document=document).delete()  # the cashier scans them instead
    Document.objects.filter(pk=document.pk).update(owner=TILL)
    number = document_number_next(company_id=register.company_id, prefix="S")
    try:
        with transaction.atomic():
            sale = Sale.objects.create(
                company=register.company,
                session=session,
                register=register,
                number=number,
                customer=document.partner or register.customer,
                document=document,
                from_sales_order=True,
                created_by=user,
            )
    except IntegrityError:
        raise TillError(f"{document.number} is already in a cart") from None
    if document.partner_id is None and register.customer_id:
        document_update(document=document, partner=register.customer, reference=document.reference, notes=document.notes)
    SaleLine.objects.bulk_create(
        SaleLine(company_id=register.company_id, sale=sale, line=line, unit_price=line.item.sale_price)
        for line in document.lines.select_related("item").order_by("position")
    )
    return sale


@transaction.atomic
def cart_from_quotation(
    *, session: RegisterSession, quotation: Quotation, with_numbers: bool, user: AbstractBaseUser
) -> tuple[Sale, list[ScanResult]]:
    """A quotation's lines in a new cart at its prices; its numbers, if the cashier takes them, are
    judged like scans (one sold meanwhile is refused alone, the line keeps its quantity)."""
    sale = cart_new(session=session, user=user, customer=quotation.customer)
    sale = sale_lock(sale)
    Sale.objects.filter(pk=sale.pk).update(quotation=quotation)
    refused: list[ScanResult] = []
    for qline in quotation.lines.select_related("item__lot_class", "item__company").order_by("position", "id"):
        line = _line_add(sale, qline.item, qline.quantity, qline.unit_price)
        numbers = [n.strip() for n in qline.numbers.splitlines() if n.strip()] if with_numbers else []
        if numbers and _needs_number(sale, qline.item):
            outcome = line_allocate(line=line, numbers=numbers, quantity=None if qline.item.is_serial else qline.quantity)
            refused += [ScanResult(r.number, False, r.reason, line.pk) for r in outcome.rejected]
    return sale, refused
