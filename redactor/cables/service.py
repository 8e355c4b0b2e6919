"""Import cable files into the store: one file (a service) and a batch (its own caller).

:func:`import_cable` is a service: it checks, writes, audits and flushes inside a SAVEPOINT,
and never commits, so a file that fails leaves nothing behind and the caller decides when the
work lands. :func:`import_batch` is the exception the architecture allows: it is a caller
itself, committing every ``chunk_size`` files in a fresh session, so that 100,000 files keep
memory flat and an interrupted run keeps what it finished (a second run is idempotent). It
parses a chunk before its transaction and stores it with one statement per table and no
savepoints; only a chunk the database refuses is stored again file by file, each in its
savepoint, as :func:`import_cable` does. Both paths write the same rows and audit entries.

Text enters the system only through :func:`~redactor.cables.parser.decode_cable_bytes`
(strict UTF-8, line endings normalised); nothing is ever replaced silently. Where files come
from (folders, zips and their caps, uploads) is :mod:`redactor.cables.sources`.

**Clearance.** An import is a write to a cable, so it passes the same door as every read
(:mod:`redactor.cables.access`): a file whose reference id names a cable that its importer
may not see (above their clearance, or they are inactive) changes **nothing** of that cable,
is never compared with it, and is answered exactly as a reference id never seen is answered:
``imported``, version 1. The file is kept in ``held_imports`` (:class:`HeldImport`) for a
person cleared for the cable, and audited as ``cable.import_held`` (withheld from auditors
not cleared for it). So the answer tells neither that the cable exists nor whether a guessed
text is its text. What it cannot hide: afterwards the reference id still opens nothing for
the importer, as a new cable above their clearance would not either. The system (the command
line without ``--user``) is cleared for everything.

**Levels.** A version's level is the highest marking it carries (line 4, banner, subject,
portions: :mod:`redactor.cables.levels`) and is stored with it; a cable's level is the
highest of its versions' and an import never lowers it (a text saying ``UNCLASSIFIED`` on
line 4 does not make an older SECRET version readable).
"""

from __future__ import annotations

import enum
import hashlib
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from redactor import audit
from redactor.cables import links, search
from redactor.cables.jsonview import cable_to_dict
from redactor.cables.levels import version_level
from redactor.cables.parser import Cable as ParsedCable
from redactor.cables.parser import CableParseError, decode_cable_bytes, parse_cable
from redactor.cables.sources import ImportSource
from redactor.cables.sources import (  # re-exported: the import's callers find them here
    ZipLimits as ZipLimits,
)
from redactor.cables.sources import (
    iter_import_sources as iter_import_sources,
)
from redactor.cables.sources import (
    iter_upload_sources as iter_upload_sources,
)
from redactor.cables.sources import (
    iter_zip_sources as iter_zip_sources,
)
from redactor.consistency import twins
from redactor.models import (
    Cable,
    CableStatus,
    CableVersion,
    HeldImport,
    Portion,
    User,
    current_version_join,
    utcnow,
)
from redactor.review import carryover
from redactor.review.policy import Level, can_view
from redactor.review.service import refresh_cable_status

#: Line 1 of a cable: two digits of year, then the originating post and a serial number
#: (``09STATE52368``, ``08ECTION01OF02MANAMA492``, ``75TEHRAN2069``).
REFERENCE_ID_RE = re.compile(r"[0-9]{2}[A-Z][A-Z0-9]{0,60}[0-9]")

_NAME_MAX = 300  # CableVersion.source_name
_CLASSIFICATION_MAX = 64  # Cable.classification
_ORIGIN_MAX = 200  # Cable.origin

# The tables, for plain Core statements: executemany, and no ORM bookkeeping.
_CABLES = Cable.__table__
_VERSIONS = CableVersion.__table__
_PORTIONS = Portion.__table__
_HELD = HeldImport.__table__


