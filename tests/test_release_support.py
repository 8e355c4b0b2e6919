"""Helpers for the release tests (no tests here): canary cables taken through review.

A canary cable is imported, its canaries proposed by one reviewer and approved by another
user, every portion marked reviewed: it is then ``ready`` for release.
"""

from __future__ import annotations

import subprocess
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select

from redactor.models import Cable, Portion
from redactor.redaction import service as redactions
from redactor.release.gate import normalize
from redactor.review import service as review
from redactor.review.policy import Level, Role

# Distinctive tokens that occur nowhere else in the cable or any release stamp.
CANARY_ASCII = "QZJWOLFRAM7KESTREL"
CANARY_NON_ASCII = "ŽQX-Ķ7-ДЖ"
CANARY_START = "QZJSTARTOFPARA"
CANARY_END = "QZJENDOFPARA"
CANARY_BREAK = "QZJLINEBREAK1\nQZJLINEBREAK2"
CANARY_SUBJECT = "QZJTOPICMOLE7"
CANARIES = (
    CANARY_ASCII,
    CANARY_NON_ASCII,
    CANARY_START,
    CANARY_END,
    CANARY_BREAK,
    CANARY_SUBJECT,
)

CANARY_BODY = (
    f"1. (C) {CANARY_START} opened the meeting. The minister met {CANARY_ASCII} and\n"
    f"the deputy {CANARY_NON_ASCII} on Tuesday; they spoke of the {CANARY_BREAK} matter\n"
    f"at length and agreed to meet again with {CANARY_END}\n\n"
    "2. (U) Comment: nothing further to report. End comment."
)
CANARY_SUBJECT_LINE = f"MEETING WITH {CANARY_SUBJECT}"


def pieces(secret: str, size: int = 6) -> set[str]:
    """Every ``size``-character piece of ``secret`` after the gate's normalisation."""
    form = normalize(secret)
    if len(form) < size:
        return {form}
    return {form[i : i + size] for i in range(len(form) - size + 1)}


def canary_pieces() -> set[str]:
    """The pieces of every canary (also in NFD, which some extractors produce)."""
    found: set[str] = set()
    for canary in CANARIES:
        found |= pieces(canary) | pieces(unicodedata.normalize("NFD", canary))
    return found


def leaked_pieces(text: str) -> set[str]:
    """The canary pieces found in ``text`` after normalisation."""
    hay = normalize(text)
    return {piece for piece in canary_pieces() if piece in hay}


@dataclass
class Team:
    reviewer: object
    approver: object
    authority: object
    authority_password: str
    reader: object
    reader_password: str


def make_team(make_user, prefix: str = "") -> Team:
    """A reviewer, an approver, a release authority and a reader, all cleared TOP SECRET."""
    reviewer, _ = make_user(f"{prefix}rita", roles=(Role.REVIEWER,))
    approver, _ = make_user(f"{prefix}anna", roles=(Role.APPROVER,))
    authority, authority_password = make_user(f"{prefix}rex", roles=(Role.RELEASE_AUTHORITY,))
    reader, reader_password = make_user(
        f"{prefix}reed", roles=(Role.AUDITOR,), clearance=Level.TOP_SECRET
    )
    return Team(reviewer, approver, authority, authority_password, reader, reader_password)


def redact(session, team: Team, cable: Cable, needle: str, codes=("B6",), *, approve=True):
    """Propose redacting the first ``needle`` of the current version; approve it."""
    text = review.version_of(session, cable).text
    start = text.index(needle)
    proposal = redactions.propose(
        session, team.reviewer, cable, start=start, end=start + len(needle), codes=codes
    )
    if approve:
        redactions.approve(
            session, team.approver, proposal, expected_row_version=proposal.row_version
        )
    return proposal


def withhold(session, team: Team, cable: Cable, portion_index: int, codes=("B1", "1.4(D)")):
    """Withhold a whole portion (proposed and approved)."""
    proposal = redactions.withhold_portion(
        session, team.reviewer, cable, portion_index, codes=codes
    )
    redactions.approve(session, team.approver, proposal, expected_row_version=proposal.row_version)
    return proposal


def finish_review(session, team: Team, cable: Cable) -> None:
    """Mark every portion of the current version reviewed (or its whole text, without
    portions) and commit (the cable is ready)."""
    version = review.version_of(session, cable)
    indexes = session.scalars(
        select(Portion.index).where(Portion.version_id == version.id).order_by(Portion.index)
    ).all()
    # No portion (a truncated cable): its whole text is one mark, under index 0.
    for index in indexes or [0]:
        review.mark_portion_reviewed(session, team.reviewer, cable, index)
    session.commit()


def canary_cable(session, make_cable, team: Team, reference_id: str = "09CANARY1") -> Cable:
    """The canary cable, every canary redacted and approved, review finished."""
    cable = make_cable(reference_id, "SECRET", body=CANARY_BODY, subject=CANARY_SUBJECT_LINE)
    redact(session, team, cable, CANARY_START, ("B6",))
    redact(session, team, cable, CANARY_ASCII, ("B1", "1.4(B)"))
    redact(session, team, cable, CANARY_NON_ASCII, ("B6",))
    redact(session, team, cable, CANARY_BREAK, ("B1", "1.4(D)"))
    redact(session, team, cable, CANARY_END, ("B6",))
    redact(session, team, cable, CANARY_SUBJECT, ("B6",))
    finish_review(session, team, cable)
    return cable


def run(*args: str, input_bytes: bytes | None = None) -> bytes:
    """Run a command, fail the test with its error output if it fails; return stdout."""
    result = subprocess.run(list(args), input=input_bytes, capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


def text_under_box_pdf(hidden: str, visible: str = "Released text") -> bytes:
    """A broken renderer's PDF: ``hidden`` drawn, then a black box drawn over it (the
    "covered, not removed" failure). ASCII text in Helvetica, at whole-point coordinates."""
    import io

    import pikepdf
    from pikepdf import Dictionary, Name

    pdf = pikepdf.new()
    font = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    )
    content = (
        f"BT /F1 12 Tf 72 720 Td ({visible}) Tj ET "
        f"BT /F1 12 Tf 72 700 Td (the agent {hidden} said) Tj ET "
        "0 0 0 rg 130 696 200 16 re f"
    ).encode("latin-1")
    page = Dictionary(
        Type=Name.Page,
        MediaBox=[0, 0, 612, 792],
        Resources=Dictionary(Font=Dictionary(F1=font)),
        Contents=pdf.make_stream(content),
    )
    pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()
