"""What every service shares: who is acting, and the rule that only a draft changes."""

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F

from ..exceptions import InvalidDocument
from ..models import Document, DocumentStatus

# Who asks a service to act: a signed-in user, an anonymous one (recorded as nobody) or none (a
# command, the benchmark).
Actor = AbstractBaseUser | AnonymousUser | None


def acting_user(user: Actor) -> AbstractBaseUser | None:
    """The signed-in user a service records as the author (``created_by``): None for an
    anonymous or absent one (commands, the benchmark)."""
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def draft_required(document: Document) -> None:
    """Refuse to change a document that is no longer a draft."""
    if document.status != DocumentStatus.DRAFT:
        raise InvalidDocument(f"{document.number} is {document.get_status_display().lower()}; only drafts can change")


def document_totals_add(*, document_id: int, lines: int, quantity: Decimal) -> None:
    """Add to a document's line count and total quantity; its caller holds the document's lock."""
    Document.objects.filter(pk=document_id).update(line_count=F("line_count") + lines, total_quantity=F("total_quantity") + quantity)
