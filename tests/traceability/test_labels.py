"""Lot and serial labels: what they encode reads back through scan_parse; the print page."""

import datetime as dt
import re

import pytest
from barcode.charsets import code128
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.gs1 import GS, scan_parse
from inventory.models import Tracking
from inventory.services import membership_add
from tests.inventory.factories import CompanyFactory, ItemFactory, LocationFactory, LotClassFactory, UserFactory
from tests.inventory.flows import receive
from tests.traceability.conftest import sign_in
from traceability.labels import code128_modules, lot_label

pytestmark = pytest.mark.django_db

GTIN13 = "9506000134352"
GTIN14 = "09506000134352"
EXPIRY = dt.date(2027, 5, 31)


def scanned(modules: str) -> str:
    """What a scanner set to send symbology identifiers types for these Code 128 modules: the
    symbols decoded, FNC1 first as ``]C1``, FNC1 between fields as GS (ISO/IEC 15417)."""
    values = {pattern: value for value, pattern in enumerate(code128.CODES)}
    assert modules.endswith(code128.STOP + "11")
    body = modules[: -len(code128.STOP) - 2]
    symbols = [values[body[i : i + 11]] for i in range(0, len(body), 11)]
    *data, check = symbols
    assert check == (data[0] + sum(i * v for i, v in enumerate(data[1:], start=1))) % 103
    charset = {103: "A", 104: "B", 105: "C"}[data[0]]
    text = ""
    for position, value in enumerate(data[1:]):
        if value == 102:
            text += "]C1" if position == 0 else GS
        elif charset == "C" and value < 100:
            text += f"{value:02d}"
        elif charset == "B" and value < 95:
            text += chr(value + 32)
        elif charset == "A" and value < 96:
            text += chr(value + 32) if value < 64 else chr(value - 64)
        else:
            charset = {99: "C", 100: "B", 101: "A"}[value]  # a code set change (no FNC4 or shift here)
    return text if text.startswith("]C1") else "]C0" + text


@pytest.fixture
def lot_item(company):
    lot_class = LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True)
    return ItemFactory(company=company, sku="MILK", name="Milk 1 l", lot_class=lot_class, gtin=GTIN13)


@pytest.fixture
def serial_item(company):
    return ItemFactory(company=company, sku="PHONE", name="Phone", lot_class=LotClassFactory(company=company), gtin=GTIN14)


@pytest.fixture
def lot_serial_item(company):
    lot_class = LotClassFactory(company=company, tracking=Tracking.LOT_AND_SERIAL, track_expiry=True)
    return ItemFactory(company=company, sku="VACCINE", name="Vaccine", lot_class=lot_class, gtin="0" + GTIN14[1:])


def lot_of(item, number):
    return item.lots.select_related("item", "parent").get(number=number)


# What a label encodes ------------------------------------------------------------------------


def test_lot_label_round_trip_element_string_digital_link_and_bars(lot_item, warehouse):
    receive(item=lot_item, location=warehouse, numbers=["UHT-1201"], quantity=10, expiry=EXPIRY)
    label = lot_label(lot_of(lot_item, "UHT-1201"))
    assert label.is_gs1
    for text in (label.element_string, label.digital_link, scanned(code128_modules_of(label))):
        scan = scan_parse(text)
        assert (scan.is_gs1, scan.gtin, scan.lot, scan.serial, scan.expiry, scan.error) == (True, GTIN14, "UHT-1201", None, EXPIRY, "")
        assert scan.number == "UHT-1201"
    assert label.hri == f"(01){GTIN14}(17)270531(10)UHT-1201"


def test_serial_label_round_trip(serial_item, warehouse):
    receive(item=serial_item, location=warehouse, numbers=["SN0042"])
    label = lot_label(lot_of(serial_item, "SN0042"))
    for text in (label.element_string, label.digital_link, scanned(code128_modules_of(label))):
        scan = scan_parse(text)
        assert (scan.gtin, scan.serial, scan.lot, scan.expiry, scan.number) == (GTIN14, "SN0042", None, None, "SN0042")


def test_serial_of_a_lot_label_carries_both_and_the_lots_expiry(lot_serial_item, warehouse):
    receive(item=lot_serial_item, location=warehouse, numbers=["V001", "V002"], parent_number="BATCH-9", expiry=EXPIRY)
    label = lot_label(lot_of(lot_serial_item, "V002"))
    for text in (label.element_string, label.digital_link, scanned(code128_modules_of(label))):
        scan = scan_parse(text)
        assert (scan.gtin, scan.lot, scan.serial, scan.expiry, scan.number) == (GTIN14, "BATCH-9", "V002", EXPIRY, "V002")


def test_item_without_gtin_gets_a_code128_of_the_plain_number(company, warehouse):
    item = ItemFactory(company=company, sku="BOLT", lot_class=LotClassFactory(company=company, tracking=Tracking.LOT))
    receive(item=item, location=warehouse, numbers=["0950600013435"], quantity=5)
    label = lot_label(lot_of(item, "0950600013435"))
    assert not label.is_gs1 and label.qr_svg is None and label.element_string is None
    text = scanned(code128_modules(label.number))
    assert text == "]C00950600013435"
    scan = scan_parse(text)
    assert (scan.is_gs1, scan.number) == (False, "0950600013435")


