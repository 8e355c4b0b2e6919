"""Which cable an audit entry concerns (split from :mod:`redactor.audit`).

An entry about a redaction, a decision, a comment, a release or a version tells about its
cable as much as an entry about the cable itself (offsets, codes, reasons). Every entry
therefore stores the row id of the cable it concerns (``audit_entries.cable_id``), and the
log shows it only to readers cleared for that cable (:mod:`redactor.audit_log`). The cable is
found here from what the entry names, so that no caller of :func:`redactor.audit.record` can
forget it. Where an entry concerns several cables (an export of several releases), the one
of the highest level is stored: the entry is then hidden from whoever may not see all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from redactor.models import (
    MAX_ID,
    Cable,
    CableVersion,
    Comment,
    Decision,
    DeclassificationRequest,
    HeldImport,
    Redaction,
    Release,
)


def _row_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None


def _cable_by_reference(session: Session, reference_id: Any) -> int | None:
    if not isinstance(reference_id, str) or not reference_id or len(reference_id) > 64:
        return None
    return session.scalar(select(Cable.id).where(Cable.reference_id == reference_id))


def _via(session: Session, kind: str, value: Any) -> int | None:
    """The cable of the object ``kind`` with row id ``value`` (for ``reference``: the cable
    with that reference id), or None."""
    if kind == "reference":
        return _cable_by_reference(session, value)
    if kind == "cable":
        number = _row_id(value)
        return number if number is not None else _cable_by_reference(session, value)
    number = _row_id(value)
    if number is None:
        return None
    if kind == "redaction":
        return session.scalar(select(Redaction.cable_id).where(Redaction.id == number))
    if kind == "release":
        return session.scalar(select(Release.cable_id).where(Release.id == number))
    if kind == "version":
        return session.scalar(select(CableVersion.cable_id).where(CableVersion.id == number))
    if kind == "decision":
        query = select(Redaction.cable_id).join(Decision, Decision.redaction_id == Redaction.id)
        return session.scalar(query.where(Decision.id == number))
    if kind == "comment":
        query = select(Redaction.cable_id).join(Comment, Comment.redaction_id == Redaction.id)
        return session.scalar(query.where(Comment.id == number))
    if kind == "held_import":  # a held file names its cable by reference id
        query = select(Cable.id).join(HeldImport, HeldImport.reference_id == Cable.reference_id)
        return session.scalar(query.where(HeldImport.id == number))
    if kind == "declassification":
        query = select(DeclassificationRequest.cable_id)
        return session.scalar(query.where(DeclassificationRequest.id == number))
    return None


def _highest_of_releases(session: Session, ids: Iterable[Any]) -> int | None:
    numbers = {n for n in map(_row_id, ids) if n is not None}
    if not numbers:
        return None
    query = (
        select(Cable.id)
        .join(Release, Release.cable_id == Cable.id)
        .where(Release.id.in_(numbers))
        .order_by(Cable.level.desc(), Cable.id)
        .limit(1)
    )
    return session.scalar(query)


#: Payload keys that name an object of a cable, tried in order: (key, kind of object).
_PAYLOAD_KEYS = (
    ("cable_id", "cable"),
    ("reference_id", "reference"),
    ("redaction_id", "redaction"),
    ("release_id", "release"),
    ("version_id", "version"),
    ("comment_id", "comment"),
)


def concerned_cable(
    session: Session,
    subject: tuple[str, Any] | None,
    data: dict[str, Any] | None,
    cable: Cable | int | None = None,
) -> int | None:
    """The row id of the cable an entry on ``subject`` with payload ``data`` concerns.

    ``cable`` (a cable or a row id), when given, is the answer. Otherwise: the subject (a
    cable by row id or reference id, or a redaction, release, version, decision or comment),
    then the payload's ``cable_id``, ``reference_id``, ``redaction_id``, ``release_id``,
    ``version_id``, ``comment_id``, then its list of ``releases`` (the highest-level cable).
    None when the entry concerns no cable that exists.
    """
    if isinstance(cable, Cable):
        return cable.id
    if cable is not None:
        return int(cable)
    if subject is not None:
        found = _via(session, subject[0], subject[1])
        if found is not None:
            return found
    if not isinstance(data, dict):
        return None
    for key, kind in _PAYLOAD_KEYS:
        if key in data:
            found = _via(session, kind, data[key])
            if found is not None:
                return found
    releases = data.get("releases")
    if isinstance(releases, list):
        return _highest_of_releases(session, releases)
    return None
