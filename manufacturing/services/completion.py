"""Completing a work order: consumption, production and genealogy posted as one atomic change.

The released work order's two drafts hold the plan and its allocations. Completing all that is
left posts the drafts themselves. A partial completion first splits its share off into a new pair
of documents — the chosen finished numbers, and the component allocations those units were mapped
to, are moved from the drafts onto the new lines through the allocation services (so every number
is judged again) — then posts that pair; the drafts keep the rest, still reserving it. The moved
allocations leave the drafts before the new documents post, otherwise the drafts would count as
another document holding that stock.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import QuerySet

from inventory.exceptions import Problem
from inventory.models import Allocation, Document, DocumentKind, DocumentLine, Lot, MoveReason, StockMove
from inventory.quantities import QUANTUM, ZERO
from inventory.services import (
    acting_user,
    allocations_clear,
    document_create,
    document_line_add,
    document_line_remove,
    document_line_update,
    document_post,
    genealogy_links_add,
    line_allocate,
)
from inventory.services.base import Actor

from ..exceptions import InvalidWorkOrder, NumberAlreadyExists, OverCompletion, UnitMappingError
from ..models import Completion, UnitGenealogy, WorkOrder, WorkOrderState
from .work_orders import quantity_of, require_open, work_order_lock


@transaction.atomic
def work_order_complete(
    *, work_order: WorkOrder, quantity: Decimal | None = None, numbers: Iterable[str] = (), user: Actor = None
) -> Completion:
    """Complete ``quantity`` (default: all that is left), ``numbers`` naming which finished units.

    One transaction: the components of those units leave the location for Production, the units
    arrive from it, costed at the consumed value per unit, and genealogy links record which
    component lots went into which finished lots — per unit where mapped, else every consumed lot
    into every unit made with it, in proportion. Any refusal leaves nothing posted.
    """
    work_order = work_order_lock(work_order)
    require_open(work_order)
    remaining = work_order.remaining_quantity
    if quantity is None:
        quantity = remaining
    quantity = _completed_quantity(work_order, quantity)
    chosen = [n.strip() for n in numbers if n and n.strip()]
    remainders: list[tuple[DocumentLine, _Take]] = []
    if quantity == remaining:
        issue, output = work_order.consumption_document, work_order.output_document
        _check_chosen(work_order, chosen, _allocation_rows(Allocation.objects.filter(document=output)))
    else:
        issue, output = _split_off(work_order, quantity, chosen, remainders, user)
    _check_new_numbers(work_order, output)

    consumed, produced, unit_cost = _documents_post(issue, output, quantity, user)
    completion = Completion.objects.create(
        company=work_order.company,
        work_order=work_order,
        quantity=quantity,
        consumption_document=issue,
        output_document=output,
        unit_cost=unit_cost,
        created_by=acting_user(user),
    )
    links, mapped = _links(work_order, consumed, produced)
    genealogy_links_add(company=work_order.company, links=links, document=output)
    UnitGenealogy.objects.filter(pk__in=mapped).update(completion=completion)

    work_order.produced_quantity += quantity
    work_order.state = WorkOrderState.DONE if work_order.produced_quantity == work_order.quantity else WorkOrderState.IN_PROGRESS
    work_order.save(update_fields=["produced_quantity", "state"])
    _remainders_restore(remainders)
    return completion


def _completed_quantity(work_order: WorkOrder, quantity: Decimal) -> Decimal:
    """The quantity to complete as read, refused past what the work order has left to produce."""
    item, remaining = work_order.item, work_order.remaining_quantity
    quantity = quantity_of(quantity, what=item.sku, whole=item.is_serial)
    if quantity > remaining:
        raise OverCompletion(
            Problem(
                f"{work_order.number} has {remaining.normalize():f} of {work_order.quantity.normalize():f} left to produce; "
                f"{quantity.normalize():f} is more than that"
            )
        )
    return quantity


def _documents_post(issue: Document, output: Document, quantity: Decimal, user: Actor) -> tuple[list, list, Decimal]:
    """Post the component issue, cost the output at the consumed value per unit, post it; returns
    the consumed and produced moves and that unit cost."""
    document_post(document=issue, user=user, auto_allocate=True)
    consumed = list(
        StockMove.objects.filter(document=issue, reason=MoveReason.PRODUCTION_CONSUMPTION).values_list(
            "item_id", "to_lot_id", "from_lot_id", "to_lot__number", "from_lot__number", "quantity", "unit_cost"
        )
    )
    value = sum((q * cost for *_, q, cost in consumed), ZERO)
    unit_cost = (value / quantity).quantize(QUANTUM, rounding=ROUND_HALF_UP)
    out_line = output.lines.get()
    document_line_update(
        line=out_line,
        item=out_line.item,
        quantity=out_line.quantity,
        unit_cost=unit_cost,
        lot_number=out_line.lot_number,
        expiry_date=out_line.expiry_date,
    )
    document_post(document=output, user=user, auto_allocate=True)
    produced = list(
        StockMove.objects.filter(document=output, reason=MoveReason.PRODUCTION_OUTPUT, to_lot__isnull=False).values_list(
            "to_lot_id", "to_lot__number", "quantity"
        )
    )
    return consumed, produced, unit_cost


def _remainders_restore(remainders: list[tuple[DocumentLine, "_Take"]]) -> None:
    """What a split lot allocation keeps for later completions goes back on the draft."""
    for draft_line, take in remainders:
        # What a split lot allocation keeps for later completions goes back on the draft. A lot
        # numbered on use that this completion created is no longer "unnumbered stock": its
        # rest is left for the issue method to propose.
        line_allocate(
            line=draft_line,
            numbers=[take.number],
            quantity=take.rest,
            expiry_date=take.expiry_date,
            parent_number=take.parent_number,
        )


# Splitting a partial completion off the drafts -------------------------------------------------


@dataclass(slots=True)
class _Row:
    id: int
    number: str  # the lot's number, or the new number the allocation gives
    quantity: Decimal
    expiry_date: date | None
    parent_number: str


@dataclass(slots=True)
class _Take:
    allocation_id: int
    number: str
    quantity: Decimal
    rest: Decimal
    expiry_date: date | None
    parent_number: str


def _allocation_rows(queryset: QuerySet[Allocation]) -> list[_Row]:
    rows = queryset.order_by("id").values_list("id", "number", "lot__number", "quantity", "expiry_date", "parent_number")
    return [_Row(pk, lot_number or number, quantity, expiry, parent) for pk, number, lot_number, quantity, expiry, parent in rows]


def _check_chosen(work_order: WorkOrder, chosen: list[str], rows: list[_Row]) -> None:
    on_output = {r.number for r in rows}
    unknown = [n for n in chosen if n not in on_output]
    if unknown:
        raise UnitMappingError([Problem(f"{n} is not on the output of {work_order.number}", number=n) for n in unknown])


def _takes(rows: list[_Row], wanted: Decimal, *, first: set[str], last: set[str]) -> list[_Take]:
    """Allocations taken greedily for ``wanted``: the preferred numbers first, the reserved-for-
    other-units ones last, each in the order they were allocated; a lot is split if need be."""
    order = sorted(rows, key=lambda r: (0 if r.number in first else 2 if r.number in last else 1, r.id))
    takes, left = [], wanted
    for row in order:
        if left <= 0:
            break
        take = min(row.quantity, left)
        left -= take
        takes.append(_Take(row.id, row.number, take, row.quantity - take, row.expiry_date, row.parent_number))
    return takes


def _split_off(work_order: WorkOrder, quantity: Decimal, chosen: list[str], remainders: list, user: Actor) -> tuple[Document, Document]:
    remaining = work_order.remaining_quantity
    company, location = work_order.company, work_order.location
    # New documents first: their numbering counters come before any document in the lock order.
    common = dict(company=company, user=user, reference=work_order.number)
    issue = document_create(kind=DocumentKind.PRODUCTION_ISSUE, from_location=location, **common)
    output = document_create(kind=DocumentKind.PRODUCTION_OUTPUT, to_location=location, **common)

    out_lines = list(work_order.output_document.lines.select_related("item__lot_class", "item__company"))
    if len(out_lines) != 1 or out_lines[0].item_id != work_order.item_id:
        raise InvalidWorkOrder(f"the output document of {work_order.number} must have one line, for {work_order.item.sku}")
    out_rows = _allocation_rows(Allocation.objects.filter(line=out_lines[0]))
    _check_chosen(work_order, chosen, out_rows)
    out_takes = _takes(out_rows, quantity, first=set(chosen), last=set())
    _move(out_lines[0], out_takes, output, quantity, remainders)

    finished = {t.number for t in out_takes}
    pending = UnitGenealogy.objects.filter(work_order=work_order, completion__isnull=True).values_list(
        "component_id", "component_number", "finished_number"
    )
    mine, others = defaultdict(set), defaultdict(set)
    for component_id, number, finished_number in pending:
        (mine if finished_number in finished else others)[component_id].add(number)
    lines = work_order.consumption_document.lines.select_related("item__lot_class", "item__company").order_by("position")
    for line in lines:
        take = (line.quantity * quantity / remaining).quantize(QUANTUM, rounding=ROUND_HALF_UP)
        if line.item.is_serial and take != take.to_integral_value():
            raise InvalidWorkOrder(
                Problem(
                    f"{line.item.sku} is serial-numbered: {take.normalize():f} for {quantity.normalize():f} units is not whole",
                    line=line.position,
                )
            )
        rows = _allocation_rows(Allocation.objects.filter(line=line))
        mapped = mine[line.item_id]
        takes = _takes(rows, take, first=mapped, last=others[line.item_id] - mapped)
        _move(line, takes, issue, take, remainders)
    return issue, output


def _move(draft_line: DocumentLine, takes: list[_Take], document: Document, quantity: Decimal, remainders: list) -> DocumentLine:
    """A line of ``quantity`` on the new document, with ``takes`` moved there from the draft line."""
    item = draft_line.item
    line = document_line_add(
        document=document, item=item, quantity=quantity, lot_number=draft_line.lot_number, expiry_date=draft_line.expiry_date
    )
    if takes:
        allocations_clear(line=draft_line, allocation_ids=[t.allocation_id for t in takes])
    left = draft_line.quantity - quantity
    if left > 0:
        document_line_update(
            line=draft_line,
            item=item,
            quantity=left,
            unit_cost=draft_line.unit_cost,
            lot_number=draft_line.lot_number,
            expiry_date=draft_line.expiry_date,
        )
    else:
        document_line_remove(line=draft_line)
    rejected = []
    if item.is_serial:
        groups = defaultdict(list)
        for t in takes:
            groups[(t.expiry_date, t.parent_number)].append(t.number)
        for (expiry, parent), numbers in groups.items():
            outcome = line_allocate(line=line, numbers=numbers, expiry_date=expiry, parent_number=parent)
            rejected += outcome.rejected
    else:
        for t in takes:
            outcome = line_allocate(
                line=line, numbers=[t.number], quantity=t.quantity, expiry_date=t.expiry_date, parent_number=t.parent_number
            )
            rejected += outcome.rejected
    if rejected:
        raise InvalidWorkOrder([Problem(f"{item.sku} {r.number}: {r.reason}", line=draft_line.position, number=r.number) for r in rejected])
    remainders += [(draft_line, t) for t in takes if t.rest > 0 and left > 0]
    return line


# Checks and genealogy ------------------------------------------------------------------------


def _check_new_numbers(work_order: WorkOrder, output: Document) -> None:
    """Finished numbers must be new: a serial that exists is not made twice, and a lot number is
    reused only for a lot this work order itself produced in an earlier completion."""
    item = work_order.item
    rows = list(Allocation.objects.filter(document=output).values_list("number", "lot_id", "lot__number"))
    new = {number for number, lot_id, _ in rows if lot_id is None}
    existing = {lot_number: lot_id for _, lot_id, lot_number in rows if lot_id is not None}
    if new:
        existing.update(Lot.objects.filter(company=work_order.company, item=item, number__any=new).values_list("number", "pk"))
    if not existing:
        return
    if not item.is_serial:
        earlier = work_order.completions.filter(is_reversed=False).values("output_document_id")
        ours = set(
            StockMove.objects.filter(document_id__in=earlier, to_lot_id__in=list(existing.values())).values_list("to_lot_id", flat=True)
        )
        existing = {number: pk for number, pk in existing.items() if pk not in ours}
    what = "serial number" if item.is_serial else "lot number"
    if existing:
        raise NumberAlreadyExists(
            [Problem(f"finished {what} {number} of {item.sku} already exists", number=number) for number in sorted(existing)]
        )


def _links(work_order: WorkOrder, consumed: list[tuple], produced: list[tuple]) -> tuple[list[tuple[int, int, Decimal]], list[int]]:
    """(component lot, finished lot, quantity) links, and the per-unit mappings they used.

    Mapped quantities go to their unit. What is left of each consumed lot or serial is shared, in
    proportion to the quantity made, among the units still missing that component (all if none
    is): nobody recorded which unit it went into, so a recall must find it in any of them. Map the
    units (``work_order_unit_map``) to record the one unit a serial went into.
    """
    made: dict[int, Decimal] = defaultdict(lambda: ZERO)
    made_by_number: dict[str, int] = {}
    for lot_id, number, q in produced:
        made[lot_id] += q
        made_by_number[number] = lot_id
    used: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)  # (item, lot) → consumed, in move order
    used_by_number: dict[tuple[int, str], int] = {}
    for item_id, to_lot, from_lot, to_number, from_number, q, _ in consumed:
        lot_id = to_lot or from_lot
        if lot_id is None:
            continue  # unnumbered components leave no trace to link
        used[(item_id, lot_id)] += q
        used_by_number[(item_id, to_number or from_number)] = lot_id
    if not made or not used:
        return [], []
    bom_lines = list(work_order.bom.lines.select_related("component__lot_class", "component__company")) if work_order.bom_id else []
    per_unit = {line.component_id: line.quantity for line in bom_lines}
    links: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    mapped_from: dict[int, Decimal] = defaultdict(lambda: ZERO)  # consumed lot → mapped quantity
    mapped_into: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)  # (component item, finished lot) → mapped
    mapping_ids, problems = [], []
    pending = UnitGenealogy.objects.filter(work_order=work_order, completion__isnull=True, finished_number__any=set(made_by_number))
    for pk, component_id, number, finished_number, q in pending.values_list(
        "pk", "component_id", "component_number", "finished_number", "quantity"
    ):
        consumed_lot = used_by_number.get((component_id, number))
        if consumed_lot is None:
            problems.append(Problem(f"{number} is mapped to {finished_number} but is not consumed by this completion", number=number))
            continue
        finished_lot = made_by_number[finished_number]
        links[(consumed_lot, finished_lot)] += q
        mapped_from[consumed_lot] += q
        mapped_into[(component_id, finished_lot)] += q
        mapping_ids.append(pk)
    if problems:
        raise UnitMappingError(problems)
    rests: dict[int, list[list]] = defaultdict(list)  # component item → [consumed lot, unmapped quantity]
    for (item_id, lot_id), q in used.items():
        if q - mapped_from[lot_id] > 0:
            rests[item_id].append([lot_id, q - mapped_from[lot_id]])
    for item_id, queue in rests.items():
        need = per_unit.get(item_id)
        # Shared among the units still missing it, in proportion; never rounded away to nothing.
        open_units = {f: fq for f, fq in made.items() if need is None or mapped_into[(item_id, f)] < need * fq} or made
        total = sum(open_units.values(), ZERO)
        for lot_id, rest in queue:
            for finished_lot, fq in open_units.items():
                share = (rest * fq / total).quantize(QUANTUM, rounding=ROUND_HALF_UP)
                links[(lot_id, finished_lot)] += max(share, QUANTUM)
    return [(c, f, q) for (c, f), q in links.items()], mapping_ids
