"""The item choices of the manufacturing pages: a select, or a type-ahead past a company's first
few hundred items (inventory/web/choices.py)."""

from inventory.models import Item
from inventory.web.choices import choice_source

from .selectors import kit_items, producible_items

ITEM = {"model": Item, "code": "sku", "code_label": "SKU"}

# What the work order list filters by: any item of the company.
WORK_ORDER_ITEMS = choice_source(
    name="work-order-items",
    rows=lambda company: Item.objects.filter(company=company).order_by("sku"),
    noun="item",
    permissions=("manufacturing.view_workorder",),
    **ITEM,
)
PRODUCIBLE_ITEMS = choice_source(
    name="producible-items",
    rows=producible_items,
    noun="item",
    permissions=("manufacturing.add_workorder",),
    **ITEM,
)
KIT_ITEMS = choice_source(
    name="kit-items",
    rows=kit_items,
    noun="kit",
    permissions=("manufacturing.add_workorder",),
    **ITEM,
)
