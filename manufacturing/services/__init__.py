"""Every manufacturing state change is one of these services (writes go through inventory's)."""

from .completion import work_order_complete
from .kits import kit_assemble, kit_disassemble
from .work_orders import (
    bom_active,
    work_order_cancel,
    work_order_components_propose,
    work_order_create,
    work_order_release,
    work_order_unit_map,
)

__all__ = [
    "bom_active",
    "kit_assemble",
    "kit_disassemble",
    "work_order_cancel",
    "work_order_complete",
    "work_order_components_propose",
    "work_order_create",
    "work_order_release",
    "work_order_unit_map",
]