class ImportStatus(enum.StrEnum):
    """What happened to one file."""

    IMPORTED = "imported"  # a new cable
    UNCHANGED = "unchanged"  # same text as the cable's current version: nothing written
    NEW_VERSION = "new_version"  # a changed text of a known cable: a new version
    FAILED = "failed"  # nothing written; ``error`` says why


@dataclass(frozen=True)
class ImportOutcome:
    """The result of importing one file. ``error`` names the file and says why it failed."""

    name: str
    status: ImportStatus
    reference_id: str | None = None
    version: int | None = None
    error: str | None = None


@dataclass
class ImportSummary:
    """Counts per status, and the failed outcomes (with their reasons) in import order."""

    imported: int = 0
    unchanged: int = 0
    new_versions: int = 0
    failed: int = 0
    failures: list[ImportOutcome] = field(default_factory=list)

    def add(self, outcome: ImportOutcome) -> None:
        """Count ``outcome`` (and keep it if it failed)."""
        if outcome.status is ImportStatus.IMPORTED:
            self.imported += 1
        elif outcome.status is ImportStatus.UNCHANGED:
            self.unchanged += 1
        elif outcome.status is ImportStatus.NEW_VERSION:
            self.new_versions += 1
        else:
            self.failed += 1
            self.failures.append(outcome)

    @property
    def total(self) -> int:
        """Files seen."""
        return self.imported + self.unchanged + self.new_versions + self.failed

    @property
    def ok(self) -> bool:
        """True if nothing failed."""
        return self.failed == 0

    def line(self) -> str:
        """``imported N, unchanged N, new versions N, failed N``."""
        return (
            f"imported {self.imported}, unchanged {self.unchanged}, "
            f"new versions {self.new_versions}, failed {self.failed}"
        )


# --------------------------------------------------------------------------- one file


def display_name(name: str) -> str:
    """``name`` made safe to show and store: control characters escaped, at most 300 chars."""
    shown = "".join(
        f"\\x{ord(ch):02x}" if unicodedata.category(ch) in ("Cc", "Cf", "Cs") else ch
        for ch in name
    )
    if len(shown) > _NAME_MAX:
        shown = shown[: _NAME_MAX - 1] + "…"
    return shown or "(unnamed)"


def too_large_reason(size: int, max_bytes: int) -> str:
    """The reason given for a file over the size limit."""
    return f"too large ({size:,} bytes; the limit is {max_bytes:,} bytes)"


def _failed(name: str, reason: str, reference_id: str | None = None) -> ImportOutcome:
    return ImportOutcome(
        name=name,
        status=ImportStatus.FAILED,
        reference_id=reference_id,
        error=f"{name}: {reason}",
    )


def _check_text(data: bytes, max_bytes: int) -> tuple[str | None, str | None]:
    """``(text, None)`` for a storable cable text, ``(None, reason)`` otherwise."""
    if len(data) > max_bytes:
        return None, too_large_reason(len(data), max_bytes)
    try:
        text = decode_cable_bytes(data)
    except CableParseError as exc:
        reason = f"not UTF-8 text: {exc}"
        if exc.byte_offset is not None and f"{exc.byte_offset}" not in str(exc):
            reason += f" (at byte offset {exc.byte_offset})"
        return None, reason
    if not text:
        return None, "empty file"
    if not text.strip():
        return None, "whitespace only"
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        return None, f"contains a NUL character (line {line}, character offset {nul})"
    return text, None


def _reference_id(text: str) -> tuple[str | None, str | None]:
    first = text.split("\n", 1)[0].strip()
    if not REFERENCE_ID_RE.fullmatch(first):
        shown = first if len(first) <= 40 else first[:40] + "…"
        return None, (
            f"line 1: no reference id (expected something like 09STATE52368, "
            f"found {shown!r})"
        )
    return first, None


