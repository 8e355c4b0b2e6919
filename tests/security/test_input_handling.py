"""Input handling, as an attacker meets it: bad input is a 4xx with a message, never a 500,
on SQLite and on PostgreSQL (run with ``REDACTOR_TEST_POSTGRES_URL`` for the second).

- Ids beyond the integer column's range, in every route with an integer in its path (found
  in ``app.url_map``, not listed by hand), answer 404 as an unknown id does; integers in
  forms and query strings are refused or ignored, never passed to the database.
- A NUL character (which PostgreSQL cannot store in text) in a query argument, a form field
  or a URL part of every route, signed in or not, is a 400 naming the field; in a JSON body
  of every API route it is a 4xx.
- Zip archives: the member count and the total decompressed bytes are capped, counted as
  read (never from the archive's own header), and an archive over a cap imports nothing; an
  empty archive is a failure at every door.
- The command line stores a name relative to the path given, never the server's absolute
  path.
- The review page shows a whole grapheme cluster (an emoji joined by ZWJ, a subdivision flag)
  as one unit, not as separate badges.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from redactor.cli.importing import import_command
from redactor.models import AuditEntry, Cable, CableVersion
from redactor.review.policy import Level, Role
from tests.conftest import TEST_AUDIT_KEY
from tests.fixtures_accounts import find_csrf_token
from tests.fixtures_store import cable_text
from tests.test_api_support import issue_token
from tests.test_bad_inputs import _upload

REF = "09INPUT1"
_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?P<args>\([^)]*\))?:)?(?P<name>\w+)>")
_IGNORED_METHODS = {"HEAD", "OPTIONS"}
OUT_OF_RANGE = [2**31, 2**32 + 1, 2**63, 2**64, 10**30, int("9" * 400)]
UNKNOWN_ID = 999_999


@pytest.fixture
def mallory(app, session, make_user, login, make_cable):
    """A signed-in user with every role and the highest clearance (the most any insider can
    reach), her API token, and one cable."""
    make_cable(REF, "CONFIDENTIAL")
    user, password = make_user("mallory", roles=list(Role), clearance=Level.TOP_SECRET)
    client = app.test_client()
    login(client, "mallory", password)
    secret = issue_token(session, user)
    session.commit()
    return client, secret


def _routes(app) -> list:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"),
        key=lambda rule: rule.rule,
    )


def _fill(rule: str, number: int | str, text: str = REF) -> str:
    """The rule with every integer set to ``number``, every string to ``text``."""

    def value(match: re.Match[str]) -> str:
        converter = match.group("converter") or "default"
        if converter == "int":
            return str(number)
        if converter == "any":
            return match.group("args").strip("()").split(",")[0].strip()
        if converter == "path":
            return "css/app.css"
        return text

    return _ARGUMENT.sub(value, rule)


def _integer_rules(app) -> list:
    return [
        rule for rule in _routes(app)
        if any(m.group("converter") == "int" for m in _ARGUMENT.finditer(rule.rule))
    ]


def _send(client, secret: str, method: str, url: str, *, token: str, **extra):
    """One request as ``mallory``: the bearer token under /api/, the CSRF token elsewhere."""
    if url.startswith("/api/"):
        headers = {"Authorization": f"Bearer {secret}"}
        if method == "GET":
            return client.open(url, method=method, headers=headers)
        if "data" in extra:  # a form body, which the API does not read but may be sent
            return client.open(url, method=method, headers=headers, data=extra["data"])
        return client.open(url, method=method, headers=headers, json=extra.get("json", {}))
    data = {**extra.get("data", {}), "csrf_token": token} if method != "GET" else None
    return client.open(url, method=method, data=data)


# --------------------------------------------------------------------------- ids (#15)


def test_the_app_has_integer_routes_to_attack(app):
    # Guards the parametrisation below from testing nothing.
    assert len(_integer_rules(app)) >= 20


def test_every_integer_id_beyond_the_column_range_is_404_like_an_unknown_id(app, mallory):
    client, secret = mallory
    token = find_csrf_token(client.get(f"/cables/{REF}").get_data(as_text=True))
    wrong = []
    for rule in _integer_rules(app):
        for method in sorted((rule.methods or set()) - _IGNORED_METHODS):
            unknown = _send(client, secret, method, _fill(rule.rule, UNKNOWN_ID), token=token)
            for number in OUT_OF_RANGE:
                response = _send(client, secret, method, _fill(rule.rule, number), token=token)
                if response.status_code != 404:
                    wrong.append((method, rule.rule, number, response.status_code,
                                  unknown.status_code))
    assert wrong == []


def test_integers_in_forms_and_query_strings_never_reach_the_database(app, mallory, session):
    client, _secret = mallory
    page = client.get(f"/cables/{REF}")
    token = find_csrf_token(page.get_data(as_text=True))
    statuses = []
    for number in ("2147483648", str(2**63), "9" * 30, "-2147483649"):
        # "version" on a proposal of a span, "portion" on withholding a whole portion: the
        # two forms that read these numbers.
        for field, action in (("version", "redactions"), ("portion", "withhold")):
            response = client.post(
                f"/cables/{REF}/{action}",
                data={"csrf_token": token, "start": "1", "end": "2", "codes": ["B6"],
                      field: number},
            )
            statuses.append((field, number, response.status_code))
        for arg in ("before", "after"):
            statuses.append((arg, number, client.get(f"/audit/?{arg}={number}").status_code))
    # Digits that are not ASCII pass str.isdigit() but not int().
    statuses.append(("withhold", "²", client.get(f"/cables/{REF}?withhold=²").status_code))
    assert [s for s in statuses if s[2] >= 500 or s[2] < 400 and s[0] in
            ("version", "portion")] == []
    assert session.scalar(select(func.count()).select_from(CableVersion)) == 1


# --------------------------------------------------------------------------- NUL (#16)

#: Every field name a form of the application reads, each set to a value holding a NUL.
FORM_FIELDS = (
    "username", "password", "display_name", "clearance", "roles", "active", "rationale",
    "reason", "body", "codes", "codes_text", "b3_statute", "case_number", "release_date",
    "start", "end", "row_version", "version", "portion", "format", "name", "back", "next",
    "expires", "q",
)
QUERY_ARGS = ("q", "next", "version", "withhold", "user", "action", "object", "since",
              "until", "before", "after", "sort", "level", "status", "from", "to", "cursor")
NUL = "evil\x00value"


def _nul_targets(app) -> Iterator[tuple[str, str]]:
    for rule in _routes(app):
        for method in sorted((rule.methods or set()) - _IGNORED_METHODS):
            yield method, rule.rule


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "anonymous"])
def test_a_nul_in_any_query_argument_or_form_field_of_any_route_is_a_400(
    app, mallory, signed_in
):
    client, secret = mallory
    token = find_csrf_token(client.get(f"/cables/{REF}").get_data(as_text=True))
    if not signed_in:
        client = app.test_client()
        token = find_csrf_token(client.get("/login").get_data(as_text=True))
    query = "&".join(f"{arg}=evil%00value" for arg in QUERY_ARGS)
    wrong = []
    for method, rule in _nul_targets(app):
        url = _fill(rule, 1)
        attempts = [("query", f"{url}?{query}", {})]
        if method != "GET":
            attempts.append(("form", url, dict.fromkeys(FORM_FIELDS, NUL)))
            attempts.append(("field name", url, {"evil\x00name": "x"}))
        if "<reference_id>" in rule:
            attempts.append(("path", _fill(rule, 1, "09AB%00C"), {}))
        for where, target, data in attempts:
            response = _send(client, secret if signed_in else "", method, target,
                             token=token, data=data)
            body = response.get_data(as_text=True)
            if response.status_code != 400 or "NUL character" not in body:
                wrong.append((method, rule, where, response.status_code))
    assert wrong == []


def test_the_login_form_with_a_nul_is_a_400_and_records_nothing(app, session):
    client = app.test_client()
    token = find_csrf_token(client.get("/login").get_data(as_text=True))
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    session.rollback()
    response = client.post(
        "/login", data={"csrf_token": token, "username": "ad\x00min", "password": "x\x00"}
    )
    assert response.status_code == 400
    assert "form field &#39;username&#39; contains a NUL character" in response.get_data(
        as_text=True
    )
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


#: Every key a JSON body of the API reads.
JSON_FIELDS = ("name", "text", "start", "end", "codes", "rationale", "reason", "body",
               "version", "case_number", "release_date", "expires_at", "reviewed", "cables")


def test_a_nul_in_any_json_string_of_any_api_route_is_a_4xx(app, mallory):
    client, secret = mallory
    wrong = []
    for method, rule in _nul_targets(app):
        if not rule.startswith("/api/") or method == "GET":
            continue
        for body in (
            dict.fromkeys(JSON_FIELDS, NUL),
            {"evil\x00key": "x"},
            {"codes": [NUL], "version": 1, "start": 1, "end": 2},
            {"cables": [{"name": NUL, "text": NUL}]},
        ):
            response = client.open(
                _fill(rule, 1), method=method, json=body,
                headers={"Authorization": f"Bearer {secret}"},
            )
            if response.status_code >= 500:
                wrong.append((method, rule, sorted(body), response.status_code))
    assert wrong == []


# --------------------------------------------------------------------------- zips (#12, #22)


def _zip(members: dict[str, str | bytes], *, directories: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for directory in directories:
            archive.writestr(zipfile.ZipInfo(directory), b"")
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _stored(session) -> tuple[int, int, int]:
    session.expire_all()
    values = (
        session.scalar(select(func.count()).select_from(Cable)),
        session.scalar(select(func.count()).select_from(CableVersion)),
        session.scalar(
            select(func.count()).select_from(AuditEntry)
            .where(AuditEntry.action.in_(["cable.import", "cable.new_version"]))
        ),
    )
    session.rollback()  # on SQLite a read holds the write lock the import needs
    return values


@pytest.fixture
def uploader(app, session, make_user, login):
    _user, password = make_user("ursula", roles=(Role.REVIEWER,))
    client = app.test_client()
    login(client, "ursula", password)
    session.rollback()
    return client


def _post_zip(client, name: str, data: bytes):
    response = _upload(client, name, data)
    return response.status_code, html.unescape(response.get_data(as_text=True))


def test_a_small_zip_that_expands_past_the_byte_cap_imports_nothing(uploader, session):
    # 15 cables of 5 MB each: 75 MB from an upload of well under 100 kB.
    bomb = _zip({
        f"c{n:02}.txt": cable_text(f"09BOMB{n}") + "\n" + "A" * (5 * 1024 * 1024 - 2000)
        for n in range(15)
    })
    assert len(bomb) < 100_000

    status, page = _post_zip(uploader, "bomb.zip", bomb)

    assert status == 422
    assert f"the archive would expand to more than {64 * 1024 * 1024:,} bytes" in page
    assert "REDACTOR_ZIP_MAX_TOTAL_BYTES" in page and "nothing of it was imported" in page
    assert _stored(session) == (0, 0, 0)


def test_a_zip_with_more_members_than_the_cap_imports_nothing(app, uploader, session):
    app.config["ZIP_MAX_MEMBERS"] = 50
    members = {f"m{n:03}.txt": cable_text(f"09MANY{n}") for n in range(51)}

    status, page = _post_zip(uploader, "many.zip", _zip(members))

    assert status == 422
    assert "too many files in the archive (51 in all; the limit is 50" in page
    assert _stored(session) == (0, 0, 0)
    # At the cap, the same archive less one member imports whole.
    del members["m050.txt"]
    status, page = _post_zip(uploader, "fifty.zip", _zip(members))
    assert status == 200, page[-2000:]
    assert _stored(session) == (50, 50, 50)


def test_many_small_zips_in_one_upload_share_one_cap(app, uploader, session):
    app.config["ZIP_MAX_TOTAL_BYTES"] = 100_000
    archives = [
        (f"part{n}.zip", _zip({f"{n}.txt": cable_text(f"09PART{n}") + "B" * 30_000}))
        for n in range(4)
    ]
    token = find_csrf_token(uploader.get("/import").get_data(as_text=True))
    response = uploader.post(
        "/import",
        data={"csrf_token": token, "files": [(io.BytesIO(d), name) for name, d in archives]},
        content_type="multipart/form-data",
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "the archives of this upload would expand to more than 100,000 bytes" in page
    assert _stored(session) == (0, 0, 0)


@pytest.mark.parametrize(
    "archive",
    [_zip({}), _zip({}, directories=("empty/", "empty/deeper/"))],
    ids=["no-members", "only-folders"],
)
def test_an_empty_zip_is_a_failure_at_every_door(archive, uploader, database_url, tmp_path):
    status, page = _post_zip(uploader, "empty.zip", archive)
    assert status == 422
    assert "failed 1" in page and "the archive holds no files" in page

    path = tmp_path / "empty.zip"
    path.write_bytes(archive)
    result = _cli(database_url, tmp_path, str(path))
    assert result.exit_code == 1
    assert "failed: empty.zip: the archive holds no files" in result.stderr


def test_the_cli_may_raise_the_caps_for_one_run(database_url, tmp_path, session):
    path = tmp_path / "three.zip"
    path.write_bytes(_zip({f"{n}.txt": cable_text(f"09CAP{n}") for n in range(3)}))
    env = {"REDACTOR_ZIP_MAX_MEMBERS": "2"}

    refused = _cli(database_url, tmp_path, str(path), env=env)
    assert refused.exit_code == 1 and "the limit is 2, REDACTOR_ZIP_MAX_MEMBERS" in refused.stderr
    assert _stored(session) == (0, 0, 0)

    allowed = _cli(database_url, tmp_path, "--zip-max-members", "3", str(path), env=env)
    assert allowed.exit_code == 0, allowed.output
    assert _stored(session) == (3, 3, 3)


# --------------------------------------------------------------------------- CLI names (#20)


def _cli(database_url: str, tmp_path, *args: str, env: dict | None = None):
    return CliRunner().invoke(
        import_command,
        list(args),
        env={
            "REDACTOR_DATABASE_URL": database_url,
            "REDACTOR_INSTANCE": str(tmp_path / "cli-instance"),
            "REDACTOR_AUDIT_KEY": TEST_AUDIT_KEY,
            **(env or {}),
        },
        catch_exceptions=False,
    )


def test_cli_imports_record_names_relative_to_the_path_given_never_the_server_path(
    database_url, tmp_path, session
):
    drop = tmp_path / "srv" / "drop"
    (drop / "batch" / "sub").mkdir(parents=True)
    (drop / "single.txt").write_text(cable_text("09NAME1"))
    (drop / "batch" / "sub" / "inner.txt").write_text(cable_text("09NAME2"))
    (drop / "archive.zip").write_bytes(_zip({"in/zip.txt": cable_text("09NAME3")}))

    result = _cli(database_url, tmp_path, str(drop / "single.txt"), str(drop / "batch"),
                  str(drop / "archive.zip"))

    assert result.exit_code == 0, result.output
    session.expire_all()
    names = sorted(session.scalars(select(CableVersion.source_name)))
    assert names == ["archive.zip:in/zip.txt", "batch/sub/inner.txt", "single.txt"]
    payloads = session.scalars(
        select(AuditEntry.payload).where(AuditEntry.action == "cable.import")
    ).all()
    assert len(payloads) == 3
    assert not any(str(tmp_path) in str(payload) for payload in payloads)


# --------------------------------------------------------------------------- graphemes (#24)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man ZWJ woman ZWJ girl
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
SMUGGLED = "\U0001f3f4\U000e0079\U000e0065\U000e0073\U000e007f"  # black flag + tags "yes"


def test_an_emoji_cluster_is_one_unit_on_the_review_page_and_hidden_joiners_stay_badges(
    make_cable, make_user, login, app, session
):
    body = (f"1. (C) The family {FAMILY} met, flag {ENGLAND}, wave \U0001f44b\U0001f3fd, "
            f"and pass\u200dword and {SMUGGLED} end.")
    make_cable("09EMOJI1", "CONFIDENTIAL", body=body)
    _user, password = make_user("reader")
    client = app.test_client()
    login(client, "reader", password)

    page = client.get("/cables/09EMOJI1").get_data(as_text=True)

    spans = re.findall(r'<span class="([^"]*)"([^>]*)>([^<]*)</span>', page)
    clusters = [html.unescape(text) for css, _attrs, text in spans if "seg-cluster" in css]
    assert clusters == [FAMILY, ENGLAND]
    assert 'title="U+1F468 U+200D U+1F469 U+200D U+1F467"' in page
    badges = [html.unescape(text) for css, _attrs, text in spans if "seg-invisible" in css]
    # The joiner between two letters, and the tags after a black flag, are still shown.
    assert badges == ["[U+200D]", "[U+E0079]", "[U+E0065]", "[U+E0073]", "[U+E007F]"]
