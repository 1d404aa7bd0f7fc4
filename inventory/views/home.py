from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Sum
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from ..middleware import SESSION_KEY, member_companies
from ..models import Document, DocumentStatus
from ..selectors import expiring_lots, unassigned_balances
from ..web.views import CompanyMixin, row_ids

EXPIRING_SHOWN = 1_000


class HomeView(CompanyMixin, TemplateView):
    """What needs doing: drafts waiting, unassigned quantities, lots expiring soon."""

    template_name = "inventory/home.html"
    permission_required = ()

    def get_context_data(self, **kwargs):
        company = self.company
        unassigned = unassigned_balances(company=company).aggregate(total=Sum("quantity"), rows=Sum(1))
        return super().get_context_data(
            drafts=Document.objects.filter(company=company, status=DocumentStatus.DRAFT).count(),
            unassigned_quantity=unassigned["total"] or 0,
            unassigned_rows=unassigned["rows"] or 0,
            **self.expiring(company),
            **kwargs,
        )

    @staticmethod
    def expiring(company) -> dict:
        """How many lots expire within their alert period, counted to EXPIRING_SHOWN ("1,000+"):
        a count past that would read every one of them on every visit to the home page."""
        found = expiring_lots(company=company).order_by().values("pk")[: EXPIRING_SHOWN + 1].count()
        return {"expiring": min(found, EXPIRING_SHOWN), "expiring_label": f"{EXPIRING_SHOWN:,}+" if found > EXPIRING_SHOWN else str(found)}


class CompanySwitchView(View):
    """Make another of the user's companies the active one (never one they are not a member of)."""

    def post(self, request):
        chosen = row_ids([request.POST.get("company", "")])
        company = member_companies(request.user).filter(pk=chosen[0]).first() if chosen else None
        if company is None:
            messages.error(request, "You are not a member of that company.")
        else:
            request.session[SESSION_KEY] = company.pk
            messages.success(request, f"You are now working in {company.name}.")
        target = request.POST.get("next") or ""
        # Pages of the old company's rows would 404 in the new one; go home unless the page is a list.
        # Only a path of this site: redirect() would take a bare word for a URL name (a 500).
        safe = target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        if not safe or any(c.isdigit() for c in target.split("?")[0]):
            return redirect("inventory:home")
        return redirect(target)


def sign_in_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in: the sign-in page again, saying why and for
    how long, instead of a bare 429 text."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username[:150]})
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/login.html",
        {"form": form, "locked_out_minutes": minutes, "next": request.POST.get("next", "")},
        status=429,
    )