def _classification(text: str, parsed: ParsedCable) -> tuple[str | None, Level | None, str]:
    """``(classification, level, "")`` or ``(None, None, reason)``; line 4 is the authority."""
    if parsed.classification is not None:
        value = parsed.classification.value.strip()
    else:
        lines = text.split("\n", 4)
        value = lines[3].strip() if len(lines) > 3 else ""
    if not value:
        return None, None, "line 4: no classification"
    try:
        level = Level.from_classification(value)
    except ValueError:
        shown = value if len(value) <= 40 else value[:40] + "…"
        return None, None, f"line 4: unknown classification {shown!r}"
    if len(value) > _CLASSIFICATION_MAX:
        return None, None, f"line 4: classification longer than {_CLASSIFICATION_MAX} characters"
    return value, level, ""


def sha256_text(text: str) -> str:
    """The SHA-256 (hex) of ``text`` encoded as UTF-8: the identity of a stored text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Checked:
    """A file that passed every check made without the database: ready to be stored."""

    name: str
    text: str
    digest: str
    reference_id: str
    classification: str
    level: Level  # the version's own level: the highest marking in it (cables.levels)
    raised_by: tuple[str, ...]  # why ``level`` is above line 4, if it is
    parsed: ParsedCable


def _check(name: str, data: bytes, max_bytes: int) -> _Checked | ImportOutcome:
    """Decode, check and parse the file ``name`` (already a :func:`display_name`): the file
    ready to store, or its failed outcome. Touches no database."""
    text, reason = _check_text(data, max_bytes)
    if text is None:
        return _failed(name, reason or "unreadable")
    reference_id, reason = _reference_id(text)
    if reference_id is None:
        return _failed(name, reason or "no reference id")
    parsed = parse_cable(text)
    classification, level, reason = _classification(text, parsed)
    if classification is None or level is None:
        return _failed(name, reason, reference_id)
    highest = version_level(parsed, level)
    return _Checked(
        name=name,
        text=text,
        digest=sha256_text(text),
        reference_id=reference_id,
        classification=classification,
        level=highest.level,
        raised_by=highest.warnings,
        parsed=parsed,
    )


def import_cable(
    session: Session, actor: User | None, name: str, data: bytes, *, max_bytes: int
) -> ImportOutcome:
    """Import one cable file, named ``name``, from its bytes.

    Returns an :class:`ImportOutcome`: ``imported`` (a new cable), ``unchanged`` (the same
    text as the cable's current version; nothing written), ``new_version`` (a changed text
    of a known reference id: a new :class:`CableVersion`, older versions and their decisions
    kept) or ``failed`` with a reason naming the file (and line or byte offset): larger than
    ``max_bytes``, not strict UTF-8, empty or whitespace only, a NUL character, no reference
    id on line 1, or an unknown classification on line 4.

    Writes inside a SAVEPOINT, so a failure leaves nothing half-written; audits
    ``cable.import`` or ``cable.new_version``; flushes, never commits.
    """
    checked = _check(display_name(name), data, max_bytes)
    if isinstance(checked, ImportOutcome):
        return checked
    return _store_in_savepoint(session, actor, checked)


def _store_in_savepoint(session: Session, actor: User | None, checked: _Checked) -> ImportOutcome:
    """Store one checked file inside a SAVEPOINT: whole, or not at all and a failed outcome."""
    try:
        with session.begin_nested():
            (outcome,) = _store_files(session, actor, [checked])
            return outcome
    except (IntegrityError, DataError) as exc:
        # A concurrent import of the same reference id, or a value the column refuses.
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc)
        return _failed(checked.name, f"the database refused it ({detail})", checked.reference_id)


@dataclass(frozen=True)
class _Current:
    """A known cable as the store holds it: its row and its current version's."""

    cable_id: int
    number: int
    status: CableStatus
    version_id: int
    sha256: str
    level: int  # the cable's level


