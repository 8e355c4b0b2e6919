"""The review workflow services on a real database (SQLite, or PostgreSQL when configured):
proposing, deciding, editing, withdrawing, commenting, portion review marks, cable status."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from redactor.errors import IllegalTransition, InvalidInput, NotFound, NotPermitted, StaleVersion
from redactor.models import (
    AuditEntry,
    CableStatus,
    Comment,
    Decision,
    DecisionKind,
    PortionReview,
    Redaction,
    RedactionStatus,
)
from redactor.redaction import service as redactions
from redactor.redaction.spans import Span
from redactor.review import service as review
from redactor.review.policy import Level, Role

SENTENCE = "Officials met on Tuesday"
TWO_PORTIONS = (
    "1. (C) The ambassador met XXXXXXXXXXXX and Jose\u0301 Perez on Tuesday.\n\n"
    "2. (C) Comment: Officials met on Tuesday to discuss the matter. End comment."
)


@pytest.fixture
def people(make_user):
    """A reviewer, a second reviewer, two approvers, someone who is both, an auditor."""
    return {
        "rita": make_user("rita", roles=(Role.REVIEWER,))[0],
        "ron": make_user("ron", roles=(Role.REVIEWER,))[0],
        "anna": make_user("anna", roles=(Role.APPROVER,))[0],
        "abe": make_user("abe", roles=(Role.APPROVER,))[0],
        "both": make_user("both", roles=(Role.REVIEWER, Role.APPROVER))[0],
        "audrey": make_user("audrey", roles=(Role.AUDITOR,))[0],
    }


@pytest.fixture
def cable(make_cable):
    return make_cable("09TEST1", "CONFIDENTIAL", body=TWO_PORTIONS)


def text_of(session, cable) -> str:
    return review.version_of(session, cable).text


def span_of(session, cable, needle: str) -> tuple[int, int]:
    start = text_of(session, cable).index(needle)
    return start, start + len(needle)


def actions(session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def counts(session) -> dict[str, int]:
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model))
        for model in (Redaction, Decision, Comment, PortionReview, AuditEntry)
    }


def propose(session, actor, cable, needle=SENTENCE, codes=("B6",), **kwargs) -> Redaction:
    start, end = span_of(session, cable, needle)
    return redactions.propose(
        session, actor, cable, start=start, end=end, codes=codes, rationale="a name", **kwargs
    )


# --- proposing --------------------------------------------------------------------------------


def test_propose_stores_a_pending_redaction_on_the_current_version_and_audits_it(
    session, people, cable
):
    before = actions(session)
    red = propose(session, people["rita"], cable, codes=["b1", "1.4 (d)"])
    session.commit()
    start, end = span_of(session, cable, SENTENCE)
    assert (red.start, red.end, red.portion_index) == (start, end, 1)
    assert red.codes == ["B1", "1.4(D)"]
    assert red.status == RedactionStatus.PENDING and red.revision == 1
    assert red.proposer_id == people["rita"].id
    assert red.version_id == review.version_of(session, cable).id
    assert actions(session)[len(before) :] == ["redaction.propose", "cable.status"]


def test_audit_of_a_proposal_carries_offsets_and_codes_but_not_the_rationale(
    session, people, cable
):
    start, end = span_of(session, cable, SENTENCE)
    redactions.propose(
        session, people["rita"], cable, start=start, end=end, codes="B6",
        rationale="names the source Perez",
    )
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "redaction.propose")
    ).one()
    assert f'"start":{start}' in entry.payload and '"B6"' in entry.payload
    assert "Perez" not in entry.payload


def test_propose_snaps_a_span_that_splits_a_combining_sequence(session, people, cable):
    start, _ = span_of(session, cable, "Jose\u0301")
    red = redactions.propose(
        session, people["rita"], cable, start=start, end=start + 4, codes=["B6"], rationale=""
    )
    assert text_of(session, cable)[red.start : red.end] == "Jose\u0301"


def test_propose_accepts_a_span_on_a_withheld_run(session, people, cable):
    red = propose(session, people["rita"], cable, needle="XXXXXXXXXXXX")
    assert red.portion_index == 0


def test_propose_in_a_header_field_has_no_portion(session, people, make_cable):
    cable = make_cable("09TEST2", subject="VISIT OF MINISTER PEREZ")
    red = propose(session, people["rita"], cable, needle="PEREZ")
    assert red.portion_index is None


def test_only_reviewers_propose(session, people, cable):
    for name in ("anna", "audrey"):
        with pytest.raises(NotPermitted):
            propose(session, people[name], cable)
    assert session.scalar(select(func.count()).select_from(Redaction)) == 0


def test_a_cable_above_the_actors_clearance_does_not_exist_for_them(
    session, make_user, make_cable
):
    low, _ = make_user("low", roles=(Role.REVIEWER, Role.APPROVER), clearance=Level.CONFIDENTIAL)
    secret = make_cable("09SECRET1", "SECRET")
    with pytest.raises(NotFound):
        propose(session, low, secret, needle="Officials")
    with pytest.raises(NotFound):
        redactions.withhold_portion(session, low, secret, 0, codes=["B6"])
    with pytest.raises(NotFound):
        review.mark_portion_reviewed(session, low, secret, 0)
    with pytest.raises(NotFound):
        review.redactions_for_cable(session, low, secret)


def test_an_inactive_user_sees_no_cable(session, make_user, cable):
    gone, _ = make_user("gone", roles=(Role.REVIEWER,), active=False)
    with pytest.raises(NotFound):
        propose(session, gone, cable)


@pytest.mark.parametrize(
    ("start", "end"),
    [(30, 20), (20, 20), (-1, 5), (1.0, 5), ("1", 5), (True, 5), (0, 2**63), (None, 5)],
)
def test_propose_refuses_bad_spans(session, people, cable, start, end):
    with pytest.raises(InvalidInput):
        redactions.propose(session, people["rita"], cable, start=start, end=end, codes=["B6"])
    assert session.scalar(select(func.count()).select_from(Redaction)) == 0


def test_propose_refuses_a_span_across_two_portions(session, people, cable):
    start, _ = span_of(session, cable, "Perez")
    _, end = span_of(session, cable, "Comment:")
    with pytest.raises(InvalidInput, match="crosses"):
        redactions.propose(session, people["rita"], cable, start=start, end=end, codes=["B6"])


def test_propose_refuses_a_span_between_portions(session, people, cable):
    _, end_of_first = span_of(session, cable, "Tuesday.")
    assert text_of(session, cable)[end_of_first : end_of_first + 2] == "\n\n"
    with pytest.raises(InvalidInput, match="no portion"):
        redactions.propose(
            session, people["rita"], cable, start=end_of_first, end=end_of_first + 1,
            codes=["B6"],
        )


def test_propose_refuses_a_span_taken_from_another_cables_portion(
    session, people, cable, make_cable
):
    longer = make_cable("09LONG1", body="1. (C) " + "Long paragraph text. " * 40)
    start, end = span_of(session, longer, "Long paragraph text. " * 30)
    assert end > len(text_of(session, cable))
    with pytest.raises(InvalidInput):
        redactions.propose(session, people["rita"], cable, start=start, end=end, codes=["B6"])


def test_propose_refuses_a_span_computed_on_an_older_version(session, people, make_cable):
    make_cable("09TEST3", body="1. (C) First text of the cable.")
    cable = make_cable("09TEST3", body="1. (C) Second, longer text of the cable.")
    assert cable.current_version == 2
    with pytest.raises(StaleVersion):
        propose(session, people["rita"], cable, needle="Second", version_number=1)
    assert propose(session, people["rita"], cable, needle="Second", version_number=2)


@pytest.mark.parametrize("codes", [["B1"], ["B3"], ["B99"], [], ["B7"]])
def test_propose_refuses_invalid_codes(session, people, cable, codes):
    with pytest.raises(InvalidInput):
        propose(session, people["rita"], cable, codes=codes)


def test_withhold_portion_covers_the_portion_but_keeps_number_and_marking(
    session, people, cable
):
    red = redactions.withhold_portion(
        session, people["rita"], cable, 1, codes=["B1 1.4(D)"], rationale="classified"
    )
    text = text_of(session, cable)
    assert text[red.start : red.end].startswith("Comment: Officials")
    assert text[red.start : red.end].endswith("End comment.")
    assert text[: red.start].endswith("2. (C) ")
    assert red.portion_index == 1 and red.codes == ["B1", "1.4(D)"]
    with pytest.raises(NotFound):
        redactions.withhold_portion(session, people["rita"], cable, 9, codes=["B6"])


# --- two-person rule --------------------------------------------------------------------------


def test_a_proposer_cannot_approve_their_own_redaction(session, people, cable):
    red = propose(session, people["both"], cable)
    session.commit()
    before = counts(session)
    with pytest.raises(NotPermitted, match="two-person"):
        redactions.approve(session, people["both"], red, expected_row_version=red.row_version)
    with pytest.raises(NotPermitted):
        redactions.reject(
            session, people["both"], red, expected_row_version=red.row_version, reason="no"
        )
    assert counts(session) == before
    assert red.status == RedactionStatus.PENDING


def test_a_reviewer_without_the_approver_role_cannot_decide(session, people, cable):
    red = propose(session, people["rita"], cable)
    with pytest.raises(NotPermitted, match="only approvers"):
        redactions.approve(session, people["ron"], red, expected_row_version=red.row_version)


def test_the_database_refuses_a_decision_by_the_proposer(session, people, cable):
    red = propose(session, people["both"], cable)
    session.commit()
    session.add(
        Decision(
            redaction_id=red.id, proposer_id=red.proposer_id, approver_id=red.proposer_id,
            kind=DecisionKind.APPROVE, revision=red.revision, start=red.start, end=red.end,
            codes=red.codes,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Decision)) == 0


def test_the_database_refuses_a_decision_claiming_a_false_proposer(session, people, cable):
    red = propose(session, people["both"], cable)
    session.commit()
    # The approver claims "rita" proposed it, which would pass the CHECK on its own.
    session.add(
        Decision(
            redaction_id=red.id, proposer_id=people["rita"].id, approver_id=people["both"].id,
            kind=DecisionKind.APPROVE, revision=red.revision, start=red.start, end=red.end,
            codes=red.codes,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Decision)) == 0


# --- deciding ---------------------------------------------------------------------------------


def test_approve_records_the_decision_on_the_exact_span_codes_and_revision(
    session, people, cable
):
    red = propose(session, people["rita"], cable, codes=["B1", "1.4(B)"])
    session.commit()
    version_before = red.row_version
    redactions.approve(session, people["anna"], red, expected_row_version=red.row_version)
    session.commit()
    assert red.status == RedactionStatus.APPROVED
    assert red.row_version > version_before
    (decision,) = red.decisions
    assert decision.kind == DecisionKind.APPROVE and not decision.void
    assert (decision.start, decision.end, decision.codes, decision.revision) == (
        red.start, red.end, ["B1", "1.4(B)"], 1
    )
    assert decision.proposer_id == people["rita"].id
    assert decision.approver_id == people["anna"].id
    assert review.approved_spans(session, cable) == [(Span(red.start, red.end), ("B1", "1.4(B)"))]


def test_two_required_approvals_need_two_different_approvers(session, people, cable):
    red = propose(session, people["rita"], cable)
    session.commit()
    redactions.approve(
        session, people["anna"], red, expected_row_version=red.row_version, approvals_required=2
    )
    assert red.status == RedactionStatus.PENDING
    with pytest.raises(IllegalTransition, match="already approved"):
        redactions.approve(
            session, people["anna"], red, expected_row_version=red.row_version,
            approvals_required=2,
        )
    assert review.approved_spans(session, cable, approvals_required=2) == []
    redactions.approve(
        session, people["abe"], red, expected_row_version=red.row_version, approvals_required=2
    )
    assert red.status == RedactionStatus.APPROVED
    assert len(review.approved_spans(session, cable, approvals_required=2)) == 1


def test_reject_needs_a_reason_and_rejects(session, people, cable):
    red = propose(session, people["rita"], cable)
    session.commit()
    before = counts(session)
    with pytest.raises(InvalidInput, match="reason"):
        redactions.reject(session, people["anna"], red, expected_row_version=red.row_version,
                          reason="   ")
    assert counts(session) == before
    redactions.reject(
        session, people["anna"], red, expected_row_version=red.row_version,
        reason="already public",
    )
    assert red.status == RedactionStatus.REJECTED
    assert red.decisions[-1].kind == DecisionKind.REJECT
    assert red.decisions[-1].reason == "already public"
    assert review.rejected_for_proposer(session, people["rita"]) == [red]
    assert review.rejected_for_proposer(session, people["ron"]) == []


def test_a_decided_proposal_cannot_be_decided_again(session, people, cable):
    red = propose(session, people["rita"], cable)
    redactions.approve(session, people["anna"], red, expected_row_version=red.row_version)
    with pytest.raises(IllegalTransition):
        redactions.reject(
            session, people["abe"], red, expected_row_version=red.row_version, reason="no"
        )
    with pytest.raises(IllegalTransition):
        redactions.approve(session, people["abe"], red, expected_row_version=red.row_version)


# --- editing voids decisions ------------------------------------------------------------------


def test_editing_the_codes_of_an_approved_redaction_proposes_a_change(session, people, cable):
    # Formerly the edit voided the approval in place (one person un-hiding approved text);
    # now it is a change of its own, and the approved redaction stays until it is approved.
    red = propose(session, people["rita"], cable)
    redactions.approve(session, people["anna"], red, expected_row_version=red.row_version)
    session.commit()
    change = redactions.edit(
        session, people["rita"], red, expected_row_version=red.row_version,
        codes=["B1", "1.4(D)"],
    )
    session.commit()
    assert change.id != red.id and change.replaces_id == red.id
    assert change.status == RedactionStatus.PENDING
    assert red.status == RedactionStatus.APPROVED and red.revision == 1
    assert review.approved_spans(session, cable) == [(Span(red.start, red.end), ("B6",))]
    redactions.approve(session, people["anna"], change, expected_row_version=change.row_version)
    assert change.status == RedactionStatus.APPROVED
    assert red.status == RedactionStatus.WITHDRAWN
    assert review.approved_spans(session, cable) == [
        (Span(change.start, change.end), ("B1", "1.4(D)"))
    ]


def test_editing_the_span_of_a_pending_proposal_voids_approvals_and_moves_it(
    session, people, cable
):
    red = propose(session, people["rita"], cable)
    redactions.approve(
        session, people["anna"], red, expected_row_version=red.row_version, approvals_required=2
    )
    start, end = span_of(session, cable, "Perez")
    redactions.edit(
        session, people["rita"], red, expected_row_version=red.row_version, start=start, end=end,
        approvals_required=2,
    )
    assert (red.start, red.end, red.portion_index) == (start, end, 0)
    assert red.status == RedactionStatus.PENDING
    assert all(d.void for d in red.decisions)
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "redaction.edit")
    ).one()
    assert '"before"' in entry.payload and '"after"' in entry.payload
    assert f'"start":{start}' in entry.payload


def test_editing_the_rationale_alone_keeps_an_approval(session, people, cable):
    red = propose(session, people["rita"], cable)
    redactions.approve(session, people["anna"], red, expected_row_version=red.row_version)
    redactions.edit(
        session, people["rita"], red, expected_row_version=red.row_version,
        rationale="a private person's name",
    )
    assert red.status == RedactionStatus.APPROVED and red.revision == 1
    assert not red.decisions[0].void
    assert len(review.approved_spans(session, cable)) == 1


def test_a_rejected_proposal_edited_by_its_proposer_is_pending_again(session, people, cable):
    red = propose(session, people["rita"], cable)
    redactions.reject(
        session, people["anna"], red, expected_row_version=red.row_version, reason="too wide"
    )
    start, end = span_of(session, cable, "Officials")
    redactions.edit(
        session, people["rita"], red, expected_row_version=red.row_version, start=start, end=end
    )
    assert red.status == RedactionStatus.PENDING and red.revision == 2


def test_only_the_proposer_edits(session, people, cable):
    red = propose(session, people["rita"], cable)
    for name in ("ron", "anna"):
        with pytest.raises(NotPermitted):
            redactions.edit(
                session, people[name], red, expected_row_version=red.row_version, codes=["B5"]
            )


def test_an_edit_to_a_span_across_portions_is_refused_and_changes_nothing(
    session, people, cable
):
    red = propose(session, people["rita"], cable)
    session.commit()
    before = counts(session), (red.start, red.end, red.row_version)
    start, _ = span_of(session, cable, "Perez")
    with pytest.raises(InvalidInput):
        redactions.edit(
            session, people["rita"], red, expected_row_version=red.row_version, start=start
        )
    session.rollback()
    assert (counts(session), (red.start, red.end, red.row_version)) == before


# --- stale versions change nothing ------------------------------------------------------------


@pytest.mark.parametrize("action", ["approve", "reject", "edit", "withdraw"])
def test_a_stale_version_is_refused_and_changes_nothing(session, people, cable, action):
    red = propose(session, people["rita"], cable)
    session.commit()
    stale = red.row_version
    redactions.edit(session, people["rita"], red, expected_row_version=stale, rationale="newer")
    session.commit()
    before = counts(session)
    state = (red.status, red.revision, red.row_version, red.codes, red.start, red.end)
    calls = {
        "approve": lambda: redactions.approve(
            session, people["anna"], red, expected_row_version=stale
        ),
        "reject": lambda: redactions.reject(
            session, people["anna"], red, expected_row_version=stale, reason="no"
        ),
        "edit": lambda: redactions.edit(
            session, people["rita"], red, expected_row_version=stale, codes=["B5"]
        ),
        "withdraw": lambda: redactions.withdraw(
            session, people["rita"], red, expected_row_version=stale
        ),
    }
    with pytest.raises(StaleVersion):
        calls[action]()
    session.commit()
    assert counts(session) == before
    assert (red.status, red.revision, red.row_version, red.codes, red.start, red.end) == state


def test_a_decision_made_on_a_version_changed_by_another_session_is_stale(
    app, session, people, cable
):
    session.rollback()  # the fixtures' session must not hold SQLite's write lock
    sessions = app.extensions["redactor.sessions"]
    with sessions() as first:
        red = propose(first, first.merge(people["rita"]), first.merge(cable))
        first.commit()
        red_id = red.id
    with sessions() as mine, sessions() as theirs:
        loaded = mine.get(Redaction, red_id)
        seen = loaded.row_version
        mine.commit()  # the page was rendered; the form carries ``seen``
        other = theirs.get(Redaction, red_id)
        redactions.approve(theirs, theirs.merge(people["abe"]), other, expected_row_version=seen)
        theirs.commit()
        with pytest.raises(StaleVersion):
            redactions.reject(
                mine, mine.merge(people["anna"]), loaded, expected_row_version=seen,
                reason="no",
            )
        mine.rollback()
        assert mine.scalar(select(func.count()).select_from(Decision)) == 1


@pytest.mark.parametrize("bad", ["1", 1.0, None, True])
def test_a_version_that_is_not_an_integer_is_stale(session, people, cable, bad):
    red = propose(session, people["rita"], cable)
    with pytest.raises(StaleVersion):
        redactions.approve(session, people["anna"], red, expected_row_version=bad)


# --- withdrawing ------------------------------------------------------------------------------


def test_withdraw_is_for_the_proposer_on_pending_proposals_and_is_final(session, people, cable):
    red = propose(session, people["rita"], cable)
    with pytest.raises(NotPermitted):
        redactions.withdraw(session, people["ron"], red, expected_row_version=red.row_version)
    redactions.withdraw(session, people["rita"], red, expected_row_version=red.row_version)
    assert red.status == RedactionStatus.WITHDRAWN
    with pytest.raises(IllegalTransition):
        redactions.withdraw(session, people["rita"], red, expected_row_version=red.row_version)
    with pytest.raises(IllegalTransition):
        redactions.edit(
            session, people["rita"], red, expected_row_version=red.row_version, codes=["B5"]
        )
    with pytest.raises(IllegalTransition):
        redactions.approve(session, people["anna"], red, expected_row_version=red.row_version)


def test_an_approved_proposal_is_withdrawn_only_by_a_request_a_second_person_approves(
    session, people, cable
):
    red = propose(session, people["rita"], cable)
    redactions.approve(session, people["anna"], red, expected_row_version=red.row_version)
    request = redactions.withdraw(
        session, people["rita"], red, expected_row_version=red.row_version
    )
    assert request.withdraws and request.status == RedactionStatus.PENDING
    assert red.status == RedactionStatus.APPROVED
    with pytest.raises(IllegalTransition, match="already open"):
        redactions.withdraw(session, people["rita"], red, expected_row_version=red.row_version)
    redactions.approve(session, people["abe"], request, expected_row_version=request.row_version)
    assert red.status == RedactionStatus.WITHDRAWN and request.status == RedactionStatus.WITHDRAWN
    assert review.approved_spans(session, cable) == []


# --- comments ---------------------------------------------------------------------------------


def test_comments_form_a_discussion_in_any_state(session, people, cable):
    red = propose(session, people["rita"], cable)
    redactions.comment(session, people["anna"], red, "  Is this name public?  ")
    redactions.withdraw(session, people["rita"], red, expected_row_version=red.row_version)
    redactions.comment(session, people["rita"], red, "Yes; withdrawn.")
    assert [(c.author_id, c.body) for c in red.comments] == [
        (people["anna"].id, "Is this name public?"),
        (people["rita"].id, "Yes; withdrawn."),
    ]
    assert actions(session).count("redaction.comment") == 2


def test_empty_long_and_auditor_comments_are_refused(session, people, cable):
    red = propose(session, people["rita"], cable)
    with pytest.raises(InvalidInput):
        redactions.comment(session, people["anna"], red, " \n ")
    with pytest.raises(InvalidInput):
        redactions.comment(session, people["anna"], red, "x" * 10_001)
    with pytest.raises(NotPermitted):
        redactions.comment(session, people["audrey"], red, "looks fine")
    assert red.comments == []


# --- portion review and cable status ----------------------------------------------------------


def cable_status_changes(session) -> list[str]:
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "cable.status").order_by(AuditEntry.seq)
    )
    return [entry.payload for entry in entries]


def test_cable_goes_from_new_to_in_review_to_ready(session, people, cable):
    assert cable.status == CableStatus.NEW
    red = propose(session, people["rita"], cable)
    assert cable.status == CableStatus.IN_REVIEW
    review.mark_portion_reviewed(session, people["rita"], cable, 0)
    review.mark_portion_reviewed(session, people["ron"], cable, 1)
    assert cable.status == CableStatus.IN_REVIEW  # a proposal is still pending
    redactions.approve(session, people["anna"], red, expected_row_version=red.row_version)
    assert cable.status == CableStatus.READY
    session.commit()
    changes = cable_status_changes(session)
    assert len(changes) == 2
    assert '"from":"new"' in changes[0] and '"to":"in_review"' in changes[0]
    assert '"from":"in_review"' in changes[1] and '"to":"ready"' in changes[1]


def test_a_ready_cable_returns_to_review_when_a_proposal_is_made(session, people, cable):
    review.mark_portion_reviewed(session, people["rita"], cable, 0)
    review.mark_portion_reviewed(session, people["rita"], cable, 1)
    assert cable.status == CableStatus.READY
    red = propose(session, people["ron"], cable)
    assert cable.status == CableStatus.IN_REVIEW
    redactions.withdraw(session, people["ron"], red, expected_row_version=red.row_version)
    assert cable.status == CableStatus.READY


def test_marking_a_portion_twice_keeps_the_first_mark(session, people, cable):
    first = review.mark_portion_reviewed(session, people["rita"], cable, 0)
    before = counts(session)
    again = review.mark_portion_reviewed(session, people["ron"], cable, 0)
    assert again.id == first.id and again.reviewer_id == people["rita"].id
    assert counts(session) == before


def test_only_reviewers_mark_portions_and_only_existing_ones(session, people, cable):
    with pytest.raises(NotPermitted):
        review.mark_portion_reviewed(session, people["anna"], cable, 0)
    with pytest.raises(NotFound):
        review.mark_portion_reviewed(session, people["rita"], cable, 7)
    with pytest.raises(NotPermitted):
        review.mark_unclassified_portions_reviewed(session, people["audrey"], cable)


def test_bulk_marking_takes_only_unclassified_portions(session, people, make_cable):
    cable = make_cable(
        "09MIXED1",
        body="1. (U) Public remarks.\n\n2. (C) Private remarks.\n\n3. (SBU) Logistics.",
    )
    marks = review.mark_unclassified_portions_reviewed(session, people["rita"], cable)
    assert sorted(mark.portion_index for mark in marks) == [0, 2]
    assert cable.status == CableStatus.IN_REVIEW
    assert review.mark_unclassified_portions_reviewed(session, people["rita"], cable) == []
    review.mark_portion_reviewed(session, people["rita"], cable, 1)
    assert cable.status == CableStatus.READY


def test_an_unclassified_cable_marked_in_one_step_is_ready_at_once(session, people, make_cable):
    cable = make_cable("09UNCLAS1", "UNCLASSIFIED")
    review.mark_unclassified_portions_reviewed(session, people["rita"], cable)
    assert cable.status == CableStatus.READY
    assert actions(session)[-3:] == ["portion.review", "portion.review", "cable.status"]


def test_a_new_version_needs_its_own_review(session, people, make_cable):
    cable = make_cable("09TEST4", body="1. (C) First text.")
    review.mark_portion_reviewed(session, people["rita"], cable, 0)
    assert cable.status == CableStatus.READY
    cable = make_cable("09TEST4", body="1. (C) Second text.\n\n2. (C) More.")
    assert review.refresh_cable_status(session, cable) == CableStatus.IN_REVIEW


# --- queries ----------------------------------------------------------------------------------


def test_pending_for_approver_lists_others_proposals_not_yet_approved_by_them(
    session, people, cable, make_cable, make_user
):
    mine = propose(session, people["both"], cable, needle="Perez")
    theirs = propose(session, people["rita"], cable)
    secret = make_cable("09SECRET2", "SECRET")
    hidden = propose(session, people["rita"], secret, needle="Officials")
    low, _ = make_user("lowapp", roles=(Role.APPROVER,), clearance=Level.CONFIDENTIAL)
    assert review.pending_for_approver(session, people["both"]) == [theirs, hidden]
    assert review.pending_for_approver(session, low) == [mine, theirs]
    assert review.pending_for_approver(session, people["rita"]) == []  # not an approver
    redactions.approve(
        session, people["anna"], theirs, expected_row_version=theirs.row_version,
        approvals_required=2,
    )
    assert theirs not in review.pending_for_approver(session, people["anna"])
    assert theirs in review.pending_for_approver(session, people["abe"])


def test_redactions_for_cable_lists_every_proposal_in_text_order(session, people, cable):
    later = propose(session, people["rita"], cable)
    earlier = propose(session, people["ron"], cable, needle="Perez")
    redactions.withdraw(session, people["ron"], earlier, expected_row_version=earlier.row_version)
    assert review.redactions_for_cable(session, people["anna"], cable) == [earlier, later]


# --- every action is audited ------------------------------------------------------------------


def test_every_service_call_leaves_its_audit_entry(session, people, cable):
    def last_action(call):
        before = len(actions(session))
        call()
        new = actions(session)[before:]
        return [action for action in new if action != "cable.status"]

    red = None

    def make():
        nonlocal red
        red = propose(session, people["rita"], cable)

    assert last_action(make) == ["redaction.propose"]
    assert last_action(lambda: redactions.comment(session, people["anna"], red, "why?")) == [
        "redaction.comment"
    ]
    assert last_action(
        lambda: redactions.edit(
            session, people["rita"], red, expected_row_version=red.row_version, codes=["B5"]
        )
    ) == ["redaction.edit"]
    assert last_action(
        lambda: redactions.reject(
            session, people["anna"], red, expected_row_version=red.row_version, reason="no"
        )
    ) == ["redaction.reject"]
    assert last_action(
        lambda: redactions.edit(
            session, people["rita"], red, expected_row_version=red.row_version, codes=["B6"]
        )
    ) == ["redaction.edit"]
    assert last_action(
        lambda: redactions.approve(
            session, people["anna"], red, expected_row_version=red.row_version
        )
    ) == ["redaction.approve"]
    other = redactions.withhold_portion(session, people["rita"], cable, 0, codes=["B6"])
    assert actions(session)[-1] == "redaction.propose"
    assert last_action(
        lambda: redactions.withdraw(
            session, people["rita"], other, expected_row_version=other.row_version
        )
    ) == ["redaction.withdraw"]
    assert last_action(
        lambda: review.mark_portion_reviewed(session, people["rita"], cable, 0)
    ) == ["portion.review"]
    session.commit()
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert entry.actor_id is not None
