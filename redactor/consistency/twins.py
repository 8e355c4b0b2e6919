"""The twin index: the same passage in other cables, found at import and kept in the store.

**What is indexed.** Every portion (not headings) of every cable's *current* version whose
normalised text has at least :data:`~redactor.consistency.shingles.MIN_PORTION` characters,
cut into content-defined chunks (:mod:`redactor.consistency.shingles`). Each chunk gets a
MinHash signature (``datasketch``, :data:`NUM_PERM` permutations over the CRC-32 of its
5-character shingles) and is stored as :data:`BANDS` LSH band keys in ``twin_bands``
(:class:`~redactor.consistency.models.TwinBand`), one row per key and portion.

**Why our own banding over datasketch's hash values, not its ``MinHashLSH``.** The index
must live in the database (SQLite and PostgreSQL alike), grow with each import in the
import's own transaction, and be queried by an index, never rebuilt in memory per request or
per process. ``MinHashLSH``'s storages are in memory or Redis/Cassandra, outside the
transaction (an import rolled back would leave its keys behind). The banding itself is a
few lines (:func:`band_keys`): ``r`` consecutive hash values hashed with their band number
into one signed 64-bit key, so one B-tree on ``band_key`` serves every band.

**Finding and verifying.** At import (:func:`index_version`, called once per stored version
by :mod:`redactor.cables.service`), the new version's keys are looked up in one ``IN``
query; each candidate portion that shares a key is verified by alignment on the normalised
texts: ``Levenshtein.ratio`` of the two portions for a copy (exact, re-keyed with edits,
OCR-like noise); else, for a portion quoted whole inside a longer one, the same ratio of
the shorter text against the window of the longer where exact probes of it occur
(:func:`contained`): a local alignment in microseconds, where ``rapidfuzz``'s
``partial_ratio`` takes seconds on a needle of a few thousand characters. A pair that
passes is stored in ``twin_portions`` in both directions; then the cables whose indexed text
is mostly the other's become ``twin_cables`` (duplicates: a re-sent cable, a section copy).

**Incremental.** A new version replaces its cable's previous version in the index (its keys
and twins are deleted, the new text indexed); nothing is ever rebuilt per request.
:func:`rebuild` re-indexes everything (after the migration, or a change of parameters), in
batches, off the request path (``redactor twins rebuild``).

**Clearance** is not a matter of the index, which holds ids only: every reader of it
(:mod:`redactor.consistency.twin_views`) names and counts only cables the reader may see. A
held import (a file for a cable its importer may not see) stores no version, so it indexes
nothing and changes no twin.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import Levenshtein
from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session

from redactor.consistency.models import TwinBand, TwinCable, TwinPortion
from redactor.consistency.shingles import (
    ANCHOR_EVERY,
    MIN_PORTION,
    SHINGLE,
    chunk_bounds,
    normal_text,
)
from redactor.models import Cable, CableVersion, Portion, current_version_join

#: MinHash permutations per chunk, in :data:`BANDS` bands of :data:`ROWS` values.
BANDS = 8
ROWS = 3
NUM_PERM = BANDS * ROWS
#: Alignment scores (0-100) a candidate must reach: a copy (the two portions as wholes) or
#: a quotation (the shorter inside the longer).
COPY_SCORE = 78
QUOTE_SCORE = 88
#: At most this many candidate portions are verified per portion (those sharing most keys).
MAX_CANDIDATES = 6
#: A band key held by this many portions is boilerplate (see :func:`_candidates`).
COMMON_KEY = 32
#: Length of the exact probes that place a quotation (:func:`contained`).
PROBE = 12
#: Share (0-100) of a cable's indexed text found in another for the two to be duplicates.
DUPLICATE_SHARE = 80
#: ... and at least this many normalised characters in common: two cables sharing a short
#: paragraph or two are not the same cable.
DUPLICATE_MIN_CHARS = 300

_BANDS = TwinBand.__table__
_PAIRS = TwinPortion.__table__
_CABLE_PAIRS = TwinCable.__table__
_IN_CHUNK = 500  # bound parameters per IN (well under every driver's limit)


def _identity(value: int) -> int:
    return value


@lru_cache(maxsize=1)
def permutations() -> tuple[Any, Any]:
    """The ``(a, b)`` parameters of datasketch's MinHash permutations (seed 17), drawn once.

    datasketch (with numpy/scipy) takes seconds to import: only an import or a rebuild pays
    for it, never a page."""
    from datasketch import MinHash

    try:  # datasketch 2: ask for the classic scheme by name; 1.x has only that one
        template = MinHash(num_perm=NUM_PERM, seed=17, hashfunc=_identity, scheme="legacy")
    except TypeError:
        template = MinHash(num_perm=NUM_PERM, seed=17, hashfunc=_identity)
    a, b = template.permutations
    return a, b


def shingle_hashes(norm: str) -> Any:
    """A 32-bit hash of each :data:`~redactor.consistency.shingles.SHINGLE`-gram of ``norm``
    (a numpy array, one for a shorter text): a polynomial over the code points, mixed; the
    same on every machine and process (no salted ``hash``)."""
    import numpy as np

    points = np.frombuffer(norm.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    width = min(SHINGLE, len(points))
    count = len(points) - width + 1
    h = np.zeros(count, dtype=np.uint64)
    for j in range(width):
        h = h * np.uint64(1_000_003) + points[j : j + count]
    h ^= h >> np.uint64(31)
    h *= np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(29)
    return h & np.uint64(0xFFFFFFFF)


def signatures(hashes: Any, bounds: list[tuple[int, int]]) -> Any:
    """The MinHash signature of each chunk ``[start, end)`` (normalised characters) of a
    text whose shingle hashes are ``hashes``: row ``i`` is what ``datasketch.MinHash``
    (classic scheme, :func:`permutations`) holds after ``update_batch`` of chunk ``i``'s
    shingles. All chunks at once (one product and a ``minimum.reduceat``) instead of one
    object per chunk: a cable has about 40 chunks, and building 40 MinHash objects cost
    more than the rest of its indexing (a test holds the two equal)."""
    import numpy as np

    a, b = permutations()
    last = len(hashes) - 1
    starts = np.array([min(s, last) for s, _ in bounds], dtype=np.intp)
    # The same arithmetic as datasketch's classic scheme: (a*h + b) mod p, 32 bits kept.
    phv = np.bitwise_and(
        (hashes.reshape(-1, 1) * a + b) % np.uint64(_MERSENNE), np.uint64(0xFFFFFFFF)
    )
    mins = np.minimum.reduceat(phv, starts, axis=0)
    return mins


_MERSENNE = (1 << 61) - 1


def band_keys(signature: Any) -> list[int]:
    """The :data:`BANDS` LSH keys of one signature: each band's :data:`ROWS` values and the
    band's number, hashed to a signed 64-bit integer."""
    raw = signature.astype("<u8").tobytes()
    width = ROWS * 8
    return [
        int.from_bytes(
            hashlib.blake2b(bytes((band,)) + raw[band * width : (band + 1) * width],
                            digest_size=8).digest(),
            "little", signed=True,
        )
        for band in range(BANDS)
    ]


