"""The top-bar lookup and the recall box read GS1 scans: the number of the item with the GTIN."""

import datetime as dt

import pytest
from django.urls import reverse

from inventory.gs1 import digital_link, element_string
from inventory.models import Tracking
from tests.inventory.factories import CompanyFactory, ItemFactory, LocationFactory, LotClassFactory
from tests.inventory.flows import receive

pytestmark = pytest.mark.django_db

GTIN = "09506000134352"
OTHER_GTIN = "00012345678905"
EXPIRY = dt.date(2027, 12, 31)


@pytest.fixture
def items(company, warehouse):
    """The same lot number UHT-1201 on milk (its GTIN stored as GTIN-13), cream (another GTIN,
    stored as GTIN-12) and bolts (no GTIN); UHT-1300 on milk only."""
    lot_class = LotClassFactory(company=company, tracking=Tracking.LOT, track_expiry=True)
    milk = ItemFactory(company=company, sku="MILK", lot_class=lot_class, gtin="9506000134352")
    cream = ItemFactory(company=company, sku="CREAM", lot_class=lot_class, gtin="012345678905")
    bolt = ItemFactory(company=company, sku="BOLT", lot_class=LotClassFactory(company=company, tracking=Tracking.LOT))
    for item in (milk, cream):
        receive(item=item, location=warehouse, numbers=["UHT-1201"], quantity=5, expiry=EXPIRY)
    receive(item=bolt, location=warehouse, numbers=["UHT-1201"], quantity=5)
    receive(item=milk, location=warehouse, numbers=["UHT-1300"], quantity=5, expiry=EXPIRY)
    return {"milk": milk, "cream": cream, "bolt": bolt}


def lot(item, number):
    return item.lots.get(number=number)


def lot_url(lot_):
    return reverse("traceability:lot-detail", kwargs={"lot_pk": lot_.pk})


def lookup(client, q):
    return client.get(reverse("traceability:lookup"), {"q": q})


# Lookup ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scan",
    [
        "]C1" + element_string(GTIN, lot="UHT-1201", expiry=EXPIRY),
        element_string(GTIN, lot="UHT-1201", expiry=EXPIRY),
        "]d2" + element_string(GTIN, lot="UHT-1201", expiry=EXPIRY, separator="<GS>"),
        digital_link(GTIN, lot="UHT-1201", expiry=EXPIRY, host="https://brand.example.com"),
        f"(01){GTIN}(10)UHT-1201",
    ],
)
def test_lookup_gs1_scan_opens_the_lot_of_the_item_with_its_gtin(clerk, items, scan):
    response = lookup(clerk, scan)
    assert response.status_code == 302 and response.url == lot_url(lot(items["milk"], "UHT-1201"))


def test_lookup_gs1_scan_compares_normalised_gtins(clerk, items):
    """CREAM's GTIN is stored as GTIN-12 "012345678905"; the label carries it as 14 digits."""
    response = lookup(clerk, "]C101" + OTHER_GTIN + "10UHT-1201")
    assert response.url == lot_url(lot(items["cream"], "UHT-1201"))


def test_lookup_gs1_serial_wins_over_lot(clerk, company, warehouse):
    phone = ItemFactory(company=company, sku="PHONE", lot_class=LotClassFactory(company=company), gtin=GTIN)
    receive(item=phone, location=warehouse, numbers=["SN0007"])
    response = lookup(clerk, "]C1" + element_string(GTIN, lot="NOT-A-LOT", serial="SN0007"))
    assert response.url == lot_url(lot(phone, "SN0007"))


def test_lookup_plain_number_still_offers_every_item(clerk, items):
    body = lookup(clerk, "UHT-1201").content.decode()
    assert body.count('data-testid="lookup-row"') == 3


def test_lookup_gs1_scan_of_an_unknown_gtin_finds_nothing(clerk, items):
    body = lookup(clerk, "]C10100000096385074" + "10UHT-1201").content.decode()
    assert 'data-testid="lookup-none"' in body and 'data-testid="lookup-row"' not in body


