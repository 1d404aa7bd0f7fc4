"""A small plant: components in stock at WH1 and a bill for a serial-numbered widget.

resin: lots R1 (100 at 2.00) and R2 (50 at 3.00), FIFO · chip: serials C001–C020 at 5.00 ·
screw: untracked, 1000 at 0.10 · widget: serials W0001…, made of 2 resin, 1 chip, 4 screws.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from inventory.models import Item, SegmentKind, Tracking
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import receive
from tests.manufacturing.factories import BomFactory


@dataclass
class Plant:
    company: object
    warehouse: object
    resin: Item
    chip: Item
    screw: Item
    widget: Item
    bom: object


def serial_class(company, prefix, **kwargs):
    return LotClassFactory(
        company=company, tracking=Tracking.SERIAL, segments=[(SegmentKind.CONSTANT, prefix), (SegmentKind.COUNTER, "0001")], **kwargs
    )


@pytest.fixture
def plant(company, warehouse):
    lot_class = LotClassFactory(company=company, tracking=Tracking.LOT, segments=[(SegmentKind.CONSTANT, "R"), (SegmentKind.COUNTER, "1")])
    resin = ItemFactory(company=company, sku="RESIN", lot_class=lot_class, unit_cost=Decimal("2.00"))
    chip = ItemFactory(company=company, sku="CHIP", lot_class=serial_class(company, "C"), unit_cost=Decimal("5.00"))
    screw = ItemFactory(company=company, sku="SCREW", unit_cost=Decimal("0.10"))
    widget = ItemFactory(company=company, sku="WIDGET", lot_class=serial_class(company, "W", batch_size=10_000), unit_cost=Decimal("0"))
    receive(item=resin, location=warehouse, numbers=["R1"], quantity=100, unit_cost=Decimal("2.00"))
    receive(item=resin, location=warehouse, numbers=["R2"], quantity=50, unit_cost=Decimal("3.00"))
    receive(item=chip, location=warehouse, numbers="C001-C020", unit_cost=Decimal("5.00"))
    receive(item=screw, location=warehouse, quantity=1000, unit_cost=Decimal("0.10"))
    bom = BomFactory(company=company, item=widget, components=[(resin, 2), (chip, 1), (screw, 4)])
    return Plant(company, warehouse, resin, chip, screw, widget, bom)
