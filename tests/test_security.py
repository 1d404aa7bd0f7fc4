"""Hardening across the apps: bounded search input, sign-in throttling, response headers, logging."""

import pytest
from django.urls import reverse

from tests.inventory.test_views_company import sign_in

LONG = "x" * 60_000

LISTS = [
    "inventory:item-list",
    "inventory:location-list",
    "inventory:stock-list",
    "inventory:unassigned-list",
    "inventory:document-list",
    "traceability:lot-list",
    "manufacturing:work-order-list",
]


@pytest.mark.parametrize("name", LISTS)
def test_list_search_too_long_is_a_form_error(client, company, name):
    sign_in(client, company, is_superuser=True)
    response = client.get(reverse(name), {"q": LONG})
    assert response.status_code == 200
    assert "at most 100 characters" in response.content.decode()


@pytest.mark.parametrize("name", LISTS)
def test_list_search_box_stops_at_100_characters(client, company, name):
    sign_in(client, company, is_superuser=True)
    assert 'maxlength="100"' in client.get(reverse(name)).content.decode()


# Sign-in throttling (django-axes) -------------------------------------------------------------

LOGIN = "/accounts/login/"


def _sign_in(client, user, password, address="127.0.0.1"):
    return client.post(LOGIN, {"username": user.username, "password": password}, REMOTE_ADDR=address)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def member(company):
    from inventory.services import membership_add
    from tests.inventory.factories import UserFactory

    user = UserFactory()
    user.set_password("right password")
    user.save()
    membership_add(user=user, company=company, is_default=True)
    return user


def test_sign_in_is_locked_after_five_wrong_passwords(client, member):
    for _ in range(4):
        assert _sign_in(client, member, "wrong").status_code == 200
    assert _sign_in(client, member, "wrong").status_code == 429
    response = _sign_in(client, member, "right password")
    assert response.status_code == 429
    assert not _signed_in(client)
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page and "15 minutes" in page
    assert 'name="password"' in page  # the sign-in page itself, not a bare text


def test_sign_in_below_the_limit_still_signs_in(client, member):
    for _ in range(4):
        _sign_in(client, member, "wrong")
    assert _sign_in(client, member, "right password").status_code == 302
    assert _signed_in(client)


def test_sign_in_lockout_is_per_username_and_address(client, member):
    from tests.inventory.factories import UserFactory

    other = UserFactory()
    other.set_password("other password")
    other.save()
    for _ in range(6):
        _sign_in(client, member, "wrong", address="10.0.0.66")
    # The same account from another address, and another account from the attacker's address.
    assert _sign_in(client, member, "right password", address="10.0.0.7").status_code == 302
    client.logout()
    assert _sign_in(client, other, "other password", address="10.0.0.66").status_code == 302


def test_sign_in_lockout_ends_after_the_cool_off(client, member):
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    for _ in range(5):
        _sign_in(client, member, "wrong")
    assert _sign_in(client, member, "right password").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _sign_in(client, member, "right password").status_code == 302


def test_sign_in_attempts_are_listed_in_the_admin(admin_client, client, member):
    _sign_in(client, member, "wrong")
    response = admin_client.get("/admin/axes/accessattempt/")
    assert response.status_code == 200
    assert member.username in response.content.decode()


# Logging ---------------------------------------------------------------------------------------


def _handlers_reached(name: str, level: int) -> list:
    """The handlers (other than pytest's own capture) a record of ``name`` at ``level`` is written by."""
    import logging

    record = logging.LogRecord(name, level, __file__, 1, "boom", None, None)
    logger, reached = logging.getLogger(name), []
    while logger is not None:
        for handler in logger.handlers:
            if type(handler).__module__.startswith("_pytest"):
                continue
            if record.levelno >= handler.level and handler.filter(record):
                reached.append(handler)
        if not logger.propagate:
            break
        logger = logger.parent
    return reached


@pytest.mark.parametrize("debug", [True, False])
def test_a_request_traceback_is_logged_once(settings, debug):
    import logging

    settings.DEBUG = debug
    assert len(_handlers_reached("django.request", logging.ERROR)) == 1
    assert len(_handlers_reached("inventory.views", logging.ERROR)) == 1