def test_item_with_invalid_gtin_falls_back_to_plain_with_a_note(company, warehouse):
    item = ItemFactory(company=company, sku="BAD", lot_class=LotClassFactory(company=company, tracking=Tracking.LOT), gtin="9506000134353")
    receive(item=item, location=warehouse, numbers=["B-1"], quantity=1)
    label = lot_label(lot_of(item, "B-1"))
    assert not label.is_gs1 and "not valid" in label.note and scan_parse(scanned(code128_modules(label.number))).number == "B-1"


def test_number_gs1_cannot_carry_falls_back_to_plain(lot_item, warehouse):
    receive(item=lot_item, location=warehouse, numbers=["A-VERY-LONG-LOT-NUMBER-2027"], quantity=1, expiry=EXPIRY)
    label = lot_label(lot_of(lot_item, "A-VERY-LONG-LOT-NUMBER-2027"))
    assert not label.is_gs1 and "Not a GS1 label" in label.note
    assert scan_parse(scanned(code128_modules(label.number))).number == "A-VERY-LONG-LOT-NUMBER-2027"


def code128_modules_of(label) -> str:
    return re.search(r'data-modules="([01]+)"', str(label.linear_svg)).group(1)


# The print page ------------------------------------------------------------------------------


def labels_url(lots) -> str:
    return reverse("traceability:lot-labels") + "?" + "&".join(f"lot={lot.pk}" for lot in lots)


def test_labels_page_has_an_svg_per_label_and_a_print_button(client, company, lot_item, serial_item, warehouse):
    sign_in(client, company, "Viewer")
    receive(item=lot_item, location=warehouse, numbers=["UHT-1201"], quantity=10, expiry=EXPIRY)
    receive(item=serial_item, location=warehouse, numbers=["SN0001"])
    lots = list(company.lots.order_by("pk"))
    response = client.get(labels_url(lots))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-testid="label"') == 2
    labels = body.split('data-testid="label"')[1:]
    assert all("<svg" in part for part in labels)
    assert "MILK" in body and "Milk 1 l" in body and "2027-05-31" in body and "UHT-1201" in body
    # The print rules live in static/css/app.css (the Content-Security-Policy allows no <style>).
    assert 'data-testid="labels-print"' in body and 'class="labels-page"' in body
    assert ".labels-page" in (settings.BASE_DIR / "static" / "css" / "app.css").read_text()


@pytest.mark.parametrize("count", [5, 50])
def test_labels_page_queries_do_not_grow_with_labels(client, company, serial_item, warehouse, count):
    sign_in(client, company, "Viewer")
    receive(item=serial_item, location=warehouse, generate=count)
    url = labels_url(company.lots.all())
    client.get(url)  # session, permissions and company cached like any later request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    body = response.content.decode()
    assert body.count('data-testid="label"') == count and body.count("<svg") >= count
    assert len(queries) <= 8, [q["sql"] for q in queries]


def test_labels_page_query_count_is_the_same_for_5_and_50(client, company, serial_item, warehouse):
    sign_in(client, company, "Viewer")
    receive(item=serial_item, location=warehouse, generate=50)
    lots = list(company.lots.order_by("pk"))
    counts = []
    for chosen in (lots[:5], lots):
        client.get(labels_url(chosen))
        with CaptureQueriesContext(connection) as queries:
            client.get(labels_url(chosen))
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_labels_page_does_not_show_another_companys_lot(client, company, lot_item, warehouse):
    sign_in(client, company, "Viewer")
    other = CompanyFactory()
    other_item = ItemFactory(company=other, sku="SECRET", lot_class=LotClassFactory(company=other, tracking=Tracking.LOT), gtin=GTIN13)
    receive(item=other_item, location=LocationFactory(company=other), numbers=["THEIRS-1"], quantity=1)
    theirs = other.lots.get()
    response = client.get(labels_url([theirs]))
    body = response.content.decode()
    assert response.status_code in (200, 404)
    assert "THEIRS-1" not in body and "SECRET" not in body and 'data-testid="label"' not in body


def test_labels_page_bounds_and_ignores_junk_ids(client, company, lot_item, warehouse):
    sign_in(client, company, "Viewer")
    receive(item=lot_item, location=warehouse, numbers=["L-1"], quantity=1, expiry=EXPIRY)
    lot = company.lots.get()
    query = "&".join(["lot=x", "lot=1.5", "lot=99999999999999999999", f"lot={lot.pk}", f"lot={lot.pk}"] + ["lot=123456789"] * 2000)
    response = client.get(reverse("traceability:lot-labels") + "?" + query)
    assert response.status_code == 200 and response.content.decode().count('data-testid="label"') == 1


def test_labels_page_needs_view_lot(client, company):
    user = UserFactory()
    membership_add(user=user, company=company, is_default=True)
    client.force_login(user)
    assert client.get(reverse("traceability:lot-labels")).status_code == 403


def test_lot_page_links_to_its_label(client, company, lot_item, warehouse):
    sign_in(client, company, "Viewer")
    receive(item=lot_item, location=warehouse, numbers=["L-2"], quantity=1, expiry=EXPIRY)
    lot = company.lots.get()
    body = client.get(reverse("traceability:lot-detail", kwargs={"lot_pk": lot.pk})).content.decode()
    assert f"{reverse('traceability:lot-labels')}?lot={lot.pk}" in body
