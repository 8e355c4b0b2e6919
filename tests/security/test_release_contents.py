"""Release contents, as someone holding what a release gives out attacks them.

Promises: *every printed character is redactable* and *nothing released is a function of
what is withheld*. Each test is an attacker's attempt (a requester holding the package, a
release authority's slip, a reviewer trying to cover a routing line) against the running
app, on SQLite and (``REDACTOR_TEST_POSTGRES_URL``) PostgreSQL.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from redactor.cables.jsonview import cable_to_dict
from redactor.cables.parser import CableParseError, decode_cable_bytes, parse_cable
from redactor.models import AuditEntry, Cable, Redaction, Release
from redactor.redaction import regions
from redactor.redaction import service as redactions
from redactor.release import gate
from redactor.release import service as releases
from redactor.review import service as review
from redactor.review.policy import Level, Role
from redactor.web import create_app
from tests.conftest import TEST_AUDIT_KEY, TEST_SECRET_KEY, fresh_database
from tests.fixtures_accounts import find_csrf_token
from tests.fixtures_store import MAX_BYTES, cable_text
from tests.test_api_support import api_factory
from tests.test_release_support import finish_review, make_team, redact

CABLES = Path(__file__).resolve().parent.parent / "data" / "cables"
DAY = date(2015, 12, 31)
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")


def _release_cable(session, team, cable, **kwargs):
    release = releases.release_cable(session, team.authority, cable, **kwargs)
    session.commit()
    return release


def _package(session, release_ids, **kwargs) -> tuple[dict[str, bytes], dict]:
    data = releases.export_package(session, None, release_ids, **kwargs)
    session.commit()
    archive = zipfile.ZipFile(io.BytesIO(data))
    members = {name: archive.read(name) for name in archive.namelist()}
    return members, json.loads(members["manifest.json"])


# --------------------------------------------------------------------------- defect 3


YEAR_BODY = (
    "1. (S) The minister said the agreement of {year} still binds both sides.\n\n"
    "2. (U) Comment: nothing further to report. End comment."
)


def test_an_offline_guess_of_a_withheld_year_finds_nothing_to_compare_against(
    session, make_cable, make_user
):
    """Defect 3: with the released text and the manifest, try every year 1900-2030 as the
    hidden value; before the fix the manifest's version_sha256 confirmed "1996"."""
    team = make_team(make_user)
    cable = make_cable("09GUESS1", "SECRET", body=YEAR_BODY.format(year="1996"))
    redact(session, team, cable, "1996", ("B1", "1.4(D)"))
    finish_review(session, team, cable)
    release = _release_cable(session, team, cable, release_date=DAY)
    members, manifest = _package(session, [release.id])

    original = review.version_of(session, cable).text
    session.rollback()
    released_txt = members[f"{release.doc_number}.txt"].decode()
    assert "1996" not in released_txt

    # What a requester holds: every file of the package and the record, as text.
    held = "\n".join(data.decode("utf-8", errors="replace") for data in members.values())
    digests = set(HEX64.findall(held))
    guesses = {
        hashlib.sha256(original.replace("1996", str(year)).encode()).hexdigest(): year
        for year in range(1900, 2031)
    }
    confirmed = [guesses[d] for d in digests if d in guesses]
    assert confirmed == [], f"the package confirms the hidden year {confirmed}"
    # Every digest the package carries is of a released file, or a (keyed) audit head: the
    # package's and each release's own.
    files = {hashlib.sha256(data).hexdigest() for data in members.values()}
    heads = {manifest["audit_head"]["mac"]} | {r["audit_head"]["mac"] for r in manifest["releases"]}
    assert digests <= files | heads
    for record in manifest["releases"]:
        assert "version_sha256" not in record["cable"]


def test_the_api_answer_about_a_release_carries_no_digest_of_the_original(
    app, session, make_cable, make_user
):
    team = make_team(make_user)
    api = api_factory(app, session, make_user)("apireader", roles=(Role.AUDITOR,))
    cable = make_cable("09GUESS2", "SECRET", body=YEAR_BODY.format(year="1996"))
    redact(session, team, cable, "1996", ("B1", "1.4(D)"))
    finish_review(session, team, cable)
    release_id = _release_cable(session, team, cable, release_date=DAY).id
    original_digest = hashlib.sha256(review.version_of(session, cable).text.encode()).hexdigest()
    session.rollback()
    answer = api.get(f"/api/v1/releases/{release_id}")
    assert answer.status_code == 200
    assert original_digest not in answer.get_data(as_text=True)
    record_file = api.get(f"/api/v1/releases/{release_id}/artifacts/json")
    assert original_digest not in record_file.get_data(as_text=True)


