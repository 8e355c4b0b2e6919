"""Where cable files to import come from: files, folders, zip archives and uploads.

Sources (:class:`ImportSource`) are read lazily by :func:`redactor.cables.service.import_batch`
and never written to disk, so a zip member named ``../../etc/passwd`` is only a name. Zip
archives are held to :class:`ZipLimits` (members, and decompressed bytes counted as they are
read): an archive over a cap is one failed source, and nothing of it is imported. Names are
what the record keeps (``CableVersion.source_name``): relative to the path given on the
command line, never the server's absolute path.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any


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


@dataclass(frozen=True)
class ZipLimits:
    """Caps on what zip archives may expand to (``REDACTOR_ZIP_MAX_MEMBERS`` and
    ``REDACTOR_ZIP_MAX_TOTAL_BYTES``): the number of file members and the decompressed bytes
    of all of them, counted as they are read, never taken from the archive's own header."""

    max_members: int = 10_000
    max_total_bytes: int = 64 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Any) -> ZipLimits:
        """The limits of a settings mapping (``ZIP_MAX_MEMBERS``, ``ZIP_MAX_TOTAL_BYTES``)."""
        return cls(int(settings["ZIP_MAX_MEMBERS"]), int(settings["ZIP_MAX_TOTAL_BYTES"]))


class _ZipBudget:
    """What is left of a :class:`ZipLimits` for the archives that share it (all those of one
    upload; each archive of a command-line run alone)."""

    def __init__(self, limits: ZipLimits) -> None:
        self.limits = limits
        self.members = 0
        self.bytes = 0
        self.several = False  # shared by several archives (of one upload)

    def _scope(self) -> tuple[str, str]:
        if self.several:
            return "the archives of this upload", "them"
        return "the archive", "it"

    def over_members(self, count: int) -> str | None:
        """Why ``count`` more members are refused, or None (and they are counted)."""
        self.members += count
        if self.members > self.limits.max_members:
            scope, pronoun = self._scope()
            return (
                f"too many files in {scope} ({self.members:,} in all; the limit is "
                f"{self.limits.max_members:,}, REDACTOR_ZIP_MAX_MEMBERS): nothing of "
                f"{pronoun} was imported"
            )
        return None

    def spend(self, size: int) -> bool:
        """Count ``size`` decompressed bytes; False once the total is over the cap."""
        self.bytes += size
        return self.bytes <= self.limits.max_total_bytes

    def over_bytes(self) -> str:
        """The reason an archive that expands past the cap is refused."""
        scope, pronoun = self._scope()
        return (
            f"{scope} would expand to more than {self.limits.max_total_bytes:,} bytes (the "
            f"limit of REDACTOR_ZIP_MAX_TOTAL_BYTES): nothing of {pronoun} was imported"
        )


#: Decompressed bytes read at a time while measuring an archive.
_MEASURE_CHUNK = 1 << 20


def _decompressed_size(archive: zipfile.ZipFile, info: zipfile.ZipInfo, most: int) -> int:
    """The bytes ``info`` really decompresses to, reading no more than ``most + 1``; 0 for
    a member that cannot be read (it is reported when it is imported)."""
    total = 0
    try:
        with archive.open(info) as handle:
            while total <= most:
                chunk = handle.read(min(_MEASURE_CHUNK, most + 1 - total))
                if not chunk:
                    break
                total += len(chunk)
    except (
        OSError,
        zipfile.BadZipFile,
        EOFError,
        RuntimeError,
        ValueError,
        NotImplementedError,
        zlib.error,
    ):
        pass  # what was read still counts; the import names the member and why
    return total


def _measure(
    archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], budget: _ZipBudget
) -> tuple[str | None, dict[str, int]]:
    """``(reason, sizes)``: why the archive is refused under ``budget`` (too many members,
    or more decompressed bytes than the budget has left) or None, and the decompressed size
    of each member by name. Reads every member once, to its real end or to the cap: the
    sizes a zip declares may lie."""
    sizes: dict[str, int] = {}
    reason = budget.over_members(len(members))
    if reason is not None:
        return reason, sizes
    for info in members:
        left = budget.limits.max_total_bytes - budget.bytes
        sizes[info.filename] = _decompressed_size(archive, info, left)
        if not budget.spend(sizes[info.filename]):
            return budget.over_bytes(), sizes
    return None, sizes


def _member_reader(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, measured: int
) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        # Read at most ``limit`` bytes whatever the member claims: a zip bomb's declared
        # size may lie, the decompressed stream cannot. Nor more than was measured: should
        # the archive have changed on disk since, the caps still hold.
        with archive.open(info) as handle:
            data = handle.read(min(limit, measured + 1))
        if len(data) > measured:
            raise OSError("the archive changed while it was read; import it again")
        return data

    return read


