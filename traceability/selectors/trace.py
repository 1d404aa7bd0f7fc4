"""Reads that follow lots through production: lookup, genealogy (up and down) and recall.

The walks are recursive SQL queries run by the database (SQLite and PostgreSQL both have
``WITH RECURSIVE``), so a recall over every manufacturing level costs a fixed number of queries
whatever the number of levels or units. The edges are the genealogy links (component lot →
finished lot) and, for lot-and-serial items, a lot → its serials: recalling a lot recalls every
serial labelled with it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Case, Count, DateField, Exists, F, Max, Min, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, TruncDate

from inventory.models import Balance, Company, DocumentStatus, GenealogyLink, LocationKind, Lot, LotStatus, PendingNumbers, StockMove
from inventory.quantities import QTY, ZERO

# A bound on the walk: no real bill of materials is this deep, and it stops a cycle typed by hand.
MAX_DEPTH = 64


def _closure_sql(direction: str, seed_count: int) -> tuple[str, list]:
    """SQL of (lot_id, depth) for the seeds and every lot reachable from them in ``direction``.

    One recursive step over both kinds of edge (PostgreSQL allows a single recursive term).
    """
    link = GenealogyLink._meta.db_table
    lot = Lot._meta.db_table
    seeds = ", ".join(["%s"] * seed_count)
    if direction == "down":  # component → product, lot → its serials
        edges = (
            f"SELECT consumed_id AS a, produced_id AS b FROM {link} UNION ALL SELECT parent_id, id FROM {lot} WHERE parent_id IS NOT NULL"
        )
    else:  # product → component, serial → its lot
        edges = (
            f"SELECT produced_id AS a, consumed_id AS b FROM {link} UNION ALL SELECT id, parent_id FROM {lot} WHERE parent_id IS NOT NULL"
        )
    sql = (
        f"WITH RECURSIVE walk(lot_id, depth) AS ("
        f" SELECT id, 0 FROM {lot} WHERE id IN ({seeds})"
        f" UNION SELECT e.b, w.depth + 1 FROM walk w JOIN ({edges}) e ON e.a = w.lot_id WHERE w.depth < %s"
        f") SELECT lot_id, MIN(depth) AS depth FROM walk GROUP BY lot_id"
    )
    return sql, [MAX_DEPTH]


def lot_closure(*, lot_ids: list[int], direction: str) -> dict[int, int]:
    """Every lot reachable from ``lot_ids`` going ``down`` (what was made from them) or ``up``
    (what they were made from), with its distance in steps; the seeds are at 0."""
    if not lot_ids:
        return {}
    sql, params = _closure_sql(direction, len(lot_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*lot_ids, *params])
        return dict(cursor.fetchall())


def _closure_ids(lot_ids: list[int], direction: str = "down") -> RawSQL:
    """The closure as a subquery of lot ids, for ``__in`` filters (the walk runs inside them)."""
    sql, params = _closure_sql(direction, len(lot_ids))
    return RawSQL(f"SELECT lot_id FROM ({sql}) closure", [*lot_ids, *params])


@dataclass(frozen=True)
class Affected:
    """The lots a recall reaches, as a filter every section of the report shares.

    On PostgreSQL the walk runs once and its ids go into each query as one array parameter; on
    SQLite, whose statements take a limited number of parameters, the walk runs inside each query.
    """

    ids: list[int] | None = None
    walk: RawSQL | None = None
    customer_moves: list[int] | None = None  # PostgreSQL: the deliveries and returns, read once too

    def q(self, field: str) -> Q:
        return Q(**{f"{field}__any": self.ids}) if self.ids is not None else Q(**{f"{field}__in": self.walk})


def recall_affected(*, seed_ids: list[int]) -> Affected:
    if connection.vendor != "postgresql":
        return Affected(walk=_closure_ids(seed_ids))
    affected = Affected(ids=list(lot_closure(lot_ids=seed_ids, direction="down")))
    moves = list(_customer_moves(affected).values_list("pk", flat=True))
    return Affected(ids=affected.ids, customer_moves=moves)


# Lookup ---------------------------------------------------------------------------------------


def lot_lookup(*, company: Company, q: str, limit: int = 50) -> tuple[list[Lot], list[Lot]]:
    """(exact matches, partial matches) of a typed or scanned number in the company.

    The same number may belong to several items (seed 003), so exact matches are a list. Partial
    matches are looked for only when nothing matches exactly.
    """
    q = q.strip()
    if not q:
        return [], []
    rows = Lot.objects.filter(company=company).select_related("item", "last_location").order_by("number", "item__sku")
    exact = list(rows.filter(number=q)[:limit])
    if exact:
        return _with_stock(exact), []
    return [], _with_stock(list(rows.filter(Q(number__icontains=q) | Q(reference__iexact=q))[:limit]))


def lots_found(*, company: Company, numbers: Iterable[str], limit: int = 1000) -> list[Lot]:
    """The lots/serials with exactly these numbers (any item), with their stock: one read for a
    whole batch of scans."""
    if not numbers:
        return []
    rows = Lot.objects.filter(company=company, number__in=list(numbers)).select_related("item", "last_location")
    return _with_stock(list(rows.order_by("number", "item__sku")[:limit]))


def _with_stock(lots: list[Lot]) -> list[Lot]:
    """Give each lot ``on_hand`` and ``stock_locations`` (location code, quantity), most first:
    what is at our own locations of it or, for a lot-and-serial lot, of its serials. Two
    queries whatever the number of lots or serials."""
    ids = [lot.pk for lot in lots]
    internal = Balance.objects.on_hand().order_by()
    own = internal.filter(lot_id__in=ids).values_list("lot_id", "location__code").annotate(total=Sum("quantity"))
    of_serials = internal.filter(lot__parent_id__in=ids).values_list("lot__parent_id", "location__code").annotate(total=Sum("quantity"))
    where: dict[int, dict[str, Decimal]] = {pk: {} for pk in ids}
    for pk, code, total in [*own, *of_serials] if ids else []:
        where[pk][code] = where[pk].get(code, ZERO) + total
    for lot in lots:
        places = sorted(where[lot.pk].items(), key=lambda place: (-place[1], place[0]))
        lot.stock_locations = places
        lot.on_hand = sum((total for _, total in places), ZERO)
    return lots


# Genealogy ------------------------------------------------------------------------------------


@dataclass
class GenealogyNode:
    lot: Lot
    depth: int  # negative upstream, positive downstream, 0 for the lot itself
    parents: list[int] = field(default_factory=list)  # ids of the nodes this one hangs under in the tree
    on_hand: Decimal = ZERO
    quantity: Decimal | None = None  # how much of it the link carried

    @property
    def level(self) -> int:
        """Steps from the lot the page is about, whichever side."""
        return abs(self.depth)


@dataclass
class Genealogy:
    lot: Lot
    upstream: list[GenealogyNode]
    downstream: list[GenealogyNode]
    upstream_total: int
    downstream_total: int


def lot_genealogy(*, lot: Lot, limit: int = 300) -> Genealogy:
    """What ``lot`` was made from and what was made from it, every level, as two trees.

    Each side shows at most ``limit`` lots (the nearest first); the totals say how many there
    are in all, and the recall report lists every one.
    """
    sides = {}
    totals = {}
    for direction in ("up", "down"):
        closure = lot_closure(lot_ids=[lot.pk], direction=direction)
        closure.pop(lot.pk, None)
        totals[direction] = len(closure)
        nearest = sorted(closure, key=lambda pk: (closure[pk], pk))[:limit]
        sides[direction] = _nodes(lot, nearest, closure, direction)
    return Genealogy(lot, sides["up"], sides["down"], totals["up"], totals["down"])


def _nodes(root: Lot, ids: list[int], depths: dict[int, int], direction: str) -> list[GenealogyNode]:
    """The tree rows of one side in depth-first order, each under the node it came from."""
    if not ids:
        return []
    shown = set(ids) | {root.pk}
    lots = {
        lot.pk: lot
        for lot in Lot.objects.filter(pk__in=ids)
        .select_related("item", "last_location")
        .annotate(
            on_hand=Coalesce(
                Sum("balances__quantity", filter=Q(balances__location__kind=LocationKind.INTERNAL)), Value(ZERO), output_field=QTY
            )
        )
    }
    children: dict[int, list[tuple[int, Decimal | None]]] = {}
    if direction == "down":
        links = GenealogyLink.objects.filter(consumed_id__in=shown, produced_id__in=ids).values_list(
            "consumed_id", "produced_id", "quantity"
        )
        labels = [(lot.parent_id, pk) for pk, lot in lots.items() if lot.parent_id in shown]
    else:
        links = GenealogyLink.objects.filter(produced_id__in=shown, consumed_id__in=ids).values_list(
            "produced_id", "consumed_id", "quantity"
        )
        # Up a label edge: from a serial to the lot it is labelled with.
        labels = list(Lot.objects.filter(pk__in=shown, parent_id__in=ids).values_list("pk", "parent_id"))
    carried: dict[tuple[int, int], Decimal] = {}
    for above, below, quantity in links:  # several links between the same two lots add up
        carried[(above, below)] = carried.get((above, below), ZERO) + quantity
    for (above, below), quantity in carried.items():
        children.setdefault(above, []).append((below, quantity))
    for above, below in labels:
        children.setdefault(above, []).append((below, None))
    sign = -1 if direction == "up" else 1
    out: list[GenealogyNode] = []
    placed: set[int] = set()

    def visit(pk: int, depth: int, parent: int) -> None:
        for child, quantity in sorted(children.get(pk, []), key=lambda c: (lots[c[0]].item.sku, lots[c[0]].number)):
            if child in placed or child not in lots:
                continue
            placed.add(child)
            node = lots[child]
            out.append(GenealogyNode(node, sign * depth, [parent], node.on_hand, quantity))
            visit(child, depth + 1, child)

    visit(root.pk, 1, root.pk)
    return out


# Recall ---------------------------------------------------------------------------------------


@dataclass
class RecallTrace:
    seeds: list[Lot]
    affected: dict[int, int]  # lot id → manufacturing levels below the recalled lots

    @property
    def affected_ids(self) -> list[int]:
        return list(self.affected)


def recall_trace(*, lots: list[Lot]) -> RecallTrace:
    """Every lot/serial made, at any level, from ``lots`` (and the lots themselves)."""
    return RecallTrace(lots, lot_closure(lot_ids=[lot.pk for lot in lots], direction="down"))


def recall_units(*, seed_ids: list[int] | None = None, affected: Affected | None = None) -> QuerySet[Lot]:
    """The affected lots/serials with item, level and quantity on hand, for tables and CSV."""
    affected = affected or recall_affected(seed_ids=seed_ids)
    # A subquery per row, not a join grouped by lot: computed for the page's rows only.
    return (
        Lot.objects.filter(affected.q("pk"))
        .select_related("item", "last_location")
        .with_on_hand(serials=False)
        .order_by("item__sku", "number")
    )


def _customer_moves(affected: Affected) -> QuerySet[StockMove]:
    """Moves of affected lots to or from a customer: deliveries, and customer returns.

    Two lookups joined by UNION, each on its own lot column's index: one ``to_lot IN … OR
    from_lot IN …`` made PostgreSQL scan every move (7 s on 5,000,000 moves instead of under 1 s).
    A reversed document's moves and their reversals cancel out and are left out.
    """
    if affected.customer_moves is not None:
        return StockMove.objects.filter(pk__any=affected.customer_moves)
    delivered = StockMove.objects.filter(affected.q("to_lot_id"), to_location__kind=LocationKind.CUSTOMER).values("pk")
    returned = StockMove.objects.filter(affected.q("from_lot_id"), from_location__kind=LocationKind.CUSTOMER).values("pk")
    return StockMove.objects.filter(pk__in=delivered.union(returned, all=True)).exclude(document__status=DocumentStatus.REVERSED)


# The day a move counts from: its document's business date (what the deliveries table shows), the
# posting day only for a move posted without a document.
BUSINESS_DATE = Coalesce("document__date", TruncDate("created_at"), output_field=DateField())

SIGNED = Case(When(to_location__kind=LocationKind.CUSTOMER, then=F("quantity")), default=-F("quantity"), output_field=QTY)


def recall_customers(*, seed_ids: list[int] | None = None, affected: Affected | None = None) -> QuerySet[StockMove]:
    """Per customer: quantity delivered, returned and net, first and last date, documents, and
    ``moves`` (its rows of ``recall_deliveries``, which they add up to)."""
    delivered = Q(to_location__kind=LocationKind.CUSTOMER)
    return (
        _customer_moves(affected or recall_affected(seed_ids=seed_ids))
        .values("document__partner_id", "document__partner__name")
        .annotate(
            delivered=Coalesce(Sum("quantity", filter=delivered), Value(ZERO), output_field=QTY),
            returned=Coalesce(Sum("quantity", filter=~delivered), Value(ZERO), output_field=QTY),
            net=Sum(SIGNED),
            first=Min(BUSINESS_DATE),
            last=Max(BUSINESS_DATE),
            documents=Count("document", distinct=True),
            moves=Count("id"),
        )
        .order_by("-net", "document__partner__name")
    )


def recall_deliveries(*, seed_ids: list[int] | None = None, affected: Affected | None = None) -> QuerySet[StockMove]:
    """Every delivery and customer return of an affected lot: one row per move, with the document."""
    return (
        _customer_moves(affected or recall_affected(seed_ids=seed_ids))
        .annotate(signed=SIGNED)
        .values(
            "id",
            "created_at",
            "document_id",
            "document__number",
            "document__kind",
            "document__date",
            "document__partner__name",
            "item__sku",
            "signed",
            "quantity",
            lot_number=Coalesce("to_lot__number", "from_lot__number"),
        )
        .order_by("document__partner__name", "created_at", "id")
    )


def recall_in_stock(*, seed_ids: list[int] | None = None, affected: Affected | None = None) -> QuerySet[Balance]:
    """Where the affected lots still are: positive balances at our own locations."""
    affected = affected or recall_affected(seed_ids=seed_ids)
    return (
        Balance.objects.on_hand()
        .filter(affected.q("lot_id"))
        .select_related("item", "lot", "location")
        .order_by("location__code", "item__sku", "lot__number")
    )


def recall_totals(*, seed_ids: list[int] | None = None, affected: Affected | None = None, customers: list[dict] | None = None) -> dict:
    """Headline figures of a recall: units affected, delivered net to customers, still in stock,
    and how many a hold would stop. Two aggregate queries whatever the size of the recall, and
    the customer rows of ``recall_customers`` (read here unless the caller has them already)."""
    affected = affected or recall_affected(seed_ids=seed_ids)
    if customers is None:
        customers = list(recall_customers(affected=affected))
    stock = (
        Balance.objects.on_hand()
        .filter(affected.q("lot_id"))
        .aggregate(quantity=Coalesce(Sum("quantity"), Value(ZERO), output_field=QTY), lots=Count("lot", distinct=True), rows=Count("pk"))
    )
    # Serials of loosely bound items keep no balance of their own, only their in-stock flag.
    here = Exists(Balance.objects.on_hand().filter(lot=OuterRef("pk")))
    lots = (
        Lot.objects.filter(affected.q("pk"))
        .annotate(here=here)
        .aggregate(
            units=Count("id"),
            loose=Count("id", filter=Q(in_stock=True, here=False)),
            holdable=Count("id", filter=Q(status=LotStatus.ACTIVE) & (Q(here=True) | Q(in_stock=True))),
            # Lots of items some sale left without numbers (a till's): read in the same pass, so the
            # report asks for those sales only when there are some.
            of_items_to_follow=Count("id", filter=Q(item_id__in=PendingNumbers.objects.filter(is_open=True).values("item_id"))),
        )
    )
    return {
        "units": lots["units"],
        "customers": sum(1 for row in customers if row["document__partner_id"] is not None),
        "delivered_net": sum((row["net"] for row in customers), ZERO),
        "in_stock": stock["quantity"] + lots["loose"],
        "in_stock_lots": stock["lots"] + lots["loose"],
        "in_stock_rows": stock["rows"],
        "loose_in_stock": lots["loose"],
        "holdable": lots["holdable"],
        "of_items_to_follow": lots["of_items_to_follow"],
    }


def recall_numbers_to_follow(*, seed_ids: list[int] | None = None, affected: Affected | None = None) -> QuerySet[PendingNumbers]:
    """Stock of the recalled lots' items that left without its numbers (a till's sale, seed 004):
    any of those units may be an affected one, so the recall names them until their numbers are
    assigned ("sold, number not yet recorded")."""
    affected = affected or recall_affected(seed_ids=seed_ids)
    items = Lot.objects.filter(affected.q("pk")).values("item_id")
    return (
        PendingNumbers.objects.filter(is_open=True, item_id__in=items)
        .select_related("document", "item", "location", "partner")
        .order_by("created_at", "pk")
    )


def recall_holdable_ids(*, seed_ids: list[int]) -> list[int]:
    """Affected lots still in our stock and active: what a recall puts on hold."""
    affected = recall_affected(seed_ids=seed_ids)
    in_stock = Balance.objects.on_hand().filter(affected.q("lot_id")).values("lot_id")
    return list(
        Lot.objects.filter(Q(pk__in=in_stock) | (affected.q("pk") & Q(in_stock=True)), status=LotStatus.ACTIVE).values_list("pk", flat=True)
    )
