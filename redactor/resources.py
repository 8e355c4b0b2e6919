"""Where the project's resource folders (``templates``, ``static``) are found.

Services layer: file system only. In a wheel the build copies the top-level folders into the
package (``redactor/templates``, ``redactor/static``); in a checkout they stand beside the
package. The copy inside the package wins, so an installed application never reads a stray
folder from the working directory.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The folder ``name`` (``templates`` or ``static``): the package's copy if there is
    one, else the top-level folder of the checkout. The path may not exist."""
    inside = PACKAGE_DIR / name
    if inside.is_dir():
        return inside
    return PACKAGE_DIR.parent / name


def resource_path(name: str, *parts: str) -> Path:
    """A file under the resource folder ``name``, e.g. ``resource_path("templates",
    "release", "cable.typ")``. Raises ``FileNotFoundError`` if it does not exist."""
    path = resource_dir(name).joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"resource {'/'.join((name, *parts))} is missing")
    return path
