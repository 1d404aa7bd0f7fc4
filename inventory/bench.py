"""The posting engine's benchmark suite, found by ``manage.py bench`` (see its ``suites`` hook).

Receiving and delivering generated serials through documents, the same with the numbers stored
on the draft first, posting many small documents, and ``verify_ledger``: every write goes through
the posting service, as a clerk's would.

``pages`` declares this app's pages, which the trace suite opens on its data (see
``inventory/bench_pages.py``).
"""

from decimal import Decimal

from django.db import transaction

from . import bench_imports
from .bench_pages import GROUPED, LIST, SEARCH, Page
from .models import DocumentKind, Item, LotSerialClass, NumberSegment, Partner, Tracking
from .selectors import ledger_verify
from .services import (
    company_create,
    document_create,
    document_line_add,
    document_post,
    line_allocate,
    line_allocate_proposed,
    line_numbers_generate,
    location_create,
)

# Sizes this suite takes: option → (default, help). ``manage.py bench`` adds them and refuses
# anything below 1.
SIZES = {
    "serials": (10_000, "serials received and delivered (posting suite)"),
    "documents": (1_000, "documents of 5 lines posted (posting suite)"),
    **bench_imports.SIZES,
}


def suites():
    return [("posting", run), ("imports", bench_imports.run)]


def _receipt(d) -> dict:  # a posted receipt of 100 lots
    return {"document_pk": d["receipt"]}


def _draft(d) -> dict:  # a draft delivery
    return {"document_pk": d["draft"]}


def _line(d) -> dict:  # the draft's line of a lot-tracked item
    return {"line_pk": d["draft_line"]}


def _delivery(d) -> dict:
    return {"kind": DocumentKind.DELIVERY}


def pages(data=None) -> list[Page]:
    """The back office's pages, on the trace suite's data (its keys: ``traceability/bench.py``)."""
    return [
        Page("home", "inventory:home", LIST, texts=lambda d: [d["company_name"], d["unassigned_quantity"]]),
        Page("items", "inventory:item-list", LIST, texts=lambda d: [d["item_sku"]]),
        Page("item", "inventory:item-detail", LIST, kwargs=lambda d: {"item_pk": d["item"]}, texts=lambda d: [d["item_sku"]]),
        Page("locations", "inventory:location-list", LIST, texts=lambda d: [d["warehouse_code"]]),
        Page(
            "location",
            "inventory:location-detail",
            LIST,
            kwargs=lambda d: {"location_pk": d["warehouse"]},
            texts=lambda d: [d["warehouse_code"], d["item_sku"]],
        ),
        Page("stock", "inventory:stock-list", LIST, texts=lambda d: [d["item_sku"]]),
        Page(
            "stock_searched",
            "inventory:stock-list",
            SEARCH,
            params=lambda d: {"q": d["part"]},
            texts=lambda d: [d["part_match"]],
        ),
        Page(
            "stock_at_location",
            "inventory:stock-list",
            LIST,
            params=lambda d: {"location": d["warehouse"]},
            texts=lambda d: [d["item_sku"]],
        ),
        Page("unassigned", "inventory:unassigned-list", LIST, texts=lambda d: [d["unassigned_sku"]]),
        Page(
            "unassigned_assign",
            "inventory:unassigned-assign",
            LIST,
            kwargs=lambda d: {"balance_pk": d["unassigned_balance"]},
            texts=lambda d: [d["unassigned_sku"]],
        ),
        Page("documents", "inventory:document-list", LIST, texts=lambda d: [d["draft_number"]]),
        Page(
            "documents_filtered",
            "inventory:document-list",
            LIST,
            params=lambda d: {"kind": DocumentKind.RECEIPT, "status": "posted"},
            texts=lambda d: [d["newest_receipt_number"]],
        ),
        Page(
            "documents_by_kind", "inventory:document-list", GROUPED, params=lambda d: {"group": "kind"}, texts=lambda d: [d["draft_number"]]
        ),
        Page(
            "documents_by_status",
            "inventory:document-list",
            GROUPED,
            params=lambda d: {"group": "status"},
            texts=lambda d: [d["draft_number"]],
        ),
        Page(
            "documents_by_partner",
            "inventory:document-list",
            GROUPED,
            params=lambda d: {"group": "partner"},
            texts=lambda d: [d["first_partner_name"]],
        ),
        Page(
            "documents_searched",
            "inventory:document-list",
            LIST,
            params=lambda d: {"q": d["receipt_lot"]},
            texts=lambda d: [d["receipt_number"]],
        ),
        Page("document_create", "inventory:document-create", LIST, kwargs=_delivery, texts=lambda d: ['name="partner"', "Customer"]),
        # A type-ahead's suggestions, asked for at each key typed: part of a customer's name, of a SKU.
        Page(
            "choices_customers",
            "inventory:choices",
            SEARCH,
            kwargs=lambda d: {"source": "customers"},
            params=lambda d: {"q": d["last_customer_name"][:-1]},
            texts=lambda d: [d["last_customer_name"]],
            headers={"HX-Request": "true"},
        ),
        Page(
            "choices_items",
            "inventory:choices",
            SEARCH,
            kwargs=lambda d: {"source": "items"},
            params=lambda d: {"q": d["item_sku"][:-1]},
            texts=lambda d: [d["item_sku"]],
            headers={"HX-Request": "true"},
        ),
        Page(
            "document_line_row",
            "inventory:document-line-row",
            LIST,
            kwargs=_delivery,
            params=lambda d: {"lines-TOTAL_FORMS": 1},
            texts=lambda d: ["lines-1-item", d["item_sku"]],
            headers={"HX-Request": "true"},
        ),
        Page("document", "inventory:document-detail", LIST, kwargs=_receipt, texts=lambda d: [d["receipt_number"], d["receipt_lot"]]),
        Page("document_print", "inventory:document-print", LIST, kwargs=_receipt, texts=lambda d: [d["receipt_number"], d["receipt_lot"]]),
        Page("document_reverse", "inventory:document-cancel", LIST, kwargs=_receipt, texts=lambda d: [d["receipt_number"]]),
        Page("draft", "inventory:document-detail", LIST, kwargs=_draft, texts=lambda d: [d["draft_number"]]),
        Page("draft_edit", "inventory:document-update", LIST, kwargs=_draft, texts=lambda d: [d["item_sku"]]),
        Page("draft_post", "inventory:document-post", LIST, kwargs=_draft, texts=lambda d: [d["draft_number"]]),
        Page(
            "line_allocations",
            "inventory:line-allocations",
            LIST,
            kwargs=_line,
            texts=lambda d: [d["candidate"]],
            headers={"HX-Request": "true"},
        ),
        Page(
            "line_candidates_searched",
            "inventory:line-candidates",
            SEARCH,
            kwargs=_line,
            params=lambda d: {"q": d["candidate"][1:]},
            texts=lambda d: [d["candidate"]],
            headers={"HX-Request": "true"},
        ),
    ]


