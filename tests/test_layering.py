"""The layers of the package hold: imports only point down (see the architecture notes).

1. Pure core: standard library only (and other pure modules).
2. Services: SQLAlchemy, no Flask.
3. Two doors on top of the services: the web application (``redactor.web``, the only place
   Flask, Flask-Login and Flask-WTF appear) and the command line (``redactor.cli``, click).
   The web layer never imports the command line; the command line imports no Flask package
   (``serve``/``demo`` build the application through ``redactor.web.create_app``).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "redactor"

PURE_MODULES = {
    "redactor.cables.parser",
    "redactor.cables.parsing",
    "redactor.cables.parsing.base",
    "redactor.cables.parsing.decode",
    "redactor.cables.parsing.fields",
    "redactor.cables.parsing.header",
    "redactor.cables.parsing.markings",
    "redactor.cables.parsing.model",
    "redactor.cables.parsing.patterns",
    "redactor.cables.parsing.portions",
    "redactor.cables.parsing.references",
    "redactor.cables.parsing.structure",
    "redactor.cables.jsonview",
    "redactor.cables.stations",
    "redactor.redaction.spans",
    "redactor.redaction.exemptions",
    "redactor.review.states",
    "redactor.review.policy",
    "redactor.review.display",
    "redactor.release.render",
    "redactor.release.occurrences",
    "redactor.redaction.regions",
    "redactor.redaction.variants",
    "redactor.consistency.shingles",
}
WEB_PACKAGES = ("flask", "flask_login", "flask_wtf", "wtforms", "werkzeug", "jinja2")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("name", sorted(PURE_MODULES & set(MODULES)))
def test_pure_core_imports_only_the_standard_library(name):
    for imported in _imports(MODULES[name]):
        top = imported.split(".")[0]
        if imported.startswith("redactor"):
            assert imported in PURE_MODULES or imported == "redactor", (name, imported)
        else:
            assert top in sys.stdlib_module_names, f"{name} imports {imported}"


DOORS = ("redactor.web", "redactor.cli")


def _in_room(name: str, room: str) -> bool:
    return name == room or name.startswith(room + ".")


@pytest.mark.parametrize(
    "name", sorted(n for n in MODULES if not any(_in_room(n, door) for door in DOORS))
)
def test_the_services_import_neither_flask_nor_a_door(name):
    for imported in _imports(MODULES[name]):
        assert imported.split(".")[0] not in WEB_PACKAGES, f"{name} imports {imported}"
        assert not any(_in_room(imported, door) for door in DOORS), f"{name} imports {imported}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _in_room(n, "redactor.web")))
def test_the_web_layer_never_imports_the_command_line(name):
    for imported in _imports(MODULES[name]):
        assert not _in_room(imported, "redactor.cli"), f"{name} imports {imported}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _in_room(n, "redactor.cli")))
def test_the_command_line_imports_no_flask_package(name):
    for imported in _imports(MODULES[name]):
        assert imported.split(".")[0] not in WEB_PACKAGES, f"{name} imports {imported}"


def test_the_pure_core_exists():
    # Guards the parametrisation above from silently testing nothing.
    assert "redactor.cables.parser" in MODULES
    assert "redactor.cables.parsing.structure" in MODULES
    assert "redactor.review.policy" in MODULES
    assert "redactor.cli" in MODULES and "redactor.web" in MODULES
