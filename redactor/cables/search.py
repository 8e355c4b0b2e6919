"""Full-text search and the filtered, sorted list of cables, behind the clearance filter.

One API, two engines. SQLite: an FTS5 table ``cable_search`` whose content is
``cable_versions.text`` (external content, so no second copy of the text), with one row per
cable: its current version. PostgreSQL: a table ``cable_search`` (one row per cable) holding a
``tsvector`` of the current version, with a GIN index. Both are kept up to date by
:func:`index_version`, which the import service calls; migration ``0003`` creates them.

The words a user types are never handed to the engine's query syntax: :func:`parse_query`
keeps only letters and digits, so ``"``, ``*``, ``NEAR(`` or ``AND OR`` are plain words or
nothing, and can never raise a syntax error. Every term must match (AND); a ``"quoted
phrase"`` matches words in sequence; a trailing ``*`` makes a term a prefix. A blank query
lists every visible cable that passes the filters; a query with no letters or digits (``*``)
matches nothing.

Snippets are computed here, not by the engine, so they are the same on both engines and are
plain ``(text, is_match)`` segments that templates escape like any other text. A snippet is
cable text: for each classified cable whose snippet a page shows, the search puts a
``cable.view`` entry on record (``"via": "search"``), as opening the cable does; the caller
commits it.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import accumulate, islice

from sqlalchemy import Select, column, func, literal, literal_column, select, table
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from redactor import audit
from redactor.cables.access import visible_cables
from redactor.db import is_sqlite
from redactor.models import Cable, CableStatus, CableVersion, User, current_version_join
from redactor.review.policy import Level

#: Letters and digits: the words the index and the query share.
_WORD_RE = re.compile(r"[^\W_]+")
#: The same, capturing: ``split`` returns the words between the separators.
_WORD_SPLIT_RE = re.compile(r"([^\W_]+)")
#: A character outside ASCII: the words holding one are folded one by one.
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
#: PostgreSQL refuses a tsvector over 1 MB; stop adding new words well before.
_PG_DOCUMENT_MAX_CHARS = 500_000
#: Snippets look at the start of very long cables only.
_SNIPPET_SCAN_CHARS = 200_000
_SNIPPET_WORDS = 36
_MAX_TERMS = 16
MAX_LIMIT = 100
#: Results are counted up to this many when counting them exactly would mean visiting
#: each (the list, or a search with filters or for a clearance below the top); the page
#: then says "more than".
COUNT_CAP = 10_000
#: SQLite ranks the best ``4 x (offset + limit)`` matches (at least this many) first, and
#: widens only if the filters leave too few of them.
_RANK_CANDIDATES_MIN = 200

SORTS = ("relevance", "reference", "created", "-created", "level", "-level", "origin")

_sqlite_fts = table("cable_search", column("rowid"))
_pg_search = table("cable_search", column("cable_id"), column("version_id"), column("document"))


# --------------------------------------------------------------------------- words


#: The combining diacritical marks of Latin, Greek and Cyrillic text (what FTS5's
#: ``remove_diacritics`` removes too); other scripts' marks are kept, on both sides alike.
_DIACRITICS_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def fold(word: str) -> str:
    """A word as the index holds it: compatibility-decomposed, accents dropped, casefolded."""
    return _DIACRITICS_RE.sub("", unicodedata.normalize("NFKD", word)).casefold()


def _pieces(word: str) -> list[str]:
    # Folding can produce non-word characters ("½" -> "1⁄2"); keep letters and digits only.
    return _WORD_RE.findall(fold(word))


def iter_words(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """``(start, end, folded pieces)`` of each word of ``text``, in order."""
    if text.isascii():
        # An ASCII word folds to its lower case, in one piece: fold the text once.
        lowered = text.lower()
        for match in _WORD_RE.finditer(text):
            start, end = match.span()
            yield start, end, [lowered[start:end]]
        return
    for match in _WORD_RE.finditer(text):
        yield match.start(), match.end(), _pieces(match.group())


def fold_text(text: str) -> str:
    """:func:`fold` applied to a whole text at once (ASCII text takes a fast path)."""
    if text.isascii():
        return text.lower()
    return fold(text)


def search_document(text: str) -> str:
    """The folded words of ``text`` joined by spaces: what PostgreSQL's tsvector is built from.

    New distinct words stop being added once they total about 500,000 characters, which keeps
    the tsvector under PostgreSQL's 1 MB limit for any file the importer accepts.
    """
    words = _WORD_RE.findall(fold_text(text))
    # Distinct words of a text of n characters cost at most about 5n: short texts fit.
    if len(text) * 5 <= _PG_DOCUMENT_MAX_CHARS:
        return " ".join(words)
    out: list[str] = []
    seen: set[str] = set()
    budget = _PG_DOCUMENT_MAX_CHARS
    for word in words:
        if word not in seen:
            if budget - len(word) < 0:
                continue
            budget -= len(word) + 8  # a lexeme's bytes plus its entry overhead
            seen.add(word)
        out.append(word)
    return " ".join(out)


@dataclass(frozen=True)
class Term:
    """One query term: words that must occur in sequence; the last is a prefix if ``prefix``."""

    words: tuple[str, ...]
    prefix: bool = False


def parse_query(query: str) -> tuple[Term, ...]:
    """The terms of a user's query; ``()`` when it has no letters or digits.

    ``"a b"`` is a phrase, ``word*`` a prefix, everything else plain words; at most 16 terms.
    """
    terms: list[Term] = []
    for match in re.finditer(r'"([^"]*)"?(\*?)|(\S+)', query):
        phrase, star, bare = match.group(1), match.group(2), match.group(3)
        raw = phrase if phrase is not None else bare
        prefix = bool(star) if phrase is not None else raw.endswith("*")
        # "U.S.-UK" becomes the phrase "u s uk", as the index sees it.
        words = tuple(piece for word in _WORD_RE.findall(raw) for piece in _pieces(word))
        if not words:
            continue
        terms.append(Term(words=words, prefix=prefix))
        if len(terms) >= _MAX_TERMS:
            break
    return tuple(terms)


def _fts5_expression(terms: tuple[Term, ...]) -> str:
    # Words are letters and digits only, so a double-quoted string is always well-formed.
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.words) + '"'
        parts.append(phrase + (" *" if term.prefix else ""))
    return " AND ".join(parts)


def _tsquery_expression(terms: tuple[Term, ...]) -> str:
    # Words are letters and digits only: none of tsquery's operators can appear in them.
    parts = []
    for term in terms:
        words = list(term.words)
        if term.prefix:
            words[-1] += ":*"
        parts.append("(" + " <-> ".join(words) + ")")
    return " & ".join(parts)


# --------------------------------------------------------------------------- index


def index_version(
    session: Session,
    *,
    cable_id: int,
    version_id: int,
    text: str,
    previous_version_id: int | None = None,
) -> None:
    """Make version ``version_id`` (text ``text``) the searchable text of cable ``cable_id``.

    ``previous_version_id`` is the version it replaces, whose words leave the index. Called
    by the import service in its transaction; flushes nothing of its own.
    """
    if is_sqlite(session):
        if previous_version_id is not None:
            # An external-content FTS5 row is removed by giving back the values it indexed.
            session.execute(
                sql_text(
                    "INSERT INTO cable_search(cable_search, rowid, text) "
                    "SELECT 'delete', id, text FROM cable_versions WHERE id = :id"
                ),
                {"id": previous_version_id},
            )
        session.execute(
            sql_text("INSERT INTO cable_search(rowid, text) VALUES (:id, :text)"),
            {"id": version_id, "text": text},
        )
        return
    session.execute(
        sql_text(
            "INSERT INTO cable_search (cable_id, version_id, document) "
            "VALUES (:cable_id, :version_id, to_tsvector('simple', :document)) "
            "ON CONFLICT (cable_id) DO UPDATE "
            "SET version_id = excluded.version_id, document = excluded.document"
        ),
        {"cable_id": cable_id, "version_id": version_id, "document": search_document(text)},
    )


# --------------------------------------------------------------------------- search


@dataclass(frozen=True)
class SearchHit:
    """One cable in a result page: plain values for the template, and a snippet.

    ``snippet`` is a tuple of ``(text, is_match)`` segments (empty for a blank query).
    """

    cable_id: int
    reference_id: str
    classification: str
    level: int
    origin: str
    subject: str
    tags: str
    created: datetime | None
    status: CableStatus
    current_version: int
    snippet: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class SearchPage:
    """One page of results. ``total`` counts every visible match when ``total_exact``;
    otherwise there are more than ``total`` (= :data:`COUNT_CAP`) and counting them all was
    not worth its cost."""

    query: str
    hits: tuple[SearchHit, ...]
    total: int
    limit: int
    offset: int
    sort: str
    total_exact: bool = True

    @property
    def has_previous(self) -> bool:
        """True if there are results before this page."""
        return self.offset > 0

    @property
    def has_next(self) -> bool:
        """True if there are results after this page."""
        shown = self.offset + len(self.hits)
        return shown < self.total or (not self.total_exact and len(self.hits) == self.limit)


#: Between two tags in ``cables.tags``: the parser reads tags line by line, so no tag holds
#: a newline, while person tags hold spaces and commas (``OVIP (RICE, CONDOLEEZZA)``).
TAG_SEPARATOR = "\n"


def join_tags(tags: Iterable[str]) -> str:
    """The stored form of a cable's tags (``cables.tags``): one tag a line."""
    return TAG_SEPARATOR.join(tag for tag in tags if tag)


