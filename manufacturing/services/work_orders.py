"""Work orders: create, release (the two draft documents), propose components, map units, cancel."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum

from inventory import locks
from inventory.exceptions import Problem
from inventory.models import Allocation, Company, DocumentKind, DocumentStatus, Item, Location
from inventory.quantities import ONE, QUANTUM, ZERO, QuantityError, quantity_read
from inventory.services import (
    AllocationOutcome,
    acting_user,
    document_cancel,
    document_create,
    document_line_add,
    genealogy_links_remove,
    line_allocate_proposed,
)
from inventory.services.base import Actor
from inventory.services.numbers import document_number_next

from ..exceptions import InvalidBom, InvalidWorkOrder, UnitMappingError
from ..models import BillOfMaterials, UnitGenealogy, WorkOrder, WorkOrderKind, WorkOrderState

OPEN_STATES = (WorkOrderState.RELEASED, WorkOrderState.IN_PROGRESS)


def quantity_of(value: object, *, what: str, whole: bool = False) -> Decimal:
    """A positive quantity with at most 4 decimals (whole units for serial items), or a refusal."""
    try:
        quantity = quantity_read(value)
    except QuantityError as error:
        raise InvalidWorkOrder(Problem(f"{what}: {error}", field="quantity")) from None
    if whole and quantity != quantity.to_integral_value():
        message = f"{what} is serial-numbered: the quantity must be whole units, not {quantity.normalize():f}"
        raise InvalidWorkOrder(Problem(message, field="quantity"))
    return quantity


def work_order_lock(work_order: WorkOrder) -> WorkOrder:
    """Lock the work order first: it comes before every inventory lock (inventory/locks.py)."""
    return locks.row_lock(WorkOrder.objects.select_related("company", "item__lot_class", "item__company", "location"), work_order.pk)


def bom_problems(bom: BillOfMaterials) -> list[Problem]:
    problems = []
    lines = list(bom.lines.select_related("component"))
    if not lines:
        problems.append(Problem(f"{bom}: the bill has no components"))
    for position, line in enumerate(lines, start=1):
        component = line.component
        if component.pk == bom.item_id:
            problems.append(Problem(f"{component.sku} cannot be a component of itself", line=position))
        if component.company_id != bom.company_id:
            problems.append(Problem(f"{component.sku} belongs to another company", line=position))
        if not component.is_stocked:
            problems.append(Problem(f"{component.sku} is a lookup item and holds no stock", line=position))
    return problems


def bom_active(*, item: Item) -> BillOfMaterials | None:
    return BillOfMaterials.objects.filter(item=item, is_active=True).first()


@transaction.atomic
def work_order_create(
    *,
    company: Company,
    item: Item,
    quantity: Decimal,
    location: Location,
    bom: BillOfMaterials | None = None,
    due_date: date | None = None,
    reference: str = "",
    notes: str = "",
    kind: str = WorkOrderKind.PRODUCTION,
    user: Actor = None,
) -> WorkOrder:
    """A draft work order for ``quantity`` of ``item`` at ``location``, from its active bill by default."""
    if item.company_id != company.pk or location.company_id != company.pk:
        raise InvalidWorkOrder("the item and the location must belong to the company")
    if location.is_virtual:
        raise InvalidWorkOrder(Problem(f"work orders produce at an internal location, not {location.code}", field="location"))
    if not item.is_stocked:
        raise InvalidWorkOrder(Problem(f"{item.sku} is a lookup item and holds no stock", field="item"))
    quantity = quantity_of(quantity, what=item.sku, whole=item.is_serial)
    if kind != WorkOrderKind.KIT_DISASSEMBLY:
        bom = bom or bom_active(item=item)
        if bom is None:
            raise InvalidBom(f"{item.sku} has no active bill of materials")
        if bom.item_id != item.pk:
            raise InvalidBom(f"{bom} is the bill of {bom.item.sku}, not of {item.sku}")
        if bom.company_id != company.pk:
            raise InvalidBom(f"{bom} belongs to another company")
        problems = bom_problems(bom)
        if problems:
            raise InvalidBom(problems)
    return WorkOrder.objects.create(
        company=company,
        kind=kind,
        number=document_number_next(company_id=company.pk, prefix="WO"),
        item=item,
        quantity=quantity,
        bom=bom,
        location=location,
        due_date=due_date,
        reference=reference,
        notes=notes,
        created_by=acting_user(user),
    )


@transaction.atomic
def work_order_release(*, work_order: WorkOrder, user: Actor = None) -> WorkOrder:
    """Draft → released: the draft consumption document (one line per component, per-unit × order
    quantity, location → Production) and the draft output document (the finished item, Production →
    location). Both are allocated in the allocations dialog like any delivery or receipt."""
    work_order = work_order_lock(work_order)
    if work_order.state != WorkOrderState.DRAFT:
        raise InvalidWorkOrder(f"{work_order.number} is {work_order.get_state_display().lower()}; only drafts are released")
    bom = work_order.bom
    problems = bom_problems(bom)
    if problems:
        raise InvalidBom(problems)
    company, location = work_order.company, work_order.location
    common = dict(company=company, user=user, reference=work_order.number, date=None)
    consumption = document_create(kind=DocumentKind.PRODUCTION_ISSUE, from_location=location, **common)
    output = document_create(kind=DocumentKind.PRODUCTION_OUTPUT, to_location=location, **common)
    for position, line in enumerate(bom.lines.select_related("component__lot_class", "component__company"), start=1):
        component = line.component
        needed = line.quantity * work_order.quantity
        if needed != needed.quantize(QUANTUM):
            raise InvalidBom(Problem(f"{component.sku}: {needed.normalize():f} has more than 4 decimal places", line=position))
        if component.is_serial and needed != needed.to_integral_value():
            raise InvalidBom(Problem(f"{component.sku} is serial-numbered: {needed.normalize():f} is not whole units", line=position))
        document_line_add(document=consumption, item=component, quantity=needed)
    document_line_add(document=output, item=work_order.item, quantity=work_order.quantity)
    work_order.consumption_document = consumption
    work_order.output_document = output
    work_order.state = WorkOrderState.RELEASED
    work_order.save(update_fields=["consumption_document", "output_document", "state"])
    return work_order


def require_open(work_order: WorkOrder) -> None:
    if work_order.state not in OPEN_STATES:
        raise InvalidWorkOrder(f"{work_order.number} is {work_order.get_state_display().lower()}")


@transaction.atomic
def work_order_components_propose(*, work_order: WorkOrder, user: Actor = None) -> list[AllocationOutcome]:
    """Fill every consumption line by its class's issue method (never expired or held lots)."""
    work_order = work_order_lock(work_order)
    require_open(work_order)
    lines = work_order.consumption_document.lines.order_by("position")
    return [line_allocate_proposed(line=line, user=user) for line in lines]


