"""The till (seed 004): registers, cashiers' sessions, sales and refunds, quotations.

A sale's cart is a draft delivery from the register's location to the customer (a sales order
loaded at the till is that very draft): its lines and the numbers scanned on them are inventory's
document lines and allocations, judged by the same rules as the allocations dialog and reserving
stock while the cart is open. Checkout posts it through the posting service, with the numbers a
cashier did not scan left to follow (``inventory.PendingNumbers``). A refund is a posted customer
return of numbers that sale sold.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from inventory.models import Company, Document, DocumentLine, Item, Location, Partner
from inventory.models.catalog import QUANTITY

PRICE = {"max_digits": 14, "decimal_places": 2}  # what a receipt shows


class Register(models.Model):
    """A till: it sells from one internal location; refunds go back there, or to ``return_location``
    (a quarantine) when one is chosen."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="registers")
    code = models.CharField(max_length=30)
    name = models.CharField(max_length=120)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", help_text="Where it sells from.")
    return_location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where refunded goods go (empty: back to stock).",
    )
    customer = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who a sale is to when the cashier names no one.",
    )
    cashiers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="registers", help_text="Who may sell here.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="register_unique_code")]
        permissions = [
            ("use_register", "Can sell and refund at the registers they may use"),
            ("change_price", "Can change a price or give a discount at the till"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SessionState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class RegisterSession(models.Model):
    """A cashier's turn at a register, from opening to the closing summary."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="sessions")
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=SessionState.choices, default=SessionState.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    opening_cash = models.DecimalField(default=0, **PRICE)
    counted_cash = models.DecimalField(null=True, blank=True, **PRICE)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["register"], condition=Q(state="open"), name="register_one_open_session"),
            models.CheckConstraint(condition=Q(opening_cash__gte=0), name="session_opening_cash_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.register.code} {self.opened_at:%Y-%m-%d %H:%M}"


class SaleKind(models.TextChoices):
    SALE = "sale", "Sale"
    REFUND = "refund", "Refund"


class SaleStatus(models.TextChoices):
    CART = "cart", "Open cart"
    DONE = "done", "Paid"
    CANCELLED = "cancelled", "Cancelled"


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CARD = "card", "Card"


class Sale(models.Model):
    """A cart, then a paid sale (or a refund of one). ``document`` is its stock document: a draft
    delivery while the cart is open, posted at checkout (a refund's is a customer return)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(RegisterSession, on_delete=models.PROTECT, related_name="sales")
    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="sales")
    number = models.CharField(max_length=30)
    kind = models.CharField(max_length=10, choices=SaleKind.choices, default=SaleKind.SALE)
    status = models.CharField(max_length=10, choices=SaleStatus.choices, default=SaleStatus.CART)
    customer = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Empty only for a cancelled cart that had loaded a sales order: the order went back as it was.
    document = models.OneToOneField(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="sale")
    original = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds")
    quotation = models.ForeignKey("Quotation", null=True, blank=True, on_delete=models.SET_NULL, related_name="sales")
    from_sales_order = models.BooleanField(default=False, help_text="The cart is a sales order loaded at the till.")
    total = models.DecimalField(default=0, **PRICE)
    payment_method = models.CharField(max_length=10, choices=PaymentMethod.choices, blank=True)
    tendered = models.DecimalField(null=True, blank=True, **PRICE)
    change = models.DecimalField(default=0, **PRICE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="sale_unique_number")]
        indexes = [models.Index(fields=["company", "status", "created_at"], name="sale_status")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_cart(self) -> bool:
        return self.status == SaleStatus.CART


class SaleLine(models.Model):
    """A cart line's price: the quantity and the numbers are its document line's."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="lines")
    line = models.OneToOneField(DocumentLine, on_delete=models.CASCADE, related_name="sale_line")
    unit_price = models.DecimalField(**PRICE)
    discount_percent = models.DecimalField(default=0, max_digits=5, decimal_places=2)
    # For a refund line: the sale line it gives back.
    refunds = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunded_by")

    class Meta:
        ordering = ["line__position"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="sale_line_price_not_negative"),
            models.CheckConstraint(condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100), name="sale_line_discount_range"),
        ]

    def __str__(self) -> str:
        return f"{self.sale} line {self.line.position}"

    def amount(self, quantity: Decimal) -> Decimal:
        return line_amount(self.unit_price, self.discount_percent, quantity)


def line_amount(unit_price: Decimal, discount_percent: Decimal, quantity: Decimal) -> Decimal:
    """What ``quantity`` at ``unit_price`` costs, less ``discount_percent``, to the cent."""
    gross = unit_price * quantity
    return (gross - gross * discount_percent / 100).quantize(Decimal("0.01"))


class Quotation(models.Model):
    """Lines offered to a customer, which may name numbers: it reserves nothing. The till loads it
    into a cart, where its numbers are judged like scans."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    number = models.CharField(max_length=30)
    customer = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    valid_until = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="quotation_unique_number")]

    def __str__(self) -> str:
        return self.number


class QuotationLine(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    quotation = models.ForeignKey(Quotation, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=1)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    unit_price = models.DecimalField(**PRICE)
    numbers = models.TextField(blank=True, help_text="Lot/serial numbers it offers, one per line (optional).")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quotation_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="quotation_line_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quotation} line {self.position}"


__all__ = [
    "PaymentMethod",
    "Quotation",
    "QuotationLine",
    "Register",
    "RegisterSession",
    "Sale",
    "SaleKind",
    "SaleLine",
    "SaleStatus",
    "SessionState",
]
