"""Import cable files into the store: one file (a service) and a batch (its own caller).

:func:`import_cable` is a service: it checks, writes, audits and flushes inside a SAVEPOINT,
and never commits, so a file that fails leaves nothing behind and the caller decides when the
work lands. :func:`import_batch` is the exception the architecture allows: it is a caller
itself, committing every ``chunk_size`` files in a fresh session, so that 100,000 files keep
memory flat and an interrupted run keeps what it finished (a second run is idempotent).

Text enters the system only through :func:`~redactor.cables.parser.decode_cable_bytes`
(strict UTF-8, line endings normalised); nothing is ever replaced silently. Sources
(:func:`iter_import_sources`) are read lazily and never written to disk, so a zip member named
``../../etc/passwd`` is only a name.
"""

from __future__ import annotations

import enum
import hashlib
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import insert, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from redactor import audit
from redactor.cables import search
from redactor.cables.jsonview import cable_to_dict
from redactor.cables.parser import Cable as ParsedCable
from redactor.cables.parser import CableParseError, decode_cable_bytes, parse_cable
from redactor.models import Cable, CableStatus, CableVersion, Portion, User
from redactor.review.policy import Level

#: Line 1 of a cable: two digits of year, then the originating post and a serial number
#: (``09STATE52368``, ``08ECTION01OF02MANAMA492``, ``75TEHRAN2069``).
REFERENCE_ID_RE = re.compile(r"[0-9]{2}[A-Z][A-Z0-9]{0,60}[0-9]")

_NAME_MAX = 300  # CableVersion.source_name
_CLASSIFICATION_MAX = 64  # Cable.classification
_ORIGIN_MAX = 200  # Cable.origin


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
    name = display_name(name)
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

    digest = sha256_text(text)
    try:
        with session.begin_nested():
            return _store(
                session, actor, name, text, digest, reference_id, classification, level, parsed
            )
    except (IntegrityError, DataError) as exc:
        # A concurrent import of the same reference id, or a value the column refuses.
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc)
        return _failed(name, f"the database refused it ({detail})", reference_id)


def _store(
    session: Session,
    actor: User | None,
    name: str,
    text: str,
    digest: str,
    reference_id: str,
    classification: str,
    level: Level,
    parsed: ParsedCable,
) -> ImportOutcome:
    # Plain SQL statements rather than ORM objects: an import builds nothing it reads back,
    # and the unit of work was most of the time spent per file (see BENCHMARKS.md).
    found = session.execute(
        select(Cable.id, Cable.current_version, Cable.status)
        .where(Cable.reference_id == reference_id)
        .with_for_update()
    ).one_or_none()
    previous_id: int | None = None
    if found is not None:
        cable_id, current, previous_status = found
        previous_id, previous_sha = session.execute(
            select(CableVersion.id, CableVersion.sha256).where(
                CableVersion.cable_id == cable_id, CableVersion.number == current
            )
        ).one()
        if previous_sha == digest:
            return ImportOutcome(
                name=name, status=ImportStatus.UNCHANGED, reference_id=reference_id,
                version=current,
            )
        number = current + 1
    else:
        number = 1

    metadata = {
        "classification": classification,
        "level": int(level),
        "origin": (parsed.origin.value.strip() if parsed.origin else "")[:_ORIGIN_MAX],
        "subject": parsed.subject.value if parsed.subject else "",
        "tags": " ".join(parsed.tags),
        "created": parsed.created,
        "current_version": number,
    }
    status_change: dict[str, str] = {}
    if found is not None and previous_status in (CableStatus.READY, CableStatus.RELEASED):
        # The new text has not been reviewed: the cable is back in review (its earlier
        # releases stay on record), so it cannot be released on the old review's strength.
        metadata["status"] = CableStatus.IN_REVIEW
        status_change = {"status_from": str(previous_status), "status_to": "in_review"}
    if found is None:
        cable_id = session.execute(
            insert(Cable)
            .values(reference_id=reference_id, row_version=1, **metadata)
            .returning(Cable.id)
        ).scalar_one()
    else:
        session.execute(
            update(Cable)
            .where(Cable.id == cable_id)
            .values(row_version=Cable.row_version + 1, **metadata)
            .execution_options(synchronize_session=False)
        )
        _expire_cached(session, Cable, cable_id)
    version_id = session.execute(
        insert(CableVersion)
        .values(
            cable_id=cable_id,
            number=number,
            text=text,
            sha256=digest,
            parsed=cable_to_dict(parsed),
            source_name=name,
            imported_by_id=actor.id if actor is not None else None,
        )
        .returning(CableVersion.id)
    ).scalar_one()
    if parsed.paragraphs:
        # One executemany on the table (the ORM's bulk path splits rows by their None
        # columns into many statements).
        session.execute(
            insert(Portion.__table__),
            [
                {
                    "version_id": version_id,
                    "index": paragraph.index,
                    "kind": paragraph.kind,
                    "number": paragraph.number,
                    "marking": paragraph.marking.raw if paragraph.marking else None,
                    "level": paragraph.marking.level if paragraph.marking else None,
                    "start": paragraph.start,
                    "end": paragraph.end,
                }
                for paragraph in parsed.paragraphs
            ],
        )
    search.index_version(
        session,
        cable_id=cable_id,
        version_id=version_id,
        text=text,
        previous_version_id=previous_id,
    )
    audit.record(
        session,
        actor,
        "cable.new_version" if previous_id is not None else "cable.import",
        subject=("cable", cable_id),
        data={
            "reference_id": reference_id,
            "version": number,
            "sha256": digest,
            "source": name,
            "classification": classification,
            **status_change,
        },
    )
    status = ImportStatus.NEW_VERSION if previous_id is not None else ImportStatus.IMPORTED
    return ImportOutcome(name=name, status=status, reference_id=reference_id, version=number)


