"""document_draft_save: a draft's header and changed rows saved as one, or nothing of them."""

from decimal import Decimal

import pytest

from inventory.models import Document, DocumentKind, DocumentLine
from inventory.services import LineChange, document_create, document_draft_save, document_line_add, document_line_remove

from .factories import ItemFactory

pytestmark = pytest.mark.django_db


def header(warehouse, **extra):
    return {"partner": None, "date": None, "reference": "PO-7", "notes": "", "to_location": warehouse, **extra}


def test_document_draft_save_creates_the_draft_with_its_lines(company, warehouse):
    item = ItemFactory(company=company)
    changes = [
        LineChange(key="a", values={"item": item, "quantity": Decimal(3)}),
        LineChange(key="b", values={"item": item, "quantity": Decimal("1.5")}),
    ]
    saved = document_draft_save(company=company, kind=DocumentKind.RECEIPT, document=None, header=header(warehouse), changes=changes)
    assert not saved.refused and saved.problems == {}
    assert saved.document.reference == "PO-7"
    assert [line.quantity for line in saved.document.lines.order_by("position")] == [Decimal(3), Decimal("1.5")]


def test_document_draft_save_refuses_all_of_it_and_names_each_bad_row(company, warehouse):
    item = ItemFactory(company=company)
    changes = [
        LineChange(key="good", values={"item": item, "quantity": Decimal(3)}),
        LineChange(key="bad", values={"item": item, "quantity": Decimal(-2)}),
        LineChange(key="worse", values={"item": item, "quantity": "abc"}),
    ]
    saved = document_draft_save(company=company, kind=DocumentKind.RECEIPT, document=None, header=header(warehouse), changes=changes)
    assert saved.refused and set(saved.problems) == {"bad", "worse"}
    assert "'abc' is not a quantity" in saved.problems["worse"][0]
    assert not Document.objects.exists() and not DocumentLine.objects.exists()


def test_document_draft_save_changes_removes_and_adds_rows_of_a_draft(company, warehouse):
    item = ItemFactory(company=company)
    draft = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse)
    kept = document_line_add(document=draft, item=item, quantity=Decimal(1))
    dropped = document_line_add(document=draft, item=item, quantity=Decimal(2))
    changes = [
        LineChange(key=1, line_id=kept.pk, values={"item": item, "quantity": Decimal(5)}),
        LineChange(key=2, line_id=dropped.pk, remove=True),
        LineChange(key=3, values={"item": item, "quantity": Decimal(7)}),
    ]
    saved = document_draft_save(
        company=company, kind=draft.kind, document=draft, header=header(warehouse, reference="PO-8"), changes=changes
    )
    assert not saved.refused
    assert sorted(line.quantity for line in draft.lines.all()) == [Decimal(5), Decimal(7)]
    draft.refresh_from_db()
    assert draft.reference == "PO-8" and (draft.line_count, draft.total_quantity) == (2, Decimal(12))


def test_document_draft_save_says_a_row_whose_line_was_removed_elsewhere(company, warehouse):
    item = ItemFactory(company=company)
    draft = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse, reference="PO-1")
    gone = document_line_add(document=draft, item=item, quantity=Decimal(1))
    document_line_remove(line=gone)
    changes = [LineChange(key="row", line_id=gone.pk, values={"item": item, "quantity": Decimal(4)})]
    saved = document_draft_save(
        company=company, kind=draft.kind, document=draft, header=header(warehouse, reference="PO-2"), changes=changes
    )
    assert saved.problems == {"row": ["This line no longer exists; it was removed elsewhere."]}
    draft.refresh_from_db()
    assert draft.reference == "PO-1"  # the header change went back with the refusal


def test_document_draft_save_puts_a_header_refusal_under_none(company, warehouse):
    saved = document_draft_save(
        company=company, kind=DocumentKind.RECEIPT, document=None, header=header(warehouse, to_location=None), changes=[]
    )
    assert saved.refused and list(saved.problems) == [None] and saved.problems[None]
    assert not Document.objects.exists()
