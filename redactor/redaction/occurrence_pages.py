"""What the pages show about occurrences: plain values, built once per request.

Services layer (SQLAlchemy reads, no Flask; nothing written). :func:`panel` is the cable's
consistency page and the part of it the cable page shows: the places the release gate would
refuse (:func:`redactor.redaction.occurrences.gate_conflicts`, the function the release
runs), each active proposal with its other occurrences, and the open requests to release an
occurrence. :func:`conflicts_now` is the preview's list. Both are for a person cleared for
the cable (the caller has loaded it for them); they hold cable text.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from redactor.models import Cable, RedactionStatus, User
from redactor.redaction import occurrences, regions
from redactor.redaction.occurrences import Conflict, DecisionView, OccurrenceView
from redactor.review import states
from redactor.review.pages import VersionPage
from redactor.review.policy import Role, can_propose
from redactor.review.service import (
    approved_redactions,
    effective_status,
    require_visible,
    version_of,
)

EXCERPT = 80


@dataclass(frozen=True)
class ProposalOccurrences:
    """One active proposal and its other occurrences."""

    id: int
    status: str
    label: str
    excerpt: str
    start: int
    end: int
    row_version: int
    link_group: str | None
    occurrences: tuple[OccurrenceView, ...]

    @property
    def open_count(self) -> int:
        return sum(1 for o in self.occurrences if o.state == "open")


@dataclass(frozen=True)
class Panel:
    """The consistency page of one cable for one actor."""

    reference_id: str
    version: int
    conflicts: tuple[Conflict, ...]
    proposals: tuple[ProposalOccurrences, ...]
    pending: tuple[DecisionView, ...]
    selection: tuple[OccurrenceView, ...] | None
    selection_span: tuple[int, int] | None
    selection_text: str
    may_propose: bool
    may_decide: bool
    actor_id: int

    @property
    def open_total(self) -> int:
        return sum(p.open_count for p in self.proposals)

    @property
    def with_occurrences(self) -> tuple[ProposalOccurrences, ...]:
        return tuple(p for p in self.proposals if p.occurrences)


def conflicts_now(
    session: Session, actor: User, cable: Cable, *, approvals_required: int = 1
) -> list[Conflict]:
    """The places the release gate would refuse now, as :func:`plan_release` finds them."""
    require_visible(actor, cable)
    version = version_of(session, cable)
    approved = approved_redactions(session, cable, version, approvals_required=approvals_required)
    return occurrences.gate_conflicts(session, version, approved)


def cached_version(page: VersionPage) -> occurrences.CachedVersion:
    """The review page's cached version as :mod:`redactor.redaction.occurrences` reads it:
    its text and regions without reading them again."""
    areas = [
        regions.Region(p.start, p.end, regions.PORTION, f"portion {p.index + 1}", p.index)
        for p in page.portions
        if p.start < p.end
    ]
    areas += [regions.Region(a, b, regions.FIELD, label) for _key, label, a, b in page.fields]
    areas += [regions.Region(a, b, regions.LINE, label) for label, a, b in page.others]
    return occurrences.CachedVersion(page.id, page.number, page.text, tuple(areas))


def panel(
    session: Session,
    actor: User,
    cable: Cable,
    *,
    approvals_required: int = 1,
    selection: tuple[object, object] | None = None,
    cached: VersionPage | None = None,
) -> Panel:
    """The consistency page of ``cable`` (see the module docstring). ``selection``, a
    ``(start, end)`` of the current version, adds the occurrences of that text (a selection
    not yet proposed). ``cached``, the review page's version (the current one), saves
    reading the text again: a fixed number of statements, however many proposals. Raises
    ``NotFound`` (cable not visible), ``InvalidInput`` (a selection that is not a span of
    the text)."""
    require_visible(actor, cable)
    version = cached_version(cached) if cached is not None else version_of(session, cable)
    shared = occurrences.version_state(session, version)
    approved = [
        r for r in shared.active
        if states.is_protected(effective_status(r, approvals_required))
    ]
    conflicts = occurrences.gate_conflicts(session, version, approved)
    proposals = []
    for row in shared.active:
        found = occurrences.occurrence_views(session, version, row.start, row.end, state=shared)
        text = " ".join(version.text[row.start : row.end].split())
        proposals.append(
            ProposalOccurrences(
                id=row.id,
                status=RedactionStatus(row.status).value,
                label=" ".join(row.codes),
                excerpt=text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…",
                start=row.start,
                end=row.end,
                row_version=row.row_version,
                link_group=row.link_group,
                occurrences=tuple(found),
            )
        )
    chosen, span, chosen_text = None, None, ""
    if selection is not None:
        chosen = tuple(occurrences.occurrences_of_span(session, actor, cable, *selection))
        span = (int(selection[0]), int(selection[1]))  # checked by occurrences_of_span
        chosen_text = " ".join(version.text[span[0] : span[1]].split())
    pending = [
        occurrences.decision_view(row)
        for row in shared.decisions.values()
        if row.status == occurrences.PENDING
    ]
    return Panel(
        reference_id=cable.reference_id,
        version=version.number,
        conflicts=tuple(conflicts),
        proposals=tuple(proposals),
        pending=tuple(pending),
        selection=chosen,
        selection_span=span,
        selection_text=chosen_text,
        may_propose=can_propose(actor.roles),
        may_decide=Role.APPROVER in actor.roles,
        actor_id=actor.id,
    )