def run(measure, options) -> None:
    serials, documents = options["serials"], options["documents"]
    company = company_create(name="Bench Co", code="bench")
    warehouse = location_create(company=company, code="WH")
    store = location_create(company=company, code="STORE")
    serial_class = LotSerialClass.objects.create(
        company=company, code="SER", name="Serials", tracking=Tracking.SERIAL, batch_size=max(serials, 1)
    )
    NumberSegment.objects.create(lot_class=serial_class, position=0, kind="constant", value="SN")
    NumberSegment.objects.create(lot_class=serial_class, position=1, kind="counter", value="0000001")
    lot_class = LotSerialClass.objects.create(company=company, code="LOT", name="Lots", tracking=Tracking.LOT)
    NumberSegment.objects.create(lot_class=lot_class, position=0, kind="constant", value="L")
    NumberSegment.objects.create(lot_class=lot_class, position=1, kind="counter", value="000001")
    device = Item.objects.create(company=company, sku="DEV", name="Device", lot_class=serial_class, unit_cost=Decimal("99"))
    plain = [Item.objects.create(company=company, sku=f"P{i}", name=f"Plain {i}", unit_cost=Decimal("1.5")) for i in range(3)]
    lotted = [
        Item.objects.create(company=company, sku=f"L{i}", name=f"Lotted {i}", lot_class=lot_class, unit_cost=Decimal("2")) for i in range(2)
    ]
    Partner.objects.create(company=company, code="CUST", name="Customer", is_customer=True)

    # "Save & post": numbers generated, and serials picked by the issue method, while posting.
    with measure("receive_10000_serials"), transaction.atomic():
        receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse)
        document_line_add(document=receipt, item=device, quantity=Decimal(serials), unit_cost=Decimal("99"))
        document_post(document=receipt, auto_allocate=True)

    with measure("deliver_10000_serials"), transaction.atomic():
        delivery = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=warehouse)
        document_line_add(document=delivery, item=device, quantity=Decimal(serials))
        document_post(document=delivery, auto_allocate=True)

    # The dialog's way: numbers stored on the draft first (generate / Propose), then posted.
    with measure("receive_10000_serials_drafted"), transaction.atomic():
        receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse)
        line = document_line_add(document=receipt, item=device, quantity=Decimal(serials), unit_cost=Decimal("99"))
        line_numbers_generate(line=line)
        document_post(document=receipt)

    with measure("deliver_10000_serials_drafted"), transaction.atomic():
        delivery = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=warehouse)
        line = document_line_add(document=delivery, item=device, quantity=Decimal(serials))
        line_allocate_proposed(line=line)
        document_post(document=delivery)

    drafts = []
    for n in range(documents):
        document = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=store if n % 2 else warehouse)
        for item in plain:
            document_line_add(document=document, item=item, quantity=Decimal("3"))
        for item in lotted:
            line = document_line_add(document=document, item=item, quantity=Decimal("4"))
            line_allocate(line=line, numbers=[f"B{n % 50:03d}"], quantity=Decimal("4"))
        drafts.append(document)
    with measure("post_1000_documents"):
        for document in drafts:
            document_post(document=document)

    with measure("verify_ledger"):
        faults = ledger_verify()
    if faults:
        raise SystemExit("verify_ledger found faults: " + "; ".join(map(str, faults[:5])))
