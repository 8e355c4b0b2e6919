"""The redaction and cable state machines, and the review predicates of the policy."""

from __future__ import annotations

import pytest

from redactor.models import CableStatus, RedactionStatus
from redactor.review import states
from redactor.review.policy import (
    Role,
    can_approve,
    can_comment,
    can_edit_proposal,
    can_mark_reviewed,
    can_propose,
    can_withdraw,
)
from redactor.review.states import TransitionError


def test_state_names_match_the_model_enums():
    assert {states.PENDING, states.APPROVED, states.REJECTED, states.WITHDRAWN} == {
        s.value for s in RedactionStatus
    }
    assert {states.NEW, states.IN_REVIEW, states.READY, states.RELEASED} == {
        s.value for s in CableStatus
    }
    assert set(states.REDACTION_TRANSITIONS) == {s.value for s in RedactionStatus}
    assert set(states.CABLE_TRANSITIONS) == {s.value for s in CableStatus}


@pytest.mark.parametrize("target", ["approved", "rejected", "withdrawn", "pending"])
def test_a_pending_redaction_may_be_decided_withdrawn_or_stay_pending(target):
    assert states.can_redaction_transition(RedactionStatus.PENDING, target)


def test_a_rejected_redaction_returns_to_pending_on_an_edit_by_its_proposer():
    assert states.redaction_status_after("rejected", states.EDIT) == "pending"


def test_an_approved_redaction_never_returns_to_pending_in_place():
    # A change of an approved redaction is a proposal of its own (two people to show again).
    assert not states.can_redaction_transition("approved", "pending")
    with pytest.raises(states.TransitionError):
        states.redaction_status_after("approved", states.EDIT)


@pytest.mark.parametrize(
    ("status", "approvals", "required", "effective"),
    [
        ("approved", 1, 2, "awaiting"),  # the setting was raised: still hidden, outstanding
        ("approved", 2, 2, "approved"),
        ("pending", 1, 1, "approved"),  # the setting was lowered: counts as approved
        ("pending", 1, 2, "pending"),
        ("rejected", 0, 1, "rejected"),
    ],
)
def test_the_effective_status_fails_closed(status, approvals, required, effective):
    assert states.effective_status(status, approvals, required) == effective
    assert states.is_protected(effective) == (effective in ("approved", "awaiting"))


@pytest.mark.parametrize("current", ["pending", "approved", "rejected"])
def test_an_edit_of_the_rationale_alone_keeps_the_state(current):
    assert states.redaction_status_after(current, states.EDIT, substantive=False) == current


def test_withdrawn_is_final():
    for target in ("pending", "approved", "rejected"):
        assert not states.can_redaction_transition("withdrawn", target)
    for action in (states.EDIT, states.APPROVE, states.REJECT, states.WITHDRAW):
        with pytest.raises(TransitionError, match="withdrawn"):
            states.redaction_status_after("withdrawn", action)


def test_comments_are_allowed_in_every_state():
    for status in RedactionStatus:
        assert states.can_act_on_redaction(status, states.COMMENT)


@pytest.mark.parametrize("current", ["approved", "rejected"])
@pytest.mark.parametrize("action", ["approve", "reject", "withdraw"])
def test_decisions_and_withdrawal_apply_to_pending_proposals_only(current, action):
    with pytest.raises(TransitionError, match=f"cannot {action}"):
        states.check_redaction_action(current, action)


def test_approved_and_rejected_do_not_flip_into_each_other():
    assert not states.can_redaction_transition("approved", "rejected")
    assert not states.can_redaction_transition("rejected", "approved")


def test_approval_becomes_effective_at_the_required_count():
    assert states.redaction_status_after("pending", "approve", approvals=1) == "approved"
    assert states.redaction_status_after("pending", "approve", approvals=1, required=2) == (
        "pending"
    )
    assert states.redaction_status_after("pending", "approve", approvals=2, required=2) == (
        "approved"
    )
    with pytest.raises(ValueError, match="at least one"):
        states.redaction_status_after("pending", "approve", approvals=1, required=0)


def test_a_rejection_rejects_and_a_withdrawal_withdraws():
    assert states.redaction_status_after("pending", "reject") == "rejected"
    assert states.redaction_status_after("pending", "withdraw") == "withdrawn"


