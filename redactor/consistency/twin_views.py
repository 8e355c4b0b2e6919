"""What a reader is shown of the twin index, and "propose the same redactions here".

**Clearance.** The index (:mod:`redactor.consistency.twins`) holds ids of cables of every
level; everything here starts from :func:`~redactor.cables.access.visible_cables` and the
twin version's own level, so a twin above the reader's clearance is neither named nor
counted: a CONFIDENTIAL reader whose portion has a SECRET twin reads "also in 0 cables",
exactly as with no twin, and :func:`apply_twin_decisions` answers a hidden twin with the
``NotFound`` of an unknown one. The proposals it makes carry the reviewer's own rationale
and the twin's codes, never the twin's id (a reader of this cable may not be cleared for
the twin); its audit entry names the twin and is filed under the higher-level of the two
cables, so it is withheld from every reader not cleared for both.

**Re-anchoring.** A decision of the twin is a span of the twin's text; here it becomes the
span of this portion holding the same text: found exactly (the occurrence nearest the same
relative place), else in the normalised texts (other case, line breaks, punctuation), else
by alignment (:func:`~redactor.consistency.twins.locate`, for a re-keyed or noisy copy).
What cannot be placed is reported, not guessed. Each placed span is proposed through
:func:`redactor.redaction.service.propose` by the current reviewer: a new pending proposal
that still needs a second person's approval, like any other.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from redactor import audit
from redactor.cables.access import visible_cables
from redactor.consistency.models import TwinCable, TwinPortion
from redactor.consistency.shingles import normal_text, normalise
from redactor.consistency.twins import QUOTE_SCORE, locate
from redactor.errors import InvalidInput, NotFound, StaleVersion
from redactor.models import (
    Cable,
    CableVersion,
    Portion,
    Redaction,
    RedactionStatus,
    User,
    current_version_join,
)
from redactor.redaction import service as redaction_service

#: At most this many twins are listed per portion (all visible ones are counted).
TWINS_SHOWN = 20
#: Characters of a twin's withheld text shown beside its codes.
EXCERPT = 80

KIND_LABELS = {
    "copy": "the same text",
    "quotes": "quotes it",  # this portion quotes the twin's portion
    "quoted_in": "quoted there",
    "passage": "a passage in common",
}


@dataclass(frozen=True)
class TwinDecision:
    """An approved redaction on a twin portion: its codes and the text it withholds."""

    codes: str
    text: str


@dataclass(frozen=True)
class TwinView:
    """One twin portion the reader may see, with the decisions made there."""

    reference_id: str
    portion_index: int
    portion_title: str
    kind: str
    score: int
    decisions: tuple[TwinDecision, ...]


@dataclass(frozen=True)
class PortionTwins:
    """The twins of one portion: ``cables`` visible cables, ``twins`` (at most
    :data:`TWINS_SHOWN`)."""

    cables: int
    twins: tuple[TwinView, ...]


def _title(kind: str, number: str | None) -> str:
    if kind == "heading":
        return "Heading"
    return f"Paragraph {number or '(unnumbered)'}"


def _visible_twin_rows(session: Session, actor: User, version_id: int, portion: int | None):
    query = (
        visible_cables(actor)
        .join(TwinPortion, TwinPortion.twin_cable_id == Cable.id)
        .join(CableVersion, and_(CableVersion.id == TwinPortion.twin_version_id,
                                 current_version_join()))
        .join(Portion, and_(Portion.version_id == TwinPortion.twin_version_id,
                            Portion.index == TwinPortion.twin_portion_index))
        .where(TwinPortion.version_id == version_id, CableVersion.level <= actor.clearance)
        .with_only_columns(
            TwinPortion.portion_index, Cable.reference_id, TwinPortion.twin_version_id,
            TwinPortion.twin_portion_index, TwinPortion.kind, TwinPortion.score,
            Portion.kind, Portion.number,
        )
        .order_by(TwinPortion.portion_index, TwinPortion.score.desc(), Cable.reference_id)
    )
    if portion is not None:
        query = query.where(TwinPortion.portion_index == portion)
    return session.execute(query).all()


def _approved(session: Session, keys: set[tuple[int, int]]) -> dict[tuple[int, int], list]:
    """Approved redactions on the twin portions ``(version id, portion index)``."""
    found: dict[tuple[int, int], list] = defaultdict(list)
    versions = {v for v, _ in keys}
    if not versions:
        return found
    rows = session.scalars(
        select(Redaction)
        .where(Redaction.version_id.in_(versions), Redaction.status == RedactionStatus.APPROVED)
        .order_by(Redaction.start)
    )
    for r in rows:
        if (r.version_id, r.portion_index) in keys:
            found[(r.version_id, r.portion_index)].append(r)
    return found


def portion_twins(
    session: Session, actor: User, version_id: int
) -> dict[int, PortionTwins]:
    """For each portion index of the version ``version_id`` (already checked visible to
    ``actor``), its twins in the cables ``actor`` may see, with their approved decisions.
    Portions without a visible twin are absent (the page reads "also in 0 cables")."""
    rows = _visible_twin_rows(session, actor, version_id, None)
    decisions = _approved(session, {(r[2], r[3]) for r in rows})
    # The twins' texts only where there is a decision to show (the page reads no text else).
    texts = _texts(session, {v for v, _ in decisions})
    by_portion: dict[int, list[TwinView]] = defaultdict(list)
    cables: dict[int, set[str]] = defaultdict(set)
    for index, ref, tv, ti, kind, score, pkind, number in rows:
        cables[index].add(ref)
        if len(by_portion[index]) >= TWINS_SHOWN:
            continue
        made = tuple(
            TwinDecision(" ".join(r.codes), _excerpt(texts[tv][r.start : r.end]))
            for r in decisions.get((tv, ti), ())
        )
        by_portion[index].append(
            TwinView(ref, ti, _title(pkind, number), KIND_LABELS.get(kind, kind), score, made)
        )
    return {i: PortionTwins(len(cables[i]), tuple(v)) for i, v in by_portion.items()}


def _texts(session: Session, version_ids: set[int]) -> dict[int, str]:
    if not version_ids:
        return {}
    return dict(session.execute(
        select(CableVersion.id, CableVersion.text).where(CableVersion.id.in_(version_ids))
    ).all())


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


# --------------------------------------------------------------------------- duplicates


@dataclass(frozen=True)
class DuplicateView:
    """A visible cable holding the same text: ``relation`` is ``duplicate of`` (this one
    came later, or is a part of it) or ``also sent as``."""

    reference_id: str
    relation: str


def duplicates(
    session: Session, actor: User, cable_ids: list[int]
) -> dict[int, tuple[DuplicateView, ...]]:
    """For each of ``cable_ids`` (already visible to ``actor``), the visible cables that are
    the same text (see :class:`~redactor.consistency.models.TwinCable`)."""
    if not cable_ids:
        return {}
    rows = session.execute(
        visible_cables(actor)
        .join(TwinCable, TwinCable.twin_cable_id == Cable.id)
        .where(TwinCable.cable_id.in_(cable_ids))
        .with_only_columns(TwinCable.cable_id, Cable.id, Cable.reference_id, TwinCable.part)
        .order_by(Cable.reference_id)
    ).all()
    found: dict[int, list[DuplicateView]] = defaultdict(list)
    for own, other, ref, part in rows:
        relation = "duplicate of" if part or other < own else "also sent as"
        found[own].append(DuplicateView(ref, relation))
    return {k: tuple(v) for k, v in found.items()}


# --------------------------------------------------------------------------- applying


@dataclass(frozen=True)
class ApplyResult:
    """What "propose the same redactions here" did: the ids proposed, and the withheld
    texts of the twin that could not be placed here (or are already proposed here)."""

    proposed: tuple[int, ...]
    not_placed: int
    already: int


def place(own_text: str, start: int, end: int, hidden: str, relative: float) -> (
    tuple[int, int] | None
):
    """The span of ``own_text[start:end]`` (code points of ``own_text``) holding
    ``hidden``: exactly (the occurrence nearest ``relative``, 0-1 into the portion), else
    in the normalised texts, else by alignment; None when it is not there."""
    exact = []
    at = own_text.find(hidden, start, end)
    while at >= 0 and len(exact) < 50:
        exact.append(at)
        at = own_text.find(hidden, at + 1, end)
    if exact:
        want = start + relative * (end - start)
        best = min(exact, key=lambda a: abs(a - want))
        return best, best + len(hidden)
    needle = normal_text(hidden)
    if not needle:
        return None
    norm = normalise(own_text, start, end)
    at = norm.text.find(needle)
    if at >= 0:
        return norm.span(at, at + len(needle))
    score, at = locate(needle, norm.text)
    if score >= QUOTE_SCORE - 8 and at >= 0:
        return norm.span(at, min(len(norm.text), at + len(needle)))
    return None


def apply_twin_decisions(
    session: Session,
    actor: User,
    cable: Cable,
    portion_index: int,
    *,
    twin_reference_id: str,
    twin_portion_index: int,
    version_number: int,
    rationale: str = "",
) -> ApplyResult:
    """Propose on portion ``portion_index`` of ``cable``'s current version (loaded for
    ``actor``; ``version_number`` is the version the page showed) the approved redactions
    of the twin portion, re-anchored to this text (see the module docstring).

    Raises ``NotFound`` when the twin is not a twin of this portion the actor may see (a
    hidden twin is an unknown one), ``StaleVersion`` when the page was of another version,
    ``NotPermitted`` for a non-reviewer, and what :func:`~redactor.redaction.service.propose`
    raises. Audits ``twins.apply``; flushes, never commits.
    """
    if version_number != cable.current_version:
        raise StaleVersion(
            f"the page showed version {version_number}; the cable is now at version "
            f"{cable.current_version}"
        )
    version = session.scalars(
        select(CableVersion).where(current_version_join(), CableVersion.cable_id == cable.id)
        .join(Cable, Cable.id == CableVersion.cable_id)
    ).one()
    twin = next(
        (r for r in _visible_twin_rows(session, actor, version.id, portion_index)
         if r[1] == twin_reference_id and r[3] == twin_portion_index),
        None,
    )
    if twin is None:
        raise NotFound(f"no twin {twin_reference_id} of this portion")
    twin_version = twin[2]
    twin_text = _texts(session, {twin_version})[twin_version]
    own = session.scalars(
        select(Portion).where(Portion.version_id == version.id, Portion.index == portion_index)
    ).one_or_none()
    twin_portion = session.scalars(
        select(Portion).where(Portion.version_id == twin_version,
                              Portion.index == twin_portion_index)
    ).one()
    if own is None:
        raise NotFound(f"no portion {portion_index}")
    existing = {
        (r.start, r.end)
        for r in session.scalars(
            select(Redaction).where(
                Redaction.version_id == version.id,
                Redaction.status.in_((RedactionStatus.PENDING, RedactionStatus.APPROVED)),
            )
        )
    }
    decisions = _approved(session, {(twin_version, twin_portion_index)}).get(
        (twin_version, twin_portion_index), []
    )
    if not decisions:
        raise InvalidInput("the twin portion has no approved redaction to propose here")
    proposed: list[int] = []
    not_placed = already = 0
    length = max(1, twin_portion.end - twin_portion.start)
    for r in decisions:
        span = place(version.text, own.start, own.end, twin_text[r.start : r.end],
                     (r.start - twin_portion.start) / length)
        if span is None:
            not_placed += 1
            continue
        if span in existing:
            already += 1
            continue
        made = redaction_service.propose(
            session, actor, cable, start=span[0], end=span[1], codes=r.codes,
            rationale=rationale, version_number=version_number,
        )
        existing.add((made.start, made.end))
        proposed.append(made.id)
    twin_cable = session.scalars(
        select(Cable).where(Cable.reference_id == twin_reference_id)
    ).one()
    filed_under = twin_cable if twin_cable.level > cable.level else cable
    audit.record(
        session, actor, "twins.apply", subject=("cable", cable.reference_id),
        data={"portion": portion_index, "twin": twin_reference_id,
              "twin_portion": twin_portion_index, "proposed": proposed,
              "not_placed": not_placed, "already": already},
        cable=filed_under,
    )
    return ApplyResult(tuple(proposed), not_placed, already)


# --------------------------------------------------------------------------- pages


def page_model(session: Session, actor: User, cable: Cable) -> dict:
    """What the cable page shows of twins: ``portions`` (index -> :class:`PortionTwins`,
    only visible twins), ``duplicates`` (:class:`DuplicateView` s), ``version`` (the
    current version's number, for the forms), ``may_apply`` (the reader proposes)."""
    from redactor.review.policy import can_propose

    version_id = session.scalar(
        select(CableVersion.id).where(
            CableVersion.cable_id == cable.id, CableVersion.number == cable.current_version
        )
    )
    return {
        "portions": portion_twins(session, actor, version_id) if version_id else {},
        "duplicates": duplicates(session, actor, [cable.id]).get(cable.id, ()),
        "version": cable.current_version,
        "may_apply": can_propose(actor.roles),
    }


def list_duplicates(
    session: Session, actor: User, reference_ids: list[str]
) -> dict[str, tuple[DuplicateView, ...]]:
    """:func:`duplicates` of the listed cables (visible to ``actor``), by reference id."""
    if not reference_ids:
        return {}
    ids = dict(session.execute(
        visible_cables(actor).where(Cable.reference_id.in_(reference_ids))
        .with_only_columns(Cable.id, Cable.reference_id)
    ).all())
    found = duplicates(session, actor, list(ids))
    return {ids[k]: v for k, v in found.items()}
