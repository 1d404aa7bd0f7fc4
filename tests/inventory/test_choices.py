"""Choices of a partner or an item (inventory/web/choices.py): a select while few, a type-ahead
past ``CHOICES_SELECT_LIMIT``; what the field and the list filters accept; the suggestions."""

import re
from decimal import Decimal

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.filters.documents import DocumentFilter
from inventory.forms.documents import DocumentForm, ItemChoices, LineForm
from inventory.models import Document, DocumentKind, Partner
from inventory.services import document_create
from inventory.web.choices import CUSTOMERS, PARTNERS, STOCKED_ITEMS, SearchChoiceField
from tests.inventory.factories import CompanyFactory, ItemFactory, LocationFactory, PartnerFactory
from tests.inventory.test_views_catalog import sign_in

pytestmark = pytest.mark.django_db

SELECT, TYPE_AHEAD = "select", "type-ahead"


@pytest.fixture(params=[SELECT, TYPE_AHEAD])
def mode(request, settings):
    """Every rule holds the same whether the company's rows are few (a select) or many."""
    settings.CHOICES_SELECT_LIMIT = 1000 if request.param == SELECT else 1
    return request.param


@pytest.fixture
def acme(company):
    return PartnerFactory(company=company, code="C042", name="Acme Ltd", is_customer=True, is_supplier=False)


@pytest.fixture
def others(company):
    """More customers, so that the type-ahead has something to choose among."""
    return [PartnerFactory(company=company, code=f"C1{n:02d}", name=f"Other {n}", is_customer=True) for n in range(3)]


def customer_field(company) -> SearchChoiceField:
    field = SearchChoiceField(source=CUSTOMERS, required=False)
    field.offer(CUSTOMERS, CUSTOMERS.rows(company))
    return field


def error_of(field, value) -> str:
    with pytest.raises(forms.ValidationError) as raised:
        field.clean(value)
    return " ".join(raised.value.messages)


# What the field accepts ------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["C042 — Acme Ltd", "C042", "c042", "  C042 ", "acme ltd", "ACME LTD", "c042 — acme ltd"])
def test_field_takes_a_label_a_code_in_any_case_or_a_unique_name(company, acme, others, mode, typed):
    assert customer_field(company).clean(typed) == acme


def test_field_takes_a_primary_key(company, acme, others, mode):
    assert customer_field(company).clean(str(acme.pk)) == acme
    assert customer_field(company).clean(acme.pk) == acme


def test_field_takes_a_numeric_code_before_a_primary_key(company, others, mode):
    first = PartnerFactory(company=company, code="X", name="By primary key", is_customer=True)
    numbered = PartnerFactory(company=company, code=str(first.pk), name="By code", is_customer=True)
    assert customer_field(company).clean(str(first.pk)) == numbered
    # The app's own selects send codes, and an initial primary key stays a primary key.
    assert customer_field(company).clean(first.pk) == first


def test_field_takes_nothing_as_no_choice(company, acme, mode):
    assert customer_field(company).clean("") is None
    assert customer_field(company).clean("   ") is None


def test_field_names_what_was_typed_when_it_is_no_row(company, acme, others, mode):
    assert error_of(customer_field(company), "xyz") == "No customer “xyz”: type its code or name and pick it from the list."


def test_field_refuses_a_name_several_rows_have(company, acme, others, mode):
    PartnerFactory(company=company, code="C043", name="acme ltd", is_customer=True)
    assert "More than one customer answers to “Acme Ltd”" in error_of(customer_field(company), "Acme Ltd")
    assert customer_field(company).clean("C043") is not None  # the code still tells them apart


def test_field_refuses_a_code_that_differs_only_in_case_from_two(company, mode):
    PartnerFactory(company=company, code="abc", name="Lower", is_customer=True)
    PartnerFactory(company=company, code="ABC", name="Upper", is_customer=True)
    field = customer_field(company)
    assert field.clean("abc").name == "Lower" and field.clean("ABC").name == "Upper"
    assert "More than one customer answers to “Abc”" in error_of(customer_field(company), "Abc")


