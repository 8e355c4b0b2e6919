"""The access matrix: every route x every role x every clearance x every classification.

Nothing above a user's clearance is ever returned: for every GET route in ``app.url_map``
(with its arguments filled in from :data:`SAMPLES`), the reference id and the distinctive
subject word of each cable above the user's clearance never appear in the body or headers,
and a URL naming such a cable answers exactly as one naming a cable that does not exist.
Every state-changing route refuses a request without a CSRF token and changes nothing.

A new route whose arguments this module cannot fill makes the tests fail (rather than be
skipped): add a sample for its argument to :data:`SAMPLES`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import product

import pytest
from sqlalchemy import func, select

from redactor.accounts.tokens import create_token
from redactor.models import AuditEntry, Release, ReleaseArtifact
from redactor.review.policy import Level, Role

#: One cable per classification: (level, classification line, reference id, subject word).
CABLES = [
    (Level.UNCLASSIFIED, "UNCLASSIFIED", "09ZQXUNC1", "QUOKKAUNC"),
    (Level.CONFIDENTIAL, "CONFIDENTIAL", "09ZQXCON1", "QUOKKACON"),
    (Level.SECRET, "SECRET//NOFORN", "09ZQXSEC1", "QUOKKASEC"),
    (Level.TOP_SECRET, "TOP SECRET", "09ZQXTOP1", "QUOKKATOP"),
]
UNKNOWN_REFERENCE = "09ZQXNONE1"
SEARCHES = ["q=matrix", "q=quokka*", "q=09zqx*", "q=embassy&origin=Embassy+QUOKKATOP"]
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?(?P<name>\w+)>")


UNKNOWN_ID = 987654


@dataclass(frozen=True)
class World:
    """What the samples may refer to: a user, and one release of each cable."""

    target_user_id: int
    releases: dict[str, int]


#: Sample values for each route argument, by (converter, name). A value is a list of
#: (value, reference id of the cable it designates or None).
SAMPLES: dict[tuple[str, str], Callable[[World], list[tuple[str, str | None]]]] = {
    ("default", "reference_id"): lambda world: [(ref, ref) for _, _, ref, _ in CABLES]
    + [(UNKNOWN_REFERENCE, UNKNOWN_REFERENCE)],
    ("int", "user_id"): lambda world: [(str(world.target_user_id), None)],
    ("int", "release_id"): lambda world: [(str(rid), ref) for ref, rid in world.releases.items()]
    + [(str(UNKNOWN_ID), UNKNOWN_REFERENCE)],
    ("path", "filename"): lambda world: [("css/app.css", None)],
    ("int", "index"): lambda world: [("0", None)],
    ("int", "redaction_id"): lambda world: [(str(UNKNOWN_ID), None)],
    ("int", "token_id"): lambda world: [(str(UNKNOWN_ID), None)],
    ("int", "number"): lambda world: [("1", None), ("2", None)],  # a cable's versions
    ("int", "item_id"): lambda world: [("1", None)],  # a carry-over item
    # Held imports and declassification requests of hidden cables: tests/security/.
    ("int", "held_id"): lambda world: [(str(UNKNOWN_ID), None)],
    ("int", "request_id"): lambda world: [(str(UNKNOWN_ID), None)],
    # Requests to release an occurrence of a hidden cable: tests/security/.
    ("int", "decision_id"): lambda world: [(str(UNKNOWN_ID), None)],
    ("any", "name"): lambda world: [("pdf", None), ("txt", None), ("json", None)],
}


@dataclass(frozen=True)
class Target:
    """One concrete URL of a route, and the cable it names (if any)."""

    rule: str
    url: str
    cable: str | None


def route_arguments(rule: str) -> list[tuple[str, str]]:
    """``(converter, name)`` of each argument of a URL rule string."""
    return [(m.group("converter") or "default", m.group("name")) for m in _ARGUMENT.finditer(rule)]


def unfillable(app) -> list[str]:
    """Rules with an argument :data:`SAMPLES` does not know."""
    return sorted(
        f"{rule.rule} ({converter}:{name})"
        for rule in app.url_map.iter_rules()
        for converter, name in route_arguments(rule.rule)
        if (converter, name) not in SAMPLES
    )


def targets(app, world: World, methods: set[str]) -> Iterator[Target]:
    """Every URL of every rule accepting one of ``methods``, with its arguments filled."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not (rule.methods or set()) & methods:
            continue
        arguments = route_arguments(rule.rule)
        choices = [SAMPLES[key](world) for key in arguments]
        for combination in product(*choices):
            url, cable = rule.rule, None
            for (_converter, name), (value, designates) in zip(arguments, combination, strict=True):
                url = _ARGUMENT.sub(
                    lambda m, n=name, v=value: v if m.group("name") == n else m.group(0), url
                )
                cable = designates or cable
            yield Target(rule.rule, url, cable)
            if not arguments and "GET" in methods:
                # Query-driven pages (search, filters) get asked for every cable, with words
                # that match them all but are none of the tokens looked for (a page may echo
                # the query back).
                for query in SEARCHES:
                    yield Target(rule.rule, f"{url}?{query}", None)


def _fetch(client, url: str, bearer: str | None = None):
    # The JSON API under /api/ is authenticated by a bearer token, never by the cookie.
    headers = {"Authorization": f"Bearer {bearer}"} if bearer and url.startswith("/api/") else {}
    response = client.get(url, headers=headers)
    body = response.get_data(as_text=True)
    response.close()
    headers = "\n".join(f"{key}: {value}" for key, value in response.headers.items())
    return response.status_code, (body + "\n" + headers).upper()