def _expire_cached(session: Session, model: type, ident: int) -> None:
    # A Cable already loaded in this session (with its versions) is now out of date.
    cached = session.identity_map.get(session.identity_key(model, ident))
    if cached is not None:
        session.expire(cached)


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class ImportSource:
    """One file to import: its name, and a reader of at most ``n`` bytes, or an error.

    ``size`` is the size known before reading (a file's stat, a zip member's declared size),
    so a file over the limit is refused without being read.
    """

    name: str
    reader: Callable[[int], bytes] | None = None
    size: int | None = None
    error: str | None = None

    def read(self, limit: int) -> bytes:
        """At most ``limit`` bytes; raises ``OSError``/``zipfile.BadZipFile`` as reading does."""
        if self.reader is None:
            raise OSError(self.error or "nothing to read")
        return self.reader(limit)


def _file_reader(path: Path) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        with path.open("rb") as handle:
            return handle.read(limit)

    return read


def _member_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        # Read at most ``limit`` bytes whatever the member claims: a zip bomb's declared
        # size may lie, the decompressed stream cannot.
        with archive.open(info) as handle:
            return handle.read(limit)

    return read


def iter_zip_sources(name: str, fileobj: IO[bytes]) -> Iterator[ImportSource]:
    """One source per file member of the zip archive ``fileobj`` (named ``name``), by name.

    The archive stays open while the generator runs: read each source before advancing.
    A damaged archive yields one failed source.
    """
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        yield ImportSource(name=name, error=f"not a readable zip archive ({exc})")
        return
    with archive:
        members = sorted(
            (info for info in archive.infolist() if not info.is_dir()),
            key=lambda info: info.filename,
        )
        for info in members:
            yield ImportSource(
                name=f"{name}:{info.filename}",
                reader=_member_reader(archive, info),
                size=info.file_size,
            )


def _walk_txt(root: Path) -> Iterator[Path]:
    for folder, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            if filename.lower().endswith(".txt"):
                yield Path(folder) / filename


def _path_sources(path: Path) -> Iterator[ImportSource]:
    try:
        if path.is_dir():
            for found in _walk_txt(path):
                yield _file_source(found)
            return
        if not path.exists():
            yield ImportSource(name=str(path), error="no such file or folder")
            return
        if path.suffix.lower() == ".zip":
            with path.open("rb") as handle:
                yield from iter_zip_sources(str(path), handle)
            return
        yield _file_source(path)
    except OSError as exc:
        yield ImportSource(name=str(path), error=f"cannot be read ({exc.strerror or exc})")


def _file_source(path: Path) -> ImportSource:
    try:
        size = path.stat().st_size
    except OSError as exc:
        return ImportSource(name=str(path), error=f"cannot be read ({exc.strerror or exc})")
    return ImportSource(name=str(path), reader=_file_reader(path), size=size)


def iter_import_sources(paths: Iterable[str | os.PathLike[str]]) -> Iterator[ImportSource]:
    """The files to import under ``paths``, lazily, in order.

    A file is one source; a folder gives its ``*.txt`` files, recursively, sorted; a ``.zip``
    archive gives each file member, sorted by name. A path that cannot be read gives a source
    with an ``error``, never an exception.
    """
    for path in paths:
        yield from _path_sources(Path(path))


def _stream_reader(stream: IO[bytes]) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        stream.seek(0)
        return stream.read(limit)

    return read


def iter_upload_sources(files: Iterable[tuple[str, IO[bytes]]]) -> Iterator[ImportSource]:
    """Sources from uploaded ``(file name, binary stream)`` pairs, in the order given.

    A name ending in ``.zip`` is read as an archive (each member a source); anything else is
    one cable file. Nothing is written to disk; names are only names.
    """
    for name, stream in files:
        if name.lower().endswith(".zip"):
            yield from iter_zip_sources(name, stream)
        else:
            yield ImportSource(name=name, reader=_stream_reader(stream))


# --------------------------------------------------------------------------- batch


def import_source(
    session: Session, actor: User | None, source: ImportSource, *, max_bytes: int
) -> ImportOutcome:
    """Read ``source`` (at most ``max_bytes + 1`` bytes) and import it with
    :func:`import_cable`; a source that cannot be read is a failed outcome."""
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
    return import_cable(session, actor, name, data, max_bytes=max_bytes)


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

    Each chunk has its own session, closed after its commit, so neither parsed cables nor
    ORM objects pile up. ``progress(done, outcome)`` is called after each file. A database
    error that is not about one file (the connection is lost...) rolls back the current
    chunk and propagates; the chunks before it stay committed, and running the batch again
    reports them ``unchanged``.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    summary = ImportSummary()
    done = 0
    session: Session | None = None
    actor: User | None = None
    in_chunk = 0
    try:
        for source in sources:
            if session is None:
                session = session_factory()
                actor = session.get(User, actor_id) if actor_id is not None else None
                in_chunk = 0
            outcome = import_source(session, actor, source, max_bytes=max_bytes)
            summary.add(outcome)
            done += 1
            in_chunk += 1
            if in_chunk >= chunk_size:
                # Commit before reporting, so a progress callback may read what is done.
                session.commit()
                session.close()
                session = None
            if progress is not None:
                progress(done, outcome)
        if session is not None:
            session.commit()
    finally:
        if session is not None:
            session.close()
    return summary
