"""The list of blueprints the factory registers, and app-wide hooks (headers, errors)."""

from __future__ import annotations

from flask import Blueprint, Flask

ALL: list[Blueprint] = []


def install_hooks(app: Flask) -> None:
    """Install the app-wide request hooks and error handlers."""
