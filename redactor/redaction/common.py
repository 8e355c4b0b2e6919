"""The checks and small steps that every redaction service shares (see
:mod:`redactor.redaction.service` for the order in which a service applies them).

SQLAlchemy only, no Flask. Each raises the domain exception its caller would: ``InvalidInput``
for text, codes and spans, ``StaleVersion`` for an out-of-date decision, ``IllegalTransition``
for a state that does not allow the action, ``NotFound`` for a cable the actor may not see.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from redactor.errors import IllegalTransition, InvalidInput, NotFound, StaleVersion
from redactor.models import (
    Cable,
    CableVersion,
    Portion,
    Redaction,
    RedactionStatus,
    User,
    utcnow,
)
from redactor.redaction import regions
from redactor.redaction.exemptions import CodeError, parse_codes
from redactor.redaction.spans import Span
from redactor.review import states
from redactor.review.service import (
    lock_cable,
    require_visible,
)

MAX_TEXT = 10_000  # characters of a rationale, reason or comment


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def clean_text(value: object, what: str, *, required: bool) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"the {what} must be text", field=what)
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"a {what} is required", field=what)
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"the {what} is longer than {MAX_TEXT} characters", field=what)
    return value


def parsed_codes(codes: Iterable[str] | str) -> list[str]:
    try:
        return list(parse_codes(codes))
    except CodeError as exc:
        raise InvalidInput(str(exc), field="codes") from exc


def place_span(
    session: Session, version: CableVersion, start: object, end: object
) -> tuple[Span, int | None]:
    """The snapped span ``[start, end)`` of ``version`` and the index of its portion (None
    for a header field or a line outside them, see :mod:`redactor.redaction.regions`).
    Raises ``InvalidInput`` for a bad span or one not in one region."""
    portions = session.execute(
        select(Portion.start, Portion.end, Portion.index)
        .where(Portion.version_id == version.id)
        .order_by(Portion.index)
    ).all()
    areas = regions.regions(version.text, [tuple(p) for p in portions], version.parsed or {})
    try:
        span, region = regions.place(version.text, areas, start, end)
    except regions.PlacementError as exc:
        raise InvalidInput(str(exc), field="span") from exc
    return span, region.portion_index


def cable_of(session: Session, redaction: Redaction) -> Cable:
    cable = session.get(Cable, redaction.cable_id)
    if cable is None:  # pragma: no cover - held by the foreign key
        raise NotFound(f"no cable {redaction.cable_id}")
    return cable


def lock_redaction(session: Session, redaction: Redaction) -> Redaction:
    # Reloads the row and its decisions: the version check and the count of approvals must
    # see what other transactions committed, not what this session loaded earlier.
    return session.scalars(
        select(Redaction)
        .where(Redaction.id == redaction.id)
        .with_for_update()
        .options(selectinload(Redaction.decisions))
        .execution_options(populate_existing=True)
    ).one()


def check_transition(status: RedactionStatus, action: str) -> None:
    try:
        states.check_redaction_action(status, action)
    except states.TransitionError as exc:
        raise IllegalTransition(str(exc)) from exc


def check_version(redaction: Redaction, expected_row_version: object) -> None:
    if type(expected_row_version) is not int or expected_row_version != redaction.row_version:
        raise StaleVersion(
            f"redaction {redaction.id} changed since it was loaded "
            f"(version {redaction.row_version}, not {expected_row_version!r}); reload it"
        )


def snapshot(redaction: Redaction) -> dict[str, Any]:
    return {
        "start": redaction.start,
        "end": redaction.end,
        "portion_index": redaction.portion_index,
        "codes": list(redaction.codes),
        "rationale_sha256": digest(redaction.rationale),
        "status": RedactionStatus(redaction.status).value,
        "revision": redaction.revision,
    }


def touch(redaction: Redaction) -> None:
    # Makes the row dirty, so the flush bumps row_version even when nothing else changed
    # on it (a first approval of two): every action invalidates the version it was made on.
    redaction.updated_at = utcnow()


def prepare(
    session: Session, actor: User, redaction: Redaction
) -> tuple[Cable, Redaction]:
    cable = cable_of(session, redaction)
    require_visible(actor, cable)
    return cable, redaction


def lock(session: Session, cable: Cable, redaction: Redaction) -> Redaction:
    # Always the cable first, then the redaction: one lock order, no deadlocks.
    lock_cable(session, cable)
    return lock_redaction(session, redaction)


def required_approvals(approvals_required: object) -> int:
    if type(approvals_required) is not int or approvals_required < 1:
        raise ValueError("approvals_required must be a positive integer")
    return approvals_required

