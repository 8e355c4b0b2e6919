"""Review: redactions (propose, decide, edit), comments, portion review."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify

from redactor.errors import (
    NotFound,
)
from redactor.models import (
    MAX_ID,
    Cable,
    Redaction,
)
from redactor.redaction import service as redactions
from redactor.review import service as review
from redactor.web.api.common import (
    _approvals_required,
    _committing,
    _redaction_reply,
    actor,
    api_bp,
    body,
    codes_field,
    int_field,
    iso,
    load_redaction,
    only,
    str_field,
    user_json,
    visible_cable,
)
from redactor.web.extensions import db_session

# --------------------------------------------------------------------------- redactions


@api_bp.post("/cables/<reference_id>/redactions")
@_committing
def propose(reference_id: str):
    """Propose a redaction of ``[start, end)`` (code points of the current version)."""
    data = body()
    only(data, "start", "end", "codes", "rationale", "version")
    start = int_field(data, "start")
    end = int_field(data, "end")
    codes = codes_field(data, "codes")
    rationale = str_field(data, "rationale", required=False) or ""
    version = int_field(data, "version", required=False)
    cable = visible_cable(reference_id)
    made = redactions.propose(
        db_session(),
        actor(),
        cable,
        start=start,
        end=end,
        codes=codes,
        rationale=rationale,
        version_number=version,
    )
    return jsonify(_redaction_reply(made)), 201


def _decision(redaction_id: int, decide: Callable[..., Redaction], *fields: str):
    data = body()
    only(data, "version", *fields)
    version = int_field(data, "version")
    extra = {name: str_field(data, name) for name in fields}
    made = decide(
        db_session(), actor(), load_redaction(redaction_id), expected_row_version=version, **extra
    )
    return jsonify(_redaction_reply(made))


@api_bp.post("/redactions/<int:redaction_id>/approve")
@_committing
def approve(redaction_id: int):
    """Approve a proposal by someone else (``version``: its ``row_version``)."""
    approvals = _approvals_required()

    def decide(*args: Any, **kwargs: Any) -> Redaction:
        return redactions.approve(*args, approvals_required=approvals, **kwargs)

    return _decision(redaction_id, decide)


@api_bp.post("/redactions/<int:redaction_id>/reject")
@_committing
def reject(redaction_id: int):
    """Reject a proposal by someone else, with a ``reason``."""
    return _decision(redaction_id, redactions.reject, "reason")


@api_bp.post("/redactions/<int:redaction_id>/withdraw")
@_committing
def withdraw(redaction_id: int):
    """Withdraw one's own pending proposal; for an approved one, request its withdrawal
    (the answer is the request, a new pending proposal that another approver decides)."""
    approvals = _approvals_required()

    def decide(*args: Any, **kwargs: Any) -> Redaction:
        return redactions.withdraw(*args, approvals_required=approvals, **kwargs)

    return _decision(redaction_id, decide)


@api_bp.patch("/redactions/<int:redaction_id>")
@_committing
def edit(redaction_id: int):
    """Change span, codes or rationale of one's own proposal (a new revision for span or
    codes: earlier decisions become void)."""
    data = body()
    only(data, "version", "start", "end", "codes", "rationale")
    version = int_field(data, "version")
    made = redactions.edit(
        db_session(),
        actor(),
        load_redaction(redaction_id),
        expected_row_version=version,
        start=int_field(data, "start", required=False),
        end=int_field(data, "end", required=False),
        codes=codes_field(data, "codes", required=False),
        rationale=str_field(data, "rationale", required=False),
        approvals_required=_approvals_required(),
    )
    return jsonify(_redaction_reply(made))


def comment_json(note: Any) -> dict[str, Any]:
    return {
        "id": note.id,
        "redaction_id": note.redaction_id,
        "author": user_json(note.author),
        "body": note.body,
        "created_at": iso(note.created_at),
    }


@api_bp.get("/redactions/<int:redaction_id>/comments")
def list_comments(redaction_id: int):
    """The discussion of a proposal, oldest first."""
    session = db_session()
    redaction = load_redaction(redaction_id)
    cable = session.get(Cable, redaction.cable_id)
    assert cable is not None  # held by the foreign key
    review.require_visible(actor(), cable)
    return jsonify(items=[comment_json(note) for note in redaction.comments])


@api_bp.post("/redactions/<int:redaction_id>/comments")
@_committing
def add_comment(redaction_id: int):
    """Add a remark to the discussion of a proposal."""
    data = body()
    only(data, "body")
    text = str_field(data, "body")
    note = redactions.comment(db_session(), actor(), load_redaction(redaction_id), text)
    return jsonify(comment_json(note)), 201


# --------------------------------------------------------------------------- review


@api_bp.post("/cables/<reference_id>/portions/<int:index>/review")
@_committing
def review_portion(reference_id: str, index: int):
    """Mark a portion of the current version as reviewed (idempotent)."""
    cable = visible_cable(reference_id)
    if index > MAX_ID:
        raise NotFound("no such portion")
    mark = review.mark_portion_reviewed(db_session(), actor(), cable, index)
    return jsonify(
        reference_id=cable.reference_id,
        version=cable.current_version,
        portion_index=mark.portion_index,
        reviewer_id=mark.reviewer_id,
        reviewed_at=iso(mark.created_at),
        cable_status=str(cable.status),
    )

