"""Benchmark release files: ms per PDF, and a release package of N cables end to end.

``python -m bench.pdf [--runs 50] [--count 1000] [--workers N]``

1. **Per document** (no database): the seed cable ``09STATE52368`` (11 KB) and a 100 KB cable
   built from fixture paragraphs, each with a name redacted in every fifth paragraph.
   Reported separately, median of ``--runs`` after a warm-up (wall clock, and CPU time of
   this process, the steadier figure on a shared machine): building the releasable document
   (:func:`render_release`), typesetting the PDF (:func:`write_pdf`, the Typst compiler
   reused, as in a server process; a new document number each run, so that no cache answers
   for a document already typeset), and the release gate on the three files.
2. **Package, end to end** (SQLite in a temporary folder): ``--count`` cables generated from
   the fixtures are imported, one redaction each is proposed and approved and every portion
   marked reviewed (setup, timed but not the point), then every cable is released through
   :func:`release_cable` (render, PDF, text, JSON, gate, store, audit; one commit each) by
   ``--workers`` processes at once (one per CPU by default, as that many release
   authorities in as many server workers would), and one ZIP of all of them is built with
   :func:`export_package`. The figure that counts is release + export; the CPU time of the
   processes is reported beside it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select

from bench import cpu_model
from bench.corpus import generate
from redactor.accounts import service as accounts
from redactor.cables.parser import parse_cable
from redactor.cables.service import import_batch, iter_import_sources
from redactor.db import make_engine, make_session_factory
from redactor.migrations import upgrade_database
from redactor.models import Cable, CableStatus, Portion, User
from redactor.redaction import service as redactions
from redactor.release import service as releases
from redactor.release.render import render_release
from redactor.release.writers import write_pdf
from redactor.review import service as review
from redactor.review.policy import Level, Role

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "data" / "cables"
SEED = FIXTURES / "09STATE52368.txt"
MAX_BYTES = 5 * 1024 * 1024
DAY = date(2015, 12, 31)


def big_cable(target: int = 100_000) -> str:
    """A cable of about ``target`` bytes: the seed cable's head, then fixture paragraphs."""
    seed = SEED.read_text(encoding="utf-8")
    head = seed[: seed.index("1. (C)")]
    paragraphs = []
    for path in sorted(FIXTURES.glob("*.txt")):
        parsed = parse_cable(path.read_text(encoding="utf-8"))
        paragraphs += [parsed.text[p.start : p.end] for p in parsed.paragraphs if p.number]
    body, number = [], 1
    while len(head) + sum(len(p) + 2 for p in body) < target:
        text = paragraphs[(number - 1) % len(paragraphs)]
        body.append(f"{number}. (C) " + text.split(")", 1)[-1].strip())
        number += 1
    return head + "\n\n".join(body) + "\n"


def redactions_for(text: str) -> list[tuple[int, int, str]]:
    """A two-word span in every fifth paragraph (codes B6)."""
    parsed = parse_cable(text)
    spans = []
    for paragraph in parsed.paragraphs[::5]:
        words = text[paragraph.start : paragraph.end].split(" ")
        if len(words) > 6:
            start = paragraph.start + len(" ".join(words[:3])) + 1
            spans.append((start, start + len(words[3]) + 1 + len(words[4]), "B6"))
    return spans


