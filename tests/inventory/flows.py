"""Short-hands over the real services for tests: every stock change goes through posting."""

from decimal import Decimal

from inventory.models import Balance, DocumentKind
from inventory.numbering import parse_numbers
from inventory.services import (
    document_create,
    document_line_add,
    document_post,
    line_allocate,
    line_allocate_proposed,
    line_numbers_generate,
)


def receive(
    *, item, location, quantity=None, numbers=None, generate=None, expiry=None, parent_number="", user=None, unit_cost=None, post=True
):
    """Receive ``numbers`` (serials/lot), or ``generate`` numbers, or ``quantity`` unnumbered."""
    document = document_create(company=item.company, kind=DocumentKind.RECEIPT, to_location=location, user=user)
    qty = quantity if quantity is not None else (len(parse_numbers(numbers)) if numbers and item.is_serial else generate or 1)
    line = document_line_add(
        document=document, item=item, quantity=Decimal(qty), unit_cost=unit_cost, lot_number=parent_number, expiry_date=expiry
    )
    if numbers:
        outcome = line_allocate(
            line=line, numbers=numbers, expiry_date=expiry, parent_number=parent_number, quantity=None if item.is_serial else Decimal(qty)
        )
        assert not outcome.rejected, outcome.rejected
    elif generate:
        line_numbers_generate(line=line, count=generate, expiry_date=expiry, parent_number=parent_number)
    return document_post(document=document, user=user) if post else document


def issue(
    *,
    kind=DocumentKind.DELIVERY,
    item,
    location,
    quantity,
    numbers=None,
    to_location=None,
    propose=False,
    user=None,
    post=True,
    lot_quantity=None,
    confirm=False,
):
    kwargs = {"from_location": location} if location is not None else {}
    if to_location is not None:
        kwargs["to_location"] = to_location
    document = document_create(company=item.company, kind=kind, user=user, **kwargs)
    line = document_line_add(document=document, item=item, quantity=Decimal(quantity))
    if numbers:
        outcome = line_allocate(line=line, numbers=numbers, quantity=lot_quantity, confirm=confirm)
        assert not outcome.rejected, outcome.rejected
    if propose:
        line_allocate_proposed(line=line)
    return document_post(document=document, user=user) if post else document


def on_hand(item, location, lot=None, *, unnumbered=False) -> Decimal:
    rows = Balance.objects.filter(item=item, location=location)
    if lot is not None:
        rows = rows.filter(lot=lot)
    elif unnumbered:
        rows = rows.filter(lot__isnull=True)
    return sum((b.quantity for b in rows), Decimal("0"))
