"""Kits (seed 000): a bill assembled at once, without routing; the kit may carry its own serial while
its components keep theirs. Assembly is a work order completed in one go; disassembly posts the
reverse — the kit goes to Production, its components come back with their original numbers."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from inventory.exceptions import Problem
from inventory.models import (
    Allocation,
    Company,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    GenealogyLink,
    Item,
    Location,
    MoveReason,
    StockMove,
)
from inventory.numbering import parse_numbers
from inventory.quantities import QUANTUM, ZERO
from inventory.services import acting_user, document_create, document_line_add, document_post, line_allocate, line_numbers_generate
from inventory.services.allocation import AllocationOutcome
from inventory.services.base import Actor

from ..exceptions import InvalidBom, InvalidWorkOrder
from ..models import BillOfMaterials, Completion, UnitGenealogy, WorkOrder, WorkOrderKind, WorkOrderState
from .completion import work_order_complete
from .work_orders import bom_active, work_order_components_propose, work_order_create, work_order_release


def _kit_bom(item: Item) -> BillOfMaterials:
    bom = bom_active(item=item)
    if bom is None or not bom.is_kit:
        raise InvalidBom(f"{item.sku} has no active kit bill of materials")
    return bom


def _raise_rejected(sku: str, outcome: AllocationOutcome, position: int | None = None) -> None:
    if outcome.rejected:
        raise InvalidWorkOrder([Problem(f"{sku} {r.number}: {r.reason}", line=position, number=r.number) for r in outcome.rejected])


@transaction.atomic
def kit_assemble(
    *,
    company: Company,
    item: Item,
    quantity: Decimal,
    location: Location,
    numbers: str | Iterable[str] = (),
    expiry_date: date | None = None,
    lot_number: str = "",
    user: Actor = None,
) -> WorkOrder:
    """Assemble ``quantity`` kits at ``location`` in one transaction.

    The kits get ``numbers`` (typed or scanned), or numbers generated from their class's template;
    components are taken by their issue method. Serial kits record per unit which components went
    into which kit (in allocation order), so disassembly returns each kit's own components.
    """
    bom = _kit_bom(item)
    work_order = work_order_create(
        company=company, item=item, quantity=quantity, location=location, bom=bom, kind=WorkOrderKind.KIT_ASSEMBLY, user=user
    )
    work_order = work_order_release(work_order=work_order, user=user)
    out_line = work_order.output_document.lines.get()
    if item.is_tracked:
        if parse_numbers(numbers) if isinstance(numbers, str) else list(numbers):
            outcome = line_allocate(
                line=out_line,
                numbers=numbers,
                expiry_date=expiry_date,
                parent_number=lot_number,
                quantity=None if item.is_serial else work_order.quantity,
            )
            _raise_rejected(item.sku, outcome)
        else:
            line_numbers_generate(line=out_line, expiry_date=expiry_date, parent_number=lot_number)
    work_order_components_propose(work_order=work_order, user=user)
    if item.is_serial:
        _kit_units_map(work_order)
    work_order_complete(work_order=work_order, user=user)
    work_order.refresh_from_db()
    return work_order


def _kit_units_map(work_order: WorkOrder) -> None:
    """Each kit serial takes its bill's quantity of each component, in allocation order."""
    kits = list(Allocation.objects.filter(document_id=work_order.output_document_id).order_by("id").values_list("number", "lot__number"))
    kit_numbers = [lot_number or number for number, lot_number in kits]
    per_unit = dict(work_order.bom.lines.values_list("component_id", "quantity"))
    rows = Allocation.objects.filter(document_id=work_order.consumption_document_id).order_by("line__position", "id")
    available = defaultdict(list)
    for item_id, number, lot_number, q in rows.values_list("item_id", "number", "lot__number", "quantity"):
        available[item_id].append([lot_number or number, q])
    mappings = []
    for component_id, need in per_unit.items():
        queue = available[component_id]
        for kit in kit_numbers:
            left = need
            while left > 0 and queue:
                number, q = queue[0]
                take = min(q, left)
                mappings.append(
                    UnitGenealogy(
                        company=work_order.company,
                        work_order=work_order,
                        finished_number=kit,
                        component_id=component_id,
                        component_number=number,
                        quantity=take,
                    )
                )
                left -= take
                queue[0][1] -= take
                if queue[0][1] <= 0:
                    queue.pop(0)
    UnitGenealogy.objects.bulk_create(mappings)


