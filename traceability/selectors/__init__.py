"""Reads of the traceability pages. Lot pages: ``lots``; lookup, genealogy and recall: ``trace``."""

from .lots import (
    lot_history,
    lot_hold_events,
    lot_locations,
    lot_on_hand,
    lot_product_totals,
    lot_production,
    lots_with_on_hand,
    tracked_items,
)

__all__ = [
    "lot_history",
    "lot_hold_events",
    "lot_production",
    "lot_locations",
    "lot_on_hand",
    "lot_product_totals",
    "lots_with_on_hand",
    "tracked_items",
]
