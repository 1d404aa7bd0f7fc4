"""The product choices of the lot pages: a select, or a type-ahead past a company's first few
hundred products (inventory/web/choices.py)."""

from inventory.models import Item
from inventory.web.choices import choice_source

from .selectors import tracked_items

PRODUCT = {"model": Item, "noun": "product", "code": "sku", "code_label": "SKU"}

# What the Lots/Serial Numbers list filters by (archived products' lots are still listed).
TRACKED_ITEMS = choice_source(
    name="tracked-items",
    rows=lambda company: tracked_items(company=company),
    permissions=("inventory.view_lot",),
    **PRODUCT,
)
# What a new lot/serial number can be created for.
ACTIVE_TRACKED_ITEMS = choice_source(
    name="active-tracked-items",
    rows=lambda company: tracked_items(company=company, active_only=True),
    permissions=("inventory.add_lot",),
    **PRODUCT,
)
