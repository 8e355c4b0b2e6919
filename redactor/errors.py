"""Domain exceptions raised by services; the web layer maps each to one HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose; ``code`` is stable for the API."""

    code = "error"


class NotFound(DomainError):
    """No such object, or the actor may not know it exists (above their clearance): 404."""

    code = "not_found"


class NotPermitted(DomainError):
    """The actor lacks the role or relation the action needs: 403."""

    code = "forbidden"


class IllegalTransition(DomainError):
    """The object is not in a state that allows the action: 409."""

    code = "illegal_transition"


class StaleVersion(DomainError):
    """The decision was made on an older version of the object; nothing changed: 409."""

    code = "stale_version"


class InvalidInput(DomainError):
    """The request is well-formed but its content is invalid (span, codes, name...): 422.

    ``field`` names the input at fault when the service knows it (``span``, ``codes``,
    ``rationale``, ...), so that a form can show the message next to that field; None when
    it is about the request as a whole."""

    code = "invalid"

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
