"""Versions that keep the work: a new version takes over the review of the one before it.

A services-layer module (SQLAlchemy, ``Levenshtein``; no Flask), called by the import
(:mod:`redactor.cables.service`) each time a changed text of a known cable is stored as a
new version. It never commits.

**What moves.** The portions of the old and new text are paired (:func:`pair_portions`: a
sequence match of identical texts, then the rest of each unmatched run pairwise when
``Levenshtein.ratio`` reaches :data:`PAIR_THRESHOLD`). Then:

* each pending or approved redaction is re-anchored on the new text (:func:`anchor`): in a
  portion whose text is unchanged, the same place shifted by the portion's move; in a
  changed portion, the span's text found **exactly once** in the paired portion; in the
  header (outside the portions), the same place when everything before the first portion
  (or after the last) is unchanged, else the span's text found exactly once outside the
  portions. The new place must also lie in one region of the new version, the same kind of
  region (:mod:`redactor.redaction.regions`). A re-anchored redaction is copied to the new
  version with its status, revision, codes, rationale, proposer, decisions (same approver
  and proposer ids: the two-person rule is held by the database as for any decision) and
  comments; the old row stays on the old version, unchanged;
* pending changes and withdrawal requests move with the redaction they change (they are
  left behind with it);
* each reviewed mark of a portion whose text is unchanged moves to its pair, unless a
  redaction of that portion was left behind; changed and new portions go back to review.

**Fail closed.** A redaction that cannot be re-anchored unambiguously is never carried by a
guess and never dropped in silence: it stays on the old version and is listed
(``needs_look``) on the new version's banner, and every such row holds the release of the
new version (:func:`redactor.review.service.outstanding_redactions` and the cable's status
count it) until an approver who did not propose it resolves it (:func:`resolve`), which is
refused while the new version still prints the text it hid outside approved redactions: one
person may say "looked at", but never show again what two people agreed to hide.
Unresolved rows of the old version move on to the next one. The whole move is one audit
entry, ``cable.carry_over``, naming the rows moved and left (ids and portion indexes, never
text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

import Levenshtein
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from redactor import audit
from redactor.errors import IllegalTransition, NotFound, NotPermitted
from redactor.models import (
    Cable,
    CableVersion,
    CarryOver,
    Comment,
    Decision,
    Portion,
    PortionReview,
    Redaction,
    RedactionStatus,
    User,
    utcnow,
)
from redactor.redaction import regions
from redactor.release.occurrences import printed_occurrences
from redactor.review import service as review
from redactor.review.policy import Role

#: Two changed portions at least this similar are the same portion, edited.
PAIR_THRESHOLD = 0.5

_MOVING = (RedactionStatus.PENDING, RedactionStatus.APPROVED)


@dataclass(frozen=True)
class Pair:
    """The new portion (index) an old portion became, and whether its text is unchanged."""

    new_index: int
    equal: bool


def pair_portions(
    old: Sequence[tuple[int, str]], new: Sequence[tuple[int, str]]
) -> dict[int, Pair]:
    """Old portion index -> :class:`Pair`, for ``(index, text)`` of each side in reading
    order; an old portion with no counterpart (removed) is absent."""
    matcher = SequenceMatcher(None, [t for _, t in old], [t for _, t in new], autojunk=False)
    pairs: dict[int, Pair] = {}
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                pairs[old[i][0]] = Pair(new[j][0], True)
            continue
        left, right = list(old[i1:i2]), list(new[j1:j2])
        while left and right:
            (oi, ot), (ni, nt) = left[0], right[0]
            if Levenshtein.ratio(ot, nt) >= PAIR_THRESHOLD:
                pairs[oi] = Pair(ni, ot == nt)
                left, right = left[1:], right[1:]
            elif len(left) >= len(right):
                left = left[1:]
            else:
                right = right[1:]
    return pairs


def _only_occurrence(text: str, needle: str, start: int, end: int) -> int | None:
    """The one offset of ``needle`` in ``text[start:end]``, or None (absent or ambiguous)."""
    first = text.find(needle, start, end)
    if first < 0 or text.find(needle, first + 1, end) >= 0:
        return None
    return first


def anchor(
    old_text: str,
    new_text: str,
    span: tuple[int, int],
    old_portions: dict[int, tuple[int, int]],
    new_portions: dict[int, tuple[int, int]],
    portion_index: int | None,
    pair: Pair | None,
) -> tuple[int, int] | str:
    """The new place of ``span`` of the old text (see the module notes), or the reason it
    has none. ``*_portions``: index -> (start, end); ``pair``: the old portion's pair."""
    start, end = span
    wanted = old_text[start:end]
    if portion_index is not None:
        if pair is None:
            return "its portion is gone from the new version"
        a, b = old_portions[portion_index]
        c, d = new_portions[pair.new_index]
        if pair.equal:
            return start - a + c, end - a + c
        at = _only_occurrence(new_text, wanted, c, d)
        if at is None:
            count = new_text.count(wanted, c, d)
            return (
                f"its portion changed and the text occurs there {count} times"
                if count else "its portion changed and the text is no longer there"
            )
        return at, at + len(wanted)
    # Header fields and lines outside the portions.
    old_first = min((a for a, _ in old_portions.values()), default=len(old_text))
    new_first = min((c for c, _ in new_portions.values()), default=len(new_text))
    if end <= old_first and old_text[:old_first] == new_text[:new_first]:
        return start, end
    old_last = max((b for _, b in old_portions.values()), default=0)
    new_last = max((d for _, d in new_portions.values()), default=0)
    if start >= old_last and old_text[old_last:] == new_text[new_last:]:
        return start - old_last + new_last, end - old_last + new_last
    found = []
    at = new_text.find(wanted)
    while at >= 0 and len(found) < 2:
        if not any(c < at + len(wanted) and at < d for c, d in new_portions.values()):
            found.append(at)
        at = new_text.find(wanted, at + 1)
    if len(found) != 1:
        return (
            "the header changed and the text occurs there more than once"
            if found else "the header changed and the text is no longer there"
        )
    return found[0], found[0] + len(wanted)


