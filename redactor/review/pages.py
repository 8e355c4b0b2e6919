"""The models of the cable pages: the list, the dashboard, the review page and the preview.

A services-layer module (SQLAlchemy, no Flask): each builder takes the session, the acting
user and whatever the request decided (filters, page size, approvals required, today's date)
as arguments and returns plain values (frozen dataclasses, lists, dicts) that the templates
of :mod:`redactor.web.cables` render. It never commits: the view owns the transaction.

Every query starts from :func:`redactor.cables.access.visible_cables`, so a cable above the
user's clearance is never listed, counted or offered as a filter value, and its pages are a
404 exactly like an unknown reference id. The list itself (query, filters, pages, snippets) is
:func:`redactor.cables.search.search_cables`, which applies the same clearance rule.

The review page is built in two steps: :func:`load_review` reads what the page needs in a
fixed number of queries (version, proposals, decisions, comments, the users named, review
marks, referenced cables), whatever the number of proposals; then the pure
:mod:`redactor.review.display` cuts the text into segments and writes their markup. What
depends only on the version (text, parse, portions, segment markup) is kept per process in
a small bounded cache (:func:`version_page`): versions never change. Templates receive plain
values and never query. :func:`load_review` and :func:`load_preview` also record the viewing
of a classified cable (``cable.view``) in the caller's transaction.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from redactor.cables import declassify, held, links
from redactor.cables.access import may_see_version, record_view, visible_cables
from redactor.cables.search import SORTS, SearchPage, search_cables, visible_origins
from redactor.errors import NotFound
from redactor.models import (
    Cable,
    CableStatus,
    CableVersion,
    Comment,
    Decision,
    DecisionKind,
    Portion,
    PortionReview,
    Redaction,
    RedactionStatus,
    Release,
    User,
)
from redactor.redaction.exemptions import B3_STATUTES, CATALOGUE
from redactor.redaction.spans import Span, merge_spans
from redactor.release import building as release_building
from redactor.release import pages as release_pages
from redactor.review import display, states
from redactor.review import service as review
from redactor.review.policy import (
    Level,
    Role,
    can_approve,
    can_comment,
    can_edit_proposal,
    can_mark_reviewed,
    can_propose,
    can_view,
    can_withdraw,
)

MAX_QUERY_LENGTH = 200
DASHBOARD_ROWS = 25
EXCERPT_CHARS = 160

STATUS_LABELS = {
    CableStatus.NEW: "new",
    CableStatus.IN_REVIEW: "in review",
    CableStatus.READY: "ready to release",
    CableStatus.RELEASED: "released",
}
STATUS_STEPS = tuple((s.value, STATUS_LABELS[s]) for s in CableStatus)
SORT_LABELS = {
    "relevance": "Relevance (with a search)",
    "-created": "Newest first",
    "created": "Oldest first",
    "reference": "Reference id",
    "-level": "Highest classification",
    "level": "Lowest classification",
    "origin": "Origin",
}



def _date_arg(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


@dataclass(frozen=True)
class CableFilters:
    """What the list asks for, read from the query string and cleaned."""

    query: str = ""
    level: Level | None = None
    origin: str = ""
    tags: str = ""
    date_from: date | None = None
    date_to: date | None = None
    status: CableStatus | None = None
    sort: str = ""
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
        sort = args.get("sort", "")
        return cls(
            query=args.get("q", "").strip()[:MAX_QUERY_LENGTH],
            level=level,
            origin=args.get("origin", "").strip()[:200],
            tags=args.get("tags", "").strip()[:100],
            date_from=_date_arg(args.get("from", "")),
            date_to=_date_arg(args.get("to", "")),
            status=status,
            sort=sort if sort in SORTS else "",
            page=page,
        )

    @property
    def effective_sort(self) -> str:
        """The sort applied: the one asked for, else relevance with a query, else newest."""
        return self.sort or ("relevance" if self.query else "-created")

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for a link to this list, with ``changes`` applied."""
        values = {
            "q": self.query,
            "classification": self.level.name if self.level is not None else "",
            "origin": self.origin,
            "tags": self.tags,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "status": self.status.value if self.status is not None else "",
            "sort": self.sort,
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
        status=STATUS_LABELS[CableStatus(item.status)],
        snippet=snippet,
    )


