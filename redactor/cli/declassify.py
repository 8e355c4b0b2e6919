"""``redactor declassify ...``: declassification requests from the command line, as a person.

Every command acts as the user named by ``--user`` (required: the two-person rule needs to
know who asks and who decides), with that user's roles and clearance, through the same
service as the browser (:mod:`redactor.cables.declassify`), and is audited the same way.
A cable or request the user may not see is "not found", as in the browser.
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select

from redactor.accounts import service as accounts
from redactor.cables import declassify
from redactor.cables.access import get_visible_cable
from redactor.cli.store import settings_from_context, store_session
from redactor.errors import DomainError
from redactor.models import MAX_ID, DeclassificationRequest, User
from redactor.review.policy import Level

_USER = click.option("--user", "username", required=True, help="Act as this user.")


def _user(session: Any, username: str) -> User:
    user = accounts.get_user_by_username(session, username)
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    return user


@click.group("declassify")
def declassify_group() -> None:
    """Ask for, list and decide on declassifications (lowering a cable's level)."""


@declassify_group.command("request")
@click.argument("reference_id")
@click.option(
    "--to",
    "to_level",
    required=True,
    type=click.Choice([lv.name for lv in Level], case_sensitive=False),
    help="The level the cable should fall to.",
)
@click.option("--reason", required=True, help="Why.")
@_USER
@click.pass_context
def request_command(
    ctx: click.Context, reference_id: str, to_level: str, reason: str, username: str
) -> None:
    """Ask that REFERENCE_ID fall to a lower level (as a reviewer cleared for it)."""
    with store_session(settings_from_context(ctx)) as session:
        actor = _user(session, username)
        try:
            cable = get_visible_cable(session, actor, reference_id)
            made = declassify.request_declassification(
                session, actor, cable, to_level=int(Level[to_level.upper()]), reason=reason
            )
        except DomainError as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
        click.echo(f"request {made.id}: {reference_id} to {Level(made.to_level).label}, pending")


@declassify_group.command("list")
@_USER
@click.pass_context
def list_command(ctx: click.Context, username: str) -> None:
    """The pending requests the user may decide on."""
    with store_session(settings_from_context(ctx)) as session:
        actor = _user(session, username)
        for view in declassify.approver_queue(session, actor, limit=1000):
            void = " (void)" if view.void else ""
            click.echo(
                f"{view.id}\t{view.reference_id}\t{view.from_label} -> {view.to_label}"
                f"\t{view.proposer}{void}"
            )


def _decide(ctx: click.Context, request_id: int, username: str, approve: bool, reason: str):
    with store_session(settings_from_context(ctx)) as session:
        actor = _user(session, username)
        try:
            declassify.get_request(session, actor, request_id)
            row_version = session.scalar(
                select(DeclassificationRequest.row_version).where(
                    DeclassificationRequest.id == request_id
                )
            )
            decided = declassify.decide(
                session,
                actor,
                request_id,
                approve=approve,
                expected_row_version=int(row_version),
                reason=reason,
            )
        except DomainError as exc:
            raise click.ClickException(str(exc)) from exc
        status = decided.status.value
        session.commit()
        click.echo(f"request {request_id}: {status}")


@declassify_group.command("approve")
@click.argument("request_id", type=click.IntRange(1, MAX_ID))
@_USER
@click.pass_context
def approve_command(ctx: click.Context, request_id: int, username: str) -> None:
    """Approve REQUEST_ID (as an approver cleared at the old level, not its proposer)."""
    _decide(ctx, request_id, username, True, "")


@declassify_group.command("reject")
@click.argument("request_id", type=click.IntRange(1, MAX_ID))
@click.option("--reason", required=True, help="Why.")
@_USER
@click.pass_context
def reject_command(ctx: click.Context, request_id: int, reason: str, username: str) -> None:
    """Reject REQUEST_ID, with a reason."""
    _decide(ctx, request_id, username, False, reason)
