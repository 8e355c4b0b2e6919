"""Consistency inside one cable: the other occurrences of a text, linked proposals, "release
this occurrence" decisions, and the conflicts the release gate would refuse now.

A thin layer over :mod:`redactor.redaction.occurrences` and
:mod:`redactor.redaction.occurrence_decisions`, the services behind the browser's
consistency page; the same rules hold (clearance: a hidden cable, redaction or decision
answers exactly as an unknown one; the two-person rule on every decision). Reading
occurrences or conflicts shows the cable's text around them, so it is recorded as a view of
the cable (``cable.view``), as the cable page records it.
"""

from __future__ import annotations

from pydantic import Field, StrictInt

from redactor.cables.access import record_view
from redactor.models import MAX_ID, Cable, CableVersion, OccurrenceDecision
from redactor.redaction import occurrence_decisions as decisions
from redactor.redaction import occurrence_pages
from redactor.redaction import occurrences as service
from redactor.redaction.occurrences import Conflict, DecisionView, OccurrenceView, Place
from redactor.web.api.common import (
    Body,
    Query,
    RedactionReply,
    Reply,
    Text,
    UserRef,
    actor,
    approvals_required,
    iso,
    load_redaction,
    one_of,
    operation,
    query_int,
    redaction_of,
    visible_cable,
)
from redactor.web.extensions import db_session

_CHANGE_ERRORS = (403, 404, 409, 413, 422)

Offset = query_int(0, MAX_ID)
OccurrenceState = one_of(["open", "proposed", "withheld", "released", "pending"])
DecisionState = one_of(["pending", "approved", "rejected", "withdrawn"])


class PlaceReply(Reply):
    """Where a text stands: offsets, the part of the cable, and a little text around it."""

    start: int
    end: int
    part: str = Field(description="The part of the cable, e.g. `portion 3`, `SUBJECT`.")
    line: int
    column: int
    before: str
    text: str
    after: str


class DecisionSummary(Reply):
    id: int
    status: DecisionState
    reason: str
    row_version: int = Field(description="Send it back as `version` with a decision.")


class OccurrenceReply(Reply):
    place: PlaceReply
    kind: str = Field(description="How it matches: `exact`, `case`, `line break`, "
                      "`hyphenated`, `surname`, `title`, `a.k.a.`...")
    state: OccurrenceState = Field(description="`open`: printed, nothing decided.")
    decision: DecisionSummary | None


class OccurrenceList(Reply):
    occurrences: list[OccurrenceReply]


class ConflictReply(Reply):
    excision: int = Field(description="The number of the excision whose text is printed.")
    place: PlaceReply
    codes: list[str]
    redaction_ids: list[int]
    decision: DecisionSummary | None


class ConflictList(Reply):
    """The places the release gate would refuse now (empty: no silent inconsistency)."""

    conflicts: list[ConflictReply]


class OccurrenceDecisionReply(Reply):
    id: int
    reference_id: str
    version: int
    start: int
    end: int
    source: str = Field(description="Against what the place conflicts: `cable`.")
    status: DecisionState
    reason: str
    proposer: UserRef
    decider: UserRef | None
    decision_reason: str
    row_version: int
    created_at: str | None
    decided_at: str | None


def _place(place: Place) -> PlaceReply:
    return PlaceReply(start=place.start, end=place.end, part=place.part, line=place.line,
                      column=place.column, before=place.before, text=place.text,
                      after=place.after)


def _summary(view: DecisionView | None) -> DecisionSummary | None:
    if view is None:
        return None
    return DecisionSummary(id=view.id, status=view.status, reason=view.reason,
                           row_version=view.row_version)


def _occurrences(views: list[OccurrenceView]) -> OccurrenceList:
    return OccurrenceList(occurrences=[
        OccurrenceReply(place=_place(v.place), kind=v.kind, state=v.state,
                        decision=_summary(v.decision))
        for v in views
    ])


def _decision(row: OccurrenceDecision) -> OccurrenceDecisionReply:
    session = db_session()
    cable = session.get(Cable, row.cable_id)
    version = session.get(CableVersion, row.version_id)
    assert cable is not None and version is not None  # held by the foreign keys
    return OccurrenceDecisionReply(
        id=row.id, reference_id=cable.reference_id, version=version.number, start=row.start,
        end=row.end, source=row.source, status=row.status, reason=row.reason,
        proposer=UserRef(id=row.proposer.id, username=row.proposer.username),
        decider=(UserRef(id=row.decider.id, username=row.decider.username)
                 if row.decider is not None else None),
        decision_reason=row.decision_reason, row_version=row.row_version,
        created_at=iso(row.created_at), decided_at=iso(row.decided_at),
    )


class SelectionQuery(Query):
    # Declared optional so that a cable the caller may not see answers 404 before the
    # arguments are judged (as for every other door); both are required (422 without).
    start: Offset | None = Field(None, description="First code point of the selection "
                                 "(required).")
    end: Offset | None = Field(None, description="One past its last code point (required).")


@operation("GET", "/cables/<reference_id>/occurrences",
           "The other occurrences of a selection of the current version", query=SelectionQuery,
           reply=OccurrenceList, errors=(404, 422), commits=True,
           operation_id="listSelectionOccurrences")
def selection_occurrences(reference_id: str, args: SelectionQuery) -> OccurrenceList:
    """Every other place of the text ``[start, end)`` (and of a name's variants)."""
    session, user = db_session(), actor()
    cable = visible_cable(reference_id)
    views = service.occurrences_of_span(session, user, cable, args.start, args.end)
    record_view(session, user, cable, cable.current_version)
    return _occurrences(views)


