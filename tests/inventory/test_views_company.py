"""No page shows or changes another company's rows.

Every URL of the project is walked: a URL naming a row (``<entity>_pk``) must answer 404 for a
row of a company the user is not working in, whatever the method and whatever their rights. A
new URL argument this test does not know fails the suite until it is taught here.
"""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import URLResolver, get_resolver, resolve, reverse

from inventory.middleware import SESSION_KEY
from inventory.models import Balance, DocumentKind
from inventory.services import document_create, document_line_add, membership_add
from tests.inventory.factories import CompanyFactory, ItemFactory, LocationFactory, LotClassFactory, UserFactory
from tests.inventory.flows import receive

SKIPPED_NAMESPACES = {"admin"}
SKIPPED_NAMES = {"login", "logout"}


def sign_in(client, company=None, group=None, **user_fields):
    user = UserFactory(**user_fields)
    user.save()  # UserFactory sets the password after its save and skips saving again
    if group:
        user.groups.add(Group.objects.get(name=group))
    if company is not None:
        membership_add(user=user, company=company, is_default=True)
    client.force_login(user)
    return user


def document_of(company):
    return document_create(company=company, kind=DocumentKind.RECEIPT, to_location=LocationFactory(company=company))


def line_of(company):
    return document_line_add(document=document_of(company), item=ItemFactory(company=company), quantity=Decimal(1))


def unassigned_balance_of(company):
    """A balance of a fully tracked item still waiting for its number (the class numbers one of two)."""
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, batch_size=1))
    receive(item=item, location=LocationFactory(company=company), generate=1, quantity=2)
    return Balance.objects.get(item=item, lot__isnull=True)


def work_order_of(company):
    """A draft work order of an item made of one component."""
    from manufacturing.services import work_order_create
    from tests.manufacturing.factories import BomFactory

    item = ItemFactory(company=company)
    BomFactory(company=company, item=item, components=[(ItemFactory(company=company), 1)])
    return work_order_create(company=company, item=item, quantity=Decimal(1), location=LocationFactory(company=company))


def lot_of(company):
    """A lot of a tracked company (the traceability pages exist only there)."""
    company.tracking_enabled = True
    company.save(update_fields=["tracking_enabled"])
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    receive(item=item, location=LocationFactory(company=company), generate=1)
    return item.lots.get()


def sale_of(company):
    """A cart at a register of ``company`` (its cashier's open session)."""
    from pos.models import Register
    from pos.services import cart_new, session_open

    cashier = UserFactory(is_superuser=True)
    register = Register.objects.create(company=company, code="T1", name="Till", location=LocationFactory(company=company))
    return cart_new(session=session_open(register=register, user=cashier), user=cashier)


def pending_of(company):
    """What a delivery of ``company`` left without its serial number."""
    from inventory.models import PendingNumbers
    from inventory.services import document_post

    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    location = LocationFactory(company=company)
    receive(item=item, location=location, generate=1)
    delivery = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=location)
    document_line_add(document=delivery, item=item, quantity=Decimal(1))
    document_post(document=delivery, numbers_to_follow=True)
    return PendingNumbers.objects.get(document=delivery)


def quotation_of(company):
    from pos.models import Quotation

    return Quotation.objects.create(company=company, number="Q-1")


# How to make a row of a given company for each URL argument that names one.
ROW_KWARGS = {
    "item_pk": lambda company: ItemFactory(company=company),
    "location_pk": lambda company: LocationFactory(company=company),
    "document_pk": document_of,
    "line_pk": line_of,
    "balance_pk": unassigned_balance_of,
    "lot_pk": lot_of,
    "work_order_pk": work_order_of,
    "sale_pk": sale_of,
    "pending_pk": pending_of,
    "quotation_pk": quotation_of,
}
# URL arguments that name no row: a valid value each.
VALUE_KWARGS = {"kind": DocumentKind.DELIVERY.value, "source": "items"}


def _kwarg_names(pattern) -> list[str]:
    return list(getattr(pattern, "converters", {})) or list(pattern.regex.groupindex)


def _walk(patterns, namespace="", inherited=()):
    for entry in patterns:
        names = [*inherited, *_kwarg_names(entry.pattern)]
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner, names)
        elif entry.name not in SKIPPED_NAMES:
            assert entry.name, f"the URL {entry.pattern} has no name; name it so the company checks can reach it"
            yield f"{namespace}{entry.name}", tuple(names)


