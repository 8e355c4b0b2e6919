"""Every occurrence in the cable: find them, propose them all, or release one on purpose.

Services layer (SQLAlchemy, no Flask); the acting user is an argument; services flush and
never commit. Order of checks as in :mod:`redactor.redaction.service`: clearance
(``NotFound``), policy (``NotPermitted``), version (``StaleVersion``), transition
(``IllegalTransition``), input (``InvalidInput``).

Three things, on the current version of a cable:

* **The other occurrences** of a proposal's text (:func:`occurrences_of`), found by
  :func:`redactor.redaction.variants.other_occurrences` (the gate's own search, with the
  evident variants of a name), each with its part of the cable, line, context and state:
  ``open``, already ``proposed`` or ``withheld`` by another redaction, ``released`` on
  purpose, or a release ``pending``.
* **Linked proposals** (:func:`propose_linked`): one action proposes every open occurrence (or
  those chosen), each a redaction of its own with the codes and rationale of the first, each
  still decided by a second person; they share ``link_group`` with the first, and one
  ``redaction.propose_linked`` entry lists them.
* **"Release this occurrence"** (:class:`~redactor.models.OccurrenceDecision`): a reviewer
  asks, with a reason, to leave one occurrence printed; an approver who did not ask decides
  (:mod:`redactor.redaction.occurrence_decisions`). This module reads those decisions.

The release gate's part (:func:`gate_conflicts`, called by
:func:`redactor.release.plan.plan_release`): every place where the current version still
prints the text of an approved redaction, less those inside a place carrying an approved
"release this occurrence" of source ``cable``. A later source (strings an earlier release
withheld) adds its own places and decisions with another ``source``; the decisions, their
two-person rule and the pages stay the same.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from redactor import audit
from redactor.errors import IllegalTransition, InvalidInput, NotFound, NotPermitted, StaleVersion
from redactor.models import (
    MAX_ID,
    Cable,
    CableVersion,
    OccurrenceDecision,
    Portion,
    Redaction,
    RedactionStatus,
    User,
)
from redactor.redaction import regions
from redactor.redaction import service as redactions
from redactor.redaction.spans import Span, merge_spans
from redactor.redaction.variants import other_occurrences
from redactor.release.occurrences import context, visible_occurrences
from redactor.review.policy import can_propose
from redactor.review.service import (
    flush,
    hiding_redactions,
    lock_cable,
    require_visible,
    version_of,
)

#: The source of a conflict with an approved redaction of the same version.
SOURCE_CABLE = "cable"
PENDING, APPROVED, REJECTED, WITHDRAWN = "pending", "approved", "rejected", "withdrawn"
#: Occurrences one linked action may propose.
MAX_LINKED = 200


@dataclass(frozen=True)
class Place:
    """Where ``[start, end)`` lies, for a reader: part, line, column and the text around it.

    ``before``/``text``/``after`` are cable text: show them only to a person cleared for the
    cable, never put them in the audit record or an error message."""

    start: int
    end: int
    part: str
    line: int
    column: int
    before: str
    text: str
    after: str

    def describe(self) -> str:
        """The place in words, without its text."""
        return (
            f"{self.part}, line {self.line}, column {self.column} "
            f"(offsets {self.start}–{self.end})"
        )


@dataclass(frozen=True)
class DecisionView:
    """A "release this occurrence" decision as the pages show it."""

    id: int
    status: str
    reason: str
    proposer: str
    proposer_id: int
    decider: str
    row_version: int


@dataclass(frozen=True)
class OccurrenceView:
    """Another occurrence of a proposal's text (see :func:`occurrences_of`)."""

    place: Place
    kind: str
    title: str
    state: str  # open, proposed, withheld, released, pending
    decision: DecisionView | None = None


