"""Genealogy: which lots/serials went into which (work orders, kit assembly)."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from ..exceptions import InvalidDocument
from ..models import Company, Document, GenealogyLink, Lot


@transaction.atomic
def genealogy_links_remove(*, documents: Iterable[Document]) -> int:
    """Forget the links a production recorded, when that production is reversed in the same
    transaction: traceability walks links, and these never happened. Returns how many went."""
    removed, _ = GenealogyLink.objects.filter(document__in=list(documents)).delete()
    return removed


@transaction.atomic
def genealogy_links_add(
    *, company: Company, links: Iterable[tuple[int, int, Decimal]], document: Document | None = None
) -> list[GenealogyLink]:
    """Record that lot ``consumed`` went into lot ``produced``, ``quantity`` of it, per link.

    Callers (work-order completion, kit assembly) post the stock moves through the posting
    service in the same transaction; this only writes the links, checked first so a bad link is
    a clear refusal instead of a database error.
    """
    rows = [(int(c), int(p), Decimal(q)) for c, p, q in links]
    if not rows:
        return []
    ids = {c for c, _, _ in rows} | {p for _, p, _ in rows}
    found = set(Lot.objects.filter(company=company, pk__in=ids).values_list("pk", flat=True))
    missing = ids - found
    if missing:
        raise InvalidDocument(f"lots {sorted(missing)} are not lots of {company}")
    for consumed, produced, quantity in rows:
        if consumed == produced:
            raise InvalidDocument("a lot cannot be made from itself")
        if quantity <= 0:
            raise InvalidDocument("a genealogy link needs a positive quantity")
    return GenealogyLink.objects.bulk_create(
        GenealogyLink(company=company, consumed_id=c, produced_id=p, quantity=q, document=document) for c, p, q in rows
    )
