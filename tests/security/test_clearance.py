"""The clearance promise, attacked: one door to a cable, and levels that are facts of each
version.

The attacker is an insider with a low clearance and the import right (a reviewer, or an
administrator), or a reader with a low clearance. Each test tries what the review did:

- import a file for a hidden cable, to learn that it exists (``unchanged`` / ``new
  version``), whether a guessed text is its text, to overwrite its text, or to lower its
  level with ``UNCLASSIFIED`` on line 4 (through the API, the upload page and the CLI);
- read an older version, or diff one, above one's clearance;
- read a cable whose line 4 says less than its banner, subject or portion markings.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from redactor.accounts.tokens import create_token
from redactor.cli.importing import import_command
from redactor.models import AuditEntry, Cable, CableVersion
from redactor.review.policy import Level, Role
from tests.conftest import TEST_AUDIT_KEY
from tests.fixtures_accounts import find_csrf_token
from tests.fixtures_store import cable_text

HIDDEN = "09ZQXHID1"  # a SECRET cable
UNSEEN = "09ZQXNEW1"  # a reference id the store has never seen
SECRET_BODY = (
    "1. (S) The minister named AGENT QUOKKA as the source.\n\n"
    "2. (S) Comment: keep this close. End comment."
)


def snapshot(session, reference_id: str) -> tuple:
    """Everything of a cable an import could change."""
    cable = session.scalars(
        select(Cable)
        .where(Cable.reference_id == reference_id)
        .execution_options(populate_existing=True)
    ).one()
    versions = session.execute(
        select(CableVersion.number, CableVersion.sha256, CableVersion.text)
        .where(CableVersion.cable_id == cable.id)
        .order_by(CableVersion.number)
    ).all()
    state = (cable.level, cable.classification, cable.current_version, cable.status,
             cable.row_version, cable.subject, tuple(versions))
    session.rollback()  # on SQLite an open read holds the write lock the next request needs
    return state


def neutral(text: str, *names: str) -> str:
    """``text`` with the given names (reference ids, file names) made alike."""
    for name in names:
        text = text.replace(name, "<REF>")
    return text


@pytest.fixture
def hidden(session, make_cable):
    """The SECRET cable, as the system imported it; returns its stored text."""
    make_cable(HIDDEN, "SECRET", body=SECRET_BODY, subject="QUOKKA SOURCE")
    text = session.scalar(select(CableVersion.text))
    session.rollback()
    return text


def guesses(hidden_text: str) -> dict[str, str]:
    """The files an attacker sends for the hidden cable: its exact text (an equality
    guess), and a changed text saying UNCLASSIFIED on line 4 (an overwrite that would lower
    the level)."""
    lowered = cable_text(HIDDEN, "UNCLASSIFIED", subject="QUOKKA SOURCE")
    return {"same": hidden_text, "lowered": lowered}


@pytest.fixture(params=[Role.REVIEWER, Role.ADMIN], ids=["reviewer", "admin"])
def importer(request, make_user, session):
    """A CONFIDENTIAL importer with a bearer token: ``(user, password, token)``."""
    user, password = make_user("low-importer", roles=[request.param],
                               clearance=Level.CONFIDENTIAL)
    _token, secret = create_token(session, None, user, "attack")
    session.commit()
    return user, password, secret


def api_import(client, token: str, files: list[tuple[str, str]]):
    response = client.post(
        "/api/v1/cables",
        json={"cables": [{"name": name, "text": text} for name, text in files]},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.status_code, response.get_json()


# --------------------------------------------------------------------------- import: API


@pytest.mark.parametrize("guess", ["same", "lowered"])
def test_api_import_of_a_hidden_cable_answers_as_an_unseen_id_and_changes_nothing(
    app, session, hidden, importer, guess
):
    _user, _password, token = importer
    before = snapshot(session, HIDDEN)
    text = guesses(hidden)[guess]
    client = app.test_client()
    status, answer = api_import(client, token, [(f"{HIDDEN}.txt", text)])
    # The same file for a reference id never seen: the answer the attacker must get.
    status_unseen, answer_unseen = api_import(
        client, token, [(f"{UNSEEN}.txt", text.replace(HIDDEN, UNSEEN))]
    )
    assert status == status_unseen == 200
    assert neutral(json.dumps(answer), HIDDEN) == neutral(json.dumps(answer_unseen), UNSEEN)
    assert snapshot(session, HIDDEN) == before
    # The file is not lost: it is held for a person cleared for the cable.
    from redactor.models import HeldImport  # imported here: the fail-first run lacks it

    held = session.scalars(select(HeldImport)).all()
    assert [(h.reference_id, h.text) for h in held] == [(HIDDEN, text)]
    assert held[0].level >= Level.SECRET
    session.rollback()


def test_a_low_importer_cannot_make_the_secret_text_readable(app, session, hidden, importer):
    user, _password, token = importer
    client = app.test_client()
    api_import(client, token, [(f"{HIDDEN}.txt", guesses(hidden)["lowered"])])
    for url in (f"/api/v1/cables/{HIDDEN}", f"/api/v1/cables/{HIDDEN}?version=1"):
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 404, url
        assert "QUOKKA" not in response.get_data(as_text=True)


# --------------------------------------------------------------------------- import: page


def upload(client, files: list[tuple[str, str]]) -> tuple[int, str]:
    token = find_csrf_token(client.get("/import").get_data(as_text=True))
    response = client.post(
        "/import",
        data={"csrf_token": token,
              "files": [(io.BytesIO(text.encode()), name) for name, text in files]},
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("guess", ["same", "lowered"])
def test_upload_of_a_hidden_cable_answers_as_an_unseen_id_and_changes_nothing(
    app, session, hidden, importer, login, guess
):
    user, password, _token = importer
    client = app.test_client()
    login(client, user.username, password)
    session.rollback()
    before = snapshot(session, HIDDEN)
    text = guesses(hidden)[guess]
    status, page = upload(client, [(f"{HIDDEN}.txt", text)])
    status_unseen, page_unseen = upload(client, [(f"{UNSEEN}.txt", text.replace(HIDDEN, UNSEEN))])
    assert status == status_unseen == 200
    summary = re.compile(r'id="import-summary">([^<]*)<')
    assert summary.search(page).group(1) == summary.search(page_unseen).group(1)
    assert summary.search(page).group(1).startswith("imported 1,")
    assert snapshot(session, HIDDEN) == before


# --------------------------------------------------------------------------- import: CLI


def test_cli_import_by_a_low_user_answers_as_an_unseen_id_and_changes_nothing(
    database_url, tmp_path, session, hidden, make_user
):
    make_user("low-cli", roles=[Role.REVIEWER], clearance=Level.UNCLASSIFIED)
    before = snapshot(session, HIDDEN)
    env = {"REDACTOR_DATABASE_URL": database_url, "REDACTOR_INSTANCE": str(tmp_path / "i"),
           "REDACTOR_AUDIT_KEY": TEST_AUDIT_KEY}
    outputs = []
    for reference_id in (HIDDEN, UNSEEN):
        folder = tmp_path / reference_id
        folder.mkdir()
        text = guesses(hidden)["lowered"].replace(HIDDEN, reference_id)
        (folder / "cable.txt").write_text(text, encoding="utf-8")
        result = CliRunner().invoke(
            import_command, ["--user", "low-cli", str(folder)], env=env, catch_exceptions=False
        )
        outputs.append((result.exit_code, result.output))
    assert outputs[0] == outputs[1] == (0, "imported 1, unchanged 0, new versions 0, failed 0\n")
    assert snapshot(session, HIDDEN) == before


def test_the_held_import_is_audited_and_withheld_from_a_low_auditor(
    app, session, hidden, make_user
):
    user, _ = make_user("low-both", roles=[Role.REVIEWER, Role.AUDITOR],
                        clearance=Level.CONFIDENTIAL)
    _token, token = create_token(session, None, user, "attack")
    session.commit()
    client = app.test_client()
    api_import(client, token, [(f"{HIDDEN}.txt", hidden)])
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "cable.import_held")
    ).one()
    assert HIDDEN in entry.payload
    session.rollback()
    log = client.get("/api/v1/audit?limit=200", headers={"Authorization": f"Bearer {token}"})
    assert HIDDEN not in log.get_data(as_text=True)


# --------------------------------------------------------------------------- levels never fall


def test_a_cleared_import_saying_unclassified_does_not_lower_the_cable(
    app, session, hidden, make_user
):
    # Even a cleared importer (here the system) cannot lower a level as a side effect:
    # version 1 stays SECRET, and so does the cable.
    admin, _ = make_user("top-admin", roles=[Role.ADMIN], clearance=Level.TOP_SECRET)
    reader, _ = make_user("low-reader", roles=[Role.REVIEWER], clearance=Level.UNCLASSIFIED)
    _t, admin_token = create_token(session, None, admin, "a")
    _t, reader_token = create_token(session, None, reader, "r")
    session.commit()
    client = app.test_client()
    status, answer = api_import(client, admin_token, [("v2.txt", guesses(hidden)["lowered"])])
    assert answer["files"][0]["status"] == "new_version"
    level = session.scalar(select(Cable.level).where(Cable.reference_id == HIDDEN))
    session.rollback()
    assert level == Level.SECRET
    for url in (f"/api/v1/cables/{HIDDEN}", f"/api/v1/cables/{HIDDEN}?version=1",
                f"/api/v1/cables/{HIDDEN}/diff?from=1&to=2"):
        response = client.get(url, headers={"Authorization": f"Bearer {reader_token}"})
        assert response.status_code == 404, url
        assert "QUOKKA" not in response.get_data(as_text=True)


# --------------------------------------------------------------------------- per-version levels


@pytest.fixture
def declassified(session, hidden, make_cable):
    """The SECRET cable with an UNCLASSIFIED version 2, the cable itself lowered to
    UNCLASSIFIED (as a declassification decision would): version 1 keeps its own level."""
    make_cable(HIDDEN, "UNCLASSIFIED", subject="QUOKKA SOURCE")
    session.execute(update(Cable).where(Cable.reference_id == HIDDEN).values(level=0))
    session.commit()


@pytest.fixture
def low_reader(app, session, make_user, login):
    user, password = make_user("low-reader", roles=list(Role), clearance=Level.UNCLASSIFIED)
    _t, token = create_token(session, None, user, "r")
    session.commit()
    client = app.test_client()
    login(client, "low-reader", password)
    session.rollback()

    def get(url: str):
        headers = {"Authorization": f"Bearer {token}"} if url.startswith("/api/") else {}
        response = client.get(url, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    return get


def test_an_older_version_above_the_readers_clearance_answers_as_an_unknown_version(
    declassified, low_reader
):
    status, page = low_reader(f"/api/v1/cables/{HIDDEN}")
    assert status == 200 and "QUOKKA SOURCE" in page  # the current version is readable
    reply = json.loads(page)
    assert [v["number"] for v in reply["versions"]] == [2]  # version 1 is not listed
    assert "AGENT" not in page
    pairs = [
        ("?version=1", "?version=99"),
        ("/diff?from=1&to=2", "/diff?from=99&to=2"),
        ("/diff?from=2&to=1", "/diff?from=2&to=99"),
        ("/diff?version=1", "/diff?version=99"),
    ]
    for hidden_query, unknown_query in pairs:
        base = f"/api/v1/cables/{HIDDEN}"
        status, body = low_reader(base + hidden_query)
        status_unknown, body_unknown = low_reader(base + unknown_query)
        assert status == status_unknown == 404, hidden_query
        assert body == body_unknown
        assert "AGENT" not in body


def test_the_pages_of_a_declassified_cable_show_only_the_current_version(
    declassified, low_reader
):
    for url in (f"/cables/{HIDDEN}", f"/cables/{HIDDEN}/preview"):
        status, page = low_reader(url)
        assert status == 200, url
        assert "AGENT" not in page


# --------------------------------------------------------------------------- line 4 is not alone


@pytest.mark.parametrize(
    "reference_id, text",
    [
        # A SECRET paragraph in a cable whose line 4 says CONFIDENTIAL.
        ("09ZQXPAR1", cable_text("09ZQXPAR1", "CONFIDENTIAL", body=SECRET_BODY)),
        # A SECRET banner over an UNCLASSIFIED line 4 (portions unmarked).
        ("09ZQXBAN1", cable_text("09ZQXBAN1", "UNCLASSIFIED",
                                 body="1. The minister named AGENT QUOKKA.")
         .replace("UNCLAS TESTVILLE", "S E C R E T TESTVILLE")),
        # A SECRET subject marking over an UNCLASSIFIED line 4.
        ("09ZQXSUB1", cable_text("09ZQXSUB1", "UNCLASSIFIED", subject="(S) AGENT QUOKKA",
                                 body="1. (U) Nothing here.")),
    ],
    ids=["portion", "banner", "subject"],
)
def test_a_marking_above_line_4_raises_the_level(
    session, make_cable, low_reader, reference_id, text
):
    from redactor.cables.service import import_cable

    outcome = import_cable(session, None, "f.txt", text.encode(), max_bytes=1_000_000)
    assert outcome.status.value == "imported", outcome.error
    session.commit()
    cable = session.scalars(select(Cable).where(Cable.reference_id == reference_id)).one()
    assert cable.level == Level.SECRET
    version = cable.versions[0]
    assert getattr(version, "level", None) == Level.SECRET
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "cable.import").order_by(
            AuditEntry.seq.desc())
    ).first()
    assert "above line 4" in entry.payload  # the raise is on record, as a warning
    session.rollback()
    for url in (f"/cables/{reference_id}", f"/api/v1/cables/{reference_id}"):
        status, page = low_reader(url)
        assert status == 404, url
        assert "AGENT" not in page


@pytest.mark.parametrize(
    "banner, level",
    [
        ("S E C R E T SECTION 01 OF 02 TEL AVIV 000145", Level.SECRET),
        ("S e c r e t nairobi 001938", Level.SECRET),
        ("C O N F I D E N T I A L LIMA 003764", Level.CONFIDENTIAL),
        ("O N F I D E N T I A L SECTION 01 OF 04 PARIS 004247", Level.CONFIDENTIAL),
        ("C C O N F I D E N T I A L SECTION 01 OF 02 MADRID 000779", Level.CONFIDENTIAL),
        ("T O P S E C R E T STATE 000001", Level.TOP_SECRET),
        ("UNCLAS E F T O LONDON 002239", Level.UNCLASSIFIED),
        ("NOTHING KNOWN HERE", None),
    ],
)
def test_banner_levels_are_read_from_damaged_banners(banner, level):
    from redactor.cables.levels import banner_level

    assert banner_level(banner) == level


def test_the_count_of_cables_is_unchanged_by_a_held_import(app, session, hidden, importer):
    _user, _password, token = importer
    count = session.scalar(select(func.count()).select_from(Cable))
    session.rollback()
    api_import(app.test_client(), token, [(f"{HIDDEN}.txt", hidden)])
    assert session.scalar(select(func.count()).select_from(Cable)) == count
    session.rollback()
