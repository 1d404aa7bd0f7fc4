"""A scan queue on a draft line: each code (a number, a GTIN, a GS1 label) judged on its own."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from ..exceptions import InvalidDocument
from ..models import (
    DocumentLine,
    Item,
    Tracking,
)
from ..quantities import ZERO
from .allocation import (
    AllocationOutcome,
    Rejected,
    line_allocate,
)
from .base import Actor

MAX_SCAN_CODES = 500  # one request of a scan queue; a longer list is a paste


@transaction.atomic
def line_scan(
    *,
    line: DocumentLine,
    codes: Iterable[str],
    quantity: Decimal | None = None,
    expiry_date: date | None = None,
    parent_number: str = "",
    confirm: bool = False,
    user: Actor = None,
) -> AllocationOutcome:
    """Scanned or typed codes, one number each, in the order scanned.

    A GS1 label (element string or Digital Link) gives its item (AI 01, which must be the line's),
    its lot (10), serial (21) and expiry (17) in one scan; anything else is the number as typed.
    Each code is judged as ``line_allocate`` judges it: a bad one is refused alone.
    """
    from ..gs1 import gtin_normalize, scan_parse

    codes = list(codes)
    if len(codes) > MAX_SCAN_CODES:
        raise InvalidDocument(f"at most {MAX_SCAN_CODES} codes at once; paste longer lists")
    item = line.item
    own_gtin = gtin_normalize(item.gtin) if item.gtin else None
    outcome = AllocationOutcome(line=line)
    groups: list[tuple[tuple, list[str]]] = []  # consecutive codes that carry the same lot and expiry
    for code in codes:
        scan = scan_parse(code)
        if scan.error:
            outcome.rejected.append(Rejected(code, scan.error))
            continue
        key = (expiry_date, parent_number)
        number = scan.number
        if scan.is_gs1:
            if scan.gtin and scan.gtin != own_gtin:
                outcome.rejected.append(Rejected(scan.number or code, _another_item(item, scan.gtin)))
                continue
            if item.is_serial and not scan.serial:
                outcome.rejected.append(Rejected(code, f"the label carries no serial number (AI 21); {item.sku} is numbered by serial"))
                continue
            if not item.is_serial and not scan.lot:
                outcome.rejected.append(Rejected(code, f"the label carries no lot number (AI 10); {item.sku} is numbered by lot"))
                continue
            number = scan.serial if item.is_serial else scan.lot
            lot_of_serial = scan.lot if item.tracking == Tracking.LOT_AND_SERIAL and scan.serial else ""
            key = (scan.expiry or expiry_date, lot_of_serial or parent_number)
        if groups and groups[-1][0] == key:
            groups[-1][1].append(number)
        else:
            groups.append((key, [number]))
    for (expiry, parent), numbers in groups:
        part = line_allocate(
            line=line, numbers=numbers, quantity=quantity, expiry_date=expiry, parent_number=parent, confirm=confirm, user=user
        )
        outcome.accepted += part.accepted
        outcome.rejected += part.rejected
        outcome.remaining = part.remaining
        outcome.line = part.line
    if not groups:
        outcome.remaining = line.quantity - (line.allocations.aggregate(total=Sum("quantity"))["total"] or ZERO)
    return outcome


def _another_item(item: Item, gtin: str) -> str:
    from ..gs1 import gtin_normalize
    from ..models import Item

    candidates = Item.objects.filter(company_id=item.company_id).exclude(gtin="").filter(gtin__in={gtin, gtin[1:], gtin[2:], gtin[6:]})
    other = next((i for i in candidates if gtin_normalize(i.gtin) == gtin), None)
    if other is None:
        return f"another item: GTIN {gtin} is no item of this company (the line is for {item.sku})"
    return f"another item: GTIN {gtin} is {other.sku} {other.name}, the line is for {item.sku}"