def _current_versions(session: Session, reference_ids: list[str]) -> dict[str, _Current]:
    """The known cables among ``reference_ids``, locked (on PostgreSQL) until commit."""
    rows = session.execute(
        select(
            Cable.reference_id,
            Cable.id,
            Cable.current_version,
            Cable.status,
            CableVersion.id,
            CableVersion.sha256,
            Cable.level,
        )
        .join(CableVersion, current_version_join())
        .where(Cable.reference_id.in_(reference_ids))
        .order_by(Cable.id)  # the same lock order in every importer
        .with_for_update(of=Cable)
    )
    return {reference_id: _Current(*rest) for reference_id, *rest in rows}


def _reopened(status: CableStatus) -> CableStatus:
    """The status a cable takes with a new version of its text."""
    # The new text has not been reviewed: the cable is back in review (its earlier releases
    # stay on record), so it cannot be released on the old review's strength.
    if status in (CableStatus.READY, CableStatus.RELEASED):
        return CableStatus.IN_REVIEW
    return status


def _cable_values(checked: _Checked, number: int, known: _Current | None) -> dict[str, Any]:
    """The columns of a cable that its current version (number ``number``) sets.

    The level is the highest of the new version's and the cable's (``known``): an import
    never lowers a cable's level, so an older SECRET version cannot become readable by a
    new text that says UNCLASSIFIED.
    """
    parsed = checked.parsed
    level = max(int(checked.level), known.level if known is not None else 0)
    return {
        "classification": checked.classification,
        "level": level,
        "origin": (parsed.origin.value.strip() if parsed.origin else "")[:_ORIGIN_MAX],
        "subject": parsed.subject.value if parsed.subject else "",
        "tags": search.join_tags(parsed.tags),
        "created": parsed.created,
        "current_version": number,
        "canonical_id": links.canonical_of(parsed, checked.reference_id),
    }


def _portion_rows(checked: _Checked, version_id: int) -> Iterator[dict[str, Any]]:
    for paragraph in checked.parsed.paragraphs:
        yield {
            "version_id": version_id,
            "index": paragraph.index,
            "kind": paragraph.kind,
            "number": paragraph.number,
            "marking": paragraph.marking.raw if paragraph.marking else None,
            "level": paragraph.marking.level if paragraph.marking else None,
            "start": paragraph.start,
            "end": paragraph.end,
        }


def _audit_spec(
    checked: _Checked, cable_id: int, number: int, known: _Current | None
) -> audit.EntrySpec:
    """The audit entry of a stored file; ``known`` is what it replaces (None: a new cable)."""
    data: dict[str, Any] = {
        "reference_id": checked.reference_id,
        "version": number,
        "sha256": checked.digest,
        "source": checked.name,
        "classification": checked.classification,
        "level": Level(checked.level).name,
    }
    if checked.raised_by:
        data["level_raised_by"] = list(checked.raised_by)
    if known is not None and _reopened(known.status) != known.status:
        data["status_from"] = str(known.status)
        data["status_to"] = str(_reopened(known.status))
    action = "cable.import" if known is None else "cable.new_version"
    return action, ("cable", cable_id), data