@pytest.fixture
def matrix_cables(session, make_cable, make_user) -> dict[str, int]:
    """The cables of :data:`CABLES`, each with a release; returns {reference id: release id}.

    The releases are stand-ins written directly (the release workflow has its own tests):
    each file holds the cable's reference id and word, so a download that should be refused
    and is not shows up in the scan.
    """
    releaser, _ = make_user("matrix-releaser", roles=[Role.RELEASE_AUTHORITY])
    releases: dict[str, int] = {}
    for n, (_level, classification, ref, word) in enumerate(CABLES):
        cable = make_cable(ref, classification, subject=f"MATRIX {word}", origin=f"Embassy {word}")
        release = Release(
            cable_id=cable.id,
            version_id=cable.versions[-1].id,
            case_number=f"M-2099-{n:05d}",
            doc_number=f"C99{n:05d}",
            disposition="RELEASED IN PART",
            released_by_id=releaser.id,
            record={},
        )
        session.add(release)
        session.flush()
        for kind, media in (("txt", "text/plain"), ("json", "application/json"),
                            ("pdf", "application/pdf")):
            data = f"{ref} MATRIX {word}".encode()
            session.add(ReleaseArtifact(
                release_id=release.id, name=kind, media_type=media,
                sha256=hashlib.sha256(data).hexdigest(), size=len(data), data=data,
            ))
        releases[ref] = release.id
    session.commit()  # also ends the read transaction (on SQLite it holds the write lock)
    return releases


def test_every_route_argument_has_a_sample(app):
    assert unfillable(app) == [], "add samples for these route arguments to SAMPLES"


def test_the_matrix_covers_the_cable_routes(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/cables", "/cables/<reference_id>", "/login"} <= rules


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_no_route_returns_a_cable_above_the_users_clearance(
    app, session, matrix_cables, make_user, login, role
):
    assert unfillable(app) == []
    target_user, _ = make_user("matrix-target", roles=[Role.REVIEWER], clearance=Level.SECRET)
    world = World(target_user_id=target_user.id, releases=matrix_cables)
    checked = 0
    for clearance in Level:
        client = app.test_client()
        _user, password = make_user(f"m-{role.value}-{int(clearance)}", roles=[role],
                                    clearance=clearance)
        login(client, f"m-{role.value}-{int(clearance)}", password)
        _token, bearer = create_token(session, None, _user, "matrix")
        session.commit()
        hidden = [(ref, word) for level, _, ref, word in CABLES if level > clearance]
        unknown_status: dict[str, int] = {}
        for target in targets(app, world, {"GET"}):
            status, text = _fetch(client, target.url, bearer)
            assert status < 500, (target.url, status)
            for ref, word in hidden:
                assert ref not in text and word not in text, (role, clearance, target.url, ref)
            if target.cable == UNKNOWN_REFERENCE:
                unknown_status[target.rule] = status
            checked += 1
        # A URL naming a hidden cable answers exactly as one naming no cable at all.
        for target in targets(app, world, {"GET"}):
            if target.cable in {ref for ref, _ in hidden}:
                status, _ = _fetch(client, target.url, bearer)
                assert status == unknown_status[target.rule], (target.url, status)
                assert status in (403, 404), (target.url, status)
        # And a visible cable's own page is really there (the matrix is not vacuous).
        for level, _, ref, word in CABLES:
            if level <= clearance:
                status, text = _fetch(client, f"/cables/{ref}")
                assert status == 200 and word in text
                status, text = _fetch(client, f"/releases/{matrix_cables[ref]}.txt")
                assert status == 200 and word in text
                status, text = _fetch(client, f"/api/v1/cables/{ref}", bearer)
                assert status == 200 and word in text
    assert checked > 0


def test_anonymous_visitors_see_no_cable(app, matrix_cables, make_user):
    target_user, _ = make_user("matrix-target")
    client = app.test_client()
    for target in targets(app, World(target_user.id, matrix_cables), {"GET"}):
        status, text = _fetch(client, target.url)
        assert status < 500, (target.url, status)
        if status == 302:
            # A local redirect (to the sign-in page, which carries the asked-for path in
            # ?next=, or from / to /cables): it echoes the request and nothing else.
            assert "\nLOCATION: /" in text, target.url
            continue
        for _, _, ref, word in CABLES:
            assert word not in text and ref not in text, target.url


def test_every_state_changing_route_refuses_a_request_without_csrf_token(
    app, session, matrix_cables, make_user, login
):
    assert unfillable(app) == []
    target_user, _ = make_user("matrix-target", roles=[Role.REVIEWER])
    _admin, password = make_user("matrix-boss", roles=list(Role), clearance=Level.TOP_SECRET)
    client = app.test_client()
    login(client, "matrix-boss", password)
    count = session.scalar(select(func.count()).select_from(AuditEntry))
    session.commit()
    seen = 0
    for target in targets(app, World(target_user.id, matrix_cables), STATE_CHANGING):
        if target.url.startswith("/api/"):
            continue  # bearer tokens, not cookies: the cookie gets 401 there (test_api.py)
        rule = next(r for r in app.url_map.iter_rules() if r.rule == target.rule)
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            response = client.open(target.url, method=method, data={"username": "x"})
            response.close()
            assert response.status_code == 400, (method, target.url, response.status_code)
            seen += 1
    assert seen > 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == count
    session.commit()  # end the read transaction: on SQLite it holds the write lock
    assert client.get("/cables").status_code == 200  # still signed in: logout refused too
