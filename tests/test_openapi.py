"""The OpenAPI description is a valid OpenAPI 3 document and tells the truth about the routes:
every route under ``/api/v1/`` is described, and every described operation exists."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from redactor.web.api.spec import build_spec

_IGNORED_METHODS = {"HEAD", "OPTIONS"}
_ARGUMENT = re.compile(r"<(?:[a-zA-Z_][a-zA-Z0-9_]*(?:\([^)]*\))?:)?(\w+)>")
_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def routed_operations(app) -> set[tuple[str, str]]:
    """``(path template, METHOD)`` of every route under /api/v1/, in OpenAPI's spelling."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = _ARGUMENT.sub(lambda m: "{" + m.group(1) + "}", rule.rule)
        for method in (rule.methods or set()) - _IGNORED_METHODS:
            found.add((path, method))
    return found


def described_operations(spec: dict) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in spec["paths"].items()
        for method in item
        if method in _HTTP_METHODS
    }


def test_every_api_route_is_described_and_every_description_is_routed(app):
    routed = routed_operations(app)
    described = described_operations(build_spec())
    assert routed - described == set(), "routes not declared with redactor.web.api.common.operation"
    assert described - routed == set(), "described operations that no route serves"
    assert len(routed) >= 17  # the comparison is not vacuous


def test_the_description_is_a_valid_openapi_3_document():
    validate(build_spec())


def test_the_served_description_is_the_built_one(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == build_spec()


def test_every_path_parameter_is_declared_and_every_operation_names_its_errors():
    spec = build_spec()
    for path, item in spec["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (path, method)
            if path != "/api/v1/openapi.json":
                assert {"400", "401"} <= set(operation["responses"]), (path, method)


def test_the_error_shape_and_bearer_scheme_are_described():
    components = build_spec()["components"]
    error = components["schemas"]["Error"]
    assert error["required"] == ["error"] and error["additionalProperties"] is False
    detail = error["properties"]["error"]["$ref"].rsplit("/", 1)[1]
    assert components["schemas"][detail]["required"] == ["code", "message"]
    assert components["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "A personal access token (rdk_...)."
    }
