"""GS1 scans and labels: the one place that knows GS1 element strings and Digital Link URIs.

A scan is whatever a keyboard-wedge scanner typed into a box. ``scan_parse`` tells a GS1 code
from a plain lot/serial number and never raises for what a user typed; ``element_string`` and
``digital_link`` build what a label encodes. Parsing is done by biip; the rules about *when*
a text is GS1 are ours, because a plain lot number must never be mangled:

- a GS1 symbology identifier in front (``]C1`` GS1-128, ``]d2`` GS1 DataMatrix, ``]Q3`` GS1 QR,
  ``]e0`` GS1 DataBar; ``]E0``/``]E4``/``]I1`` EAN/ITF carry a bare GTIN),
- or a separator a plain number cannot contain (``UNAMBIGUOUS_SEPARATORS``),
- or the human-readable form starting with (01), ``(01)09506000134352(10)ABC`` (another
  AI in brackets first counts only when the whole text reads),
- or an ``http(s)://`` URI whose path holds a GS1 key (a Digital Link, any host),

mark a text as GS1, and then a code that cannot be read is reported in ``Scan.error``.
Anything else (including texts with only a printable substitute separator such as ``^``) is
GS1 only when it parses *completely* as element strings starting with (01) whose GTIN check
digit is right; otherwise it is a plain number, returned as typed (trimmed of whitespace).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from biip import ParseConfig, ParseError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin
from biip.symbology import GS1Symbology, SymbologyIdentifier

GS = "\x1d"

# What scanners send for FNC1 between fields. "\x1d" (ASCII group separator) is the standard;
# scanners that cannot type control characters are set to send one of the others instead.
# "^" and "~" are outside GS1's character set 82, so they never occur inside a field value.
SEPARATORS: tuple[str, ...] = (GS, "<GS>", "{GS}", "<gs>", "{gs}", "^", "~")

# The separators a plain lot/serial number never contains: seeing one marks the text as GS1.
# "^" and "~" may well be part of a plain number, so they count only inside a text that parses.
UNAMBIGUOUS_SEPARATORS: tuple[str, ...] = (GS, "<GS>", "{GS}", "<gs>", "{gs}")

MAX_SCAN_LENGTH = 500  # longer than any GS1 symbol holds; what is longer is a plain text

MAX_FIELD_LENGTH = 20  # AI (10) and AI (21) are at most 20 characters

# GS1 character set 82: what AI (10) and (21) may contain.
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")
_SYMBOLOGY = re.compile(r"\][A-Za-z][0-9]")
_HRI = re.compile(r"\(\d{2,4}\)")
_URI = re.compile(r"https?://", re.IGNORECASE)
_DATE_AIS = {"11", "12", "13", "15", "16", "17"}
# biip checks each date when it parses; we check them ourselves to tell "not GS1" (does not
# parse) from "GS1 with an impossible date" (parses, the date does not exist).
_CONFIG = ParseConfig(gs1_element_strings_verify_date=False, separator_chars=(GS,))
_GTIN_LENGTHS = {8, 12, 13, 14}


@dataclass(frozen=True)
class Scan:
    """What one scan says. ``text`` is the scan trimmed of whitespace and of a non-GS1
    symbology identifier: for a plain number, the number itself."""

    raw: str
    text: str = ""
    is_gs1: bool = False
    gtin: str | None = None  # 14 digits
    lot: str | None = None  # AI (10)
    serial: str | None = None  # AI (21)
    expiry: dt.date | None = None  # AI (17); day 00 is the last day of the month
    error: str = ""

    @property
    def number(self) -> str:
        """The lot/serial number to look up: the serial, else the lot, else the text."""
        return self.serial or self.lot or self.text


def gtin_normalize(value) -> str | None:
    """A GTIN-8, -12, -13 or -14 as 14 digits, or None when it is not one (check digit included)."""
    if value is None:
        return None
    value = str(value).strip()
    if not (value.isascii() and value.isdigit() and len(value) in _GTIN_LENGTHS):
        return None
    try:
        return Gtin.parse(value).as_gtin_14()
    except (ParseError, ValueError):
        return None


def scan_parse(text: str) -> Scan:
    """Read one scan (see the module's docstring for what counts as GS1). Never raises."""
    raw = text if isinstance(text, str) else ""
    if len(raw) > MAX_SCAN_LENGTH:
        return Scan(raw=raw, text=raw.strip(), error=f"A scan is at most {MAX_SCAN_LENGTH} characters; this one is not read as GS1.")
    value = raw.strip(" \t\r\n\x00")
    try:
        return _parse(raw, value)
    except (ParseError, ValueError, IndexError, KeyError) as exc:  # biip on odd input: not a crash
        return Scan(raw=raw, text=value.strip(), error=f"Not a readable GS1 code: {exc}")


def _parse(raw: str, value: str) -> Scan:
    symbology = None
    if _SYMBOLOGY.match(value):
        try:
            symbology = SymbologyIdentifier.extract(value)
        except ParseError:
            pass  # not a symbology biip knows: the "]" is part of the text
        else:
            value = value[len(symbology) :]
    if _URI.match(value):
        return _digital_link(raw, value)
    if symbology is not None and symbology.gs1_symbology is None:
        return Scan(raw=raw, text=value.strip())  # a plain barcode (Code 128 ]C0, QR ]Q1…)
    if symbology is not None and symbology.gs1_symbology in GS1Symbology.with_gtin():
        return _bare_gtin(raw, value, symbology.gs1_symbology)
    if symbology is None and _HRI.match(value):
        return _hri(raw, value)
    return _element_strings(raw, value, marked=symbology is not None)


def _bare_gtin(raw: str, value: str, symbology: GS1Symbology) -> Scan:
    """EAN-13, EAN-8, UPC, ITF-14: a GTIN and nothing else (an EAN add-on is dropped)."""
    length = {GS1Symbology.EAN_8: 8, GS1Symbology.ITF_14: 14}.get(symbology, 13)
    gtin = gtin_normalize(value[:length])
    if gtin is None:
        return Scan(raw=raw, text=value, is_gs1=True, error=f"{value!r} is not a GTIN with a valid check digit.")
    return Scan(raw=raw, text=value, is_gs1=True, gtin=gtin)


def _element_strings(raw: str, value: str, *, marked: bool) -> Scan:
    marked = marked or any(sep in value for sep in UNAMBIGUOUS_SEPARATORS)
    data = value
    for separator in SEPARATORS:
        data = data.replace(separator, GS)
    data = data.strip(GS)  # a leading FNC1 some scanners send, a trailing one some labels carry
    try:
        message = GS1Message.parse(data, config=_CONFIG)
    except ParseError as exc:
        if marked:
            return Scan(raw=raw, text=value, is_gs1=True, error=f"Not a readable GS1 code: {exc}")
        return Scan(raw=raw, text=value)
    elements = message.element_strings
    if not marked and not (elements and elements[0].ai.ai == "01" and elements[0].gtin is not None):
        return Scan(raw=raw, text=value)  # parses, but could as well be a plain number
    return _from_elements(raw, value, elements)


def _hri(raw: str, value: str) -> Scan:
    try:
        message = GS1Message.parse_hri(value, config=_CONFIG)
    except ParseError as exc:
        if not value.startswith("(01)"):
            return Scan(raw=raw, text=value)  # "(12)B" may as well be someone's lot number
        return Scan(raw=raw, text=value, is_gs1=True, error=f"Not a readable GS1 code: {exc}")
    return _from_elements(raw, value, message.element_strings)


def _digital_link(raw: str, value: str) -> Scan:
    path = urlsplit(value).path.split("/")
    if "01" not in path:
        return Scan(raw=raw, text=value.strip())  # a web address, not a GTIN's Digital Link
    try:
        uri = GS1DigitalLinkURI.parse(value, config=_CONFIG)
    except ParseError as exc:
        return Scan(raw=raw, text=value, is_gs1=True, error=f"Not a readable GS1 Digital Link: {exc}")
    return _from_elements(raw, value, uri.element_strings)


def _from_elements(raw: str, value: str, elements) -> Scan:
    fields: dict[str, object] = {}
    for element in elements:
        ai = element.ai.ai
        if ai in ("01", "02") and element.gtin is None:
            return Scan(raw=raw, text=value, is_gs1=True, error=f"GTIN {element.value} has a wrong check digit: {element.gtin_error}")
        if ai in _DATE_AIS and element.date is None:
            return Scan(raw=raw, text=value, is_gs1=True, error=f"({ai}) {element.value} is not a date.")
        if ai == "01":
            fields["gtin"] = element.gtin.as_gtin_14()
        elif ai == "10":
            fields["lot"] = element.value
        elif ai == "21":
            fields["serial"] = element.value
        elif ai == "17":
            fields["expiry"] = element.date
    return Scan(raw=raw, text=value, is_gs1=True, **fields)


# Building what a label encodes --------------------------------------------------------------


def _yymmdd(expiry: dt.date) -> str:
    """AI (17) as YYMMDD; a date the two-digit year cannot carry back (GS1's window of 49 years
    past and 50 ahead) is refused rather than printed to read back as another century."""
    this_year = dt.date.today().year
    if not this_year - 49 <= expiry.year <= this_year + 50:
        raise ValueError(f"{expiry} cannot be encoded as a GS1 date (two-digit year).")
    return expiry.strftime("%y%m%d")


def _field(name: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _CSET82.fullmatch(value):
        raise ValueError(f"{name} {value!r} is not a GS1 field (at most {MAX_FIELD_LENGTH} of GS1's 82 characters).")
    return value


def _gtin14(gtin) -> str:
    normalized = gtin_normalize(gtin)
    if normalized is None:
        raise ValueError(f"{gtin!r} is not a GTIN with a valid check digit.")
    return normalized


def element_string(gtin, lot: str | None = None, serial: str | None = None, expiry: dt.date | None = None, separator: str = GS) -> str:
    """(01)(17)(10)(21) as a GS1 element string, fixed-length fields first, ``separator`` after
    a variable-length field that is not last. Raises ValueError for what GS1 cannot carry."""
    parts = ["01" + _gtin14(gtin)]
    if expiry is not None:
        parts.append("17" + _yymmdd(expiry))
    lot, serial = _field("Lot", lot), _field("Serial", serial)
    if lot is not None:
        parts.append("10" + lot + (separator if serial is not None else ""))
    if serial is not None:
        parts.append("21" + serial)
    return "".join(parts)


def digital_link(
    gtin, lot: str | None = None, serial: str | None = None, expiry: dt.date | None = None, host: str = "https://id.gs1.org"
) -> str:
    """The GS1 Digital Link URI: /01/{gtin}/10/{lot}/21/{serial}?17={yymmdd} on ``host``."""
    path = f"/01/{_gtin14(gtin)}"
    lot, serial = _field("Lot", lot), _field("Serial", serial)
    if lot is not None:
        path += "/10/" + quote(lot, safe="")
    if serial is not None:
        path += "/21/" + quote(serial, safe="")
    query = f"?17={_yymmdd(expiry)}" if expiry is not None else ""
    return host.rstrip("/") + path + query