def test_field_refuses_too_long_input_with_a_message(company, acme, mode):
    assert error_of(customer_field(company), "x" * 301) == "Type at most 300 characters: a customer’s code or name."
    assert "No customer" in error_of(customer_field(company), "x" * 300)


def test_field_refuses_a_nul_character_without_an_error_page(company, acme, mode):
    assert "Null characters are not allowed" in error_of(customer_field(company), "C0\x0042")


@pytest.mark.parametrize("how", ["code", "label", "pk", "name"])
def test_field_refuses_another_company_row(company, acme, mode, how):
    theirs = PartnerFactory(company=CompanyFactory(), code="T1", name="Their customer", is_customer=True)
    typed = {"code": "T1", "label": "T1 — Their customer", "pk": str(theirs.pk), "name": "Their customer"}[how]
    assert error_of(customer_field(company), typed).startswith("No customer")


def test_field_refuses_a_row_its_source_does_not_offer(company, acme, others, mode):
    PartnerFactory(company=company, code="S1", name="Only a supplier", is_customer=False, is_supplier=True)
    assert error_of(customer_field(company), "S1").startswith("No customer “S1”")


def test_field_has_not_changed_when_the_same_row_is_typed_otherwise(company, acme, mode):
    field = customer_field(company)
    assert not field.has_changed(acme.pk, "C042 — Acme Ltd")
    assert field.has_changed(acme.pk, "C100") and field.has_changed(acme.pk, "nobody") and field.has_changed(None, "C042")
    assert not field.has_changed(None, "")


# What it shows ---------------------------------------------------------------------------------


def header_form(company, data=None, **kwargs) -> DocumentForm:
    return DocumentForm(data, company=company, kind=DocumentKind.DELIVERY, **kwargs)


def test_few_rows_are_a_select_whose_options_send_codes(company, acme, others, settings):
    settings.CHOICES_SELECT_LIMIT = 4
    html = header_form(company, initial={"partner": acme.pk})["partner"].as_widget()
    assert html.startswith("<select") and html.count("<option") == 5  # the empty choice and 4 customers
    assert '<option value="C042" selected>Acme Ltd</option>' in html


def test_more_rows_than_the_limit_are_a_type_ahead_showing_the_chosen_label(company, acme, others, settings):
    settings.CHOICES_SELECT_LIMIT = 3
    html = header_form(company, initial={"partner": acme.pk})["partner"].as_widget()
    assert "<option" not in html and "<select" not in html
    assert 'type="text"' in html and 'value="C042 — Acme Ltd"' in html
    assert 'list="id_partner-choices"' in html and '<datalist id="id_partner-choices"></datalist>' in html
    assert 'hx-get="/choices/customers/?field=partner"' in html and 'maxlength="300"' in html


def test_type_ahead_shows_back_what_was_typed_with_its_error(company, acme, others, settings):
    settings.CHOICES_SELECT_LIMIT = 1
    form = header_form(company, {"partner": "nobody <b>", "date": "2030-01-01"})
    assert not form.is_valid()
    html = form["partner"].as_widget()
    assert 'value="nobody &lt;b&gt;"' in html and "is-invalid" in html
    assert form.errors["partner"] == ["No customer “nobody <b>”: type its code or name and pick it from the list."]


def test_type_ahead_shows_a_typed_code_as_its_label(company, acme, others, settings):
    settings.CHOICES_SELECT_LIMIT = 1
    form = header_form(company, {"partner": "c042", "date": "2030-01-01"})
    form.is_valid()
    assert 'value="C042 — Acme Ltd"' in form["partner"].as_widget()


def test_a_company_with_no_rows_has_an_empty_select(company, settings):
    settings.CHOICES_SELECT_LIMIT = 0
    assert header_form(company)["partner"].as_widget().startswith("<select")


# Document lines --------------------------------------------------------------------------------


def line_data(*typed) -> dict:
    data = {"lines-TOTAL_FORMS": str(len(typed)), "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000"}
    for index, value in enumerate(typed):
        data |= {f"lines-{index}-item": value, f"lines-{index}-quantity": "1"}
    return data


