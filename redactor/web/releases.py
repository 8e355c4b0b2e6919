"""Releases in the browser: the confirmation, the release, its files, the releases list
and packages.

``GET /releases/<id>.pdf|.txt|.json``: any user cleared for the cable downloads the file
(404 otherwise, as for an unknown release); each download is audited. The file name in
``Content-Disposition`` is the document number, never anything from the cable.

``GET /cables/<reference_id>/release``: the confirmation, for a release authority: what the
release would be (stamp, codes, excisions, pages, case and document numbers, date), from
:func:`redactor.release.service.plan_release`, the function the release itself runs. Its
options (new or existing case, date) are a GET form, so changing them changes nothing.
``POST`` releases, carrying the numbers and stamp shown: if they changed meanwhile, 409 and
nothing is released. A gate refusal is committed (its audit entry) and answered 409.

``GET /releases`` (filter by case, date, disposition), ``GET /releases/<id>``: to everyone
signed in, behind the clearance filter. ``POST /releases/package``: a release authority's
ZIP of a case or of the releases ticked, only those they are cleared for (audited).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from redactor.cables.access import get_visible_cable
from redactor.errors import IllegalTransition, InvalidInput
from redactor.models import User
from redactor.release import pages as release_pages
from redactor.release import service as releases
from redactor.review.policy import Role
from redactor.web.auth import role_required
from redactor.web.extensions import db_session

releases_bp = Blueprint("releases", __name__)


def _actor() -> User:
    return current_user._get_current_object()


@releases_bp.route("/releases/<int:release_id>.pdf", defaults={"kind": "pdf"})
@releases_bp.route("/releases/<int:release_id>.txt", defaults={"kind": "txt"})
@releases_bp.route("/releases/<int:release_id>.json", defaults={"kind": "json"})
@login_required
def download(release_id: int, kind: str) -> Any:
    """One file of a release, as an attachment named after the document number."""
    return artifact_download(_actor(), release_id, kind)


def artifact_download(actor: User, release_id: int, kind: str) -> Response:
    """File ``kind`` of release ``release_id``, for ``actor`` (404 when they may not see it),
    as an attachment named after the document number; the download is audited and
    committed. The browser's and the API's downloads alike."""
    session = db_session()
    artifact, name = releases.get_artifact(session, actor, release_id, kind)
    data, media_type = artifact.data, artifact.media_type
    session.commit()
    response = Response(data, content_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _parse_date(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("the release date must be written YYYY-MM-DD") from None


def _approvals_required() -> int:
    return int(current_app.config.get("APPROVALS_REQUIRED") or 1)


def _options(source: Any) -> dict[str, Any]:
    """The confirmation's options from a form or query: case choice, number, date."""
    choice = source.get("case", "")
    if choice not in ("", "new", "existing"):
        raise InvalidInput("choose a new case or an existing one")
    return {
        "choice": choice or "new",
        "case_number": (source.get("case_number", "") or "").strip()[:20],
        "release_date": (source.get("release_date", "") or "").strip()[:20],
    }


def _plan_kwargs(options: dict[str, Any], *, typed_is_new: bool) -> dict[str, Any]:
    """plan_release's arguments. "new" with a typed number (older forms, scripts) takes
    that number as a new case; "existing" needs a case the user can see."""
    existing = options["choice"] == "existing"
    number = options["case_number"] if existing or typed_is_new else ""
    return {
        "case_number": number or None,
        "existing_case": existing,
        "release_date": _parse_date(options["release_date"]),
        "approvals_required": _approvals_required(),
    }


def _confirmation(cable: Any, options: dict[str, Any], *, error: str | None = None,
                  status: int = 200) -> Any:
    """The confirmation page: the plan of the release, or why there is none."""
    session, actor = db_session(), _actor()
    plan, refusal = None, None
    try:
        plan = releases.plan_release(
            session, actor, cable, **_plan_kwargs(options, typed_is_new=True)
        )
    except IllegalTransition:
        refusal = release_pages.readiness(
            session, actor, cable, approvals_required=_approvals_required()
        ).reason
    except InvalidInput as exc:
        error, status = str(exc), 422
    return (
        render_template(
            "release/confirm.html",
            reference_id=cable.reference_id,
            plan=plan,
            refusal=refusal,
            options=options,
            cases=release_pages.visible_cases(session, actor),
            releases=release_pages.releases_of_cable(session, cable),
            error=error,
        ),
        status,
    )


