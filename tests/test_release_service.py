"""The release service, its downloads, the release form and the package export."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from redactor import audit
from redactor.cli.release import export_package_command
from redactor.errors import IllegalTransition, InvalidInput, NotFound, NotPermitted
from redactor.models import AuditEntry, CableStatus, Release, ReleaseArtifact
from redactor.release import service as releases
from redactor.review.policy import Level, Role
from tests.conftest import TEST_AUDIT_KEY
from tests.fixtures_accounts import find_csrf_token
from tests.pages import without_csrf
from tests.test_release_support import (
    canary_cable,
    finish_review,
    make_team,
    redact,
    withhold,
)

DAY = date(2015, 12, 31)


@pytest.fixture
def team(make_user):
    return make_team(make_user)


@pytest.fixture
def ready(session, make_cable, team):
    """A SECRET canary cable, ready for release."""
    return canary_cable(session, make_cable, team)


def actions(session) -> list[str]:
    found = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    session.rollback()
    return found


def count(session, model) -> int:
    value = session.scalar(select(func.count()).select_from(model))
    session.rollback()
    return value


def test_a_release_authority_releases_a_ready_cable_with_a_full_record(session, team, ready):
    head_before = audit.chain_head_summary(session)
    release = releases.release_cable(session, team.authority, ready, release_date=DAY)
    session.commit()
    assert re.fullmatch(r"F-2015-\d{5}", release.case_number)
    assert release.doc_number == "C00000001"
    assert release.disposition == "RELEASE IN PART B1,1.4(B),1.4(D),B6"
    assert ready.status == CableStatus.RELEASED
    record = release.record
    assert record["released_by"]["username"] == team.authority.username
    assert record["cable"]["reference_id"] == ready.reference_id and record["cable"]["version"] == 1
    assert record["audit_head"] == head_before and release.audit_head == head_before["mac"]
    assert len(record["redactions"]) == 6
    for item in record["redactions"]:
        assert item["proposer"]["username"] == team.reviewer.username
        assert [a["approver"]["username"] for a in item["approvals"]] == [team.approver.username]
        assert "start" not in item and "end" not in item  # no offsets: they give lengths away
    stored = {
        a.name: a
        for a in session.scalars(
            select(ReleaseArtifact).where(ReleaseArtifact.release_id == release.id)
        )
    }
    assert set(stored) == {"pdf", "txt", "json"}
    for kind, artifact in stored.items():
        assert hashlib.sha256(artifact.data).hexdigest() == record["files"][kind]["sha256"]
    assert stored["pdf"].data.startswith(b"%PDF-")
    assert actions(session)[-2:] == ["release.create", "cable.status"]


@pytest.mark.parametrize("who", ["reviewer", "approver", "reader"])
def test_only_a_release_authority_may_release(session, team, ready, who):
    with pytest.raises(NotPermitted):
        releases.release_cable(session, getattr(team, who), ready)
    session.rollback()
    assert count(session, Release) == 0


def test_a_cable_with_a_pending_proposal_is_not_ready_and_cannot_be_released(session, team, ready):
    redact(session, team, ready, "agreed to meet", approve=False)
    session.commit()
    assert ready.status == CableStatus.IN_REVIEW
    with pytest.raises(IllegalTransition):
        releases.release_cable(session, team.authority, ready)


def test_a_cable_still_in_review_cannot_be_released(session, make_cable, team):
    cable = make_cable("09NOTREADY1", "CONFIDENTIAL")
    with pytest.raises(IllegalTransition):
        releases.release_cable(session, team.authority, cable)


def test_a_cable_above_the_authoritys_clearance_does_not_exist_for_them(session, make_user, ready):
    low, _ = make_user("lowrex", roles=(Role.RELEASE_AUTHORITY,), clearance=Level.CONFIDENTIAL)
    with pytest.raises(NotFound):
        releases.release_cable(session, low, ready)


def test_a_given_case_number_is_checked_and_new_ones_count_up_per_year(
    session, make_cable, team, ready
):
    with pytest.raises(InvalidInput):
        releases.release_cable(session, team.authority, ready, case_number="2014-20439")
    session.rollback()
    first = releases.release_cable(session, team.authority, ready, case_number="F-2014-20439")
    session.commit()
    assert (first.case_number, first.doc_number) == ("F-2014-20439", "C00000001")
    other = canary_cable(session, make_cable, team, reference_id="09CANARY2")
    second = releases.release_cable(session, team.authority, other, release_date=DAY)
    session.commit()
    assert (second.case_number, second.doc_number) == ("F-2015-00001", "C00000002")
    third_cable = canary_cable(session, make_cable, team, reference_id="09CANARY3")
    third = releases.release_cable(session, team.authority, third_cable, release_date=DAY)
    assert third.case_number == "F-2015-00002"


def test_releases_and_their_files_are_immutable(session, team, ready):
    release = releases.release_cable(session, team.authority, ready)
    session.commit()
    release.disposition = "RELEASE IN FULL"
    with pytest.raises(DBAPIError):
        session.flush()
    session.rollback()
    artifact = session.scalars(select(ReleaseArtifact)).first()
    session.delete(artifact)
    with pytest.raises(DBAPIError):
        session.flush()
    session.rollback()
    assert count(session, ReleaseArtifact) == 3


def test_a_new_release_after_more_review_keeps_the_old_one(session, team, ready):
    first = releases.release_cable(session, team.authority, ready, release_date=DAY)
    session.commit()
    first_record = json.loads(json.dumps(first.record))
    with pytest.raises(IllegalTransition):
        releases.release_cable(session, team.authority, ready)
    session.rollback()
    redact(session, team, ready, "agreed to meet")
    finish_review(session, team, ready)
    assert ready.status == CableStatus.READY
    second = releases.release_cable(session, team.authority, ready, release_date=DAY)
    session.commit()
    assert second.id != first.id and second.doc_number != first.doc_number
    assert len(second.record["redactions"]) == 7
    session.expire_all()
    again = session.get(Release, first.id)
    assert again.record == first_record
    assert count(session, Release) == 2


def test_a_document_withheld_entirely_is_denied_in_full(session, make_cable, team):
    cable = make_cable("09DENIED1", "SECRET")
    withhold(session, team, cable, 0)
    withhold(session, team, cable, 1, codes=("B6",))
    finish_review(session, team, cable)
    release = releases.release_cable(session, team.authority, cable)
    assert release.disposition == "DENIED IN FULL"
    assert release.record["disposition"] == "DENIED IN FULL"


# --- downloads ----------------------------------------------------------------------------------


def test_downloads_are_audited_and_named_after_the_document_number(
    app, session, team, ready, login
):
    release = releases.release_cable(session, team.authority, ready)
    session.commit()
    release_id, doc_number = release.id, release.doc_number  # a rollback expires the object
    client = app.test_client()
    login(client, team.reader.username, team.reader_password)
    before = actions(session)
    for kind, media in (
        ("pdf", "application/pdf"),
        ("txt", "text/plain"),
        ("json", "application/json"),
    ):
        response = client.get(f"/releases/{release_id}.{kind}")
        assert response.status_code == 200
        assert response.mimetype == media
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="{doc_number}.{kind}"'
        )
        assert response.headers["Cache-Control"] == "no-store"
    assert actions(session)[len(before) :] == ["release.download"] * 3


def test_a_download_above_the_users_clearance_answers_like_an_unknown_release(
    app, session, team, ready, make_user, login
):
    release = releases.release_cable(session, team.authority, ready)
    session.commit()
    release_id = release.id
    _, password = make_user("lowreader", roles=(Role.AUDITOR,), clearance=Level.CONFIDENTIAL)
    client = app.test_client()
    login(client, "lowreader", password)
    before = actions(session)
    hidden = client.get(f"/releases/{release_id}.pdf")
    unknown = client.get(f"/releases/{release_id + 99}.pdf")
    assert hidden.status_code == unknown.status_code == 404
    assert without_csrf(hidden.get_data()) == without_csrf(unknown.get_data())
    # Both refusals are on record (issue 13), as entries the reader cannot see.
    assert actions(session) == before + ["access.not_found", "access.not_found"]
    anonymous = app.test_client().get(f"/releases/{release_id}.pdf")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_release_form_needs_the_role_and_a_csrf_token(app, session, team, ready, login):
    path = f"/cables/{ready.reference_id}/release"
    anonymous = app.test_client()
    client = app.test_client()
    login(client, team.authority.username, team.authority_password)
    page = client.get(path)
    assert page.status_code == 200
    assert client.post(path, data={}).status_code == 400  # no CSRF token
    assert count(session, Release) == 0
    token = find_csrf_token(page.get_data(as_text=True))
    response = client.post(
        path,
        data={"csrf_token": token, "case_number": "F-2014-20439", "release_date": "2015-12-31"},
    )
    assert response.status_code == 302
    release = session.scalars(select(Release)).one()
    assert (release.case_number, release.record["release_date"]) == ("F-2014-20439", "2015-12-31")
    session.rollback()
    assert anonymous.get(path).status_code == 302  # signed out: to the sign-in page


def test_a_reviewer_may_not_open_the_release_form(app, make_user, ready, login):
    _, password = make_user("otherreviewer", roles=(Role.REVIEWER,))
    client = app.test_client()
    login(client, "otherreviewer", password)
    assert client.get(f"/cables/{ready.reference_id}/release").status_code == 403


# --- packages -----------------------------------------------------------------------------------


def test_a_package_is_deterministic_and_its_manifest_hashes_every_file(
    session, make_cable, team, ready
):
    first = releases.release_cable(session, team.authority, ready, release_date=DAY)
    denied_cable = make_cable("09DENIED2", "SECRET")
    withhold(session, team, denied_cable, 0)
    withhold(session, team, denied_cable, 1, codes=("B6",))
    finish_review(session, team, denied_cable)
    denied = releases.release_cable(session, team.authority, denied_cable, release_date=DAY)
    session.commit()
    package = releases.export_package(session, team.authority, [denied.id, first.id])
    session.rollback()  # drop the export's audit entry: the head is as before
    assert releases.export_package(session, team.authority, [first.id, denied.id]) == package
    session.commit()
    archive = zipfile.ZipFile(io.BytesIO(package))
    names = archive.namelist()
    assert names == [
        "C00000001.pdf",
        "C00000001.txt",
        "C00000001.json",
        "C00000002.pdf",
        "C00000002.txt",
        "C00000002.json",
        "manifest.json",
    ]  # the document denied in full is not published: its files are the withdrawal notice
    assert b"WITHDRAWAL NOTICE" in archive_text(package, "C00000002.txt")
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    manifest = json.loads(archive.read("manifest.json"))
    for name in names[:-1]:
        assert manifest["files"][name] == hashlib.sha256(archive.read(name)).hexdigest()
    assert [r["doc_number"] for r in manifest["releases"]] == ["C00000001", "C00000002"]
    assert manifest["audit_head"]["mac"] and actions(session)[-1] == "release.export"


def archive_text(package: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(package)).read(name)


def test_a_package_refuses_a_release_the_actor_may_not_see(session, make_user, team, ready):
    release = releases.release_cable(session, team.authority, ready)
    session.commit()
    low, _ = make_user("lowrex2", roles=(Role.RELEASE_AUTHORITY,), clearance=Level.CONFIDENTIAL)
    with pytest.raises(NotFound):
        releases.export_package(session, low, [release.id])
    with pytest.raises(NotPermitted):
        releases.export_package(session, team.reviewer, [release.id])


def test_the_export_package_command_writes_the_newest_release_of_each_named_cable(
    session, team, ready, database_url, tmp_path, monkeypatch
):
    releases.release_cable(session, team.authority, ready, release_date=DAY)
    session.commit()
    monkeypatch.setenv("REDACTOR_DATABASE_URL", database_url)
    monkeypatch.setenv("REDACTOR_INSTANCE", str(tmp_path))
    monkeypatch.setenv("REDACTOR_AUDIT_KEY", TEST_AUDIT_KEY)
    out = tmp_path / "package.zip"
    result = CliRunner().invoke(
        export_package_command, ["--out", str(out), ready.reference_id], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert zipfile.ZipFile(out).namelist()[-1] == "manifest.json"
    missing = CliRunner().invoke(export_package_command, ["--out", str(out), "09NOSUCH1"])
    assert missing.exit_code != 0 and "09NOSUCH1" in missing.output
    assert actions(session)[-1] == "release.export"
