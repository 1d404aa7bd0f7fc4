"""Who may open what: sign-in for everyone, then the roles of migration 0005 as real groups."""

from urllib.parse import unquote

import pytest
from django.urls import reverse

from tests.inventory.test_views_company import PROJECT_URLS, document_of, line_of, sign_in, unassigned_balance_of

ROLES = ["Setup", "Stock clerk", "Production", "Cashier", "Viewer"]
NOT_CLERKS = [role for role in ROLES if role != "Stock clerk"]
PAGES = [
    "inventory:home",
    "inventory:item-list",
    "inventory:location-list",
    "inventory:stock-list",
    "inventory:unassigned-list",
    "inventory:document-list",
]
REFUSED_PAGES = {("Cashier", "inventory:document-list")}

# (URL name, method, how to make the row it acts on in the user's own company)
WRITES = [
    ("inventory:document-create", "post", lambda company: {"kind": "delivery"}),
    ("inventory:document-update", "post", lambda company: {"document_pk": document_of(company).pk}),
    ("inventory:document-post", "post", lambda company: {"document_pk": document_of(company).pk}),
    ("inventory:document-cancel", "post", lambda company: {"document_pk": document_of(company).pk}),
    ("inventory:line-allocations", "post", lambda company: {"line_pk": line_of(company).pk}),
    ("inventory:unassigned-assign", "get", lambda company: {"balance_pk": unassigned_balance_of(company).pk}),
    ("inventory:unassigned-assign", "post", lambda company: {"balance_pk": unassigned_balance_of(company).pk}),
]
WRITE_IDS = [f"{method.upper()} {name}" for name, method, _ in WRITES]
# Every page but the sign-in page itself (the admin has its own sign-in), the favicon, which a
# browser asks for before anyone signs in (tested on its own below), and the load balancer's health
# check (tests/test_serve.py).
SIGNED_IN_URLS = [*(u for u in PROJECT_URLS if u[0] not in {"favicon", "health"}), ("logout", ())]


def test_the_favicon_is_served_before_sign_in(client, db):
    response = client.get(reverse("favicon"))
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")


def test_the_health_check_answers_before_sign_in(client, db):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.content == b"ok\n"


def _dummy_url(name, kwarg_names):
    return reverse(name, kwargs={k: "delivery" if k == "kind" else 1 for k in kwarg_names})


@pytest.mark.parametrize("name, kwarg_names", SIGNED_IN_URLS, ids=[name for name, _ in SIGNED_IN_URLS])
def test_anonymous_user_is_sent_to_sign_in(client, db, name, kwarg_names):
    url = _dummy_url(name, kwarg_names)
    response = client.get(url)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/accounts/login/?next=")
    assert unquote(location.split("next=", 1)[1]) == url


def test_sign_in_page_renders(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"<h1" in response.content


def test_sign_in_with_the_right_password_goes_home(client, company):
    user = sign_in(client, company, group="Viewer")
    client.logout()
    response = client.post(reverse("login"), {"username": user.username, "password": "pw"})
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:home")


def test_sign_in_with_a_wrong_password_stays_on_the_page(client, company):
    user = sign_in(client, company, group="Viewer")
    client.logout()
    response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("group", ROLES)
@pytest.mark.parametrize("name", PAGES)
def test_role_opens_the_pages_it_may_read(client, company, group, name):
    sign_in(client, company, group=group)
    expected = 403 if (group, name) in REFUSED_PAGES else 200
    assert client.get(reverse(name)).status_code == expected


@pytest.mark.parametrize("group", NOT_CLERKS)
@pytest.mark.parametrize("name, method, kwargs_of", WRITES, ids=WRITE_IDS)
def test_role_without_document_rights_is_refused_writes(client, company, group, name, method, kwargs_of):
    sign_in(client, company, group=group)
    url = reverse(name, kwargs=kwargs_of(company))
    assert getattr(client, method)(url).status_code == 403


@pytest.mark.parametrize("name, method, kwargs_of", WRITES, ids=WRITE_IDS)
def test_stock_clerk_is_not_refused_writes(client, company, name, method, kwargs_of):
    sign_in(client, company, group="Stock clerk")
    url = reverse(name, kwargs=kwargs_of(company))
    assert getattr(client, method)(url).status_code not in (403, 404, 405)


@pytest.mark.parametrize("group, shown", [("Viewer", False), ("Stock clerk", True)])
def test_home_shows_new_document_buttons_only_to_who_may_create(client, company, group, shown):
    sign_in(client, company, group=group)
    content = client.get(reverse("inventory:home")).content.decode()
    assert ("New delivery" in content) is shown


@pytest.mark.parametrize("group, shown", [("Viewer", False), ("Production", False), ("Stock clerk", True)])
def test_document_page_shows_action_buttons_only_to_who_may_use_them(client, company, group, shown):
    document = document_of(company)
    sign_in(client, company, group=group)
    content = client.get(reverse("inventory:document-detail", kwargs={"document_pk": document.pk})).content.decode()
    for url_name in ("inventory:document-update", "inventory:document-post", "inventory:document-cancel"):
        assert (reverse(url_name, kwargs={"document_pk": document.pk}) in content) is shown, url_name
