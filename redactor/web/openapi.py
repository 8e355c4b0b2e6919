"""The OpenAPI 3 description of the JSON API (served at ``/api/v1/openapi.json``).

Built as a plain dict. ``tests/test_openapi.py`` holds it to the routes registered under
``/api/v1/`` (both directions) and to the OpenAPI 3 schema; ``tests/test_api_fuzz.py`` sends
generated requests built from it and checks every answer against it. So a change to
:mod:`redactor.web.api` that this file does not follow fails the tests.

Request bodies are described exactly as the API's own readers accept them (no unknown
fields, integers that are integers); responses as the views build them.
"""

from __future__ import annotations

from typing import Any

from redactor.cables.search import MAX_LIMIT, SORTS
from redactor.models import MAX_ID, CableStatus, RedactionStatus
from redactor.review.policy import Level

API_VERSION = "1.0.0"

REFERENCE_ID_PATTERN = "^[0-9]{2}[A-Z][A-Z0-9]{0,60}[0-9]$"

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Schema], *, required: tuple[str, ...] | None = None) -> Schema:
    """An object with exactly ``properties`` (all required unless ``required`` says)."""
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    names = list(properties if required is None else required)
    if names:  # OpenAPI 3.0: a "required" list may not be empty
        schema["required"] = names
    return schema


def _nullable(schema: Schema) -> Schema:
    return {**schema, "nullable": True}


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
DATETIME: Schema = {"type": "string", "format": "date-time"}
FREE_OBJECT: Schema = {"type": "object", "additionalProperties": True}
ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}

_ERROR_TEXT = {
    400: "Malformed request: not JSON, a wrong type, a missing or unknown field, a bad "
    "query argument.",
    401: "No token, or a token that is unknown, revoked or expired.",
    403: "The token's user lacks the role this action needs.",
    404: "Unknown, or above the caller's clearance (the two are not told apart).",
    409: "A stale version, an illegal transition, or a release refused by the gate.",
    413: "The request is too large.",
    422: "The content is refused (span, codes, text).",
}


def _errors(*statuses: int) -> dict[str, Any]:
    return {
        str(status): {"$ref": f"#/components/responses/Error{status}"}
        for status in sorted({400, 401, *statuses})
    }


