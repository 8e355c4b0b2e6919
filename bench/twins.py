"""The planted-copy benchmark of the twin index, on real cables.

``python bench/twins.py CORPUS_FOLDER [--cables 2000] [--plants 100] [--seed 7]
[--db sqlite|postgresql]``

Takes ``--cables`` real cables of the folder (a seeded sample) as the collection and plants,
``--plants`` of each kind, new cables (with new reference ids) made from cables of the
collection:

* **edited**: re-keyed with small edits: the text in capitals, lines wrapped anew, two words
  of each portion replaced and one dropped;
* **noisy**: 5% of the characters of the body changed as OCR changes them (look-alike
  letters, dropped and doubled characters);
* **quoted**: a cable from outside the collection, with one portion of a collection cable
  (at least 200 normalised characters) quoted inside one of its own portions.

Everything is imported with the ordinary batch import, twice, each into a fresh database:
once with the twin index switched off (the baseline rate) and once with it. Reported:

* **found**: the share of planted copies found: for an edited or noisy copy, each indexed
  portion of the source cable that is a twin of some portion of the copy; for a quotation,
  the quoted portion found as a twin of the host's portion. Also the share of edited and
  noisy copies recorded as duplicate cables;
* **false candidates per 100 portions**: twin pairs the index reports that involve no plant
  and whose two texts share no run of 8 normalised words (so neither a copy nor a passage in
  common: the corpus has many true twins of its own, boilerplate and re-sent cables, which
  are not false);
* **ms per cable added to import**: the wall time of the import with the index, less the
  baseline, per cable.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from bench import cpu_model  # noqa: E402
from redactor.cables.parser import decode_cable_bytes, parse_cable  # noqa: E402
from redactor.cables.service import import_batch, iter_import_sources  # noqa: E402
from redactor.consistency import twins  # noqa: E402
from redactor.consistency.models import TwinCable, TwinPortion  # noqa: E402
from redactor.consistency.shingles import normal_text  # noqa: E402
from redactor.db import make_engine, make_session_factory  # noqa: E402
from redactor.migrations import upgrade_database  # noqa: E402
from redactor.models import Cable, CableVersion  # noqa: E402

MAX_BYTES = 5 * 1024 * 1024
_OCR = {"o": "0", "0": "o", "l": "1", "1": "l", "i": "l", "e": "c", "c": "e", "s": "5",
        "5": "s", "b": "h", "h": "b", "m": "n", "n": "m", "u": "v", "v": "u", "a": "o",
        "g": "q", "q": "g", "t": "f", "f": "t", "r": "n", "d": "cl"}
_WORD = re.compile(r"[A-Za-z]{4,}")


def _body_start(text: str) -> int:
    # The first six lines (id, dates, classification, origin, blank) stay as they are, so
    # that the plant imports with its own id and level.
    pos = 0
    for _ in range(6):
        pos = text.index("\n", pos) + 1
    return pos


def noisy(text: str, rng: random.Random, rate: float = 0.05) -> str:
    """``text`` with ``rate`` of its body's characters changed as OCR does."""
    start = _body_start(text)
    out = [text[:start]]
    for ch in text[start:]:
        if ch.isalnum() and rng.random() < rate:
            roll = rng.random()
            if roll < 0.6:
                low = ch.lower()
                new = _OCR.get(low, rng.choice("abcdefghijklmnopqrstuvwxyz"))
                out.append(new.upper() if ch.isupper() else new)
            elif roll < 0.8:
                continue  # dropped
            else:
                out.append(ch + ch)  # doubled
        else:
            out.append(ch)
    return "".join(out)


def edited(text: str, rng: random.Random) -> str:
    """``text`` re-keyed: capitals, lines wrapped anew, a few words replaced or dropped."""
    start = _body_start(text)
    parsed = parse_cable(text)
    body = list(text)
    for p in parsed.paragraphs:
        words = list(_WORD.finditer(text, p.start, p.end))
        for m in rng.sample(words, min(3, len(words))):
            replacement = rng.choice(["", "REPORTEDLY", "ALSO", "NOW"])
            body[m.start()] = replacement
            for i in range(m.start() + 1, m.end()):
                body[i] = ""
    out = "".join(body)
    head, rest = out[:start], out[start:].upper()
    # Wrap again at 60 columns: every single line break becomes a space first.
    paragraphs = rest.split("\n\n")
    wrapped = []
    for para in paragraphs:
        words = para.replace("\n", " ").split(" ")
        lines, line = [], ""
        for w in words:
            if len(line) + len(w) > 60:
                lines.append(line)
                line = w
            else:
                line = f"{line} {w}" if line else w
        lines.append(line)
        wrapped.append("\n".join(lines))
    return head + "\n\n".join(wrapped)