PROJECT_URLS = list(_walk(get_resolver().url_patterns))
ROW_URLS = [(name, args) for name, args in PROJECT_URLS if set(args) - set(VALUE_KWARGS)]
OTHER_URLS = [(name, args) for name, args in PROJECT_URLS if not set(args) - set(VALUE_KWARGS)]


def url_kwargs(url_name, names, company) -> dict:
    kwargs = {}
    for name in names:
        if name in VALUE_KWARGS:
            kwargs[name] = VALUE_KWARGS[name]
        elif name in ROW_KWARGS:
            kwargs[name] = ROW_KWARGS[name](company).pk
        else:
            pytest.fail(
                f"{url_name} takes <{name}>, which tests/inventory/test_views_company.py does not know: "
                f"add to ROW_KWARGS how to build a row for it (or to VALUE_KWARGS a valid value), "
                f"so the page is checked against other companies' rows."
            )
    return kwargs


def test_url_walk_finds_the_pages():
    names = {name for name, _ in PROJECT_URLS}
    assert {"inventory:home", "inventory:item-detail", "inventory:document-detail"} <= names
    assert not any(name.startswith("admin:") for name in names)


@pytest.mark.parametrize("name, kwarg_names", ROW_URLS, ids=[name for name, _ in ROW_URLS])
def test_page_of_another_company_row_is_404(client, company, name, kwarg_names):
    sign_in(client, company, is_superuser=True)
    url = reverse(name, kwargs=url_kwargs(name, kwarg_names, CompanyFactory()))
    assert client.get(url).status_code == 404, f"GET {url}"
    # A page that takes POST must refuse it with 404 too; a read-only page may refuse the method itself.
    takes_post = hasattr(resolve(url).func.view_class, "post")
    assert client.post(url).status_code in ({404} if takes_post else {404, 405}), f"POST {url}"


@pytest.mark.parametrize("name, kwarg_names", OTHER_URLS, ids=[name for name, _ in OTHER_URLS])
def test_page_without_a_row_answers_without_error(client, company, name, kwarg_names):
    sign_in(client, company, is_superuser=True)
    url = reverse(name, kwargs=url_kwargs(name, kwarg_names, company))
    assert client.get(url).status_code < 500


def test_home_is_403_for_a_user_of_no_company(client, db):
    sign_in(client, is_superuser=True)
    assert client.get(reverse("inventory:home")).status_code == 403


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _list_companies(client, name) -> set[int]:
    return {row.record.company_id for row in client.get(reverse(name)).context["table"].paginated_rows}


def test_company_switch_moves_to_another_company_of_the_user(client, company):
    other = CompanyFactory()
    user = sign_in(client, company, group="Stock clerk")
    membership_add(user=user, company=other)
    response = client.post(reverse("inventory:company-switch"), {"company": other.pk}, follow=True)
    assert client.session[SESSION_KEY] == other.pk
    assert _messages(response) == [f"You are now working in {other.name}."]


@pytest.mark.parametrize("name", ["inventory:item-list", "inventory:location-list", "inventory:stock-list", "inventory:unassigned-list"])
def test_lists_show_only_the_company_switched_to(client, company, name):
    other = CompanyFactory()
    for each in (company, other):
        unassigned_balance_of(each)
    user = sign_in(client, company, group="Stock clerk")
    membership_add(user=user, company=other)
    assert _list_companies(client, name) == {company.pk}
    client.post(reverse("inventory:company-switch"), {"company": other.pk})
    assert _list_companies(client, name) == {other.pk}


def test_company_switch_refuses_a_company_the_user_is_not_a_member_of(client, company):
    stranger = CompanyFactory()
    for each in (company, stranger):
        unassigned_balance_of(each)
    sign_in(client, company, group="Stock clerk")
    response = client.post(reverse("inventory:company-switch"), {"company": stranger.pk}, follow=True)
    assert _messages(response) == ["You are not a member of that company."]
    assert client.session.get(SESSION_KEY) != stranger.pk
    assert _list_companies(client, "inventory:stock-list") == {company.pk}


@pytest.mark.parametrize(
    ("target", "expected"),
    [("x", "/"), ("//evil.com", "/"), ("https://evil.com/", "/"), ("/\\evil.com", "/"), ("/documents/", "/documents/"), ("/items/5/", "/")],
)
def test_company_switch_goes_back_only_to_a_path_of_this_site(client, company, target, expected):
    sign_in(client, company, group="Stock clerk")
    response = client.post(reverse("inventory:company-switch"), {"company": company.pk, "next": target})
    assert response.status_code == 302
    assert response["Location"] == expected