@transaction.atomic
def kit_disassemble(
    *,
    company: Company,
    item: Item,
    location: Location,
    numbers: str | Iterable[str] = (),
    quantity: Decimal | None = None,
    user: Actor = None,
) -> WorkOrder:
    """Take kits apart at ``location``: the kits (``numbers`` for tracked kits) go to Production and
    their components come back to stock with the numbers they went in with (from the genealogy
    links, which stay: the history of the assembly is kept). Components that had no number come
    back unnumbered, in the bill's quantity."""
    bom = _kit_bom(item)
    entries = parse_numbers(numbers) if isinstance(numbers, str) else [n.strip() for n in numbers if n and n.strip()]
    if item.is_tracked and not entries:
        raise InvalidWorkOrder(f"{item.sku} is tracked: name the kits to take apart")
    if quantity is None:
        if not item.is_serial:
            raise InvalidWorkOrder(f"{item.sku}: give the quantity to take apart")
        quantity = Decimal(len(entries))
    work_order = work_order_create(
        company=company, item=item, quantity=quantity, location=location, bom=bom, kind=WorkOrderKind.KIT_DISASSEMBLY, user=user
    )
    quantity = work_order.quantity
    common = dict(company=company, user=user, reference=work_order.number)
    issue = document_create(kind=DocumentKind.PRODUCTION_ISSUE, from_location=location, **common)
    output = document_create(kind=DocumentKind.PRODUCTION_OUTPUT, to_location=location, **common)
    kit_line = document_line_add(document=issue, item=item, quantity=quantity)
    if entries:
        outcome = line_allocate(line=kit_line, numbers=entries, quantity=None if item.is_serial else quantity)
        _raise_rejected(item.sku, outcome, kit_line.position)
    went_in = _went_into(item, kit_line, quantity)
    _components_back(bom, output, quantity, went_in)
    document_post(document=issue, user=user)
    document_post(document=output, user=user)
    value = StockMove.objects.filter(document=issue).values_list("quantity", "unit_cost")
    unit_cost = (sum((q * c for q, c in value), ZERO) / quantity).quantize(QUANTUM)
    Completion.objects.create(
        company=company,
        work_order=work_order,
        quantity=quantity,
        consumption_document=issue,
        output_document=output,
        unit_cost=unit_cost,
        created_by=acting_user(user),
    )
    work_order.consumption_document, work_order.output_document = issue, output
    work_order.produced_quantity = quantity
    work_order.state = WorkOrderState.DONE
    work_order.save(update_fields=["consumption_document", "output_document", "produced_quantity", "state"])
    return work_order


def _went_into(item: Item, kit_line: DocumentLine, quantity: Decimal) -> dict[int, dict[str, Decimal]]:
    """What went into the kits on ``kit_line``, per component item and number (from the genealogy
    links); a lot kit gives back its share of the lot."""
    kit_lots = list(Allocation.objects.filter(line=kit_line, lot__isnull=False).values_list("lot_id", flat=True))
    share = Decimal(1)
    if kit_lots and not item.is_serial:
        made = (
            StockMove.objects.filter(to_lot_id__in=kit_lots, reason=MoveReason.PRODUCTION_OUTPUT)
            .exclude(document__status=DocumentStatus.REVERSED)
            .aggregate(total=Sum("quantity"))["total"]
        )
        share = quantity / made if made else share
    went_in = defaultdict(lambda: defaultdict(lambda: ZERO))
    for item_id, number, q in GenealogyLink.objects.filter(produced_id__in=kit_lots).values_list(
        "consumed__item_id", "consumed__number", "quantity"
    ):
        went_in[item_id][number] += q * share
    return went_in


def _components_back(bom: BillOfMaterials, output: Document, quantity: Decimal, went_in: dict[int, dict[str, Decimal]]) -> None:
    """The output's lines: each component in the bill's quantity, with the numbers it went in with."""
    for line in bom.lines.select_related("component__lot_class", "component__company").order_by("position", "id"):
        component = line.component
        needed = line.quantity * quantity
        out = document_line_add(document=output, item=component, quantity=needed)
        left = needed
        for number, q in sorted(went_in[component.pk].items()):
            take = min(q.quantize(QUANTUM), left)
            if take <= 0:
                break
            outcome = line_allocate(line=out, numbers=[number], quantity=None if component.is_serial else take)
            _raise_rejected(component.sku, outcome, out.position)
            left -= take
