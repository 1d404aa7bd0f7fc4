"""Quantities: ``Decimal`` with four places, read one way wherever a quantity comes in.

The services call ``quantity_read`` and turn its ``QuantityError`` into their own refusal (with
the line, the field or the work order it concerns); the sums' output field is ``QTY``.
"""

from decimal import Decimal, InvalidOperation

from django.db.models import DecimalField

ZERO = Decimal("0")
ONE = Decimal("1")
PLACES = 4
QUANTUM = Decimal("0.0001")  # quantities are stored with 4 decimal places
QTY = DecimalField(max_digits=18, decimal_places=PLACES)  # what a quantity expression gives


class QuantityError(ValueError):
    """What is wrong with a quantity, in words for the user."""


def quantity_read(value: object, *, zero: bool = False, check: bool = True) -> Decimal:
    """``value`` (text, number or Decimal) as a Decimal quantity, else ``QuantityError``: not a
    finite number; with ``check``, also not more than zero (0 allowed with ``zero``) or more
    than 4 decimal places. A blank with ``zero`` reads as 0."""
    if zero and value in (None, ""):
        return ZERO
    try:
        quantity = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise QuantityError(f"{value!r} is not a quantity") from None
    if not quantity.is_finite():  # NaN, Infinity: said as typed, not as Decimal('NaN')
        raise QuantityError(f"{value if isinstance(value, str) else quantity} is not a quantity")
    if not check:
        return quantity
    if quantity < 0 or (quantity == 0 and not zero):
        raise QuantityError("the quantity cannot be negative" if zero else "the quantity must be more than zero")
    if quantity.adjusted() >= 18:  # past what any quantity field holds (and past what quantize takes)
        raise QuantityError(f"the quantity {str(value)[:30]} is too large")
    if quantity.adjusted() < -PLACES or quantity != quantity.quantize(QUANTUM):
        shown = f"{quantity.normalize():f}" if quantity.adjusted() >= -12 else str(value)[:30]
        raise QuantityError(f"the quantity {shown} has more than {PLACES} decimal places")
    return quantity
