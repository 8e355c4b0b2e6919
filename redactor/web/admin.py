"""User administration (admins only): list, create, roles, clearance, (de)activate, reset.

Every change goes through :mod:`redactor.accounts.service`, which checks the policy again,
audits and revokes the user's sessions where needed. A generated password is shown once, on
the page that answers the request; it is never put in a flash message, because flash
messages travel in the (signed, not encrypted) session cookie.

A password set here, typed or generated, is the administrator's choice: the account must
change it at its next sign-in (``must_change_password``) before it can do anything else.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from redactor.accounts import service as accounts
from redactor.errors import InvalidInput
from redactor.models import User
from redactor.review.policy import Level, Role
from redactor.web.auth import role_required
from redactor.web.extensions import db_session

admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


def _actor() -> User:
    return current_user._get_current_object()


def _load_user(user_id: int) -> User:
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _user_row(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(role.value for role in user.roles),
        "clearance": Level(user.clearance).name,
        "active": bool(user.active),
        "must_change_password": accounts.must_change_password(user),
    }


def _render_users(*, error: str | None = None, status: int = 200, form: Any = None) -> Any:
    users = accounts.list_users(db_session(), _actor())
    return (
        render_template(
            "admin/users.html",
            users=[_user_row(user) for user in users],
            roles=[role.value for role in Role],
            levels=[level.name for level in Level],
            error=error,
            form=form or {},
        ),
        status,
    )


def _kept_form() -> dict[str, Any]:
    """What the new-user form had, to fill it again after an error: never the password."""
    return {
        "username": request.form.get("username", "")[:200],
        "display_name": request.form.get("display_name", "")[:200],
        "roles": request.form.getlist("roles")[:20],
        "clearance": request.form.get("clearance", ""),
    }


def _password_from_form(username: str = "") -> tuple[str, bool]:
    typed = request.form.get("password", "")
    if typed:
        return typed, False
    return accounts.generate_password(username), True


@admin_bp.route("/users", methods=["GET"])
@role_required(Role.ADMIN)
def users() -> Any:
    """Every user, and the form to create one."""
    return _render_users()


@admin_bp.route("/users", methods=["POST"])
@role_required(Role.ADMIN)
def create_user() -> Any:
    """Create a user; with no password typed, a generated one is shown once.

    A user without any role could do nothing at all, so none is made: the form comes back
    (422) with a message. On any refusal the form keeps what was entered, except the password.
    """
    if not [role for role in request.form.getlist("roles") if role.strip()]:
        return _render_users(
            error="Choose at least one role: a user without a role can do nothing.",
            status=422,
            form=_kept_form(),
        )
    password, generated = _password_from_form(request.form.get("username", ""))
    try:
        user = accounts.create_user(
            db_session(),
            _actor(),
            request.form.get("username", ""),
            password,
            request.form.getlist("roles"),
            request.form.get("clearance", ""),
            display_name=request.form.get("display_name", ""),
            must_change_password=True,
        )
    except InvalidInput as exc:
        return _render_users(error=str(exc), status=422, form=_kept_form())
    db_session().commit()
    return render_template(
        "admin/created.html", user=_user_row(user), password=password if generated else None
    )


@admin_bp.route("/users/<int:user_id>", methods=["GET"])
@role_required(Role.ADMIN)
def edit_user(user_id: int) -> Any:
    """One user's roles, clearance, state and password reset."""
    user = _load_user(user_id)
    return render_template(
        "admin/user.html",
        user=_user_row(user),
        roles=[role.value for role in Role],
        levels=[level.name for level in Level],
        is_self=user.id == current_user.id,
    )


@admin_bp.route("/users/<int:user_id>/roles", methods=["POST"])
@role_required(Role.ADMIN)
def set_roles(user_id: int) -> Any:
    """Replace the user's roles (their sessions are revoked)."""
    user = _load_user(user_id)
    accounts.set_roles(db_session(), _actor(), user, request.form.getlist("roles"))
    return _saved(user, "Roles saved.")


@admin_bp.route("/users/<int:user_id>/clearance", methods=["POST"])
@role_required(Role.ADMIN)
def set_clearance(user_id: int) -> Any:
    """Change the user's clearance (their sessions are revoked)."""
    user = _load_user(user_id)
    accounts.set_clearance(db_session(), _actor(), user, request.form.get("clearance", ""))
    return _saved(user, "Clearance saved.")


@admin_bp.route("/users/<int:user_id>/active", methods=["POST"])
@role_required(Role.ADMIN)
def set_active(user_id: int) -> Any:
    """Deactivate (``active=0``, sessions revoked) or reactivate (``active=1``) the user."""
    user = _load_user(user_id)
    active = request.form.get("active") == "1"
    accounts.set_active(db_session(), _actor(), user, active)
    return _saved(user, "Account reactivated." if active else "Account deactivated.")


@admin_bp.route("/users/<int:user_id>/password", methods=["POST"])
@role_required(Role.ADMIN)
def reset_password(user_id: int) -> Any:
    """Set a typed or generated password (shown once); the user's sessions and API tokens
    are revoked, and the user must change the password at their next sign-in."""
    user = _load_user(user_id)
    password, generated = _password_from_form(user.username)
    accounts.set_password(db_session(), _actor(), user, password, must_change_password=True)
    db_session().commit()
    return render_template(
        "admin/created.html",
        user=_user_row(user),
        password=password if generated else None,
        reset=True,
    )


def _saved(user: User, message: str) -> Any:
    db_session().commit()
    flash(message, "success")
    return redirect(url_for("admin.edit_user", user_id=user.id), code=303)
