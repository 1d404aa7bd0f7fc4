"""What every back-office view shares: the active company and the role checks."""

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from ..exceptions import InventoryError


class CompanyMixin(PermissionRequiredMixin):
    """Works inside ``request.company``; anything of another company is a 404, a missing role a 403."""

    raise_exception = True

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.company:
            raise PermissionDenied("You are not a member of any company.")
        return super().dispatch(request, *args, **kwargs)

    @property
    def company(self):
        return self.request.company

    def company_object(self, queryset, pk):
        """The row ``pk`` of ``queryset`` if it belongs to the active company, else 404."""
        return get_object_or_404(queryset, pk=pk, company=self.company)


def problems_text(error: InventoryError) -> list[str]:
    return [str(p) for p in error.problems]


def kind_or_404(kind: str, allowed) -> str:
    if kind not in allowed:
        raise Http404("No such document kind")
    return kind
