"""The active company: every back-office page works in one company the user is a member of."""

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