def split_tags(stored: str | None) -> list[str]:
    """The tags of a stored ``cables.tags`` value, in order (see :func:`join_tags`)."""
    return [tag for tag in (stored or "").split(TAG_SEPARATOR) if tag]


def _day_start(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.combine(value, time.min)


def _filtered(
    actor: User,
    *,
    classification: str | None,
    level: int | None,
    origin: str | None,
    tags: str | None,
    created_from: date | datetime | None,
    created_to: date | datetime | None,
    status: CableStatus | str | None,
) -> Select:
    query = visible_cables(actor)
    if classification:
        query = query.where(Cable.classification == classification.strip().upper())
    if level is not None:
        query = query.where(Cable.level == int(level))
    if origin:
        query = query.where(Cable.origin == origin.strip())
    if tags and (wanted := " ".join(tags.upper().split())):
        # A whole tag, not a piece of one: "PREL" is not "PRELIM", and a person tag matches
        # as written. Each stored tag stands between separators once the value is wrapped.
        needle = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        wrapped = literal(TAG_SEPARATOR) + Cable.tags + literal(TAG_SEPARATOR)
        query = query.where(
            wrapped.like(f"%{TAG_SEPARATOR}{needle}{TAG_SEPARATOR}%", escape="\\")
        )
    if created_from is not None:
        query = query.where(Cable.created >= _day_start(created_from))
    if created_to is not None:
        end = _day_start(created_to)
        if not isinstance(created_to, datetime):
            end += timedelta(days=1)  # a date is inclusive: the whole day
        query = query.where(Cable.created < end)
    if status:
        query = query.where(Cable.status == CableStatus(status))
    return query


def _order(query: Select, sort: str, rank) -> Select:
    if sort == "relevance" and rank is not None:
        return query.order_by(rank, Cable.id)
    orders = {
        "reference": (Cable.reference_id,),
        "created": (Cable.created.asc().nulls_last(), Cable.id),
        "-created": (Cable.created.desc().nulls_last(), Cable.id.desc()),
        "level": (Cable.level, Cable.reference_id),
        "-level": (Cable.level.desc(), Cable.reference_id),
        "origin": (Cable.origin, Cable.reference_id),
    }
    return query.order_by(*orders.get(sort, orders["-created"]))


def search_cables(
    session: Session,
    actor: User,
    query: str = "",
    *,
    limit: int = 20,
    offset: int = 0,
    sort: str = "relevance",
    classification: str | None = None,
    level: int | None = None,
    origin: str | None = None,
    tags: str | None = None,
    created_from: date | datetime | None = None,
    created_to: date | datetime | None = None,
    status: CableStatus | str | None = None,
) -> SearchPage:
    """A page of the cables ``actor`` may see that match ``query`` and the filters.

    ``query`` searches the current version's text (subject included); see the module
    docstring for its syntax. A blank query lists everything that passes the filters, newest
    first unless ``sort`` says otherwise. Filters: ``classification`` (exact, as on line 4),
    ``level``, ``origin`` (exact), ``tags`` (one whole tag, any case),
    ``created_from``/``created_to`` (inclusive dates), ``status``. ``sort`` is one of
    :data:`SORTS` (``relevance`` falls back to newest first without a query). ``limit`` is
    clamped to 1..100. Raises ``ValueError`` for an unknown ``status``.
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    sort = sort if sort in SORTS else "relevance"
    base = _filtered(
        actor,
        classification=classification,
        level=level,
        origin=origin,
        tags=tags,
        created_from=created_from,
        created_to=created_to,
        status=status,
    )
    terms: tuple[Term, ...] = ()
    if not query.strip():
        # Counting every visible cable is a scan of them all on PostgreSQL: capped too.
        total, exact = _count_capped(session, base)
        cables = list(session.scalars(_order(base, sort, None).limit(limit).offset(offset)))
    else:
        terms = parse_query(query)
        if not terms:
            return SearchPage(query, (), 0, limit, offset, sort)
        # Only the clearance filters a top-clearance user's results, and it passes them all.
        unfiltered = actor.active and actor.clearance >= max(Level) and not any(
            (classification, level is not None, origin, tags, created_from, created_to, status)
        )
        if is_sqlite(session):
            matches = _fts5_match_count(session, terms)
            total, exact = (matches, True) if unfiltered else _count_capped(
                session, _sqlite_match(base, terms)
            )
            if sort == "relevance":
                cables = _sqlite_ranked(session, base, terms, limit, offset, matches)
            else:
                page_query = _order(_sqlite_match(base, terms), sort, None)
                cables = list(session.scalars(page_query.limit(limit).offset(offset)))
        else:
            matched, rank = _pg_match(base, terms)
            total, exact = _count_capped(session, matched)
            page_query = _order(matched, sort, rank).limit(limit).offset(offset)
            cables = list(session.scalars(page_query))
    texts = _current_texts(session, [cable.id for cable in cables]) if terms else {}
    hits = tuple(
        SearchHit(
            cable_id=cable.id,
            reference_id=cable.reference_id,
            classification=cable.classification,
            level=cable.level,
            origin=cable.origin,
            subject=cable.subject,
            tags=cable.tags,
            created=cable.created,
            status=cable.status,
            current_version=cable.current_version,
            snippet=snippet(texts.get(cable.id, ""), terms) if terms else (),
        )
        for cable in cables
    )
    _record_snippet_views(session, actor, hits)
    return SearchPage(query, hits, int(total or 0), limit, offset, sort, exact)


def _record_snippet_views(session: Session, actor: User, hits: tuple[SearchHit, ...]) -> None:
    """One ``cable.view`` entry per classified cable whose text a snippet shows (flushed;
    in a read-only session the read transaction is ended first, see ``audit.record``)."""
    specs: list[audit.EntrySpec] = [
        (
            "cable.view",
            ("cable", hit.cable_id),
            {
                "version": hit.current_version,
                "classification": hit.classification,
                "via": "search",
            },
            hit.cable_id,
        )
        for hit in hits
        if hit.snippet and hit.level > Level.UNCLASSIFIED
    ]
    if specs:
        audit.record_many(session, actor, specs)


#: The distinct origins of the cables at or below a level, in order, one index seek each
#: (a loose index scan over ``ix_cables_origin_level``): each step finds the first origin
#: after the previous one. The same SQL on SQLite and PostgreSQL.
_VISIBLE_ORIGINS_SQL = sql_text(
    """
    WITH RECURSIVE origins(origin) AS (
        SELECT (SELECT c.origin FROM cables c WHERE c.level <= :level
                ORDER BY c.origin LIMIT 1)
        UNION ALL
        SELECT (SELECT c.origin FROM cables c WHERE c.origin > origins.origin
                AND c.level <= :level ORDER BY c.origin LIMIT 1)
        FROM origins WHERE origins.origin IS NOT NULL
    )
    SELECT origin FROM origins WHERE origin IS NOT NULL ORDER BY origin
    """
)


def visible_origins(session: Session, actor: User) -> list[str]:
    """The distinct origins of the cables ``actor`` may see, in order (for a filter menu).

    Costs one index seek per origin, whatever the number of cables.
    """
    if not actor.active:
        return []  # an inactive user sees nothing (as visible_cables)
    return list(session.scalars(_VISIBLE_ORIGINS_SQL, {"level": int(actor.clearance)}))


def _count(session: Session, query: Select) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def _count_capped(session: Session, query: Select) -> tuple[int, bool]:
    """``(count, exact)``: the rows of ``query`` counted up to :data:`COUNT_CAP`."""
    capped = query.order_by(None).with_only_columns(Cable.id).limit(COUNT_CAP + 1)
    count = _count(session, capped)
    return (count, True) if count <= COUNT_CAP else (COUNT_CAP, False)


def _fts5_matches(expression: str):
    """The WHERE clause of an FTS5 query of ``expression`` (see :func:`_fts5_expression`)."""
    return literal_column("cable_search").op("MATCH")(expression)


def _fts5_match_count(session: Session, terms: tuple[Term, ...]) -> int:
    # The FTS5 table holds one row per cable (its current version): this counts cables.
    return session.scalar(
        select(func.count())
        .select_from(_sqlite_fts)
        .where(_fts5_matches(_fts5_expression(terms)))
    )


def _sqlite_match(base: Select, terms: tuple[Term, ...]) -> Select:
    return (
        base.join(CableVersion, current_version_join())
        .join(_sqlite_fts, _sqlite_fts.c.rowid == CableVersion.id)
        .where(_fts5_matches(_fts5_expression(terms)))
    )


def _sqlite_ranked(
    session: Session, base: Select, terms: tuple[Term, ...], limit: int, offset: int,
    matches: int,
) -> list[Cable]:
    """The page of ``base`` (filters and clearance) matching ``terms``, best first.

    Ranking every match of a common word costs a ``bm25()`` each and the joins to the
    filters each; this ranks the best ``candidates`` matches in the index alone, applies the
    filters to those, and widens the set only when fewer than ``offset + limit`` pass. The
    page is the same as ranking them all: matches are ordered by ``(bm25, version id)`` on
    both sides, so any result of the page is among the first ``candidates``.
    """
    expression = _fts5_expression(terms)
    candidates = max(_RANK_CANDIDATES_MIN, 4 * (offset + limit))
    while True:
        best = (
            select(_sqlite_fts.c.rowid.label("version_id"), literal_column("rank").label("rank"))
            .where(_fts5_matches(expression))
            .order_by(literal_column("rank"), _sqlite_fts.c.rowid)
            .limit(candidates)
            .subquery("best")
        )
        page = (
            base.join(CableVersion, current_version_join())
            .join(best, best.c.version_id == CableVersion.id)
            .order_by(best.c.rank, best.c.version_id)
            .limit(limit)
            .offset(offset)
        )
        cables = list(session.scalars(page))
        if len(cables) == limit or candidates >= matches:
            return cables
        candidates *= 4


def _pg_match(base: Select, terms: tuple[Term, ...]):
    tsquery = func.to_tsquery(literal_column("'simple'"), _tsquery_expression(terms))
    matched = base.join(_pg_search, _pg_search.c.cable_id == Cable.id).where(
        _pg_search.c.document.op("@@")(tsquery)
    )
    return matched, func.ts_rank_cd(_pg_search.c.document, tsquery).desc()


def _current_texts(session: Session, cable_ids: list[int]) -> dict[int, str]:
    if not cable_ids:
        return {}
    rows = session.execute(
        select(CableVersion.cable_id, func.substr(CableVersion.text, 1, _SNIPPET_SCAN_CHARS))
        .join(Cable, current_version_join())
        .where(Cable.id.in_(cable_ids))
    )
    return {cable_id: body for cable_id, body in rows}


# --------------------------------------------------------------------------- snippets


def _matches(pieces: list[str], exact: set[str], prefixes: tuple[str, ...]) -> bool:
    return any(p in exact or (prefixes and p.startswith(prefixes)) for p in pieces)


def _words_at(starts: list[int], ends: list[int], matches: Iterator[re.Match]) -> list[int]:
    """The indexes of the words (``starts``/``ends``) that hold one of ``matches``."""
    found: list[int] = []
    for match in matches:
        index = bisect_right(starts, match.start()) - 1
        if index >= 0 and match.start() < ends[index] and (not found or found[-1] != index):
            found.append(index)
    return found


def _segments_text(value: str) -> str:
    return re.sub(r"\s+", " ", value)


#: Snippets weigh the windows around the first this many matched words only (around the
#: first alone for a query of one word: no other window can hold more distinct words).
_SNIPPET_MAX_HITS = 16


def _hit_pattern(exact: set[str], prefixes: tuple[str, ...]) -> re.Pattern | None:
    """A pattern finding the ASCII words :func:`snippet` counts as matched: a whole word
    whose lower case is in ``exact`` or starts with one of ``prefixes`` (what it finds in
    words with other characters is for the caller to drop: those are folded first)."""
    words = sorted(re.escape(word) for word in exact if word.isascii())
    starts = sorted(re.escape(prefix) + r"[^\W_]*" for prefix in prefixes if prefix.isascii())
    if not words and not starts:
        return None  # a word outside ASCII never matches an ASCII word
    alternatives = "|".join(words + starts)
    return re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", re.IGNORECASE)


#: Above this many characters outside ASCII, snippets read the whole scan word by word.
_SNIPPET_FOLD_MAX = 2_000


def _first_hits(scan: str, exact: set[str], prefixes: tuple[str, ...]) -> list[int] | None:
    """Where the first matched words of ``scan`` start (as many as :func:`snippet` weighs),
    in order, judged as :func:`snippet` judges them; None when finding them this way is not
    worth it (a text mostly outside ASCII)."""
    wanted = 1 if len(exact) == 1 and not prefixes else _SNIPPET_MAX_HITS
    found: list[int] = []
    pattern = _hit_pattern(exact, prefixes)
    if pattern is not None:
        for match in pattern.finditer(scan):
            if match.group().isascii():
                found.append(match.start())
                if len(found) == wanted:
                    break
    if not scan.isascii():
        others = [m.start() for m in _NON_ASCII_RE.finditer(scan)]
        if len(others) > _SNIPPET_FOLD_MAX:
            return None
        seen_until = -1
        for position in others:
            if position < seen_until or not _WORD_RE.match(scan, position):
                continue  # in a word already judged, or not in a word
            start = position
            while start > 0 and _WORD_RE.match(scan, start - 1, start):
                start -= 1
            word = _WORD_RE.match(scan, start)
            seen_until = word.end()
            if _matches(_pieces(word.group()), exact, prefixes):
                found.append(start)
        found = sorted(found)[:wanted]
    return found


def _start_of_word_before(scan: str, position: int, words: int) -> int:
    """Where the ``words``-th word before the one at ``position`` starts (0 if there are
    fewer). Reads backwards from ``position`` in growing steps, not from the start."""
    reach = 64 * words
    while True:
        low = max(0, position - reach)
        found = [match.start() for match in _WORD_RE.finditer(scan, low, position)]
        if low > 0 and found and found[0] == low and _WORD_RE.match(scan[low - 1]):
            found.pop(0)  # a word cut in two by the step's edge
        if len(found) >= words:
            return found[-words]
        if low == 0:
            return 0
        reach *= 4


def _snippet_bounds(scan: str, exact: set[str], prefixes: tuple[str, ...]) -> tuple[int, int]:
    """The part ``[begin, end)`` of ``scan`` that :func:`snippet` needs to read: from a
    quarter window before the first matched word to a window after the last of the first
    that it weighs (or the first window, without a match). Every window it weighs,
    and the "…" around it, come out as from the whole scan."""
    hits = _first_hits(scan, exact, prefixes)
    if hits is None:
        return 0, len(scan)
    begin = _start_of_word_before(scan, hits[0], _SNIPPET_WORDS // 4) if hits else 0
    end = len(scan)
    # The last hit's word and the window's words after it, plus one.
    for word in islice(_WORD_RE.finditer(scan, hits[-1] if hits else 0), _SNIPPET_WORDS + 2):
        end = word.end()
    return begin, end


def snippet(text: str, terms: tuple[Term, ...]) -> tuple[tuple[str, bool], ...]:
    """The passage of ``text`` with the most matched words, as ``(text, is_match)`` segments.

    About 36 words long, whitespace collapsed, ``…`` where the text goes on. Without a
    matched word: the start of the text, with no match segment. Only the first 200,000
    characters are read, and only the windows around the first 16 matched words are weighed
    (so that a long text costs about what a short one does).
    """
    exact = {word for term in terms for word in (term.words[:-1] if term.prefix else term.words)}
    prefixes = tuple(term.words[-1] for term in terms if term.prefix)
    scan = text[:_SNIPPET_SCAN_CHARS]
    begin, end = _snippet_bounds(scan, exact, prefixes)
    words_before = begin > 0 and _WORD_RE.search(scan, 0, begin) is not None
    text, scan = text[begin:], scan[begin:end]
    # Splitting on words gives the words and, through the running length of the parts,
    # where each one is.
    parts = _WORD_SPLIT_RE.split(scan)
    offsets = list(accumulate(map(len, parts), initial=0))
    starts, ends = offsets[1::2], offsets[2::2]
    # An ASCII word is one piece, its lower case: test all words that way in bulk, then
    # fold the few words with other characters one by one.
    firsts = [word.lower() for word in parts[1::2]]
    if prefixes:
        hit = [w in exact or w.startswith(prefixes) for w in firsts]
    else:
        hit = [w in exact for w in firsts]
    if not scan.isascii():
        for index in _words_at(starts, ends, _NON_ASCII_RE.finditer(scan)):
            pieces = _pieces(parts[2 * index + 1])
            firsts[index] = pieces[0] if pieces else ""
            hit[index] = _matches(pieces, exact, prefixes)
    count = len(hit)
    if not count:
        return ()
    hits_at = [i for i, is_hit in enumerate(hit) if is_hit]
    first = 0
    if hits_at:
        best = -1
        for i in hits_at:
            start = max(0, i - _SNIPPET_WORDS // 4)
            window = range(start, min(count, start + _SNIPPET_WORDS))
            distinct = len({firsts[j] for j in window if hit[j]})
            if distinct > best:
                best, first = distinct, start
    last = min(count, first + _SNIPPET_WORDS) - 1
    segments: list[tuple[str, bool]] = []
    cursor = starts[first]
    if first > 0 or words_before:
        segments.append(("… ", False))
    for index in range(first, last + 1):
        if hit[index]:
            start, end = starts[index], ends[index]
            if start > cursor:
                segments.append((_segments_text(text[cursor:start]), False))
            segments.append((text[start:end], True))
            cursor = end
    tail_end = ends[last]
    if tail_end > cursor:
        segments.append((_segments_text(text[cursor:tail_end]), False))
    if last < count - 1:
        segments.append((" …", False))
    return tuple(_merge(segments))


def _merge(segments: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    merged: list[tuple[str, bool]] = []
    for value, is_match in segments:
        if merged and merged[-1][1] is False and is_match is False:
            merged[-1] = (merged[-1][0] + value, False)
        elif value:
            merged.append((value, is_match))
    return merged
