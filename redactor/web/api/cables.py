"""Cables: the list, a cable's detail with its links, and diffs."""

from __future__ import annotations

from typing import Any

from flask import url_for
from pydantic import Field
from sqlalchemy import select

from redactor.cables import links
from redactor.cables.access import get_visible_version, record_view, visible_versions
from redactor.cables.search import MAX_LIMIT, SORTS, search_cables, split_tags
from redactor.models import Cable, Portion, PortionReview, Release, User
from redactor.release import service as releases
from redactor.review import service as review
from redactor.review.policy import Level
from redactor.web.api.common import (
    CableState,
    Cursor,
    DateTime,
    LevelName,
    Query,
    QueryDate,
    RedactionReply,
    Reply,
    SearchText,
    VersionNumber,
    actor,
    approvals_required,
    decode_cursor,
    encode_cursor,
    iso,
    malformed,
    one_of,
    operation,
    query_int,
    redaction_reply,
    visible_cable,
)
from redactor.web.extensions import db_session

SortName = one_of(SORTS)
PageSize = query_int(1, MAX_LIMIT)
DiffOp = one_of(["equal", "changed", "added", "removed"])
DiffMode = one_of(["released", "versions"])


class CableQuery(Query):
    q: SearchText = Field("", description='Full-text search of the current text (words, '
                          '"phrases", prefix*).')
    level: LevelName | None = Field(None, description="Level.")
    origin: SearchText | None = Field(None, description="Origin, exactly.")
    tags: SearchText | None = Field(None, description="One TAGS value, whole (any case).")
    status: CableState | None = Field(None, description="Status.")
    created_from: QueryDate | None = Field(None, description="Written on or after (YYYY-MM-DD).")
    created_to: QueryDate | None = Field(None, description="Written on or before (YYYY-MM-DD).")
    sort: SortName = Field("relevance", description="Order of the list.")
    limit: PageSize = Field(20, description="Page size.")
    cursor: Cursor | None = None


class SnippetPiece(Reply):
    text: str
    match: bool


class CableFields(Reply):
    """What the list and the detail both show of a cable."""

    reference_id: str
    classification: str
    level: LevelName
    origin: str
    subject: str
    tags: list[str]
    created: DateTime | None
    status: CableState
    current_version: int


def cable_fields(row: Any) -> dict[str, Any]:
    """:class:`CableFields` of a cable or a search hit (both carry these attributes)."""
    return {
        "reference_id": row.reference_id, "classification": row.classification,
        "level": Level(row.level).name, "origin": row.origin, "subject": row.subject,
        "tags": split_tags(row.tags), "created": iso(row.created), "status": str(row.status),
        "current_version": row.current_version,
    }


class CableSummary(CableFields):
    snippet: list[SnippetPiece] = Field(description="The passage of the text that matched, "
                                        "in pieces.")


class CablePage(Reply):
    """A page of cables."""

    items: list[CableSummary]
    total: int = Field(description="Matching cables; a lower bound when total_exact is false.")
    total_exact: bool = Field(description="False when more cables matched than were counted "
                              "(10,000): there are more than total.")
    next_cursor: str | None


@operation("GET", "/cables", "Search and list the cables the caller may see",
           query=CableQuery, reply=CablePage)
def list_cables(args: CableQuery) -> CablePage:
    """Cables the caller may see: full-text ``q``, filters, ``limit``, opaque ``cursor``."""
    offset = decode_cursor("cables", args.cursor) or 0
    page = search_cables(
        db_session(),
        actor(),
        args.q,
        limit=args.limit,
        offset=offset,
        sort=args.sort,
        level=int(Level[args.level]) if args.level else None,
        origin=args.origin,
        tags=args.tags,
        created_from=args.created_from,
        created_to=args.created_to,
        status=args.status,
    )
    items = [
        CableSummary(
            **cable_fields(hit),
            snippet=[SnippetPiece(text=text, match=match) for text, match in hit.snippet],
        )
        for hit in page.hits
    ]
    next_cursor = encode_cursor("cables", offset + len(items)) if page.has_next else None
    db_session().commit()  # the snippets of classified cables were put on record
    return CablePage(
        items=items, total=page.total, total_exact=page.total_exact, next_cursor=next_cursor
    )


class VersionQuery(Query):
    version: VersionNumber | None = Field(None, description="A version number (default: the "
                                          "current one).")


class VersionRef(Reply):
    number: int
    sha256: str
    source_name: str
    imported_at: DateTime


class PortionReply(Reply):
    index: int
    kind: str
    number: str | None
    marking: str | None
    level: str | None
    start: int
    end: int
    reviewed: bool
    reviewed_by: int | None


class ReleaseSummary(Reply):
    id: int
    doc_number: str
    case_number: str
    disposition: str
    released_at: DateTime
    url: str


class CableLink(Reply):
    reference_id: str
    url: str


class Reference(Reply):
    label: str | None
    text: str
    cable_id: str | None = Field(description="The canonical reference id the item cites.")
    cable: CableLink | None = Field(description="The cited cable, when the collection holds "
                                    "it and the caller may see it; null otherwise (the two are "
                                    "not told apart).")


class Citing(CableLink):
    subject: str
    created: DateTime | None


class Copy(CableLink):
    section: tuple[int, int] | None


