"""``redactor token ...``: personal access tokens for the JSON API, as the local administrator.

``token create USER`` prints the secret once, on standard output and alone on its line, so
that a script can capture it (``TOKEN=$(redactor token create alice --name ci)``); nothing
else goes to standard output. Every change is audited as it is from the browser.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
from sqlalchemy import select

from redactor.accounts import service as accounts
from redactor.accounts import tokens
from redactor.cli.store import settings_from_context, store_session
from redactor.errors import InvalidInput, NotFound, NotPermitted
from redactor.models import MAX_ID, ApiToken, User

MAX_EXPIRY_DAYS = 3650


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _find_user(session, username: str) -> User:
    user = accounts.get_user_by_username(session, username)
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    return user


@click.group("token")
def token_group() -> None:
    """Manage personal access tokens of the JSON API (as the local administrator)."""


@token_group.command("create")
@click.argument("username")
@click.option("--name", default="command line", show_default=True, help="What it is for.")
@click.option(
    "--expires-days",
    type=click.IntRange(1, MAX_EXPIRY_DAYS),
    default=None,
    help="Expire after N days (default: never).",
)
@click.pass_context
def create_command(ctx: click.Context, username: str, name: str, expires_days: int | None) -> None:
    """Make a token for USERNAME and print its secret (shown this once only)."""
    expires_at = (
        datetime.now(UTC) + timedelta(days=expires_days) if expires_days is not None else None
    )
    with store_session(settings_from_context(ctx)) as session:
        user = _find_user(session, username)
        try:
            token, secret = tokens.create_token(session, None, user, name, expires_at)
        except (InvalidInput, NotPermitted) as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
        click.echo(
            f"token {token.id} ({token.prefix}...) for {user.username}; "
            "the secret is shown once:",
            err=True,
        )
        click.echo(secret)


@token_group.command("revoke")
@click.argument("token_id", type=click.IntRange(1, MAX_ID))
@click.pass_context
def revoke_command(ctx: click.Context, token_id: int) -> None:
    """Revoke the token TOKEN_ID (see `redactor token list`)."""
    with store_session(settings_from_context(ctx)) as session:
        try:
            token = tokens.get_token(session, None, token_id)
        except NotFound as exc:
            raise click.ClickException(f"no token {token_id}") from exc
        tokens.revoke_token(session, None, token)
        session.commit()
        click.echo(f"revoked token {token.id} ({token.prefix}...)")


@token_group.command("list")
@click.argument("username", required=False)
@click.pass_context
def list_command(ctx: click.Context, username: str | None) -> None:
    """List the tokens of USERNAME (of everyone when omitted); never their secrets."""
    with store_session(settings_from_context(ctx)) as session:
        user = _find_user(session, username) if username else None
        items = tokens.list_tokens(session, None, user)
        names = dict(
            session.execute(
                select(User.id, User.username).where(
                    User.id.in_({token.user_id for token in items})
                )
            ).all()
        )
        click.echo(
            f"{'ID':>6}  {'USER':<20} {'PREFIX':<13} {'STATE':<8} {'EXPIRES':<18} "
            f"{'LAST USED':<18} NAME"
        )
        for token in items:
            click.echo(_line(token, names.get(token.user_id, "?")))


def _line(token: ApiToken, username: str) -> str:
    return (
        f"{token.id:>6}  {username:<20} {token.prefix:<13} {tokens.token_state(token):<8} "
        f"{_when(token.expires_at):<18} {_when(token.last_used_at):<18} {token.name}"
    )
