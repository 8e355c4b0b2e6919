"""``redactor user ...``: manage accounts from the command line, as the local administrator.

Whoever can run this command on the server can read the database anyway, so the commands act
with ``actor=None`` (see :mod:`redactor.accounts.service`); every change is still audited.
Passwords are read from an interactive prompt (typed twice) or, with ``--password-stdin``,
from the first line of standard input -- never from an argument, which would leave them in
the shell history and the process list.

Settings and the store are opened as every command opens them (:mod:`redactor.cli.store`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from redactor.accounts import service as accounts
from redactor.cli.store import settings_from_context, store_session
from redactor.errors import InvalidInput, NotPermitted
from redactor.models import User
from redactor.review.policy import Level, Role

ROLE_CHOICE = click.Choice([role.value for role in Role], case_sensitive=False)
LEVEL_CHOICE = click.Choice([level.name for level in Level], case_sensitive=False)


def read_password(from_stdin: bool) -> str:
    """A new password from stdin's first line, or typed twice at a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on standard input")
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _find(session: Session, username: str) -> User:
    user = accounts.get_user_by_username(session, username)
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    return user


@contextmanager
def _domain_errors() -> Iterator[None]:
    try:
        yield
    except (InvalidInput, NotPermitted) as exc:
        raise click.ClickException(str(exc)) from exc


def _describe(user: User) -> str:
    roles = ",".join(sorted(role.value for role in user.roles)) or "-"
    state = "active" if user.active else "disabled"
    return f"{user.username:<24} {roles:<40} {Level(user.clearance).name:<13} {state}"


KEEP_HELP = (
    "Do not ask the user to choose a new password at the next sign-in (for your own account)."
)


@click.group("user")
def user_group() -> None:
    """Manage user accounts (as the local administrator)."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, type=ROLE_CHOICE, help="Repeat for more roles.")
@click.option("--clearance", required=True, type=LEVEL_CHOICE, help="Highest level to see.")
@click.option("--display-name", default="", help="The name shown in the application.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--keep-password", is_flag=True, help=KEEP_HELP)
@click.pass_context
def add_command(
    ctx: click.Context,
    name: str,
    roles: tuple[str, ...],
    clearance: str,
    display_name: str,
    password_stdin: bool,
    keep_password: bool,
) -> None:
    """Create the user NAME; the password is prompted for (or read with --password-stdin).

    The user is asked to choose a password of their own at first sign-in (the one given here
    is known to whoever typed it), unless --keep-password: the administrator's own account.
    """
    settings = settings_from_context(ctx)
    password = read_password(password_stdin)
    with store_session(settings) as session, _domain_errors():
        user = accounts.create_user(
            session, None, name, password, roles, clearance, display_name=display_name,
            must_change_password=not keep_password,
        )
        session.commit()
        click.echo(f"created user {user.username}")


@user_group.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """List every user with roles, clearance and state."""
    with store_session(settings_from_context(ctx)) as session:
        users = accounts.list_users(session, None)
        click.echo(f"{'USERNAME':<24} {'ROLES':<40} {'CLEARANCE':<13} STATE")
        for user in users:
            click.echo(_describe(user))


@user_group.command("set")
@click.argument("name")
@click.option("--role", "roles", multiple=True, type=ROLE_CHOICE, help="Replaces the roles.")
@click.option("--clearance", type=LEVEL_CHOICE, default=None)
@click.option("--password", "new_password", is_flag=True, help="Prompt for a new password.")
@click.option("--password-stdin", is_flag=True, help="Read a new password from standard input.")
@click.option("--keep-password", is_flag=True, help=KEEP_HELP)
@click.pass_context
def set_command(
    ctx: click.Context,
    name: str,
    roles: tuple[str, ...],
    clearance: str | None,
    new_password: bool,
    password_stdin: bool,
    keep_password: bool,
) -> None:
    """Change NAME's roles, clearance or password (their sessions are signed out).

    A new password set here must be changed by its user at the next sign-in, as one an admin
    resets in the browser, unless --keep-password.
    """
    if not (roles or clearance or new_password or password_stdin):
        raise click.UsageError("nothing to change: give --role, --clearance or --password")
    settings = settings_from_context(ctx)
    password = read_password(password_stdin) if (new_password or password_stdin) else None
    with store_session(settings) as session, _domain_errors():
        user = _find(session, name)
        if roles:
            accounts.set_roles(session, None, user, roles)
        if clearance:
            accounts.set_clearance(session, None, user, clearance)
        if password is not None:
            accounts.set_password(
                session, None, user, password, must_change_password=not keep_password
            )
        session.commit()
        click.echo(_describe(user))


def _set_active(ctx: click.Context, name: str, active: bool) -> None:
    with store_session(settings_from_context(ctx)) as session, _domain_errors():
        user = _find(session, name)
        accounts.set_active(session, None, user, active)
        session.commit()
        click.echo(f"{'enabled' if active else 'disabled'} user {user.username}")


@user_group.command("disable")
@click.argument("name")
@click.pass_context
def disable_command(ctx: click.Context, name: str) -> None:
    """Deactivate NAME and sign out all their sessions."""
    _set_active(ctx, name, False)


@user_group.command("enable")
@click.argument("name")
@click.pass_context
def enable_command(ctx: click.Context, name: str) -> None:
    """Reactivate NAME."""
    _set_active(ctx, name, True)