# --------------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class Match:
    """How portion ``a`` is like portion ``b`` (``kind`` from ``a``'s side) and the score."""

    kind: str
    score: int


def contained(short: str, long_: str) -> int:
    """How well (0-100) ``short`` is found whole inside ``long_`` (see :func:`locate`)."""
    return locate(short, long_)[0]


def locate(short: str, long_: str) -> tuple[int, int]:
    """``(score, start)``: how well (0-100) ``short`` is found whole inside ``long_``, and
    where (-1 when nowhere): the best
    ``Levenshtein.ratio`` of ``short`` against a window of ``long_`` of its length, at the
    offsets where probes of :data:`PROBE` characters of ``short`` occur exactly in ``long_``.

    Local alignment (``rapidfuzz``'s ``partial_ratio``) costs seconds for a needle of a few
    thousand characters; the probes place the window in microseconds, and a few of sixteen
    survive 5% noise (each has a 54% chance)."""
    n = len(short)
    if n == 0 or n > len(long_):
        return 0, -1
    step = max(1, (n - PROBE) // 16)
    offsets: Counter[int] = Counter()
    for p in range(0, max(1, n - PROBE + 1), step):
        probe = short[p : p + PROBE]
        at = long_.find(probe)
        seen = 0
        while at >= 0 and seen < 4:
            offsets[at - p] += 1
            at = long_.find(probe, at + 1)
            seen += 1
    best, where = 0.0, -1
    for offset, _ in offsets.most_common(3):
        start = min(max(0, offset), len(long_) - n)
        score = Levenshtein.ratio(short, long_[start : start + n])
        if score > best:
            best, where = score, start
    return round(best * 100), where


def verify(a: str, b: str) -> Match | None:
    """Whether normalised portions ``a`` and ``b`` are twins, by alignment: a copy when
    they are alike as wholes (``Levenshtein.ratio``), else ``quotes``/``quoted_in`` when the
    shorter is found nearly whole inside the longer (:func:`contained`); None otherwise."""
    if not a or not b:
        return None
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) * 100 >= len(long_) * (COPY_SCORE - 10):
        whole = round(Levenshtein.ratio(a, b, score_cutoff=COPY_SCORE / 100) * 100)
        if whole >= COPY_SCORE:
            return Match("copy", whole)
    if len(short) * 100 >= len(long_) * COPY_SCORE:
        return None  # of nearly equal lengths: a copy or nothing
    inside = contained(short, long_)
    if inside < QUOTE_SCORE:
        return None
    return Match("quoted_in" if short is a else "quotes", inside)


