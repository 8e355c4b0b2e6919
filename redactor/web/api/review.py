"""Review: redactions (propose, decide, edit), their comments, and portion review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field, StrictInt

from redactor.models import Cable, Redaction
from redactor.redaction import service as redactions
from redactor.review import service as review
from redactor.web.api.common import (
    Body,
    CableState,
    Codes,
    DateTime,
    RedactionReply,
    Reply,
    Text,
    UserRef,
    actor,
    approvals_required,
    iso,
    load_redaction,
    operation,
    redaction_of,
    visible_cable,
)
from redactor.web.extensions import db_session

#: What an operation on one proposal may answer besides 400 and 401.
_CHANGE_ERRORS = (403, 404, 409, 413, 422)


class ProposeRequest(Body):
    start: StrictInt = Field(description="First code point of the span.")
    end: StrictInt = Field(description="One past the last code point.")
    codes: Codes
    rationale: Text | None = None
    version: StrictInt | None = Field(None, description="The cable version the span was "
                                      "computed on (optional).")


@operation("POST", "/cables/<reference_id>/redactions", "Propose a redaction (reviewers)",
           body=ProposeRequest, reply=RedactionReply, status=201, errors=_CHANGE_ERRORS,
           commits=True, operation_id="proposeRedaction")
def propose(reference_id: str, body: ProposeRequest) -> RedactionReply:
    """Propose a redaction of ``[start, end)`` (code points of the current version)."""
    cable = visible_cable(reference_id)
    made = redactions.propose(
        db_session(), actor(), cable, start=body.start, end=body.end, codes=body.codes,
        rationale=body.rationale or "", version_number=body.version,
    )
    return redaction_of(made)


class DecisionRequest(Body):
    version: StrictInt = Field(description="The redaction's row_version.")


class RejectRequest(DecisionRequest):
    reason: Text


def _decide(redaction_id: int, decide: Callable[..., Redaction], **extra: Any) -> RedactionReply:
    made = decide(db_session(), actor(), load_redaction(redaction_id), **extra)
    return redaction_of(made)


@operation("POST", "/redactions/<int:redaction_id>/approve",
           "Approve someone else's proposal (approvers)", body=DecisionRequest,
           reply=RedactionReply, errors=_CHANGE_ERRORS, commits=True,
           operation_id="approveRedaction")
def approve(redaction_id: int, body: DecisionRequest) -> RedactionReply:
    """Approve a proposal by someone else (``version``: its ``row_version``)."""
    return _decide(redaction_id, redactions.approve, expected_row_version=body.version,
                   approvals_required=approvals_required())


@operation("POST", "/redactions/<int:redaction_id>/reject",
           "Reject someone else's proposal, saying why (approvers)", body=RejectRequest,
           reply=RedactionReply, errors=_CHANGE_ERRORS, commits=True,
           operation_id="rejectRedaction")
def reject(redaction_id: int, body: RejectRequest) -> RedactionReply:
    """Reject a proposal by someone else, with a ``reason``."""
    return _decide(redaction_id, redactions.reject, expected_row_version=body.version,
                   reason=body.reason)


@operation("POST", "/redactions/<int:redaction_id>/withdraw",
           "Withdraw one's own pending proposal", body=DecisionRequest, reply=RedactionReply,
           errors=_CHANGE_ERRORS, commits=True, operation_id="withdrawRedaction")
def withdraw(redaction_id: int, body: DecisionRequest) -> RedactionReply:
    """Withdraw one's own pending proposal; for an approved one, request its withdrawal
    (the answer is the request, a new pending proposal that another approver decides)."""
    return _decide(redaction_id, redactions.withdraw, expected_row_version=body.version,
                   approvals_required=approvals_required())


class EditRequest(Body):
    version: StrictInt
    start: StrictInt | None = None
    end: StrictInt | None = None
    codes: Codes | None = None
    rationale: Text | None = None


@operation("PATCH", "/redactions/<int:redaction_id>",
           "Change span, codes or rationale of one's own proposal", body=EditRequest,
           reply=RedactionReply, errors=_CHANGE_ERRORS, commits=True,
           operation_id="editRedaction")
def edit(redaction_id: int, body: EditRequest) -> RedactionReply:
    """Change span, codes or rationale of one's own proposal (a new revision for span or
    codes: earlier decisions become void)."""
    return _decide(
        redaction_id, redactions.edit, expected_row_version=body.version, start=body.start,
        end=body.end, codes=body.codes, rationale=body.rationale,
        approvals_required=approvals_required(),
    )


class CommentReply(Reply):
    """The comment."""

    id: int
    redaction_id: int
    author: UserRef
    body: str
    created_at: DateTime


class CommentList(Reply):
    """Comments, oldest first."""

    items: list[CommentReply]


def _comment(note: Any) -> CommentReply:
    return CommentReply(
        id=note.id, redaction_id=note.redaction_id,
        author=UserRef(id=note.author.id, username=note.author.username), body=note.body,
        created_at=iso(note.created_at),
    )


@operation("GET", "/redactions/<int:redaction_id>/comments", "The discussion of a proposal",
           reply=CommentList, errors=(404,))
def list_comments(redaction_id: int) -> CommentList:
    """The discussion of a proposal, oldest first."""
    redaction = load_redaction(redaction_id)
    cable = db_session().get(Cable, redaction.cable_id)
    assert cable is not None  # held by the foreign key
    review.require_visible(actor(), cable)
    return CommentList(items=[_comment(note) for note in redaction.comments])


class CommentRequest(Body):
    body: Text


@operation("POST", "/redactions/<int:redaction_id>/comments", "Comment on a proposal",
           body=CommentRequest, reply=CommentReply, status=201, errors=(403, 404, 413, 422),
           commits=True)
def add_comment(redaction_id: int, body: CommentRequest) -> CommentReply:
    """Add a remark to the discussion of a proposal."""
    note = redactions.comment(db_session(), actor(), load_redaction(redaction_id), body.body)
    return _comment(note)


class PortionReview(Reply):
    """The review mark."""

    reference_id: str
    version: int
    portion_index: int
    reviewer_id: int
    reviewed_at: DateTime
    cable_status: CableState


@operation("POST", "/cables/<reference_id>/portions/<int:index>/review",
           "Mark a portion of the current version as reviewed (reviewers)",
           reply=PortionReview, errors=(403, 404, 409), commits=True)
def review_portion(reference_id: str, index: int) -> PortionReview:
    """Mark a portion of the current version as reviewed (idempotent)."""
    cable = visible_cable(reference_id)
    mark = review.mark_portion_reviewed(db_session(), actor(), cable, index)
    return PortionReview(
        reference_id=cable.reference_id, version=cable.current_version,
        portion_index=mark.portion_index, reviewer_id=mark.reviewer_id,
        reviewed_at=iso(mark.created_at), cable_status=str(cable.status),
    )
