"""Submission keys: every form that creates or posts carries a fresh one (a hidden field), and the
write it asks for claims it first, in the same transaction. A double-click, a resent request or
a retry finds the key taken and is answered with what the first submission made; it never
writes again.

On PostgreSQL a repeat sent while the first is still running waits on the key's unique index
until the first commits, then fails to claim it; had the first rolled back, the repeat claims
the key and does the write itself. On SQLite write transactions are serialised.
"""

import uuid
from collections.abc import Mapping

from django.db import IntegrityError, connection, transaction

from ..models import Company, Document, SubmissionKey
from .base import Actor, acting_user

FIELD = "submission_key"


class SubmissionRepeated(Exception):
    """The key is claimed already: this submission repeats one that did (or is doing) the write."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def submission_key_new() -> str:
    return str(uuid.uuid4())


def submission_key_of(data: Mapping[str, str]) -> str:
    """The key a form sent, or a fresh one when it sent none or a malformed one (a page from
    before keys, curl): such a request still works once, and nothing can repeat it."""
    value = (data.get(FIELD) or "").strip()
    if len(value) == 36:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    return submission_key_new()


def submission_first(*, company: Company, user: Actor, key: str) -> SubmissionKey | None:
    """The claim of ``key`` by this user in this company, if one was committed."""
    return SubmissionKey.objects.filter(company=company, key=key, user=acting_user(user)).select_related("document").first()


def submission_claim(*, company: Company, user: Actor, key: str) -> SubmissionKey:
    """Claim ``key`` inside the caller's transaction, before its write, so that both commit or
    neither does. Raises ``SubmissionRepeated`` when it is claimed already: the caller lets it
    roll its transaction back and answers with ``submission_first``."""
    if not connection.in_atomic_block:
        raise RuntimeError("a submission key is claimed in the transaction of the write it guards")
    try:
        with transaction.atomic():
            return SubmissionKey.objects.create(company=company, key=key, user=acting_user(user))
    except IntegrityError:
        raise SubmissionRepeated(key) from None


def submission_done(*, submission: SubmissionKey, result: str, document: Document | None = None) -> SubmissionKey:
    """Record where the first submission sent the user: the answer to every repeat."""
    submission.result = result[:300]
    submission.document = document
    submission.save(update_fields=["result", "document"])
    return submission