def _portions(session: Session, version: CableVersion) -> list[Portion]:
    return list(
        session.scalars(
            select(Portion).where(Portion.version_id == version.id).order_by(Portion.index)
        )
    )


def carry_over(
    session: Session, actor: User | None, cable_id: int, old_version_id: int, new_version_id: int
) -> audit.EntrySpec | None:
    """Carry the review of version ``old_version_id`` of cable ``cable_id`` over to its new
    version ``new_version_id`` (already stored with its portions); see the module notes.

    Returns the ``cable.carry_over`` audit entry for the caller to record with the import's
    own entries, or None when the old version held nothing to carry. Flushes, never commits.
    """
    old = session.get(CableVersion, old_version_id)
    new = session.get(CableVersion, new_version_id)
    assert old is not None and new is not None  # written by the caller
    moving = list(
        session.scalars(
            select(Redaction)
            .where(Redaction.version_id == old.id, Redaction.status.in_(_MOVING))
            .options(selectinload(Redaction.decisions), selectinload(Redaction.comments))
            .order_by(Redaction.replaces_id.is_not(None), Redaction.id)  # originals first
        )
    )
    marks = list(session.scalars(select(PortionReview).where(PortionReview.version_id == old.id)))
    inherited = list(
        session.scalars(
            select(CarryOver).where(
                CarryOver.to_version_id == old.id,
                CarryOver.needs_look.is_(True),
                CarryOver.resolved_at.is_(None),
            )
        )
    )
    if not moving and not marks and not inherited:
        return None
    old_rows, new_rows = _portions(session, old), _portions(session, new)
    old_portions = {p.index: (p.start, p.end) for p in old_rows}
    new_portions = {p.index: (p.start, p.end) for p in new_rows}
    pairs = pair_portions(
        [(p.index, old.text[p.start : p.end]) for p in old_rows],
        [(p.index, new.text[p.start : p.end]) for p in new_rows],
    )
    areas = regions.regions(new.text, [(p.start, p.end, p.index) for p in new_rows], new.parsed)

    def row(**values: Any) -> CarryOver:
        item = CarryOver(
            cable_id=cable_id, from_version_id=old.id, to_version_id=new.id, **values
        )
        session.add(item)
        return item

    moved: dict[int, Redaction] = {}  # old id -> new row
    left: list[dict[str, Any]] = []
    left_portions: set[int] = set()
    for redaction in moving:
        place = _new_place(old, new, redaction, old_portions, new_portions, pairs, areas)
        if isinstance(place, str) or (
            redaction.replaces_id is not None
            and redaction.status == RedactionStatus.PENDING
            and redaction.replaces_id not in moved
        ):
            reason = place if isinstance(place, str) else "the redaction it changes stays behind"
            row(kind="redaction", old_redaction_id=redaction.id,
                old_portion_index=redaction.portion_index, needs_look=True, reason=reason)
            left.append({"redaction": redaction.id, "status": str(redaction.status),
                         "reason": reason})
            if redaction.portion_index is not None:
                left_portions.add(redaction.portion_index)
            continue
        moved[redaction.id] = _copy(session, redaction, new, *place, moved)
    session.flush()
    for old_id, copy in moved.items():
        row(kind="redaction", old_redaction_id=old_id, new_redaction_id=copy.id,
            old_portion_index=session.get(Redaction, old_id).portion_index,
            new_portion_index=copy.portion_index, needs_look=False, reason="")
    for item in inherited:
        # Not yet resolved on the old version: still not resolved on this one.
        row(kind="redaction", old_redaction_id=item.old_redaction_id,
            old_portion_index=item.old_portion_index, needs_look=True, reason=item.reason)
        left.append({"redaction": item.old_redaction_id, "reason": item.reason,
                     "inherited": True})
    reviewed: list[list[int]] = []
    for mark in marks:
        pair = pairs.get(mark.portion_index)
        if pair is None or not pair.equal or mark.portion_index in left_portions:
            continue
        session.add(PortionReview(version_id=new.id, portion_index=pair.new_index,
                                  reviewer_id=mark.reviewer_id, created_at=mark.created_at))
        row(kind="review", old_portion_index=mark.portion_index,
            new_portion_index=pair.new_index, needs_look=False, reason="")
        reviewed.append([mark.portion_index, pair.new_index])
    session.flush()
    changed = sorted(
        p.index for p in new_rows
        if p.index not in {pair.new_index for pair in pairs.values() if pair.equal}
    )
    data = {
        "reference_id": session.get(Cable, cable_id).reference_id,
        "from_version": old.number,
        "to_version": new.number,
        "redactions": [
            {"from": old_id, "to": copy.id, "status": str(copy.status)}
            for old_id, copy in moved.items()
        ],
        "reviewed_portions": reviewed,
        "needs_look": left,
        "changed_portions": changed,
    }
    return "cable.carry_over", ("cable", cable_id), data


