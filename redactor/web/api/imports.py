"""Imports: ``POST /cables``."""
from __future__ import annotations

from flask import current_app, jsonify

from redactor.cables.service import import_cable
from redactor.errors import (
    NotPermitted,
)
from redactor.review.policy import can_import
from redactor.web.api.common import (
    MAX_IMPORT_FILES,
    ApiError,
    _committing,
    actor,
    api_bp,
    body,
    malformed,
    only,
)
from redactor.web.extensions import db_session


@api_bp.post("/cables")
@_committing
def import_cables():
    """Import cable texts: ``{"cables": [{"name": ..., "text": ...}]}``; a report per file."""
    if not can_import(actor().roles):
        raise NotPermitted("only administrators and reviewers import cables")
    data = body()
    only(data, "cables")
    files = data.get("cables")
    if not isinstance(files, list) or not files:
        malformed("the field 'cables' must be a non-empty array")
    if len(files) > MAX_IMPORT_FILES:
        raise ApiError(413, "too_many_files", f"at most {MAX_IMPORT_FILES} cables a request")
    for item in files:
        if not isinstance(item, dict):
            malformed("each cable must be an object with 'name' and 'text'")
        only(item, "name", "text")
        for key in ("name", "text"):
            if not isinstance(item.get(key), str):
                malformed(f"each cable needs a string {key!r}")
    session, user = db_session(), actor()
    max_bytes = int(current_app.config["MAX_IMPORT_BYTES"])
    # Unpaired surrogates pass through as bytes that are not UTF-8: refused per file, with
    # the reason, exactly as a file on disk with the same bytes would be.
    outcomes = [
        import_cable(
            session,
            user,
            item["name"],
            item["text"].encode("utf-8", "surrogatepass"),
            max_bytes=max_bytes,
        )
        for item in files
    ]
    summary = {"imported": 0, "unchanged": 0, "new_version": 0, "failed": 0}
    for outcome in outcomes:
        summary[str(outcome.status)] += 1
    return jsonify(
        ok=summary["failed"] == 0,
        summary=summary,
        files=[
            {
                "name": o.name,
                "status": str(o.status),
                "reference_id": o.reference_id,
                "version": o.version,
                "error": o.error,
            }
            for o in outcomes
        ],
    )

