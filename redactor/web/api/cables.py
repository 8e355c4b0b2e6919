"""Cables: the list, a cable's detail with its links, and diffs."""
from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from sqlalchemy import select

from redactor.cables import links
from redactor.cables.access import (
    get_visible_version,
    record_view,
    visible_versions,
)
from redactor.cables.search import MAX_LIMIT as SEARCH_MAX_LIMIT
from redactor.cables.search import SORTS, search_cables, split_tags
from redactor.models import (
    MAX_ID,
    Cable,
    CableStatus,
    Portion,
    PortionReview,
    Release,
    User,
)
from redactor.release import service as releases
from redactor.review import service as review
from redactor.review.policy import Level
from redactor.web.api.common import (
    _approvals_required,
    actor,
    api_bp,
    decode_cursor,
    encode_cursor,
    iso,
    malformed,
    query_date,
    query_int,
    query_text,
    redaction_json,
    visible_cable,
)
from redactor.web.extensions import db_session

# --------------------------------------------------------------------------- cables


@api_bp.get("/cables")
def list_cables():
    """Cables the caller may see: full-text ``q``, filters, ``limit``, opaque ``cursor``."""
    level_name = query_text("level")
    if level_name and level_name not in Level.__members__:
        malformed("the argument 'level' must be one of " + ", ".join(Level.__members__))
    status = query_text("status")
    if status and status not in {s.value for s in CableStatus}:
        malformed("the argument 'status' must be one of " + ", ".join(s.value for s in CableStatus))
    sort = query_text("sort") or "relevance"
    if sort not in SORTS:
        malformed("the argument 'sort' must be one of " + ", ".join(SORTS))
    limit = query_int("limit", minimum=1, maximum=SEARCH_MAX_LIMIT) or 20
    offset = decode_cursor("cables") or 0
    page = search_cables(
        db_session(),
        actor(),
        query_text("q"),
        limit=limit,
        offset=offset,
        sort=sort,
        level=int(Level[level_name]) if level_name else None,
        origin=query_text("origin") or None,
        tags=query_text("tags") or None,
        created_from=query_date("created_from"),
        created_to=query_date("created_to"),
        status=status or None,
    )
    items = [
        {
            "reference_id": hit.reference_id,
            "classification": hit.classification,
            "level": Level(hit.level).name,
            "origin": hit.origin,
            "subject": hit.subject,
            "tags": split_tags(hit.tags),
            "created": iso(hit.created),
            "status": str(hit.status),
            "current_version": hit.current_version,
            "snippet": [{"text": text, "match": match} for text, match in hit.snippet],
        }
        for hit in page.hits
    ]
    next_cursor = encode_cursor("cables", offset + len(items)) if page.has_next else None
    db_session().commit()  # the snippets of classified cables were put on record
    return jsonify(
        items=items, total=page.total, total_exact=page.total_exact, next_cursor=next_cursor
    )