def _new_place(
    old: CableVersion,
    new: CableVersion,
    redaction: Redaction,
    old_portions: dict[int, tuple[int, int]],
    new_portions: dict[int, tuple[int, int]],
    pairs: dict[int, Pair],
    areas: Sequence[regions.Region],
) -> tuple[int, int, int | None] | str:
    """``(start, end, portion index)`` of ``redaction`` on ``new``, or why it has none."""
    index = redaction.portion_index
    if index is not None and index not in old_portions:
        return "its portion is not a portion of the old version"
    pair = pairs.get(index) if index is not None else None
    place = anchor(old.text, new.text, (redaction.start, redaction.end), old_portions,
                   new_portions, index, pair)
    if isinstance(place, str):
        return place
    if new.text[place[0] : place[1]] != old.text[redaction.start : redaction.end]:
        return "the text at its new place differs"  # pragma: no cover - anchor's promise
    try:
        _, region = regions.place(new.text, areas, *place)
    except regions.PlacementError:
        return "its new place is not within one portion, header field or line"
    expected = pair.new_index if pair is not None else None
    if region.portion_index != expected:
        return "its new place is in another portion"
    return place[0], place[1], expected


def _copy(
    session: Session,
    redaction: Redaction,
    new: CableVersion,
    start: int,
    end: int,
    portion_index: int | None,
    moved: dict[int, Redaction],
) -> Redaction:
    """A copy of ``redaction`` (with decisions and comments) on ``new`` at ``[start, end)``."""
    shift = start - redaction.start
    replaces = moved.get(redaction.replaces_id) if redaction.replaces_id is not None else None
    copy = Redaction(
        cable_id=redaction.cable_id, version_id=new.id, portion_index=portion_index,
        start=start, end=end, codes=list(redaction.codes), rationale=redaction.rationale,
        proposer_id=redaction.proposer_id, status=redaction.status,
        revision=redaction.revision, created_at=redaction.created_at,
        replaces_id=replaces.id if replaces is not None else None,
        withdraws=redaction.withdraws,
    )
    session.add(copy)
    session.flush()
    for d in redaction.decisions:
        # The same people: a carried approval is the approver's, never the importer's.
        session.add(Decision(
            redaction_id=copy.id, proposer_id=d.proposer_id, approver_id=d.approver_id,
            kind=d.kind, reason=d.reason, revision=d.revision, start=d.start + shift,
            end=d.end + shift, codes=list(d.codes), void=d.void, created_at=d.created_at,
        ))
    for c in redaction.comments:
        session.add(Comment(redaction_id=copy.id, author_id=c.author_id, body=c.body,
                            created_at=c.created_at))
    return copy