@dataclass(frozen=True)
class Conflict:
    """A place the release would print although excision ``excision`` withholds its text.

    ``codes`` and ``redaction_ids`` are those of the approved redactions forming the
    excision (a linked proposal from here takes those codes); ``decision`` is a pending
    "release this occurrence", if one is open."""

    excision: int
    place: Place
    source: str = SOURCE_CABLE
    codes: tuple[str, ...] = ()
    redaction_ids: tuple[int, ...] = ()
    decision: DecisionView | None = field(default=None)

    def describe(self) -> str:
        """The conflict in words, without any text (for refusals and the audit record)."""
        where = self.place.describe()
        return f"the withheld text of excision #{self.excision} is printed at {where}"


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class CachedVersion:
    """A version as a page cache holds it (id, number, text and its regions), so that a page
    that already has them (the review page's :class:`~redactor.review.pages.VersionPage`)
    does not read the text again. Accepted wherever a ``CableVersion`` is read here."""

    id: int
    number: int
    text: str
    areas: tuple[regions.Region, ...]


def _placer(
    session: Session, version: CableVersion | CachedVersion
) -> Callable[[int, int], Place]:
    """A function giving the :class:`Place` of ``[start, end)`` in ``version``."""
    text = version.text
    if isinstance(version, CachedVersion):
        areas = version.areas
    else:
        rows = session.execute(
            select(Portion.start, Portion.end, Portion.index)
            .where(Portion.version_id == version.id)
        ).all()
        areas = regions.regions(text, [tuple(r) for r in rows], version.parsed or {})
    line_starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]

    def place(start: int, end: int) -> Place:
        holding = [a for a in areas if a.start <= start < a.end]
        part = min(holding, key=lambda a: a.end - a.start).label if holding else "the text"
        line = bisect_right(line_starts, start)
        before, middle, after = context(text, start, end)
        return Place(start, end, part, line, start - line_starts[line - 1] + 1,
                     before, middle, after)

    return place


def decision_view(row: OccurrenceDecision) -> DecisionView:
    """``row`` as the pages show it."""
    return DecisionView(
        id=row.id,
        status=row.status,
        reason=row.reason,
        proposer=row.proposer.display_name or row.proposer.username,
        proposer_id=row.proposer_id,
        decider=(row.decider.display_name or row.decider.username) if row.decider else "",
        row_version=row.row_version,
    )


def open_decisions(
    session: Session, version: CableVersion | CachedVersion, source: str = SOURCE_CABLE
) -> dict[tuple[int, int], OccurrenceDecision]:
    """The pending and approved decisions of ``version`` by place (an approved one wins)."""
    rows = session.scalars(
        select(OccurrenceDecision)
        .where(
            OccurrenceDecision.version_id == version.id,
            OccurrenceDecision.source == source,
            OccurrenceDecision.status.in_((PENDING, APPROVED)),
        )
        .options(
            selectinload(OccurrenceDecision.proposer), selectinload(OccurrenceDecision.decider)
        )
        .order_by(OccurrenceDecision.id)
    ).all()
    found: dict[tuple[int, int], OccurrenceDecision] = {}
    for row in rows:
        key = (row.start, row.end)
        if key not in found or row.status == APPROVED:
            found[key] = row
    return found


def _state(
    start: int, end: int, active: Sequence[Redaction], decisions: dict
) -> tuple[str, OccurrenceDecision | None]:
    def covered(status: RedactionStatus) -> bool:
        spans = merge_spans(Span(r.start, r.end) for r in active if r.status == status)
        return any(s.start <= start and end <= s.end for s in spans)

    if covered(RedactionStatus.APPROVED):
        return "withheld", None
    if covered(RedactionStatus.PENDING):
        return "proposed", None
    decision = decisions.get((start, end))
    if decision is not None:
        return ("released" if decision.status == APPROVED else "pending"), decision
    return "open", None


@dataclass(frozen=True)
class VersionState:
    """What the occurrence views of one version share, loaded once per page."""

    place: Callable[[int, int], Place]
    active: list[Redaction]
    decisions: dict[tuple[int, int], OccurrenceDecision]


def version_state(session: Session, version: CableVersion | CachedVersion) -> VersionState:
    """The placer, active redactions and open decisions of ``version`` (not clearance-checked:
    the caller loaded the version for its actor)."""
    return VersionState(
        _placer(session, version),
        hiding_redactions(session, version.id),
        open_decisions(session, version),
    )