NONINTERFERENCE_BODY = (
    "1. (S) The minister met {0} on Tuesday; they spoke of {1} at length.\n\n"
    "2. (U) Comment: nothing further to report. End comment."
)
VARIANTS = [
    ("Jan Kowalski", "the harbour deal"),
    ("Жанна Дмитриевна Ковалёва-Щербакова of the ministry", "x" * 300),
]
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00")


def _one_world(template_database: str, path: Path, hidden: tuple[str, str]):
    """A fresh database and app: the same people, the same cable but for ``hidden``, the
    same decisions and release; returns (files by name, record, manifest)."""
    with fresh_database(template_database, path / "db.sqlite3") as url:
        instance = path / "instance"
        instance.mkdir()
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "INSTANCE": str(instance),
                "SECRET_KEY": TEST_SECRET_KEY,
                "AUDIT_KEY": TEST_AUDIT_KEY,
            }
        )
        try:
            session = app.extensions["redactor.sessions"]()
            from redactor.accounts import service as accounts
            from redactor.cables.service import import_cable

            def make_user(name, roles=(Role.REVIEWER,), clearance=Level.TOP_SECRET):
                password = f"correct horse battery {len(name)} staple"
                user = accounts.create_user(session, None, name, password, roles, clearance)
                session.commit()
                return user, password

            team = make_team(make_user)
            text = cable_text("09NONINT1", "SECRET", body=NONINTERFERENCE_BODY.format(*hidden))
            import_cable(session, None, "09NONINT1.txt", text.encode(), max_bytes=MAX_BYTES)
            session.commit()
            cable = session.scalars(select(Cable)).one()
            for value in hidden:
                redact(session, team, cable, value, ("B6",))
            finish_review(session, team, cable)
            release = _release_cable(
                session, team, cable, case_number="F-2015-00007", release_date=DAY
            )
            record = release.record
            members, manifest = _package(session, [release.id])
            session.close()
        finally:
            app.extensions["redactor.engine"].dispose()
    return members, record, manifest


