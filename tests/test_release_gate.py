"""The release gate catches broken renderers; it stays quiet on a correct release."""

from __future__ import annotations

import io
import zlib
from datetime import date

import pikepdf
import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pikepdf import Array, Dictionary, Name
from sqlalchemy import func, select

from redactor.models import AuditEntry, Release
from redactor.release import building, render, writers
from redactor.release import service as releases
from redactor.release.gate import check_artifacts, normalize, pdf_strings
from redactor.release.render import render_release
from tests.fixtures_accounts import find_csrf_token
from tests.test_release_support import (
    canary_cable,
    finish_review,
    make_team,
    redact,
    text_under_box_pdf,
)

SECRET = "Wolfram Kestrel-Hawthorne"
TEXT = f"1. (C) The minister met {SECRET} on Tuesday.\n2. (U) Nothing further."


@pytest.fixture(scope="module")
def doc():
    start = TEXT.index(SECRET)
    return render_release(
        TEXT,
        [(start, start + len(SECRET), "B6")],
        case_number="F-2015-00001",
        doc_number="C00000001",
        release_date=date(2015, 12, 31),
    )


@pytest.fixture(scope="module")
def good_files(doc) -> dict[str, bytes]:
    return {
        "C00000001.pdf": writers.write_pdf(doc),
        "C00000001.txt": writers.write_text(doc),
        "C00000001.json": writers.write_json(doc.public_record()),
    }


def gate(doc, files, hidden=(SECRET,)):
    return check_artifacts(files, list(hidden), doc.visible_text, page_lines=[doc.page_line])


def checks(findings) -> set[tuple[str, str]]:
    return {(f.artifact, f.check) for f in findings}


def with_pdf_change(pdf: bytes, change) -> bytes:
    document = pikepdf.open(io.BytesIO(pdf))
    change(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_correct_release_passes_the_gate(doc, good_files):
    assert gate(doc, good_files) == []


def test_text_drawn_under_a_box_is_caught():
    pdf = text_under_box_pdf("WOLFRAMKESTREL")
    findings = check_artifacts({"x.pdf": pdf}, ["Wolfram Kestrel"], "Released text")
    assert ("x.pdf", "pdf text") in checks(findings)
    assert ("x.pdf", "pdf streams") in checks(findings)


def test_a_renderer_that_receives_hidden_text_is_caught_in_text_and_font(doc, monkeypatch):
    # A writer that (wrongly) puts the hidden text on the page, e.g. in a white font.
    original = writers.pdf_input

    def leaky(document):
        data = original(document)
        data["rows"].append(["Wolfram Kestrel-Hawthorne \u0416"])
        return data

    monkeypatch.setattr(writers, "pdf_input", leaky)
    pdf = writers.write_pdf(doc)
    findings = gate(doc, {"C00000001.pdf": pdf}, hidden=(SECRET + " \u0416",))
    assert ("C00000001.pdf", "pdf text") in checks(findings)
    assert ("C00000001.pdf", "pdf font map") in checks(findings)


@pytest.mark.parametrize("key", ["/Title", "/Author", "/Subject", "/Keywords"])
def test_hidden_text_in_the_document_information_is_caught(doc, good_files, key):
    pdf = with_pdf_change(good_files["C00000001.pdf"], lambda d: d.docinfo.__setitem__(key, SECRET))
    assert ("x.pdf", "pdf metadata") in checks(gate(doc, {"x.pdf": pdf}))


def test_hidden_text_in_the_xmp_packet_is_caught(doc, good_files):
    def change(document):
        with document.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:description"] = SECRET

    pdf = with_pdf_change(good_files["C00000001.pdf"], change)
    assert ("x.pdf", "pdf metadata") in checks(gate(doc, {"x.pdf": pdf}))


def test_an_annotation_is_refused_and_its_text_caught(doc, good_files):
    def change(document):
        annotation = Dictionary(
            Type=Name.Annot, Subtype=Name.Text, Rect=[0, 0, 10, 10], Contents=SECRET
        )
        document.pages[0].obj["/Annots"] = Array([document.make_indirect(annotation)])

    pdf = with_pdf_change(good_files["C00000001.pdf"], change)
    found = checks(gate(doc, {"x.pdf": pdf}))
    assert ("x.pdf", "pdf structure") in found and ("x.pdf", "pdf strings") in found


def test_an_outline_is_refused(doc, good_files):
    def change(document):
        with document.open_outline() as outline:
            outline.root.append(pikepdf.OutlineItem("Chapter", 0))

    pdf = with_pdf_change(good_files["C00000001.pdf"], change)
    findings = gate(doc, {"x.pdf": pdf})
    assert any(f.check == "pdf structure" and "/Outlines" in f.detail for f in findings)


def test_an_incremental_update_is_refused(doc, good_files):
    pdf = good_files["C00000001.pdf"] + b"\n1 0 obj\n<< >>\nendobj\n%%EOF\n"
    findings = gate(doc, {"x.pdf": pdf})
    assert any(f.check == "pdf structure" and "end-of-file" in f.detail for f in findings)


def test_an_unreferenced_compressed_stream_is_inflated_and_caught(doc, good_files):
    body = zlib.compress(f"BT ({SECRET}) Tj ET".encode())
    orphan = b"\n99 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body)
    pdf = good_files["C00000001.pdf"] + orphan + body + b"\nendstream\nendobj\n"
    assert ("x.pdf", "pdf streams") in checks(gate(doc, {"x.pdf": pdf}))


def escaped_literal(data: bytes, draw_style) -> bytes:
    """``data`` as a PDF literal string, each byte written in a style chosen by
    ``draw_style(byte)``: as is, octal (1 to 3 digits when the next byte allows), named
    escape, escaped delimiter, or preceded by a line continuation."""
    out = bytearray(b"(")
    for index, byte in enumerate(data):
        following = data[index + 1 : index + 2]
        style = draw_style(byte)
        if style == "continuation":
            out += b"\\\r\n" if byte % 2 else b"\\\n"
            style = "octal"
        if style == "octal" or byte in b"()\\\r":
            digits = f"{byte:o}"
            if following.isdigit():
                digits = digits.zfill(3)  # a shorter escape would swallow the digit
            out += b"\\" + digits.encode()
        elif style == "named" and byte in b"\n\t\b\f":
            out += b"\\" + {10: b"n", 9: b"t", 8: b"b", 12: b"f"}[byte]
        else:
            out.append(byte)
    return bytes(out + b")")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40), st.data())
