"""Reads of the manufacturing pages: work orders of a company, their drafts' lines, their mappings.

Every read here costs a fixed number of queries whatever the number of rows it returns.
"""

from django.db.models import Count, Q, QuerySet

from inventory.models import Allocation, Company, Item, Location, LocationKind, Lot, StockMove

from .models import BillOfMaterials, Completion, UnitGenealogy, WorkOrder


def work_orders_of(company: Company) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(company=company).select_related("item", "location")


def work_orders_with_number(company: Company, value: str) -> QuerySet[WorkOrder]:
    """Work orders whose number or reference holds ``value``, or whose documents (drafts or
    completions) allocate or moved the lot/serial number ``value`` exactly."""
    lots = Lot.objects.filter(company=company, number=value).values("pk")
    allocated = Allocation.objects.filter(company=company).filter(Q(number=value) | Q(lot__in=lots)).values("document_id")
    moved = StockMove.objects.filter(Q(from_lot__in=lots) | Q(to_lot__in=lots)).values("document_id")
    on_documents = Q(consumption_document__in=allocated) | Q(output_document__in=allocated)
    on_documents |= Q(consumption_document__in=moved) | Q(output_document__in=moved)
    completed = (
        Completion.objects.filter(company=company)
        .filter(Q(consumption_document__in=moved) | Q(output_document__in=moved))
        .values("work_order_id")
    )
    return Q(number__icontains=value) | Q(reference__icontains=value) | on_documents | Q(pk__in=completed)


def producible_items(company: Company) -> QuerySet[Item]:
    """Items of the company that have an active bill of materials."""
    boms = BillOfMaterials.objects.filter(company=company, is_active=True).values("item_id")
    return Item.objects.filter(company=company, pk__in=boms).order_by("sku")


def kit_items(company: Company) -> QuerySet[Item]:
    """Items of the company whose active bill of materials is a kit."""
    boms = BillOfMaterials.objects.filter(company=company, is_active=True, is_kit=True).values("item_id")
    return Item.objects.filter(company=company, pk__in=boms).order_by("sku")


def production_locations(company: Company) -> QuerySet[Location]:
    return Location.objects.filter(company=company, kind=LocationKind.INTERNAL).order_by("code")


def work_order_components(work_order: WorkOrder) -> list:
    """The bill's lines, each with its quantity per unit and for the whole order."""
    if not work_order.bom_id:
        return []
    lines = list(work_order.bom.lines.select_related("component").order_by("position", "id"))
    for line in lines:
        line.total = line.quantity * work_order.quantity
    return lines


def work_order_completions(work_order: WorkOrder) -> QuerySet[Completion]:
    return work_order.completions.select_related("consumption_document", "output_document", "created_by").order_by("id")


def finished_number_allocated(work_order: WorkOrder, number: str) -> bool:
    """Is ``number`` a finished lot/serial on the work order's output draft?"""
    if not number or work_order.output_document_id is None:
        return False
    return Allocation.objects.filter(document_id=work_order.output_document_id).filter(Q(number=number) | Q(lot__number=number)).exists()


def unit_mappings(work_order: WorkOrder) -> QuerySet[UnitGenealogy]:
    return UnitGenealogy.objects.filter(work_order=work_order).select_related("component", "completion").order_by("-id")


def unit_mapping_counts(work_order: WorkOrder) -> dict:
    return UnitGenealogy.objects.filter(work_order=work_order).aggregate(rows=Count("id"), units=Count("finished_number", distinct=True))


def boms_of(company: Company) -> QuerySet[BillOfMaterials]:
    """The company's bills of materials with their components: two queries for any number."""
    from django.db.models import Prefetch

    from .models import BomLine

    lines = BomLine.objects.select_related("component").order_by("position", "id")
    return (
        BillOfMaterials.objects.filter(company=company)
        .select_related("item")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-is_active", "item__sku", "id")
    )