def quoted(host: str, source: str, rng: random.Random) -> tuple[str, int] | None:
    """``host`` with a portion of ``source`` (index returned) quoted inside one of its
    portions; None when either has no portion fit for it."""
    hp = [p for p in parse_cable(host).paragraphs if p.kind == "portion" and p.end > p.start]
    sp = [
        p for p in parse_cable(source).paragraphs
        if p.kind == "portion" and len(normal_text(source, p.start, p.end)) >= 200
    ]
    if not hp or not sp:
        return None
    target, quote = rng.choice(hp), rng.choice(sp)
    inner = source[quote.start : quote.end]
    insert = f" BEGIN QUOTE: {inner.replace(chr(10) + chr(10), chr(10))} END QUOTE. "
    return host[: target.end] + insert + host[target.end :], quote.index


def _words8(norm: str) -> set[int]:
    words = norm.split()
    return {hash(tuple(words[i : i + 8])) for i in range(max(0, len(words) - 7))}


def build(folder: Path, cables: int, plants: int, seed: int, out: Path) -> dict:
    """Write the collection and the plants into ``out``; returns the plan of the plants."""
    rng = random.Random(seed)
    files = sorted(folder.glob("*.txt"))
    rng.shuffle(files)
    texts = []
    for f in files:
        try:
            texts.append((f.stem, decode_cable_bytes(f.read_bytes())))
        except Exception:  # noqa: BLE001 - a file the importer would refuse anyway
            continue
    base, outside = texts[:cables], texts[cables:]
    for name, text in base:
        (out / f"{name}.txt").write_text(text, encoding="utf-8")
    plan: dict[str, list] = {"edited": [], "noisy": [], "quoted": []}
    serial = 900000
    for kind in ("edited", "noisy"):
        for name, text in rng.sample(base, plants):
            serial += 1
            new_id = f"99PLANT{serial}"
            body = edited(text, rng) if kind == "edited" else noisy(text, rng)
            body = new_id + body[body.index("\n") :]
            (out / f"{new_id}.txt").write_text(body, encoding="utf-8")
            plan[kind].append((new_id, name))
    hosts = iter(outside)
    while len(plan["quoted"]) < plants:
        host_name, host = next(hosts)
        source_name, source = rng.choice(base)
        made = quoted(host, source, rng)
        if made is None:
            continue
        serial += 1
        new_id = f"99PLANT{serial}"
        body, index = made
        body = new_id + body[body.index("\n") :]
        (out / f"{new_id}.txt").write_text(body, encoding="utf-8")
        plan["quoted"].append((new_id, source_name, index))
    return plan


def run_import(url: str, folder: Path, *, index: bool) -> float:
    """Import ``folder`` into ``url`` (migrated first); returns the wall time in seconds."""
    upgrade_database(url)
    engine = make_engine(url)
    factory = make_session_factory(engine, audit_key=os.urandom(32))
    real = twins.index_version
    if not index:
        twins.index_version = lambda *a, **k: 0  # the baseline: the import without the index
    try:
        t0 = time.perf_counter()
        summary = import_batch(factory, None, iter_import_sources([folder]), max_bytes=MAX_BYTES)
        elapsed = time.perf_counter() - t0
    finally:
        twins.index_version = real
        engine.dispose()
    if summary.failed:
        print(f"  ({summary.failed} files refused by the import)")
    return elapsed


