"""A parsed :class:`~redactor.cables.parser.Cable` as plain JSON-ready values.

Pure: standard library only. Used by the ``redactor parse`` command and meant for the API:
every key is always present (``None`` or empty where the cable has no such element), dates
are ISO 8601 strings, and offsets are ``[start, end)`` code points into the cable text.
"""

from __future__ import annotations

from typing import Any

from redactor.cables.parser import Cable, Marking, TextField


def _value(f: TextField | None) -> str | None:
    return f.value if f is not None else None


def _span(obj: Any) -> list[int] | None:
    return [obj.start, obj.end] if obj is not None else None


def _marking(m: Marking | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"raw": m.raw, "level": m.level, "caveats": list(m.caveats), "start": m.start,
            "end": m.end}


def cable_to_dict(cable: Cable, file: str | None = None) -> dict[str, Any]:
    """Return the cable as a dict of JSON-serialisable values (see the module docstring).

    ``file`` is recorded under ``"file"`` (None when the cable did not come from a file).
    """
    h = cable.header
    d = cable.decl
    cb = cable.classified_by
    return {
        "file": file,
        "reference_id": _value(cable.reference_id),
        "canonical_id": cable.canonical_id,
        "section": list(cable.section) if cable.section else None,
        "created": cable.created.isoformat() if cable.created else None,
        "released": cable.released.isoformat() if cable.released else None,
        "classification": _value(cable.classification),
        "origin": _value(cable.origin),
        "header": {
            "precedence": h.precedence if h else None,
            "dtg": h.dtg if h else None,
            "from": _value(h.sender) if h else None,
            "to": [f.value for f in h.to] if h else [],
            "info": [f.value for f in h.info] if h else [],
            "partial_extract": h.partial_extract if h else False,
        },
        "banner": _value(cable.banner),
        "caveats": [f.value for f in cable.caveats],
        "decl": {
            "order": d.order if d else None,
            "text": d.text if d else None,
            "date": d.date.isoformat() if d and d.date else None,
        },
        "tags": list(cable.tags),
        "subject": _value(cable.subject),
        "subject_marking": _marking(cable.subject_marking),
        "references": [
            {"label": r.label, "text": r.text, "cable_id": r.cable_id, "start": r.start,
             "end": r.end, "station_known": r.station_known}
            for r in cable.references
        ],
        "classified_by": {
            "text": cb.text if cb else None,
            "by": cb.by if cb else None,
            "reasons": list(cb.reasons) if cb else [],
        },
        "paragraphs": [
            {
                "kind": p.kind,
                "number": p.number,
                "marking": p.marking.raw if p.marking else None,
                "level": p.marking.level if p.marking else None,
                "caveats": list(p.marking.caveats) if p.marking else [],
                "start": p.start,
                "end": p.end,
            }
            for p in cable.paragraphs
        ],
        "page_breaks": [[f.start, f.end] for f in cable.page_breaks],
        "withheld": [[f.start, f.end] for f in cable.withheld],
        "signature": _value(cable.signature),
        "warnings": [
            {"code": w.code, "message": w.message, "start": w.start} for w in cable.warnings
        ],
        "spans": {
            "subject": _span(cable.subject),
            "tags": _span(cable.tags_span),
            "references": _span(cable.references_span),
            "classified_by": _span(cb),
            "decl": _span(d),
            "signature": _span(cable.signature),
        },
    }
