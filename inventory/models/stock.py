from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from .catalog import MAX_QUANTITY, MONEY, QUANTITY, Item, Tracking
from .company import Company, Location, LocationKind

# Foreign keys on the rows written once per serial (lots, moves, balances, allocations) carry no
# database constraint and no index of their own: PostgreSQL runs one trigger per row per
# constraint, which made a 10,000-serial receipt several seconds slower. The posting service
# checks every reference it writes, and PROTECT guards deletes through the ORM.
HOT = {"db_constraint": False, "db_index": False}


class LotKind(models.TextChoices):
    LOT = "lot", "Lot"
    SERIAL = "serial", "Serial"


class LotStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    ARCHIVED = "archived", "Archived"


# On-hand sums: as many digits as a balance holds.
ON_HAND = models.DecimalField(**QUANTITY)


class LotQuerySet(models.QuerySet):
    def with_on_hand(self, *, serials: bool = True) -> "LotQuerySet":
        """Each lot/serial with ``on_hand``: its stock at the company's own (internal) locations,
        with (``serials``) a lot-and-serial lot's serials' stock, which is where it lies. A
        subquery per row on the balance's lot index (never a query per row), so the rows can
        still be grouped and aggregated."""
        own = Coalesce(_on_hand_of(), models.Value(0), output_field=ON_HAND)
        if not serials:
            return self.annotate(on_hand=own)
        of_serials = models.Case(
            models.When(
                item__lot_class__tracking=Tracking.LOT_AND_SERIAL,
                kind=LotKind.LOT,
                then=Coalesce(_on_hand_of(of_serials=True), models.Value(0), output_field=ON_HAND),
            ),
            default=models.Value(0),
            output_field=ON_HAND,
        )
        return self.annotate(on_hand=own + of_serials)


def _on_hand_of(*, of_serials: bool = False) -> models.Subquery:
    """The outer lot's quantity at internal locations (``of_serials``: its serials'), one index."""
    match = {"lot__parent": models.OuterRef("pk")} if of_serials else {"lot": models.OuterRef("pk")}
    rows = (
        Balance.objects.internal()
        .filter(**match)
        .order_by()
        .values("company")  # one group: a lot and its serials are of one company
        .annotate(total=models.Sum("quantity"))
        .values("total")
    )
    return models.Subquery(rows, output_field=ON_HAND)


