"""The cable list (search, filters, pages) and a read-only cable page.

Every query starts from :func:`redactor.cables.access.visible_cables`, so a cable above the
user's clearance is never listed, counted or offered as a filter value, and its page is a 404
exactly like an unknown reference id. The list itself (query, filters, pages, snippets) is
:func:`redactor.cables.search.search_cables`, which applies the same clearance rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from redactor import audit
from redactor.cables.access import get_visible_cable, visible_cables
from redactor.cables.search import search_cables
from redactor.models import Cable, CableStatus, CableVersion, User
from redactor.review.policy import Level
from redactor.web.extensions import db_session

cables_bp = Blueprint("cables", __name__)

PAGE_SIZE = 50
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class CableFilters:
    """What the list asks for, read from the query string and cleaned."""

    query: str = ""
    level: Level | None = None
    origin: str = ""
    status: CableStatus | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> CableFilters:
        """Parse request arguments; anything malformed is ignored, never an error."""
        level = status = None
        if args.get("classification", "") in Level.__members__:
            level = Level[args["classification"]]
        if args.get("status", "") in {s.value for s in CableStatus}:
            status = CableStatus(args["status"])
        try:
            page = min(max(1, int(args.get("page", "1"))), 100_000)
        except ValueError:
            page = 1
        return cls(
            query=args.get("q", "").strip()[:MAX_QUERY_LENGTH],
            level=level,
            origin=args.get("origin", "").strip()[:200],
            status=status,
            page=page,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for a link to this list, with ``changes`` applied."""
        values = {
            "q": self.query,
            "classification": self.level.name if self.level is not None else "",
            "origin": self.origin,
            "status": self.status.value if self.status is not None else "",
            "page": self.page,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in ("", None, 1)}


@dataclass(frozen=True)
class CableRow:
    """One line of the list, ready for the template."""

    reference_id: str
    subject: str
    classification: str
    level_name: str
    origin: str
    date: str
    status: str
    snippet: tuple[tuple[str, bool], ...] = ()


def _row(item: Any, snippet: tuple[tuple[str, bool], ...] = ()) -> CableRow:
    """A row from a :class:`Cable` or a search hit (they share these attributes)."""
    return CableRow(
        reference_id=item.reference_id,
        subject=item.subject,
        classification=item.classification,
        level_name=Level(item.level).name.lower(),
        origin=item.origin,
        date=item.created.strftime("%Y-%m-%d") if item.created else "",
        status=CableStatus(item.status).value.replace("_", " "),
        snippet=snippet,
    )


def visible_origins(session: Session, actor: User) -> list[str]:
    """The distinct origins of the cables ``actor`` may see, for the filter menu."""
    visible_ids = visible_cables(actor).with_only_columns(Cable.id)
    return list(
        session.scalars(
            select(Cable.origin).where(Cable.id.in_(visible_ids)).distinct().order_by(Cable.origin)
        )
    )


def search_page(session: Session, actor: User, filters: CableFilters) -> tuple[list[CableRow], int]:
    """One page of rows matching ``filters`` (clearance applied by the search service)."""
    page = search_cables(
        session,
        actor,
        filters.query,
        limit=PAGE_SIZE,
        offset=(filters.page - 1) * PAGE_SIZE,
        sort="relevance" if filters.query else "-created",
        level=int(filters.level) if filters.level is not None else None,
        origin=filters.origin or None,
        status=filters.status,
    )
    return [_row(hit, hit.snippet) for hit in page.hits], page.total


@cables_bp.route("/")
def index() -> Any:
    """The home page is the cable list."""
    return redirect(url_for("cables.list_cables"))


@cables_bp.route("/cables")
@login_required
def list_cables() -> Any:
    """The cables the user is cleared for, searchable and filtered, ``PAGE_SIZE`` a page."""
    filters = CableFilters.from_args(request.args)
    session, actor = db_session(), current_user._get_current_object()
    rows, total = search_page(session, actor, filters)
    origins = visible_origins(session, actor)
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template(
        "cables/list.html",
        rows=rows,
        total=total,
        pages=pages,
        filters=filters,
        origins=origins,
        levels=[level for level in Level if level <= current_user.clearance],
        statuses=list(CableStatus),
    )


@cables_bp.route("/cables/<reference_id>")
@login_required
def show_cable(reference_id: str) -> Any:
    """A read-only cable page; 404 above the user's clearance. Viewing a classified cable
    is audited (``cable.view``)."""
    session, actor = db_session(), current_user._get_current_object()
    cable = get_visible_cable(session, actor, reference_id)
    version = session.scalars(
        select(CableVersion).where(
            CableVersion.cable_id == cable.id, CableVersion.number == cable.current_version
        )
    ).one()
    if cable.level > Level.UNCLASSIFIED:
        audit.record(
            session,
            actor,
            "cable.view",
            subject=("cable", cable.reference_id),
            data={"version": version.number, "classification": cable.classification},
        )
        session.commit()
    return render_template("cables/show.html", cable=_row(cable), text=version.text,
                           version=version.number)