def _allocated_numbers(document_id: int, number: str) -> dict[tuple[int, str], Decimal]:
    """(item id, number) → quantity allocated on a draft, whether the number is new or an existing
    lot's — for one scanned number only, so a scan costs the same in an order of 10 or 10,000."""
    found: dict[tuple[int, str], Decimal] = {}
    rows = (
        Allocation.objects.filter(document_id=document_id)
        .filter(Q(number=number) | Q(lot__number=number))
        .values_list("item_id", "number", "lot__number", "quantity")
    )
    for item_id, number, lot_number, quantity in rows:
        key = (item_id, lot_number or number)
        found[key] = found.get(key, ZERO) + quantity
    return found


@transaction.atomic
def work_order_unit_map(
    *,
    work_order: WorkOrder,
    finished_number: str,
    component_number: str,
    component: Item | None = None,
    quantity: Decimal | None = None,
) -> UnitGenealogy:
    """Record that component lot/serial ``component_number`` goes into finished unit ``finished_number``.

    Both must be allocated on the work order's drafts (finished numbers on the output, component
    numbers on the consumption). Completion writes the link for the unit; components left unmapped
    are linked to every unit produced with them, in proportion.
    """
    work_order = work_order_lock(work_order)
    require_open(work_order)
    finished_number, component_number = finished_number.strip(), component_number.strip()
    item = work_order.item
    finished = _allocated_numbers(work_order.output_document_id, finished_number)
    if (item.pk, finished_number) not in finished:
        raise UnitMappingError(Problem(f"{finished_number} is not on the output of {work_order.number}", number=finished_number))
    component, needed, allocated = _mapped_component(work_order, component, component_number)
    if quantity is None:
        quantity = ONE if component.is_serial else needed
    quantity = quantity_of(quantity, what=component.sku, whole=component.is_serial)
    _mapping_room_check(work_order, finished_number, component, component_number, quantity, needed, allocated)
    row, created = UnitGenealogy.objects.get_or_create(
        work_order=work_order,
        finished_number=finished_number,
        component=component,
        component_number=component_number,
        defaults={"company": work_order.company, "quantity": quantity},
    )
    if not created:
        row.quantity += quantity
        row.save(update_fields=["quantity"])
    return row


