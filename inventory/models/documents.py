from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .catalog import MAX_QUANTITY, MONEY, QUANTITY, Item
from .company import Company, Location, Partner
from .stock import HOT, Lot, MoveReason


class DocumentKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    DELIVERY = "delivery", "Delivery"
    TRANSFER = "transfer", "Transfer"
    ADJUSTMENT = "adjustment", "Adjustment"
    CUSTOMER_RETURN = "customer_return", "Customer return"
    SUPPLIER_RETURN = "supplier_return", "Supplier return"
    NUMBER_ASSIGNMENT = "number_assignment", "Number assignment"
    PRODUCTION_ISSUE = "production_issue", "Production issue"
    PRODUCTION_OUTPUT = "production_output", "Production output"


PRODUCTION_KINDS = frozenset({DocumentKind.PRODUCTION_ISSUE, DocumentKind.PRODUCTION_OUTPUT})

# Kinds only other services create (number assignment, work orders), never a clerk by hand.
SYSTEM_KINDS = frozenset({DocumentKind.NUMBER_ASSIGNMENT, DocumentKind.PRODUCTION_ISSUE, DocumentKind.PRODUCTION_OUTPUT})


KIND_PREFIX = {
    DocumentKind.RECEIPT: "RC",
    DocumentKind.DELIVERY: "DL",
    DocumentKind.TRANSFER: "TR",
    DocumentKind.ADJUSTMENT: "AD",
    DocumentKind.CUSTOMER_RETURN: "CR",
    DocumentKind.SUPPLIER_RETURN: "SR",
    DocumentKind.NUMBER_ASSIGNMENT: "NA",
    DocumentKind.PRODUCTION_ISSUE: "PI",
    DocumentKind.PRODUCTION_OUTPUT: "FG",  # finished goods; "PO" reads as a purchase order
}

KIND_REASON = {
    DocumentKind.RECEIPT: MoveReason.RECEIPT,
    DocumentKind.DELIVERY: MoveReason.DELIVERY,
    DocumentKind.TRANSFER: MoveReason.TRANSFER,
    DocumentKind.ADJUSTMENT: MoveReason.ADJUSTMENT,
    DocumentKind.CUSTOMER_RETURN: MoveReason.CUSTOMER_RETURN,
    DocumentKind.SUPPLIER_RETURN: MoveReason.SUPPLIER_RETURN,
    DocumentKind.NUMBER_ASSIGNMENT: MoveReason.NUMBER_ASSIGNMENT,
    DocumentKind.PRODUCTION_ISSUE: MoveReason.PRODUCTION_CONSUMPTION,
    DocumentKind.PRODUCTION_OUTPUT: MoveReason.PRODUCTION_OUTPUT,
}


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    POSTED = "posted", "Posted"
    REVERSED = "reversed", "Reversed"
    CANCELLED = "cancelled", "Cancelled"


class Document(models.Model):
    """A stock document: draft → posted → (reversed). A draft delivery is a sales order."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    number = models.CharField(max_length=30)
    status = models.CharField(max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT)
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(default=timezone.localdate)
    reference = models.CharField(max_length=120, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # How many lines and how much in all, kept by the line services (under the document's lock):
    # the documents list and its group subtotals read them instead of adding up every line.
    line_count = models.PositiveIntegerField("lines", default=0, db_default=0)
    total_quantity = models.DecimalField("quantity", default=0, db_default=0, max_digits=24, decimal_places=4)
    # The screen that changes this document, when not the back office's (the till: its carts and
    # the sales orders loaded into them). The back office reads it but neither edits, posts,
    # cancels nor reverses it.
    owner = models.CharField(max_length=20, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="document_unique_number"),
        ]
        indexes = [
            models.Index(fields=["company", "kind", "status"], name="document_kind_status"),
            models.Index(fields=["company", "date", "id"], name="document_company_date"),
        ]
        permissions = [
            ("post_document", "Can post and reverse stock documents"),
            ("allocate_production", "Can choose the lots and serials of production documents"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_draft(self) -> bool:
        return self.status == DocumentStatus.DRAFT

    @property
    def reason(self) -> int:
        return KIND_REASON[self.kind]

    @property
    def owned_refusal(self) -> str:
        """Why the back office may not change this document (empty: it may)."""
        if self.owner == "till":
            return f"{self.number} belongs to the till (a cart, or a sale made there): it is changed, paid or refunded at the till"
        return f"{self.number} is changed on the {self.owner} screen" if self.owner else ""


class SubmissionKey(models.Model):
    """A form's one-time key (a hidden field), claimed in the transaction of the write it guards.

    The unique key makes a double-click, a resent request or a retry write once: a repeat finds
    the key taken and is answered with ``result``, the page the first submission went to.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=36)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    result = models.CharField(max_length=300, blank=True, help_text="Where the first submission sent the user.")

    class Meta:
        # Led by the company, as every table is (sharding by company); a uuid4 is unique anyway.
        constraints = [models.UniqueConstraint(fields=["company", "key"], name="submission_key_unique")]

    def __str__(self) -> str:
        return self.key


