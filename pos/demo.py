"""The till of the demo company (``manage.py seed_demo``): a register at the store with an open
session for ``cashier``, a paid sale whose serial is still to be assigned, a sales order and a
quotation with tracked lines, so a newcomer who signs in as ``cashier`` finds a working till."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from inventory.models import Balance, DocumentKind, Partner
from inventory.services import line_allocate
from inventory.services.documents import document_number_next

from .models import Quotation, QuotationLine, Register, Sale, SaleStatus
from .services import cart_new, cart_scan, checkout, session_open

PRICES = {
    "F-OATS": "3.90",
    "F-HONEY": "16.50",
    "F-MILK": "1.49",
    "P-AMOX": "6.90",
    "P-PARA": "2.49",
    "K-THERM": "12.90",
    "E-OXI": "29.00",
    "E-SCAN": "129.00",
    "D-PEN": "79.00",
    "U-GLOVE": "7.90",
}


def _in_store(demo, sku: str, count: int) -> list[str]:
    """Numbers of ``sku`` in stock at the store (the demo's history decides which)."""
    rows = Balance.objects.filter(item=demo.item[sku], location=demo.loc["STORE"], quantity__gt=0, lot__isnull=False)
    return list(rows.order_by("lot__number").values_list("lot__number", flat=True)[:count])


def build(demo) -> None:
    for sku, price in PRICES.items():
        demo.item[sku].sale_price = Decimal(price)
        demo.item[sku].save(update_fields=["sale_price"])
    cashier = get_user_model().objects.get(username="cashier")
    walk_in = Partner.objects.create(company=demo.company, code="WALK-IN", name="Walk-in customer", is_customer=True)
    register = Register.objects.create(
        company=demo.company, code="TILL1", name="Store till 1", location=demo.loc["STORE"], customer=walk_in
    )
    session = session_open(register=register, user=cashier, opening_cash="150")
    # A sale at the till whose thermometer left without its serial: on the follow-up list.
    sale = cart_new(session=session, user=cashier)
    refused = [f"{r.code}: {r.message}" for r in cart_scan(sale=sale, codes=["K-THERM", "U-GLOVE"], user=cashier) if not r.ok]
    if refused:
        raise CommandError("the demo sale: " + "; ".join(refused))
    checkout(sale=sale, method="cash", tendered="25", user=cashier)
    # A sales order from the store with its numbers allocated (it reserves them).
    order = demo.document(DocumentKind.DELIVERY, days_ago=0, partner="CUS-GREEN", reference="SO-2001", from_location="STORE")
    therm, oats = _in_store(demo, "K-THERM", 3), _in_store(demo, "F-OATS", 1)
    demo.checked(line_allocate(line=demo.line(order, "K-THERM", 1), numbers=therm[:1], user=demo.user))
    if oats:
        demo.checked(line_allocate(line=demo.line(order, "F-OATS", 2), numbers=oats, quantity=Decimal(2), user=demo.user))
    # A quotation naming a serial (it reserves nothing).
    quotation = Quotation.objects.create(
        company=demo.company,
        number=document_number_next(company_id=demo.company.pk, prefix="Q"),
        customer=demo.partner["CUS-HARB"],
        created_by=demo.user,
    )
    QuotationLine.objects.create(
        company=demo.company,
        quotation=quotation,
        position=1,
        item=demo.item["K-THERM"],
        quantity=1,
        unit_price=Decimal("11.90"),
        numbers="\n".join(therm[1:2]),
    )
    QuotationLine.objects.create(
        company=demo.company, quotation=quotation, position=2, item=demo.item["U-GLOVE"], quantity=2, unit_price=Decimal("7.50")
    )


def summary(company) -> list[tuple[str, object]]:
    """What the demo's till holds, for the command's report."""
    from inventory.models import PendingNumbers

    return [
        ("registers", Register.objects.filter(company=company).count()),
        ("sales at the till", Sale.objects.filter(company=company, status=SaleStatus.DONE).count()),
        ("sales with missing numbers", PendingNumbers.objects.filter(company=company, is_open=True).count()),
        ("quotations", Quotation.objects.filter(company=company).count()),
    ]
