"""The route-and-service inventory: every door to a cable, a version, a redaction, a release
or an audit entry is listed here, and each answers a user below the level exactly as it
answers for an id that does not exist.

Two lists are complete by test: :data:`DOORS` ∪ :data:`NOT_DOORS` holds every endpoint of
``app.url_map`` (so a new route fails :func:`test_every_route_is_in_the_inventory` until it is
listed), and :data:`SERVICES` ∪ :data:`TRUSTED_HELPERS` holds every public function of the
service modules that takes a cable, a version, a redaction or a release (or its id).

For each door, a user holding every role but cleared only to CONFIDENTIAL asks for the
SECRET cable (its reference id, a version of it, its redaction, its release, its audit
entries) and for an unknown one; the two answers must have the same status and the same
body once the two ids are made alike. :mod:`tests.test_access_matrix` scans every GET route
for leaked words; this module adds the state-changing routes, the version arguments, the
import doors and the services.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select, update

from redactor.accounts.tokens import create_token
from redactor.cables import access, declassify, held
from redactor.errors import NotFound
from redactor.models import (
    Cable,
    DeclassificationRequest,
    HeldImport,
    OccurrenceDecision,
    Portion,
    Redaction,
    Release,
    ReleaseArtifact,
)
from redactor.redaction import common as redaction_common
from redactor.redaction import decisions as redaction_decisions
from redactor.redaction import occurrence_decisions, occurrence_pages
from redactor.redaction import occurrences as redaction_occurrences
from redactor.redaction import service as redactions
from redactor.release import building
from redactor.release import pages as release_pages
from redactor.release import plan as release_plan
from redactor.release import service as releases
from redactor.review import carryover, history, pages
from redactor.review import service as review
from redactor.review.policy import Level, Role
from tests.fixtures_accounts import find_csrf_token
from tests.fixtures_store import cable_text

HIDDEN = "09ZQXINVS1"  # SECRET
UNKNOWN = "09ZQXINVX1"  # never seen
DECL = "09ZQXINVD1"  # UNCLASSIFIED now; its version 1 is SECRET
UNKNOWN_ID = 987654
HIDDEN_ID = 424242
WORD = "QUOKKAINV"
FORM = {"version": "1", "start": "0", "end": "4", "codes": "B6", "reason": "x", "body": "x",
        "rationale": "x", "case_number": "", "release_date": "", "portion_index": "0",
        "row_version": "1", "to_level": "0"}
JSON_BODY = {"version": 1, "start": 0, "end": 4, "codes": ["B6"], "reason": "x", "body": "x"}


@dataclass(frozen=True)
class World:
    redaction: int
    release: int


@dataclass(frozen=True)
class Door:
    """One way in: ``method`` ``url`` (with ``{cable}``, ``{redaction}``, ``{release}``,
    ``{version}``, ``{held}``, ``{declass}`` to fill), and what to send."""

    method: str
    url: str
    send: str = "none"  # "form", "json", "import-json", "import-upload"
    shape_only: bool = False  # audit pages: the record grows between two asks


def _doors(*items: Door) -> tuple[Door, ...]:
    return items


#: Every endpoint that reads or changes a cable, a version, a redaction, a release or an
#: audit entry, with the requests that probe it.
DOORS: dict[str, tuple[Door, ...]] = {
    "cables.show_cable": _doors(Door("GET", "/cables/{cable}")),
    "cables.preview_cable": _doors(Door("GET", "/cables/{cable}/preview")),
    "review.mark_reviewed": _doors(Door("POST", "/cables/{cable}/portions/0/reviewed", "form")),
    "review.propose": _doors(Door("POST", "/cables/{cable}/redactions", "form")),
    "review.mark_unclassified_reviewed": _doors(
        Door("POST", "/cables/{cable}/reviewed-unclassified", "form")
    ),
    "review.withhold": _doors(Door("POST", "/cables/{cable}/withhold", "form")),
    "releases.release": _doors(
        Door("GET", "/cables/{cable}/release"), Door("POST", "/cables/{cable}/release", "form")
    ),
    "review.approve": _doors(Door("POST", "/redactions/{redaction}/approve", "form")),
    "review.comment": _doors(Door("POST", "/redactions/{redaction}/comments", "form")),
    "review.edit": _doors(Door("POST", "/redactions/{redaction}/edit", "form")),
    "review.reject": _doors(Door("POST", "/redactions/{redaction}/reject", "form")),
    "review.withdraw": _doors(Door("POST", "/redactions/{redaction}/withdraw", "form")),
    "releases.show": _doors(Door("GET", "/releases/{release}")),
    "releases.download": _doors(
        *(Door("GET", f"/releases/{{release}}.{kind}") for kind in ("pdf", "txt", "json"))
    ),
    "imports.upload": _doors(Door("POST", "/import", "import-upload")),
    "audit.log": _doors(Door("GET", "/audit/?object={cable}", shape_only=True)),
    "cables.list_versions": _doors(Door("GET", "/cables/{cable}/versions")),
    "cables.show_version": _doors(
        Door("GET", "/cables/{cable}/versions/1"), Door("GET", "/cables/{decl}/versions/{version}")
    ),
    "cables.diff_cable": _doors(
        Door("GET", "/cables/{cable}/diff"),
        Door("GET", "/cables/{decl}/diff?from={version}&to=2"),
    ),
    "cables.resolve_carry_over": _doors(
        Door("POST", "/cables/{cable}/carry-over/1/resolve", "form")
    ),
    "twins.apply": _doors(Door("POST", "/cables/{cable}/portions/0/twins/apply", "form")),
    "api.get_cable": _doors(
        Door("GET", "/api/v1/cables/{cable}"),
        Door("GET", "/api/v1/cables/{decl}?version={version}"),
    ),
    "api.cable_diff": _doors(
        Door("GET", "/api/v1/cables/{cable}/diff"),
        Door("GET", "/api/v1/cables/{decl}/diff?from={version}&to=2"),
        Door("GET", "/api/v1/cables/{decl}/diff?version={version}"),
    ),
    "api.review_portion": _doors(Door("POST", "/api/v1/cables/{cable}/portions/0/review")),
    "api.propose": _doors(Door("POST", "/api/v1/cables/{cable}/redactions", "json")),
    "api.release_cable": _doors(Door("POST", "/api/v1/cables/{cable}/releases", "json")),
    "api.import_cables": _doors(Door("POST", "/api/v1/cables", "import-json")),
    "api.edit": _doors(Door("PATCH", "/api/v1/redactions/{redaction}", "json")),
    "api.approve": _doors(Door("POST", "/api/v1/redactions/{redaction}/approve", "json")),
    "api.reject": _doors(Door("POST", "/api/v1/redactions/{redaction}/reject", "json")),
    "api.withdraw": _doors(Door("POST", "/api/v1/redactions/{redaction}/withdraw", "json")),
    "api.list_comments": _doors(Door("GET", "/api/v1/redactions/{redaction}/comments")),
    "api.add_comment": _doors(Door("POST", "/api/v1/redactions/{redaction}/comments", "json")),
    "api.get_release": _doors(Door("GET", "/api/v1/releases/{release}")),
    "api.release_artifact": _doors(
        *(Door("GET", f"/api/v1/releases/{{release}}/artifacts/{kind}")
          for kind in ("pdf", "txt", "json"))
    ),
    "api.audit_log": _doors(Door("GET", "/api/v1/audit?object={cable}", shape_only=True)),
    "held.show_held": _doors(Door("GET", "/held-imports/{held}")),
    "held.apply_held": _doors(Door("POST", "/held-imports/{held}/apply", "form")),
    "held.discard_held": _doors(Door("POST", "/held-imports/{held}/discard", "form")),
    "declassify.request_declassification": _doors(
        Door("POST", "/cables/{cable}/declassification", "form")
    ),
    "declassify.show_request": _doors(Door("GET", "/declassifications/{declass}")),
    "declassify.approve": _doors(Door("POST", "/declassifications/{declass}/approve", "form")),
    "declassify.reject": _doors(Door("POST", "/declassifications/{declass}/reject", "form")),
    "occurrences.show": _doors(
        Door("GET", "/cables/{cable}/occurrences"),
        Door("GET", "/cables/{cable}/occurrences?start=0&end=4"),
    ),
    "occurrences.propose_all": _doors(Door("POST", "/redactions/{redaction}/occurrences", "form")),
    "occurrences.request_release": _doors(
        Door("POST", "/cables/{cable}/occurrences/release", "form")
    ),
    "occurrences.approve": _doors(
        Door("POST", "/occurrence-decisions/{occdec}/approve", "form")
    ),
    "occurrences.reject": _doors(Door("POST", "/occurrence-decisions/{occdec}/reject", "form")),
    "occurrences.withdraw": _doors(
        Door("POST", "/occurrence-decisions/{occdec}/withdraw", "form")
    ),
    "api.selection_occurrences": _doors(
        Door("GET", "/api/v1/cables/{cable}/occurrences"),
        Door("GET", "/api/v1/cables/{cable}/occurrences?start=0&end=4"),
    ),
    "api.redaction_occurrences": _doors(Door("GET", "/api/v1/redactions/{redaction}/occurrences")),
    "api.propose_occurrences": _doors(
        Door("POST", "/api/v1/redactions/{redaction}/occurrences", "json")
    ),
    "api.list_conflicts": _doors(Door("GET", "/api/v1/cables/{cable}/conflicts")),
    "api.get_twins": _doors(Door("GET", "/api/v1/cables/{cable}/twins")),
    "api.apply_twin": _doors(
        Door("POST", "/api/v1/cables/{cable}/portions/0/twins/apply", "json")
    ),
    "api.request_occurrence_release": _doors(
        Door("POST", "/api/v1/cables/{cable}/occurrence-decisions", "json")
    ),
    **{
        f"api.{action}_occurrence_release": _doors(
            Door("POST", f"/api/v1/occurrence-decisions/{{occdec}}/{action}", "json")
        )
        for action in ("approve", "reject", "withdraw")
    },
}

#: Endpoints that take no id of a cable, version, redaction, release or audit entry, and why
#: they are not doors (lists are scanned for leaks by tests/test_access_matrix.py).
NOT_DOORS: dict[str, str] = {
    "cables.index": "a redirect",
    "cables.dashboard": "queues of visible cables only (access matrix)",
    "cables.list_cables": "a list behind visible_cables (access matrix)",
    "held.list_held": "a list filtered by clearance (tests/security/test_held_imports.py)",
    "imports.upload_form": "a form",
    "api.list_cables": "a list behind visible_cables (access matrix)",
    "api.openapi_spec": "public description, no data",
    "api.audit_verify": "verifies the chain; names no entry",
    "audit.export": "the CSV of the audit page, withheld the same way (audit tests)",
    "audit.verify_now": "verifies the chain; names no entry",
    "auth.login": "accounts",
    "auth.logout": "accounts",
    "auth.change_password": "accounts",
    "tokens.list_tokens": "accounts",
    "tokens.create": "accounts",
    "tokens.revoke": "accounts",
    "admin.users": "accounts",
    "admin.create_user": "accounts",
    "admin.edit_user": "accounts",
    "admin.set_active": "accounts",
    "admin.set_clearance": "accounts",
    "admin.reset_password": "accounts",
    "admin.set_roles": "accounts",
    "releases.index": "a list behind visible_cables (test_release_pages)",
    "releases.package": "ids in the form; one above the clearance answers like an unknown"
    " one (test_release_pages)",
    "static": "files of the application",
}
_ID_ARGUMENTS = ("reference_id", "redaction_id", "release_id", "held_id", "request_id",
                 "decision_id")


def test_every_route_is_in_the_inventory(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(DOORS) - set(NOT_DOORS) == set(), "list the new routes in DOORS"
    assert set(DOORS) & set(NOT_DOORS) == set()
    assert set(DOORS) - endpoints == set(), "stale entries in DOORS"
    for rule in app.url_map.iter_rules():
        if any(f"{name}>" in rule.rule for name in _ID_ARGUMENTS):
            assert rule.endpoint in DOORS, rule.rule
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert any(d.method == method for d in DOORS[rule.endpoint]), (rule, method)


# --------------------------------------------------------------------------- the world


@pytest.fixture
def world(session, make_cable, make_user) -> World:
    """The SECRET cable with a redaction and a release, and the declassified cable."""
    top, _ = make_user("inv-top", roles=[Role.REVIEWER], clearance=Level.TOP_SECRET)
    releaser, _ = make_user("inv-rel", roles=[Role.RELEASE_AUTHORITY])
    cable = make_cable(HIDDEN, "SECRET", subject=f"INVENTORY {WORD}")
    portion = session.scalars(
        select(Portion).where(Portion.version_id == cable.versions[-1].id, Portion.kind ==
                              "portion").order_by(Portion.index)
    ).first()
    made = redactions.propose(session, top, cable, start=portion.start + 5,
                              end=portion.start + 12, codes=["B6"], rationale="r")
    # Distinctive ids, so that making them alike in two answers touches nothing else.
    session.execute(update(Redaction).where(Redaction.id == made.id).values(id=HIDDEN_ID))
    release = Release(id=HIDDEN_ID + 1, cable_id=cable.id, version_id=cable.versions[-1].id,
                      case_number="M-2099-00009", doc_number="C9900009",
                      disposition="RELEASED IN PART", released_by_id=releaser.id, record={})
    session.add(release)
    session.flush()
    for kind in ("pdf", "txt", "json"):
        data = f"{HIDDEN} {WORD}".encode()
        session.add(ReleaseArtifact(release_id=release.id, name=kind, media_type="text/plain",
                                    sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                                    data=data))
    # A file held for it, and a request to declassify it, with the same distinctive id.
    held_text = cable_text(HIDDEN, "SECRET", subject=f"HELD {WORD}")
    session.add(HeldImport(id=HIDDEN_ID, reference_id=HIDDEN, level=int(Level.SECRET),
                           text=held_text, sha256=hashlib.sha256(held_text.encode()).hexdigest(),
                           source_name=f"{WORD}.txt"))
    session.add(DeclassificationRequest(id=HIDDEN_ID, cable_id=cable.id,
                                        from_level=int(Level.SECRET), to_level=0,
                                        from_version=1, reason=f"r {WORD}",
                                        proposer_id=top.id))
    # A request to release an occurrence of it, with the same distinctive id.
    session.add(OccurrenceDecision(id=HIDDEN_ID, cable_id=cable.id,
                                   version_id=cable.versions[-1].id, start=0, end=4,
                                   reason=f"r {WORD}", proposer_id=top.id, status="pending",
                                   decision_reason=""))
    session.commit()
    make_cable(DECL, "SECRET", subject=f"DECL {WORD}")
    make_cable(DECL, "UNCLASSIFIED", subject="DECLASSIFIED")
    session.execute(update(Cable).where(Cable.reference_id == DECL).values(level=0))
    session.commit()
    return World(redaction=HIDDEN_ID, release=release.id)


@pytest.fixture
def low(app, session, make_user, login):
    """A client of a CONFIDENTIAL user holding every role: ``ask(door, **ids)``."""
    user, password = make_user("inv-low", roles=list(Role), clearance=Level.CONFIDENTIAL)
    _t, bearer = create_token(session, None, user, "inv")
    session.commit()
    client = app.test_client()
    login(client, "inv-low", password)
    token = find_csrf_token(client.get("/account/password").get_data(as_text=True))
    session.rollback()

    def ask(door: Door, ref: str, number: int, version: int) -> tuple[int, str]:
        url = door.url.format(cable=ref, redaction=number, release=number, version=version,
                              decl=DECL, held=number, declass=number, occdec=number)
        headers = {"Authorization": f"Bearer {bearer}"} if url.startswith("/api/") else {}
        kwargs: dict = {}
        if door.send == "form":
            kwargs["data"] = {**FORM, "csrf_token": token}
        elif door.send == "json":
            kwargs["json"] = JSON_BODY
        elif door.send == "import-json":
            kwargs["json"] = {"cables": [{"name": "f.txt", "text": cable_text(ref, "SECRET")}]}
        elif door.send == "import-upload":
            kwargs["data"] = {"csrf_token": token,
                              "files": [(io.BytesIO(cable_text(ref, "SECRET").encode()), "f.txt")]}
            kwargs["content_type"] = "multipart/form-data"
        response = client.open(url, method=door.method, headers=headers, **kwargs)
        body = response.get_data(as_text=True)
        response.close()
        session.rollback()
        return response.status_code, body

    return ask


_CSRF = re.compile(r'(name="csrf[-_]token" (?:content|value)=")[^"]*"|(value=")[^"]{60,}"')


def _alike(body: str, *names: str) -> str:
    body = _CSRF.sub(lambda m: (m.group(1) or m.group(2)) + '"', body)
    for name in names:
        body = re.sub(rf"(?<![0-9A-Z]){re.escape(name)}(?![0-9A-Z])", "<ID>", body)
    return body


def _shape(body: str) -> tuple[int, ...]:
    return (body.count("<tr"), body.count('"seq"'), body.count('"object_type": "cable"'))


@pytest.mark.parametrize("endpoint", sorted(DOORS))
def test_a_door_answers_a_user_below_the_level_as_for_an_unknown_id(
    world, low, session, endpoint
):
    for door in DOORS[endpoint]:
        hidden_id = world.release if "{release}" in door.url else world.redaction
        seen = low(door, HIDDEN, hidden_id, 1)
        unknown = low(door, UNKNOWN, UNKNOWN_ID, 99)
        assert seen[0] == unknown[0], (door, seen[0], unknown[0])
        assert seen[0] < 500, door
        # (The reference id itself may be echoed: the caller typed it.)
        assert WORD not in seen[1], door
        if door.shape_only:
            assert _shape(seen[1]) == _shape(unknown[1]), door
        else:
            names_seen = (HIDDEN, str(hidden_id))
            assert _alike(seen[1], *names_seen) == _alike(unknown[1], UNKNOWN, str(UNKNOWN_ID))
    # Nothing of the hidden cable changed through any door.
    cable = session.scalars(select(Cable).where(Cable.reference_id == HIDDEN)).one()
    assert (cable.current_version, cable.level) == (1, Level.SECRET)
    session.rollback()


# --------------------------------------------------------------------------- services


def _hidden(session):
    return session.scalars(select(Cable).where(Cable.reference_id == HIDDEN)).one()


def _decl(session):
    return session.scalars(select(Cable).where(Cable.reference_id == DECL)).one()


def _redaction(session, world):
    return session.get(Redaction, world.redaction)


#: Every public service function that loads or changes what a door names, with a probe that
#: calls it for the hidden cable (or its redaction or release) as the low user.
SERVICES: dict[str, Callable] = {
    "access.get_visible_cable": lambda s, a, w: access.get_visible_cable(s, a, HIDDEN),
    "access.get_visible_version": lambda s, a, w: access.get_visible_version(
        s, a, s.scalars(select(Cable).where(Cable.reference_id == DECL)).one(), 1),
    "review.require_visible": lambda s, a, w: review.require_visible(a, _hidden(s)),
    "review.mark_portion_reviewed": lambda s, a, w: review.mark_portion_reviewed(
        s, a, _hidden(s), 0),
    "review.mark_unclassified_portions_reviewed":
        lambda s, a, w: review.mark_unclassified_portions_reviewed(s, a, _hidden(s)),
    "review.redactions_for_cable": lambda s, a, w: review.redactions_for_cable(
        s, a, _hidden(s)),
    "redaction.propose": lambda s, a, w: redactions.propose(
        s, a, _hidden(s), start=0, end=4, codes=["B6"]),
    "redaction.withhold_portion": lambda s, a, w: redactions.withhold_portion(
        s, a, _hidden(s), 0, codes=["B6"]),
    "redaction.approve": lambda s, a, w: redactions.approve(
        s, a, _redaction(s, w), expected_row_version=1),
    "redaction.reject": lambda s, a, w: redactions.reject(
        s, a, _redaction(s, w), expected_row_version=1, reason="x"),
    "redaction.edit": lambda s, a, w: redactions.edit(
        s, a, _redaction(s, w), expected_row_version=1, rationale="x"),
    "redaction.withdraw": lambda s, a, w: redactions.withdraw(
        s, a, _redaction(s, w), expected_row_version=1),
    "redaction.comment": lambda s, a, w: redactions.comment(s, a, _redaction(s, w), "x"),
    "release.release_cable": lambda s, a, w: releases.release_cable(s, a, _hidden(s)),
    "release_plan.plan_release": lambda s, a, w: release_plan.plan_release(s, a, _hidden(s)),
    "release.get_release": lambda s, a, w: releases.get_release(s, a, w.release),
    "release.get_artifact": lambda s, a, w: releases.get_artifact(s, a, w.release, "txt"),
    "pages.load_review": lambda s, a, w: pages.load_review(
        s, a, _hidden(s), approvals_required=1, today=__import__("datetime").date.today()),
    "pages.load_preview": lambda s, a, w: pages.load_preview(
        s, a, _hidden(s), approvals_required=1),
    "pages.version_page": lambda s, a, w: pages.version_page(s, _hidden(s), a),
    "history.versions_model": lambda s, a, w: history.versions_model(s, a, _hidden(s)),
    "history.version_model": lambda s, a, w: history.version_model(s, a, _decl(s), 1),
    "history.diff_model": lambda s, a, w: history.diff_model(
        s, a, _decl(s), from_version=1, to_version=2, approvals_required=1),
    "carryover.resolve": lambda s, a, w: carryover.resolve(s, a, _hidden(s), 1),
    "history.banner_model": lambda s, a, w: history.banner_model(s, a, _hidden(s)),
    "held.get_held": lambda s, a, w: held.get_held(s, a, HIDDEN_ID),
    "held.held_view": lambda s, a, w: held.held_view(s, a, HIDDEN_ID),
    "held.apply_held": lambda s, a, w: held.apply_held(
        s, a, HIDDEN_ID, expected_row_version=1, max_bytes=10**6),
    "held.discard_held": lambda s, a, w: held.discard_held(
        s, a, HIDDEN_ID, expected_row_version=1, reason="x"),
    "declassify.request_declassification": lambda s, a, w: declassify.request_declassification(
        s, a, _hidden(s), to_level=0, reason="x"),
    "declassify.get_request": lambda s, a, w: declassify.get_request(s, a, HIDDEN_ID),
    "declassify.request_view": lambda s, a, w: declassify.request_view(s, a, HIDDEN_ID),
    "declassify.decide": lambda s, a, w: declassify.decide(
        s, a, HIDDEN_ID, approve=True, expected_row_version=1),
    "declassify.cable_panel": lambda s, a, w: declassify.cable_panel(s, a, _hidden(s)),
    "occurrences.occurrences_of": lambda s, a, w: redaction_occurrences.occurrences_of(
        s, a, _redaction(s, w)),
    "occurrences.occurrences_of_span": lambda s, a, w:
        redaction_occurrences.occurrences_of_span(s, a, _hidden(s), 0, 4),
    "occurrences.get_redaction": lambda s, a, w: redaction_occurrences.get_redaction(
        s, a, w.redaction),
    "occurrences.propose_linked": lambda s, a, w: redaction_occurrences.propose_linked(
        s, a, _redaction(s, w)),
    "occurrences.request_release": lambda s, a, w: occurrence_decisions.request_release(
        s, a, _hidden(s), start=0, end=4, reason="x"),
    "occurrences.get_decision": lambda s, a, w: occurrence_decisions.get_decision(
        s, a, HIDDEN_ID),
    "occurrences.decide_release": lambda s, a, w: occurrence_decisions.decide_release(
        s, a, HIDDEN_ID, action="approve", expected_row_version=1),
    "occurrences.pending_releases": lambda s, a, w: occurrence_decisions.pending_releases(
        s, a, _hidden(s)),
    "occurrence_pages.panel": lambda s, a, w: occurrence_pages.panel(s, a, _hidden(s)),
    "occurrence_pages.conflicts_now": lambda s, a, w: occurrence_pages.conflicts_now(
        s, a, _hidden(s)),
}
#: Public functions that take no acting user: called only after a door above has checked
#: the actor (or, for visible_versions, filtering is their whole job: tested below).
TRUSTED_HELPERS = {
    "access.may_see_version", "access.record_view", "access.visible_versions",
    "review.lock_cable", "review.version_of", "review.valid_approvals",
    "review.refresh_cable_status", "review.approved_redactions", "review.approved_spans",
    "release.build_document", "release.diff_cable", "pages.portion_title",
    # Steps inside a redaction service, after or as part of its clearance check
    # (redaction.prepare is that check: it raises NotFound, tested through every service).
    "redaction.cable_of", "redaction.lock_redaction", "redaction.check_version",
    "redaction.snapshot", "redaction.touch", "redaction.prepare", "redaction.lock",
    "redaction.place_span",
    # The release's readiness and its preview document, of a cable the door has loaded.
    "release_plan.is_ready", "building.preview_document", "building.build_document",
    "building.portion_contents", "building.document_of", "building.printed_reference",
    "release_pages.readiness",
    "release_pages.releases_of_cable", "release_pages.reference_of", "release_pages.release_row",
    # Given a redaction or version the caller already loaded through the door; no actor.
    "review.effective_status", "review.open_change", "review.outstanding_redactions",
    "review.left_behind",
    # Given a cable (and its request) the caller loaded through the door; no actor.
    "declassify.pending_on", "declassify.is_void",
    # Given a version (and its approved redactions) the caller loaded through the door.
    "occurrences.gate_conflicts", "review.hiding_redactions",
    "occurrences.occurrence_views", "occurrences.version_state",
    "occurrences.open_decisions", "occurrences.checked_span",
}
# (short name, module): the redaction services live in three modules under one name.
_MODULES = [("access", access), ("review", review), ("release", releases),
            ("release_pages", release_pages), ("release_plan", release_plan),
            ("building", building), ("redaction", redactions),
            ("redaction", redaction_decisions), ("redaction", redaction_common),
            ("pages", pages), ("history", history), ("carryover", carryover),
            ("held", held), ("declassify", declassify),
            ("occurrences", redaction_occurrences), ("occurrences", occurrence_decisions),
            ("occurrence_pages", occurrence_pages)]
_LOADS = {"reference_id", "release_id", "redaction_id", "cable", "redaction", "number",
          "version_number", "version", "release", "held_id", "request_id"}


def test_every_service_that_loads_a_cable_is_in_the_inventory():
    found = set()
    for short, module in _MODULES:
        for name, function in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(function):
                continue
            if function.__module__ != module.__name__:
                continue
            if set(inspect.signature(function).parameters) & _LOADS:
                found.add(f"{short}.{name}")
    assert found - set(SERVICES) - TRUSTED_HELPERS == set(), "list new services in SERVICES"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_a_service_treats_a_hidden_object_as_unknown(world, session, make_user, name):
    user, _ = make_user("inv-svc", roles=list(Role), clearance=Level.CONFIDENTIAL)
    with pytest.raises(NotFound):
        SERVICES[name](session, user, world)
    session.rollback()


def test_visible_versions_lists_only_the_versions_a_user_is_cleared_for(
    world, session, make_user
):
    user, _ = make_user("inv-vv", roles=[Role.REVIEWER], clearance=Level.CONFIDENTIAL)
    decl = session.scalars(select(Cable).where(Cable.reference_id == DECL)).one()
    assert [v.number for v in access.visible_versions(session, user, decl)] == [2]
    assert access.visible_versions(session, user, _hidden(session)) == []
    session.rollback()
