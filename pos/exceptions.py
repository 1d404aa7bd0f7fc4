"""What the till refuses, in words a cashier understands."""

from inventory.exceptions import InventoryError


class TillError(InventoryError):
    """A refusal of the till's own rules (a closed session, an empty cart, too little cash…)."""
