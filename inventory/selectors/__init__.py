"""Reads of the inventory, by subject; everything public is importable from here."""

from .allocation import (
    ISSUE_ORDER,
    allocation_candidates,
    loose_candidates,
    reserved_subquery,
    sellable_without_numbers,
    unavailable_summary,
    unnumbered_available,
)
from .documents import document_line_numbers, document_lines, document_unnumbered, line_summaries
from .ledger import UNITS, LedgerFault, ledger_verify
from .lots import LotUsage, lot_usage, lots_customer_net, lots_supplier_origin
from .stock import (
    expiring_lots,
    expiry_window,
    fully_tracked_q,
    internal_locations,
    internal_locations_with_on_hand,
    items_with_on_hand,
    location_paths,
    stock_on_hand,
    unassigned_balances,
)

__all__ = [
    "ISSUE_ORDER",
    "LedgerFault",
    "LotUsage",
    "UNITS",
    "allocation_candidates",
    "document_line_numbers",
    "document_lines",
    "document_unnumbered",
    "expiring_lots",
    "expiry_window",
    "fully_tracked_q",
    "internal_locations",
    "internal_locations_with_on_hand",
    "items_with_on_hand",
    "ledger_verify",
    "line_summaries",
    "location_paths",
    "loose_candidates",
    "lot_usage",
    "lots_customer_net",
    "lots_supplier_origin",
    "reserved_subquery",
    "stock_on_hand",
    "unassigned_balances",
    "unavailable_summary",
    "unnumbered_available",
    "sellable_without_numbers",
]
