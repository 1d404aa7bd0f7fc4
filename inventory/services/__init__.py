"""Every inventory state change is one of these services."""

from .allocation import AllocationOutcome, allocations_clear, line_allocate
from .base import acting_user, draft_required
from .costing import costs_rebuild
from .document_posting import document_post
from .documents import (
    document_cancel,
    document_cancel_draft,
    document_create,
    document_line_add,
    document_reverse,
    document_totals_rebuild,
)
from .drafts import DraftSaved, LineChange, document_draft_save, document_line_remove, document_line_update, document_update
from .genealogy import genealogy_links_add, genealogy_links_remove
from .judging import Rejected
from .lot_records import lot_archive, lot_create, lot_delete, lot_edit, lot_restore
from .lots import UnassignedGenerated, lot_hold, lot_release, lot_update, lots_hold, unassigned_assign, unassigned_generate
from .moves import MoveSpec, number_required, partner_class
from .numbers import GeneratedNumbers, lot_class_check, number_preview, number_shape, numbers_generate, numbers_taken
from .pending import pending_numbers_assign, pending_numbers_release
from .posting import moves_post
from .proposal import line_allocate_proposed, line_numbers_generate
from .scanning import line_scan
from .setup import company_create, location_create, membership_add, virtual_location, virtual_locations_ensure
from .submissions import SubmissionRepeated, submission_claim, submission_done, submission_first, submission_key_new, submission_key_of
from .summaries import expiry_summaries_rebuild, stock_summaries_rebuild

__all__ = [
    "DraftSaved",
    "LineChange",
    "document_draft_save",
    "acting_user",
    "draft_required",
    "AllocationOutcome",
    "GeneratedNumbers",
    "MoveSpec",
    "Rejected",
    "SubmissionRepeated",
    "UnassignedGenerated",
    "allocations_clear",
    "company_create",
    "costs_rebuild",
    "document_cancel",
    "document_cancel_draft",
    "document_create",
    "document_line_add",
    "document_line_remove",
    "document_line_update",
    "document_update",
    "document_post",
    "document_reverse",
    "document_totals_rebuild",
    "genealogy_links_add",
    "genealogy_links_remove",
    "line_allocate",
    "line_allocate_proposed",
    "line_numbers_generate",
    "line_scan",
    "location_create",
    "lot_archive",
    "lot_class_check",
    "lot_create",
    "lot_delete",
    "lot_edit",
    "lot_hold",
    "lot_release",
    "lot_restore",
    "lot_update",
    "lots_hold",
    "membership_add",
    "moves_post",
    "pending_numbers_assign",
    "pending_numbers_release",
    "number_required",
    "number_preview",
    "number_shape",
    "numbers_generate",
    "numbers_taken",
    "partner_class",
    "stock_summaries_rebuild",
    "expiry_summaries_rebuild",
    "submission_claim",
    "submission_done",
    "submission_first",
    "submission_key_new",
    "submission_key_of",
    "unassigned_assign",
    "unassigned_generate",
    "virtual_location",
    "virtual_locations_ensure",
]
