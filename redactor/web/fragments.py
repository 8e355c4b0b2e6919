"""Requests made in place by htmx, and how their answers are marked.

A review action sent by htmx carries ``HX-Request: true``; it is answered by a fragment of
the page (``templates/review/_fragment.html``, errors by ``templates/errors/_fragment.html``)
instead of a redirect or a whole page. The header only chooses the *form* of the answer:
every check (login, CSRF, clearance, role, version) runs exactly as for the full page, and
the status code is the same. A fragment response carries :data:`FRAGMENT_HEADER`, which
static/js/review.js requires before it trusts an answer to hold the page's status message.
"""

from __future__ import annotations

from flask import request

#: Set on every fragment response (value ``1``).
FRAGMENT_HEADER = "X-Redactor-Fragment"


def is_fragment_request() -> bool:
    """True for an htmx request (``HX-Request: true``) outside the JSON API."""
    return request.headers.get("HX-Request") == "true" and not request.path.startswith("/api/")


def fragment_headers() -> dict[str, str]:
    """The headers of a fragment response: the marker, and ``Vary`` (the same URL answers
    a page or a fragment depending on ``HX-Request``)."""
    return {FRAGMENT_HEADER: "1", "Vary": "HX-Request"}
