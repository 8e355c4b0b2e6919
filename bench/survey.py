"""Survey what the parser finds over a folder of cables: the tool for finding the next error class.

``python -m bench.survey FOLDER [--samples N] [--long N] [--json FILE]``

For every ``*.txt`` file under FOLDER (decoded with :func:`decode_cable_bytes`, parsed with
:func:`parse_cable`) it counts:

* **fields found**: how many cables have each header field (subject, tags, references,
  Classified By and its reasons, DECL, signature, ...);
* **warnings by kind**: how many cables carry each warning code (and how many warnings);
* **references**: how many carry a cable id, how many of those name a station that some
  reference id of the folder uses, and how many name a cable that is in the folder itself;
* **suspicious samples** (up to ``--samples`` of each): subjects longer than ``--long``
  characters or holding another field's label, a page break or body text, tags outside the
  TAGS vocabulary of the folder (a tag is in the vocabulary when at least three cables' tag
  lists hold it), tags that are not tag-shaped, references whose station no reference id of
  the folder uses, and cables with no subject.

The vocabulary and the stations are learned from the folder itself, so the tool works on any
collection; nothing is read from the network. ``--json`` also writes the figures (not the
samples) to FILE, so that two runs can be compared.

It reads only attributes the parser has had from the start, and newer ones (such as the
canonical id of a section copy) with ``getattr``, so it runs on old and new parsers alike:
that is how the "before" figures of ``docs/parser.md`` were taken.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from redactor.cables.parser import Cable, decode_cable_bytes, parse_cable

_REF_ID_RE = re.compile(r"^(\d{2})([A-Z]+?)(\d+)$")
_TAG_SHAPE_RE = re.compile(
    r"^(?:[A-Z]{2,6}|[A-Z][A-Z'\-]+(?: [A-Z][A-Z'\-.]*)*,? ?\(.*\)|[A-Z]+ [A-Z ,.'\-]+)$"
)
# What a subject holds when it ran on into the next field, a page break or the body.
_RUN_ON_RE = re.compile(
    r"(?:\b(?:REFS?|REFTELS?|TAGS|DECL)\s*:|Classified\s+By|CLASSIFIED\s+BY|E\.O\.\s*\d"
    r"|\d{8}\s+\d{3}(?:\.\d)?\s+OF\s+\d{3}|SENSITIVE BUT UNCLASSIFIED|\bSUMMARY\s*-{3,}"
    r"|\t|\bSIPDIS\b|\bSECTION \d+ OF \d+)"
)


def station_of(ref_id: str) -> str | None:
    """The station word of a reference id ("08MANAMA492" -> "MANAMA"), or None."""
    m = _REF_ID_RE.match(ref_id)
    return m.group(2) if m else None


def load(folder: Path) -> list[tuple[str, Cable]]:
    out = []
    for path in sorted(folder.rglob("*.txt")):
        try:
            text = decode_cable_bytes(path.read_bytes())
        except ValueError:
            continue
        out.append((path.stem, parse_cable(text)))
    return out


def _canonical(cable: Cable) -> str | None:
    cid = getattr(cable, "canonical_id", None)
    if cid:
        return cid
    return cable.reference_id.value if cable.reference_id else None


def survey(cables: list[tuple[str, Cable]], *, long: int = 200) -> tuple[dict, dict]:
    """Return (figures, samples) for the parsed cables (see the module docstring)."""
    n = len(cables)
    ids = {_canonical(c) for _, c in cables} - {None}
    stations = Counter(station_of(i) for i in ids if station_of(i))
    tag_cables: Counter[str] = Counter()
    for _, c in cables:
        tag_cables.update(set(c.tags))
    vocab = {t for t, k in tag_cables.items() if k >= 3}

    fields: Counter[str] = Counter()
    warn_cables: Counter[str] = Counter()
    warn_total: Counter[str] = Counter()
    refs = Counter()
    samples: dict[str, list[str]] = defaultdict(list)

    for name, c in cables:
        present = {
            "reference_id": c.reference_id is not None,
            "header": c.header is not None,
            "banner": c.banner is not None,
            "decl": c.decl is not None,
            "decl_date": c.decl is not None and c.decl.date is not None,
            "tags": bool(c.tags),
            "subject": c.subject is not None,
            "references": bool(c.references),
            "classified_by": c.classified_by is not None,
            "classified_by_name": c.classified_by is not None and bool(c.classified_by.by),
            "classified_by_reasons": c.classified_by is not None and bool(c.classified_by.reasons),
            "signature": c.signature is not None,
            "portions": any(p.kind == "portion" for p in c.paragraphs),
            "in sections (N OF M)": bool(getattr(c, "section", None)),
        }
        fields.update(k for k, v in present.items() if v)
        for code in {w.code for w in c.warnings}:
            warn_cables[code] += 1
        warn_total.update(w.code for w in c.warnings)

        if c.subject is None:
            samples["no subject"].append(name)
        elif _RUN_ON_RE.search(c.subject.value):
            samples["run-on subject"].append(f"{name}: {c.subject.value[:200]!r}")
        elif len(c.subject.value) > long:
            samples["long subject"].append(f"{name}: {c.subject.value[:200]!r}")
        for t in dict.fromkeys(c.tags):
            if t not in vocab:
                shape = "" if _TAG_SHAPE_RE.match(t) else " [not tag-shaped]"
                samples["tag outside the vocabulary"].append(f"{name}: {t[:80]!r}{shape}")
        if len(c.tags) > 15:
            samples["more than 15 tags"].append(f"{name}: {len(c.tags)} tags")
        for r in c.references:
            refs["references"] += 1
            if not r.cable_id:
                continue
            refs["with a cable id"] += 1
            st = station_of(r.cable_id)
            if getattr(r, "station_known", False):
                refs["station known to the parser"] += 1
            if st in stations:
                refs["station in the folder's ids"] += 1
            elif not getattr(r, "station_known", False):
                samples["reference to no known station"].append(
                    f"{name}: {r.cable_id} from {r.text[:60]!r}"
                )
            if r.cable_id in ids:
                refs["cable in the folder"] += 1
    figures = {
        "cables": n,
        "stations learned": len(stations),
        "tag vocabulary": len(vocab),
        "fields": dict(sorted(fields.items())),
        "warnings (cables)": dict(sorted(warn_cables.items())),
        "warnings (total)": dict(sorted(warn_total.items())),
        "references": dict(refs),
        "suspicious": {k: len(v) for k, v in sorted(samples.items())},
    }
    return figures, samples


def report(figures: dict, samples: dict, limit: int, out=sys.stdout) -> None:
    n = figures["cables"] or 1
    print(
        f"cables: {figures['cables']}   stations learned: {figures['stations learned']}"
        f"   tag vocabulary: {figures['tag vocabulary']}",
        file=out,
    )
    print("\nfields found (cables):", file=out)
    for k, v in figures["fields"].items():
        print(f"  {k:24} {v:6}  {100 * v / n:5.1f}%", file=out)
    print("\nwarnings by kind (cables, warnings):", file=out)
    for k, v in figures["warnings (cables)"].items():
        print(f"  {k:30} {v:6} {figures['warnings (total)'][k]:7}", file=out)
    print("\nreferences:", file=out)
    for k, v in figures["references"].items():
        print(f"  {k:24} {v:6}", file=out)
    print("\nsuspicious:", file=out)
    for k, v in samples.items():
        print(f"  {k}: {len(v)}", file=out)
        for s in v[:limit]:
            print(f"    {s}", file=out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.survey", description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--samples", type=int, default=10, help="samples shown per kind")
    ap.add_argument("--long", type=int, default=200, help="a subject longer than this is shown")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)
    figures, samples = survey(load(args.folder), long=args.long)
    report(figures, samples, args.samples)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