def test_lines_take_skus_labels_names_and_primary_keys(company, mode):
    from inventory.forms.documents import LineFormSet

    phone = ItemFactory(company=company, sku="PHONE", name="Field phone")
    ItemFactory(company=company, sku="OTHER", name="Other")
    hidden = ItemFactory(company=company, sku="LOOKUP", name="Not stocked", is_stocked=False)
    lines = LineFormSet(
        line_data("phone", "PHONE — Field phone", "field phone", str(phone.pk), "LOOKUP"),
        prefix="lines",
        form_kwargs={"items": ItemChoices(company), "kind": DocumentKind.DELIVERY},
    )
    assert not lines.is_valid()
    assert [f.cleaned_data.get("item") for f in lines.forms[:4]] == [phone] * 4
    assert lines.forms[4].errors["item"] == ["No item “LOOKUP”: type its SKU or name and pick it from the list."]
    assert hidden.pk  # not stocked: not a line's item


def test_line_form_alone_still_takes_a_primary_key(company, mode):
    item = ItemFactory(company=company)
    form = LineForm(data={"item": item.pk, "quantity": "2"}, items=ItemChoices(company), kind=DocumentKind.DELIVERY)
    assert form.is_valid() and form.cleaned_data["item"] == item


def test_lines_of_a_draft_keep_offering_an_item_deactivated_since(company, warehouse, mode):
    from inventory.services import document_line_add

    item = ItemFactory(company=company, sku="OLD", name="Old one")
    ItemFactory(company=company, sku="NEW", name="New one")
    document = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=warehouse)
    document_line_add(document=document, item=item, quantity=Decimal(1))
    item.is_active = False
    item.save()
    form = LineForm(data={"item": "OLD"}, items=ItemChoices(company, document), kind=DocumentKind.DELIVERY)
    form.is_valid()
    assert form.cleaned_data["item"] == item
    assert "item" in LineForm(data={"item": "OLD"}, items=ItemChoices(company), kind=DocumentKind.DELIVERY).errors


# The list filters ------------------------------------------------------------------------------


@pytest.fixture
def acme_documents(company, acme, others, warehouse):
    mine = document_create(company=company, kind=DocumentKind.DELIVERY, from_location=warehouse, partner=acme)
    document_create(company=company, kind=DocumentKind.DELIVERY, from_location=warehouse, partner=others[0])
    return mine


def listed(client, url, params) -> list:
    response = client.get(url, params)
    assert response.status_code == 200
    table = response.context["table"]
    return [row.record for row in table.paginated_rows] if table.page else []


@pytest.mark.parametrize("typed", ["C042 — Acme Ltd", "C042", "c042", "acme ltd", "pk"])
def test_documents_list_filters_by_a_typed_partner(client, company, acme, acme_documents, mode, typed):
    sign_in(client, company)
    assert listed(client, reverse("inventory:document-list"), {"partner": str(acme.pk) if typed == "pk" else typed}) == [acme_documents]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("xyz", "No partner “xyz”: type its code or name and pick it from the list."),
        ("x" * 400, "Type at most 300 characters: a partner’s code or name."),
    ],
)
def test_documents_list_names_a_partner_it_cannot_find(client, company, acme_documents, mode, typed, message):
    sign_in(client, company)
    response = client.get(reverse("inventory:document-list"), {"partner": typed})
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and 'data-testid="filter-errors"' in body
    assert 'data-testid="document-table"' not in body or not response.context["table"].page


def test_documents_list_refuses_another_company_partner(client, company, acme_documents, mode):
    theirs = PartnerFactory(company=CompanyFactory(), code="C042", name="Acme Ltd")
    sign_in(client, company)
    response = client.get(reverse("inventory:document-list"), {"partner": str(theirs.pk)})
    assert f"No partner “{theirs.pk}”" in response.content.decode()


def test_document_filter_offers_the_partners_of_the_active_company_only(rf, company, acme):
    request = rf.get("/")
    request.company = company
    PartnerFactory(company=CompanyFactory())
    field = DocumentFilter(request=request).form.fields["partner"]
    assert field.source == PARTNERS and list(field.queryset) == [acme]