def iter_zip_sources(
    name: str,
    fileobj: IO[bytes],
    *,
    limits: ZipLimits | None = None,
    budget: _ZipBudget | None = None,
) -> Iterator[ImportSource]:
    """One source per file member of the zip archive ``fileobj`` (named ``name``), by name.

    The archive stays open while the generator runs: read each source before advancing.
    Before any member is yielded the archive is measured against ``limits`` (or the shared
    ``budget``): more file members than allowed, or more decompressed bytes (counted by
    reading, never from the header), and it yields one failed source naming the archive
    and the cap instead, so that an archive over a cap imports nothing. A damaged archive
    yields one failed source, and so does one without any file ("holds no files").
    """
    budget = budget if budget is not None else _ZipBudget(limits or ZipLimits())
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
        if not members:
            yield ImportSource(name=name, error="the archive holds no files: nothing to import")
            return
        reason, sizes = _measure(archive, members, budget)
        if reason is not None:
            yield ImportSource(name=name, error=reason)
            return
        for info in members:
            yield ImportSource(
                name=f"{name}:{info.filename}",
                reader=_member_reader(archive, info, sizes[info.filename]),
                size=info.file_size,
            )


def _walk_txt(root: Path) -> Iterator[Path]:
    for folder, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            if filename.lower().endswith(".txt"):
                yield Path(folder) / filename


def _own_name(path: Path) -> str:
    # The last component only (``.`` and ``..`` become the folder's own name): never the
    # absolute path of the server, which is no business of the record or of an API reader.
    return Path(os.path.abspath(path)).name


def _path_sources(path: Path, limits: ZipLimits) -> Iterator[ImportSource]:
    """The sources under the argument ``path``, named relative to it: a file by its name, a
    folder's files as ``folder/relative/path.txt``, a zip's members as ``name.zip:member``.
    A path that does not exist or cannot be read keeps the name it was given as."""
    try:
        if path.is_dir():
            found = False
            for child in _walk_txt(path):
                found = True
                shown = f"{_own_name(path)}/{child.relative_to(path).as_posix()}"
                yield _file_source(child, shown.lstrip("/"))
            if not found:
                yield ImportSource(name=str(path), error="no .txt files in this folder")
            return
        if not path.exists():
            yield ImportSource(name=str(path), error="no such file or folder")
            return
        if path.suffix.lower() == ".zip":
            with path.open("rb") as handle:
                yield from iter_zip_sources(_own_name(path), handle, limits=limits)
            return
        yield _file_source(path, _own_name(path))
    except OSError as exc:
        yield ImportSource(name=str(path), error=f"cannot be read ({exc.strerror or exc})")


def _file_source(path: Path, shown: str) -> ImportSource:
    try:
        size = path.stat().st_size
    except OSError as exc:
        return ImportSource(name=shown, error=f"cannot be read ({exc.strerror or exc})")
    return ImportSource(name=shown, reader=_file_reader(path), size=size)


def iter_import_sources(
    paths: Iterable[str | os.PathLike[str]], *, zip_limits: ZipLimits | None = None
) -> Iterator[ImportSource]:
    """The files to import under ``paths``, lazily, in order.

    A file is one source; a folder gives its ``*.txt`` files, recursively, sorted (a folder
    without any is a failed source); a ``.zip`` archive gives each file member, sorted by
    name, within ``zip_limits`` (each archive on its own; see :func:`iter_zip_sources`).
    Names are relative to the path given (see :func:`_path_sources`). A path that cannot
    be read gives a source with an ``error``, never an exception.
    """
    limits = zip_limits or ZipLimits()
    for path in paths:
        yield from _path_sources(Path(path), limits)


def _stream_reader(stream: IO[bytes]) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        stream.seek(0)
        return stream.read(limit)

    return read


def iter_upload_sources(
    files: Iterable[tuple[str, IO[bytes]]], *, zip_limits: ZipLimits | None = None
) -> Iterator[ImportSource]:
    """Sources from uploaded ``(file name, binary stream)`` pairs, in the order given.

    A name ending in ``.zip`` is read as an archive (each member a source); anything else is
    one cable file. The archives of one upload share one ``zip_limits`` budget (members and
    decompressed bytes in all), and all of them are measured before anything is yielded:
    if together they pass a cap, each archive is one failed source and nothing of any of
    them is imported (plain files still are). Nothing is written to disk; names are only
    names.
    """
    files = list(files)
    budget = _ZipBudget(zip_limits or ZipLimits())
    refused = _measure_uploaded_archives(files, budget)
    for name, stream in files:
        if name.lower().endswith(".zip"):
            if refused is not None:
                yield ImportSource(name=name, error=refused)
                continue
            stream.seek(0)
            yield from iter_zip_sources(name, stream, budget=budget)
        else:
            yield ImportSource(name=name, reader=_stream_reader(stream))


def _measure_uploaded_archives(
    files: list[tuple[str, IO[bytes]]], budget: _ZipBudget
) -> str | None:
    """Why the archives of an upload are refused together, or None (and then ``budget`` is
    reset, to be spent again as each archive is read)."""
    archives = [(name, stream) for name, stream in files if name.lower().endswith(".zip")]
    budget.several = len(archives) > 1
    for _name, stream in archives:
        try:
            with zipfile.ZipFile(stream) as archive:
                members = [info for info in archive.infolist() if not info.is_dir()]
                reason, _sizes = _measure(archive, members, budget)
        except (zipfile.BadZipFile, OSError, ValueError):
            continue  # reported as not readable when its turn comes
        if reason is not None:
            return reason
    budget.members = budget.bytes = 0
    return None
