"""The till's services: every stock change goes through inventory's posting service."""

from .cart import (
    ScanResult,
    cart_cancel,
    cart_customer,
    cart_from_quotation,
    cart_from_sales_order,
    cart_line_numbers,
    cart_line_price,
    cart_line_quantity,
    cart_new,
    cart_numbers_remove,
    cart_scan,
)
from .checkout import Refundable, checkout, refund_create, refundable, sale_of_receipt_or_serial, sale_total
from .sessions import SessionSummary, open_session_of, register_allowed, session_close, session_open, session_summary

__all__ = [
    "Refundable",
    "ScanResult",
    "SessionSummary",
    "cart_cancel",
    "cart_customer",
    "cart_from_quotation",
    "cart_from_sales_order",
    "cart_line_numbers",
    "cart_line_price",
    "cart_line_quantity",
    "cart_new",
    "cart_numbers_remove",
    "cart_scan",
    "checkout",
    "open_session_of",
    "refund_create",
    "refundable",
    "register_allowed",
    "sale_of_receipt_or_serial",
    "sale_total",
    "session_close",
    "session_open",
    "session_summary",
]
