"""Canary scan: no piece of any redacted canary is in anything a release lets out.

Canaries (ASCII, non-ASCII ``ŽQX-Ķ7-ДЖ``, at a paragraph's start and end, across a line
break, in the SUBJECT) are redacted and approved; every file of the release is then read with
independent tools (poppler's pdftotext with a large crop area, pypdf, pdfplumber, pikepdf,
x-ray) and as raw and inflated bytes, and no 6-character piece of any canary may appear.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import warnings
from datetime import date

import pdfplumber
import pikepdf
import pypdf
import pytest
from sqlalchemy import select

from redactor.cables.parser import parse_cable
from redactor.models import AuditEntry, Release
from redactor.release import service as releases
from redactor.release.render import render_release
from redactor.release.service import file_name, write_artifacts
from tests.fixtures_store import cable_text
from tests.test_release_support import (
    CANARIES,
    CANARY_BODY,
    CANARY_SUBJECT_LINE,
    canary_cable,
    leaked_pieces,
    make_team,
    run,
    text_under_box_pdf,
)

with warnings.catch_warnings():
    # PyMuPDF's SWIG bindings warn on import; under filterwarnings=error that warning would
    # be raised inside the extension's initialisation and crash the interpreter.
    warnings.simplefilter("ignore", DeprecationWarning)
    import xray

FORBIDDEN = (
    b"/Annots",
    b"/EmbeddedFiles",
    b"/JavaScript",
    b"/OpenAction",
    b"/AcroForm",
    b"/OCProperties",
    b"/Outlines",
)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """The canary cable's release files (rendered as the release service does), on disk."""
    text = cable_text("09CANARY1", "SECRET", body=CANARY_BODY, subject=CANARY_SUBJECT_LINE)
    parsed = parse_cable(text)
    redactions = [(text.index(c), text.index(c) + len(c), "B1 1.4(D)") for c in CANARIES]
    doc = render_release(
        text,
        redactions,
        case_number="F-2015-00042",
        doc_number="C00000042",
        release_date=date(2015, 12, 31),
        page_break_spans=[(p.start, p.end) for p in parsed.page_breaks],
    )
    folder = tmp_path_factory.mktemp("release")
    files = {}
    for kind, data in write_artifacts(doc).items():
        path = folder / file_name(doc.doc_number, kind)
        path.write_bytes(data)
        files[kind] = path
    return doc, files


def assert_clean(text: str, what: str) -> None:
    assert leaked_pieces(text) == set(), f"canary pieces in {what}"


def pdf_path(released):
    return released[1]["pdf"]


def test_the_canary_scan_is_not_vacuous():
    # The scan finds every canary in the original text (including the non-ASCII one).
    text = cable_text("09CANARY1", "SECRET", body=CANARY_BODY, subject=CANARY_SUBJECT_LINE)
    for canary in CANARIES:
        assert leaked_pieces(text.replace(canary, "")) != leaked_pieces(text)


def test_pdftotext_with_a_large_crop_area_finds_no_canary(released):
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is required"
    out = run(
        "pdftotext",
        "-x",
        "0",
        "-y",
        "0",
        "-W",
        "5000",
        "-H",
        "5000",
        "-enc",
        "UTF-8",
        str(pdf_path(released)),
        "-",
    ).decode()
    assert "RELEASE IN PART" in out and "B1 1.4(D)" in out  # the tool did read the page
    assert_clean(out, "pdftotext output")


def test_pypdf_text_holds_no_canary(released):
    reader = pypdf.PdfReader(pdf_path(released))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "UNCLASSIFIED U.S. Department of State" in text
    assert_clean(text, "pypdf text")


def test_pdfplumber_characters_hold_no_canary(released):
    with pdfplumber.open(pdf_path(released)) as pdf:
        chars = "".join(c["text"] for page in pdf.pages for c in page.chars)
        words = " ".join(w["text"] for page in pdf.pages for w in page.extract_words())
    assert chars and "RELEASE" in chars
    assert_clean(chars, "pdfplumber chars")
    assert_clean(words, "pdfplumber words")


def test_metadata_xmp_outlines_and_annotations_hold_no_canary(released):
    doc, _ = released
    with pikepdf.open(pdf_path(released)) as pdf:
        info = {str(k): str(v) for k, v in pdf.docinfo.items()}
        xmp = str(pdf.open_metadata())
        assert "/Outlines" not in pdf.Root and "/Names" not in pdf.Root
        assert all("/Annots" not in page.obj for page in pdf.pages)
        assert "/Author" not in info and "/Subject" not in info and "/Keywords" not in info
        assert info.get("/Title") == doc.doc_number
        assert info.get("/CreationDate", "").startswith("D:20151231")
    assert_clean(json.dumps(info, ensure_ascii=False), "document information")
    assert_clean(xmp, "XMP metadata")