def test_literal_strings_are_unescaped_exactly(data, draw):
    styles = st.sampled_from(["plain", "octal", "named", "continuation"])
    data = b"x" + data  # no byte order mark: the string is read as PDFDocEncoding
    literal = escaped_literal(data, lambda byte: draw.draw(styles))
    texts = list(pdf_strings(b"BT " + literal + b" Tj ET"))
    assert data.decode("latin-1") in texts


def test_every_octal_escape_form_is_read():
    for byte in range(256):
        for digits in {f"{byte:o}", f"{byte:03o}"}:
            assert list(pdf_strings(b"(\\" + digits.encode() + b")"))[0] == chr(byte)
    # High-order overflow is ignored; a fourth digit is text; a lone backslash is dropped.
    assert list(pdf_strings(b"(\\777)"))[0] == "\xff"
    assert list(pdf_strings(b"(\\1014)"))[0] == "A4"
    assert list(pdf_strings(b"(a\\qb)"))[0] == "aqb"


def test_hidden_text_spelled_in_octal_escapes_in_a_content_stream_is_caught(doc, good_files):
    # Every byte an octal escape and a line continuation half way: only an exact reading of
    # the string shows the name.
    escaped = b"".join(b"\\%03o" % byte for byte in SECRET.encode())
    middle = len(escaped) // 2 // 4 * 4
    body = zlib.compress(b"BT (" + escaped[:middle] + b"\\\n" + escaped[middle:] + b") Tj ET")
    orphan = b"\n99 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body)
    pdf = good_files["C00000001.pdf"] + orphan + body + b"\nendstream\nendobj\n"
    assert ("x.pdf", "pdf streams") in checks(gate(doc, {"x.pdf": pdf}))


def test_visible_pieces_are_found_alike_in_a_short_and_a_long_visible_text(doc):
    # The gate checks a hidden piece against the visible text in one of two ways, by its
    # length; both must give the same answer.
    filler = "\n".join(f"{n}. (U) Routine paragraph number {n} of the release." for n in range(800))
    leak = {"x.txt": b"the minister met Wolfram; routine paragraph number 7"}
    for visible in (doc.visible_text, doc.visible_text + filler):
        for hidden, leaks in (
            ("The minister", False),
            ("minister Wolfram", True),
            ("Routine paragraph number 7", len(visible) < len(filler)),
        ):
            findings = check_artifacts(leak, [hidden], visible, page_lines=[doc.page_line])
            assert bool(findings) is leaks, (hidden, len(visible))


def test_hidden_text_in_the_text_json_or_a_file_name_is_caught(doc, good_files):
    files = {
        "C00000001.txt": good_files["C00000001.txt"] + SECRET.encode(),
        "C00000001.json": b'{"note": "' + SECRET.encode() + b'"}',
        f"{SECRET}.pdf.bin": b"",
    }
    found = checks(gate(doc, files))
    assert ("C00000001.txt", "text") in found
    assert ("C00000001.json", "json") in found
    assert (f"{SECRET}.pdf.bin", "file name") in found


def test_a_leak_respaced_hyphenated_or_in_other_case_is_still_caught(doc):
    leak = "w o l f-r a m\u00adK E S T"
    assert normalize(leak) == "wolframkest"
    assert gate(doc, {"x.txt": leak.encode()})


