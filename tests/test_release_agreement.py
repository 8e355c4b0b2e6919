"""The confirmation (the release plan), the preview and the release agree on the disposition,
for every fixture cable under all-withheld, some-withheld and none-withheld decisions."""

from __future__ import annotations

from datetime import date

import pytest

from redactor.redaction import regions
from redactor.redaction import service as redactions
from redactor.release import service as releases
from redactor.release.render import Disposition
from redactor.review import pages
from redactor.review import service as review
from tests.test_release_support import finish_review, make_team

DAY = date(2015, 12, 31)


def decide(session, team, cable, decision: str) -> int:
    """Propose and approve the spans of ``decision`` on ``cable``: every portion's content,
    the first one's, or none (the same contents the release judges ``DENIED IN FULL`` by).
    Returns the number of contents withheld."""
    version = review.version_of(session, cable)
    contents = releases.portion_contents(session, version)
    if contents == [(0, len(version.text))]:
        # No portion (a truncated cable): every region a reviewer can select, trimmed.
        contents = []
        for area in regions.regions(version.text, [], version.parsed or {}):
            start, end = area.start, area.end
            while start < end and version.text[start].isspace():
                start += 1
            while end > start and version.text[end - 1].isspace():
                end -= 1
            if start < end:
                contents.append((start, end))
    chosen = {"all": contents, "some": contents[:1], "none": []}[decision]
    for start, end in chosen:
        proposal = redactions.propose(
            session, team.reviewer, cable, start=start, end=end, codes=["B1", "1.4(D)"]
        )
        redactions.approve(
            session, team.approver, proposal, expected_row_version=proposal.row_version
        )
    return len(chosen)


@pytest.mark.parametrize("decision", ["all", "some", "none"])
def test_confirmation_preview_and_release_agree_for_every_fixture_cable(
    session, make_user, imported_fixture_cables, decision
):
    team = make_team(make_user)
    seen = set()
    for cable in imported_fixture_cables:
        withheld = decide(session, team, cable, decision)
        finish_review(session, team, cable)
        preview = pages.load_preview(session, team.authority, cable, approvals_required=1)
        plan = releases.plan_release(session, team.authority, cable, release_date=DAY)
        release = releases.release_cable(
            session,
            team.authority,
            cable,
            release_date=DAY,
            expected={
                "doc_number": plan.doc_number,
                "case_number": plan.case_number,
                "stamp": plan.stamp,
                "version": str(plan.version.number),
            },
        )
        session.commit()
        ref = cable.reference_id
        assert release.disposition == plan.stamp == preview["stamp"], ref
        assert release.record["disposition"] == plan.disposition.value, ref
        assert release.record["pages"] == plan.pages, ref
        assert (release.doc_number, release.case_number) == (plan.doc_number, plan.case_number)
        if decision == "none":
            assert plan.disposition is Disposition.FULL, ref
        elif decision == "all":
            assert plan.disposition is Disposition.DENIED, ref
        elif withheld and plan.disposition is not Disposition.DENIED:
            assert plan.disposition is Disposition.PART, ref
        seen.add(plan.disposition)
    assert len(imported_fixture_cables) > 70
    if decision == "some":
        assert Disposition.PART in seen
