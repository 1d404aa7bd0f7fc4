"""CSV cells that a spreadsheet will not run: text starting with =, +, -, @, tab or CR is a
formula to Excel and LibreOffice, so it gets a leading apostrophe (OWASP's CSV injection advice);
text that starts with an apostrophe gets one more, as a spreadsheet would show it, so the import
(which takes one leading apostrophe off such cells) reads back exactly what was written.
Numbers are written as they are."""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPED_STARTS = (*FORMULA_STARTS, "'")


def csv_cell(value) -> str | int:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 10, not 1E+1
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(ESCAPED_STARTS) else text