def _store_files(
    session: Session, actor: User | None, files: list[_Checked]
) -> list[ImportOutcome]:
    """Store ``files`` (checked, each of a different reference id) and audit them, with one
    statement per table; returns their outcomes, in order. Flushes, never commits; raises
    what the database raises, after which the caller must roll back.

    A file whose text is its cable's current version is ``unchanged`` (nothing written); a
    changed text of a known cable is a ``new_version`` (older versions kept; a ready or
    released cable goes back in review); anything else is a new cable. Core statements
    rather than ORM objects: an import builds nothing it reads back, and the unit of work
    was most of the time spent per file.
    """
    current = _current_versions(session, [checked.reference_id for checked in files])
    outcomes: list[ImportOutcome] = []
    writes: list[tuple[_Checked, int, _Current | None]] = []  # (file, number, replaces)
    held: list[tuple[_Checked, _Current]] = []
    for checked in files:
        known = current.get(checked.reference_id)
        if known is not None and not _may_touch(actor, known):
            # A cable the importer may not see: nothing of it is read or written, and the
            # answer is the one a reference id never seen gets (see the module docstring).
            held.append((checked, known))
            outcomes.append(
                ImportOutcome(
                    name=checked.name,
                    status=ImportStatus.IMPORTED,
                    reference_id=checked.reference_id,
                    version=1,
                )
            )
            continue
        if known is None:
            status, number = ImportStatus.IMPORTED, 1
        elif known.sha256 == checked.digest:
            status, number = ImportStatus.UNCHANGED, known.number
        else:
            status, number = ImportStatus.NEW_VERSION, known.number + 1
        outcomes.append(
            ImportOutcome(
                name=checked.name,
                status=status,
                reference_id=checked.reference_id,
                version=number,
            )
        )
        if status is not ImportStatus.UNCHANGED:
            writes.append((checked, number, known))
    held_specs = _hold(session, actor, held)
    if not writes:
        audit.record_many(session, actor, held_specs)
        return outcomes

    cable_ids = {
        checked.reference_id: known.cable_id for checked, _, known in writes if known is not None
    }
    updates = [
        {
            "cable_id_": known.cable_id,
            **_cable_values(checked, number, known),
            "status": _reopened(known.status),
        }
        for checked, number, known in writes
        if known is not None
    ]
    if updates:
        session.execute(
            update(_CABLES)
            .where(_CABLES.c.id == bindparam("cable_id_"))
            .values(row_version=_CABLES.c.row_version + 1),
            updates,
        )
        for row in updates:
            _expire_cached(session, Cable, row["cable_id_"])
    new = [
        {
            "reference_id": checked.reference_id,
            "row_version": 1,
            **_cable_values(checked, 1, None),
        }
        for checked, _, known in writes
        if known is None
    ]
    if new:
        # Matched up by reference id, not by position: SQLite returns the rows of a
        # many-row RETURNING in no documented order.
        returned = session.execute(
            insert(_CABLES).returning(_CABLES.c.reference_id, _CABLES.c.id), new
        )
        cable_ids.update(returned.all())
    # One version per cable here, so the cable id tells which version row is which.
    returned = session.execute(
        insert(_VERSIONS).returning(_VERSIONS.c.cable_id, _VERSIONS.c.id),
        [
            {
                "cable_id": cable_ids[checked.reference_id],
                "number": number,
                "text": checked.text,
                "sha256": checked.digest,
                "parsed": cable_to_dict(checked.parsed),
                "source_name": checked.name,
                "imported_by_id": actor.id if actor is not None else None,
                "level": int(checked.level),
            }
            for checked, number, _ in writes
        ],
    )
    version_ids = dict(returned.all())  # by cable id
    portions = [
        row
        for checked, _, _ in writes
        for row in _portion_rows(checked, version_ids[cable_ids[checked.reference_id]])
    ]
    if portions:
        session.execute(insert(_PORTIONS), portions)
    links.store_references(
        session,
        [
            (version_ids[cable_ids[checked.reference_id]], checked.parsed)
            for checked, _, _ in writes
        ],
    )
    specs: list[audit.EntrySpec] = []
    carried_cables: list[int] = []
    for checked, number, known in writes:
        cable_id = cable_ids[checked.reference_id]
        search.index_version(
            session,
            cable_id=cable_id,
            version_id=version_ids[cable_id],
            text=checked.text,
            previous_version_id=known.version_id if known is not None else None,
        )
        # The same passages in other cables: found now, kept in the store (consistency.twins).
        twins.index_version(
            session,
            cable_id=cable_id,
            version_id=version_ids[cable_id],
            text=checked.text,
            portions=[(p.index, p.kind, p.start, p.end) for p in checked.parsed.paragraphs],
            previous_version_id=known.version_id if known is not None else None,
        )
        specs.append(_audit_spec(checked, cable_id, number, known))
        if known is not None:
            # A new version keeps the review of the old one where its text is unchanged.
            carried = carryover.carry_over(
                session, actor, cable_id, known.version_id, version_ids[cable_id]
            )
            if carried is not None:
                specs.append(carried)
                carried_cables.append(cable_id)
    specs += held_specs
    # Last: the chain, which every writer appends to, stays locked for the shortest time.
    audit.record_many(session, actor, specs)
    for cable_id in carried_cables:
        # What was carried may make the new version ready again (or keep it in review).
        cable = session.get(Cable, cable_id)
        if cable is not None:
            refresh_cable_status(session, cable, actor=actor)
    return outcomes