@api_bp.get("/cables/<reference_id>")
def get_cable(reference_id: str):
    """A cable: metadata, versions, text, portions (markings, offsets, review marks),
    redactions and releases. ``?version=N`` shows an earlier version. Each version is
    checked on its own level: one above the caller's clearance is 404 and is not listed."""
    session, user = db_session(), actor()
    cable = visible_cable(reference_id)
    number = query_int("version", minimum=1, maximum=MAX_ID)
    version = get_visible_version(session, user, cable, number)
    rows = review.redactions_for_cable(session, user, cable, version_number=version.number)
    portions = session.scalars(
        select(Portion).where(Portion.version_id == version.id).order_by(Portion.index)
    ).all()
    reviewed = {
        mark.portion_index: mark
        for mark in session.scalars(
            select(PortionReview).where(PortionReview.version_id == version.id)
        )
    }
    versions = visible_versions(session, user, cable)
    made = session.scalars(
        select(Release).where(Release.cable_id == cable.id).order_by(Release.id)
    ).all()
    record_view(session, user, cable, version.number)  # as the cable page does
    reply = {
        "reference_id": cable.reference_id,
        "classification": cable.classification,
        "level": Level(cable.level).name,
        "origin": cable.origin,
        "subject": cable.subject,
        "tags": split_tags(cable.tags),
        "created": iso(cable.created),
        "status": str(cable.status),
        "current_version": cable.current_version,
        "version": version.number,
        "sha256": version.sha256,
        "text": version.text,
        "parsed": version.parsed,
        "versions": [
            {
                "number": v.number,
                "sha256": v.sha256,
                "source_name": v.source_name,
                "imported_at": iso(v.imported_at),
            }
            for v in versions
        ],
        "portions": [
            {
                "index": p.index,
                "kind": p.kind,
                "number": p.number,
                "marking": p.marking,
                "level": p.level,
                "start": p.start,
                "end": p.end,
                "reviewed": p.index in reviewed,
                "reviewed_by": reviewed[p.index].reviewer_id if p.index in reviewed else None,
            }
            for p in portions
        ],
        "redactions": [redaction_json(r, cable.reference_id, version.number) for r in rows],
        **_links_json(session, user, cable, version.id),
        "releases": [
            {
                "id": r.id,
                "doc_number": r.doc_number,
                "case_number": r.case_number,
                "disposition": r.disposition,
                "released_at": iso(r.released_at),
                "url": url_for("api.get_release", release_id=r.id),
            }
            for r in made
        ],
    }
    session.commit()
    return jsonify(reply)


def _cable_link(reference_id: str | None) -> dict[str, str] | None:
    if reference_id is None:
        return None
    return {
        "reference_id": reference_id,
        "url": url_for("api.get_cable", reference_id=reference_id),
    }


def _links_json(session, user: User, cable: Cable, version_id: int) -> dict[str, Any]:
    """The cable detail's links to other cables: each REF item of the version shown (with
    ``cable`` null where the caller may not open the cited cable, as where it is not held),
    the cables citing it and its other copies, only those the caller may see."""
    citing, total = links.referenced_by(session, user, cable)
    same = links.same_cable(session, user, cable)
    copies: list[tuple[str, tuple[int, int] | None]] = []
    if same is not None:
        if same.canonical_linked:
            copies.append((same.canonical_linked, None))
        copies += [(c.reference_id, c.section) for c in same.copies]
    return {
        "canonical_id": cable.canonical_id or cable.reference_id,
        "references": [
            {"label": r.label, "text": r.text, "cable_id": r.cited_id,
             "cable": _cable_link(r.linked)}
            for r in links.version_references(session, user, cable, version_id)
        ],
        "referenced_by": [
            {**_cable_link(c.reference_id), "subject": c.subject, "created": iso(c.created)}
            for c in citing
        ],
        "referenced_by_total": total,
        "copies": [
            {**_cable_link(reference_id), "section": list(section) if section else None}
            for reference_id, section in copies
        ],
    }


@api_bp.get("/cables/<reference_id>/diff")
def cable_diff(reference_id: str):
    """Portion by portion: the current version (or ``?version=N``) against its releasable
    form under the approved redactions, or version ``from`` against version ``to``. Every
    version shown needs the caller's clearance for its own level (404 otherwise)."""
    session, user = db_session(), actor()
    cable = visible_cable(reference_id)
    first = query_int("from", minimum=1, maximum=MAX_ID)
    second = query_int("to", minimum=1, maximum=MAX_ID)
    number = query_int("version", minimum=1, maximum=MAX_ID)
    if (first is None) != (second is None):
        malformed("give both 'from' and 'to', or neither")
    if first is not None and number is not None:
        malformed("'version' compares with the releasable text; not with 'from' and 'to'")
    for shown in {first, second} if first is not None else {number}:
        get_visible_version(session, user, cable, shown)  # NotFound: as an unknown version

    mode, left, right, result = releases.diff_cable(
        session,
        cable,
        from_version=first,
        to_version=second,
        version=number,
        approvals_required=_approvals_required(),
    )
    for number in sorted({left, right}):  # the diff shows the text of each version
        record_view(session, actor(), cable, number)
    session.commit()
    return jsonify(
        reference_id=cable.reference_id,
        mode=mode,
        **{"from": left, "to": right},
        portions=[item.as_dict() for item in result],
    )

