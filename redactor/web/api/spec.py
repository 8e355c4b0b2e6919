"""The OpenAPI 3.1 document of the JSON API, composed from the declared operations.

Every operation is declared once, in its area's module, with
:func:`redactor.web.api.common.operation`: path, method, the Pydantic models of its body,
query arguments and reply, and its error statuses. This module turns those declarations into
the document served at ``/api/v1/openapi.json``: the models' JSON Schemas (Pydantic's
``models_json_schema``, which is JSON Schema 2020-12, the dialect of OpenAPI 3.1) become
``components/schemas``, and each operation a path item with its parameters, body and
answers.

Why composed here rather than by an integration (spectree, flask-openapi3): those bring
their own view decorators, validation errors (422 with their own body) and security
conventions; this API's error shape and statuses (400 for form, 422 for content, 404 alike
for hidden and unknown), its token check in ``before_request`` and its public document
would each need overriding. The composition is a few dozen lines over Pydantic's own
schema output. ``tests/test_openapi.py`` holds the document to the routes and to the
OpenAPI schema; ``tests/test_api_fuzz.py`` sends requests generated from it.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

from flask import Response, jsonify
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from redactor.models import MAX_ID
from redactor.web.api.common import OPERATIONS, Body, Error, Operation, operation

API_VERSION = "1.1.0"
PREFIX = "/api/v1"
REFERENCE_ID_PATTERN = "^[0-9]{2}[A-Z][A-Z0-9]{0,60}[0-9]$"
_REF = "#/components/schemas/{model}"
_ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")

_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
#: The schema and description of each path parameter, by name.
PATH_PARAMETERS: dict[str, tuple[dict[str, Any], str]] = {
    "reference_id": (
        {"type": "string", "pattern": REFERENCE_ID_PATTERN, "maxLength": 64},
        "The cable's reference id (line 1 of the cable), e.g. 09STATE52368.",
    ),
    "redaction_id": (_ID, "The redaction's id."),
    "release_id": (_ID, "The release's id."),
    "decision_id": (_ID, "The id of a request to release an occurrence."),
    "index": ({"type": "integer", "minimum": 0, "maximum": MAX_ID}, "The portion's index."),
    "name": ({"type": "string", "enum": ["pdf", "txt", "json"]}, "The kind of file."),
}

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


class _Schemas(GenerateJsonSchema):
    """Pydantic's JSON Schema without a title on every property (the name says it)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"$ref": _REF.format(model=model.__name__)}


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query argument's schema: absent rather than null (``?x=`` is no ``x``)."""
    schema = {k: v for k, v in schema.items() if k != "default" or v is not None}
    options = [s for s in schema.pop("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:
        schema = {**options[0], **schema}
    elif options:
        schema["anyOf"] = options
    return schema


def _parameters(op: Operation) -> list[dict[str, Any]]:
    found = []
    for match in _ARGUMENT.finditer(op.rule):
        schema, description = PATH_PARAMETERS[match.group(3)]
        found.append({"name": match.group(3), "in": "path", "required": True,
                      "schema": schema, "description": description})
    if op.query is not None:
        properties = op.query.model_json_schema(schema_generator=_Schemas)["properties"]
        for name, schema in properties.items():
            schema = _not_null(schema)
            description = schema.pop("description", "")
            found.append({"name": name, "in": "query", "required": False, "schema": schema,
                          "description": description})
    return found


def _operation(op: Operation) -> dict[str, Any]:
    item: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary}
    if op.description:
        item["description"] = op.description
    if op.public:
        item["security"] = []
    parameters = _parameters(op)
    if parameters:
        item["parameters"] = parameters
    if op.body is not None:
        item["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
    if op.reply is not None:
        answer = _json(_ref(op.reply), (op.reply.__doc__ or "The answer.").strip())
    else:
        answer = {"description": "The file.", "content": op.content}
    errors = {} if op.public else {
        str(status): {"$ref": f"#/components/responses/Error{status}"}
        for status in sorted({400, 401, *op.errors})
    }
    item["responses"] = {str(op.status): answer, **errors}
    return item


def _path(rule: str) -> str:
    return PREFIX + _ARGUMENT.sub(lambda m: "{" + m.group(3) + "}", rule)


def build_spec() -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``/api/v1/`` (a copy of the one built at first use)."""
    return copy.deepcopy(_document())


@cache
def _document() -> dict[str, Any]:
    models = {Error}
    for op in OPERATIONS:
        models |= {m for m in (op.body, op.reply) if m is not None}
    modes = [(m, "validation" if issubclass(m, Body) else "serialization")
             for m in sorted(models, key=lambda m: m.__name__)]
    _, schemas = models_json_schema(modes, ref_template=_REF, schema_generator=_Schemas)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(_path(op.rule), {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
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
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal access token (rdk_...).",
                }
            },
            "schemas": schemas.get("$defs", {}),
            "responses": {
                f"Error{status}": _json(_ref(Error), text)
                for status, text in _ERROR_TEXT.items()
            },
        },
    }


@operation("GET", "/openapi.json", "This description", reply=None, public=True,
           operation_id="getOpenApi",
           content={"application/json": {"schema": {"type": "object"}}})
def openapi_spec() -> Response:
    """The OpenAPI 3.1 description of this API (public: it holds no data)."""
    return jsonify(_document())
