"""What valuing stock needs, kept by the posting service so the valuation report reads one row
per item instead of walking the ledger (``inventory/services/costing.py`` keeps them,
``costs_rebuild`` builds them from the moves, ``verify_ledger`` compares the two).

"Incoming" is a move from a virtual location (supplier, customer, production, adjustment) into
an internal one that is neither a reversal nor reversed: the moves that bring stock into the
company. They form the item's cost layers, oldest first.
"""

from django.db import models
from django.db.models import Q

from .catalog import MONEY, Item
from .company import Company
from .stock import TOTAL

# Quantity × unit cost has 8 decimal places (4 + 4); sums of them keep every one.
VALUE = {"max_digits": 40, "decimal_places": 8}


class ItemCost(models.Model):
    """One item's cost state, company-wide (a location never changes an item's cost).

    * ``incoming_quantity`` / ``incoming_value``: every incoming move's quantity and
      quantity × unit cost (the moving average, and the end of the FIFO layers).
    * ``consumed_value``: the value of the oldest ``max(0, incoming_quantity − on_hand)`` units
      of the layers, the ones FIFO says are gone; what is on hand is worth the rest.
    * ``unbound_*``: the same over the incoming moves that carried no bound lot/serial, covering
      ``unnumbered`` (the stock a specific-cost item values by FIFO: it has no lot to cost it).
    * ``last_at`` / ``last_move``: the newest layer's place in the order, so a posting whose
      layers come after it appends them without reading the others.

    Kept for every item whatever its valuation method, so changing the method needs nothing;
    the standard cost (``Item.unit_cost``) is read when the report is, never copied here.
    """

    # No database constraints on the keys: their checks would lock the item row (FOR KEY SHARE)
    # in the middle of a posting, out of the lock order of inventory/locks.py (a deadlock against
    # a posting that locks the item to number it).
    item = models.OneToOneField(Item, primary_key=True, on_delete=models.CASCADE, related_name="cost", db_constraint=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)
    on_hand = models.DecimalField(default=0, **TOTAL)
    unnumbered = models.DecimalField(default=0, **TOTAL)
    incoming_quantity = models.DecimalField(default=0, **TOTAL)
    incoming_value = models.DecimalField(default=0, **VALUE)
    consumed_value = models.DecimalField(default=0, **VALUE)
    unbound_quantity = models.DecimalField(default=0, **TOTAL)
    unbound_value = models.DecimalField(default=0, **VALUE)
    unbound_consumed_value = models.DecimalField(default=0, **VALUE)
    last_at = models.DateTimeField(null=True, blank=True)
    last_move = models.BigIntegerField(null=True, blank=True)

    class Meta:
        # No CHECK on the sums, as on the stock summaries: the posting service adds to them with
        # one upsert; verify_ledger compares them with a rebuild from the moves.
        indexes = [models.Index(fields=["company", "item"], name="itemcost_company_item")]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.on_hand} on hand, {self.incoming_quantity} in worth {self.incoming_value}"


class CostLayer(models.Model):
    """The incoming moves of one item that arrived together (one posting, ``arrived_at`` being
    the moves' ``created_at``) at one unit cost, bound to lots or not: one FIFO layer.

    Layers are ordered by (``arrived_at``, ``last_move``, the newest move in the layer).
    ``end_quantity`` / ``end_value`` add up this layer and every older one; ``unbound_end_*``
    the same over the unbound layers only (a bound layer repeats the older unbound layers'
    sums). The value of the oldest C units is then one index lookup: the first layer whose end
    reaches C, less what of it lies beyond C.
    """

    # Up to one row per incoming move: no foreign-key triggers (as on the moves), the unique
    # index leads with the item and serves its lookups.
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="cost_layers", db_constraint=False, db_index=False)
    arrived_at = models.DateTimeField()
    unit_cost = models.DecimalField(**MONEY)
    unbound = models.BooleanField()
    last_move = models.BigIntegerField()
    quantity = models.DecimalField(**TOTAL)
    end_quantity = models.DecimalField(**TOTAL)
    end_value = models.DecimalField(**VALUE)
    unbound_end_quantity = models.DecimalField(**TOTAL)
    unbound_end_value = models.DecimalField(**VALUE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "arrived_at", "unit_cost", "unbound"], name="costlayer_unique_group"),
        ]
        indexes = [
            models.Index(fields=["item", "end_quantity"], name="costlayer_item_end"),
            models.Index(fields=["item", "unbound_end_quantity"], condition=Q(unbound=True), name="costlayer_item_unbound_end"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.arrived_at:%Y-%m-%d %H:%M}: {self.quantity} at {self.unit_cost}"
