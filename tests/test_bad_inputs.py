"""Bad inputs (security.md, "Bad inputs to try") through every door they can come in by.

One table of files (``CASES``: the files of ``tests/data/bad`` and ``tests/data/bad/corpus``,
and cases generated here because they are large) goes through all three import doors: the
command line (``redactor import``), the browser's upload form and the JSON API. A file that
must be refused is refused with its name and the reason, and nothing of it is stored; a
file that is odd but readable (line endings, a byte order mark, a missing header, a marking
above the cable's level, invisible characters...) is stored whole, text exactly as decoded,
with the parser's warning shown on the cable page. No door ever answers 500.

Spans: the API's ``propose`` is covered request by request in ``test_api.py`` and the form's
in ``test_review_pages.py``; here the doors those leave open: the form with numbers that are
not whole or do not fit 64 bits, editing a proposal (form and API) to a bad span, and spans
across portions or splitting a combining sequence through the API.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from redactor.cables.parser import decode_cable_bytes
from redactor.cables.service import display_name
from redactor.cli.importing import import_command
from redactor.models import AuditEntry, Cable, CableVersion, Portion, Redaction
from redactor.review.policy import Role
from tests.conftest import TEST_AUDIT_KEY
from tests.fixtures_accounts import find_csrf_token
from tests.fixtures_store import BAD_CABLES_DIR, MAX_BYTES, cable_text
from tests.test_api_support import issue_token

CORPUS_DIR = BAD_CABLES_DIR / "corpus"


@dataclass(frozen=True)
class Case:
    """One file: its name, its bytes, and what must become of it.

    ``refused``: a piece of the reason (the name is always checked too). Otherwise it is
    stored: ``portions`` paragraphs, and ``warning`` (a parser warning code) on its page.
    """

    name: str
    data: Callable[[], bytes]
    refused: str | None = None
    portions: int | None = None
    warning: str | None = None
    text: Callable[[], str] | None = None  # the stored text, when it is not the decoded file
    doors: tuple[str, ...] = ("cli", "upload", "api")


def _file(path: Path) -> Callable[[], bytes]:
    return path.read_bytes


def _bytes(make: Callable[[], str | bytes]) -> Callable[[], bytes]:
    def build() -> bytes:
        value = make()
        return value.encode("utf-8") if isinstance(value, str) else value

    return build


_REFUSED_FILES = {
    "empty.txt": "empty file",
    "whitespace_only.txt": "whitespace only",
    "gzip_renamed.txt": "not UTF-8 text",
    "pdf_renamed.txt": "not UTF-8 text",
    "png_renamed.txt": "not UTF-8 text",
    "latin1.txt": "byte offset 397",
    "windows1252_smart_quotes.txt": "byte offset 385",
    "truncated_multibyte.txt": "byte offset 474",
    "nul_bytes.txt": "byte offset 365",
    "utf16_bom.txt": "not UTF-8 text",
    "no_reference_id.txt": "line 1: no reference id",
    "unknown_classification.txt": "line 4: unknown classification 'SUPER SECRET'",
}
_CORPUS = {
    # name: (refused, portions, warning)
    "elf_renamed": ("byte offset 7", None, None),
    "no_classification_line": ("line 4: no classification", None, None),
    "utf8_bom": (None, 2, None),
    "crlf": (None, 2, None),
    "cr_only": (None, 2, None),
    "mixed_endings": (None, 2, None),
    "form_feed_and_tabs": (None, 2, None),
    "no_header": (None, 1, "no-header"),
    "secret_portion_in_unclassified": (None, 2, "marking-above-classification"),
    "unknown_marking": (None, 2, "unknown-marking"),
    "lowercase_markings": (None, 2, None),
    "zero_paragraphs": (None, 0, None),
    "unicode_tricks": (None, 2, None),
}

CASES: list[Case] = [
    *(Case(name, _file(BAD_CABLES_DIR / name), refused=why)
      for name, why in _REFUSED_FILES.items()),
    *(
        Case(f"{stem}.txt", _file(CORPUS_DIR / f"{stem}.cable"), refused, portions, warning)
        for stem, (refused, portions, warning) in _CORPUS.items()
    ),
    Case(
        "oversized.txt",
        _bytes(lambda: cable_text("09GEN1") + "x" * MAX_BYTES),
        refused=f"{MAX_BYTES:,} bytes",
    ),
    Case(
        "ten_thousand_paragraphs.txt",
        _bytes(lambda: cable_text(
            "09GEN2", body="\n\n".join(f"{n}. (C) Paragraph {n}." for n in range(1, 10_001))
        )),
        portions=10_000,
    ),
    Case(
        "long_line.txt",
        _bytes(lambda: cable_text("09GEN3", body="1. (C) " + "word " * 40_000)),
        portions=1,
    ),
    Case(
        "five_megabyte_paragraph.txt",
        _bytes(lambda: cable_text("09GEN4", body="1. (C) " + "lorem ipsum dolor sit " * 225_000)),
        portions=1,
    ),
    # Names are names, never paths: stored escaped and cut, never followed.
    Case("../../outside/escape.txt", _bytes(lambda: cable_text("09GEN5")), portions=2,
         doors=("upload", "api")),
    Case("evil\x00name\u202e.txt", _bytes(lambda: cable_text("09GEN6")), portions=2,
         doors=("upload", "api")),
    Case("n" * 300 + ".txt", _bytes(lambda: cable_text("09GEN7")), portions=2,
         doors=("upload", "api")),
    Case("../../outside/refused.txt", _bytes(lambda: b"\xff\xfe"), refused="not UTF-8 text",
         doors=("upload", "api")),
]


def _params():
    for case in CASES:
        for door in case.doors:
            yield pytest.param(case, door, id=f"{door}-{ascii(case.name)[1:-1][:60]}")


def _counts(session) -> tuple[int, ...]:
    """Rows an import writes: cables, versions, portions, import audit entries."""
    session.expire_all()
    values = tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Cable, CableVersion, Portion)
    ) + (
        session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action.in_(["cable.import", "cable.new_version"]))
        ),
    )
    session.rollback()  # on SQLite a read holds the write lock the import needs
    return values


@pytest.fixture
def reviewer(app, session, make_user, login):
    """A signed-in reviewer's test client and API token."""
    user, password = make_user("rita", roles=(Role.REVIEWER,))
    client = app.test_client()
    login(client, "rita", password)
    secret = issue_token(session, user)
    session.commit()
    return client, secret