def search_page(
    session: Session, actor: User, filters: CableFilters, *, page_size: int
) -> SearchPage:
    """One page of the cables matching ``filters``, ``page_size`` a page (clearance applied
    by the search service)."""
    return search_cables(
        session,
        actor,
        filters.query,
        limit=page_size,
        offset=(filters.page - 1) * page_size,
        sort=filters.effective_sort,
        level=int(filters.level) if filters.level is not None else None,
        origin=filters.origin or None,
        tags=filters.tags or None,
        created_from=filters.date_from,
        created_to=filters.date_to,
        status=filters.status,
    )


def list_model(
    session: Session, actor: User, filters: CableFilters, *, page_size: int
) -> dict[str, Any]:
    """The cable list for ``actor``: one page of rows matching ``filters``, the number of
    pages (at least that many when ``total_exact`` is false: a search's count stops at
    :data:`~redactor.cables.search.COUNT_CAP`), and the filter menus (only origins and
    levels within the actor's clearance)."""
    page = search_page(session, actor, filters, page_size=page_size)
    return {
        "rows": [_row(hit, hit.snippet) for hit in page.hits],
        "total": page.total,
        "total_exact": page.total_exact,
        "has_next": page.has_next,
        "pages": max(1, -(-page.total // page_size)),
        "filters": filters,
        "origins": visible_origins(session, actor),
        "levels": [level for level in Level if level <= actor.clearance],
        "statuses": [(s.value, STATUS_LABELS[s]) for s in CableStatus],
        "sorts": list(SORT_LABELS.items()),
    }


# --------------------------------------------------------------------------- dashboard


@dataclass(frozen=True)
class QueueItem:
    """A proposal in one of the dashboard's queues.

    ``portion`` is the title the cable page gives the portion (:func:`portion_title`, e.g.
    ``Paragraph 15``), or ``header``; ``text`` the proposed text, cut to
    :data:`QUEUE_TEXT_CHARS` (``text_cut`` when cut), empty when the actor is not cleared for
    the version. Plain text: the template escapes it.
    """

    redaction_id: int
    reference_id: str
    subject: str
    portion: str
    label: str
    proposer: str
    when: str
    reason: str = ""
    text: str = ""
    text_cut: bool = False


QUEUE_TEXT_CHARS = 120


def _queue(session: Session, actor: User, redactions: list[Redaction]) -> list[QueueItem]:
    """The first :data:`DASHBOARD_ROWS` of ``redactions`` (already behind the clearance
    filter) as queue items, in a fixed number of queries."""
    redactions = redactions[:DASHBOARD_ROWS]
    if not redactions:
        return []
    wanted = {r.cable_id for r in redactions}
    cables = {c.id: c for c in session.scalars(select(Cable).where(Cable.id.in_(wanted)))}
    names = _user_names(session, {r.proposer_id for r in redactions})
    reasons = _latest_reject_reasons(session, redactions)
    version_ids = {r.version_id for r in redactions}
    # A version may sit above its cable's level: its text is shown only to those cleared for
    # that version itself (the same rule as the cable page).
    texts = {
        v.id: v.text
        for v in session.scalars(select(CableVersion).where(CableVersion.id.in_(version_ids)))
        if may_see_version(actor, v)
    }
    titles = {
        (version_id, index): portion_title(kind, number)
        for version_id, index, kind, number in session.execute(
            select(Portion.version_id, Portion.index, Portion.kind, Portion.number).where(
                Portion.version_id.in_(version_ids)
            )
        )
    }
    items = []
    for r in redactions:
        if r.portion_index is None:
            where = "header"
        else:
            where = titles.get((r.version_id, r.portion_index), f"portion {r.portion_index + 1}")
        text = " ".join(texts.get(r.version_id, "")[r.start : r.end].split())
        items.append(
            QueueItem(
                redaction_id=r.id,
                reference_id=cables[r.cable_id].reference_id,
                subject=cables[r.cable_id].subject,
                portion=where,
                label=" ".join(r.codes),
                proposer=names.get(r.proposer_id, "?"),
                when=_when(r.updated_at),
                reason=reasons.get(r.id, ""),
                text=text[:QUEUE_TEXT_CHARS],
                text_cut=len(text) > QUEUE_TEXT_CHARS,
            )
        )
    return items


def _latest_reject_reasons(session: Session, redactions: list[Redaction]) -> dict[int, str]:
    rejected = [r.id for r in redactions if r.status == RedactionStatus.REJECTED]
    if not rejected:
        return {}
    rows = session.execute(
        select(Decision.redaction_id, Decision.reason)
        .where(
            Decision.redaction_id.in_(rejected),
            Decision.kind == DecisionKind.REJECT,
            Decision.void.is_(False),
        )
        .order_by(Decision.id)
    )
    return {redaction_id: reason for redaction_id, reason in rows}  # the latest wins


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


_USER_NAMES = select(User.id, User.username, User.display_name).where(
    User.id.in_(bindparam("ids", expanding=True))
)


def _user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(_USER_NAMES, {"ids": sorted(ids)})
    return {uid: display_name or username for uid, username, display_name in rows}


def dashboard_model(
    session: Session, actor: User, *, approvals_required: int = 1
) -> dict[str, Any]:
    """The user's queues: proposals awaiting their approval (approved ones short of
    ``approvals_required`` included), their rejected proposals, new cables to review
    (reviewers only, at most :data:`DASHBOARD_ROWS`, newest first), cables in review and
    recent releases (all behind the clearance filter)."""
    pending = review.pending_for_approver(session, actor, approvals_required=approvals_required)
    rejected = review.rejected_for_proposer(session, actor)
    in_review = session.scalars(
        visible_cables(actor)
        .where(Cable.status == CableStatus.IN_REVIEW)
        .order_by(Cable.id.desc())
        .limit(DASHBOARD_ROWS)
    ).all()
    is_reviewer = Role.REVIEWER in actor.roles
    # New cables (nobody has proposed or marked anything yet): the reviewer's queue of work
    # to start, newest imports first.
    new_cables = (
        session.scalars(
            visible_cables(actor)
            .where(Cable.status == CableStatus.NEW)
            .order_by(Cable.id.desc())
            .limit(DASHBOARD_ROWS)
        ).all()
        if is_reviewer
        else []
    )
    released = session.execute(
        select(Cable, Release.released_at, Release.doc_number)
        .join(Release, Release.cable_id == Cable.id)
        .where(Cable.id.in_(visible_cables(actor).with_only_columns(Cable.id)))
        .order_by(Release.released_at.desc(), Release.id.desc())
        .limit(10)
    ).all()
    return {
        "is_approver": Role.APPROVER in actor.roles,
        "is_reviewer": is_reviewer,
        "new_cables": [_row(c) for c in new_cables],
        "pending": _queue(session, actor, pending),
        "pending_total": len(pending),
        "rejected": _queue(session, actor, rejected),
        "in_review": [_row(c) for c in in_review],
        "released": [
            {"row": _row(c), "when": _when(at), "doc_number": doc} for c, at, doc in released
        ],
        "ready_to_release": release_pages.ready_queue(session, actor),
        "recent_releases": release_pages.recent_releases(session, actor),
        # Declassification requests to decide, and held imports (None: not for this user).
        "declassifications": declassify.approver_queue(session, actor),
        "held_count": held.count_held(session, actor) if held.may_decide_held(actor) else None,
    }


# --------------------------------------------------------------------------- review page


@dataclass(frozen=True)
class DecisionView:
    """One approval or rejection, as shown under a proposal."""

    approver: str
    kind: str
    reason: str
    void: bool
    when: str


@dataclass(frozen=True)
class CommentView:
    """One remark of a proposal's discussion."""

    author: str
    body: str
    when: str


@dataclass(frozen=True)
class ProposalView:
    """A proposal with what the current user may do with it."""

    id: int
    status: str
    start: int
    end: int
    codes: tuple[str, ...]
    label: str
    rationale: str
    proposer: str
    mine: bool
    row_version: int
    revision: int
    approvals: int
    excerpt_html: display.Html  # the first EXCERPT_CHARS of the text, without offsets
    excerpt_cut: bool
    decisions: tuple[DecisionView, ...]
    comments: tuple[CommentView, ...]
    may_decide: bool
    may_edit: bool
    may_withdraw: bool
    may_comment: bool
    replaces_id: int | None = None  # a change of (or request to withdraw) this redaction
    withdraws: bool = False


@dataclass(frozen=True)
class WarningView:
    """A parser warning, placed where it occurs."""

    code: str
    message: str


@dataclass
class PortionView:
    """One portion (or heading) of the cable with its text and proposals."""

    index: int
    kind: str
    number: str | None
    marking: str | None
    level: str | None
    start: int
    end: int
    text_html: display.Html  # its segments (see display.segments_html)
    reviewed_by: str | None
    proposals: list[ProposalView] = field(default_factory=list)
    warnings: tuple[WarningView, ...] = ()

    @property
    def level_class(self) -> str:
        """``mark-c``, ``mark-s``, ... (``mark-none`` for an unmarked portion)."""
        return f"mark-{(self.level or 'none').lower()}"

    @property
    def anchor(self) -> str:
        """The element id of the portion's section."""
        return f"portion-{self.index}"

    @property
    def title(self) -> str:
        """A short accessible title (see :func:`portion_title`)."""
        return portion_title(self.kind, self.number)


def portion_title(kind: str, number: str | None) -> str:
    """``Paragraph 3``, ``Paragraph (unnumbered)`` or ``Heading``."""
    if kind == "heading":
        return "Heading"
    return f"Paragraph {number or '(unnumbered)'}"


@dataclass(frozen=True)
class FieldView:
    """A selectable header field (SUBJECT, TAGS, REF, Classified By)."""

    key: str
    label: str
    start: int
    end: int
    text_html: display.Html  # its segments (see display.segments_html)


HEADER_FIELDS = (
    ("subject", "Subject"),
    ("tags", "Tags"),
    ("references", "Ref"),
    ("classified_by", "Classified By"),
)


def _pair(value: Any) -> tuple[int, int] | None:
    if isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value):
        return value[0], value[1]
    return None


def code_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The exemption catalogue grouped for the form: FOIA, E.O. 13526 1.4, 25X/50X.

    ``B3`` appears once (its statute is chosen in a separate field)."""
    foia = [(c, m) for c, m in CATALOGUE.items() if c.startswith("B") and not c.startswith("B3 ")]
    foia.insert(2, ("B3", "exempted from disclosure by another statute (choose the statute)"))
    section = [(c, m) for c, m in CATALOGUE.items() if c.startswith("1.4(")]
    automatic = [(c, m) for c, m in CATALOGUE.items() if c[:3] in ("25X", "50X")]
    return [
        ("FOIA exemptions (5 U.S.C. 552(b))", foia),
        ("E.O. 13526 §1.4 categories (required with B1)", section),
        ("Exemptions from automatic declassification (§3.3)", automatic),
    ]


#: The form's groups and statutes, built once (the catalogue is a constant).
CODE_GROUPS = code_groups()
B3_TAGS = tuple(B3_STATUTES)


def _decl_passed(parsed: dict[str, Any], today: date) -> bool:
    raw = (parsed.get("decl") or {}).get("date")
    try:
        return bool(raw) and date.fromisoformat(raw) < today
    except ValueError:
        return False


class PortionRow(NamedTuple):
    """A stored portion (or heading) of a version."""

    index: int
    kind: str
    number: str | None
    marking: str | None
    level: str | None
    start: int
    end: int


class _Memo:
    """Markup already made, by what it was made from; emptied when it would hold more than
    ``max_chars`` characters (mark combinations accumulate as proposals change)."""

    def __init__(self, max_chars: int) -> None:
        self._items: dict[tuple[Any, ...], display.Html] = {}
        self._chars = 0
        self._max_chars = max_chars

    def get(self, key: tuple[Any, ...], make: Callable[[], display.Html]) -> display.Html:
        """The markup made for ``key``, made with ``make`` the first time."""
        html = self._items.get(key)
        if html is None:
            html = make()
            if self._chars + len(html) > self._max_chars:
                self._items.clear()
                self._chars = 0
            self._items[key] = html
            self._chars += len(html)
        return html


@dataclass(frozen=True)
class VersionPage:
    """What the review page shows of one cable version that never changes.

    A version is immutable (a changed text is a new version), and so are its portions and
    its parse; this is built from them once and shared by every page of the version (see
    :func:`version_page`). Nothing here depends on the viewer or on the proposals. Treat
    it as read-only, the dicts included.
    """

    id: int
    number: int
    sha256: str
    text: str
    header: dict[str, Any]  # banner, caveats, decl, classified_by of the parse
    portions: tuple[PortionRow, ...]
    fields: tuple[tuple[str, str, int, int], ...]  # key, label, start, end
    # Regions outside the portions and the fields above (routing lines...): label, start, end
    others: tuple[tuple[str, int, int], ...]
    withheld: tuple[tuple[int, int], ...]  # WikiLeaks runs
    drops: tuple[tuple[int, int], ...]  # page-break lines left out of the display
    warnings: dict[int | None, tuple[WarningView, ...]]  # by portion index; None: header
    references: tuple[dict[str, Any], ...]  # label, text, cable_id of each REF
    # Segment markup is a pure function of the version and what it is asked for: a page
    # whose proposals did not change since the last view is served from here. Bounded to a
    # few times the marked-up text.
    made: _Memo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "made", _Memo(max_chars=8 * len(self.text) + 100_000))

    def area_html(self, start: int, end: int, marks: tuple[display.Mark, ...]) -> display.Html:
        """The segments of ``text[start:end]`` (a portion or field) with ``marks``, the
        proposals to highlight there (see :func:`redactor.review.display.segment_text`)."""
        return self.made.get(("area", start, end, marks), lambda: display.segments_html(
            display.segment_text(self.text, start, end, marks=marks, withheld=self.withheld,
                                 drops=self.drops)
        ))

    def excerpt_html(self, start: int, end: int) -> display.Html:
        """The segments of ``text[start:end]`` without offsets or highlights, for the head
        of a proposal."""
        return self.made.get(("excerpt", start, end), lambda: display.segments_html(
            display.segment_text(self.text, start, end, withheld=self.withheld), offsets=False
        ))


def _build_version_page(
    version_id: int, number: int, sha256: str, text: str, parsed: dict[str, Any],
    portions: tuple[PortionRow, ...],
) -> VersionPage:
    withheld = tuple(p for p in (_pair(w) for w in parsed.get("withheld") or []) if p)
    drops = tuple(
        display.dropped_lines(
            text, [p for p in (_pair(b) for b in parsed.get("page_breaks") or []) if p]
        )
    )
    spans = parsed.get("spans") or {}
    fields = tuple(
        (key, label, *pair)
        for key, label in HEADER_FIELDS
        if (pair := _pair(spans.get(key)))
    )
    others = display.other_regions(
        text, [(p.start, p.end, p.index) for p in portions], parsed,
        [(start, end) for _, _, start, end in fields],
    )
    warnings: dict[int | None, list[WarningView]] = defaultdict(list)
    for w in parsed.get("warnings") or []:
        at = w.get("start")
        home = next(
            (p.index for p in portions if type(at) is int and p.start <= at <= p.end), None
        )
        warnings[home].append(WarningView(str(w.get("code", "")), str(w.get("message", ""))))
    return VersionPage(
        id=version_id,
        number=number,
        sha256=sha256,
        text=text,
        header={key: parsed.get(key) for key in ("banner", "caveats", "decl", "classified_by")},
        portions=portions,
        fields=fields,
        others=others,
        withheld=withheld,
        drops=drops,
        warnings={home: tuple(views) for home, views in warnings.items()},
        references=tuple(
            {"label": ref.get("label"), "text": ref.get("text", ""),
             "cable_id": ref.get("cable_id")}
            for ref in parsed.get("references") or []
        ),
    )


#: Built version pages, per database (the session's bind) and version id, least recently
#: used first. Bounded in entries and in characters of text, so a run of huge cables cannot
#: hold much memory; each process keeps its own.
_VERSION_PAGES: weakref.WeakKeyDictionary[Any, OrderedDict[int, VersionPage]] = (
    weakref.WeakKeyDictionary()
)
_VERSION_PAGES_LOCK = threading.Lock()
VERSION_CACHE_ENTRIES = 32
VERSION_CACHE_CHARS = 2_000_000


class RedactionRow(NamedTuple):
    """What the review page reads of a proposal."""

    id: int
    start: int
    end: int
    status: RedactionStatus
    codes: list[str]
    rationale: str
    proposer_id: int
    row_version: int
    revision: int
    portion_index: int | None
    replaces_id: int | None
    withdraws: bool


class DecisionRow(NamedTuple):
    """What the review page reads of a decision (all that ``valid_approvals`` needs)."""

    redaction_id: int
    approver_id: int
    kind: DecisionKind
    reason: str
    void: bool
    revision: int
    start: int
    end: int
    codes: list[str]
    created_at: datetime


class CommentRow(NamedTuple):
    """What the review page reads of a comment."""

    redaction_id: int
    author_id: int
    body: str
    created_at: datetime


def _columns(model: Any, row: type[NamedTuple]) -> list[Any]:
    return [getattr(model, name) for name in row._fields]


# The review page's statements, built once: building a statement costs about as much as
# running it on SQLite (SQLAlchemy caches the compiled SQL, not the statement objects).
# Rows are read into named tuples: the page changes nothing, so it needs no ORM objects,
# and a SQLAlchemy row is several times slower to read than a tuple.
_VERSION_ROW = select(
    CableVersion.id, CableVersion.number, CableVersion.sha256, CableVersion.level
).where(
    CableVersion.cable_id == bindparam("cable"), CableVersion.number == bindparam("number")
)
_VERSION_TEXT = select(CableVersion.text, CableVersion.parsed).where(
    CableVersion.id == bindparam("version")
)
_PORTIONS = (
    select(*_columns(Portion, PortionRow))
    .where(Portion.version_id == bindparam("version"))
    .order_by(Portion.index)
)
_REDACTIONS = (
    select(*_columns(Redaction, RedactionRow))
    .where(Redaction.version_id == bindparam("version"))
    .order_by(Redaction.start, Redaction.end, Redaction.id)
)
_DECISIONS = (
    select(*_columns(Decision, DecisionRow))
    .join(Redaction, Redaction.id == Decision.redaction_id)
    .where(Redaction.version_id == bindparam("version"))
    .order_by(Decision.id)
)
_COMMENTS = (
    select(*_columns(Comment, CommentRow))
    .join(Redaction, Redaction.id == Comment.redaction_id)
    .where(Redaction.version_id == bindparam("version"))
    .order_by(Comment.id)
)
_REVIEWERS = select(PortionReview.portion_index, PortionReview.reviewer_id).where(
    PortionReview.version_id == bindparam("version")
)


def version_page(session: Session, cable: Cable, actor: User) -> VersionPage:
    """The :class:`VersionPage` of ``cable``'s current version; ``NotFound`` if none, or if
    the version's own level is above ``actor``'s clearance (the same answer).

    One small query (id, number, hash) per call; the text, the parse and the portions are
    read only when the version is not cached yet. A cached entry is used only when its hash
    matches the row's, so a reused row id can never show another text. The caller has
    loaded ``cable`` for ``actor``; the version is checked here, on its own level.
    """
    row = session.execute(
        _VERSION_ROW, {"cable": cable.id, "number": cable.current_version}
    ).one_or_none()
    if row is None or not (actor.active and can_view(actor.clearance, row.level)):
        raise NotFound(f"no version {cable.current_version} of cable {cable.id}")
    bind = session.get_bind()
    with _VERSION_PAGES_LOCK:
        cached = _VERSION_PAGES.get(bind, {}).get(row.id)
    if cached is not None and cached.sha256 == row.sha256:
        return cached
    text, parsed = session.execute(_VERSION_TEXT, {"version": row.id}).one()
    portions = tuple(PortionRow(*p) for p in session.execute(_PORTIONS, {"version": row.id}))
    page = _build_version_page(row.id, row.number, row.sha256, text, parsed or {}, portions)
    with _VERSION_PAGES_LOCK:
        entries = _VERSION_PAGES.setdefault(bind, OrderedDict())
        entries[row.id] = page
        entries.move_to_end(row.id)
        while len(entries) > 1 and (
            len(entries) > VERSION_CACHE_ENTRIES
            or sum(len(e.text) for e in entries.values()) > VERSION_CACHE_CHARS
        ):
            entries.popitem(last=False)
    return page


def load_review(
    session: Session, actor: User, cable: Cable, *, approvals_required: int, today: date
) -> dict[str, Any]:
    """Everything the review page of ``cable`` shows, for ``actor`` (already cleared).

    A fixed number of queries whatever the number of proposals: version (plus its text and
    portions when not cached, see :func:`version_page`), proposals, decisions, comments,
    review marks, user names, referenced cables. ``today`` decides whether the
    declassification date has passed. Viewing a classified cable is recorded
    (``cable.view``); the caller commits.
    """
    review.require_visible(actor, cable)
    version = version_page(session, cable, actor)
    at_version = {"version": version.id}
    redactions = [RedactionRow(*r) for r in session.execute(_REDACTIONS, at_version)]
    decisions: dict[int, list[DecisionRow]] = defaultdict(list)
    comments: dict[int, list[CommentRow]] = defaultdict(list)
    if redactions:
        for row in session.execute(_DECISIONS, at_version):
            decisions[row.redaction_id].append(DecisionRow(*row))
        for row in session.execute(_COMMENTS, at_version):
            comments[row.redaction_id].append(CommentRow(*row))
    reviewers = dict(session.execute(_REVIEWERS, at_version).all())
    people = {r.proposer_id for r in redactions} | set(reviewers.values())
    people |= {d.approver_id for rows in decisions.values() for d in rows}
    people |= {n.author_id for rows in comments.values() for n in rows}
    names = _user_names(session, people)

    marks = [
        display.Mark(r.start, r.end, r.id, r.status.value)
        for r in redactions
        if r.status in (RedactionStatus.PENDING, RedactionStatus.APPROVED)
    ]

    def area_html(start: int, end: int) -> display.Html:
        near = tuple(m for m in marks if m.start < end and m.end > start)
        return version.area_html(start, end, near)

    roles = actor.roles
    may_comment = can_comment(roles)

    def proposal(r: RedactionRow) -> ProposalView:
        mine = r.proposer_id == actor.id
        valid = review.valid_approvals(r, decisions[r.id])
        effective = states.effective_status(r.status, len(valid), approvals_required)
        # Awaiting: approved under a lower setting, still hidden, an approver may add one.
        pending = effective in (states.PENDING, states.AWAITING)
        cut = min(r.end, r.start + EXCERPT_CHARS)
        return ProposalView(
            id=r.id,
            status=effective,
            start=r.start,
            end=r.end,
            codes=tuple(r.codes),
            label=" ".join(r.codes),
            rationale=r.rationale,
            proposer=names.get(r.proposer_id, "?"),
            mine=mine,
            row_version=r.row_version,
            revision=r.revision,
            approvals=len(valid),
            excerpt_html=version.excerpt_html(r.start, cut),
            excerpt_cut=cut < r.end,
            decisions=tuple(
                DecisionView(names.get(d.approver_id, "?"), d.kind.value, d.reason,
                             bool(d.void) or d.revision != r.revision, _when(d.created_at))
                for d in decisions[r.id]
            ),
            comments=tuple(
                CommentView(names.get(n.author_id, "?"), n.body, _when(n.created_at))
                for n in comments[r.id]
            ),
            may_decide=pending
            and can_approve(actor.id, roles, r.proposer_id)
            and not any(d.approver_id == actor.id for d in valid),
            may_edit=r.status != RedactionStatus.WITHDRAWN
            and not r.withdraws
            and can_edit_proposal(actor.id, roles, r.proposer_id),
            # Of a protected one, "withdraw" asks a second person (a withdrawal request).
            may_withdraw=effective != states.REJECTED
            and r.status != RedactionStatus.WITHDRAWN
            and can_withdraw(actor.id, roles, r.proposer_id),
            replaces_id=r.replaces_id,
            withdraws=bool(r.withdraws),
            may_comment=may_comment,
        )

    portion_views = [
        PortionView(
            index=p.index,
            kind=p.kind,
            number=p.number,
            marking=p.marking,
            level=p.level,
            start=p.start,
            end=p.end,
            text_html=area_html(p.start, p.end),
            reviewed_by=names.get(reviewers[p.index], "?") if p.index in reviewers else None,
            warnings=version.warnings.get(p.index, ()),
        )
        for p in version.portions
    ]
    by_index = {p.index: p for p in portion_views}
    header_proposals = []
    for r in redactions:
        target = by_index.get(r.portion_index) if r.portion_index is not None else None
        (target.proposals if target else header_proposals).append(proposal(r))

    fields = [
        FieldView(key, label, start, end, area_html(start, end))
        for key, label, start, end in version.fields
    ]
    other_lines = [
        FieldView(f"line-{start}", label, start, end, area_html(start, end))
        for label, start, end in version.others
    ]
    # Linked only where the reader may open the cited cable: a hidden one reads as absent.
    references = links.version_references(session, actor, cable, version.id)
    citing, citing_total = links.referenced_by(session, actor, cable)
    unclassified_left = sum(
        1 for p in portion_views if p.level == "U" and p.reviewed_by is None
    )
    record_view(session, actor, cable, version.number)
    return {
        "cable": _row(cable),
        "cable_status": CableStatus(cable.status).value,
        "status_steps": STATUS_STEPS,
        "version": version.number,
        "parsed": version.header,
        "decl_passed": _decl_passed(version.header, today),
        "references": references,
        "referenced_by": citing,
        "referenced_by_total": citing_total,
        "same_cable": links.same_cable(session, actor, cable),
        "fields": fields,
        "other_lines": other_lines,
        "portions": portion_views,
        # No portion (a truncated cable): its whole text is reviewed as one, by one mark.
        "whole_text": None if portion_views else {
            "index": states.WHOLE_TEXT_INDEX,
            "reviewed_by": names.get(reviewers[states.WHOLE_TEXT_INDEX], "?")
            if states.WHOLE_TEXT_INDEX in reviewers else None,
        },
        "header_proposals": header_proposals,
        "header_warnings": version.warnings.get(None, ()),
        "reviewed_count": sum(1 for p in portion_views if p.reviewed_by),
        "unclassified_left": unclassified_left,
        # The release part of the page: the button (or why not) and the files released.
        "release_state": release_pages.readiness(
            session, actor, cable, approvals_required=approvals_required
        ),
        "cable_releases": release_pages.releases_of_cable(session, cable),
        "may_propose": can_propose(roles),
        "may_mark": can_mark_reviewed(roles),
        "pending_count": sum(
            1
            for r in redactions
            if states.is_outstanding(
                states.effective_status(
                    r.status, len(review.valid_approvals(r, decisions[r.id])), approvals_required
                )
            )
        ),
        "approved_count": sum(1 for r in redactions if r.status == RedactionStatus.APPROVED),
        "approvals_required": approvals_required,
        "code_groups": CODE_GROUPS,
        "b3_statutes": B3_TAGS,
        "text_length": len(version.text),
        "declassification": declassify.cable_panel(session, actor, cable),
    }


def load_preview(
    session: Session, actor: User, cable: Cable, *, approvals_required: int
) -> dict[str, Any]:
    """The release preview of ``cable``: each portion and header field as it would be
    released with the approved spans, pending proposals outlined. Viewing a classified
    cable is recorded (``cable.view``) like the review page; the caller commits."""
    review.require_visible(actor, cable)
    version = review.version_of(session, cable)
    if not may_see_version(actor, version):
        raise NotFound(f"no version {version.number} of cable {cable.reference_id}")
    text: str = version.text
    parsed: dict[str, Any] = version.parsed or {}
    approved = review.approved_spans(session, cable, version, approvals_required=approvals_required)
    pending = [
        (r.start, r.end)
        for r in review.redactions_for_cable(session, actor, cable)
        if r.status == RedactionStatus.PENDING
    ]
    portions = session.scalars(
        select(Portion).where(Portion.version_id == version.id).order_by(Portion.index)
    ).all()
    page_breaks = [p for p in (_pair(b) for b in parsed.get("page_breaks") or []) if p]
    # The release's own builder: the preview's stamp is the release's (DENIED IN FULL
    # included), not a second computation that could disagree with it.
    approved_spans = [(Span(s.start, s.end), tuple(codes)) for s, codes in approved]
    document = release_building.preview_document(session, version, approved_spans)
    merged = merge_spans(span for span, _ in approved_spans)
    preview = display.Preview(
        document.stamp,
        document.placeholder_width,
        tuple(
            (span, excision.codes)
            for span, excision in zip(merged, document.excisions, strict=True)
        ),
    )
    drops = display.dropped_lines(text, page_breaks)

    def pieces(start: int, end: int) -> tuple[display.PreviewPiece, ...]:
        near = [(a, b) for a, b in pending if a < end and b > start]
        return display.preview_portion(text, start, end, preview, pending=near, drops=drops)

    spans = parsed.get("spans") or {}
    fields = []
    for key, label in (("subject", "Subject"), ("tags", "Tags"), ("references", "Ref"),
                       ("classified_by", "Classified By")):
        pair = _pair(spans.get(key))
        if pair:
            fields.append({"label": label, "pieces": pieces(*pair)})
    others = display.other_regions(
        text, [(p.start, p.end, p.index) for p in portions], parsed,
        [p for p in (_pair(spans.get(key)) for key, _ in HEADER_FIELDS) if p],
    )
    record_view(session, actor, cable, version.number)
    return {
        "cable": _row(cable),
        "version": version.number,
        "release_state": release_pages.readiness(
            session, actor, cable, approvals_required=approvals_required
        ),
        "cable_releases": release_pages.releases_of_cable(session, cable),
        "stamp": preview.stamp,
        "approved_count": len(approved),
        "pending_count": len(pending),
        "fields": fields,
        "other_lines": [{"label": label, "pieces": pieces(a, b)} for label, a, b in others],
        "portions": [
            {
                "index": p.index,
                "title": portion_title(p.kind, p.number),
                "level_class": f"mark-{(p.level or 'none').lower()}",
                "marking": p.marking,
                "pieces": pieces(p.start, p.end),
            }
            for p in portions
        ],
    }