def test_findings_never_contain_the_hidden_text(doc, good_files):
    findings = gate(doc, {"x.txt": SECRET.encode(), "y.json": SECRET.encode()})
    assert findings
    for finding in findings:
        assert "wolfram" not in normalize(str(finding))
        assert "kestrel" not in normalize(str(finding))


def test_a_piece_that_is_also_visible_text_is_not_a_leak(doc):
    # "minister" is released text; a hidden "Minister Wolfram" leaks only through "Wolfram".
    text = doc.visible_text.encode()
    assert gate(doc, {"x.txt": text}, hidden=("The minister",)) == []
    assert gate(doc, {"x.txt": text + b" Wolfram"}, hidden=("minister Wolfram",))


def test_a_short_hidden_string_is_looked_for_whole_unless_it_is_visible(doc):
    assert gate(doc, {"x.txt": b"Bob was here"}, hidden=("Bob",))
    assert gate(doc, {"x.txt": b"Nothing here"}, hidden=("Bob",)) == []
    # "met" is visible in the release: it cannot be told from a leak, so it is not scanned.
    assert gate(doc, {"x.txt": b"they met"}, hidden=("met",)) == []


# --- the service refuses and records -----------------------------------------------------------


_WRITE_ARTIFACTS = releases.write_artifacts


def leaky_artifacts(doc):
    files = _WRITE_ARTIFACTS(doc)
    files["txt"] += b"\nQZJWOLFRAM7KESTREL\n"
    return files


def test_a_gate_finding_blocks_the_release_and_writes_nothing_but_its_audit_entry(
    session, make_user, make_cable, monkeypatch
):
    team = make_team(make_user)
    cable = canary_cable(session, make_cable, team)
    monkeypatch.setattr(building, "write_artifacts", leaky_artifacts)
    with pytest.raises(releases.ReleaseBlocked) as caught:
        releases.release_cable(session, team.authority, cable)
    assert {(f.check) for f in caught.value.findings} == {"text"}
    assert "QZJ" not in str(caught.value)
    session.commit()  # what the caller does: the refusal stays on record
    assert session.scalar(select(func.count()).select_from(Release)) == 0
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert entry.action == "release.gate_failed"
    assert "QZJ" not in entry.payload and ".txt" in entry.payload
    assert str(cable.status) == "ready"


def test_the_release_page_commits_the_gate_refusal_and_answers_409(
    app, session, make_user, make_cable, login, monkeypatch
):
    team = make_team(make_user)
    cable = canary_cable(session, make_cable, team)
    monkeypatch.setattr(building, "write_artifacts", leaky_artifacts)
    client = app.test_client()
    login(client, team.authority.username, team.authority_password)
    path = f"/cables/{cable.reference_id}/release"
    token = find_csrf_token(client.get(path).get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 409
    assert "QZJ" not in response.get_data(as_text=True)
    session.rollback()
    actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    assert actions[-1] == "release.gate_failed"
    assert session.scalar(select(func.count()).select_from(Release)) == 0
    session.rollback()


def test_leaky_row_double_really_puts_text_on_the_page(doc, monkeypatch):
    # Guards the double above: its PDF shows the text (so the gate is not passing vacuously).
    original = writers.pdf_input
    monkeypatch.setattr(
        writers, "pdf_input", lambda d: {**original(d), "rows": [["Wolfram Kestrel"]]}
    )
    text = pypdf.PdfReader(io.BytesIO(writers.write_pdf(doc))).pages[0].extract_text()
    assert "Wolfram Kestrel" in text


def test_the_printed_rows_are_those_of_the_document_asked_about(doc):
    # The PDF writer and the gate share the rows of the last document: another document,
    # even an equal one, gets its own.
    other = render_release(
        TEXT.replace("Tuesday", "Friday"),
        [(TEXT.index(SECRET), TEXT.index(SECRET) + len(SECRET), "B6")],
        case_number="F-2015-00002",
        doc_number="C00000002",
        release_date=date(2015, 12, 31),
    )
    for document in (doc, other, other, doc):
        assert writers.printed_rows(document) == render.wrap_lines(document, writers.COLUMNS)
    assert "Friday" in releases.visible_forms(other)
    assert "Friday" not in releases.visible_forms(doc)


def test_withholding_the_word_identity_does_not_block_the_release(session, make_user, make_cable):
    # A CID font's /CIDSystemInfo writes the string "Identity" into every PDF: the format's
    # vocabulary, not hidden text. The gate used to refuse any release withholding "identity".
    team = make_team(make_user)
    cable = make_cable(
        "09IDENT1", "SECRET",
        body="1. (C) The identity of the source stays with us.\n\n2. (U) Talks go on.",
    )
    redact(session, team, cable, "identity of the source", ("B1", "1.4(C)"))
    finish_review(session, team, cable)
    release = releases.release_cable(session, team.authority, cable)
    assert release.disposition == "RELEASE IN PART B1,1.4(C)"