class DocumentLine(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=1)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    unit_cost = models.DecimalField(null=True, blank=True, **MONEY)
    lot_number = models.CharField(max_length=80, blank=True, help_text="Lot-and-serial items: the lot of the serials on this line.")
    expiry_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["document", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(condition=Q(quantity__lte=MAX_QUANTITY), name="line_quantity_at_most_max"),
        ]
        # The documents list's search by a lot number typed on a line.
        indexes = [models.Index(fields=["company", "lot_number"], name="line_lot_number")]

    def __str__(self) -> str:
        return f"{self.document.number} line {self.position}"


class AllocationQuerySet(models.QuerySet):
    def reserving(self):
        """Allocations that hold stock back: those of draft documents. Unordered: they are summed
        or looked up, and the default order (by line) would join the lines and their documents
        into every such query."""
        return self.filter(document__status=DocumentStatus.DRAFT).order_by()


class Allocation(models.Model):
    """Which lot/serial, and how much, a line takes (or, incoming, which number it gives).

    ``lot`` names an existing lot/serial; ``number`` a new one that posting creates (received
    numbers, or numbers assigned when used). Allocations of draft documents reserve stock; the
    allocation service and posting check that under the lots' row locks.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", **HOT)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="allocations", db_constraint=False)
    line = models.ForeignKey(DocumentLine, on_delete=models.CASCADE, related_name="allocations", db_constraint=False)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", **HOT)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", **HOT)
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations", **HOT)
    number = models.CharField(max_length=80, blank=True)
    parent_number = models.CharField(max_length=80, blank=True)
    expiry_date = models.DateField(null=True, blank=True)
    quantity = models.DecimalField(**QUANTITY)
    is_serial = models.BooleanField(default=False)
    outgoing = models.BooleanField(default=True, help_text="Takes stock from ``location`` (else brings it there).")
    unknown_origin = models.BooleanField(
        default=False,
        db_default=False,
        help_text="A return the clerk confirmed although this customer was never delivered it.",
    )

    objects = AllocationQuerySet.as_manager()

    class Meta:
        ordering = ["line", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="allocation_quantity_positive"),
            models.CheckConstraint(condition=Q(quantity__lte=MAX_QUANTITY), name="allocation_quantity_at_most_max"),
            models.CheckConstraint(condition=Q(is_serial=False) | Q(quantity=1), name="allocation_serial_quantity_one"),
            models.CheckConstraint(condition=Q(lot__isnull=False) | ~Q(number=""), name="allocation_lot_or_number"),
        ]
        indexes = [
            models.Index(fields=["lot", "location"], name="allocation_lot_location"),
            models.Index(fields=["item", "number"], name="allocation_item_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number or self.lot_id} × {self.quantity}"

    @property
    def reserving(self) -> bool:
        return self.document.status == DocumentStatus.DRAFT

    @property
    def display_number(self) -> str:
        """The number as the clerk knows it: the lot's, or the new number it will be given."""
        return self.lot.number if self.lot_id else self.number

    @property
    def display_expiry(self):
        return self.lot.expiry_date if self.lot_id else self.expiry_date


class PendingNumbers(models.Model):
    """The part of a posted line that left without its lot/serial numbers: a till does not hold up
    the queue for them (seed 004). Until they are assigned the quantity is held out of the stock
    it came from (``StockSummary.awaiting_numbers``), so it cannot be sold twice; assigning them
    posts their moves on the same document, as if they had been scanned when it was posted.
    ``released``: what a reversal of the document gave back unassigned."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pending_numbers")
    line = models.OneToOneField(DocumentLine, on_delete=models.CASCADE, related_name="pending_numbers")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    assigned = models.DecimalField(default=0, **QUANTITY)
    released = models.DecimalField(default=0, **QUANTITY)
    is_open = models.BooleanField(default=True, help_text="Numbers are still to be assigned.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "numbers to follow"
        verbose_name_plural = "numbers to follow"
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="pending_numbers_quantity_positive"),
            models.CheckConstraint(condition=Q(assigned__gte=0) & Q(released__gte=0), name="pending_numbers_parts_not_negative"),
            models.CheckConstraint(condition=Q(assigned__lte=F("quantity") - F("released")), name="pending_numbers_not_over_assigned"),
        ]
        indexes = [
            models.Index(fields=["company", "is_open", "created_at"], name="pending_numbers_open"),
            models.Index(fields=["company", "item", "is_open"], name="pending_numbers_item"),
        ]
        permissions = [("assign_pendingnumbers", "Can assign the numbers of stock that left without them")]

    def __str__(self) -> str:
        return f"{self.document} line {self.line.position}"

    @property
    def missing(self) -> Decimal:
        return self.quantity - self.assigned - self.released