@pytest.mark.parametrize(
    "name, url", [("inventory:stock-list", "item"), ("traceability:lot-list", "item"), ("manufacturing:work-order-list", "item")]
)
def test_item_filters_take_a_sku_and_name_what_they_cannot_find(client, company, mode, name, url):
    from tests.inventory.factories import LotClassFactory
    from tests.inventory.flows import receive

    item = ItemFactory(company=company, sku="PHONE", name="Field phone", lot_class=LotClassFactory(company=company))
    ItemFactory(company=company, sku="OTHER", name="Other", lot_class=LotClassFactory(company=company))
    receive(item=item, location=LocationFactory(company=company), generate=1)
    sign_in(client, company, group="Production")
    ok = client.get(reverse(name), {url: "phone"})
    assert ok.status_code == 200 and 'data-testid="filter-errors"' not in ok.content.decode()
    assert "PHONE — Field phone" in ok.content.decode()
    bad = client.get(reverse(name), {url: "nothing-like-it"}).content.decode()
    assert "“nothing-like-it”: type its SKU or name and pick it from the list." in bad


# Forms of the other apps -----------------------------------------------------------------------


def test_lot_create_form_takes_a_product_sku(company, mode):
    from tests.inventory.factories import LotClassFactory
    from traceability.forms import LotCreateForm

    item = ItemFactory(company=company, sku="PHONE", name="Field phone", lot_class=LotClassFactory(company=company))
    ItemFactory(company=company, sku="PLAIN", name="Untracked")
    form = LotCreateForm({"item": "phone", "quantity": "0"}, company=company)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["item"] == item
    assert LotCreateForm({"item": "PLAIN", "quantity": "0"}, company=company).errors["item"] == [
        "No product “PLAIN”: type its SKU or name and pick it from the list."
    ]


def test_lot_create_page_previews_the_number_of_a_typed_product(client, company, mode):
    from tests.inventory.factories import LotClassFactory

    item = ItemFactory(company=company, sku="PHONE", name="Field phone", lot_class=LotClassFactory(company=company))
    ItemFactory(company=company, sku="OTHER", lot_class=LotClassFactory(company=company))
    sign_in(client, company, group="Setup")
    for typed in ("PHONE — Field phone", "phone", str(item.pk)):
        form = client.get(reverse("traceability:lot-create"), {"item": typed}).context["form"]
        assert form.initial["item"] == item.pk and form.initial["number"] == "SN0001", typed


def test_work_order_form_takes_an_item_with_a_bill_only(company, mode):
    from manufacturing.forms import WorkOrderForm
    from tests.manufacturing.factories import BomFactory

    made = ItemFactory(company=company, sku="WIDGET", name="Widget")
    part = ItemFactory(company=company, sku="RESIN", name="Resin")
    BomFactory(company=company, item=made, components=[(part, 1)])
    location = LocationFactory(company=company)
    assert WorkOrderForm({"item": "widget", "quantity": "1", "location": location.pk}, company=company).is_valid()
    assert WorkOrderForm({"item": "RESIN", "quantity": "1", "location": location.pk}, company=company).errors["item"] == [
        "No item “RESIN”: type its SKU or name and pick it from the list."
    ]


# The suggestions -------------------------------------------------------------------------------


def suggest(client, source, **params):
    return client.get(reverse("inventory:choices", kwargs={"source": source}), params)


def options(response) -> list[str]:
    return re.findall(r'<option value="([^"]*)"></option>', response.content.decode())


def test_suggestions_match_code_or_name_in_any_case_exact_code_first(client, company, acme, others):
    PartnerFactory(company=company, code="ZZ", name="c042 fan club", is_customer=True)
    sign_in(client, company)
    assert options(suggest(client, "customers", q="C042")) == ["C042 — Acme Ltd", "ZZ — c042 fan club"]
    assert options(suggest(client, "customers", q="acme")) == ["C042 — Acme Ltd"]
    assert options(suggest(client, "customers", q="ltd acme")) == ["C042 — Acme Ltd"]  # every word, anywhere
    assert options(suggest(client, "customers", q="C042 — Acme Ltd")) == ["C042 — Acme Ltd"]  # a picked label


def test_suggestions_read_the_input_named_by_field(client, company, acme):
    sign_in(client, company)
    response = suggest(client, "customers", field="lines-3-item", **{"lines-3-item": "acm"})
    assert options(response) == ["C042 — Acme Ltd"]
    assert '<div id="lines-3-item-choices-hint" class="form-text" hx-swap-oob="true" aria-live="polite">' in response.content.decode()