class CableDetail(CableFields):
    """The cable."""

    version: int = Field(description="The version shown.")
    sha256: str
    text: str = Field(description="The stored text; every offset counts code points in it.")
    parsed: dict[str, Any] = Field(description="The parser's view (markings, fields).")
    versions: list[VersionRef]
    portions: list[PortionReply]
    redactions: list[RedactionReply]
    canonical_id: str = Field(description="The reference id this text is: its own, or for a "
                              "section copy (08ECTION01OF02MANAMA492) the cable's (08MANAMA492).")
    references: list[Reference] = Field(description="The REF items of the version shown, in "
                                        "order.")
    referenced_by: list[Citing] = Field(description="Cables whose current version cites this "
                                        "one, that the caller may see (newest first, at most "
                                        "100).")
    referenced_by_total: int = Field(description="How many cables the caller may see cite "
                                     "this one.")
    copies: list[Copy] = Field(description="The same cable under other reference ids (the "
                               "cable itself, section copies) that the caller may see.")
    releases: list[ReleaseSummary]


@operation("GET", "/cables/<reference_id>",
           "A cable with its portions, redactions, versions and releases",
           query=VersionQuery, reply=CableDetail, errors=(404,))
def get_cable(reference_id: str, args: VersionQuery) -> CableDetail:
    """A cable: metadata, versions, text, portions (markings, offsets, review marks),
    redactions and releases. ``?version=N`` shows an earlier version. Each version is
    checked on its own level: one above the caller's clearance is 404 and is not listed."""
    session, user = db_session(), actor()
    cable = visible_cable(reference_id)
    version = get_visible_version(session, user, cable, args.version)
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
    made = session.scalars(
        select(Release).where(Release.cable_id == cable.id).order_by(Release.id)
    ).all()
    record_view(session, user, cable, version.number)  # as the cable page does
    reply = CableDetail(
        **cable_fields(cable),
        version=version.number,
        sha256=version.sha256,
        text=version.text,
        parsed=version.parsed,
        versions=[
            VersionRef(number=v.number, sha256=v.sha256, source_name=v.source_name,
                       imported_at=iso(v.imported_at))
            for v in visible_versions(session, user, cable)
        ],
        portions=[
            PortionReply(
                index=p.index, kind=p.kind, number=p.number, marking=p.marking, level=p.level,
                start=p.start, end=p.end, reviewed=p.index in reviewed,
                reviewed_by=reviewed[p.index].reviewer_id if p.index in reviewed else None,
            )
            for p in portions
        ],
        redactions=[redaction_reply(r, cable.reference_id, version.number) for r in rows],
        **_links(session, user, cable, version.id),
        releases=[
            ReleaseSummary(
                id=r.id, doc_number=r.doc_number, case_number=r.case_number,
                disposition=r.disposition, released_at=iso(r.released_at),
                url=url_for("api.get_release", release_id=r.id),
            )
            for r in made
        ],
    )
    session.commit()
    return reply


def _url(reference_id: str) -> str:
    return url_for("api.get_cable", reference_id=reference_id)


def _links(session: Any, user: User, cable: Cable, version_id: int) -> dict[str, Any]:
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
            Reference(
                label=r.label, text=r.text, cable_id=r.cited_id,
                cable=CableLink(reference_id=r.linked, url=_url(r.linked)) if r.linked else None,
            )
            for r in links.version_references(session, user, cable, version_id)
        ],
        "referenced_by": [
            Citing(reference_id=c.reference_id, url=_url(c.reference_id), subject=c.subject,
                   created=iso(c.created))
            for c in citing
        ],
        "referenced_by_total": total,
        "copies": [
            Copy(reference_id=reference_id, url=_url(reference_id), section=section)
            for reference_id, section in copies
        ],
    }


class DiffQuery(VersionQuery):
    from_: VersionNumber | None = Field(None, alias="from", description="Old version (with "
                                        "`to`).")
    to: VersionNumber | None = Field(None, description="New version (with `from`).")


class CharOp(Reply):
    op: str
    old: str
    new: str


class Hunk(CharOp):
    chars: list[CharOp]


class PortionDiff(Reply):
    op: DiffOp
    old_key: str | None
    new_key: str | None
    similarity: float
    hunks: list[Hunk]


class Diff(Reply):
    """Portion by portion."""

    reference_id: str
    mode: DiffMode
    from_: int = Field(alias="from")
    to: int
    portions: list[PortionDiff]


@operation("GET", "/cables/<reference_id>/diff",
           "Original against releasable text, or one version against another",
           query=DiffQuery, reply=Diff, errors=(404,), operation_id="diffCable")
def cable_diff(reference_id: str, args: DiffQuery) -> Diff:
    """Portion by portion: the current version (or ``?version=N``) against its releasable
    form under the approved redactions, or version ``from`` against version ``to``. Every
    version shown needs the caller's clearance for its own level (404 otherwise)."""
    session, user = db_session(), actor()
    cable = visible_cable(reference_id)
    first, second, number = args.from_, args.to, args.version
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
        approvals_required=approvals_required(),
    )
    for number in sorted({left, right}):  # the diff shows the text of each version
        record_view(session, user, cable, number)
    session.commit()
    return Diff.model_validate({
        "reference_id": cable.reference_id, "mode": mode, "from": left, "to": right,
        "portions": [item.as_dict() for item in result],
    })