def occurrence_views(
    session: Session,
    version: CableVersion | CachedVersion,
    start: int,
    end: int,
    exclude: Iterable[Span] = (),
    *,
    state: VersionState | None = None,
) -> list[OccurrenceView]:
    """The other occurrences of ``[start, end)`` of ``version`` with their states (see the
    module docstring); ``state`` from :func:`version_state` when a page asks for many."""
    shared = state or version_state(session, version)
    place, active, decisions = shared.place, shared.active, shared.decisions
    views = []
    for found in other_occurrences(version.text, start, end, exclude=list(exclude)):
        state, decision = _state(found.start, found.end, active, decisions)
        views.append(
            OccurrenceView(
                place(found.start, found.end), found.kind, found.title, state,
                decision_view(decision) if decision is not None else None,
            )
        )
    return views


def occurrences_of(session: Session, actor: User, redaction: Redaction) -> list[OccurrenceView]:
    """The other occurrences of ``redaction``'s text (and of its name variants) in its
    version, in text order. Raises ``NotFound`` when ``actor`` may not see the cable."""
    cable = session.get(Cable, redaction.cable_id)
    assert cable is not None
    require_visible(actor, cable)
    version = session.get(CableVersion, redaction.version_id)
    assert version is not None
    return occurrence_views(session, version, redaction.start, redaction.end)


def occurrences_of_span(
    session: Session, actor: User, cable: Cable, start: object, end: object
) -> list[OccurrenceView]:
    """The other occurrences of ``[start, end)`` of ``cable``'s current version (a
    selection not yet proposed). Raises ``NotFound`` (cable not visible), ``InvalidInput``
    (offsets that are not a span of the text)."""
    require_visible(actor, cable)
    version = version_of(session, cable)
    span = checked_span(version, start, end)
    return occurrence_views(session, version, span.start, span.end)


def checked_span(version: CableVersion, start: object, end: object) -> Span:
    """``[start, end)`` if it is a span of ``version``'s text; ``InvalidInput`` otherwise."""
    if type(start) is not int or type(end) is not int:
        raise InvalidInput("start and end must be whole numbers")
    if not 0 <= start < end <= len(version.text):
        raise InvalidInput(f"[{start}, {end}) is not a span of the text")
    return Span(start, end)


def get_redaction(session: Session, actor: User, redaction_id: int) -> Redaction:
    """The redaction ``redaction_id`` if ``actor`` may see its cable; ``NotFound`` otherwise,
    the same for an id that does not exist."""
    row = session.get(Redaction, redaction_id) if 0 < redaction_id <= MAX_ID else None
    cable = session.get(Cable, row.cable_id) if row is not None else None
    if row is None or cable is None:
        raise NotFound("no such redaction")
    require_visible(actor, cable)
    return row


# --------------------------------------------------------------------------- the gate


def gate_conflicts(
    session: Session, version: CableVersion | CachedVersion, approved: Sequence[Redaction]
) -> list[Conflict]:
    """Every place where ``version`` prints the text of one of the ``approved`` redactions
    outside them (:func:`redactor.release.occurrences.visible_occurrences`), less those lying
    inside a place that carries an approved "release this occurrence". Not clearance-checked
    (the caller has loaded the cable for its actor). Text order of excision, then place."""
    spans = [Span(r.start, r.end) for r in approved]
    found = visible_occurrences(version.text, spans)
    if not found:
        return []
    merged = merge_spans(spans)
    members: dict[int, list[Redaction]] = {}
    for row in approved:
        number = next(i for i, s in enumerate(merged, 1) if s.start <= row.start < s.end)
        members.setdefault(number, []).append(row)
    decisions = open_decisions(session, version)
    # A place released on purpose releases what it holds: "Qzandor Villaquist" printed by
    # decision also prints the surname that a later redaction withholds elsewhere.
    released = [(d.start, d.end) for d in decisions.values() if d.status == APPROVED]
    place = _placer(session, version)
    conflicts = []
    for occurrence in found:
        if any(a <= occurrence.start and occurrence.end <= b for a, b in released):
            continue
        decision = decisions.get((occurrence.start, occurrence.end))
        rows = members.get(occurrence.excision, [])
        codes = tuple(dict.fromkeys(code for r in rows for code in r.codes))
        conflicts.append(
            Conflict(
                excision=occurrence.excision,
                place=place(occurrence.start, occurrence.end),
                codes=codes,
                redaction_ids=tuple(r.id for r in rows),
                decision=decision_view(decision) if decision is not None else None,
            )
        )
    return conflicts