@operation("GET", "/redactions/<int:redaction_id>/occurrences",
           "The other occurrences of a proposal's text", reply=OccurrenceList, errors=(404,),
           commits=True, operation_id="listRedactionOccurrences")
def redaction_occurrences(redaction_id: int) -> OccurrenceList:
    """Every other place of the proposal's text in its version, with its state."""
    session, user = db_session(), actor()
    redaction = load_redaction(redaction_id)
    views = service.occurrences_of(session, user, redaction)
    cable = session.get(Cable, redaction.cable_id)
    assert cable is not None
    record_view(session, user, cable, cable.current_version)
    return _occurrences(views)


class ProposeAllRequest(Body):
    places: list[Text] | None = Field(
        None, max_length=500, description="`START-END` of the occurrences to propose; "
        "omitted: every open one.")
    version: StrictInt | None = Field(None, description="The proposal's row_version.")


class LinkedProposals(Reply):
    redactions: list[RedactionReply]


@operation("POST", "/redactions/<int:redaction_id>/occurrences",
           "Propose the proposal's other occurrences, linked to it (reviewers)",
           body=ProposeAllRequest, body_required=False, reply=LinkedProposals, status=201,
           errors=_CHANGE_ERRORS, commits=True, operation_id="proposeOccurrences")
def propose_occurrences(redaction_id: int, body: ProposeAllRequest) -> LinkedProposals:
    """Each open occurrence becomes a pending proposal of its own (same codes and
    rationale), each needing a second person's approval."""
    made = service.propose_linked(
        db_session(), actor(), load_redaction(redaction_id), places=body.places,
        expected_row_version=body.version,
    )
    return LinkedProposals(redactions=[redaction_of(row) for row in made])


@operation("GET", "/cables/<reference_id>/conflicts",
           "What the release gate would refuse now: withheld text printed elsewhere",
           reply=ConflictList, errors=(404,), commits=True, operation_id="listConflicts")
def list_conflicts(reference_id: str) -> ConflictList:
    """Each place of the current version that prints the text of an approved redaction,
    unless an approved "release this occurrence" covers it."""
    session, user = db_session(), actor()
    cable = visible_cable(reference_id)
    found: list[Conflict] = occurrence_pages.conflicts_now(
        session, user, cable, approvals_required=approvals_required()
    )
    record_view(session, user, cable, cable.current_version)
    return ConflictList(conflicts=[
        ConflictReply(excision=c.excision, place=_place(c.place), codes=list(c.codes),
                      redaction_ids=list(c.redaction_ids), decision=_summary(c.decision))
        for c in found
    ])


class ReleaseOccurrenceRequest(Body):
    start: StrictInt
    end: StrictInt
    reason: Text = Field(description="Why this place may be printed although the same text "
                         "is withheld elsewhere.")
    version: StrictInt | None = Field(None, description="The cable version (optional).")


@operation("POST", "/cables/<reference_id>/occurrence-decisions",
           "Ask that one occurrence be released on purpose (reviewers)",
           body=ReleaseOccurrenceRequest, reply=OccurrenceDecisionReply, status=201,
           errors=_CHANGE_ERRORS, commits=True, operation_id="requestOccurrenceRelease")
def request_occurrence_release(
    reference_id: str, body: ReleaseOccurrenceRequest
) -> OccurrenceDecisionReply:
    """A pending request; another person (an approver) decides on it."""
    made = decisions.request_release(
        db_session(), actor(), visible_cable(reference_id), start=body.start, end=body.end,
        reason=body.reason, version_number=body.version,
    )
    return _decision(made)


class OccurrenceDecisionRequest(Body):
    version: StrictInt = Field(description="The request's row_version.")
    reason: Text | None = None


def _decide(
    decision_id: int, action: str, body: OccurrenceDecisionRequest
) -> OccurrenceDecisionReply:
    row = decisions.decide_release(
        db_session(), actor(), decision_id, action=action, expected_row_version=body.version,
        reason=body.reason or "",
    )
    return _decision(row)


@operation("POST", "/occurrence-decisions/<int:decision_id>/approve",
           "Approve a request to release an occurrence (an approver who did not ask)",
           body=OccurrenceDecisionRequest, reply=OccurrenceDecisionReply,
           errors=_CHANGE_ERRORS, commits=True, operation_id="approveOccurrenceRelease")
def approve_occurrence_release(
    decision_id: int, body: OccurrenceDecisionRequest
) -> OccurrenceDecisionReply:
    """The place may then be printed; the gate passes it."""
    return _decide(decision_id, "approve", body)


@operation("POST", "/occurrence-decisions/<int:decision_id>/reject",
           "Reject a request to release an occurrence", body=OccurrenceDecisionRequest,
           reply=OccurrenceDecisionReply, errors=_CHANGE_ERRORS, commits=True,
           operation_id="rejectOccurrenceRelease")
def reject_occurrence_release(
    decision_id: int, body: OccurrenceDecisionRequest
) -> OccurrenceDecisionReply:
    """The place must then be withheld (or the conflict holds the release)."""
    return _decide(decision_id, "reject", body)


@operation("POST", "/occurrence-decisions/<int:decision_id>/withdraw",
           "Withdraw one's own pending request", body=OccurrenceDecisionRequest,
           reply=OccurrenceDecisionReply, errors=_CHANGE_ERRORS, commits=True,
           operation_id="withdrawOccurrenceRelease")
def withdraw_occurrence_release(
    decision_id: int, body: OccurrenceDecisionRequest
) -> OccurrenceDecisionReply:
    """Only the person who asked withdraws."""
    return _decide(decision_id, "withdraw", body)