class Lot(models.Model):
    """One lot or serial number of one item.

    A serial's quantity is always 1. ``in_stock`` and ``last_location`` are its last known
    state (seed 003's INSTOCK and LOCNO), kept by the posting service. For lot-and-serial
    items a serial names its lot in ``parent``.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="lots", **HOT)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lots", **HOT)
    number = models.CharField("lot/serial number", max_length=80)
    kind = models.CharField(max_length=10, choices=LotKind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="serials",
        help_text="For lot-and-serial items: the lot this serial belongs to.",
    )
    expiry_date = models.DateField("expiration date", null=True, blank=True)
    reference = models.CharField(max_length=120, blank=True, help_text="Supplier batch, production reference…")
    notes = models.TextField("description / notes", blank=True)
    status = models.CharField(max_length=10, choices=LotStatus.choices, default=LotStatus.ACTIVE)
    hold_reason = models.CharField(max_length=200, blank=True)
    unit_cost = models.DecimalField("receipt unit cost", null=True, blank=True, **MONEY)
    in_stock = models.BooleanField(default=False)
    last_location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+", **HOT)
    received_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", **HOT)

    objects = LotQuerySet.as_manager()

    class Meta:
        ordering = ["item_id", "number"]
        verbose_name = "lot/serial number"
        verbose_name_plural = "lots/serial numbers"
        constraints = [
            models.UniqueConstraint(fields=["company", "item", "number"], name="lot_unique_number_per_item"),
            models.CheckConstraint(condition=~Q(number=""), name="lot_number_not_empty"),
        ]
        indexes = [
            models.Index(fields=["company", "number"], name="lot_company_number"),
            models.Index(fields=["company", "expiry_date"], name="lot_company_expiry"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_serial(self) -> bool:
        return self.kind == LotKind.SERIAL


class MoveReason(models.IntegerChoices):
    """Numbered catalogue of why stock moved; numbers are stable, never reused."""

    RECEIPT = 10, "Receipt"
    DELIVERY = 20, "Delivery"
    TRANSFER = 30, "Transfer"
    ADJUSTMENT = 40, "Adjustment"
    CUSTOMER_RETURN = 50, "Customer return"
    SUPPLIER_RETURN = 60, "Supplier return"
    NUMBER_ASSIGNMENT = 70, "Number assignment"
    PRODUCTION_CONSUMPTION = 80, "Production consumption"
    PRODUCTION_OUTPUT = 81, "Production output"
    KIT_ASSEMBLY = 85, "Kit assembly"
    KIT_DISASSEMBLY = 86, "Kit disassembly"
    SALE = 90, "Sale"
    REVERSAL = 99, "Reversal"


class StockMove(models.Model):
    """The ledger: append-only; the database refuses UPDATE and DELETE (see migrations).

    ``lot_prev_in_stock``/``lot_prev_location`` record the serial's state before this move,
    so a reversal restores it exactly. ``binds_lot`` says whether the lots counted in the
    balance key when posted (fully tracked) or only in the record (loose binding, seed 003).
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", **HOT)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="moves", **HOT)
    quantity = models.DecimalField(**QUANTITY)
    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="moves_out", **HOT)
    from_lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="moves_out", db_constraint=False)
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="moves_in", **HOT)
    to_lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="moves_in", db_constraint=False)
    binds_lot = models.BooleanField(default=True)
    unit_cost = models.DecimalField(**MONEY)
    document = models.ForeignKey(
        "inventory.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="moves", db_constraint=False
    )
    line = models.ForeignKey("inventory.DocumentLine", null=True, blank=True, on_delete=models.PROTECT, related_name="moves", **HOT)
    reason = models.PositiveSmallIntegerField(choices=MoveReason.choices)
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by", **HOT)
    unknown_origin = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Returned by a customer it was never delivered to, confirmed by the clerk.",
    )
    lot_prev_in_stock = models.BooleanField(null=True, blank=True)
    lot_prev_location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+", **HOT)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", **HOT)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="move_quantity_positive"),
            models.CheckConstraint(condition=Q(quantity__lte=MAX_QUANTITY), name="move_quantity_at_most_max"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="move_unit_cost_not_negative"),
        ]
        indexes = [
            models.Index(fields=["company", "item", "created_at"], name="move_item_time"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.item_id}: {self.from_location_id} → {self.to_location_id}"

    @property
    def lot(self) -> Lot | None:
        return self.to_lot or self.from_lot


class BalanceQuerySet(models.QuerySet):
    def internal(self) -> "BalanceQuerySet":
        """At the company's own (internal) locations: what on hand counts."""
        return self.filter(location__kind=LocationKind.INTERNAL)

    def on_hand(self) -> "BalanceQuerySet":
        """Positive balances at internal locations: stock that is here."""
        return self.internal().filter(quantity__gt=0)


class Balance(models.Model):
    """On-hand quantity of (item, lot or none, internal location), kept by the posting service.

    Only internal locations have balances. ``is_serial`` and ``first_in_at`` are copied here so
    the database can hold the serial rules and FIFO can sort without a join.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", **HOT)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="balances", **HOT)
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="balances", db_constraint=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="balances", **HOT)
    quantity = models.DecimalField(default=0, **QUANTITY)
    is_serial = models.BooleanField(default=False)
    first_in_at = models.DateTimeField(null=True, blank=True)
    # The lot's number (a number never changes), so that stock lists are read in number order
    # from an index of this table; empty (NULL) for stock without a number.
    lot_number = models.CharField(max_length=80, null=True, blank=True)
    # The lot's expiry date, kept equal to it by the posting service and by ``lot_update``: the
    # expiry report reads the stock that expires soonest from an index of this table.
    expiry_date = models.DateField(null=True, blank=True)

    objects = BalanceQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "lot", "location"], condition=Q(lot__isnull=False), name="balance_unique_lot"),
            models.UniqueConstraint(fields=["item", "location"], condition=Q(lot__isnull=True), name="balance_unique_unnumbered"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="balance_not_negative"),
            models.CheckConstraint(condition=Q(quantity__lte=MAX_QUANTITY), name="balance_at_most_max"),
            models.CheckConstraint(condition=Q(is_serial=False) | Q(quantity__lte=1), name="balance_serial_at_most_one"),
            # A serial is in at most one internal location.
            models.UniqueConstraint(fields=["lot"], condition=Q(is_serial=True, quantity__gt=0), name="balance_serial_one_place"),
        ]
        indexes = [
            models.Index(fields=["company", "location", "item"], name="balance_location_item"),
            # Stock on hand by item, and at a location by item, in lot number order.
            models.Index(fields=["company", "item", "lot_number"], condition=Q(quantity__gt=0), name="balance_item_number"),
            models.Index(
                fields=["company", "location", "item", "lot_number"], condition=Q(quantity__gt=0), name="balance_place_item_number"
            ),
            models.Index(fields=["company", "expiry_date"], condition=Q(quantity__gt=0, expiry_date__isnull=False), name="balance_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}/{self.lot_id}/{self.location_id}: {self.quantity}"


# Sums over many balances (an item at a location, its lots in stock) hold more digits than one row.
TOTAL = {"max_digits": 24, "decimal_places": 4}


class StockSummary(models.Model):
    """What an item holds at one internal location: the sum of its balances there and how many
    lots/serials of it are in stock there. Kept by the posting service in the same transaction as
    the balances, so the item, location and valuation pages read one row per item and location
    instead of adding up a million balances (``verify_ledger`` checks it against them)."""

    # No database constraint on these keys (as on the other rows posting writes, HOT above): a
    # constraint's check locks the item row (FOR KEY SHARE) while the posting holds lot and balance
    # locks, out of the lock order of inventory/locks.py, and deadlocks against a posting that
    # locks the item to number it. The unique and company indexes below serve their lookups.
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", **HOT)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="summaries", **HOT)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="summaries", **HOT)
    quantity = models.DecimalField(default=0, **TOTAL)
    lots = models.IntegerField("lots/serials in stock", default=0)
    # Units that left without their lot/serial numbers (a till's sale, seed 004), whose numbers
    # are assigned later (``PendingNumbers``): still in ``quantity`` until then, but no longer
    # available to anyone. Posting never lets ``quantity`` fall below it.
    awaiting_numbers = models.DecimalField("sold, numbers to follow", default=0, db_default=0, **TOTAL)
    # The lots/serials here at their own cost (Lot.unit_cost, else the cost of the move that first
    # brought the lot in): what specific costing values them at. Kept by inventory.services.costing,
    # after the upsert of the quantities, which leaves it to the database default when inserting.
    lots_value = models.DecimalField("value of the lots/serials at their cost", default=0, db_default=0, max_digits=40, decimal_places=8)

    class Meta:
        # No CHECK on the sums: the posting service adds to them with one upsert, whose proposed
        # row (a decrease) would fail a CHECK before the database finds the row it updates. The
        # balances they sum hold the rule; verify_ledger compares the two.
        constraints = [
            models.UniqueConstraint(fields=["item", "location"], name="summary_unique_item_location"),
        ]
        indexes = [
            models.Index(fields=["company", "location", "item"], name="summary_location_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.location_id}: {self.quantity} ({self.lots} lots)"


class ExpirySummary(models.Model):
    """What an item holds at one location of lots/serials expiring on one day: the sum of those
    balances. Kept by the posting service beside ``StockSummary`` (and by ``lot_update`` when a
    lot's expiry date changes), so the expiry report's totals and weekly chart add up one row per
    (item, location, day) instead of every balance in the window (``verify_ledger`` checks it)."""

    # No database constraint on the keys, for the reason given on StockSummary.
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", **HOT)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", **HOT)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", **HOT)
    expiry_date = models.DateField()
    quantity = models.DecimalField(default=0, **TOTAL)

    class Meta:
        verbose_name_plural = "expiry summaries"
        constraints = [
            models.UniqueConstraint(fields=["item", "location", "expiry_date"], name="expiry_summary_unique"),
        ]
        indexes = [
            models.Index(fields=["company", "expiry_date"], name="expiry_summary_date"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.location_id} {self.expiry_date}: {self.quantity}"


class GenealogyLink(models.Model):
    """Lot ``consumed`` went into lot ``produced`` (work orders, kit assembly), optionally per unit."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    consumed = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="used_in")
    produced = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="made_from")
    quantity = models.DecimalField(**QUANTITY)
    document = models.ForeignKey("inventory.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="genealogy_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="genealogy_quantity_positive"),
            models.CheckConstraint(condition=~Q(consumed=F("produced")), name="genealogy_not_self"),
        ]
        indexes = [
            models.Index(fields=["consumed"], name="genealogy_consumed"),
            models.Index(fields=["produced"], name="genealogy_produced"),
        ]

    def __str__(self) -> str:
        return f"{self.consumed_id} → {self.produced_id}"


class LotHoldEvent(models.Model):
    """One hold or release of a lot/serial, with who and when: the record a regulator asks for."""

    class Action(models.TextChoices):
        HOLD = "hold", "Put on hold"
        RELEASE = "release", "Released"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="hold_events")
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["lot", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.lot_id} {self.action} {self.created_at:%Y-%m-%d %H:%M}"
