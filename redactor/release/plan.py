"""The release plan: what releasing a cable now would make, computed once for both doors.

Services layer (SQLAlchemy reads, no Flask; nothing written). :func:`plan_release` is the one
function behind the confirmation page and :func:`redactor.release.service.release_cable`:
numbers, disposition, stamp, codes, excisions, pages and the files. What the page shows is
what the release stores; the release refuses (:class:`PlanChanged`) when the figures
confirmed are no longer those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from redactor.cables.access import visible_cables
from redactor.errors import IllegalTransition, InvalidInput, NotPermitted
from redactor.models import Cable, CableStatus, CableVersion, Redaction, Release, User
from redactor.redaction.occurrences import Conflict, gate_conflicts
from redactor.redaction.spans import Span
from redactor.release import building, notice, render, writers
from redactor.release.numbering import (
    check_release_date,
    lock_numbering,
    next_case_number,
    next_doc_number,
)
from redactor.release.render import Disposition, ReleasableDocument, ReleaseNumberError
from redactor.review.policy import can_release
from redactor.review.service import (
    approved_redactions,
    lock_cable,
    outstanding_redactions,
    require_visible,
    version_of,
)


@dataclass(frozen=True)
class ReleasePlan:
    """Everything a release of a cable would be, computed by :func:`plan_release`.

    The confirmation page shows it; :func:`release_cable` stores it. ``document`` is the
    releasable document; ``published`` what is written to the files (the document itself,
    or for ``DENIED IN FULL`` the withdrawal notice of :mod:`redactor.release.notice`).
    ``new_case`` tells whether ``case_number`` is a new case. ``hidden`` is for the gate only
    and must never be shown.
    """

    cable: Cable
    version: CableVersion
    case_number: str
    new_case: bool
    doc_number: str
    release_date: date
    document: ReleasableDocument
    published: ReleasableDocument
    artifacts: dict[str, bytes]
    pages: int
    approved: tuple[Redaction, ...]
    hidden: tuple[str, ...] = field(repr=False)
    #: Places that would print approved-hidden text without a decision to release them
    #: (:func:`redactor.redaction.occurrences.gate_conflicts`): the release refuses while
    #: any is left; the confirmation lists them. Empty for a denial (no text is published).
    conflicts: tuple[Conflict, ...] = ()

    @property
    def disposition(self) -> Disposition:
        return self.document.disposition

    @property
    def stamp(self) -> str:
        return self.document.stamp

    @property
    def codes(self) -> tuple[str, ...]:
        return self.document.codes

    @property
    def excision_count(self) -> int:
        return len(self.document.excisions)

    @property
    def denied(self) -> bool:
        return self.document.disposition is Disposition.DENIED


def case_is_visible(session: Session, actor: User, case_number: str) -> bool:
    """Whether ``case_number`` holds a release of a cable ``actor`` is cleared for.

    A case whose every release lies above the actor's clearance answers False, exactly like
    a case that does not exist: adding to it would reveal that it exists."""
    visible = visible_cables(actor).with_only_columns(Cable.id)
    found = session.scalar(
        select(Release.id)
        .where(Release.case_number == case_number, Release.cable_id.in_(visible))
        .limit(1)
    )
    return found is not None


def _status_words(cable: Cable) -> str:
    return str(CableStatus(cable.status).value).replace("_", " ")


def is_ready(session: Session, cable: Cable, version: CableVersion) -> bool:
    """Whether ``cable`` may be released: ``ready``, and nothing else.

    Fail closed for a cable without portions too (a truncated cable): it is ready once a
    reviewer has marked its whole text reviewed (:data:`redactor.review.states.
    WHOLE_TEXT_INDEX`), never merely because it has nothing to mark. ``session`` and
    ``version`` stay in the signature for its callers; the status says it all."""
    return CableStatus(cable.status) == CableStatus.READY


def plan_release(
    session: Session,
    actor: User,
    cable: Cable,
    *,
    case_number: str | None = None,
    existing_case: bool = False,
    release_date: date | None = None,
    approvals_required: int = 1,
    lock: bool = False,
) -> ReleasePlan:
    """What releasing the current version of ``cable`` now would make: numbers,
    disposition, stamp, codes, excisions, pages and the files. The one function behind both
    the confirmation page and :func:`release_cable`, so the two cannot disagree.

    ``case_number`` None or empty: a new case (the next free number of the release date's
    year). Given with ``existing_case``: it must be a case already holding a release the
    actor can see (:func:`case_is_visible`). Given without it (the API and CLI): any
    well-formed number. ``lock`` takes the row lock of the cable and the numbering lock
    (the release does; the confirmation only reads).

    Raises ``NotFound`` (cable above ``actor``'s clearance), ``NotPermitted`` (not a
    release authority), ``IllegalTransition`` (the cable is not ready or a proposal is
    pending), ``InvalidInput`` (a malformed or unknown case number, a bad date). Writes
    nothing.
    """
    require_visible(actor, cable)
    if not can_release(actor.roles):
        raise NotPermitted("only a release authority releases cables")
    if lock:
        cable = lock_cable(session, cable)
    version = version_of(session, cable)
    if not is_ready(session, cable, version):
        raise IllegalTransition(
            f"only a cable that is ready can be released; this one is {_status_words(cable)}"
        )
    # Fail closed: pending proposals, changes and withdrawal requests, and approved ones short
    # of the approvals now required (the setting was raised), all hold the release.
    outstanding = outstanding_redactions(session, version, approvals_required=approvals_required)
    if outstanding:
        raise IllegalTransition(
            f"{len(outstanding)} proposal(s) on this cable still await a decision"
            " (pending, or awaiting further approval)"
        )
    release_date = check_release_date(release_date, cable)

    if lock:
        lock_numbering(session)
    new_case = case_number is None or case_number == ""
    if new_case:
        if existing_case:
            raise InvalidInput("type the number of the existing case (F-YYYY-NNNNN)")
        case_number = next_case_number(session, release_date.year)
    else:
        try:
            render.check_case_number(case_number)
        except ReleaseNumberError as exc:
            raise InvalidInput(str(exc)) from exc
        if existing_case and not case_is_visible(session, actor, case_number):
            raise InvalidInput(f"there is no case {case_number} among the releases you can see")
    doc_number = next_doc_number(session)

    # Loaded once: nothing between here and the records changes the redactions.
    approved_rows = approved_redactions(
        session, cable, version, approvals_required=approvals_required
    )
    approved_list = [(Span(r.start, r.end), tuple(r.codes)) for r in approved_rows]
    doc, hidden = building.document_of(
        session, version, approved_list, case_number, doc_number, release_date
    )
    if doc.disposition is Disposition.DENIED:
        # The would-be release is typeset only to count the pages the notice names.
        pages = building.pdf_pages(writers.write_pdf(doc))
        reference = building.printed_reference(doc, cable)
        # The cable's own date comes from the routing header, like its reference.
        when = cable.created.date() if cable.created is not None and reference else None
        published = notice.denial_notice(doc, reference=reference, document_date=when, pages=pages)
        artifacts = {
            "pdf": writers.write_pdf(published),
            "txt": writers.write_text(published),
            "json": writers.write_json(
                notice.notice_record(published, reference=reference, document_date=when,
                                     pages=pages)
            ),
        }
        conflicts: list[Conflict] = []
    else:
        published = doc
        artifacts = building.write_artifacts(doc)
        pages = building.pdf_pages(artifacts["pdf"])
        # Text withheld in one place and printed in another: each such place must be
        # redacted too or released on purpose (two people) before the release goes through.
        conflicts = gate_conflicts(session, version, approved_rows)
    return ReleasePlan(
        cable=cable,
        version=version,
        case_number=case_number,
        new_case=new_case,
        doc_number=doc_number,
        release_date=release_date,
        document=doc,
        published=published,
        artifacts=artifacts,
        pages=pages,
        approved=tuple(approved_rows),
        hidden=tuple(hidden),
        conflicts=tuple(conflicts),
    )


class PlanChanged(IllegalTransition):
    """What the release would make is no longer what the confirmation page showed (a
    release in between took the document number, a decision changed the stamp): 409."""

    code = "plan_changed"
