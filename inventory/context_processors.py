from .middleware import member_companies
from .models import DocumentKind
from .models.documents import SYSTEM_KINDS

# The kinds a clerk creates by hand (number assignments come from "Assign numbers", production
# documents from work orders).
USER_KINDS = [(k, label) for k, label in DocumentKind.choices if k not in SYSTEM_KINDS]


def workspace(request):
    """The company switcher's choices, for the top bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"member_companies": member_companies(user).only("pk", "name", "code"), "document_kinds": USER_KINDS}
