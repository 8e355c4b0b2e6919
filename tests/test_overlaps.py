"""Duplicate and overlapping proposals, in the service layer (redactor.redaction.overlaps).

The check is opt-in (``check_conflicts``): the browser's proposal form asks for it; callers
that do not (the JSON API as it stands) see no change. With it, the same span as a pending
or approved redaction is refused, an overlap needs the overlapped ids confirmed, and
rejected, withdrawn or other versions' redactions, and withdrawal requests, are not
conflicts.
"""

from __future__ import annotations

import pytest

from redactor.errors import IllegalTransition
from redactor.models import RedactionStatus
from redactor.redaction import service as redactions
from redactor.redaction.overlaps import DuplicateProposal, OverlapNeedsConfirmation, conflicts
from redactor.redaction.spans import Span
from redactor.review.policy import Role
from redactor.review.service import version_of

BODY = (
    "1. (C) Minister Perez met Colonel Ortega on Tuesday.\n\n"
    "2. (C) The Ambassador said nothing further."
)


@pytest.fixture
def world(session, make_cable, make_user):
    cable = make_cable("09OVERLAP1", "CONFIDENTIAL", body=BODY)
    rita, _ = make_user("rita", roles=(Role.REVIEWER,))
    rick, _ = make_user("rick", roles=(Role.REVIEWER,))
    anna, _ = make_user("anna", roles=(Role.APPROVER,))
    text = version_of(session, cable).text
    return cable, rita, rick, anna, text


def span(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return start, start + len(needle)


def at(text: str, needle: str) -> dict[str, int]:
    start, end = span(text, needle)
    return {"start": start, "end": end}


def test_an_exact_duplicate_is_refused_pending_or_approved(session, world):
    cable, rita, rick, anna, text = world
    start, end = span(text, "Ortega")
    first = redactions.propose(session, rita, cable, start=start, end=end, codes="B6")
    with pytest.raises(DuplicateProposal) as caught:
        redactions.propose(session, rick, cable, start=start, end=end, codes="B7(C)",
                           check_conflicts=True, confirmed={first.id})
    assert caught.value.existing.id == first.id
    assert f"#{first.id}" in str(caught.value)
    assert isinstance(caught.value, IllegalTransition)  # a 409 wherever errors are mapped
    redactions.approve(session, anna, first, expected_row_version=first.row_version)
    with pytest.raises(DuplicateProposal):
        redactions.propose(session, rick, cable, start=start, end=end, codes="B6",
                           check_conflicts=True)


def test_an_overlap_needs_the_overlapped_ids_confirmed(session, world):
    cable, rita, rick, _anna, text = world
    a = redactions.propose(session, rita, cable, **at(text, "Perez"), codes="B6")
    b = redactions.propose(session, rita, cable, **at(text, "Ortega"), codes="B6")
    start, end = span(text, "Perez met Colonel Ortega")
    with pytest.raises(OverlapNeedsConfirmation) as caught:
        redactions.propose(session, rick, cable, start=start, end=end, codes="B6",
                           check_conflicts=True)
    assert [c.id for c in caught.value.overlapping] == [a.id, b.id]
    with pytest.raises(OverlapNeedsConfirmation):  # half confirmed is not confirmed
        redactions.propose(session, rick, cable, start=start, end=end, codes="B6",
                           check_conflicts=True, confirmed={a.id})
    made = redactions.propose(session, rick, cable, start=start, end=end, codes="B6",
                              check_conflicts=True, confirmed={a.id, b.id})
    assert made.status is RedactionStatus.PENDING


def test_without_the_check_nothing_changes_for_other_callers(session, world):
    cable, rita, rick, _anna, text = world
    start, end = span(text, "Ortega")
    redactions.propose(session, rita, cable, start=start, end=end, codes="B6")
    again = redactions.propose(session, rick, cable, start=start, end=end, codes="B6")
    assert again.id  # the API, which does not ask, is as before


def test_rejected_withdrawn_and_withdrawal_requests_are_no_conflict(session, world):
    cable, rita, rick, anna, text = world
    start, end = span(text, "Ortega")
    rejected = redactions.propose(session, rita, cable, start=start, end=end, codes="B6")
    redactions.reject(session, anna, rejected, expected_row_version=rejected.row_version,
                      reason="no")
    withdrawn = redactions.propose(session, rita, cable, start=start, end=end, codes="B6")
    redactions.withdraw(session, rita, withdrawn, expected_row_version=withdrawn.row_version)
    version = version_of(session, cable)
    assert conflicts(session, version.id, Span(start, end)) == ()
    # An approved one with a withdrawal request: the request is not a second proposal.
    kept = redactions.propose(session, rita, cable, **at(text, "Tuesday"), codes="B6")
    redactions.approve(session, anna, kept, expected_row_version=kept.row_version)
    request = redactions.withdraw(session, rita, kept, expected_row_version=kept.row_version)
    assert request.withdraws
    found = conflicts(session, version.id, Span(*span(text, "Tuesday")))
    assert [c.id for c in found] == [kept.id]


def test_withholding_a_portion_checks_the_same(session, world):
    cable, rita, rick, _anna, text = world
    inside = redactions.propose(session, rita, cable, **at(text, "Ortega"), codes="B6")
    with pytest.raises(OverlapNeedsConfirmation):
        redactions.withhold_portion(session, rick, cable, 0, codes="B6", check_conflicts=True)
    whole = redactions.withhold_portion(session, rick, cable, 0, codes="B6",
                                        check_conflicts=True, confirmed={inside.id})
    with pytest.raises(DuplicateProposal) as caught:
        redactions.withhold_portion(session, rita, cable, 0, codes="B1 1.4(D)",
                                    check_conflicts=True, confirmed={inside.id, whole.id})
    assert caught.value.existing.id == whole.id
