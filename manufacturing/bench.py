"""The manufacturing benchmark suite, found by ``manage.py bench`` (``--suite manufacturing``).

Completing one work order of ``--units`` finished serials, each mapped to its own sub-assembly
serial, with a lot-tracked component blended into all of them. Everything is set up through the
real services, as a planner would: the components are received, the order is created and released,
the finished numbers are generated on the output draft, the components proposed, and each finished
serial mapped to its sub-assembly serial one scan at a time (``work_order_unit_map``; set-up, timed
on stderr and not counted). Only ``work_order_complete`` is measured: its query count must not grow
with the order size (tests/manufacturing/test_bench_mfg.py checks that).

``pages`` declares the work order pages, which the trace suite opens on its data after this
module has added a bill of materials, a kit and work orders to it (see ``inventory/bench_pages.py``).
"""

import time
from decimal import Decimal

from django.core.management.base import CommandError
from django.db import transaction

from inventory.bench_pages import GROUPED, LIST, Page
from inventory.models import Allocation, DocumentKind, Item, Lot, LotSerialClass, NumberSegment, Tracking
from inventory.selectors import ledger_verify
from inventory.services import (
    company_create,
    document_create,
    document_line_add,
    document_post,
    line_allocate,
    line_numbers_generate,
    location_create,
)

from .models import BillOfMaterials, BomLine, UnitGenealogy, WorkOrder, WorkOrderState
from .services import work_order_complete, work_order_components_propose, work_order_create, work_order_release, work_order_unit_map

SIZES = {"units": (1_000, "finished serials of the completed work order (manufacturing suite)")}

WIDTH = 7  # digits of the generated serials: SA0000001, FG0000001
LOT_PER_UNIT = Decimal("0.5")
WORK_ORDERS = 300  # written on the trace suite's data for the work order pages


def suites():
    return [("manufacturing", run)]


def check(options) -> None:
    limit = 10**WIDTH - 1
    if options["units"] > limit:
        raise CommandError(f"--units must be at most {limit:,}")


def _released(d) -> dict:
    return {"work_order_pk": d["work_order"]}


def pages(data=None) -> list[Page]:
    """The work order pages. Given the trace suite's data, first adds what they show to it."""
    if data is not None:
        data.update(_pages_data(data))
    return [
        Page("work_orders", "manufacturing:work-order-list", LIST, texts=lambda d: [d["work_order_number"]]),
        Page(
            "work_orders_by_state",
            "manufacturing:work-order-list",
            GROUPED,
            params=lambda d: {"group": "state"},
            texts=lambda d: [d["cancelled_work_order_number"]],
        ),
        Page("work_order_create", "manufacturing:work-order-create", LIST, texts=lambda d: [d["work_order_sku"]]),
        Page("work_order", "manufacturing:work-order-detail", LIST, kwargs=_released, texts=lambda d: [d["work_order_number"]]),
        Page("work_order_units", "manufacturing:work-order-units", LIST, kwargs=_released, texts=lambda d: [d["work_order_number"]]),
        Page(
            "work_order_release",
            "manufacturing:work-order-release",
            LIST,
            kwargs=lambda d: {"work_order_pk": d["draft_work_order"]},
            texts=lambda d: [d["draft_work_order_number"]],
        ),
        Page("work_order_propose", "manufacturing:work-order-propose", LIST, kwargs=_released, texts=lambda d: [d["work_order_number"]]),
        Page("work_order_complete", "manufacturing:work-order-complete", LIST, kwargs=_released, texts=lambda d: [d["work_order_number"]]),
        Page("work_order_cancel", "manufacturing:work-order-cancel", LIST, kwargs=_released, texts=lambda d: [d["work_order_number"]]),
        Page("kits", "manufacturing:kit", LIST, texts=lambda d: [d["kit_sku"]]),
        Page("boms", "manufacturing:bom-list", LIST, texts=lambda d: [d["work_order_sku"], d["kit_sku"]]),
    ]


def _pages_data(data: dict) -> dict:
    """A device made of a lot-tracked and a serial item of the trace data, with its bill; a kit;
    ``WORK_ORDERS`` work orders of the device (drafts, every fourth cancelled), written in one
    statement; and two through the services, a draft and, the newest, one released (its drafts)."""
    company, user = data["company"], data["user"]
    component = Item.objects.get(pk=data["item"])  # lot-tracked
    serial = Lot.objects.select_related("item").get(pk=data["serial"]).item
    location = company.locations.get(pk=data["warehouse"])
    device = Item.objects.create(company=company, sku="WO-DEVICE", name="Device (work orders)", lot_class=serial.lot_class)
    bom = BillOfMaterials.objects.create(company=company, item=device)
    BomLine.objects.create(bom=bom, position=1, component=component, quantity=LOT_PER_UNIT)
    BomLine.objects.create(bom=bom, position=2, component=serial, quantity=Decimal("1"))
    kit = Item.objects.create(company=company, sku="WO-KIT", name="Kit (work orders)")
    kit_bom = BillOfMaterials.objects.create(company=company, item=kit, is_kit=True)
    BomLine.objects.create(bom=kit_bom, position=1, component=component, quantity=Decimal("2"))
    # Numbered apart from the work orders' counter (WO-000001…), which the services below use.
    WorkOrder.objects.bulk_create(
        WorkOrder(
            company=company,
            number=f"WOB-{n:06d}",
            item=device,
            quantity=Decimal(1 + n % 10),
            bom=bom,
            location=location,
            state=WorkOrderState.CANCELLED if n % 4 == 0 else WorkOrderState.DRAFT,
            created_by=user,
        )
        for n in range(1, WORK_ORDERS + 1)
    )
    draft = work_order_create(company=company, item=device, quantity=Decimal(5), location=location, user=user)
    released = work_order_release(
        work_order=work_order_create(company=company, item=device, quantity=Decimal(10), location=location, user=user), user=user
    )
    return {
        "work_order": released.pk,
        "work_order_number": released.number,
        "work_order_sku": device.sku,
        "kit_sku": kit.sku,
        "draft_work_order": draft.pk,
        "draft_work_order_number": draft.number,
        # The first group (cancelled) lists its newest first.
        "cancelled_work_order_number": f"WOB-{WORK_ORDERS // 4 * 4:06d}",
    }