def medians_ms(function, runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds of ``function(i)`` for i in 0..runs-1, after a
    warm-up call ``function(-1)`` (which loads the fonts on the first PDF). CPU time is the
    steadier figure on a machine shared with other work."""
    function(-1)
    walls, cpus = [], []
    for index in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        function(index)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def per_document(runs: int) -> list[dict]:
    results = []
    for name, text in (("11 KB", SEED.read_text(encoding="utf-8")), ("100 KB", big_cable())):
        spans = redactions_for(text)
        parsed = parse_cable(text)

        def render(index=0, text=text, spans=spans, parsed=parsed):
            return render_release(
                text,
                spans,
                case_number="F-2015-00001",
                doc_number=f"C{index + 2:08d}",
                release_date=DAY,
                page_break_spans=[(p.start, p.end) for p in parsed.page_breaks],
            )

        doc = render()
        files = releases.write_artifacts(doc)
        hidden = [text[a:b] for a, b, _ in spans]
        render_ms, render_cpu = medians_ms(render, runs)
        # A new document (its own number) each run, as in a release: typesetting the same
        # document again would be partly answered from the compiler's and writer's caches.
        docs = [render(i) for i in range(-1, runs)]
        pdf_ms, pdf_cpu = medians_ms(lambda i, docs=docs: write_pdf(docs[i + 1]), runs)
        gate_runs = max(5, runs // 5)
        gate_ms, gate_cpu = medians_ms(
            lambda i, doc=doc, files=files, hidden=hidden: releases.gate(doc, files, hidden),
            gate_runs,
        )
        assert releases.gate(doc, files, hidden) == []
        print(
            f"{name} cable ({len(text.encode()):,} bytes, {len(spans)} excisions, "
            f"{len(files['pdf']):,}-byte PDF): render {render_ms:.1f} ms, "
            f"PDF {pdf_ms:.1f} ms (CPU {pdf_cpu:.1f}), gate {gate_ms:.1f} ms "
            f"(CPU {gate_cpu:.1f}) (medians of {runs} runs, {gate_runs} for the gate)"
        )
        results.append({
            "cable": name, "bytes": len(text.encode()), "excisions": len(spans),
            "pdf_bytes": len(files["pdf"]), "render_ms": round(render_ms, 2),
            "pdf_ms": round(pdf_ms, 2), "gate_ms": round(gate_ms, 2), "runs": runs,
            "pdf_cpu_ms": round(pdf_cpu, 2), "gate_cpu_ms": round(gate_cpu, 2),
            "gate_runs": gate_runs,
        })
    return results


def release_share(url: str, audit_key: bytes, rex_id: int, cable_ids: list[int]):
    """Release ``cable_ids`` one by one as the user ``rex_id`` (a commit each), in this
    process; returns the release ids and the CPU seconds it took."""
    engine = make_engine(url)
    session = make_session_factory(engine, audit_key=audit_key)()
    cpu_started = time.process_time()
    rex = session.get(User, rex_id)
    ids = []
    for cable_id in cable_ids:
        release = releases.release_cable(session, rex, session.get(Cable, cable_id),
                                         release_date=DAY)
        session.commit()
        ids.append(release.id)
    cpu = time.process_time() - cpu_started
    session.close()
    engine.dispose()
    return ids, cpu


def package(count: int, workers: int = 2) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="redactor-bench-pdf-"))
    try:
        (folder / "cables").mkdir()
        generate(folder / "cables", count)
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
        upgrade_database(url)
        engine = make_engine(url)
        audit_key = os.urandom(32)
        factory = make_session_factory(engine, audit_key=audit_key)
        started = time.perf_counter()
        import_batch(factory, None, iter_import_sources([folder / "cables"]), max_bytes=MAX_BYTES)
        session = factory()
        people = {}
        for name, role in (
            ("rita", Role.REVIEWER),
            ("anna", Role.APPROVER),
            ("rex", Role.RELEASE_AUTHORITY),
        ):
            people[name] = accounts.create_user(
                session, None, name, accounts.generate_password(), [role], Level.TOP_SECRET
            )
        session.commit()
        cable_ids = list(session.scalars(select(Cable.id).order_by(Cable.id)))
        for cable_id in cable_ids:
            cable = session.get(Cable, cable_id)
            version = review.version_of(session, cable)
            portions = session.scalars(
                select(Portion).where(Portion.version_id == version.id).order_by(Portion.index)
            ).all()
            spans = redactions_for(version.text)
            if spans:
                start, end, codes = spans[0]
                proposal = redactions.propose(
                    session, people["rita"], cable, start=start, end=end, codes=codes
                )
                redactions.approve(
                    session, people["anna"], proposal, expected_row_version=proposal.row_version
                )
            for portion in portions:
                review.mark_portion_reviewed(session, people["rita"], cable, portion.index)
            session.commit()
        setup = time.perf_counter() - started

        ready = [
            cable_id for cable_id in cable_ids
            if session.get(Cable, cable_id).status == CableStatus.READY
        ]
        skipped = len(cable_ids) - len(ready)  # no portions: nothing to review
        rex_id = people["rex"].id
        session.close()
        engine.dispose()  # no connection crosses into the release processes

        # The releases, by ``workers`` processes at once (as that many release authorities
        # would, each in a server worker): each its own share, its own connection.
        started = time.perf_counter()
        context = multiprocessing.get_context("spawn")
        with context.Pool(workers) as pool:
            shares = [ready[index::workers] for index in range(workers)]
            done = pool.starmap(
                release_share, [(url, audit_key, rex_id, share) for share in shares if share]
            )
        released = time.perf_counter() - started
        release_ids = sorted(release_id for ids, _cpu in done for release_id in ids)
        released_cpu = sum(cpu for _ids, cpu in done)
        count = len(release_ids)

        engine = make_engine(url)
        session = make_session_factory(engine, audit_key=audit_key)()
        people["rex"] = session.get(User, rex_id)
        started, cpu_started = time.perf_counter(), time.process_time()
        data = releases.export_package(session, people["rex"], release_ids)
        session.commit()
        exported = time.perf_counter() - started
        exported_cpu = time.process_time() - cpu_started
        session.close()
        engine.dispose()
        print(
            f"package of {count:,} cables ({skipped} generated cables without portions left "
            f"out): setup (import + review) {setup:.1f} s; "
            f"release by {workers} processes {released:.1f} s "
            f"({released / count * 1000:.0f} ms per cable); "
            f"export {exported:.1f} s ({len(data) / 1e6:.1f} MB ZIP); "
            f"release + export {released + exported:.1f} s "
            f"(CPU time of the processes: {released_cpu + exported_cpu:.1f} s, "
            f"{released_cpu / count * 1000:.0f} ms per cable released)"
        )
        return {
            "cables": count, "without_portions": skipped, "setup_s": round(setup, 1),
            "workers": workers,
            "release_s": round(released, 2), "ms_per_cable": round(released / count * 1000, 1),
            "export_s": round(exported, 2), "zip_mb": round(len(data) / 1e6, 2),
            "total_s": round(released + exported, 2),
            "release_cpu_s": round(released_cpu, 2), "export_cpu_s": round(exported_cpu, 2),
            "cpu_ms_per_cable": round(released_cpu / count * 1000, 1),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per document")
    parser.add_argument("--count", type=int, default=1000, help="cables in the package")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes releasing at once (default: one per CPU)")
    args = parser.parse_args(argv)
    per_document(args.runs)
    if args.count:
        package(args.count, args.workers)
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
