"""Non-interference: what is hidden has no influence on any released byte.

The same cable with different hidden text (different lengths, scripts, line counts) under the
same redactions gives byte-identical PDF, text and JSON. This also shows that boxes reveal no
lengths and that the PDF carries no clock or random id.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from redactor.release.render import render_release
from redactor.release.service import write_artifacts

TEMPLATE = (
    "09NONINTER1\n"
    "SUBJECT: TALKS WITH {0}\n"
    "\n"
    "1. (C) {1} opened the meeting; the minister met {2} on Tuesday and\n"
    "agreed to meet again.\n"
    "\n"
    "2. (S) {3}\n"
    "\n"
    "3. (U) Comment: nothing further. End comment.\n"
)
CODES = ("B6", "B6", "B1 1.4(D)", "B1 1.4(B) 1.4(D)")
VARIANTS = [
    ("Jan Kowalski", "Smith", "QX", "The deal is off."),
    ("Ærøskøbing Ødegård-Østergaard", "李小龍", "Жанна Дмитриевна Ковалёва-Щербакова", "短"),
    ("A", "x" * 500, "ŽQX-Ķ7-ДЖ", "Line one of the secret\nline two\nline three\n\nline five"),
    ("\u202eevil bidi\u202c", "emoji 👩‍👩‍👧 family", "tab\there", "(S) nested (C) marks"),
]
ROOT = Path(__file__).resolve().parent.parent


def document(hidden: tuple[str, ...]):
    # Built piece by piece, so each span is exactly where its slot is.
    pieces = TEMPLATE.split("{")
    text, spans = pieces[0], []
    for piece in pieces[1:]:
        slot, rest = piece.split("}", 1)
        value = hidden[int(slot)]
        spans.append((len(text), len(text) + len(value), CODES[int(slot)]))
        text += value + rest
    return render_release(
        text,
        spans,
        case_number="F-2015-00007",
        doc_number="C00000007",
        release_date=date(2015, 12, 31),
    )


@pytest.fixture(scope="module")
def outputs() -> list[dict[str, bytes]]:
    return [write_artifacts(document(hidden)) for hidden in VARIANTS]


@pytest.mark.parametrize("kind", ["pdf", "txt", "json"])
def test_different_hidden_text_under_the_same_spans_gives_identical_bytes(outputs, kind):
    first = outputs[0][kind]
    assert first
    for other in outputs[1:]:
        assert other[kind] == first


def test_the_documents_themselves_are_equal(outputs):
    docs = [document(hidden) for hidden in VARIANTS]
    assert all(doc == docs[0] for doc in docs[1:])
    assert len(docs[0].excisions) == 4


def test_changing_a_visible_word_does_change_the_pdf(outputs):
    # The comparison above can fail: visible text does reach the bytes.
    doc = render_release(
        TEMPLATE.replace("Tuesday", "Monday").format(*VARIANTS[0]),
        [],
        case_number="F-2015-00007",
        doc_number="C00000007",
        release_date=date(2015, 12, 31),
    )
    assert write_artifacts(doc)["pdf"] != outputs[0]["pdf"]


def test_a_fresh_process_writes_the_same_pdf_bytes(outputs):
    code = (
        "import hashlib, sys\n"
        "from tests.test_release_noninterference import VARIANTS, document\n"
        "from redactor.release.writers import write_pdf\n"
        "sys.stdout.write(hashlib.sha256(write_pdf(document(VARIANTS[1]))).hexdigest())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == hashlib.sha256(outputs[0]["pdf"]).hexdigest()