# --------------------------------------------------------------------------- indexing


@dataclass(frozen=True)
class IndexedPortion:
    """A portion as the index sees it: its index, normalised text and chunk bounds."""

    index: int
    text: str  # normalised
    bounds: tuple[tuple[int, int], ...]
    hashes: Any  # shingle_hashes(norm.text)

    def keys(self) -> set[int]:
        """The band keys of every chunk of the portion."""
        found: set[int] = set()
        for signature in signatures(self.hashes, list(self.bounds)):
            found.update(band_keys(signature))
        return found


def indexable_portions(
    text: str, portions: Iterable[tuple[int, str, int, int]]
) -> list[IndexedPortion]:
    """The portions of a version text worth indexing (``(index, kind, start, end)`` given):
    paragraphs whose normalised text is long enough to have chunks."""
    found = []
    for index, kind, start, end in portions:
        if kind != "portion":
            continue
        norm = normal_text(text, start, end)
        if len(norm) < MIN_PORTION:
            continue
        hashes = shingle_hashes(norm)
        anchors = ((hashes >> 8) % ANCHOR_EVERY == 0).nonzero()[0].tolist()
        bounds = chunk_bounds(len(norm), anchors)
        found.append(IndexedPortion(index, norm, tuple(bounds), hashes))
    return found


def _drop_version(session: Session, version_id: int, cable_id: int) -> None:
    session.execute(delete(_BANDS).where(_BANDS.c.version_id == version_id))
    session.execute(
        delete(_PAIRS).where(
            or_(_PAIRS.c.version_id == version_id, _PAIRS.c.twin_version_id == version_id)
        )
    )
    session.execute(
        delete(_CABLE_PAIRS).where(
            or_(_CABLE_PAIRS.c.cable_id == cable_id, _CABLE_PAIRS.c.twin_cable_id == cable_id)
        )
    )


