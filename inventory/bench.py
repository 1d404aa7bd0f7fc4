"""The posting engine's benchmark suite, found by ``manage.py bench`` (see its ``suites`` hook).

Receiving and delivering generated serials through documents, the same with the numbers stored
on the draft first, posting many small documents, and ``verify_ledger``: every write goes through
the posting service, as a clerk's would.
"""

from decimal import Decimal

from django.db import transaction

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
}


def suites():
    return [("posting", run)]


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
        Item.objects.create(company=company, sku=f"L{i}", name=f"Lotted {i}", lot_class=lot_class, unit_cost=Decimal("2"))
        for i in range(2)
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
