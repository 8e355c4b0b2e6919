"""Signing in and out, changing one's own password, and the ``role_required`` decorator.

The login session lives on the server: Flask's signed cookie carries only a random token
(``session["token"]``) whose SHA-256 is stored in ``user_sessions``. Flask-Login's user loader
resolves that token on every request, so logout, a password change or deactivation revokes
the session even for a copied cookie. No "remember me" cookie is ever set.

A user whose password an administrator chose (``User.must_change_password``: a new account,
a reset) lands on the change-password page after signing in, and every other request of
theirs is sent there (:func:`_require_own_password`) until the password is their own: only
that page, signing out and static files stay open. The JSON API is not behind the cookie;
it refuses such a user's tokens (:func:`redactor.accounts.tokens.resolve_token`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from redactor.accounts import limits
from redactor.accounts import service as accounts
from redactor.errors import InvalidInput, NotPermitted
from redactor.models import User
from redactor.review.policy import Role
from redactor.web.extensions import db_session, login_manager

auth_bp = Blueprint("auth", __name__)

#: The endpoints a signed-in user who must change their password may still reach.
OPEN_UNTIL_PASSWORD_CHANGED = frozenset({"auth.change_password", "auth.logout", "static"})


def role_required(*roles: Role | str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view: login required, and 403 unless the user holds one of ``roles``."""
    wanted = frozenset(Role(role) for role in roles)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not (current_user.roles & wanted):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# -- Flask-Login wiring (the extension object is global; these are set once, at import) ------

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    # The user id in the cookie is not trusted on its own: the server-side session must be
    # open, unexpired and belong to that same user.
    user = accounts.resolve_session(db_session(), session.get("token"))
    if user is None or user.get_id() != user_id:
        return None
    return user


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    if request.path.startswith("/api/"):
        return jsonify(error="unauthorized", message="authentication required"), 401
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@auth_bp.before_app_request
def _require_own_password() -> Any:
    """Send a user who must change their password to the change-password page, from every
    route but :data:`OPEN_UNTIL_PASSWORD_CHANGED` (an unknown URL included: nothing is
    answered before the password is theirs). Runs before every view, so no route can be
    left out; a form posted meanwhile is not acted on (303 to the page)."""
    if request.endpoint in OPEN_UNTIL_PASSWORD_CHANGED or request.path.startswith("/api/"):
        return None  # the API authenticates by token alone, and refuses theirs
    if not current_user.is_authenticated or not accounts.must_change_password(current_user):
        return None
    # No flash message: the page itself says why (and a message per bounced request would
    # pile up in the cookie).
    code = 302 if request.method in ("GET", "HEAD") else 303
    return redirect(url_for("auth.change_password"), code=code)


def _safe_next(target: str | None) -> str:
    # Only a path on this site: no scheme, no host, no "//evil" or "/\\evil" tricks. Without
    # one, a user lands on their dashboard (their queues), not on the list of every cable.
    default = url_for("cables.dashboard")
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return default
    return target


def _login_limits() -> limits.LoginLimits:
    """The login rate limits of the configuration (see :mod:`redactor.accounts.limits`)."""
    config = current_app.config
    return limits.LoginLimits.of(
        int(config["LOGIN_MAX_FAILURES"]),
        int(config["LOGIN_WINDOW_SECONDS"]),
        int(config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
    )


def _begin_session(user: User) -> None:
    """Open a server-side session for ``user`` and put its token in a fresh cookie."""
    token = accounts.start_session(
        db_session(),
        user,
        lifetime_seconds=int(current_app.config["SESSION_LIFETIME_SECONDS"]),
        client_addr=request.remote_addr,
    )
    db_session().commit()
    session.clear()  # no session fixation: nothing from before the login survives
    session["token"] = token
    session.permanent = True
    login_user(user)


# -- forms ---------------------------------------------------------------------------------------


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    # The length and other rules are the accounts service's, with its messages.
    new_password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")],
    )


# -- views ---------------------------------------------------------------------------------------


@auth_bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in form; a generic message on failure, 429 when rate limited."""
    if current_user.is_authenticated:
        return redirect(url_for("cables.dashboard"))
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        rules = _login_limits()
        try:
            user = accounts.authenticate(
                db_session(),
                form.username.data,
                form.password.data,
                request.remote_addr,
                max_failures=rules.max_failures,
                window_seconds=rules.window_seconds,
                address_ceiling=rules.address_ceiling,
            )
        except (accounts.LoginRefused, accounts.LoginRateLimited) as exc:
            db_session().commit()  # the failure must count, and be audited
            rate_limited = isinstance(exc, accounts.LoginRateLimited)
            error, status = str(exc), 429 if rate_limited else 200
        else:
            _begin_session(user)
            if accounts.must_change_password(user):
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        error = "Enter a username and a password."
    return render_template("auth/login.html", form=form, error=error), status


@auth_bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Revoke this login session (server-side) and clear the cookie."""
    accounts.end_session(db_session(), session.get("token"))
    db_session().commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@auth_bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    """Change one's own password; every other session of the user is signed out. For a
    password an administrator chose, the page says so; a changed password clears it."""
    form = PasswordForm()
    required = accounts.must_change_password(current_user)
    error, status = None, 200
    if form.validate_on_submit():
        try:
            accounts.change_own_password(
                db_session(),
                current_user,
                form.current_password.data,
                form.new_password.data,
                rules=_login_limits(),
                client_addr=request.remote_addr,
            )
        except accounts.WrongPassword as exc:
            db_session().commit()  # the failure counts against the account, and is audited
            error, status = str(exc), 422
        except accounts.LoginRateLimited as exc:
            db_session().rollback()
            error, status = str(exc), 429
        except (InvalidInput, NotPermitted) as exc:
            error, status = str(exc), 422
        else:
            _begin_session(current_user._get_current_object())
            flash("Your password has been changed; other sessions were signed out.", "success")
            return redirect(url_for("cables.dashboard"))
    elif request.method == "POST":
        error, status = _form_error(form), 422
    page = render_template("auth/password.html", form=form, error=error, required=required)
    return page, status


def _form_error(form: FlaskForm) -> str:
    """The first validation message of ``form``, for a one-line error banner."""
    for field in form:
        if field.errors:
            return f"{field.label.text}: {field.errors[0]}"
    return "The form is invalid."