def _json(schema: Schema, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: Schema, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _path_param(name: str, schema: Schema, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


def _query(name: str, schema: Schema, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


REFERENCE_ID = _path_param(
    "reference_id",
    {"type": "string", "pattern": REFERENCE_ID_PATTERN, "maxLength": 64},
    "The cable's reference id (line 1 of the cable), e.g. 09STATE52368.",
)
REDACTION_ID = _path_param("redaction_id", ID, "The redaction's id.")
RELEASE_ID = _path_param("release_id", ID, "The release's id.")
CURSOR = _query(
    "cursor",
    {"type": "string", "maxLength": 100},
    "Opaque: the next_cursor of the previous page.",
)
_QUERY_TEXT: Schema = {"type": "string", "maxLength": 200}
_DATE: Schema = {"type": "string", "format": "date"}


def _schemas() -> dict[str, Schema]:
    user = _obj({"id": INTEGER, "username": STRING})
    decision = _obj(
        {
            "id": INTEGER,
            "kind": {"type": "string", "enum": ["approve", "reject"]},
            "approver": _ref("User"),
            "reason": STRING,
            "revision": INTEGER,
            "void": BOOLEAN,
            "created_at": DATETIME,
        }
    )
    redaction = _obj(
        {
            "id": INTEGER,
            "reference_id": STRING,
            "version": INTEGER,
            "portion_index": _nullable(INTEGER),
            "start": INTEGER,
            "end": INTEGER,
            "codes": {"type": "array", "items": STRING},
            "rationale": STRING,
            "status": {"type": "string", "enum": [s.value for s in RedactionStatus]},
            "revision": INTEGER,
            "row_version": {
                **INTEGER,
                "description": "Send it back as `version` with every decision or edit.",
            },
            "proposer": _ref("User"),
            "approvals": INTEGER,
            "approvals_required": INTEGER,
            "effective_status": {
                "type": "string",
                "enum": [*(s.value for s in RedactionStatus), "awaiting"],
                "description": "The status under the approvals now required: `awaiting` is "
                "an approved redaction short of them (still hidden; the release waits).",
            },
            "replaces_id": {
                **_nullable(INTEGER),
                "description": "The approved redaction this pending change (or withdrawal "
                "request) replaces once a second person approves it.",
            },
            "withdraws": BOOLEAN,
            "decisions": {"type": "array", "items": _ref("Decision")},
            "created_at": DATETIME,
            "updated_at": DATETIME,
        }
    )
    level = {"type": "string", "enum": [lv.name for lv in Level]}
    status = {"type": "string", "enum": [s.value for s in CableStatus]}
    cable_summary = _obj(
        {
            "reference_id": STRING,
            "classification": STRING,
            "level": level,
            "origin": STRING,
            "subject": STRING,
            "tags": {"type": "array", "items": STRING},
            "created": _nullable(DATETIME),
            "status": status,
            "current_version": INTEGER,
            "snippet": {
                "type": "array",
                "items": _obj({"text": STRING, "match": BOOLEAN}),
                "description": "The passage of the text that matched, in pieces.",
            },
        }
    )
    portion = _obj(
        {
            "index": INTEGER,
            "kind": STRING,
            "number": _nullable(STRING),
            "marking": _nullable(STRING),
            "level": _nullable(STRING),
            "start": INTEGER,
            "end": INTEGER,
            "reviewed": BOOLEAN,
            "reviewed_by": _nullable(INTEGER),
        }
    )
    release_summary = _obj(
        {
            "id": INTEGER,
            "doc_number": STRING,
            "case_number": STRING,
            "disposition": STRING,
            "released_at": DATETIME,
            "url": STRING,
        }
    )
    cable_link = _obj({"reference_id": STRING, "url": STRING})
    cable = _obj(
        {
            "reference_id": STRING,
            "classification": STRING,
            "level": level,
            "origin": STRING,
            "subject": STRING,
            "tags": {"type": "array", "items": STRING},
            "created": _nullable(DATETIME),
            "status": status,
            "current_version": INTEGER,
            "version": {**INTEGER, "description": "The version shown."},
            "sha256": STRING,
            "text": {
                **STRING,
                "description": "The stored text; every offset counts code points in it.",
            },
            "parsed": {**FREE_OBJECT, "description": "The parser's view (markings, fields)."},
            "versions": {
                "type": "array",
                "items": _obj(
                    {
                        "number": INTEGER,
                        "sha256": STRING,
                        "source_name": STRING,
                        "imported_at": DATETIME,
                    }
                ),
            },
            "portions": {"type": "array", "items": _ref("Portion")},
            "redactions": {"type": "array", "items": _ref("Redaction")},
            "canonical_id": {
                **STRING,
                "description": "The reference id this text is: its own, or for a section "
                "copy (08ECTION01OF02MANAMA492) the cable's (08MANAMA492).",
            },
            "references": {
                "type": "array",
                "description": "The REF items of the version shown, in order.",
                "items": _obj(
                    {
                        "label": _nullable(STRING),
                        "text": STRING,
                        "cable_id": {
                            **_nullable(STRING),
                            "description": "The canonical reference id the item cites.",
                        },
                        "cable": {
                            **_nullable(cable_link),
                            "description": "The cited cable, when the collection holds it "
                            "and the caller may see it; null otherwise (the two are not "
                            "told apart).",
                        },
                    }
                ),
            },
            "referenced_by": {
                "type": "array",
                "description": "Cables whose current version cites this one, that the caller "
                "may see (newest first, at most 100).",
                "items": _obj(
                    {
                        "reference_id": STRING,
                        "url": STRING,
                        "subject": STRING,
                        "created": _nullable(DATETIME),
                    }
                ),
            },
            "referenced_by_total": {
                **INTEGER,
                "description": "How many cables the caller may see cite this one.",
            },
            "copies": {
                "type": "array",
                "description": "The same cable under other reference ids (the cable itself, "
                "section copies) that the caller may see.",
                "items": _obj(
                    {"reference_id": STRING, "url": STRING, "section": _nullable(
                        {"type": "array", "items": INTEGER, "minItems": 2, "maxItems": 2}
                    )}
                ),
            },
            "releases": {"type": "array", "items": _ref("ReleaseSummary")},
        }
    )
    artifact = _obj(
        {
            "name": {"type": "string", "enum": ["pdf", "txt", "json"]},
            "file_name": STRING,
            "media_type": STRING,
            "sha256": STRING,
            "size": INTEGER,
            "url": STRING,
        }
    )
    release = _obj(
        {
            "id": INTEGER,
            "reference_id": STRING,
            "version": _nullable(INTEGER),
            "case_number": STRING,
            "doc_number": STRING,
            "disposition": STRING,
            "released_at": DATETIME,
            "released_by": INTEGER,
            "audit_head": _nullable(STRING),
            "record": FREE_OBJECT,
            "artifacts": {"type": "array", "items": _ref("Artifact")},
        }
    )
    char_op = _obj({"op": STRING, "old": STRING, "new": STRING})
    hunk = _obj(
        {"op": STRING, "old": STRING, "new": STRING, "chars": {"type": "array", "items": char_op}}
    )
    portion_diff = _obj(
        {
            "op": {"type": "string", "enum": ["equal", "changed", "added", "removed"]},
            "old_key": _nullable(STRING),
            "new_key": _nullable(STRING),
            "similarity": {"type": "number"},
            "hunks": {"type": "array", "items": hunk},
        }
    )
    audit_entry = _obj(
        {
            "seq": INTEGER,
            "at": DATETIME,
            "actor_id": _nullable(INTEGER),
            "actor_name": STRING,
            "action": STRING,
            "object_type": STRING,
            "object_id": STRING,
            "payload": {
                "description": "The entry's JSON payload (entries about a cable above the "
                "reader's clearance are left out of the answer altogether).",
                "oneOf": [FREE_OBJECT, STRING],
            },
            "cable_id": {
                **_nullable(INTEGER),
                "description": "The internal id of the cable the entry concerns, if any "
                "(covered by the entry's MAC).",
            },
            "client_addr": STRING,
            "prev_mac": STRING,
            "mac": STRING,
        }
    )
    head = _obj({"seq": INTEGER, "mac": STRING})
    return {
        "Error": _obj(
            {
                "error": _obj(
                    {
                        "code": {**STRING, "description": "Stable, for programs."},
                        "message": {**STRING, "description": "For people."},
                    }
                )
            }
        ),
        "User": user,
        "Decision": decision,
        "Redaction": redaction,
        "CableSummary": cable_summary,
        "CablePage": _obj(
            {
                "items": {"type": "array", "items": _ref("CableSummary")},
                "total": {
                    **INTEGER,
                    "description": "Matching cables; a lower bound when total_exact is false.",
                },
                "total_exact": {
                    "type": "boolean",
                    "description": "False when more cables matched than were counted "
                    "(10,000): there are more than total.",
                },
                "next_cursor": _nullable(STRING),
            }
        ),
        "Portion": portion,
        "ReleaseSummary": release_summary,
        "Cable": cable,
        "ImportRequest": _obj(
            {
                "cables": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1000,
                    "items": _obj({"name": STRING, "text": STRING}),
                }
            }
        ),
        "ImportReport": _obj(
            {
                "ok": BOOLEAN,
                "summary": _obj(
                    {
                        "imported": INTEGER,
                        "unchanged": INTEGER,
                        "new_version": INTEGER,
                        "failed": INTEGER,
                    }
                ),
                "files": {
                    "type": "array",
                    "items": _obj(
                        {
                            "name": STRING,
                            "status": {
                                "type": "string",
                                "enum": ["imported", "unchanged", "new_version", "failed"],
                            },
                            "reference_id": _nullable(STRING),
                            "version": _nullable(INTEGER),
                            "error": _nullable(STRING),
                        }
                    ),
                },
            }
        ),
        "ProposeRequest": _obj(
            {
                "start": {**INTEGER, "description": "First code point of the span."},
                "end": {**INTEGER, "description": "One past the last code point."},
                "codes": {"type": "array", "items": STRING, "maxItems": 100},
                "rationale": STRING,
                "version": {
                    **INTEGER,
                    "description": "The cable version the span was computed on (optional).",
                },
            },
            required=("start", "end", "codes"),
        ),
        "EditRequest": _obj(
            {
                "version": INTEGER,
                "start": INTEGER,
                "end": INTEGER,
                "codes": {"type": "array", "items": STRING, "maxItems": 100},
                "rationale": STRING,
            },
            required=("version",),
        ),
        "DecisionRequest": _obj(
            {"version": {**INTEGER, "description": "The redaction's row_version."}}
        ),
        "RejectRequest": _obj({"version": INTEGER, "reason": STRING}),
        "CommentRequest": _obj({"body": STRING}),
        "Comment": _obj(
            {
                "id": INTEGER,
                "redaction_id": INTEGER,
                "author": _ref("User"),
                "body": STRING,
                "created_at": DATETIME,
            }
        ),
        "CommentList": _obj({"items": {"type": "array", "items": _ref("Comment")}}),
        "PortionReview": _obj(
            {
                "reference_id": STRING,
                "version": INTEGER,
                "portion_index": INTEGER,
                "reviewer_id": INTEGER,
                "reviewed_at": DATETIME,
                "cable_status": status,
            }
        ),
        "ReleaseRequest": _obj(
            {
                "case_number": _nullable(
                    {**STRING, "description": "F-YYYY-NNNNN; a new one when absent."}
                ),
                "release_date": _nullable(
                    {
                        **STRING,
                        "description": "YYYY-MM-DD (default today), between the cable's own "
                        "date (or 1900) and tomorrow.",
                    }
                ),
            },
            required=(),
        ),
        "Artifact": artifact,
        "Release": release,
        "Diff": _obj(
            {
                "reference_id": STRING,
                "mode": {"type": "string", "enum": ["released", "versions"]},
                "from": INTEGER,
                "to": INTEGER,
                "portions": {"type": "array", "items": portion_diff},
            }
        ),
        "AuditEntry": audit_entry,
        "AuditHead": head,
        "AuditPage": _obj(
            {
                "items": {"type": "array", "items": _ref("AuditEntry")},
                "next_cursor": _nullable(STRING),
                "head": _ref("AuditHead"),
            }
        ),
        "VerifyReport": _obj(
            {
                "ok": BOOLEAN,
                "count": INTEGER,
                "head_seq": INTEGER,
                "head_mac": STRING,
                "checkpoints": INTEGER,
                "faults": INTEGER,
                "first_fault": _nullable(STRING),
                "summary": STRING,
                "fault_list": {"type": "array", "items": STRING},
            }
        ),
    }


def _redaction_change(operation_id: str, summary: str, request: str) -> dict[str, Any]:
    """An operation on one proposal that takes a ``request`` body and answers the proposal."""
    return {
        "operationId": operation_id,
        "summary": summary,
        "parameters": [REDACTION_ID],
        "requestBody": _body(_ref(request)),
        "responses": {
            "200": _json(_ref("Redaction"), "The proposal."),
            **_errors(403, 404, 409, 413, 422),
        },
    }


def _paths() -> dict[str, Any]:
    cable_filters = [
        _query("q", _QUERY_TEXT, "Full-text search of the current text (words, \"phrases\", "
               "prefix*)."),
        _query("level", {"type": "string", "enum": [lv.name for lv in Level]}, "Level."),
        _query("origin", _QUERY_TEXT, "Origin, exactly."),
        _query("tags", _QUERY_TEXT, "One TAGS value, whole (any case)."),
        _query("status", {"type": "string", "enum": [s.value for s in CableStatus]}, "Status."),
        _query("created_from", _DATE, "Written on or after (YYYY-MM-DD)."),
        _query("created_to", _DATE, "Written on or before (YYYY-MM-DD)."),
        _query("sort", {"type": "string", "enum": list(SORTS)}, "Order of the list."),
        _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Page size."),
        CURSOR,
    ]
    version_arg = _query("version", ID, "A version number (default: the current one).")
    return {
        "/api/v1/cables": {
            "get": {
                "operationId": "listCables",
                "summary": "Search and list the cables the caller may see",
                "parameters": cable_filters,
                "responses": {"200": _json(_ref("CablePage"), "A page of cables."), **_errors()},
            },
            "post": {
                "operationId": "importCables",
                "summary": "Import cable texts (administrators and reviewers)",
                "requestBody": _body(_ref("ImportRequest")),
                "responses": {
                    "200": _json(_ref("ImportReport"), "What happened to each text."),
                    **_errors(403, 413),
                },
            },
        },
        "/api/v1/cables/{reference_id}": {
            "get": {
                "operationId": "getCable",
                "summary": "A cable with its portions, redactions, versions and releases",
                "parameters": [REFERENCE_ID, version_arg],
                "responses": {"200": _json(_ref("Cable"), "The cable."), **_errors(404)},
            }
        },
        "/api/v1/cables/{reference_id}/diff": {
            "get": {
                "operationId": "diffCable",
                "summary": "Original against releasable text, or one version against another",
                "parameters": [
                    REFERENCE_ID,
                    version_arg,
                    _query("from", ID, "Old version (with `to`)."),
                    _query("to", ID, "New version (with `from`)."),
                ],
                "responses": {"200": _json(_ref("Diff"), "Portion by portion."), **_errors(404)},
            }
        },
        "/api/v1/cables/{reference_id}/redactions": {
            "post": {
                "operationId": "proposeRedaction",
                "summary": "Propose a redaction (reviewers)",
                "parameters": [REFERENCE_ID],
                "requestBody": _body(_ref("ProposeRequest")),
                "responses": {
                    "201": _json(_ref("Redaction"), "The new proposal."),
                    **_errors(403, 404, 409, 413, 422),
                },
            }
        },
        "/api/v1/cables/{reference_id}/portions/{index}/review": {
            "post": {
                "operationId": "reviewPortion",
                "summary": "Mark a portion of the current version as reviewed (reviewers)",
                "parameters": [
                    REFERENCE_ID,
                    _path_param(
                        "index", {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                        "The portion's index.",
                    ),
                ],
                "responses": {
                    "200": _json(_ref("PortionReview"), "The review mark."),
                    **_errors(403, 404, 409),
                },
            }
        },
        "/api/v1/cables/{reference_id}/releases": {
            "post": {
                "operationId": "releaseCable",
                "summary": "Release a ready cable (release authorities)",
                "parameters": [REFERENCE_ID],
                "requestBody": _body(_ref("ReleaseRequest"), required=False),
                "responses": {
                    "201": _json(_ref("Release"), "The release."),
                    **_errors(403, 404, 409, 413, 422),
                },
            }
        },
        "/api/v1/redactions/{redaction_id}": {
            "patch": _redaction_change(
                "editRedaction",
                "Change span, codes or rationale of one's own proposal",
                "EditRequest",
            )
        },
        "/api/v1/redactions/{redaction_id}/approve": {
            "post": _redaction_change(
                "approveRedaction",
                "Approve someone else's proposal (approvers)",
                "DecisionRequest",
            )
        },
        "/api/v1/redactions/{redaction_id}/reject": {
            "post": _redaction_change(
                "rejectRedaction",
                "Reject someone else's proposal, saying why (approvers)",
                "RejectRequest",
            )
        },
        "/api/v1/redactions/{redaction_id}/withdraw": {
            "post": _redaction_change(
                "withdrawRedaction",
                "Withdraw one's own pending proposal",
                "DecisionRequest",
            )
        },
        "/api/v1/redactions/{redaction_id}/comments": {
            "get": {
                "operationId": "listComments",
                "summary": "The discussion of a proposal",
                "parameters": [REDACTION_ID],
                "responses": {"200": _json(_ref("CommentList"), "Comments."), **_errors(404)},
            },
            "post": {
                "operationId": "addComment",
                "summary": "Comment on a proposal",
                "parameters": [REDACTION_ID],
                "requestBody": _body(_ref("CommentRequest")),
                "responses": {
                    "201": _json(_ref("Comment"), "The comment."),
                    **_errors(403, 404, 413, 422),
                },
            },
        },
        "/api/v1/releases/{release_id}": {
            "get": {
                "operationId": "getRelease",
                "summary": "A release and its files",
                "parameters": [RELEASE_ID],
                "responses": {"200": _json(_ref("Release"), "The release."), **_errors(404)},
            }
        },
        "/api/v1/releases/{release_id}/artifacts/{name}": {
            "get": {
                "operationId": "getReleaseArtifact",
                "summary": "Download one file of a release (audited)",
                "parameters": [
                    RELEASE_ID,
                    _path_param(
                        "name", {"type": "string", "enum": ["pdf", "txt", "json"]}, "The kind."
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "The file, named after the document number.",
                        "content": {
                            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                            "text/plain": {"schema": STRING},
                            "application/json": {"schema": FREE_OBJECT},
                        },
                    },
                    **_errors(404),
                },
            }
        },
        "/api/v1/audit": {
            "get": {
                "operationId": "listAudit",
                "summary": "The audit record, newest first (auditors and administrators)",
                "parameters": [
                    _query("user", {"type": "string", "maxLength": 64}, "Actor's username."),
                    _query("action", {"type": "string", "maxLength": 64}, "Action name."),
                    _query("object", {"type": "string", "maxLength": 64}, "Object id."),
                    _query("since", _DATE, "On or after (YYYY-MM-DD, UTC)."),
                    _query("until", _DATE, "On or before (YYYY-MM-DD, UTC)."),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "Size."),
                    CURSOR,
                ],
                "responses": {"200": _json(_ref("AuditPage"), "Entries."), **_errors(403)},
            }
        },
        "/api/v1/audit/verify": {
            "post": {
                "operationId": "verifyAudit",
                "summary": "Verify the audit chain and checkpoints (auditors, administrators)",
                "responses": {
                    "200": _json(_ref("VerifyReport"), "The verification."),
                    **_errors(403),
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This description",
                "security": [],
                "responses": {"200": _json(FREE_OBJECT, "The OpenAPI document.")},
            }
        },
    }


def build_spec() -> dict[str, Any]:
    """The OpenAPI 3.0 document of ``/api/v1/``."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Redactor API",
            "version": API_VERSION,
            "description": (
                "The declassification workbench's JSON API. Authenticate every request with "
                "a personal access token (`Authorization: Bearer <token>`; make one at "
                "/account/tokens or with `redactor token create`). Offsets are code points "
                "of the stored cable text. Errors are `{\"error\": {\"code\", \"message\"}}`."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal access token (rdk_...).",
                }
            },
            "schemas": _schemas(),
            "responses": {
                f"Error{status}": _json(_ref("Error"), text) for status, text in _ERROR_TEXT.items()
            },
        },
    }