# --------------------------------------------------------------------------- reading, resolving


def items_for(session: Session, version_id: int) -> list[CarryOver]:
    """The carry-over rows of the version ``version_id`` (what it took over, what it left)."""
    return list(
        session.scalars(
            select(CarryOver).where(CarryOver.to_version_id == version_id).order_by(CarryOver.id)
        )
    )


def may_resolve(actor: User, proposer_id: int | None) -> bool:
    """True if ``actor`` may resolve a left-behind redaction proposed by ``proposer_id``:
    an approver who is not its proposer (as for any decision on it)."""
    return Role.APPROVER in actor.roles and actor.id != proposer_id


def _refuse_if_still_printed(session: Session, old: Redaction, version: CableVersion) -> None:
    """Raise ``IllegalTransition`` if the text ``old`` hid (on its own version) is printed
    anywhere in ``version`` outside its approved redactions.

    Why: two people agreed to hide that text. Resolving the item by one person must not show
    it again, so it is allowed only once the new version prints it nowhere: either it is gone
    from the text, or each occurrence is covered by an approved redaction of the new version
    (proposed and approved by two people as usual).
    """
    old_version = session.get(CableVersion, old.version_id)
    assert old_version is not None
    withheld = old_version.text[old.start : old.end]
    covering = session.execute(
        select(Redaction.start, Redaction.end).where(
            Redaction.version_id == version.id, Redaction.status == RedactionStatus.APPROVED
        )
    ).all()
    printed = printed_occurrences(version.text, withheld, [tuple(row) for row in covering])
    if printed:
        places = ", ".join(f"line {o.line}, column {o.column}" for o in printed[:5])
        raise IllegalTransition(
            "the text this redaction hid is still printed in this version "
            f"({places}): propose and approve a redaction there first"
        )


def resolve(session: Session, actor: User, cable: Cable, item_id: int) -> CarryOver:
    """Put on record that ``actor`` has looked at the left-behind redaction ``item_id`` of
    ``cable``'s current version (the caller loaded ``cable`` for ``actor``).

    Raises ``NotFound`` (no such row of the current version), ``NotPermitted`` (not an
    approver, or its proposer), ``IllegalTransition`` (already resolved). Audits
    ``cable.carry_over_resolved``; refreshes the cable's status; flushes, never commits.
    """
    review.require_visible(actor, cable)
    version = review.version_of(session, cable)
    item = session.get(CarryOver, item_id)
    if item is None or item.to_version_id != version.id or not item.needs_look:
        raise NotFound(f"no carry-over item {item_id} on cable {cable.reference_id}")
    old = session.get(Redaction, item.old_redaction_id) if item.old_redaction_id else None
    if not may_resolve(actor, old.proposer_id if old is not None else None):
        raise NotPermitted(
            "only an approver who did not propose it resolves a left-behind redaction"
        )
    if item.resolved_at is not None:
        raise IllegalTransition("this item was resolved already")
    if old is not None:
        _refuse_if_still_printed(session, old, version)
    item.resolved_by_id = actor.id
    item.resolved_at = utcnow()
    session.flush()
    audit.record(
        session, actor, "cable.carry_over_resolved", subject=("cable", cable.id),
        data={"item": item.id, "redaction_id": item.old_redaction_id, "version": version.number},
    )
    review.refresh_cable_status(session, cable, actor=actor)
    return item
