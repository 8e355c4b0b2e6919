"""``/account/tokens``: a signed-in user's personal access tokens for the JSON API.

List, create (the secret is shown once, on the page that answers the creation, and never
again), revoke. Forms carry CSRF tokens like every other form; each view calls one service
of :mod:`redactor.accounts.tokens` and commits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from redactor.accounts import tokens
from redactor.errors import InvalidInput, NotFound, NotPermitted
from redactor.models import ApiToken, User
from redactor.web.extensions import db_session

tokens_bp = Blueprint("tokens", __name__)

MAX_EXPIRY_DAYS = 3650


class TokenForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired(), Length(max=tokens.MAX_NAME_LENGTH)]
    )
    expires_days = IntegerField(
        "Expires after (days)",
        validators=[Optional(), NumberRange(min=1, max=MAX_EXPIRY_DAYS)],
    )


class RevokeForm(FlaskForm):
    """Only the CSRF token: the token id is in the URL."""


def _actor() -> User:
    return current_user._get_current_object()


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite hands back naive times; every stored time is UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _rows(items: list[ApiToken]) -> list[dict[str, Any]]:
    return [
        {
            "id": token.id,
            "name": token.name,
            "prefix": token.prefix,
            "created": _when(token.created_at),
            "expires": _when(token.expires_at) or "never",
            "last_used": _when(token.last_used_at) or "never",
            "state": tokens.token_state(token),
        }
        for token in items
    ]


def _page(form: TokenForm, *, secret: str | None = None, error: str | None = None,
          status: int = 200) -> Any:
    items = tokens.list_tokens(db_session(), _actor(), _actor())
    return (
        render_template(
            "account/tokens.html",
            form=form,
            rows=_rows(items),
            secret=secret,
            error=error,
        ),
        status,
    )


@tokens_bp.get("/account/tokens")
@login_required
def list_tokens() -> Any:
    """The user's tokens and the form to make one."""
    return _page(TokenForm())


@tokens_bp.post("/account/tokens")
@login_required
def create() -> Any:
    """Make a token; the answer is the one page that ever shows its secret."""
    form = TokenForm()
    if not form.validate_on_submit():
        message = next((f"{field.label.text}: {field.errors[0]}" for field in form
                        if field.errors), "The form is invalid.")
        return _page(form, error=message, status=400 if form.csrf_token.errors else 422)
    expires_at = None
    if form.expires_days.data:
        expires_at = datetime.now(UTC) + timedelta(days=form.expires_days.data)
    session, user = db_session(), _actor()
    try:
        _token, secret = tokens.create_token(session, user, user, form.name.data, expires_at)
    except (InvalidInput, NotPermitted) as exc:
        session.rollback()
        return _page(form, error=str(exc), status=422)
    session.commit()
    return _page(TokenForm(formdata=None), secret=secret)


@tokens_bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Any:
    """Revoke one of the user's tokens (404 for anyone else's)."""
    form = RevokeForm()
    if not form.validate_on_submit():
        return _page(TokenForm(formdata=None), error="The form expired; try again.", status=400)
    session = db_session()
    token = tokens.get_token(session, _actor(), token_id)
    if token.user_id != _actor().id:
        # Administrators revoke other people's tokens from the command line; this page is
        # about one's own.
        raise NotFound("no such token")
    tokens.revoke_token(session, _actor(), token)
    session.commit()
    flash(f"Token {token.prefix}… revoked.", "success")
    return redirect(url_for("tokens.list_tokens"))