def _may_touch(actor: User | None, known: _Current) -> bool:
    """True if ``actor`` may change the known cable ``known``: the system (no actor, the
    command line without ``--user``) may; a user only when active and cleared for it."""
    if actor is None:
        return True
    return bool(actor.active) and can_view(actor.clearance, known.level)


def _hold(
    session: Session, actor: User | None, held: list[tuple[_Checked, _Current]]
) -> list[audit.EntrySpec]:
    """Keep ``held`` files (each for a cable its importer may not see) in ``held_imports``,
    for a person cleared for the cable; returns their audit entries (``cable.import_held``).

    The entry names the held row and, in its payload, the cable, so the audit record
    withholds it from every reader not cleared for the cable (``audit.is_withheld``).
    One statement a file: held files are rare, and a many-row RETURNING comes back in no
    documented order on SQLite.
    """
    specs: list[audit.EntrySpec] = []
    for checked, known in held:
        held_id = session.execute(
            insert(_HELD).returning(_HELD.c.id),
            {
                "reference_id": checked.reference_id,
                "level": max(int(checked.level), known.level),
                "text": checked.text,
                "sha256": checked.digest,
                "source_name": checked.name,
                "held_by_id": actor.id if actor is not None else None,
                "held_at": utcnow(),
            },
        ).scalar_one()
        data = {"reference_id": checked.reference_id, "cable_id": known.cable_id}
        specs.append(("cable.import_held", ("held_import", held_id), data))
    return specs


def _expire_cached(session: Session, model: type, ident: int) -> None:
    # A Cable already loaded in this session (with its versions) is now out of date.
    cached = session.identity_map.get(session.identity_key(model, ident))
    if cached is not None:
        session.expire(cached)


# --------------------------------------------------------------------------- batch

#: A chunk is closed early once the texts it holds reach this many characters, so that a
#: batch of large files keeps memory as flat as one of ordinary cables (6.6 kB on average).
CHUNK_TEXT_BUDGET = 8_000_000


def _read_and_check(source: ImportSource, max_bytes: int) -> _Checked | ImportOutcome:
    """Read ``source`` (at most ``max_bytes + 1`` bytes) and :func:`_check` it."""
    name = display_name(source.name)
    if source.error is not None:
        return _failed(name, source.error)
    if source.size is not None and source.size > max_bytes:
        return _failed(name, too_large_reason(source.size, max_bytes))
    try:
        data = source.read(max_bytes + 1)
    except (OSError, zipfile.BadZipFile, EOFError, RuntimeError, ValueError) as exc:
        # RuntimeError: an encrypted zip member; ValueError: a closed archive.
        return _failed(name, f"cannot be read ({exc})")
    if len(data) > max_bytes:
        return _failed(name, f"too large (more than {max_bytes:,} bytes)")
    return _check(name, data, max_bytes)


def import_source(
    session: Session, actor: User | None, source: ImportSource, *, max_bytes: int
) -> ImportOutcome:
    """Read ``source`` (at most ``max_bytes + 1`` bytes) and import it as
    :func:`import_cable` does; a source that cannot be read is a failed outcome."""
    checked = _read_and_check(source, max_bytes)
    if isinstance(checked, ImportOutcome):
        return checked
    return _store_in_savepoint(session, actor, checked)