def _mapped_component(work_order: WorkOrder, component: Item | None, component_number: str) -> tuple[Item, Decimal, Decimal]:
    """The component a scanned number is allocated to on the work order's consumption (``component``
    names it when several have that number): the component, its quantity per unit, and how much
    of that number is allocated."""
    item = work_order.item
    per_unit = dict(work_order.bom.lines.values_list("component_id", "quantity")) if work_order.bom else {}
    components = {c.pk: c for c in Item.objects.filter(pk__in=per_unit)}
    if component is not None and component.pk not in per_unit:
        raise UnitMappingError(Problem(f"{component.sku} is not a component of {item.sku} on {work_order.number}", number=component_number))
    allocated = _allocated_numbers(work_order.consumption_document_id, component_number)
    matches = [item_id for (item_id, number) in allocated if number == component_number and (component is None or item_id == component.pk)]
    if not matches:
        raise UnitMappingError(
            Problem(f"{component_number} is not allocated to the components of {work_order.number}", number=component_number)
        )
    if len(matches) > 1:
        raise UnitMappingError(
            Problem(f"{component_number} is a number of several components: name the component", number=component_number)
        )
    component = components[matches[0]]
    return component, per_unit[component.pk], allocated[(component.pk, component_number)]


def _mapping_room_check(
    work_order: WorkOrder,
    finished_number: str,
    component: Item,
    component_number: str,
    quantity: Decimal,
    needed: Decimal,
    allocated: Decimal,
) -> None:
    """Refuse a mapping past what the number is allocated, or past what one unit takes."""
    item = work_order.item
    pending = UnitGenealogy.objects.filter(work_order=work_order, component=component, completion__isnull=True)
    on_number = pending.filter(component_number=component_number).aggregate(total=Sum("quantity"))["total"] or ZERO
    if on_number + quantity > allocated:
        raise UnitMappingError(
            Problem(
                f"{component_number} is allocated {allocated.normalize():f}; "
                f"{(on_number + quantity).normalize():f} would be mapped to finished units",
                number=component_number,
            )
        )
    in_unit = pending.filter(finished_number=finished_number).aggregate(total=Sum("quantity"))["total"] or ZERO
    if in_unit + quantity > needed:
        raise UnitMappingError(
            Problem(
                f"one {item.sku} takes {needed.normalize():f} of {component.sku}; "
                f"{(in_unit + quantity).normalize():f} would be mapped to {finished_number}",
                number=finished_number,
            )
        )


@transaction.atomic
def work_order_cancel(*, work_order: WorkOrder, user: Actor = None) -> WorkOrder:
    """Cancel a work order. Drafts are dropped; every completion is reversed (its documents post
    their exact opposite moves, output first so finished goods leave before components come back)
    and its genealogy links are deleted, since that production never happened. Refused whole,
    with the reason, if finished goods have moved on (delivered, consumed elsewhere)."""
    work_order = work_order_lock(work_order)
    if work_order.state == WorkOrderState.CANCELLED:
        raise InvalidWorkOrder(f"{work_order.number} is already cancelled")
    for completion in (
        work_order.completions.filter(is_reversed=False).select_related("output_document", "consumption_document").order_by("-id")
    ):
        output, consumption = completion.output_document, completion.consumption_document
        genealogy_links_remove(documents=[output, consumption])
        document_cancel(document=output, user=user)
        document_cancel(document=consumption, user=user)
        completion.is_reversed = True
        completion.save(update_fields=["is_reversed"])
    for document in (work_order.output_document, work_order.consumption_document):
        if document is not None and document.status == DocumentStatus.DRAFT:
            document_cancel(document=document, user=user)
    work_order.unit_links.update(completion=None)
    work_order.state = WorkOrderState.CANCELLED
    work_order.produced_quantity = ZERO
    work_order.save(update_fields=["state", "produced_quantity"])
    return work_order