# Response headers -----------------------------------------------------------------------------


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("url", ["/", "/items/", "/trace/lots/"])
def test_pages_send_a_content_security_policy_without_inline_script(client, company, url):
    sign_in(client, company, is_superuser=True)
    response = client.get(url)
    assert response.status_code == 200
    policy = _csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy.get("style-src", []) and "'unsafe-eval'" not in policy["script-src"]


def test_the_sign_in_page_sends_the_content_security_policy_too(client, db):
    assert _csp(client.get(LOGIN))["script-src"] == ["'self'"]


def test_templates_hold_no_inline_script_nor_style():
    import re

    from django.conf import settings

    inline = re.compile(r"\son[a-z]+=|\shx-on[:-]|\sstyle=|<style|<script(?![^>]*\ssrc=)", re.IGNORECASE)
    found = [
        f"{path.relative_to(settings.BASE_DIR)}:{n}"
        for path in (settings.BASE_DIR / "templates").rglob("*.html")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if inline.search(line)
    ]
    assert found == []


def test_signed_in_pages_are_never_cached(client, company):
    sign_in(client, company, is_superuser=True)
    assert "no-store" in client.get("/items/")["Cache-Control"]


@pytest.fixture
def received_lot(company):
    from tests.inventory.factories import ItemFactory, LocationFactory, LotClassFactory
    from tests.inventory.flows import receive

    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    receive(item=item, location=LocationFactory(company=company), generate=1)
    return item.lots.get()


@pytest.mark.parametrize(
    ("name", "params"),
    [("traceability:lot-export", {}), ("traceability:recall-export", {"section": "stock"})],
)
def test_csv_exports_are_never_cached(client, company, received_lot, name, params):
    sign_in(client, company, is_superuser=True)
    if name == "traceability:recall-export":
        params = {**params, "lot": received_lot.pk}
    response = client.get(reverse(name), params)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]


# Costs ----------------------------------------------------------------------------------------

COST = "12.3456"


@pytest.fixture
def costed(company):
    """A lot received at a cost, of an item with a standard cost of the same amount."""
    from decimal import Decimal

    from inventory.models import StockMove
    from tests.inventory.factories import ItemFactory, LocationFactory, LotClassFactory
    from tests.inventory.flows import receive

    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company), unit_cost=Decimal(COST))
    location = LocationFactory(company=company)
    document = receive(item=item, location=location, generate=1, unit_cost=Decimal(COST))
    assert StockMove.objects.filter(unit_cost=Decimal(COST)).exists()
    return {"item": item, "location": location, "lot": item.lots.get(), "document": document}


def _cost_pages(costed) -> list[str]:
    lot, document = costed["lot"].pk, costed["document"].pk
    return [
        reverse("inventory:item-detail", kwargs={"item_pk": costed["item"].pk}),
        reverse("inventory:location-detail", kwargs={"location_pk": costed["location"].pk}),
        reverse("inventory:stock-list"),
        reverse("traceability:lot-list"),
        reverse("traceability:lot-export"),
        *(reverse(f"traceability:lot-{tab}", kwargs={"lot_pk": lot}) for tab in ("detail", "locations", "history", "genealogy")),
        f"{reverse('traceability:lot-labels')}?lot={lot}",
        reverse("traceability:valuation"),
        reverse("inventory:document-detail", kwargs={"document_pk": document}),
        reverse("inventory:document-print", kwargs={"document_pk": document}),
    ]


def _content(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode()


def test_a_cashier_sees_no_cost_anywhere(client, company, costed):
    sign_in(client, company, group="Cashier")
    for url in _cost_pages(costed):
        response = client.get(url)
        assert response.status_code in (200, 403), url
        body = _content(response)
        assert COST not in body and "cost" not in body.lower(), url


def test_a_stock_clerk_sees_the_standard_cost_on_the_item_page(client, company, costed):
    sign_in(client, company, group="Stock clerk")
    body = client.get(reverse("inventory:item-detail", kwargs={"item_pk": costed["item"].pk})).content.decode()
    assert f"standard cost {COST}" in body
