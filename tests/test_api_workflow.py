"""The whole workflow through the JSON API alone, with tokens of four different people:
import -> propose -> approve (someone else) -> review every portion -> release -> download
the PDF, text and JSON -> verify the audit chain."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from redactor.models import AuditEntry
from redactor.review.policy import Level, Role
from tests.fixtures_store import cable_text
from tests.test_api_support import api_factory, offsets_of

REFERENCE = "09WORKFLOW1"
HIDDEN = "QZJWORKFLOWNAME"
BODY = (
    f"1. (S) Summary: the minister met {HIDDEN} on Tuesday to discuss the harbour.\n\n"
    "2. (U) Comment: nothing further to report. End comment."
)


@pytest.fixture
def make_api(app, session, make_user):
    return api_factory(app, session, make_user)


def test_a_cable_goes_from_import_to_release_through_the_api_alone(make_api, session):
    reviewer = make_api("wf-reviewer", roles=(Role.REVIEWER,), clearance=Level.SECRET)
    approver = make_api("wf-approver", roles=(Role.APPROVER,), clearance=Level.SECRET)
    authority = make_api("wf-authority", roles=(Role.RELEASE_AUTHORITY,), clearance=Level.SECRET)
    auditor = make_api("wf-auditor", roles=(Role.AUDITOR,), clearance=Level.UNCLASSIFIED)

    text = cable_text(REFERENCE, "SECRET", body=BODY, subject="HARBOUR TALKS")
    imported = reviewer.post("/api/v1/cables", json={"cables": [{"name": "wf.txt", "text": text}]})
    assert imported.status_code == 200
    assert imported.get_json()["files"][0]["status"] == "imported"

    cable = reviewer.get(f"/api/v1/cables/{REFERENCE}").get_json()
    start, end = offsets_of(cable["text"], HIDDEN)
    proposed = reviewer.post(
        f"/api/v1/cables/{REFERENCE}/redactions",
        json={"start": start, "end": end, "codes": ["B6"], "rationale": "a private person",
              "version": cable["current_version"]},
    )
    assert proposed.status_code == 201
    redaction = proposed.get_json()

    discussed = approver.post(
        f"/api/v1/redactions/{redaction['id']}/comments", json={"body": "Agreed: B6."}
    )
    assert discussed.status_code == 201
    approved = approver.post(
        f"/api/v1/redactions/{redaction['id']}/approve", json={"version": redaction["row_version"]}
    )
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"

    for portion in cable["portions"]:
        marked = reviewer.post(f"/api/v1/cables/{REFERENCE}/portions/{portion['index']}/review")
        assert marked.status_code == 200
    assert reviewer.get(f"/api/v1/cables/{REFERENCE}").get_json()["status"] == "ready"

    diff = reviewer.get(f"/api/v1/cables/{REFERENCE}/diff").get_json()
    replaced = [h for p in diff["portions"] for h in p["hunks"] if h["op"] == "replace"]
    assert replaced and replaced[0]["old"] == HIDDEN and HIDDEN not in replaced[0]["new"]

    released = authority.post(f"/api/v1/cables/{REFERENCE}/releases", json={})
    assert released.status_code == 201, released.get_json()
    release = released.get_json()
    assert release["disposition"].startswith("RELEASE IN PART")
    assert {a["name"] for a in release["artifacts"]} == {"pdf", "txt", "json"}
    assert authority.get(f"/api/v1/releases/{release['id']}").get_json() == release

    pdf = reviewer.get(f"/api/v1/releases/{release['id']}/artifacts/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"] == (
        f'attachment; filename="{release["doc_number"]}.pdf"'
    )
    assert pdf.data.startswith(b"%PDF")
    pages = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "harbour" in pages and HIDDEN not in pages and HIDDEN.encode() not in pdf.data
    txt = reviewer.get(f"/api/v1/releases/{release['id']}/artifacts/txt")
    assert txt.status_code == 200 and "harbour" in txt.get_data(as_text=True)
    assert HIDDEN not in txt.get_data(as_text=True)
    record = reviewer.get(f"/api/v1/releases/{release['id']}/artifacts/json")
    assert record.status_code == 200 and HIDDEN not in record.get_data(as_text=True)

    verified = auditor.post("/api/v1/audit/verify")
    assert verified.status_code == 200
    report = verified.get_json()
    assert report["ok"] is True and report["faults"] == 0

    actions = [
        (entry.action, entry.actor_name)
        for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
    ]
    session.rollback()
    for expected in [
        ("cable.import", "wf-reviewer"),
        ("redaction.propose", "wf-reviewer"),
        ("redaction.comment", "wf-approver"),
        ("redaction.approve", "wf-approver"),
        ("portion.review", "wf-reviewer"),
        ("release.create", "wf-authority"),
        ("release.download", "wf-reviewer"),
        ("audit.verify", "wf-auditor"),
    ]:
        assert expected in actions, expected
    # The auditor is cleared for UNCLASSIFIED only: the SECRET cable's entries are withheld.
    log = auditor.get("/api/v1/audit?limit=200").get_data(as_text=True)
    assert REFERENCE not in log and HIDDEN not in log
