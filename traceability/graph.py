"""Lay out a genealogy as a drawing: one column per manufacturing level, components on the left,
products on the right, the lot itself in the middle. The template draws the boxes and curves."""

from dataclasses import dataclass

BOX_W, BOX_H = 170, 40
COL_GAP, ROW_GAP = 70, 14
MARGIN = 10
MAX_PER_COLUMN = 12


@dataclass
class Box:
    pk: int
    x: int
    y: int
    number: str
    label: str
    tone: str  # root, held, gone (not in stock), stock, more
    url: str = ""

    @property
    def cx(self) -> int:
        return self.x + BOX_W // 2

    @property
    def text_y(self) -> int:
        return self.y + 17


@dataclass
class Curve:
    path: str


@dataclass
class Drawing:
    width: int
    height: int
    boxes: list[Box]
    curves: list[Curve]
    box_w: int = BOX_W
    box_h: int = BOX_H


def _tone(lot, on_hand) -> str:
    if lot.status == "on_hold":
        return "held"
    if on_hand and on_hand > 0:
        return "stock"
    return "stock" if getattr(lot, "in_stock", False) else "gone"


def genealogy_drawing(genealogy, url_of) -> Drawing:
    """Boxes and curves for ``genealogy`` (see traceability.selectors.trace.lot_genealogy)."""
    nodes = [(n.depth, n) for n in genealogy.upstream + genealogy.downstream]
    depths = sorted({d for d, _ in nodes} | {0})
    column = {d: i for i, d in enumerate(depths)}
    by_column: dict[int, list] = {d: [] for d in depths}
    for depth, node in nodes:
        by_column[depth].append(node)
    tallest = max([1] + [min(len(v), MAX_PER_COLUMN + 1) for v in by_column.values()])
    height = MARGIN * 2 + tallest * (BOX_H + ROW_GAP) - ROW_GAP
    boxes: dict[int, Box] = {}
    drawn: list[Box] = []

    def place(col: int, row: int, count: int) -> tuple[int, int]:
        column_height = count * (BOX_H + ROW_GAP) - ROW_GAP
        top = MARGIN + (height - 2 * MARGIN - column_height) // 2
        return MARGIN + col * (BOX_W + COL_GAP), top + row * (BOX_H + ROW_GAP)

    root = genealogy.lot
    x, y = place(column[0], 0, 1)
    boxes[root.pk] = Box(root.pk, x, y, root.number, root.item.sku, "root", url_of(root))
    drawn.append(boxes[root.pk])
    for depth in depths:
        if depth == 0:
            continue
        members = by_column[depth]
        shown, hidden = members[:MAX_PER_COLUMN], len(members) - MAX_PER_COLUMN
        count = len(shown) + (1 if hidden > 0 else 0)
        for row, node in enumerate(shown):
            x, y = place(column[depth], row, count)
            box = Box(node.lot.pk, x, y, node.lot.number, node.lot.item.sku, _tone(node.lot, node.on_hand), url_of(node.lot))
            boxes[node.lot.pk] = box
            drawn.append(box)
        if hidden > 0:
            x, y = place(column[depth], len(shown), count)
            drawn.append(Box(0, x, y, f"+ {hidden} more", "see the recall report", "more"))
    curves = []
    for _, node in nodes:
        child, parent = boxes.get(node.lot.pk), boxes.get(node.parents[0]) if node.parents else None
        if child is None or parent is None:
            continue
        # Join the facing sides: a component's right edge to its product's left edge.
        left, right = (child, parent) if child.x < parent.x else (parent, child)
        x1, y1 = left.x + BOX_W, left.y + BOX_H // 2
        x2, y2 = right.x, right.y + BOX_H // 2
        mid = (x1 + x2) // 2
        curves.append(Curve(f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"))
    width = MARGIN * 2 + len(depths) * (BOX_W + COL_GAP) - COL_GAP
    return Drawing(width, height, drawn, curves)