def _masked(value: dict) -> str:
    """``value`` as canonical JSON with the moments of the day (when someone clicked) and
    the audit head (a MAC under a key outside the database) masked: neither is a function
    of the cable, and the requester cannot recompute the MAC."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = _TIMESTAMP.sub("<moment>", text)
    return re.sub(r'"mac": "[0-9a-f]{64}"', '"mac": "<mac>"', text)


def test_two_cables_differing_only_in_hidden_text_give_identical_releases(
    template_database, tmp_path
):
    """Non-interference end to end: different hidden text (lengths, scripts) under the same
    decisions gives byte-identical files and the same record and manifest."""
    worlds = []
    for number, hidden in enumerate(VARIANTS):
        path = tmp_path / f"world{number}"
        path.mkdir()
        worlds.append(_one_world(template_database, path, hidden))
    (files_a, record_a, manifest_a), (files_b, record_b, manifest_b) = worlds
    for name in files_a:
        if name != "manifest.json":
            assert files_a[name] == files_b[name], name
    assert set(files_a) == set(files_b)
    assert _masked(record_a) == _masked(record_b)
    assert _masked(manifest_a) == _masked(manifest_b)


# --------------------------------------------------------------------------- defect 23


def test_the_package_a_requester_receives_names_no_staff_unless_configured(
    session, make_cable, make_user
):
    team = make_team(make_user)
    cable = make_cable("09STAFF1", "SECRET", body=YEAR_BODY.format(year="1996"))
    redact(session, team, cable, "1996", ("B6",))
    finish_review(session, team, cable)
    release = _release_cable(session, team, cable, release_date=DAY)
    names = {team.reviewer.username, team.approver.username, team.authority.username}
    members, _ = _package(session, [release.id])
    held = "\n".join(data.decode("utf-8", errors="replace") for data in members.values())
    assert not [name for name in names if name in held]
    members, manifest = _package(session, [release.id], names_staff=True)
    held = "\n".join(data.decode("utf-8", errors="replace") for data in members.values())
    assert all(name in held for name in names)
    assert manifest["releases"][0]["released_by"]["username"] == team.authority.username


def test_the_export_command_follows_the_manifest_names_staff_setting(
    session, make_cable, make_user, database_url, tmp_path, monkeypatch
):
    from click.testing import CliRunner

    from redactor.cli.release import export_package_command

    team = make_team(make_user)
    cable = make_cable("09STAFF2", "SECRET", body=YEAR_BODY.format(year="1996"))
    redact(session, team, cable, "1996", ("B6",))
    finish_review(session, team, cable)
    _release_cable(session, team, cable, release_date=DAY)
    monkeypatch.setenv("REDACTOR_DATABASE_URL", database_url)
    monkeypatch.setenv("REDACTOR_INSTANCE", str(tmp_path))
    monkeypatch.setenv("REDACTOR_AUDIT_KEY", TEST_AUDIT_KEY)
    for setting, named in (("false", False), ("true", True)):
        monkeypatch.setenv("REDACTOR_MANIFEST_NAMES_STAFF", setting)
        out = tmp_path / f"package-{setting}.zip"
        result = CliRunner().invoke(export_package_command, ["--out", str(out)])
        assert result.exit_code == 0, result.output
        manifest = zipfile.ZipFile(out).read("manifest.json").decode()
        assert (team.approver.username in manifest) is named


# --------------------------------------------------------------------------- defect 5

ROUTING_TEXT = (
    "09ROUTING1\n"
    "2009-05-21 19:07\n"
    "2010-12-01 23:11\n"
    "CONFIDENTIAL\n"
    "Embassy Reykjavik\n"
    "\n"
    "VZCZCXRO4417\n"
    "RR RUEHWEB\n"
    "DE RUEHRK #0027 0211554\n"
    "R 211912Z MAY 09\n"
    "FM AMEMBASSY REYKJAVIK\n"
    "TO RUEHC/SECSTATE WASHDC 3929\n"
    "INFO RHEHNSC/NSC WASHDC\n"
    "\n"
    "C O N F I D E N T I A L REYKJAVIK 000027 \n"
    "\n"
    "STATE FOR EUR/NB, EEB/IFD/OIA J NATHANIEL HATCHER \n"
    "NSC FOR SHAPIRO/MCDERMOTT \n"
    "\n"
    "E.O. 12958: DECL: 05/19/2019 \n"
    "TAGS: PREL, PGOV \n"
    "SUBJECT: HARBOUR TALKS \n"
    "\n"
    "Classified By: Ambassador A. Tester for reasons 1.4 (b) and (d)\n"
    "\n"
    "1. (C) The minister met the delegation on Tuesday.\n"
    "\n"
    "2. (U) Comment: nothing further to report. End comment.\n"
    "\n"
    "TESTER\n"
)


@pytest.fixture
def routing_cable(session, make_user):
    from redactor.cables.service import import_cable

    outcome = import_cable(
        session, None, "09ROUTING1.txt", ROUTING_TEXT.encode(), max_bytes=MAX_BYTES
    )
    assert outcome.error is None or not outcome.error, outcome.error
    session.commit()
    return session.scalars(select(Cable).where(Cable.reference_id == "09ROUTING1")).one()


@pytest.mark.parametrize(
    "needle", ["J NATHANIEL HATCHER", "SHAPIRO/MCDERMOTT", "RHEHNSC/NSC", "RUEHRK #0027"]
)
def test_a_reviewer_can_redact_routing_and_for_lines_and_the_release_omits_them(
    app, session, make_user, routing_cable, needle
):
    """Defect 5: proposals on routing, addressee and "FOR" lines got 422, and every release
    printed the names."""
    team = make_team(make_user)
    api = api_factory(app, session, make_user)("routingrev", roles=(Role.REVIEWER,))
    start = ROUTING_TEXT.index(needle)
    answer = api.post(
        "/api/v1/cables/09ROUTING1/redactions",
        json={"start": start, "end": start + len(needle), "codes": ["B6"]},
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    row = session.get(Redaction, answer.get_json()["id"])
    redactions.approve(session, team.approver, row, expected_row_version=row.row_version)
    finish_review(session, team, routing_cable)
    release = _release_cable(session, team, routing_cable, release_date=DAY)
    files, _ = _package(session, [release.id])
    assert needle not in files[f"{release.doc_number}.txt"].decode()


def test_the_review_page_shows_every_routing_line_as_a_selectable_region(
    app, session, make_user, login, routing_cable
):
    _, password = make_user("pagerev", roles=(Role.REVIEWER,))
    client = app.test_client()
    login(client, "pagerev", password)
    page = client.get("/cables/09ROUTING1").get_data(as_text=True)
    areas = [
        (int(a), int(b))
        for a, b in re.findall(r'data-area-start="(\d+)" data-area-end="(\d+)"', page)
    ]
    for needle in ("J NATHANIEL HATCHER", "SHAPIRO/MCDERMOTT", "RUEHC/SECSTATE", "VZCZCXRO4417"):
        start = ROUTING_TEXT.index(needle)
        assert any(a <= start and start + len(needle) <= b for a, b in areas), needle


def _regions_of(text: str) -> tuple[list[regions.Region], str]:
    parsed = parse_cable(text)
    view = cable_to_dict(parsed)
    portions = [(p.start, p.end, p.index) for p in parsed.paragraphs]
    return list(regions.regions(text, portions, view)), text


def _assert_every_printed_character_is_placeable(text: str) -> None:
    areas, _ = _regions_of(text)
    covered = bytearray(len(text))
    for region in areas:
        covered[region.start : region.end] = b"\x01" * (region.end - region.start)
        # propose()'s own placement accepts the region's first and last character and the
        # whole region: any span inside a region is accepted the same way.
        for a, b in ((region.start, region.start + 1), (region.end - 1, region.end),
                     (region.start, region.end)):
            span, _ = regions.place(text, areas, a, b)
            assert region.start <= span.start and span.end <= region.end
    missing = [i for i, char in enumerate(text) if not char.isspace() and not covered[i]]
    assert missing == [], f"{len(missing)} printed characters in no region, first {missing[:5]}"


@pytest.mark.parametrize("path", sorted(CABLES.glob("*.txt")), ids=lambda p: p.stem)
def test_every_printed_character_of_every_fixture_cable_lies_in_a_region(path):
    _assert_every_printed_character_is_placeable(decode_cable_bytes(path.read_bytes()))


_LINE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
    max_size=60,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    routing=st.lists(_LINE, max_size=6),
    extra=st.lists(_LINE, max_size=4),
    body=st.lists(_LINE, min_size=1, max_size=4),
)
def test_every_printed_character_of_a_generated_cable_lies_in_a_region(routing, extra, body):
    text = cable_text("09GEN1", "SECRET", body="1. (S) " + "\n".join(body))
    head, rest = text.split("TO SECSTATE WASHDC 0001\n", 1)
    lines = "".join(f"{line}\n" for line in routing)
    text = head + "TO SECSTATE WASHDC 0001\n" + lines + rest
    text = text.replace("\nE.O. 12958", "".join(f"\n{x}" for x in extra) + "\nE.O. 12958", 1)
    try:
        _regions_of(text)
    except CableParseError:
        return  # not a cable; the import would refuse it
    _assert_every_printed_character_is_placeable(text)


@given(
    text=st.text(alphabet=st.sampled_from("ab \n\t\u200b"), max_size=80),
    claimed=st.lists(st.tuples(st.integers(0, 80), st.integers(0, 80)), max_size=5),
)
def test_line_regions_cover_whatever_the_claimed_areas_leave(text, claimed):
    areas = [(min(a, b), max(a, b)) for a, b in claimed if min(a, b) < max(a, b)]
    lines = regions.line_regions(text, areas)
    for i, char in enumerate(text):
        if char.isspace():
            continue
        assert any(a <= i < b for a, b in areas) or any(r.start <= i < r.end for r in lines)
    for region in lines:
        assert "\n" not in text[region.start : region.end]


# --------------------------------------------------------------------------- defect 6

ECHO_BODY = (
    "1. (S) The minister met Hatcher on Tuesday.\n\n"
    "2. (C) Later that day HATCHER spoke to the press.\n\n"
    "3. (U) Comment: nothing further to report. End comment."
)


def test_a_name_withheld_in_one_paragraph_and_printed_in_another_is_not_released_silently(
    app, session, make_cable, make_user
):
    """Defect 6: the gate skipped every piece of a hidden string that the visible text
    also holds, so "Hatcher" was released from paragraph 2."""
    team = make_team(make_user)
    authority = api_factory(app, session, make_user)("echoauth", roles=(Role.RELEASE_AUTHORITY,))
    cable = make_cable("09ECHO1", "SECRET", body=ECHO_BODY)
    redact(session, team, cable, "Hatcher", ("B6",))
    finish_review(session, team, cable)
    answer = authority.post("/api/v1/cables/09ECHO1/releases", json={"release_date": "2015-12-31"})
    assert answer.status_code == 409, answer.get_data(as_text=True)
    message = answer.get_json()["error"]["message"]
    line = cable_text("09ECHO1", "SECRET", body=ECHO_BODY).split("\n").index(
        "2. (C) Later that day HATCHER spoke to the press."
    ) + 1
    assert f"line {line}, column 23" in message
    assert session.scalars(select(Release)).all() == []
    refused = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "release.gate_failed")
    ).all()
    assert refused and "HATCHER" not in json.dumps([e.payload for e in refused]).upper()
    session.rollback()

    # Redacting the second occurrence too makes the release go through.
    cable = session.get(Cable, cable.id)
    text = review.version_of(session, cable).text
    start = text.index("HATCHER")
    proposal = redactions.propose(
        session, team.reviewer, cable, start=start, end=start + 7, codes=("B6",)
    )
    redactions.approve(session, team.approver, proposal, expected_row_version=proposal.row_version)
    finish_review(session, team, cable)
    answer = authority.post("/api/v1/cables/09ECHO1/releases", json={"release_date": "2015-12-31"})
    assert answer.status_code == 201, answer.get_data(as_text=True)


def test_short_words_and_parts_of_longer_words_are_not_reported():
    from redactor.release.occurrences import visible_occurrences

    text = "The UK team met Smithson. UK officials and Smith agreed."
    uk = text.index("UK")
    smith = text.index("Smith agreed")
    assert visible_occurrences(text, [(uk, uk + 2)]) == []  # fewer than 4 letters
    found = visible_occurrences(text, [(smith, smith + 5)])
    assert found == []  # "Smithson" is another word
    text2 = "Smith met\nSMITH  again"
    assert [o.line for o in visible_occurrences(text2, [(0, 5)])] == [2]


# --------------------------------------------------------------------------- defect 17


def test_a_short_hidden_word_in_a_file_extension_does_not_block_the_release(
    session, make_cable, make_user
):
    """Defect 17: a short hidden word matched the fixed extension of a file name ("son" in
    ``.json``; here "PDF", Sudan's Popular Defence Forces, in ``C00000001.pdf``)."""
    team = make_team(make_user)
    body = "1. (S) The PDF militia attacked.\n\n2. (U) Comment: nothing further. End comment."
    cable = make_cable("09MILITIA1", "SECRET", body=body)
    redact(session, team, cable, "PDF", ("B6",))
    finish_review(session, team, cable)
    release = _release_cable(session, team, cable, release_date=DAY)
    assert release.doc_number
    # The gate still reads the variable part of a name.
    found = gate.check_artifacts({"Cson1.txt": b"x", "C1.json": b"{}"}, ["son"], "nothing")
    assert [(f.artifact, f.check) for f in found] == [("Cson1.txt", "file name")]


# --------------------------------------------------------------------------- defect 21


@pytest.mark.parametrize("bad", ["0001-01-01", "9999-12-31", "1899-12-31", "2009-05-20"])
def test_a_release_date_outside_a_sane_range_is_refused_in_the_api_and_the_browser(
    app, session, make_cable, make_user, login, bad
):
    team = make_team(make_user)
    authority = api_factory(app, session, make_user)("dateauth", roles=(Role.RELEASE_AUTHORITY,))
    cable = make_cable("09DATE1", "SECRET", body=YEAR_BODY.format(year="1996"))
    finish_review(session, team, cable)
    answer = authority.post("/api/v1/cables/09DATE1/releases", json={"release_date": bad})
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert "out of range" in answer.get_json()["error"]["message"]

    _, password = make_user("datebrowser", roles=(Role.RELEASE_AUTHORITY,))
    client = app.test_client()
    login(client, "datebrowser", password)
    form = client.get("/cables/09DATE1/release")
    response = client.post(
        "/cables/09DATE1/release",
        data={"csrf_token": find_csrf_token(form.get_data(as_text=True)), "release_date": bad},
    )
    assert response.status_code == 422
    assert "out of range" in response.get_data(as_text=True)
    assert session.scalars(select(Release)).all() == []
    session.rollback()  # on SQLite a read holds the lock the next request needs
    # Tomorrow (a release authority east of UTC) and the cable's own date are accepted.
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    answer = authority.post("/api/v1/cables/09DATE1/releases", json={"release_date": tomorrow})
    assert answer.status_code == 201, answer.get_data(as_text=True)


# --------------------------------------------------------------------------- defect 14


def test_a_typed_case_number_at_the_end_of_the_year_does_not_exhaust_automatic_numbering(
    session, make_cable, make_user
):
    team = make_team(make_user)
    first = make_cable("09CASE1", "SECRET", body=YEAR_BODY.format(year="1996"))
    second = make_cable("09CASE2", "SECRET", body=YEAR_BODY.format(year="1997"))
    third = make_cable("09CASE3", "SECRET", body=YEAR_BODY.format(year="1998"))
    for cable in (first, second, third):
        finish_review(session, team, cable)
    typed = _release_cable(
        session, team, first, case_number="F-2015-99999", release_date=DAY
    )
    assert typed.case_number == "F-2015-99999"
    automatic = _release_cable(session, team, second, release_date=DAY)
    assert automatic.case_number == "F-2015-00001"
    assert _release_cable(session, team, third, release_date=DAY).case_number == "F-2015-00002"
