"""Twins across the collection: what the cable page shows of them, and "propose the same
redactions here".

A thin layer over :mod:`redactor.consistency.twin_views`, with its rule: only cables the
caller may see are named or counted (a portion whose twins are all above the caller's
clearance reads as one without twins), and a hidden cable or twin answers as an unknown one.
The twins' withheld texts are cable text, so reading them is recorded as a view of the cable
(``cable.view``), as the cable page records it.
"""

from __future__ import annotations

from pydantic import Field, StrictInt

from redactor.cables.access import record_view
from redactor.consistency import twin_views
from redactor.web.api.common import (
    Body,
    Reply,
    Text,
    actor,
    one_of,
    operation,
    visible_cable,
)
from redactor.web.extensions import db_session

Relation = one_of(["duplicate of", "also sent as"])


class TwinDecisionReply(Reply):
    codes: list[str]
    text: str = Field(description="The text withheld there (shortened when long).")


class TwinReply(Reply):
    reference_id: str
    portion_index: int
    portion_title: str
    kind: str = Field(description="How the portions match: `copy`, `quoted there`...")
    score: int = Field(description="Similarity, 0-100.")
    decisions: list[TwinDecisionReply] = Field(description="Approved redactions there.")


class PortionTwinsReply(Reply):
    portion_index: int
    cables: int = Field(description="How many visible cables hold a twin of this portion.")
    twins: list[TwinReply]


class DuplicateReply(Reply):
    reference_id: str
    relation: Relation


class TwinsReply(Reply):
    """Only portions with a visible twin are listed."""

    version: int
    portions: list[PortionTwinsReply]
    duplicates: list[DuplicateReply]


@operation("GET", "/cables/<reference_id>/twins",
           "The twins of the current version's portions, and the duplicate cables",
           reply=TwinsReply, errors=(404,), commits=True, operation_id="getTwins")
def get_twins(reference_id: str) -> TwinsReply:
    """Per portion: the visible cables holding the same text, with the decisions made
    there; and the visible cables that are the same cable again."""
    session, user = db_session(), actor()
    cable = visible_cable(reference_id)
    model = twin_views.page_model(session, user, cable)
    record_view(session, user, cable, cable.current_version)
    return TwinsReply(
        version=model["version"],
        portions=[
            PortionTwinsReply(
                portion_index=index, cables=found.cables,
                twins=[
                    TwinReply(
                        reference_id=t.reference_id, portion_index=t.portion_index,
                        portion_title=t.portion_title, kind=t.kind, score=t.score,
                        decisions=[TwinDecisionReply(codes=d.codes.split(), text=d.text)
                                   for d in t.decisions],
                    )
                    for t in found.twins
                ],
            )
            for index, found in sorted(model["portions"].items())
        ],
        duplicates=[DuplicateReply(reference_id=d.reference_id, relation=d.relation)
                    for d in model["duplicates"]],
    )


class ApplyTwinRequest(Body):
    twin: Text = Field(max_length=64, description="The twin cable's reference id.")
    twin_portion: StrictInt = Field(ge=0, description="The twin portion's index.")
    version: StrictInt = Field(description="The version of this cable the twins were read on.")
    rationale: Text | None = None


class ApplyTwinReply(Reply):
    proposed: list[int] = Field(description="Ids of the new pending redactions.")
    already: int = Field(description="Withheld texts of the twin already proposed here.")
    not_placed: int = Field(description="Withheld texts that could not be placed here.")


@operation("POST", "/cables/<reference_id>/portions/<int:index>/twins/apply",
           "Propose here the approved redactions of a twin portion (reviewers)",
           body=ApplyTwinRequest, reply=ApplyTwinReply, status=201,
           errors=(403, 404, 409, 413, 422), commits=True, operation_id="applyTwin")
def apply_twin(reference_id: str, index: int, body: ApplyTwinRequest) -> ApplyTwinReply:
    """Each withheld text of the twin, re-anchored to this portion, becomes a pending
    proposal of the caller's (a second person approves it)."""
    result = twin_views.apply_twin_decisions(
        db_session(), actor(), visible_cable(reference_id), index,
        twin_reference_id=body.twin, twin_portion_index=body.twin_portion,
        version_number=body.version, rationale=body.rationale or "",
    )
    return ApplyTwinReply(proposed=list(result.proposed), already=result.already,
                          not_placed=result.not_placed)