def test_lookup_gs1_scan_makes_no_partial_guesses(clerk, items):
    body = lookup(clerk, "]C101" + GTIN + "10UHT-12").content.decode()
    assert 'data-testid="lookup-row"' not in body


def test_lookup_gs1_scan_with_bad_check_digit_says_so(clerk, items):
    response = lookup(clerk, "]C10109506000134353" + "10UHT-1201")
    body = response.content.decode()
    assert response.status_code == 200 and "cannot be read" in body and "check digit" in body
    assert 'data-testid="lookup-row"' not in body


def test_lookup_gs1_scan_of_another_companys_lot_finds_nothing(clerk, items):
    other = CompanyFactory()
    item = ItemFactory(company=other, sku="THEIRS", lot_class=LotClassFactory(company=other, tracking=Tracking.LOT), gtin=GTIN)
    receive(item=item, location=LocationFactory(company=other), numbers=["THEIR-LOT"], quantity=1)
    body = lookup(clerk, "]C101" + GTIN + "10THEIR-LOT").content.decode()
    assert 'data-testid="lookup-none"' in body


def test_lookup_plain_number_that_looks_like_a_gtin_is_a_plain_number(clerk, company, warehouse):
    item = ItemFactory(company=company, sku="NUM", lot_class=LotClassFactory(company=company, tracking=Tracking.LOT))
    receive(item=item, location=warehouse, numbers=["0950600013435"], quantity=1)
    response = lookup(clerk, "0950600013435")
    assert response.url == lot_url(lot(item, "0950600013435"))


def test_lookup_over_long_scan_is_a_plain_search(clerk, items):
    response = lookup(clerk, "]C101" + GTIN + "10" + "A" * 2000)
    assert response.status_code == 200


# Recall ----------------------------------------------------------------------------------------


def recall(client, text):
    return client.get(reverse("traceability:recall"), {"numbers": text})


def test_recall_gs1_scans_name_the_lots_of_their_items(clerk, items):
    text = "\n".join(
        [
            "]C1" + element_string(GTIN, lot="UHT-1201", expiry=EXPIRY),
            digital_link(OTHER_GTIN, lot="UHT-1201"),
        ]
    )
    response = recall(clerk, text)
    assert response.status_code == 302
    expected = sorted([lot(items["milk"], "UHT-1201").pk, lot(items["cream"], "UHT-1201").pk])
    assert response.url == reverse("traceability:recall") + "?" + "&".join(f"lot={pk}" for pk in expected)


def test_recall_gs1_scan_with_group_separators_is_one_entry(clerk, items, company, warehouse):
    phone = ItemFactory(company=company, sku="PHONE", lot_class=LotClassFactory(company=company), gtin=GTIN)
    receive(item=phone, location=warehouse, numbers=["SN0001"])
    response = recall(clerk, element_string(GTIN, lot="UHT-1201", serial="SN0001") + "\r\nUHT-1300")
    assert response.status_code == 302
    assert response.url == reverse("traceability:recall") + "?" + "&".join(
        f"lot={pk}" for pk in sorted([lot(phone, "SN0001").pk, lot(items["milk"], "UHT-1300").pk])
    )


def test_recall_plain_numbers_and_commas_as_before(clerk, items):
    response = recall(clerk, "UHT-1201, UHT-1300")
    assert response.status_code == 302 and response.url.count("lot=") == 4


def test_recall_unknown_gs1_and_bad_scans_are_listed_the_others_kept(clerk, items):
    text = "\n".join(
        [
            "]C10100000096385074" + "10UHT-1201",  # a GTIN no item has
            "]C10109506000134353" + "10UHT-1201",  # a wrong check digit
            element_string(GTIN, lot="UHT-1300"),
        ]
    )
    response = recall(clerk, text)
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="recall-unknown"' in body
    assert "UHT-1201 (GTIN 00000096385074)" in body and "check digit" in body
    assert [seed.number for seed in response.context["seeds"]] == ["UHT-1300"]
