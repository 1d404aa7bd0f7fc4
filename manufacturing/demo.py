"""The manufacturing part of the demo company (``manage.py seed_demo``): bills of materials,
work orders and kits, through the manufacturing services, on the stock the inventory part built."""

from decimal import Decimal

from inventory.models import DocumentKind, LotKind
from inventory.services import line_allocate, line_numbers_generate

from .models import BillOfMaterials, BomLine, WorkOrder, WorkOrderKind, WorkOrderState
from .services import (
    kit_assemble,
    work_order_complete,
    work_order_components_propose,
    work_order_create,
    work_order_release,
    work_order_unit_map,
)

# finished item, kit, components (sku, quantity per unit)
BOMS = [
    ("M-PENSET", False, [("D-PEN", "1"), ("K-BAND", "2")]),
    ("M-VITALS", False, [("E-OXI", "1"), ("K-THERM", "1")]),
    ("K-FAK", True, [("K-BAND", "2"), ("K-THERM", "1")]),
]


def build(demo) -> None:
    """Bills of materials, a finished and a released work order, and two assembled kits."""
    for sku, is_kit, components in BOMS:
        bom = BillOfMaterials.objects.create(company=demo.company, item=demo.item[sku], is_kit=is_kit)
        BomLine.objects.bulk_create(
            BomLine(bom=bom, position=i, component=demo.item[component], quantity=Decimal(quantity))
            for i, (component, quantity) in enumerate(components, start=1)
        )
    production, cold, ambient = demo.production, demo.loc["MAIN-C-01"], demo.loc["MAIN-A-02"]

    # Done: two starter sets, each mapped to its own pen of lot PEN-L2411, so a recall of that
    # lot finds them; one goes to a customer.
    work_order = work_order_create(
        company=demo.company,
        item=demo.item["M-PENSET"],
        quantity=Decimal(2),
        location=cold,
        due_date=demo.days(-1),
        reference="Clinic starter sets",
        user=production,
    )
    work_order = work_order_release(work_order=work_order, user=production)
    demo.checked(line_numbers_generate(line=work_order.output_document.lines.get(), user=production))
    pens = work_order.consumption_document.lines.get(item=demo.item["D-PEN"])
    demo.checked(line_allocate(line=pens, numbers="PX880101 PX880102", user=production))
    for outcome in work_order_components_propose(work_order=work_order, user=production):
        demo.checked(outcome)
    finished = list(work_order.output_document.allocations.order_by("id").values_list("number", flat=True))
    for unit, pen in zip(finished, ["PX880101", "PX880102"], strict=True):
        work_order_unit_map(work_order=work_order, finished_number=unit, component_number=pen, component=demo.item["D-PEN"])
    work_order_complete(work_order=work_order, user=production)
    doc = demo.document(DocumentKind.DELIVERY, days_ago=0, partner="CUS-HARB", reference="SO-1006", from_location="MAIN-C-01")
    demo.checked(line_allocate(line=demo.line(doc, "M-PENSET", 1), numbers=[finished[1]], user=demo.user))
    demo.post(doc)

    # Released, waiting for the production user: propose, map units, complete.
    work_order = work_order_create(
        company=demo.company,
        item=demo.item["M-VITALS"],
        quantity=Decimal(3),
        location=ambient,
        due_date=demo.days(3),
        reference="Home-care programme",
        user=production,
    )
    work_order_release(work_order=work_order, user=production)

    # Kits are assembled where the thermometers are; the bandages are brought over first.
    demo.outgoing(
        DocumentKind.TRANSFER,
        days_ago=1,
        reference="For kit assembly",
        from_location="MAIN-C-01",
        to_location="MAIN-A-02",
        lines=[("K-BAND", 10)],
    )
    kit_assemble(company=demo.company, item=demo.item["K-FAK"], quantity=Decimal(2), location=ambient, user=production)


def summary(company) -> list[tuple[str, object]]:
    """What the demo's manufacturing part made, for the command's report."""
    from inventory.models import Lot

    work_orders = WorkOrder.objects.filter(company=company).select_related("item").order_by("id")
    done = work_orders.filter(kind=WorkOrderKind.PRODUCTION, state=WorkOrderState.DONE).first()
    finished = Lot.objects.filter(company=company, item_id=done.item_id, kind=LotKind.SERIAL).order_by("number").first() if done else None
    return [
        ("bills of materials", BillOfMaterials.objects.filter(company=company).count()),
        ("work orders", ", ".join(f"{w.number} {w.item.sku} {w.get_state_display().lower()}" for w in work_orders)),
        ("finished serial to trace", finished.number if finished else "—"),
    ]
