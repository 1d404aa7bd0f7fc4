from django.conf import settings
from django.db import models
from django.db.models import Q

from inventory.models import Company, Document, Item, Location
from inventory.models.catalog import QUANTITY


class BillOfMaterials(models.Model):
    """What one unit of ``item`` is made of. A kit's bill is assembled without routing (seed 000)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", verbose_name="finished item")
    is_kit = models.BooleanField("kit", default=False, help_text="Assembled and disassembled at once, without routing.")
    is_active = models.BooleanField("active", default=True, help_text="New work orders use the item's active bill.")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item__sku", "-id"]
        verbose_name = "bill of materials"
        verbose_name_plural = "bills of materials"
        constraints = [
            models.UniqueConstraint(fields=["item"], condition=Q(is_active=True), name="bom_one_active_per_item"),
        ]

    def __str__(self) -> str:
        return f"{'Kit' if self.is_kit else 'BOM'} {self.item.sku}"


class BomLine(models.Model):
    bom = models.ForeignKey(BillOfMaterials, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=1)
    component = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField("quantity per unit", **QUANTITY)

    class Meta:
        ordering = ["bom", "position", "id"]
        verbose_name = "component"
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="bomline_quantity_positive"),
            models.UniqueConstraint(fields=["bom", "component"], name="bomline_unique_component"),
        ]

    def __str__(self) -> str:
        return f"{self.component.sku} × {self.quantity.normalize():f}"


class WorkOrderState(models.TextChoices):
    DRAFT = "draft", "Draft"
    RELEASED = "released", "Released"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class WorkOrderKind(models.TextChoices):
    PRODUCTION = "production", "Production"
    KIT_ASSEMBLY = "kit_assembly", "Kit assembly"
    KIT_DISASSEMBLY = "kit_disassembly", "Kit disassembly"


class WorkOrder(models.Model):
    """Produce ``quantity`` of ``item`` from its bill at ``location``.

    Released, it holds two draft inventory documents: the components to consume (location →
    Production) and the finished goods to produce (Production → location). Their lines are
    allocated in the same dialog as any delivery or receipt; each completion posts its share.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=WorkOrderKind.choices, default=WorkOrderKind.PRODUCTION)
    number = models.CharField(max_length=30)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    produced_quantity = models.DecimalField(default=0, **QUANTITY)
    bom = models.ForeignKey(BillOfMaterials, null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders")
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", help_text="Where components are taken from and finished goods put."
    )
    due_date = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=WorkOrderState.choices, default=WorkOrderState.DRAFT)
    reference = models.CharField(max_length=120, blank=True)
    notes = models.TextField(blank=True)
    consumption_document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    output_document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="workorder_unique_number"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="workorder_quantity_positive"),
            models.CheckConstraint(
                condition=Q(produced_quantity__gte=0, produced_quantity__lte=models.F("quantity")),
                name="workorder_produced_within_quantity",
            ),
        ]
        indexes = [models.Index(fields=["company", "state"], name="workorder_company_state")]

    def __str__(self) -> str:
        return self.number

    @property
    def remaining_quantity(self):
        return self.quantity - self.produced_quantity


class Completion(models.Model):
    """One completion of a work order: the posted pair of documents and what it produced.

    Reversed when the work order is cancelled; its genealogy links go with it (they never happened).
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="completions")
    quantity = models.DecimalField(**QUANTITY)
    consumption_document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    output_document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    unit_cost = models.DecimalField(max_digits=18, decimal_places=4)
    is_reversed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["work_order", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="completion_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.work_order.number}: {self.quantity.normalize():f}"


class UnitGenealogy(models.Model):
    """Per-unit mapping recorded before completion: component lot/serial → finished number.

    Numbers, not lot ids: the finished number usually exists only once the completion posts.
    ``completion`` is set when the link is written.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="unit_links")
    finished_number = models.CharField(max_length=80)
    component = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    component_number = models.CharField(max_length=80)
    quantity = models.DecimalField(**QUANTITY)
    completion = models.ForeignKey(Completion, null=True, blank=True, on_delete=models.SET_NULL, related_name="unit_links")

    class Meta:
        ordering = ["work_order", "finished_number", "id"]
        verbose_name = "unit genealogy"
        verbose_name_plural = "unit genealogy"
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="unitgenealogy_quantity_positive"),
            models.UniqueConstraint(fields=["work_order", "finished_number", "component", "component_number"], name="unitgenealogy_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.component_number} → {self.finished_number}"