def import_batch(
    session_factory: sessionmaker[Session] | Callable[[], Session],
    actor_id: int | None,
    sources: Iterable[ImportSource],
    *,
    max_bytes: int,
    chunk_size: int = 200,
    progress: Callable[[int, ImportOutcome], None] | None = None,
) -> ImportSummary:
    """Import every source, committing every ``chunk_size`` files; returns the summary.

    Outcomes are those of :func:`import_source` file by file, and so are the rows and audit
    entries (in file order). Each chunk is read and parsed before its transaction begins,
    then stored with one statement per table and committed in a fresh session, closed
    afterwards, so neither parsed cables nor ORM objects pile up; a chunk also ends early
    when its texts reach :data:`CHUNK_TEXT_BUDGET` characters. If the database refuses any
    file of a chunk, the chunk is rolled back and stored again one file at a time, each in
    a SAVEPOINT: the refused file is a failed outcome naming it, and the rest land.

    ``progress(done, outcome)`` is called for each file, in order, once its chunk is
    committed. A database error that is not about one file (the connection is lost...)
    rolls back the current chunk and propagates; the chunks before it stay committed, and
    running the batch again reports them ``unchanged``.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    summary = ImportSummary()
    done = 0
    for chunk in _chunks(sources, max_bytes, chunk_size):
        # Committed before reporting, so a progress callback may read what is done.
        for outcome in _import_chunk(session_factory, actor_id, chunk):
            summary.add(outcome)
            done += 1
            if progress is not None:
                progress(done, outcome)
    return summary


def _chunks(
    sources: Iterable[ImportSource], max_bytes: int, chunk_size: int
) -> Iterator[list[_Checked | ImportOutcome]]:
    """The sources read and checked, in chunks of at most ``chunk_size``."""
    chunk: list[_Checked | ImportOutcome] = []
    chars = 0
    for source in sources:
        # Read now, before the next source: a zip member must be read while its archive is
        # at it.
        item = _read_and_check(source, max_bytes)
        chunk.append(item)
        if isinstance(item, _Checked):
            chars += len(item.text)
        if len(chunk) >= chunk_size or chars >= CHUNK_TEXT_BUDGET:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


def _import_chunk(
    session_factory: sessionmaker[Session] | Callable[[], Session],
    actor_id: int | None,
    chunk: list[_Checked | ImportOutcome],
) -> list[ImportOutcome]:
    """Store the checked files of ``chunk`` in one transaction and commit it; returns the
    outcome of every file of the chunk, in order."""
    if all(isinstance(item, ImportOutcome) for item in chunk):
        return cast(list[ImportOutcome], chunk)  # nothing for the database
    with session_factory() as session:
        actor = session.get(User, actor_id) if actor_id is not None else None
        try:
            outcomes = _store_chunk(session, actor, chunk)
        except (IntegrityError, DataError):
            # Some file the database refuses (a value a column does not take, a concurrent
            # import of the same new reference id): nothing of the chunk is kept. Store it
            # again file by file, each in a savepoint, to name that file and keep the others.
            session.rollback()
            outcomes = [
                item
                if isinstance(item, ImportOutcome)
                else _store_in_savepoint(session, actor, item)
                for item in chunk
            ]
        session.commit()
    return outcomes


def _store_chunk(
    session: Session, actor: User | None, chunk: list[_Checked | ImportOutcome]
) -> list[ImportOutcome]:
    """Store the checked files of ``chunk`` without savepoints; raises what the database
    raises (the caller rolls back). Returns every file's outcome, in order."""
    stored: list[ImportOutcome] = []
    group: dict[str, _Checked] = {}  # by reference id, in file order
    for item in chunk:
        if isinstance(item, ImportOutcome):
            continue
        if item.reference_id in group:
            # The same cable twice in a chunk: the later file is compared with what the
            # earlier one stores, so that one is stored first.
            stored += _store_files(session, actor, list(group.values()))
            group = {}
        group[item.reference_id] = item
    if group:
        stored += _store_files(session, actor, list(group.values()))
    results = iter(stored)
    return [item if isinstance(item, ImportOutcome) else next(results) for item in chunk]
