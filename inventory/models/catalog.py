from decimal import Decimal

from django.db import models
from django.db.models import Q

from .company import Company

QUANTITY = {"max_digits": 18, "decimal_places": 4}
# The most one line, move, allocation or balance may hold. The columns would take 14 integer
# digits, but a balance is a sum of moves and reports add balances up (an item over all its
# locations, a company's stock): 10 digits leave room for those sums to be read back into the
# same 18-digit decimals. Posting refuses a balance that would pass it; the database refuses
# any row above it (CheckConstraints on Balance, StockMove, DocumentLine and Allocation).
MAX_QUANTITY = Decimal("9999999999.9999")
MONEY = {"max_digits": 18, "decimal_places": 4}


class Tracking(models.TextChoices):
    NONE = "none", "Not tracked"
    LOT = "lot", "Lot numbers"
    SERIAL = "serial", "Serial numbers"
    LOT_AND_SERIAL = "lot_serial", "Lot and serial numbers"


class NumberAssignment(models.TextChoices):
    WHEN_RECEIVED = "received", "When received"
    WHEN_USED = "used", "When used"


class IssueMethod(models.TextChoices):
    FIFO = "fifo", "FIFO (oldest receipt first)"
    LIFO = "lifo", "LIFO (newest receipt first)"
    SEQUENTIAL = "sequential", "Sequential (alphabetical)"
    EXPIRATION = "expiration", "Expiration (first expiring first)"
    MANUAL = "manual", "Manual (user picks)"


class NumberCheck(models.TextChoices):
    NONE = "none", "Any number"
    TEMPLATE = "template", "The shape of the numbering template"
    PATTERN = "pattern", "The number pattern below"