def _import_cli(database_url, tmp_path, name: str, data: bytes) -> tuple[bool, str, str]:
    """``(ok, error text, shown name)`` of ``redactor import`` on a file named ``name``."""
    path = tmp_path / "files" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    result = CliRunner().invoke(
        import_command,
        [str(path)],
        env={
            "REDACTOR_DATABASE_URL": database_url,
            "REDACTOR_INSTANCE": str(tmp_path / "cli-instance"),
            "REDACTOR_AUDIT_KEY": TEST_AUDIT_KEY,
        },
        catch_exceptions=False,
    )
    assert result.exit_code in (0, 1), result.output
    # Recorded by its own name, never by the server's absolute path.
    return result.exit_code == 0, result.stderr, display_name(path.name)


def _upload(client, name: str, data: bytes):
    """POST the upload form with one file. The multipart body is built here, in memory:
    Werkzeug's test client would spool a large one to a temporary file it never closes."""
    token = find_csrf_token(client.get("/import").get_data(as_text=True))
    boundary = "----redactor-test-boundary-7d1f3a"
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    body = b"".join([
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{token}\r\n".encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="{quoted}"\r\nContent-Type: text/plain\r\n\r\n'.encode(),
        data,
        f"\r\n--{boundary}--\r\n".encode(),
    ])
    return client.post(
        "/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def _import_upload(client, name: str, data: bytes) -> tuple[bool, str, str]:
    response = _upload(client, name, data)
    assert response.status_code in (200, 422), response.status_code
    page = html.unescape(response.get_data(as_text=True))
    return response.status_code == 200, page, display_name(name)


def _import_api(client, secret: str, name: str, data: bytes) -> tuple[bool, str, str]:
    # Bytes that are not UTF-8 travel as lone surrogates, which the API turns back into
    # the same bytes (and refuses as a file on disk with those bytes would be).
    text = data.decode("utf-8", "surrogateescape")
    response = client.post(
        "/api/v1/cables",
        data=json.dumps({"cables": [{"name": name, "text": text}]}),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    report = response.get_json()
    (item,) = report["files"]
    assert report["ok"] is (item["status"] != "failed")
    return report["ok"], item["error"] or "", display_name(name)


@pytest.mark.parametrize(("case", "door"), list(_params()))
def test_every_bad_file_is_refused_by_name_and_reason_or_stored_whole_at_every_door(
    case, door, reviewer, session, database_url, tmp_path
):
    client, secret = reviewer
    data = case.data()
    before = _counts(session)

    if door == "cli":
        ok, message, shown = _import_cli(database_url, tmp_path, case.name, data)
    elif door == "upload":
        ok, message, shown = _import_upload(client, case.name, data)
    else:
        ok, message, shown = _import_api(client, secret, case.name, data)

    after = _counts(session)
    if case.refused is not None:
        assert not ok
        assert shown in message, (shown, message[-2000:])
        assert case.refused in message, message[-2000:]
        assert after == before  # nothing half-imported
        return
    assert ok, message[-2000:]
    assert after == (before[0] + 1, before[1] + 1, before[2] + case.portions, before[3] + 1)
    stored = session.scalars(select(CableVersion)).one()
    expected = case.text() if case.text else decode_cable_bytes(data)
    assert stored.text == expected  # whole, and exactly as decoded
    assert "\r" not in stored.text and not stored.text.startswith("\ufeff")
    assert stored.source_name.endswith(shown)
    assert not stored.source_name.startswith("/")
    assert len(stored.source_name) <= 300
    reference_id = stored.text.split("\n", 1)[0]
    session.rollback()
    page = client.get(f"/cables/{reference_id}")
    assert page.status_code == 200
    if case.warning:
        assert f'<span class="warning-code">{case.warning}</span>' in page.get_data(as_text=True)


def test_names_with_dot_dots_never_become_paths(reviewer, tmp_path, monkeypatch):
    client, secret = reviewer
    work = tmp_path / "sandbox" / "deeper"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    _import_upload(client, "../../escaped_upload.txt", cable_text("09DOTS1").encode())
    _import_api(client, secret, "../../escaped_api.txt", cable_text("09DOTS2").encode())
    assert sorted(p.name for p in (tmp_path / "sandbox").rglob("*")) == ["deeper"]


def test_an_upload_larger_than_the_request_limit_is_413_and_imports_nothing(
    app, reviewer, session
):
    client, _secret = reviewer
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    before = _counts(session)
    response = _upload(client, "huge.txt", cable_text("09HUGE1").encode() + b"x" * 60_000)
    assert response.status_code == 413
    assert _counts(session) == before


# --------------------------------------------------------------------------- spans

SPAN_BODY = (
    "1. (C) Summary: Ambassador QZJNAME met Jose\u0301 Perez on Tuesday.\n\n"
    "2. (C) Comment: nothing further to report. End comment."
)
REF = "09SPANS1"


@pytest.fixture
def spans(make_cable, session, make_user, app, login):
    """The cable, a reviewer (test client + token) and the text."""
    make_cable(REF, "CONFIDENTIAL", body=SPAN_BODY)
    user, password = make_user("rita", roles=(Role.REVIEWER,))
    client = app.test_client()
    login(client, "rita", password)
    secret = issue_token(session, user)
    text = session.scalars(select(CableVersion.text)).one()
    session.commit()
    return client, secret, text


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _redactions(session) -> list[tuple[int, int, int, int]]:
    session.expire_all()
    rows = [
        (r.id, r.start, r.end, r.row_version)
        for r in session.scalars(select(Redaction).order_by(Redaction.id))
    ]
    session.rollback()
    return rows


def _form(client, url: str, data: dict):
    token = find_csrf_token(client.get(f"/cables/{REF}").get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def _name_span(text: str) -> tuple[int, int]:
    start = text.index("QZJNAME")
    return start, start + len("QZJNAME")


FORM_BAD = [
    ("1.5", "9"), ("1e3", "1005"), (" ", "9"), ("", "9"), ("0x10", "20"), ("true", "9"),
    (str(2**63), str(2**63 + 1)), (str(-(2**63)), "9"), ("9" * 400, "9" * 401),
]


@pytest.mark.parametrize(("start", "end"), FORM_BAD)
def test_form_spans_that_are_not_plain_whole_numbers_get_422(spans, session, start, end):
    client, _secret, _text = spans
    before = _redactions(session)
    response = _form(client, f"/cables/{REF}/redactions",
                     {"start": start, "end": end, "codes": ["B6"]})
    assert response.status_code == 422, (start, end, response.status_code)
    assert _redactions(session) == before


def _bad_spans(text: str) -> list[tuple[object, object]]:
    start, end = _name_span(text)
    across = text.index("Comment")
    return [
        (end, start), (start, start), (-1, end), (start, len(text) + 1), (2**63, 2**63 + 1),
        # across two portions; across lines 1 and 2 (each line a region of its own)
        (start, across + 3), (0, text.index("\n") + 3),
    ]


def test_editing_a_proposal_to_a_bad_span_is_refused_and_changes_nothing(spans, session):
    client, secret, text = spans
    start, end = _name_span(text)
    made = client.post(f"/api/v1/cables/{REF}/redactions", headers=_bearer(secret),
                       json={"start": start, "end": end, "codes": ["B6"]})
    assert made.status_code == 201
    rid = made.get_json()["id"]
    before = _redactions(session)
    for bad_start, bad_end in _bad_spans(text):
        api = client.patch(f"/api/v1/redactions/{rid}", headers=_bearer(secret),
                           json={"version": 1, "start": bad_start, "end": bad_end})
        assert api.status_code == 422, (bad_start, bad_end, api.get_json())
        form = _form(client, f"/redactions/{rid}/edit",
                     {"row_version": "1", "start": str(bad_start), "end": str(bad_end)})
        assert form.status_code == 422, (bad_start, bad_end, form.status_code)
    for bad in (1.5, "3", True, [1]):
        api = client.patch(f"/api/v1/redactions/{rid}", headers=_bearer(secret),
                           json={"version": 1, "start": bad, "end": end})
        assert api.status_code == 400, (bad, api.get_json())
    for bad_start, _ in FORM_BAD:
        if not bad_start.strip():
            continue  # an empty start means "keep the start" when editing
        form = _form(client, f"/redactions/{rid}/edit",
                     {"row_version": "1", "start": bad_start, "end": str(end)})
        assert form.status_code == 422, (bad_start, form.status_code)
    assert _redactions(session) == before


def test_an_api_span_across_portions_is_422_and_one_splitting_a_character_is_widened(
    spans, session
):
    client, secret, text = spans
    start, _end = _name_span(text)
    across = client.post(f"/api/v1/cables/{REF}/redactions", headers=_bearer(secret),
                         json={"start": start, "end": text.index("Comment") + 3, "codes": ["B6"]})
    assert across.status_code == 422
    assert _redactions(session) == []
    # "Jose" + U+0301: a span ending between the e and its accent takes the accent too.
    base = text.index("Jose\u0301")
    split = client.post(f"/api/v1/cables/{REF}/redactions", headers=_bearer(secret),
                        json={"start": base, "end": base + 4, "codes": ["B6"]})
    assert split.status_code == 201, split.get_json()
    assert (split.get_json()["start"], split.get_json()["end"]) == (base, base + 5)
    # The same span twice, and one inside it: each is a proposal of its own, never a 500.
    for s, e in ((base, base + 5), (base, base + 5), (base + 1, base + 3)):
        again = client.post(f"/api/v1/cables/{REF}/redactions", headers=_bearer(secret),
                            json={"start": s, "end": e, "codes": ["B6"]})
        assert again.status_code in (201, 409, 422), again.get_json()
