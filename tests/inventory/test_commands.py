import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone

from inventory.models import (
    Balance,
    Company,
    Document,
    DocumentKind,
    DocumentStatus,
    GenealogyLink,
    Location,
    Lot,
    LotKind,
    LotStatus,
    Membership,
    StockMove,
    Tracking,
)
from manufacturing.models import BillOfMaterials, Completion, UnitGenealogy, WorkOrder
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import receive

ROLES = {"admin": "Setup", "clerk": "Stock clerk", "production": "Production", "cashier": "Cashier", "viewer": "Viewer"}


@pytest.fixture
def seeded(db, settings):
    # The demo's password hashing is real; a fast hasher keeps the suite quick without changing what is checked.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return Company.objects.get(code="northwind"), out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Company,
            Location,
            Lot,
            StockMove,
            Document,
            Balance,
            Membership,
            Group,
            get_user_model(),
            BillOfMaterials,
            WorkOrder,
            Completion,
            UnitGenealogy,
            GenealogyLink,
        )
    }


def verify_ledger() -> tuple[str, str, CommandError | None]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_ledger", stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def test_seed_demo_creates_company_with_warehouse_tree_and_posted_documents(seeded):
    company, output = seeded
    assert company.name == "Northwind Medical & Food"
    bin_a = Location.objects.get(company=company, code="MAIN-A-01")
    assert bin_a.path() == "MAIN / MAIN-A / MAIN-A-01"
    assert Location.objects.filter(company=company, code="STORE", parent=None).exists()
    posted = set(Document.objects.filter(company=company, status=DocumentStatus.POSTED).values_list("kind", flat=True))
    assert {DocumentKind.RECEIPT, DocumentKind.TRANSFER, DocumentKind.DELIVERY, DocumentKind.CUSTOMER_RETURN} <= posted
    assert StockMove.objects.filter(company=company).exists()
    assert "Created demo company" in output


def test_seed_demo_creates_one_user_per_role_who_logs_in_with_demo(seeded):
    company, _ = seeded
    User = get_user_model()
    for username, group in ROLES.items():
        user = User.objects.get(username=username)
        assert user.check_password("demo"), username
        assert list(user.groups.values_list("name", flat=True)) == [group]
        assert Membership.objects.filter(user=user, company=company, is_default=True).exists()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not User.objects.filter(username__in=["clerk", "production", "cashier", "viewer"], is_superuser=True).exists()


def test_seed_demo_tracks_lots_with_expiry_and_serials(seeded):
    company, _ = seeded
    today = timezone.localdate()
    lots = Lot.objects.filter(company=company)
    assert lots.filter(kind=LotKind.LOT, expiry_date__gte=today, expiry_date__lte=today + timedelta(days=30)).exists()
    assert lots.filter(kind=LotKind.LOT, expiry_date__lt=today, balances__quantity__gt=0).exists()
    assert lots.get(number="MH-2291").status == LotStatus.ON_HOLD
    # Generated serials follow the ELEC template (NW + YYMM + counter); typed-in ones keep the label's number.
    generated = lots.filter(item__sku="K-THERM", kind=LotKind.SERIAL)
    assert generated.count() == 20
    assert all(re.fullmatch(r"NW\d{4}\d{5}", lot.number) for lot in generated)
    assert lots.filter(item__sku="E-SCAN", number="HS7100235", in_stock=True).exists()
    # Lot-and-serial: every pen serial names its lot and carries the lot's expiry.
    pens = lots.filter(item__sku="D-PEN", kind=LotKind.SERIAL).select_related("parent")
    assert pens.count() == 14
    assert all(pen.parent is not None and pen.expiry_date == pen.parent.expiry_date is not None for pen in pens)
    # The receipt over the batch size left unnumbered oximeters (30 received, 25 numbered, 2 assigned later).
    unassigned = Balance.objects.filter(item__company=company, item__sku="E-OXI", lot__isnull=True).get()
    assert unassigned.quantity == 3
    # The customer return brought one delivered thermometer back into stock.
    returned = Document.objects.get(company=company, kind=DocumentKind.CUSTOMER_RETURN).moves.get().to_lot
    assert returned.in_stock and returned.last_location.code == "STORE"


def test_seed_demo_second_run_changes_nothing(seeded):
    before = counts()
    assert (before["BillOfMaterials"], before["WorkOrder"]) == (3, 3) and before["GenealogyLink"] > 0
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert counts() == before
    assert "already exists" in out.getvalue()


def test_seed_demo_second_run_restores_a_missing_demo_user(seeded):
    company, _ = seeded
    get_user_model().objects.filter(username="viewer").delete()
    moves = StockMove.objects.count()
    call_command("seed_demo", stdout=StringIO())
    viewer = get_user_model().objects.get(username="viewer")
    assert viewer.check_password("demo")
    assert viewer.groups.filter(name="Viewer").exists()
    assert Membership.objects.filter(user=viewer, company=company, is_default=True).exists()
    assert StockMove.objects.count() == moves


def test_verify_ledger_passes_after_seed_demo(seeded):
    out, err, error = verify_ledger()
    assert error is None, err
    assert out.strip() == f"ledger OK: {Balance.objects.count()} balances, {StockMove.objects.count()} moves checked"
    assert Balance.objects.count() > 0


def test_verify_ledger_fails_naming_a_corrupted_balance(company, warehouse):
    klass = LotClassFactory(company=company, tracking=Tracking.LOT, segments=[("constant", "L"), ("counter", "001")])
    receive(item=ItemFactory(company=company, lot_class=klass), location=warehouse, numbers=["L7"], quantity=5)
    balance = Balance.objects.get(lot__number="L7")
    Balance.objects.filter(pk=balance.pk).update(quantity=balance.quantity + 2)
    out, err, error = verify_ledger()
    assert error is not None and error.returncode != 0
    assert "ledger OK" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"balance {balance.pk} ")
    assert "holds 7" in lines[0] and "sum to 5" in lines[0]


def test_verify_ledger_fails_naming_a_serial_whose_in_stock_flag_is_wrong(company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.SERIAL))
    receive(item=item, location=warehouse, numbers="SN-A SN-B")
    assert verify_ledger()[2] is None
    Lot.objects.filter(item=item, number="SN-B").update(in_stock=False)
    out, err, error = verify_ledger()
    assert error is not None and error.returncode != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("serial SN-B ") and "in_stock=False" in lines[0]
