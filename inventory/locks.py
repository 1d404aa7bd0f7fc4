"""Every row lock of the posting path is taken here, in one global order:

    numbering counters → document → lots/serials (primary key order) → balances (primary key order)

Two transactions that follow this order can wait for each other but never deadlock.
Rows that do not exist yet are inserted first, in sorted key order, for the same reason.
"""

from collections.abc import Iterable

from .models import Balance, Document, Lot


def document_lock(document_id: int) -> Document:
    return Document.objects.select_for_update().get(pk=document_id)


def lots_lock(lot_ids: Iterable[int]) -> dict[int, Lot]:
    ids = sorted(set(lot_ids))
    if not ids:
        return {}
    rows = Lot.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {lot.pk: lot for lot in rows}


def balances_lock(*, item_ids: set[int], lot_ids: set[int], location_ids: set[int], unnumbered: bool) -> list[Balance]:
    """Lock every balance row that may be touched, in primary-key order.

    Over-locks a little (the cross product of the sets) to keep it one query.
    """
    from django.db.models import Q

    if not location_ids:
        return []
    condition = Q(pk__in=[])
    if lot_ids:
        condition |= Q(lot_id__in=sorted(lot_ids), location_id__in=sorted(location_ids))
    if unnumbered:
        condition |= Q(lot__isnull=True, item_id__in=sorted(item_ids), location_id__in=sorted(location_ids))
    return list(Balance.objects.select_for_update().filter(condition).order_by("pk"))
