"""The active company: every back-office page works in one company the user is a member of."""

from django.db import OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.functional import SimpleLazyObject

from .models import Company

SESSION_KEY = "active_company_id"


def member_companies(user):
    if not user.is_authenticated:
        return Company.objects.none()
    return Company.objects.filter(memberships__user=user)


def active_company(request) -> Company | None:
    """The company chosen in the session if the user is still a member, else their default."""
    companies = member_companies(request.user)
    chosen = request.session.get(SESSION_KEY)
    if chosen is not None:
        company = companies.filter(pk=chosen).first()
        if company is not None:
            return company
    return companies.order_by("-memberships__is_default", "name").first()


class ActiveCompanyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.company = SimpleLazyObject(lambda: active_company(request))
        return self.get_response(request)


class PrivateNoStoreMiddleware:
    """A signed-in user's pages and exports (stock, costs, customers) are never stored by the
    browser or a proxy: ``Cache-Control: no-store`` on every authenticated response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class DatabaseBusyMiddleware:
    """SQLite's write lock still held after the busy timeout: a 503 saying nothing was saved
    (the request's transaction was rolled back whole) and to try again, instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError) or "database is locked" not in str(exception):
            return None
        # Rendered without the request's context: its processors would read the busy database.
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "5"
        return response
