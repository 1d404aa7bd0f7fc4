from django.conf import settings
from django.db import models
from django.db.models import Q


class DateFormat(models.TextChoices):
    """How the company writes dates in its files (imports read ISO dates as well)."""

    DMY = "%d/%m/%Y", "day/month/year (31/12/2027)"
    MDY = "%m/%d/%Y", "month/day/year (12/31/2027)"
    DMY_DOTS = "%d.%m.%Y", "day.month.year (31.12.2027)"
    ISO = "%Y-%m-%d", "year-month-day (2027-12-31)"


class Company(models.Model):
    """The tenant: every business row carries one."""

    name = models.CharField(max_length=200, unique=True)
    code = models.SlugField(max_length=30, unique=True)
    tracking_enabled = models.BooleanField(
        "lot/serial tracking enabled",
        default=True,
        help_text="Items are tracked by lot or serial number only while this is on.",
    )
    date_format = models.CharField(
        max_length=10,
        choices=DateFormat.choices,
        default=DateFormat.DMY,
        help_text="How dates are written in the files the company imports (ISO dates are read too).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    is_default = models.BooleanField(default=False, help_text="The company the user starts in.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="membership_unique_user_company"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"


class LocationKind(models.TextChoices):
    INTERNAL = "internal", "Internal (holds stock)"
    SUPPLIER = "supplier", "Supplier (virtual)"
    CUSTOMER = "customer", "Customer (virtual)"
    PRODUCTION = "production", "Production (virtual)"
    ADJUSTMENT = "adjustment", "Inventory adjustment (virtual)"


class Location(models.Model):
    """A warehouse, zone or bin (internal), or one of the company's virtual locations.

    Every stock change is a move from one location to another; only internal locations
    hold balances.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="locations")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=LocationKind.choices, default=LocationKind.INTERNAL)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="location_unique_code"),
            models.UniqueConstraint(
                fields=["company", "kind"],
                condition=~Q(kind="internal"),
                name="location_one_virtual_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.code if self.name == self.code else f"{self.code} {self.name}"

    @property
    def is_virtual(self) -> bool:
        return self.kind != LocationKind.INTERNAL

    def path(self) -> str:
        """Warehouse / zone / bin, following parents (each a query unless prefetched)."""
        parts, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            parts.append(node.code)
            node = node.parent
        return " / ".join(reversed(parts))


class Partner(models.Model):
    """A supplier or customer named on documents; recall reports list them."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="partners")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    is_supplier = models.BooleanField(default=False)
    is_customer = models.BooleanField(default=False)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="partner_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name
