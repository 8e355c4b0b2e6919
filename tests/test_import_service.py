"""The import service: one file in a savepoint, sources, and the chunked batch."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from redactor.cables import search
from redactor.cables.parser import decode_cable_bytes, parse_cable
from redactor.cables.service import (
    ImportSource,
    ImportStatus,
    import_batch,
    import_cable,
    import_source,
    iter_import_sources,
)
from redactor.models import AuditEntry, Cable, CableStatus, CableVersion, Portion
from redactor.review.policy import Level
from tests.fixtures_store import (
    BAD_CABLES_DIR,
    FIXTURE_CABLE_COUNT,
    FIXTURE_CABLES_DIR,
    MAX_BYTES,
    cable_text,
)

MIXED_ZIP = BAD_CABLES_DIR / "mixed.zip"

#: Each bad file of tests/data/bad and a piece of the reason it must be refused with.
BAD_FILES = {
    "empty.txt": "empty file",
    "gzip_renamed.txt": "not UTF-8 text",
    "latin1.txt": "byte offset 397",
    "no_reference_id.txt": "line 1: no reference id",
    "nul_bytes.txt": "byte offset 365",
    "pdf_renamed.txt": "byte offset 10",
    "png_renamed.txt": "not UTF-8 text",
    "truncated_multibyte.txt": "byte offset 474",
    "unknown_classification.txt": "line 4: unknown classification 'SUPER SECRET'",
    "utf16_bom.txt": "UTF-16",
    "whitespace_only.txt": "whitespace only",
    "windows1252_smart_quotes.txt": "byte offset 385",
    "mixed.zip:bad/empty.txt": "empty file",
    "mixed.zip:bad/latin1.txt": "byte offset 397",
    "mixed.zip:bad/no_reference_id.txt": "line 1: no reference id",
}
GOOD_IN_ZIP = 2


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def row_counts(session) -> dict[str, int]:
    counts = {
        model.__tablename__: count(session, model)
        for model in (Cable, CableVersion, Portion, AuditEntry)
    }
    session.rollback()  # end the read: on SQLite it holds the write lock the batch needs
    return counts


def run_all(app, *extra: Path):
    return import_batch(
        app.extensions["redactor.sessions"],
        None,
        iter_import_sources([FIXTURE_CABLES_DIR, BAD_CABLES_DIR, MIXED_ZIP, *extra]),
        max_bytes=MAX_BYTES,
    )


def expected_portions() -> int:
    return sum(
        len(parse_cable(decode_cable_bytes(path.read_bytes())).paragraphs)
        for path in FIXTURE_CABLES_DIR.glob("*.txt")
    )


def test_good_files_import_and_each_bad_file_is_named_with_its_reason(app, session):
    summary = run_all(app)

    assert summary.imported == FIXTURE_CABLE_COUNT + GOOD_IN_ZIP
    assert summary.failed == len(BAD_FILES)
    # Named relative to the paths given: "bad/empty.txt", "mixed.zip:bad/empty.txt".
    reasons = {o.name.removeprefix("bad/"): o.error for o in summary.failures}
    assert set(reasons) == set(BAD_FILES)
    for name, fragment in BAD_FILES.items():
        assert name in reasons[name]
        assert fragment in reasons[name], reasons[name]
    # Nothing of a refused file was stored: one version, one audit entry per good file.
    counts = row_counts(session)
    assert counts["cables"] == counts["cable_versions"] == FIXTURE_CABLE_COUNT + GOOD_IN_ZIP
    assert counts["audit_entries"] == FIXTURE_CABLE_COUNT + GOOD_IN_ZIP
    assert session.scalar(select(func.count()).where(Cable.reference_id.like("09BADTEST%"))) == 0


def test_a_second_run_reports_everything_unchanged_and_writes_nothing(app, session):
    run_all(app)
    before = row_counts(session)

    summary = run_all(app)

    assert summary.unchanged == FIXTURE_CABLE_COUNT + GOOD_IN_ZIP
    assert (summary.imported, summary.new_versions) == (0, 0)
    assert summary.failed == len(BAD_FILES)
    assert row_counts(session) == before


def test_imported_cable_stores_text_hash_level_portions_parsed_view_and_audit(
    imported_fixture_cables, session
):
    cable = next(c for c in imported_fixture_cables if c.reference_id == "09STATE52368")
    raw = (FIXTURE_CABLES_DIR / "09STATE52368.txt").read_bytes()
    text = decode_cable_bytes(raw)
    parsed = parse_cable(text)
    version = cable.versions[0]

    assert (cable.classification, cable.level) == ("CONFIDENTIAL", Level.CONFIDENTIAL)
    assert cable.subject == "U.S.-UK CLUSTER MUNITIONS DIALOGUE"
    assert cable.origin == "Secretary of State"
    assert cable.tags.split() == ["MOPS", "PREL", "PGOV", "NATO", "UK"]
    assert version.text == text
    assert version.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert version.parsed["subject"] == cable.subject
    assert "text" not in version.parsed
    portions = version.portions
    assert len(portions) == len(parsed.paragraphs) > 0
    assert [(p.start, p.end) for p in portions] == [(p.start, p.end) for p in parsed.paragraphs]
    first_portion = next(p for p in portions if p.kind == "portion")
    assert (first_portion.number, first_portion.marking, first_portion.level) == ("1", "(C)", "C")
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "cable.import", AuditEntry.object_id == str(cable.id)
        )
    ).one()
    payload = json.loads(entry.payload)
    assert payload["reference_id"] == "09STATE52368"
    assert payload["version"] == 1
    assert payload["sha256"] == version.sha256
    assert count(session, Portion) == expected_portions()


def test_changed_text_becomes_a_new_version_and_the_old_version_is_kept(make_cable, session):
    first = make_cable("09TEST7", "CONFIDENTIAL", body="1. (C) The original wording.")
    old_text = first.versions[0].text

    cable = make_cable(
        "09TEST7", "SECRET//NOFORN", body="1. (S//NF) The revised wording.", subject="REVISED"
    )
    session.expire_all()

    numbers = [v.number for v in cable.versions]
    assert numbers == [1, 2]
    assert cable.current_version == 2
    assert cable.versions[0].text == old_text
    assert len(cable.versions[0].portions) == 1
    assert (cable.classification, cable.level, cable.subject) == (
        "SECRET//NOFORN",
        Level.SECRET,
        "REVISED",
    )
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions == ["cable.import", "cable.new_version"]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (CableStatus.READY, CableStatus.IN_REVIEW),
        (CableStatus.RELEASED, CableStatus.IN_REVIEW),
        (CableStatus.NEW, CableStatus.NEW),
        (CableStatus.IN_REVIEW, CableStatus.IN_REVIEW),
    ],
)
def test_a_new_version_reopens_the_review_of_a_ready_or_released_cable(
    make_cable, session, before, after
):
    cable = make_cable("09TEST9", body="1. (C) The original wording.")
    session.execute(update(Cable).where(Cable.id == cable.id).values(status=before))
    session.commit()

    make_cable("09TEST9", body="1. (C) The revised wording.")
    session.expire_all()

    assert session.get(Cable, cable.id).status == after
    payload = json.loads(
        session.scalars(select(AuditEntry.payload).order_by(AuditEntry.seq.desc())).first()
    )
    assert payload.get("status_to") == (None if before == after else "in_review")


def test_the_same_text_with_crlf_line_endings_is_unchanged(make_cable, session):
    make_cable("09TEST8")
    data = cable_text("09TEST8").replace("\n", "\r\n").encode()

    outcome = import_cable(session, None, "crlf.txt", data, max_bytes=MAX_BYTES)

    assert (outcome.status, outcome.version) == (ImportStatus.UNCHANGED, 1)


def test_a_database_failure_inside_the_savepoint_leaves_nothing_half_written(
    session, monkeypatch
):
    real = search.index_version

    def refuse(*args, **kwargs):
        raise IntegrityError("INSERT", {}, Exception("refused for the test"))

    monkeypatch.setattr(search, "index_version", refuse)
    outcome = import_cable(
        session, None, "a.txt", cable_text("09TEST9").encode(), max_bytes=MAX_BYTES
    )
    assert outcome.status is ImportStatus.FAILED
    assert "a.txt" in outcome.error and "refused for the test" in outcome.error
    assert row_counts(session) == dict.fromkeys(row_counts(session), 0)

    # The session is still usable, and the next file lands whole.
    monkeypatch.setattr(search, "index_version", real)
    outcome = import_cable(
        session, None, "b.txt", cable_text("09TEST10").encode(), max_bytes=MAX_BYTES
    )
    session.commit()
    assert outcome.status is ImportStatus.IMPORTED
    assert row_counts(session)["cables"] == 1


def test_an_oversized_file_is_refused_by_its_size(app, session, tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(cable_text("09BIG1").encode() + b"x" * 20_000)

    summary = import_batch(
        app.extensions["redactor.sessions"],
        None,
        iter_import_sources([big]),
        max_bytes=10_000,
    )
    direct = import_cable(session, None, "big.txt", big.read_bytes(), max_bytes=10_000)

    assert summary.failed == 1
    assert "big.txt: too large" in summary.failures[0].error
    assert "10,000 bytes" in summary.failures[0].error
    assert direct.status is ImportStatus.FAILED and "too large" in direct.error
    assert count(session, Cable) == 0


def test_a_zip_bomb_member_is_read_no_further_than_the_limit(session, tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bomb.txt", cable_text("09BOMB1") + "A" * 3_000_000)
    sources = iter_import_sources([archive])  # the archive stays open while this runs
    source = next(sources)
    assert source.size > 1_000_000

    # A member whose declared size lies is still cut at the limit when read.
    lying = ImportSource(name=source.name, reader=source.reader, size=None)
    outcome = import_source(session, None, lying, max_bytes=1_000_000)

    assert outcome.status is ImportStatus.FAILED
    assert outcome.error == "bomb.zip:bomb.txt: too large (more than 1,000,000 bytes)"
    by_size = import_source(session, None, source, max_bytes=1_000_000)
    assert by_size.error.startswith("bomb.zip:bomb.txt: too large (3,000,")


def test_zip_member_names_are_names_and_never_paths(app, session, tmp_path, monkeypatch):
    sandbox = tmp_path / "sandbox"
    work = sandbox / "work" / "deeper"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)

    summary = import_batch(
        app.extensions["redactor.sessions"],
        None,
        iter_import_sources([MIXED_ZIP]),
        max_bytes=MAX_BYTES,
    )

    assert summary.imported == GOOD_IN_ZIP
    assert sorted(p.name for p in sandbox.rglob("*")) == ["deeper", "work"]
    names = session.scalars(select(CableVersion.source_name)).all()
    assert "mixed.zip:../../outside/09ZIPTEST2.txt" in names


def test_unreadable_sources_are_failed_outcomes_not_exceptions(session, tmp_path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    missing = tmp_path / "missing.txt"

    sources = list(iter_import_sources([missing, broken]))
    outcomes = [import_source(session, None, s, max_bytes=MAX_BYTES) for s in sources]

    assert [o.status for o in outcomes] == [ImportStatus.FAILED] * 2
    assert outcomes[0].error == f"{missing}: no such file or folder"
    assert outcomes[1].error.startswith("broken.zip: not a readable zip archive")


def test_folders_are_walked_recursively_for_txt_files_in_sorted_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "z").mkdir(parents=True)
    for relative in ("b/2.txt", "a/z/1.TXT", "a/0.txt", "a/notes.md", "c.txt"):
        (tmp_path / relative).write_text("x")

    names = [s.name for s in iter_import_sources([tmp_path])]

    top = tmp_path.name  # named relative to the folder given, never by its absolute path
    assert names == [f"{top}/c.txt", f"{top}/a/0.txt", f"{top}/a/z/1.TXT", f"{top}/b/2.txt"]


def test_names_with_control_characters_or_300_characters_are_shown_safely(session):
    data = cable_text("09TEST11").encode()
    long_name = "n" * 400 + ".txt"

    escaped = import_cable(session, None, "evil\x00\u202ename.txt", b"", max_bytes=MAX_BYTES)
    stored = import_cable(session, None, long_name, data, max_bytes=MAX_BYTES)
    session.flush()

    assert escaped.error == "evil\\x00\\x202ename.txt: empty file"
    assert len(stored.name) == 300 and stored.name.endswith("…")
    assert session.scalars(select(CableVersion.source_name)).one() == stored.name


def test_batch_commits_in_chunks_and_reports_progress_for_every_file(app, session):
    seen: list[tuple[int, str]] = []
    committed_at_first_progress: list[int] = []
    factory = app.extensions["redactor.sessions"]

    def progress(done, outcome):
        seen.append((done, outcome.status))
        if done == 10:
            with factory() as other:
                committed_at_first_progress.append(count(other, Cable))

    summary = import_batch(
        factory,
        None,
        iter_import_sources([FIXTURE_CABLES_DIR]),
        max_bytes=MAX_BYTES,
        chunk_size=10,
        progress=progress,
    )

    assert summary.imported == FIXTURE_CABLE_COUNT
    assert [done for done, _ in seen] == list(range(1, FIXTURE_CABLE_COUNT + 1))
    # The first chunk of ten was committed before it was reported.
    assert committed_at_first_progress == [10]


def test_import_in_memory_zip_bytes_with_good_and_bad_members(session):
    from redactor.cables.service import iter_zip_sources

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("one.txt", cable_text("09MEM1"))
        z.writestr("folder/", "")
        z.writestr("two.txt", b"\xff\xfe")
    buffer.seek(0)

    outcomes = [
        import_source(session, None, s, max_bytes=MAX_BYTES)
        for s in iter_zip_sources("upload.zip", buffer)
    ]

    assert [(o.name, o.status) for o in outcomes] == [
        ("upload.zip:one.txt", ImportStatus.IMPORTED),
        ("upload.zip:two.txt", ImportStatus.FAILED),
    ]


@pytest.mark.parametrize("chunk_size", [0, -1])
def test_batch_refuses_a_chunk_size_below_one(app, chunk_size):
    with pytest.raises(ValueError, match="chunk_size"):
        import_batch(
            app.extensions["redactor.sessions"], None, [], max_bytes=1, chunk_size=chunk_size
        )


def test_the_sample_cables_import_and_cover_every_classification_of_the_demo(app, session):
    from redactor.cables.samples import sample_cable_paths

    paths = sample_cable_paths()
    summary = import_batch(
        app.extensions["redactor.sessions"], None, iter_import_sources(paths), max_bytes=MAX_BYTES
    )

    assert summary.imported == len(paths) >= 8 and summary.ok
    classifications = set(session.scalars(select(Cable.classification)))
    assert classifications == {
        "UNCLASSIFIED",
        "UNCLASSIFIED//FOR OFFICIAL USE ONLY",
        "CONFIDENTIAL",
        "CONFIDENTIAL//NOFORN",
        "SECRET",
        "SECRET//NOFORN",
    }
    assert "09STATE52368" in {path.stem for path in paths}