def _serial_class(company, code: str, prefix: str, batch_size: int) -> LotSerialClass:
    lot_class = LotSerialClass.objects.create(
        company=company, code=code, name=f"{code} serials", tracking=Tracking.SERIAL, batch_size=batch_size
    )
    NumberSegment.objects.create(lot_class=lot_class, position=0, kind="constant", value=prefix)
    NumberSegment.objects.create(lot_class=lot_class, position=1, kind="counter", value="1".zfill(WIDTH))
    return lot_class


def run(measure, options) -> None:
    units = options["units"]
    started = time.perf_counter()
    company = company_create(name="Bench Manufacturing Co", code="bench-mfg")
    plant = location_create(company=company, code="PLANT")
    lot_class = LotSerialClass.objects.create(company=company, code="LOT", name="Lots", tracking=Tracking.LOT)
    NumberSegment.objects.create(lot_class=lot_class, position=0, kind="constant", value="RL")
    NumberSegment.objects.create(lot_class=lot_class, position=1, kind="counter", value="0001")
    resin = Item.objects.create(company=company, sku="RESIN", name="Resin (lot)", lot_class=lot_class, unit_cost=Decimal("2"))
    board = Item.objects.create(
        company=company,
        sku="BOARD",
        name="Board (serial sub-assembly)",
        lot_class=_serial_class(company, "SA", "SA", units),
        unit_cost=Decimal("7"),
    )
    device = Item.objects.create(
        company=company,
        sku="DEVICE",
        name="Device (serial finished)",
        lot_class=_serial_class(company, "FG", "FG", units),
        unit_cost=Decimal("0"),
    )
    bom = BillOfMaterials.objects.create(company=company, item=device)
    BomLine.objects.create(bom=bom, position=1, component=board, quantity=Decimal("1"))
    BomLine.objects.create(bom=bom, position=2, component=resin, quantity=LOT_PER_UNIT)

    # The components received: one resin lot with enough for every unit, and ``units`` board serials.
    with transaction.atomic():
        receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=plant)
        line = document_line_add(document=receipt, item=resin, quantity=Decimal(units), unit_cost=Decimal("2"))
        outcome = line_allocate(line=line, numbers=["RL-BENCH"], quantity=Decimal(units))
        if outcome.rejected:
            raise CommandError(f"resin lot refused: {outcome.rejected}")
        line = document_line_add(document=receipt, item=board, quantity=Decimal(units), unit_cost=Decimal("7"))
        line_numbers_generate(line=line)
        document_post(document=receipt)

    # The work order, released, with its finished numbers generated and components proposed.
    work_order = work_order_create(company=company, item=device, quantity=Decimal(units), location=plant)
    work_order = work_order_release(work_order=work_order)
    line_numbers_generate(line=work_order.output_document.lines.get())
    work_order_components_propose(work_order=work_order)
    finished = list(Allocation.objects.filter(document_id=work_order.output_document_id).order_by("id").values_list("number", flat=True))
    boards = list(
        Allocation.objects.filter(document_id=work_order.consumption_document_id, item=board)
        .order_by("id")
        .values_list("lot__number", flat=True)
    )
    if len(finished) != units or len(boards) != units:
        raise CommandError(f"expected {units} finished numbers and board serials, got {len(finished)} and {len(boards)}")
    prepared = time.perf_counter()
    measure.note(f"manufacturing: received and released {units:,} units in {prepared - started:.1f} s")

    # Each finished serial scanned with its board: one call per scan, as the dialog does.
    for finished_number, board_number in zip(finished, boards):
        work_order_unit_map(work_order=work_order, finished_number=finished_number, component_number=board_number, component=board)
    measure.note(f"manufacturing: mapped {units:,} units one scan at a time in {time.perf_counter() - prepared:.1f} s")

    with measure("mfg_complete_work_order"):
        work_order_complete(work_order=work_order)

    work_order.refresh_from_db()
    if work_order.state != WorkOrderState.DONE or work_order.produced_quantity != units:
        raise CommandError(f"{work_order.number} is {work_order.state} with {work_order.produced_quantity} produced")
    mapped = UnitGenealogy.objects.filter(work_order=work_order, completion__isnull=False).count()
    if mapped != units:
        raise CommandError(f"{mapped} of {units} unit mappings were used by the completion")
    faults = ledger_verify()
    if faults:
        raise CommandError("verify_ledger found faults: " + "; ".join(map(str, faults[:5])))