# --------------------------------------------------------------------------- linked proposals


def _parse_places(values: Iterable[object]) -> list[tuple[int, int]]:
    """``"START-END"`` strings (or pairs) as offsets; ``InvalidInput`` for anything else."""
    places = []
    for value in values:
        if isinstance(value, str):
            start, sep, end = value.partition("-")
            if not (sep and start.isascii() and start.isdigit() and end.isascii()
                    and end.isdigit() and len(start) <= 10 and len(end) <= 10):
                raise InvalidInput("an occurrence is written START-END (offsets)")
            places.append((int(start), int(end)))
        elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            type(v) is int for v in value
        ):
            places.append((value[0], value[1]))
        else:
            raise InvalidInput("an occurrence is written START-END (offsets)")
    return places


def propose_linked(
    session: Session,
    actor: User,
    redaction: Redaction,
    *,
    places: Iterable[object] | None = None,
    expected_row_version: object = None,
) -> list[Redaction]:
    """Propose every open occurrence of ``redaction``'s text (or the ``places`` chosen, as
    ``"START-END"``), each as a pending redaction of its own with ``redaction``'s codes and
    rationale, proposed by ``actor``, linked to it by ``link_group``.

    ``redaction`` must be pending or approved on the current version, and not a withdrawal
    request; each place chosen must be one of its open occurrences. Raises ``NotFound``,
    ``NotPermitted`` (not a reviewer), ``StaleVersion`` (``expected_row_version`` given and
    not the redaction's, or the version is no longer current), ``IllegalTransition`` (no
    open occurrence, or the redaction is not active), ``InvalidInput`` (a place that is not
    an open occurrence, or that lies across two parts of the cable). Audits each proposal
    (``redaction.propose``) and ``redaction.propose_linked`` (group, ids, offsets)."""
    cable = session.get(Cable, redaction.cable_id)
    assert cable is not None
    require_visible(actor, cable)
    if not can_propose(actor.roles):
        raise NotPermitted("only reviewers propose redactions")
    lock_cable(session, cable)
    session.refresh(redaction)
    if expected_row_version is not None and expected_row_version != redaction.row_version:
        raise StaleVersion(f"redaction {redaction.id} changed since it was loaded; reload it")
    version = version_of(session, cable)
    if redaction.version_id != version.id:
        raise StaleVersion("the cable has a newer version; reload it")
    if redaction.withdraws or redaction.status not in (
        RedactionStatus.PENDING, RedactionStatus.APPROVED
    ):
        raise IllegalTransition("only a pending or approved redaction's occurrences are proposed")
    open_places = [
        (v.place.start, v.place.end)
        for v in occurrence_views(session, version, redaction.start, redaction.end)
        if v.state == "open"
    ]
    if places is None:
        chosen = open_places
    else:
        chosen = list(dict.fromkeys(_parse_places(list(places)[: MAX_LINKED + 1])))
        stray = [p for p in chosen if p not in open_places]
        if stray:
            raise InvalidInput(
                f"[{stray[0][0]}, {stray[0][1]}) is not an open occurrence of this proposal"
            )
    if not chosen:
        raise IllegalTransition("this proposal has no open occurrence left to propose")
    if len(chosen) > MAX_LINKED:
        raise InvalidInput(f"at most {MAX_LINKED} occurrences are proposed at once")
    group = redaction.link_group or uuid.uuid4().hex
    redaction.link_group = group
    made = []
    for start, end in chosen:
        row = redactions.propose(
            session, actor, cable, start=start, end=end, codes=list(redaction.codes),
            rationale=redaction.rationale, version_number=version.number,
        )
        row.link_group = group
        made.append(row)
    flush(session)
    audit.record(
        session,
        actor,
        "redaction.propose_linked",
        subject=("redaction", redaction.id),
        data={
            "cable_id": cable.id,
            "version": version.number,
            "link_group": group,
            "ids": [r.id for r in made],
            "spans": [[r.start, r.end] for r in made],
            "codes": list(redaction.codes),
        },
        cable=cable,
    )
    return made
