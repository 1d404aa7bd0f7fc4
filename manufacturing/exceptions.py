"""Domain exceptions of manufacturing. Each names the row: the component, the number, how many.

They subclass ``InventoryError`` so views handle them as they handle any stock refusal.
"""

from inventory.exceptions import InventoryError, Problem

__all__ = ["InvalidBom", "InvalidWorkOrder", "ManufacturingError", "NumberAlreadyExists", "OverCompletion", "Problem", "UnitMappingError"]


class ManufacturingError(InventoryError):
    """Base of every manufacturing refusal."""


class InvalidBom(ManufacturingError):
    """A bill of materials that cannot be produced: no components, the item in itself, a lookup item…"""


class InvalidWorkOrder(ManufacturingError):
    """The work order cannot do this in its state, or with this quantity."""


class OverCompletion(InvalidWorkOrder):
    """Completing more than the work order still has to produce."""


class NumberAlreadyExists(ManufacturingError):
    """A finished serial (or a lot made elsewhere) already exists for the item."""


class UnitMappingError(ManufacturingError):
    """A per-unit genealogy entry naming a number that is not on the work order, or the wrong item."""