@releases_bp.route("/cables/<reference_id>/release", methods=["GET", "POST"])
@role_required(Role.RELEASE_AUTHORITY)
def release(reference_id: str) -> Any:
    """The confirmation (GET) and the release itself (POST)."""
    session = db_session()
    cable = get_visible_cable(session, current_user, reference_id)
    if request.method == "GET":
        try:
            options = _options(request.args)
        except InvalidInput as exc:
            return _confirmation(cable, _options({}), error=str(exc), status=422)
        return _confirmation(cable, options)
    options = _options(request.form)
    expected = {
        key: request.form[f"expected_{key}"]
        for key in ("doc_number", "case_number", "stamp", "version")
        if f"expected_{key}" in request.form
    }
    try:
        made = releases.release_cable(
            session,
            _actor(),
            cable,
            **_plan_kwargs(options, typed_is_new=True),
            expected=expected or None,
        )
    except releases.ReleaseBlocked as exc:
        session.commit()  # the gate's refusal stays on record; nothing was released
        return _confirmation(cable, options, error=str(exc), status=409)
    except releases.PlanChanged as exc:
        session.rollback()
        return _confirmation(cable, options, error=str(exc), status=409)
    except InvalidInput:
        session.rollback()
        return _confirmation(cable, options, status=422)  # the plan states the error again
    session.commit()
    flash(f"Released as Doc No. {made.doc_number}, Case No. {made.case_number}.")
    return redirect(url_for("releases.show", release_id=made.id))


@releases_bp.route("/releases/<int:release_id>")
@login_required
def show(release_id: int) -> Any:
    """One release: its stamp, numbers and files; 404 above the user's clearance."""
    session = db_session()
    made = releases.get_release(session, _actor(), release_id)
    row = release_pages.release_row(made, release_pages.reference_of(session, made))
    case = release_pages.list_releases(
        session, _actor(), release_pages.ReleaseFilters(case=made.case_number)
    )
    return render_template(
        "release/show.html", release=row, record=made.record, case_releases=case,
        may_package=Role.RELEASE_AUTHORITY in current_user.roles,
    )


@releases_bp.route("/releases")
@login_required
def index() -> Any:
    """The releases the user is cleared for, filtered by case, date and disposition."""
    session = db_session()
    try:
        filters = release_pages.ReleaseFilters.from_args(request.args)
    except InvalidInput as exc:
        filters, error, status = release_pages.ReleaseFilters(), str(exc), 422
    else:
        error, status = None, 200
    rows = release_pages.list_releases(session, _actor(), filters)
    return (
        render_template(
            "release/list.html",
            rows=rows,
            filters=filters,
            dispositions=release_pages.DISPOSITIONS,
            error=error,
            may_package=Role.RELEASE_AUTHORITY in current_user.roles,
        ),
        status,
    )


def _selected_ids() -> list[int]:
    ids = []
    for value in request.form.getlist("release_id")[:1000]:
        if not (value.isascii() and value.isdigit() and len(value) <= 12):
            raise InvalidInput("a release id is a number")
        ids.append(int(value))
    return ids


@releases_bp.route("/releases/package", methods=["POST"])
@role_required(Role.RELEASE_AUTHORITY)
def package() -> Any:
    """A ZIP of a case (``case``) or of the releases ticked (``release_id``)."""
    session, actor = db_session(), _actor()
    case = request.form.get("case", "").strip()
    if case:
        ids = release_pages.case_release_ids(session, actor, case)
        name = f"{case}.zip"
    else:
        ids = _selected_ids()
        if not ids:
            raise InvalidInput("tick at least one release for the package")
        name = "releases.zip"
    data = releases.export_package(
        session,
        actor,
        ids,
        names_staff=bool(current_app.config.get("MANIFEST_NAMES_STAFF")),
    )
    session.commit()
    response = Response(data, content_type="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
