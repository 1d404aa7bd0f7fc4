"""The pages ``manage.py bench`` opens, as a signed-in user would, and how fast each must answer.

Each app's bench module declares its pages with a ``pages(data)`` hook: a list of ``Page``. A
page names its URL and its target; what it needs from the bench data (a row's id, a number to
search for, the texts its answer must show) is given as functions of ``data``, so the list can
be read without a database (``pages(None)``: tests/test_bench_pages.py checks that every list and
report page of the project is among them). Called with the data of the trace suite, a hook may
first add to ``data`` what its own pages need (``manufacturing/bench.py`` makes its work orders).

The trace suite builds the data (``traceability/bench.py``, which lists the keys it provides)
and measures every declared page with ``pages_measure``: one warm-up, which also checks the
status and the texts (a broken page cannot be timed as fast), then ``runs`` runs, the fastest
kept with its query count and its target.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse

# Targets on PostgreSQL, in seconds, of the best of 5 runs after a warm-up.
LIST = 0.100  # every list, report, form and tab
GROUPED = 0.150  # lists grouped with subtotals
SEARCH = 0.050  # the lookup, and searches by part of a number
GENEALOGY = 0.100
RECALL = 0.300
HISTORY = 0.030  # the history tab of a unit with 50 moves
# SQLite, the embedded default, is held to one target for every page (at 50,000 lots).
SQLITE = 0.200

Data = dict
Given = Callable[[Data], object] | None


@dataclass(frozen=True)
class Page:
    """One page to open: ``name`` (the operation is ``page_<name>``), its URL name and target
    (seconds on PostgreSQL). ``kwargs``, ``params`` (GET parameters) and ``texts`` (what the
    answer must contain) are functions of the bench data. A 302 page must send the user to
    ``redirect(data)``."""

    name: str
    url: str
    target: float
    kwargs: Given = None
    params: Given = None
    texts: Given = None
    status: int = 200
    redirect: Given = None
    headers: dict = field(default_factory=dict)

    def target_on(self, vendor: str) -> float:
        return SQLITE if vendor == "sqlite" else self.target


def declared_pages(data: Data | None = None) -> list[Page]:
    """The pages of every installed app's bench module, in INSTALLED_APPS order. With ``data``,
    each hook may first add to it what its pages need."""
    from inventory.management.commands.bench import bench_modules

    pages: list[Page] = []
    for module in bench_modules():
        if hasattr(module, "pages"):
            pages.extend(module.pages(data))
    names = [page.name for page in pages]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise CommandError(f"bench pages declared twice: {', '.join(repeated)}")
    return pages


def _given(value: Given, data: Data, default):
    return default if value is None else value(data)


def _request(page: Page, data: Data) -> tuple[str, object]:
    try:
        path = reverse(page.url, kwargs=_given(page.kwargs, data, {}))
        return path, _given(page.params, data, {})
    except (KeyError, NoReverseMatch) as error:
        raise CommandError(f"page_{page.name}: cannot make its URL from the bench data ({error!r})") from error


def _check(page: Page, response, data: Data) -> None:
    name = f"page_{page.name}"
    if response.status_code != page.status:
        raise CommandError(f"{name}: {response.request['PATH_INFO']} answered {response.status_code}, not {page.status}")
    if page.redirect is not None and response.url != page.redirect(data):
        raise CommandError(f"{name}: sent the user to {response.url}, not {page.redirect(data)}")
    content = response.content.decode()
    missing = [text for text in _given(page.texts, data, []) if str(text) not in content]
    if missing:
        raise CommandError(f"{name}: {response.request['PATH_INFO']} does not show {', '.join(map(repr, missing))}")


def pages_measure(measure, *, user, data: Data, pages: list[Page], runs: int = 5) -> None:
    """Open each page as ``user``: a warm-up that checks the answer, then the best of ``runs``."""
    client = Client()
    client.force_login(user)
    for page in pages:
        path, params = _request(page, data)
        target = page.target_on(connection.vendor)
        try:
            response = client.get(path, params, secure=True, headers=page.headers)
        except Exception as error:  # the test client raises what the view raised (a 500)
            raise CommandError(f"page_{page.name}: {path} failed with {error!r}") from error
        _check(page, response, data)
        for _ in range(runs):
            with measure(f"page_{page.name}", best=True, target=target):
                client.get(path, params, secure=True, headers=page.headers)
