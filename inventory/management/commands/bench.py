"""Benchmark the posting engine on the configured database engine, in a throw-away database."""

import json
import time
from contextlib import contextmanager
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from inventory.models import DocumentKind, Item, LotSerialClass, NumberSegment, Partner, Tracking
from inventory.selectors import ledger_verify
from inventory.services import (
    company_create,
    document_create,
    document_line_add,
    document_post,
    line_allocate,
    line_allocate_proposed,
    line_numbers_generate,
    location_create,
)


class Command(BaseCommand):
    help = "Time receiving and delivering 10,000 serials, posting 1,000 documents, and verify_ledger."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--serials", type=int, default=10_000)
        parser.add_argument("--documents", type=int, default=1_000)

    def handle(self, *args, **options):
        if options["serials"] < 1 or options["documents"] < 1:
            raise CommandError("--serials and --documents must be 1 or more")
        self.results = []
        with throwaway_database():
            self.run(options["serials"], options["documents"])
        if options["json"]:
            self.stdout.write(json.dumps({"engine": connection.vendor, "operations": self.results}))
            return
        self.stdout.write(f"engine: {connection.vendor}")
        for r in self.results:
            self.stdout.write(f"{r['name']:<26} {r['seconds']:>8.3f} s {r['queries']:>8} queries")

    @contextmanager
    def measure(self, name):
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            yield
            seconds = time.perf_counter() - start
        self.results.append({"name": name, "seconds": round(seconds, 4), "queries": count[0]})

    def run(self, serials: int, documents: int) -> None:
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
        with self.measure("receive_10000_serials"), transaction.atomic():
            receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse)
            document_line_add(document=receipt, item=device, quantity=Decimal(serials), unit_cost=Decimal("99"))
            document_post(document=receipt, auto_allocate=True)

        with self.measure("deliver_10000_serials"), transaction.atomic():
            delivery = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=warehouse)
            document_line_add(document=delivery, item=device, quantity=Decimal(serials))
            document_post(document=delivery, auto_allocate=True)

        # The dialog's way: numbers stored on the draft first (generate / Propose), then posted.
        with self.measure("receive_10000_serials_drafted"), transaction.atomic():
            receipt = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse)
            line = document_line_add(document=receipt, item=device, quantity=Decimal(serials), unit_cost=Decimal("99"))
            line_numbers_generate(line=line)
            document_post(document=receipt)

        with self.measure("deliver_10000_serials_drafted"), transaction.atomic():
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
        with self.measure("post_1000_documents"):
            for document in drafts:
                document_post(document=document)

        with self.measure("verify_ledger"):
            faults = ledger_verify()
        if faults:
            raise SystemExit("verify_ledger found faults: " + "; ".join(map(str, faults[:5])))


@contextmanager
def throwaway_database():
    """A fresh database of the configured engine, dropped afterwards; the real one is never touched."""
    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    if connection.vendor != "sqlite":
        test_settings["NAME"] = f"bench_{settings.DATABASES['default']['NAME']}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
