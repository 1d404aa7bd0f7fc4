"""Work order and kit pages. Views bind forms and call the manufacturing services."""

from .completion import WorkOrderCompleteView, WorkOrderUnitsView
from .kits import BomListView, KitView
from .work_orders import (
    WorkOrderCancelView,
    WorkOrderCreateView,
    WorkOrderDetailView,
    WorkOrderListView,
    WorkOrderProposeView,
    WorkOrderReleaseView,
)

__all__ = [
    "BomListView",
    "KitView",
    "WorkOrderCancelView",
    "WorkOrderCompleteView",
    "WorkOrderCreateView",
    "WorkOrderDetailView",
    "WorkOrderListView",
    "WorkOrderProposeView",
    "WorkOrderReleaseView",
    "WorkOrderUnitsView",
]
