"""The cost state the valuation report reads (``inventory/models/costing.py``), kept by posting.

``costs_post`` runs inside ``moves_post``'s write block (with what ``cost_changes`` made of the moves before), after the stock summaries: it adds the
posting's incoming moves to their items' cost layers (a reversed incoming move leaves them), the
on-hand changes to the items' cost rows and recomputes the value of the units FIFO counts as gone;
``summary_values`` is what the posting adds to its summaries' ``lots_value`` (the lots' own cost),
written with their quantities. ``costs_rebuild`` builds the same
state from the moves (data written around the posting service, such as the bench's);
``cost_state_faults`` (part of ``verify_ledger``) compares the two.

Periodic FIFO ("what is on hand is the newest incoming units") is kept as a queue of layers with
running sums: the value on hand is the layers' total less the value of their oldest
``max(0, incoming − on hand)`` units, which is one index lookup however long the history.
Appending a layer (a receipt) touches no other; an issue moves the pointer, not the layers; a
reversed receipt takes its layer out and rewrites the running sums of the layers after it.
"""

from .check import cost_state_faults
from .lots import lot_cost_expression, lot_first_costs
from .posting import cost_changes, costs_post, incoming_moves, summary_values
from .rebuild import costs_rebuild, rebuild_statements

__all__ = [
    "cost_changes",
    "cost_state_faults",
    "costs_post",
    "costs_rebuild",
    "incoming_moves",
    "lot_cost_expression",
    "lot_first_costs",
    "rebuild_statements",
    "summary_values",
]