def evaluate(url: str, plan: dict) -> dict:
    """Recall on the plants and false candidates, read from the database at ``url``."""
    engine = make_engine(url)
    factory = make_session_factory(engine, audit_key=os.urandom(32))
    with factory() as session:
        ids = dict(session.execute(select(Cable.reference_id, Cable.id)).all())
        current = dict(session.execute(
            select(Cable.id, CableVersion.id).join(
                CableVersion, (CableVersion.cable_id == Cable.id)
                & (CableVersion.number == Cable.current_version)
            )
        ).all())
        pairs = session.execute(
            select(TwinPortion.version_id, TwinPortion.portion_index,
                   TwinPortion.twin_version_id, TwinPortion.twin_portion_index)
        ).all()
        duplicates = set(
            session.execute(select(TwinCable.cable_id, TwinCable.twin_cable_id)).all()
        )
        version_cable = {v: c for c, v in current.items()}
        twin_of: dict[tuple[int, int], set[tuple[int, int]]] = {}
        for v, i, tv, ti in pairs:
            twin_of.setdefault((v, i), set()).add((tv, ti))
        texts = {}
        portions_total = 0
        for vid, text in session.execute(select(CableVersion.id, CableVersion.text)):
            if vid in version_cable:
                parsed = parse_cable(text)
                indexed = twins.indexable_portions(
                    text, [(p.index, p.kind, p.start, p.end) for p in parsed.paragraphs]
                )
                texts[vid] = {p.index: p.text for p in indexed}
                portions_total += len(indexed)
    engine.dispose()
    result: dict = {}
    planted_cables: set[int] = set()
    planted_pairs: set[frozenset] = set()
    for kind in ("edited", "noisy"):
        found = total = dup = 0
        for new_id, source_id in plan[kind]:
            new_c, src_c = ids.get(new_id), ids.get(source_id)
            if new_c is None or src_c is None:
                continue
            planted_cables.add(new_c)
            new_v, src_v = current[new_c], current[src_c]
            planted_pairs.add(frozenset((new_c, src_c)))
            for index in texts.get(src_v, {}):
                total += 1
                if any(tv == new_v for tv, _ in twin_of.get((src_v, index), ())):
                    found += 1
            dup += (new_c, src_c) in duplicates
        result[kind] = {"found": found, "of": total, "duplicates": dup, "plants": len(plan[kind])}
    found = total = 0
    for new_id, source_id, index in plan["quoted"]:
        new_c, src_c = ids.get(new_id), ids.get(source_id)
        if new_c is None or src_c is None or index not in texts.get(current[src_c], {}):
            continue
        planted_cables.add(new_c)
        planted_pairs.add(frozenset((new_c, src_c)))
        total += 1
        found += any(tv == current[new_c] for tv, _ in twin_of.get((current[src_c], index), ()))
    result["quoted"] = {"found": found, "of": total}
    false = natural = 0
    seen = set()
    for v, i, tv, ti in pairs:
        key = frozenset(((v, i), (tv, ti)))
        if key in seen:
            continue
        seen.add(key)
        a, b = version_cable.get(v), version_cable.get(tv)
        if frozenset((a, b)) in planted_pairs:
            continue
        # A plant's other twins (its source's boilerplate) are judged like any pair.
        if _words8(texts.get(v, {}).get(i, "")) & _words8(texts.get(tv, {}).get(ti, "")):
            natural += 1
        else:
            false += 1
    result["portions"] = portions_total
    result["natural_pairs"] = natural
    result["false_pairs"] = false
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--cables", type=int, default=2000)
    parser.add_argument("--plants", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-admin-url", default=os.environ.get("REDACTOR_TEST_POSTGRES_URL"))
    args = parser.parse_args(argv)
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cables"
        folder.mkdir()
        plan = build(args.corpus, args.cables, args.plants, args.seed, folder)
        count = len(list(folder.glob("*.txt")))
        print(f"{count} cables: {args.cables} real, {3 * args.plants} planted")
        twins.permutations()  # the one-time import of datasketch is not the import's cost
        times = {}
        urls = {}
        for index in (False, True):
            if args.db == "postgresql":
                from bench.import_cables import create_pg_database

                name, url = create_pg_database(args.pg_admin_url)
                urls[index] = (name, url)
            else:
                url = f"sqlite:///{tmp}/twins-{int(index)}.db"
                urls[index] = (None, url)
            times[index] = run_import(url, folder, index=index)
            label = "with the twin index" if index else "without (baseline)"
            print(f"  import {label}: {times[index]:.1f} s, {count / times[index]:.0f} cables/s")
        result = evaluate(urls[True][1], plan)
        if args.db == "postgresql":
            from bench.import_cables import drop_pg_database

            for name, _ in urls.values():
                drop_pg_database(args.pg_admin_url, name)
    added = (times[True] - times[False]) * 1000 / count
    print(f"ms per cable added to import: {added:.1f}")
    for kind in ("edited", "noisy", "quoted"):
        r = result[kind]
        share = 100 * r["found"] / max(1, r["of"])
        extra = ""
        if "duplicates" in r:
            extra = f"; duplicates recorded {r['duplicates']}/{r['plants']}"
        print(f"{kind:>7}: found {r['found']}/{r['of']} portions ({share:.1f} %){extra}")
    found = sum(result[k]["found"] for k in ("edited", "noisy", "quoted"))
    total = sum(result[k]["of"] for k in ("edited", "noisy", "quoted"))
    per100 = 100 * result["false_pairs"] / max(1, result["portions"])
    print(f"  all planted: {100 * found / max(1, total):.1f} % found")
    print(f"indexed portions {result['portions']}; twin pairs besides plants: "
          f"{result['natural_pairs']} sharing 8 words, {result['false_pairs']} false "
          f"({per100:.2f} per 100 portions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
