"""Every move of a company, for auditors: date, document, kind, partner, from, to, item,
lot/serial, quantity, unit cost, user. Export only; streamed in ledger order."""

from collections.abc import Iterator
from typing import Any

from django.db.models.functions import Coalesce

from ..models import Company, MoveReason, StockMove
from .base import plain

HEADER = ["Date", "Document", "Kind", "Partner", "From", "To", "Item code", "Lot/serial number", "Quantity", "Unit cost", "User"]


def history_rows(company: Company) -> Iterator[list[Any]]:
    reasons = dict(MoveReason.choices)
    queryset = (
        StockMove.objects.filter(company=company)
        .order_by("pk")
        .values_list(
            "created_at",
            "document__number",
            "reason",
            "document__partner__code",
            "from_location__code",
            "to_location__code",
            "item__sku",
            Coalesce("to_lot__number", "from_lot__number"),
            "quantity",
            "unit_cost",
            "created_by__username",
        )
    )
    for created, document, reason, partner, source, target, sku, number, quantity, cost, user in queryset.iterator(chunk_size=5000):
        yield [
            created,
            document or "",
            str(reasons.get(reason, reason)),
            partner or "",
            source,
            target,
            sku,
            plain(number),
            quantity,
            cost,
            user or "",
        ]
