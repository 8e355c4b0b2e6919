"""Duplicate and overlapping proposals, found before a new one is made.

SQLAlchemy only, no Flask. A new proposal of ``[start, end)`` on a version is compared with
the redactions of the same version that are in force or on their way to it: pending and
approved ones (an "awaiting" redaction is stored as approved), changes of approved ones
included, withdrawal requests left out (they propose to show a text, not to hide it).

- An **exact duplicate** (the same span) is refused: :class:`DuplicateProposal`. Two rows
  hiding the same text would split the approvals and the discussion between them, and the
  release would print the union of their codes; everything a second proposal could say is
  said on the first (approve it, comment on it, or its proposer edits its codes).
- An **overlap** (the spans share at least one character) is a question, not a refusal:
  :class:`OverlapNeedsConfirmation` names the proposals overlapped, and the same request
  made again with those ids confirmed goes through. A confirmation covers the proposals
  named, not any made since: a new one overlapping is asked about again.

Both are :class:`~redactor.errors.IllegalTransition` (a 409 where errors map to statuses), and
carry the :class:`Conflict` rows so that a page or the API can name them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from redactor.errors import IllegalTransition
from redactor.models import Redaction, RedactionStatus
from redactor.redaction.spans import Span

_IN_FORCE = (RedactionStatus.PENDING, RedactionStatus.APPROVED)


@dataclass(frozen=True)
class Conflict:
    """An existing redaction a new span meets: its id, span, codes, stored status and
    proposer's user id."""

    id: int
    start: int
    end: int
    codes: tuple[str, ...]
    status: str
    proposer_id: int

    def describe(self) -> str:
        """``#12 (B6, pending, offsets 40–52)``."""
        codes = " ".join(self.codes)
        return f"#{self.id} ({codes}, {self.status}, offsets {self.start}–{self.end})"


class DuplicateProposal(IllegalTransition):
    """A redaction of exactly this span is already pending or approved: nothing is made."""

    code = "duplicate_proposal"

    def __init__(self, existing: Conflict) -> None:
        super().__init__(
            f"{existing.describe()} already proposes exactly this text: approve it, comment "
            "on it, or (its proposer) edit its codes instead of proposing it again"
        )
        self.existing = existing


class OverlapNeedsConfirmation(IllegalTransition):
    """The span overlaps pending or approved redactions not confirmed: nothing is made."""

    code = "overlap_unconfirmed"

    def __init__(self, overlapping: tuple[Conflict, ...]) -> None:
        named = ", ".join(c.describe() for c in overlapping)
        super().__init__(f"this text overlaps {named}: confirm to propose it anyway")
        self.overlapping = overlapping


def conflicts(session: Session, version_id: int, span: Span) -> tuple[Conflict, ...]:
    """The pending and approved redactions of version ``version_id`` sharing at least one
    character with ``span``, by start (withdrawal requests left out)."""
    rows = session.execute(
        select(
            Redaction.id, Redaction.start, Redaction.end, Redaction.codes,
            Redaction.status, Redaction.proposer_id,
        )
        .where(
            Redaction.version_id == version_id,
            Redaction.status.in_(_IN_FORCE),
            Redaction.withdraws.is_(False),
            Redaction.start < span.end,
            Redaction.end > span.start,
        )
        .order_by(Redaction.start, Redaction.end, Redaction.id)
    ).all()
    return tuple(
        Conflict(r.id, r.start, r.end, tuple(r.codes), RedactionStatus(r.status).value,
                 r.proposer_id)
        for r in rows
    )


def check_new_span(
    session: Session, version_id: int, span: Span, *, confirmed: Collection[int] = ()
) -> None:
    """Raise :class:`DuplicateProposal` when a pending or approved redaction of the version
    has exactly ``span``, :class:`OverlapNeedsConfirmation` when some overlap it and are not
    all in ``confirmed`` (ids the person was shown and accepted). The caller holds the
    cable's lock, so no proposal can slip in between this check and the insert."""
    found = conflicts(session, version_id, span)
    for existing in found:
        if (existing.start, existing.end) == (span.start, span.end):
            raise DuplicateProposal(existing)
    unconfirmed = [c for c in found if c.id not in set(confirmed)]
    if unconfirmed:
        raise OverlapNeedsConfirmation(found)