def _candidates(
    session: Session, cable_id: int, keys: dict[int, set[int]]
) -> tuple[dict[int, dict[tuple[int, int], int]], set[int]]:
    """For each own portion index, the other cables' portions ``(version id, index)`` that
    share band keys with it, and how many; and the *common* keys, held by
    :data:`COMMON_KEY` portions already (boilerplate: not stored again, so that no lookup
    ever reads more than that many rows a key)."""
    shared: dict[int, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
    per_key: Counter[int] = Counter()
    all_keys = list(keys)
    for i in range(0, len(all_keys), _IN_CHUNK):
        rows = session.execute(
            select(_BANDS.c.band_key, _BANDS.c.version_id, _BANDS.c.portion_index,
                   _BANDS.c.cable_id).where(_BANDS.c.band_key.in_(all_keys[i : i + _IN_CHUNK]))
        )
        for key, version_id, portion_index, other_cable in rows:
            per_key[key] += 1
            if other_cable == cable_id:
                continue
            for own in keys[key]:
                shared[own][(version_id, portion_index)] += 1
    common = {key for key, n in per_key.items() if n >= COMMON_KEY}
    return shared, common


def _portion_texts(
    session: Session, wanted: set[tuple[int, int]]
) -> dict[tuple[int, int], tuple[int, str]]:
    """``(version id, portion index) -> (cable id, normalised text)`` for ``wanted``."""
    by_version: dict[int, set[int]] = defaultdict(set)
    for version_id, index in wanted:
        by_version[version_id].add(index)
    found: dict[tuple[int, int], tuple[int, str]] = {}
    ids = list(by_version)
    for i in range(0, len(ids), _IN_CHUNK):
        some = ids[i : i + _IN_CHUNK]
        spans: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for version_id, index, start, end in session.execute(
            select(Portion.version_id, Portion.index, Portion.start, Portion.end).where(
                Portion.version_id.in_(some)
            )
        ):
            if index in by_version[version_id]:
                spans[version_id].append((index, start, end))
        # Each text once (a join with the portions would repeat it for every portion).
        for version_id, cable_id, text in session.execute(
            select(CableVersion.id, CableVersion.cable_id, CableVersion.text).where(
                CableVersion.id.in_(some)
            )
        ):
            for index, start, end in spans[version_id]:
                found[(version_id, index)] = (cable_id, normal_text(text, start, end))
    return found


def index_version(
    session: Session,
    *,
    cable_id: int,
    version_id: int,
    text: str,
    portions: Iterable[tuple[int, str, int, int]],
    previous_version_id: int | None = None,
) -> int:
    """Index the newly stored version ``version_id`` of cable ``cable_id`` (its ``text`` and
    ``(index, kind, start, end)`` of each portion), replacing ``previous_version_id`` in the
    index; find, verify and store its twins and duplicate cables. Returns the number of
    twin portions found. Flushes nothing else, never commits."""
    if previous_version_id is not None:
        _drop_version(session, previous_version_id, cable_id)
    indexed = indexable_portions(text, portions)
    if not indexed:
        return 0
    keys: dict[int, set[int]] = defaultdict(set)
    for portion in indexed:
        for key in portion.keys():
            keys[key].add(portion.index)
    shared, common = _candidates(session, cable_id, keys)
    chunk_count = {portion.index: len(portion.bounds) for portion in indexed}
    chosen = {
        # A portion of several chunks whose copy is there shares keys of several of them:
        # one key alone is chance (common phrasing), not worth reading a text for.
        own: [
            pair
            for pair in sorted(found, key=lambda pair: -found[pair])[:MAX_CANDIDATES]
            if found[pair] >= 2 or chunk_count[own] <= 2
        ]
        for own, found in shared.items()
    }
    texts = _portion_texts(session, {pair for pairs in chosen.values() for pair in pairs})
    mine = {portion.index: portion.text for portion in indexed}
    pairs: list[dict[str, Any]] = []
    for own, candidates in chosen.items():
        for twin_version, twin_index in candidates:
            twin_cable, twin_text = texts.get((twin_version, twin_index), (None, ""))
            match = verify(mine[own], twin_text) if twin_cable is not None else None
            if match is None:
                continue
            back = {"quotes": "quoted_in", "quoted_in": "quotes"}.get(match.kind, match.kind)
            pairs.append(_pair(version_id, own, twin_version, twin_index, twin_cable,
                               match.kind, match.score))
            pairs.append(_pair(twin_version, twin_index, version_id, own, cable_id, back,
                               match.score))
    bands = [
        {"band_key": key, "version_id": version_id, "portion_index": index,
         "cable_id": cable_id}
        for key, indexes in keys.items()
        if key not in common
        for index in indexes
    ]
    if bands:  # every key may be common boilerplate; an empty insert is an error to come
        session.execute(insert(_BANDS), bands)
    if pairs:
        session.execute(insert(_PAIRS), pairs)
        _store_duplicates(session, cable_id, version_id, mine)
    return len(pairs) // 2


def _pair(
    version_id: int, index: int, twin_version: int, twin_index: int, twin_cable: int,
    kind: str, score: int,
) -> dict[str, Any]:
    return {
        "version_id": version_id, "portion_index": index, "twin_version_id": twin_version,
        "twin_portion_index": twin_index, "twin_cable_id": twin_cable, "kind": kind,
        "score": score,
    }


def _indexed_length(session: Session, version_id: int) -> dict[int, int]:
    """Normalised length of each indexed portion of a stored version."""
    row = session.execute(
        select(CableVersion.text).where(CableVersion.id == version_id)
    ).scalar_one()
    portions = session.execute(
        select(Portion.index, Portion.kind, Portion.start, Portion.end).where(
            Portion.version_id == version_id
        )
    ).all()
    return {p.index: len(p.text) for p in indexable_portions(row, portions)}


def _store_duplicates(
    session: Session, cable_id: int, version_id: int, mine: dict[int, str]
) -> None:
    """Record the cables whose indexed text is mostly this version's, or the other way
    round (``DUPLICATE_SHARE``), from the twin portions just stored."""
    rows = session.execute(
        select(_PAIRS.c.twin_cable_id, _PAIRS.c.twin_version_id, _PAIRS.c.portion_index,
               _PAIRS.c.twin_portion_index, _PAIRS.c.kind)
        .where(_PAIRS.c.version_id == version_id)
    ).all()
    mine_total = sum(len(t) for t in mine.values())
    by_cable: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for row in rows:
        if row.kind in ("copy", "quoted_in", "quotes"):
            by_cable[(row.twin_cable_id, row.twin_version_id)].append(row)
    records = []
    for (twin_cable, twin_version), found in by_cable.items():
        theirs = _indexed_length(session, twin_version)
        theirs_total = sum(theirs.values())
        # Whose text is found in whose: a copy counts for both, a quotation for the side
        # that is quoted.
        mine_found = sum(len(mine[r.portion_index]) for r in {
            r.portion_index: r for r in found if r.kind in ("copy", "quoted_in")
        }.values())
        theirs_found = sum(theirs.get(r.twin_portion_index, 0) for r in {
            r.twin_portion_index: r for r in found if r.kind in ("copy", "quotes")
        }.values())
        share_mine = 100 * mine_found // max(1, mine_total)
        share_theirs = 100 * theirs_found // max(1, theirs_total)
        if max(share_mine, share_theirs) < DUPLICATE_SHARE:
            continue
        if max(mine_found, theirs_found) < DUPLICATE_MIN_CHARS:
            continue
        records.append({"cable_id": cable_id, "twin_cable_id": twin_cable,
                        "part": share_theirs < DUPLICATE_SHARE, "score": share_mine})
        records.append({"cable_id": twin_cable, "twin_cable_id": cable_id,
                        "part": share_mine < DUPLICATE_SHARE, "score": share_theirs})
    if records:
        session.execute(insert(_CABLE_PAIRS), records)


# --------------------------------------------------------------------------- rebuilding


def rebuild(
    session_factory: Callable[[], Session],
    *,
    batch: int = 200,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Empty the index and index every cable's current version again, committing every
    ``batch`` cables in a fresh session (an interrupted rebuild leaves a partial index that
    the next import or rebuild completes). ``progress(n)`` is told each batch's size.
    Returns the number of cables indexed."""
    with session_factory() as session:
        session.execute(delete(_CABLE_PAIRS))
        session.execute(delete(_PAIRS))
        session.execute(delete(_BANDS))
        session.commit()
    done = 0
    after = 0
    while True:
        with session_factory() as session:
            rows = session.execute(
                select(Cable.id, CableVersion.id, CableVersion.text)
                .join(CableVersion, current_version_join())
                .where(Cable.id > after)
                .order_by(Cable.id)
                .limit(batch)
            ).all()
            if not rows:
                return done
            portions: dict[int, list[tuple[int, str, int, int]]] = defaultdict(list)
            for version_id, index, kind, start, end in session.execute(
                select(Portion.version_id, Portion.index, Portion.kind, Portion.start,
                       Portion.end).where(Portion.version_id.in_([r[1] for r in rows]))
            ):
                portions[version_id].append((index, kind, start, end))
            for cable_id, version_id, text in rows:
                index_version(session, cable_id=cable_id, version_id=version_id, text=text,
                              portions=portions[version_id])
            session.commit()
        after = rows[-1][0]
        done += len(rows)
        if progress is not None:
            progress(len(rows))


def count_indexed(session: Session) -> tuple[int, int, int]:
    """``(band rows, twin portion pairs, duplicate cable pairs)`` in the index (pairs once)."""
    bands = session.scalar(select(func.count()).select_from(_BANDS)) or 0
    pairs = session.scalar(select(func.count()).select_from(_PAIRS)) or 0
    cables = session.scalar(select(func.count()).select_from(_CABLE_PAIRS)) or 0
    return int(bands), int(pairs) // 2, int(cables) // 2
