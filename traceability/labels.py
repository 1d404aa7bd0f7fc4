"""What a lot's or serial's label encodes, and its barcodes as inline SVG.

An item with a valid GTIN gets GS1 labels: a GS1-128 of (01)(17)(10)(21) for the warehouse's
linear scanners and a QR code of the same data as a GS1 Digital Link for phones. Both read back
through ``inventory.gs1.scan_parse`` to the GTIN, the number and the expiry. An item without a
GTIN, or a number GS1 cannot carry (over 20 characters, outside GS1's character set), gets a
Code 128 of the plain number, which the lookup reads as it reads a typed number.

Barcodes are drawn on the server (python-barcode's Code 128 / GS1-128 encoder, segno's QR), so
the page prints offline with no script.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import segno
from barcode.codex import Code128, Gs1_128
from barcode.errors import BarcodeError
from django.utils.safestring import SafeString, mark_safe

from inventory.gs1 import digital_link, element_string, gtin_normalize
from inventory.models import Lot

FNC1 = Gs1_128.FNC1_CHAR  # python-barcode's stand-in for the FNC1 symbol between fields
BAR_HEIGHT = 40  # modules; a linear symbol's height should be at least 15% of its width, CSS scales it
QUIET_ZONE = 10  # modules each side (Code 128 asks for 10)


@dataclass(frozen=True)
class Label:
    lot: Lot
    number: str
    lot_number: str | None  # AI (10): the lot, or a serial's lot
    serial: str | None  # AI (21)
    expiry: dt.date | None
    gtin: str | None  # 14 digits, when the label is a GS1 one
    element_string: str | None  # as a scanner types it, "\x1d" between fields
    digital_link: str | None
    hri: str  # the text printed under the linear symbol
    linear_svg: SafeString  # GS1-128 or Code 128; empty if the number cannot be drawn
    qr_svg: SafeString | None
    note: str = ""  # why a GS1 label was not possible

    @property
    def is_gs1(self) -> bool:
        return self.gtin is not None


def lot_label(lot: Lot) -> Label:
    """The label of one lot or serial (``lot.item`` and ``lot.parent`` should be loaded)."""
    serial = lot.number if lot.is_serial else None
    lot_number = lot.parent.number if lot.is_serial and lot.parent_id else (None if lot.is_serial else lot.number)
    expiry = lot.expiry_date or (lot.parent.expiry_date if lot.parent_id else None)
    gtin = gtin_normalize(lot.item.gtin)
    note = ""
    if gtin is not None:
        try:
            data = element_string(gtin, lot=lot_number, serial=serial, expiry=expiry)
            link = digital_link(gtin, lot=lot_number, serial=serial, expiry=expiry)
        except ValueError as error:
            note = f"Not a GS1 label: {error}"
        else:
            return Label(
                lot=lot,
                number=lot.number,
                lot_number=lot_number,
                serial=serial,
                expiry=expiry,
                gtin=gtin,
                element_string=data,
                digital_link=link,
                hri=_hri(gtin, lot_number, serial, expiry),
                linear_svg=code128_svg(element_string(gtin, lot=lot_number, serial=serial, expiry=expiry, separator=FNC1), gs1=True),
                qr_svg=qr_svg(link),
            )
    elif lot.item.gtin:
        note = f"The item's GTIN {lot.item.gtin!r} is not valid: a plain label."
    return Label(
        lot=lot,
        number=lot.number,
        lot_number=lot_number,
        serial=serial,
        expiry=expiry,
        gtin=None,
        element_string=None,
        digital_link=None,
        hri=lot.number,
        linear_svg=code128_svg(lot.number),
        qr_svg=None,
        note=note,
    )


def lot_labels(lots) -> list[Label]:
    return [lot_label(lot) for lot in lots]


def _hri(gtin: str, lot: str | None, serial: str | None, expiry: dt.date | None) -> str:
    parts = [f"(01){gtin}"]
    if expiry is not None:
        parts.append(f"(17){expiry:%y%m%d}")
    if lot is not None:
        parts.append(f"(10){lot}")
    if serial is not None:
        parts.append(f"(21){serial}")
    return "".join(parts)


def code128_modules(data: str, *, gs1: bool = False) -> str:
    """The symbol as a string of modules, "1" dark, "0" light, quiet zones excluded. For GS1,
    ``data`` has ``FNC1`` between fields; the leading FNC1 is added here."""
    symbol = Gs1_128(data) if gs1 else Code128(data)
    return symbol.build()[0]


def code128_svg(data: str, *, gs1: bool = False) -> SafeString:
    """The Code 128 (or GS1-128) symbol as inline SVG, one path; empty when ``data`` holds a
    character Code 128 cannot carry."""
    try:
        modules = code128_modules(data, gs1=gs1)
    except (BarcodeError, KeyError, ValueError, RuntimeError):
        return mark_safe("")
    bars, x, width = [], QUIET_ZONE, len(modules) + 2 * QUIET_ZONE
    for run in _runs(modules):
        if run[0] == "1":
            bars.append(f"M{x} 0h{len(run)}v{BAR_HEIGHT}h-{len(run)}z")
        x += len(run)
    kind = "GS1-128" if gs1 else "Code 128"
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="label-linear" viewBox="0 0 {width} {BAR_HEIGHT}" '
        f'preserveAspectRatio="none" shape-rendering="crispEdges" role="img" aria-label="{kind}" data-kind="{kind}" data-modules="{modules}">'
        f'<rect width="{width}" height="{BAR_HEIGHT}" fill="#fff"/><path fill="#000" d="{"".join(bars)}"/></svg>'
    )


def qr_svg(data: str) -> SafeString:
    """A QR code of ``data`` as inline SVG, sized by CSS (no width/height of its own)."""
    qr = segno.make(data, error="m", micro=False)
    return mark_safe(qr.svg_inline(scale=1, border=4, omitsize=True, svgclass="label-qr", title=data))


def _runs(modules: str):
    start = 0
    for i in range(1, len(modules) + 1):
        if i == len(modules) or modules[i] != modules[start]:
            yield modules[start:i]
            start = i
