"""The cable list, the dashboard, the review page of a cable and its release preview.

Routes only: each view reads the request (filters, the configured number of approvals, the
date), loads the cable (a 404 above the user's clearance, exactly like an unknown reference
id), calls one builder of :mod:`redactor.review.pages`, commits and renders. The builders
run the queries (all behind :func:`redactor.cables.access.visible_cables`) and record the
viewing of a classified cable; templates receive plain values and never query. The
state-changing actions of the review page are in :mod:`redactor.web.review`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from redactor.cables.access import get_visible_cable
from redactor.models import User
from redactor.review.pages import (
    CableFilters,
    dashboard_model,
    list_model,
    load_preview,
    load_review,
)
from redactor.web.extensions import db_session

cables_bp = Blueprint("cables", __name__)

#: Rows a page of the cable list, and of search results (each with a snippet to build).
PAGE_SIZE = 50
SEARCH_PAGE_SIZE = 20


def _actor() -> User:
    return current_user._get_current_object()


def _approvals_required() -> int:
    return int(current_app.config.get("APPROVALS_REQUIRED") or 1)


# --------------------------------------------------------------------------- routes


@cables_bp.route("/")
def index() -> Any:
    """The home page is the cable list."""
    return redirect(url_for("cables.list_cables"))


@cables_bp.route("/dashboard")
@login_required
def dashboard() -> Any:
    """The user's queues."""
    model = dashboard_model(db_session(), _actor(), approvals_required=_approvals_required())
    return render_template("dashboard.html", **model)


@cables_bp.route("/cables")
@login_required
def list_cables() -> Any:
    """The cables the user is cleared for, searchable and filtered: ``PAGE_SIZE`` a page,
    ``SEARCH_PAGE_SIZE`` for the results of a search."""
    filters = CableFilters.from_args(request.args)
    page_size = SEARCH_PAGE_SIZE if filters.query.strip() else PAGE_SIZE
    session = db_session()
    model = list_model(session, _actor(), filters, page_size=page_size)
    session.commit()  # the search's snippets of classified cables were put on record
    return render_template("cables/list.html", **model)


@cables_bp.route("/cables/<reference_id>")
@login_required
def show_cable(reference_id: str) -> Any:
    """The review page; 404 above the user's clearance. Viewing a classified cable is
    audited (``cable.view``)."""
    session, actor = db_session(), _actor()
    cable = get_visible_cable(session, actor, reference_id)
    model = load_review(
        session, actor, cable, approvals_required=_approvals_required(), today=date.today()
    )
    session.commit()
    withhold = request.args.get("withhold", "")
    return render_template(
        "cables/show.html",
        # isascii: "²".isdigit() is true, yet int() refuses it.
        withhold=int(withhold) if withhold.isascii() and withhold.isdigit() else None,
        **model,
    )


@cables_bp.route("/cables/<reference_id>/preview")
@login_required
def preview_cable(reference_id: str) -> Any:
    """The releasable text as it stands (approved spans as placeholders, pending ones
    outlined); audited like the review page."""
    session, actor = db_session(), _actor()
    cable = get_visible_cable(session, actor, reference_id)
    model = load_preview(session, actor, cable, approvals_required=_approvals_required())
    session.commit()
    return render_template("cables/preview.html", **model)