def test_suggestions_are_the_active_company_rows_of_the_source_only(client, company, acme):
    PartnerFactory(company=CompanyFactory(), code="C0420", name="Acme elsewhere", is_customer=True)
    PartnerFactory(company=company, code="C0421", name="Acme supplies", is_customer=False, is_supplier=True)
    sign_in(client, company)
    assert options(suggest(client, "customers", q="acme")) == ["C042 — Acme Ltd"]
    assert options(suggest(client, "suppliers", q="acme")) == ["C0421 — Acme supplies"]
    assert options(suggest(client, "partners", q="acme")) == ["C042 — Acme Ltd", "C0421 — Acme supplies"]


def test_suggestions_of_stocked_items_leave_out_lookup_and_inactive_items(client, company):
    ItemFactory(company=company, sku="PHONE-1", name="Phone")
    ItemFactory(company=company, sku="PHONE-2", name="Phone, not stocked", is_stocked=False)
    ItemFactory(company=company, sku="PHONE-3", name="Phone, inactive", is_active=False)
    sign_in(client, company)
    assert options(suggest(client, STOCKED_ITEMS.name, q="phone")) == ["PHONE-1 — Phone"]
    assert len(options(suggest(client, "items", q="phone"))) == 3


def test_suggestions_are_at_most_twenty_and_say_there_are_more(client, company):
    Partner.objects.bulk_create([Partner(company=company, code=f"K{n:03d}", name=f"Kiosk {n}", is_customer=True) for n in range(25)])
    sign_in(client, company)
    response = suggest(client, "customers", q="kiosk")
    assert len(options(response)) == 20 and "The first 20 customers that match" in response.content.decode()
    assert "No customer matches “nobody”." in suggest(client, "customers", q="nobody").content.decode()
    assert options(suggest(client, "customers", q="")) == []


def test_suggestions_bound_what_is_typed(client, company, acme):
    sign_in(client, company)
    response = suggest(client, "customers", q="a" * 301)
    assert response.status_code == 400
    assert "Type at most 300 characters" in response.content.decode()
    assert suggest(client, "customers", q="a\x00cme").status_code == 200


def test_suggestions_escape_what_they_show(client, company):
    PartnerFactory(company=company, code="Q<1>", name='"Quote" & <b>', is_customer=True)
    sign_in(client, company)
    body = suggest(client, "customers", q="quote").content.decode()
    assert '<option value="Q&lt;1&gt; — &quot;Quote&quot; &amp; &lt;b&gt;"></option>' in body
    assert "No customer matches “&lt;x&gt;”" in suggest(client, "customers", q="<x>").content.decode()


def test_suggestions_need_a_role_that_opens_a_form_offering_them(client, company, acme):
    from django.contrib.auth.models import Group

    from inventory.services import membership_add
    from tests.inventory.factories import UserFactory

    url = reverse("inventory:choices", kwargs={"source": "customers"})
    assert client.get(url, {"q": "acme"}).status_code == 302  # signed out: the sign-in page
    nobody = UserFactory()
    membership_add(user=nobody, company=company, is_default=True)
    client.force_login(nobody)
    assert client.get(url, {"q": "acme"}).status_code == 403
    nobody.groups.add(Group.objects.get(name="Viewer"))
    assert options(client.get(url, {"q": "acme"})) == ["C042 — Acme Ltd"]
    assert client.get(reverse("inventory:choices", kwargs={"source": "nonsense"})).status_code == 404


def test_suggestions_of_production_items_need_a_production_role(client, company):
    sign_in(client, company, group="Viewer")
    assert suggest(client, "producible-items", q="x").status_code == 403
    sign_in(client, company, group="Production")
    assert suggest(client, "producible-items", q="x").status_code == 200


# Query counts ----------------------------------------------------------------------------------


def _partners(company, n):
    Partner.objects.bulk_create(
        [Partner(company=company, code=f"C{i:05d}", name=f"Customer {i}", is_customer=True, is_supplier=True) for i in range(n)]
    )


