"""What every service shares: who is acting, and the rule that only a draft changes."""

from django.contrib.auth.models import AbstractBaseUser

from ..exceptions import InvalidDocument
from ..models import Document, DocumentStatus


def acting_user(user) -> AbstractBaseUser | None:
    """The signed-in user a service records as the author (``created_by``): None for an
    anonymous or absent one (commands, the benchmark)."""
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def draft_required(document: Document) -> None:
    """Refuse to change a document that is no longer a draft."""
    if document.status != DocumentStatus.DRAFT:
        raise InvalidDocument(f"{document.number} is {document.get_status_display().lower()}; only drafts can change")