class LotSerialClass(models.Model):
    """How the items of a class are numbered, assigned and issued (seed 000)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lot_classes")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    tracking = models.CharField(max_length=20, choices=Tracking.choices, default=Tracking.NONE)
    track_expiry = models.BooleanField("track expiration dates", default=False)
    expiry_alert_days = models.PositiveIntegerField(
        "expiry alert period (days)", default=30, help_text="Lots expiring within this many days are flagged."
    )
    assignment = models.CharField(max_length=20, choices=NumberAssignment.choices, default=NumberAssignment.WHEN_RECEIVED)
    issue_method = models.CharField(max_length=20, choices=IssueMethod.choices, default=IssueMethod.FIFO)
    batch_size = models.PositiveIntegerField(
        "auto-generate number batch size",
        default=1000,
        help_text="At most this many numbers are generated at once; the excess stays unassigned.",
    )
    shared_counter = models.BooleanField(
        "share auto-incremental value between all class items",
        default=True,
        help_text="Off: each item counts from its own start value.",
    )
    number_check = models.CharField(
        "typed and scanned numbers must have",
        max_length=10,
        choices=NumberCheck.choices,
        default=NumberCheck.NONE,
        help_text="Refuses a typo wherever a number is typed, scanned or imported.",
    )
    number_pattern = models.CharField(
        max_length=200,
        blank=True,
        help_text=r"A regular expression the manufacturer's numbers match whole, e.g. [A-Z]{2}\d{9}.",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = "lot/serial class"
        verbose_name_plural = "lot/serial classes"
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="lotclass_unique_code"),
            models.CheckConstraint(condition=Q(batch_size__gte=1), name="lotclass_batch_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self):
        from django.core.exceptions import ValidationError

        from ..numbering import pattern_problems

        if self.number_check == NumberCheck.PATTERN:
            if not self.number_pattern:
                raise ValidationError({"number_pattern": "Give the pattern the numbers must match."})
            problems = pattern_problems(self.number_pattern)
            if problems:
                raise ValidationError({"number_pattern": [p.message for p in problems]})

    @property
    def is_tracked(self) -> bool:
        return self.tracking != Tracking.NONE

    @property
    def tracks_serials(self) -> bool:
        return self.tracking in (Tracking.SERIAL, Tracking.LOT_AND_SERIAL)


class SegmentKind(models.TextChoices):
    CONSTANT = "constant", "Constant"
    DATE = "date", "Date"
    COUNTER = "counter", "Auto-incremental value"


class NumberSegment(models.Model):
    """One segment of a class's numbering template.

    constant: ``value`` is the text; date: ``value`` is a format made of DD, MM, MON, YY, YYYY
    (other characters are kept); counter: ``value`` is the start value, its length the width.
    """

    lot_class = models.ForeignKey(LotSerialClass, on_delete=models.CASCADE, related_name="segments")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=SegmentKind.choices)
    value = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["lot_class", "position", "id"]
        verbose_name = "numbering segment"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"


class TrackingScope(models.TextChoices):
    """Which partner classes' moves need a serial number (seed 003's eight serial types)."""

    NOT_SERIALISED = "none", "Not serialised"
    FULL = "full", "Fully tracked (creditor, internal, debtor)"
    CREDITOR_INTERNAL = "creditor_internal", "Creditor and internal"
    DEBTOR = "debtor", "Debtor only"
    CREDITOR_DEBTOR = "creditor_debtor", "Creditor and debtor"
    CREDITOR = "creditor", "Creditor only"
    INTERNAL_DEBTOR = "internal_debtor", "Internal and debtor"
    INTERNAL = "internal", "Internal only"


class ValuationMethod(models.TextChoices):
    SPECIFIC = "specific", "Specific (cost of each lot/serial)"
    FIFO = "fifo", "FIFO"
    AVERAGE = "average", "Moving average"
    STANDARD = "standard", "Standard cost"


class UnitOfMeasure(models.TextChoices):
    EACH = "ea", "each"
    KG = "kg", "kilogram"
    G = "g", "gram"
    L = "l", "litre"
    ML = "ml", "millilitre"
    M = "m", "metre"
    BOX = "box", "box"


def fully_tracked_q(prefix: str = "item__") -> Q:
    """Items whose stock is kept per lot/serial, at the end of ``prefix``: the database form of
    ``Item.binds_lots`` (stocked, of a class, in a company that tracks, and a lot class or a
    serial class tracked in every move)."""
    p = prefix
    return Q(**{f"{p}is_stocked": True, f"{p}lot_class__isnull": False, f"{p}company__tracking_enabled": True}) & (
        Q(**{f"{p}lot_class__tracking": Tracking.LOT})
        | Q(**{f"{p}lot_class__tracking__in": [Tracking.SERIAL, Tracking.LOT_AND_SERIAL], f"{p}tracking_scope": TrackingScope.FULL})
    )


class Item(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField("item code", max_length=60)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_stocked = models.BooleanField("stocked", default=True, help_text="Lookup (non-stocked) items cannot be tracked.")
    uom = models.CharField("unit of measure", max_length=10, choices=UnitOfMeasure.choices, default=UnitOfMeasure.EACH)
    lot_class = models.ForeignKey(
        LotSerialClass,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name="lot/serial class",
    )
    tracking_scope = models.CharField(
        max_length=20,
        choices=TrackingScope.choices,
        default=TrackingScope.FULL,
        help_text="For serial-numbered items: which moves need a number (seed 003).",
    )
    valuation_method = models.CharField(max_length=20, choices=ValuationMethod.choices, default=ValuationMethod.FIFO)
    unit_cost = models.DecimalField("standard unit cost", default=Decimal("0"), **MONEY)
    counter_start = models.CharField(
        "own auto-incremental start",
        max_length=40,
        blank=True,
        help_text="Used when the class does not share its counter, e.g. 100000.",
    )
    gtin = models.CharField("GTIN", max_length=14, blank=True)
    sale_price = models.DecimalField(
        "sale price", default=Decimal("0"), db_default=Decimal("0"), help_text="What the till charges for one unit.", **MONEY
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(fields=["company", "sku"], name="item_unique_sku"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="item_unit_cost_not_negative"),
            models.CheckConstraint(condition=Q(sale_price__gte=0), name="item_sale_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    @property
    def tracking(self) -> str:
        """The tracking in force: none unless stocked, classed and enabled for the company."""
        if not self.is_stocked or self.lot_class is None or not self.company.tracking_enabled:
            return Tracking.NONE
        return self.lot_class.tracking

    @property
    def is_tracked(self) -> bool:
        return self.tracking != Tracking.NONE

    @property
    def is_serial(self) -> bool:
        return self.tracking in (Tracking.SERIAL, Tracking.LOT_AND_SERIAL)

    @property
    def effective_scope(self) -> str:
        """Lot-tracked items are always fully tracked; serial items follow their scope."""
        tracking = self.tracking
        if tracking == Tracking.NONE:
            return TrackingScope.NOT_SERIALISED
        if tracking == Tracking.LOT:
            return TrackingScope.FULL
        return self.tracking_scope

    @property
    def binds_lots(self) -> bool:
        """Whether balances are kept per lot/serial (fully tracked) or per item (loose binding)."""
        return self.effective_scope == TrackingScope.FULL


class Counter(models.Model):
    """A numbering sequence: a class's shared counter, an item's own counter, or documents'."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="counters")
    key = models.CharField(max_length=60)
    next_value = models.BigIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "key"], name="counter_unique_key")]

    def __str__(self) -> str:
        return f"{self.key}: {self.next_value}"