def test_an_unknown_action_is_an_error_not_a_refusal():
    with pytest.raises(KeyError):
        states.can_act_on_redaction("pending", "aprove")


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("new", "in_review"),
        ("new", "ready"),
        ("in_review", "ready"),
        ("ready", "in_review"),
        ("ready", "released"),
        ("released", "in_review"),
    ],
)
def test_allowed_cable_transitions(current, target):
    assert states.can_cable_transition(current, target)
    states.check_cable_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("new", "released"),
        ("in_review", "released"),
        ("in_review", "new"),
        ("ready", "new"),
        ("released", "new"),
        ("released", "ready"),
    ],
)
def test_refused_cable_transitions(current, target):
    assert not states.can_cable_transition(current, target)
    with pytest.raises(TransitionError, match=f"from {current} to {target}"):
        states.check_cable_transition(current, target)


def test_staying_in_the_same_cable_state_is_not_a_transition():
    for status in CableStatus:
        states.check_cable_transition(status, status)


def test_cable_status_is_new_until_something_happens():
    assert states.cable_status(5, 0, 0, False) == "new"
    assert states.cable_status(5, 0, 0, False, started=True) == "in_review"
    assert states.cable_status(5, 1, 0, False) == "in_review"
    assert states.cable_status(5, 0, 1, False) == "in_review"


def test_cable_status_is_ready_when_every_portion_is_reviewed_and_nothing_pending():
    assert states.cable_status(5, 5, 0, False) == "ready"
    assert states.cable_status(5, 5, 1, False) == "in_review"
    assert states.cable_status(5, 4, 0, False) == "in_review"


def test_a_released_cable_stays_released_until_the_review_reopens():
    assert states.cable_status(5, 5, 0, True) == "released"
    assert states.cable_status(5, 5, 1, True) == "in_review"
    assert states.cable_status(6, 5, 0, True) == "in_review"


def test_a_cable_without_portions_is_ready_only_once_its_whole_text_is_reviewed():
    # Fail closed (issue 14): no portion is one thing to review, the whole text.
    assert states.cable_status(0, 0, 0, False) == "new"
    assert states.cable_status(0, 0, 0, False, started=True) == "in_review"
    assert states.cable_status(0, 1, 0, False) == "ready"
    assert states.cable_status(0, 1, 1, False) == "in_review"
    with pytest.raises(ValueError):
        states.cable_status(0, 2, 0, False)


def test_cable_status_refuses_impossible_counts():
    with pytest.raises(ValueError):
        states.cable_status(3, 4, 0, False)
    with pytest.raises(ValueError):
        states.cable_status(3, 0, -1, False)


# --- who may do what -------------------------------------------------------------------------

REVIEWER = frozenset({Role.REVIEWER})
APPROVER = frozenset({Role.APPROVER})
BOTH = frozenset({Role.REVIEWER, Role.APPROVER})
AUDITOR = frozenset({Role.AUDITOR})


def test_only_reviewers_propose_and_mark_portions_reviewed():
    assert can_propose(REVIEWER) and can_mark_reviewed(REVIEWER)
    assert not can_propose(APPROVER) and not can_mark_reviewed(APPROVER)
    assert not can_propose(AUDITOR)


def test_an_approver_may_not_approve_their_own_proposal():
    assert can_approve(2, APPROVER, proposer_id=1)
    assert not can_approve(1, BOTH, proposer_id=1)
    assert not can_approve(2, REVIEWER, proposer_id=1)


def test_only_the_proposer_edits_or_withdraws_and_only_as_a_reviewer():
    assert can_edit_proposal(1, REVIEWER, proposer_id=1)
    assert can_withdraw(1, BOTH, proposer_id=1)
    assert not can_edit_proposal(2, BOTH, proposer_id=1)
    assert not can_withdraw(2, REVIEWER, proposer_id=1)
    assert not can_edit_proposal(1, APPROVER, proposer_id=1)  # no longer a reviewer


def test_auditors_read_but_do_not_comment():
    assert can_comment(REVIEWER) and can_comment(APPROVER)
    assert can_comment(frozenset({Role.RELEASE_AUTHORITY}))
    assert not can_comment(AUDITOR)
