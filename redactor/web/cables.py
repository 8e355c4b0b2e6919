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

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from redactor.cables.access import get_visible_cable
from redactor.consistency import twin_views
from redactor.models import MAX_ID, User
from redactor.redaction import occurrence_pages
from redactor.review import carryover, history
from redactor.review.pages import (
    CableFilters,
    dashboard_model,
    list_model,
    load_preview,
    load_review,
    version_page,
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
    model["duplicates"] = twin_views.list_duplicates(
        session, _actor(), [row.reference_id for row in model["rows"]]
    )
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
    asked = _version_arg("version")
    if asked is not None and asked != model["version"]:
        # An older version is read on its own page (read-only, its own clearance check).
        return redirect(url_for("cables.show_version", reference_id=reference_id, number=asked))
    banner = history.banner_model(session, actor, cable)
    consistency = occurrence_pages.panel(
        session, actor, cable, approvals_required=_approvals_required(),
        cached=version_page(session, cable, actor),
    )
    twins = twin_views.page_model(session, actor, cable)  # only cables the reader may see
    withhold = request.args.get("withhold", "")
    return render_template(
        "cables/show.html",
        carry=banner,
        consistency=consistency,
        twins=twins,
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
    conflicts = occurrence_pages.conflicts_now(
        session, actor, cable, approvals_required=_approvals_required()
    )
    session.commit()
    return render_template("cables/preview.html", conflicts=conflicts, **model)


# --------------------------------------------------------------------------- versions



def _version_arg(name: str) -> int | None:
    """The query argument ``name`` as a version number; None when absent; 404 when it is no
    version number (as for a version the cable does not have)."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10) or not 1 <= int(raw) <= MAX_ID:
        abort(404)
    return int(raw)


@cables_bp.route("/cables/<reference_id>/versions")
@login_required
def list_versions(reference_id: str) -> Any:
    """The cable's version history: only the versions the user is cleared for."""
    session, actor = db_session(), _actor()
    cable = get_visible_cable(session, actor, reference_id)
    model = history.versions_model(session, actor, cable)
    session.commit()
    return render_template("cables/versions.html", **model)


@cables_bp.route("/cables/<reference_id>/versions/<int:number>")
@login_required
def show_version(reference_id: str, number: int) -> Any:
    """One version, read-only; 404 above the user's clearance for that version, as for a
    number the cable never had. Audited as a view (``cable.view``)."""
    if number > MAX_ID:
        abort(404)
    session, actor = db_session(), _actor()
    cable = get_visible_cable(session, actor, reference_id)
    model = history.version_model(session, actor, cable, number)
    session.commit()
    return render_template("cables/version.html", **model)


@cables_bp.route("/cables/<reference_id>/diff")
@login_required
def diff_cable(reference_id: str) -> Any:
    """Original against releasable (the current version), or ``?from=N&to=M`` version
    against version. It shows the original text: each version shown needs the user's
    clearance for it (404 otherwise) and is audited as a view (``cable.view``)."""
    session, actor = db_session(), _actor()
    cable = get_visible_cable(session, actor, reference_id)
    model = history.diff_model(
        session,
        actor,
        cable,
        from_version=_version_arg("from"),
        to_version=_version_arg("to"),
        approvals_required=_approvals_required(),
    )
    session.commit()
    return render_template("cables/diff.html", **model)


@cables_bp.route("/cables/<reference_id>/carry-over/<int:item_id>/resolve", methods=["POST"])
@login_required
def resolve_carry_over(reference_id: str, item_id: int) -> Any:
    """An approver puts on record that a redaction a new version left behind has had its
    new look; the release of the version waits for every such item."""
    session, actor = db_session(), _actor()
    cable = get_visible_cable(session, actor, reference_id)
    if item_id > MAX_ID:
        abort(404)
    carryover.resolve(session, actor, cable, item_id)
    session.commit()
    flash("Marked as looked at.", "success")
    return redirect(url_for("cables.show_cable", reference_id=reference_id, _anchor="carry-over"))
