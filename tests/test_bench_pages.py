"""Every list, report and form page of the product is timed by ``manage.py bench``.

The URL resolver is walked (as tests/inventory/test_views_company.py does): each URL of the apps'
namespaces must be opened by some bench module's ``pages`` hook, or be listed below as not a
page, with the reason. So a new page cannot land without its bench operation and target. The
declarations are read without a database: ``pages(None)``.
"""

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.urls import URLResolver, get_resolver

from inventory.bench_pages import GENEALOGY, GROUPED, HISTORY, LIST, RECALL, SEARCH, Page, declared_pages, pages_measure
from inventory.management.commands.bench import Measure
from inventory.services import membership_add
from tests.inventory.factories import UserFactory

NAMESPACES = {"inventory", "traceability", "manufacturing", "pos"}

# URLs that are not pages to time: each with the reason.
NOT_PAGES = {
    "inventory:company-switch": "POST only: makes another of the user's companies the active one",
    "traceability:lot-export": "CSV export of the lot list, streamed",
    "traceability:lookup-scan": "POST only: the lookup page's scan queue",
    "traceability:recall-hold": "POST only: puts the recalled lots on hold",
    "traceability:recall-export": "CSV export of a recall section, streamed",
    "pos:new": "POST only: starts another cart",
    "pos:scan": "POST only: the till's scan queue (its speed: manage.py bench --suite pos)",
    "pos:customer": "POST only: names the cart's customer",
    "pos:cancel": "POST only: cancels the cart",
    "pos:quantity": "POST only: the numpad's quantity",
    "pos:price": "POST only: a line's price and discount",
}


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif namespace.split(":")[0] in NAMESPACES:
            yield f"{namespace}{entry.name}"


def test_every_page_of_the_apps_has_a_bench_operation():
    urls = set(_walk(get_resolver().url_patterns))
    timed = {page.url for page in declared_pages()}
    missing = sorted(urls - timed - set(NOT_PAGES))
    assert not missing, (
        f"no bench operation opens {', '.join(missing)}: declare it in its app's bench.py pages() "
        "(inventory/bench_pages.py), or, if it is not a page (POST only, an export), list it in NOT_PAGES with why"
    )
    assert not sorted(timed - urls), "bench pages name URLs that do not exist"
    assert not sorted(set(NOT_PAGES) - urls), "NOT_PAGES lists URLs that do not exist"
    assert not sorted(timed & set(NOT_PAGES)), "a URL both timed and listed as not a page"


def test_url_walk_sees_the_apps_pages():
    urls = set(_walk(get_resolver().url_patterns))
    assert {"inventory:home", "traceability:recall", "manufacturing:work-order-list"} <= urls
    assert not any(url.startswith("admin:") for url in urls)


def test_pages_are_declared_once_with_a_target_of_their_kind():
    pages = declared_pages()
    assert len({page.name for page in pages}) == len(pages)
    assert {page.target for page in pages} <= {LIST, GROUPED, SEARCH, GENEALOGY, RECALL, HISTORY}
    for page in pages:
        assert page.status in (200, 302), page
        assert (page.status == 302) == (page.redirect is not None), page
        assert page.status == 302 or page.texts is not None, f"{page.name}: say what the page must show"


@pytest.fixture
def member(company):
    user = UserFactory(is_superuser=True)
    membership_add(user=user, company=company, is_default=True)
    return user


def test_a_page_is_timed_with_its_target_and_queries(member, company):
    measure = Measure(command=None)
    home = Page("home", "inventory:home", LIST, texts=lambda d: [d["name"]])
    pages_measure(measure, user=member, data={"name": company.name}, pages=[home], runs=2)
    [result] = measure.results
    assert result["name"] == "page_home" and result["target"] == home.target_on(connection.vendor)
    assert result["seconds"] > 0 and result["queries"] > 0


@pytest.mark.parametrize(
    "declared, message",
    [
        (Page("home", "inventory:home", LIST, texts=lambda d: ["no such text"]), "page_home: / does not show 'no such text'"),
        (Page("home", "inventory:home", LIST, status=302, redirect=lambda d: "/"), "page_home: / answered 200, not 302"),
        (Page("item", "inventory:item-detail", LIST, kwargs=lambda d: {"item_pk": d["item"]}), "page_item: cannot make its URL"),
    ],
)
def test_a_page_that_does_not_show_its_data_is_not_timed(member, declared, message):
    measure = Measure(command=None)
    with pytest.raises(CommandError, match=message):
        pages_measure(measure, user=member, data={}, pages=[declared], runs=1)
    assert measure.results == []