def _items(company, n):
    from inventory.models import Item

    Item.objects.bulk_create([Item(company=company, sku=f"SKU{i:05d}", name=f"Item {i}") for i in range(n)])


def _queries(client, method, url, data=None) -> list[str]:
    getattr(client, method)(url, data)  # warm what is cached per process (content types, permissions)
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data)
    assert response.status_code in (200, 302), (url, response.status_code)
    return [q["sql"] for q in captured.captured_queries]


def _rows_read(sqls: list[str], table: str) -> list[str]:
    """The statements reading ``table`` that could return an unbounded number of its rows."""
    reads = [sql for sql in sqls if re.search(rf'FROM "{table}"', sql)]
    bounded = re.compile(r"LIMIT \d+|\"code\" IN \(|\"sku\" IN \(|UPPER\(|\.\"id\" IN \(|\.\"id\" = ")
    return [sql for sql in reads if not bounded.search(sql)]


def test_documents_list_and_form_queries_do_not_grow_with_partners_and_items(client, settings):
    settings.CHOICES_SELECT_LIMIT = 20
    counts = {}
    for n in (30, 300):
        company = CompanyFactory()
        _partners(company, n)
        _items(company, n)
        location = LocationFactory(company=company)
        sign_in(client, company)
        pages = {
            "list": ("get", reverse("inventory:document-list"), None),
            "list filtered": ("get", reverse("inventory:document-list"), {"partner": "C00007 — Customer 7"}),
            "form": ("get", reverse("inventory:document-create", kwargs={"kind": "delivery"}), None),
            "form sent": (
                "post",
                reverse("inventory:document-create", kwargs={"kind": "delivery"}),
                {
                    "partner": "customer 7",
                    "from_location": location.pk,
                    "date": "2030-01-01",
                    "reference": "",
                    "notes": "",
                    **line_data("SKU00001", "sku00002", "Item 3", "SKU00004 — Item 4", "nobody"),
                },
            ),
        }
        for name, (method, url, data) in pages.items():
            sqls = _queries(client, method, url, data)
            counts.setdefault(name, []).append(len(sqls))
            assert _rows_read(sqls, "inventory_partner") == [] and _rows_read(sqls, "inventory_item") == [], name
            assert not any(f"LIMIT {limit}" in sql for sql in sqls for limit in (31, 301)), name
    assert {k: a for k, (a, b) in counts.items()} == {k: b for k, (a, b) in counts.items()}, counts


def test_document_form_queries_do_not_grow_with_its_lines(client, company, settings):
    settings.CHOICES_SELECT_LIMIT = 20
    _items(company, 100)
    location = LocationFactory(company=company)
    sign_in(client, company)
    url = reverse("inventory:document-create", kwargs={"kind": "delivery"})
    counts = []
    for lines in (2, 40):
        data = {
            "from_location": location.pk,
            "date": "2030-01-01",
            "reference": "",
            "notes": "",
            **line_data(*[f"sku{i:05d}" for i in range(lines - 1)], "nobody"),
        }  # one bad line: shown again
        counts.append(len(_queries(client, "post", url, data)))
    assert counts[0] == counts[1]


def test_a_typed_document_is_saved_with_what_the_lines_named(client, company, settings):
    settings.CHOICES_SELECT_LIMIT = 2
    _partners(company, 5)
    _items(company, 5)
    location = LocationFactory(company=company)
    sign_in(client, company)
    data = {
        "partner": "C00003 — Customer 3",
        "from_location": location.pk,
        "date": "2030-01-01",
        "reference": "",
        "notes": "",
        **line_data("sku00001", "Item 2"),
    }
    response = client.post(reverse("inventory:document-create", kwargs={"kind": "delivery"}), data)
    assert response.status_code == 302
    document = Document.objects.get(company=company)
    assert document.partner.code == "C00003"
    assert [line.item.sku for line in document.lines.order_by("position")] == ["SKU00001", "SKU00002"]
    edit = client.get(reverse("inventory:document-update", kwargs={"document_pk": document.pk})).content.decode()
    assert 'value="C00003 — Customer 3"' in edit and 'value="SKU00001 — Item 1"' in edit and 'value="SKU00002 — Item 2"' in edit