def test_raw_and_inflated_pdf_bytes_hold_no_canary(released):
    raw = pdf_path(released).read_bytes()
    for encoding in ("latin-1", "utf-8", "utf-16-be"):
        assert_clean(raw.decode(encoding, errors="ignore"), f"raw bytes ({encoding})")
    with pikepdf.open(pdf_path(released)) as pdf:
        streams = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream)]
        assert streams
        for stream in streams:
            data = stream.read_bytes()
            for encoding in ("latin-1", "utf-8", "utf-16-be"):
                assert_clean(data.decode(encoding, errors="ignore"), "an inflated stream")


def test_the_pdf_has_one_revision_and_no_active_content(released):
    raw = pdf_path(released).read_bytes()
    assert raw.count(b"%%EOF") == 1
    with pikepdf.open(pdf_path(released)) as pdf:
        unparsed = b"".join(
            obj.unparse() if not isinstance(obj, pikepdf.Stream) else obj.read_bytes()[:0]
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream)
        )
        assert not pdf.is_encrypted
    for name in FORBIDDEN:
        assert name not in raw and name not in unparsed, name


def test_font_subsets_hold_only_characters_of_the_released_text(released):
    doc, files = released
    visible = set(files["txt"].read_text(encoding="utf-8"))
    with pikepdf.open(pdf_path(released)) as pdf:
        fonts = [
            obj
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary)
            and obj.get("/Type") == "/Font"
            and "/ToUnicode" in obj
        ]
        assert fonts
        mapped: set[str] = set()
        for font in fonts:
            cmap = font.ToUnicode.read_bytes().decode("latin-1")
            for block in cmap.split("beginbfchar")[1:]:
                for line in block.split("endbfchar")[0].strip().splitlines():
                    dst = line.split()[1].strip("<>")
                    mapped |= set(bytes.fromhex(dst).decode("utf-16-be"))
    assert mapped and mapped <= visible, mapped - visible
    assert not mapped & (set("".join(CANARIES)) - visible)


def test_text_json_and_file_names_hold_no_canary(released):
    _, files = released
    for kind in ("txt", "json"):
        assert_clean(files[kind].read_text(encoding="utf-8"), f"the {kind} file")
    for path in files.values():
        assert_clean(path.name, "a file name")


def test_xray_finds_no_text_under_boxes(released):
    assert asyncio.run(xray.inspect(pdf_path(released))) == {}


def test_xray_does_find_text_under_a_box_in_a_broken_pdf():
    # Shows the x-ray check above can fail.
    assert asyncio.run(xray.inspect(text_under_box_pdf("QZJWOLFRAMSECRET"))) != {}


# --- through the service and the web --------------------------------------------------------


def test_stored_files_downloads_headers_records_and_audit_hold_no_canary(
    app, session, make_user, make_cable, login
):
    team = make_team(make_user)
    cable = canary_cable(session, make_cable, team)
    release = releases.release_cable(session, team.authority, cable)
    session.commit()
    client = app.test_client()
    login(client, team.reader.username, team.reader_password)
    seen = []
    for kind in ("pdf", "txt", "json"):
        response = client.get(f"/releases/{release.id}.{kind}")
        assert response.status_code == 200
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        assert f'filename="{release.doc_number}.{kind}"' in headers
        body = response.get_data()
        seen.append(body)
        assert_clean(headers, f"{kind} response headers")
        if kind == "pdf":
            reader = pypdf.PdfReader(io.BytesIO(body))
            assert_clean("".join(p.extract_text() for p in reader.pages), "downloaded PDF text")
            assert_clean(body.decode("latin-1"), "downloaded PDF bytes")
        else:
            assert_clean(body.decode("utf-8"), f"downloaded {kind}")
    authority = app.test_client()
    login(authority, team.authority.username, team.authority_password)
    page = authority.get(f"/cables/{cable.reference_id}/release")
    assert page.status_code == 200 and release.doc_number in page.get_data(as_text=True)
    assert_clean(page.get_data(as_text=True), "the release page")
    session.rollback()
    record = session.scalars(select(Release)).one().record
    assert_clean(json.dumps(record, ensure_ascii=False), "the release record")
    payloads = session.scalars(select(AuditEntry.payload)).all()
    assert_clean("\n".join(payloads), "audit payloads")
    session.rollback()
