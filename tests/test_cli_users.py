"""``redactor user ...``: add, list, set, disable, enable -- passwords never as arguments."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from redactor.accounts import service as accounts
from redactor.cli.users import user_group
from redactor.review.policy import Level, Role


@pytest.fixture
def run(app_config):
    """``run(*args, input=None) -> Result`` on this test's database."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(
            user_group, list(args), input=input, obj={"config": dict(app_config)},
            catch_exceptions=False,
        )

    return invoke


def _get(app, username):
    with app.extensions["redactor.sessions"]() as fresh:
        return accounts.get_user_by_username(fresh, username)


def test_add_with_password_from_stdin(app, run):
    result = run("add", "alice", "--role", "reviewer", "--role", "approver",
                 "--clearance", "SECRET", "--display-name", "Alice A.", "--password-stdin",
                 input="a long secret passphrase\n")
    assert result.exit_code == 0, result.output
    assert "created user alice" in result.output
    user = _get(app, "alice")
    assert user.roles == {Role.REVIEWER, Role.APPROVER} and user.clearance == Level.SECRET
    assert user.display_name == "Alice A."
    assert accounts.verify_password(user.password_hash, "a long secret passphrase")


def test_add_prompts_twice_for_the_password(app, run):
    result = run("add", "bob", "--role", "auditor", "--clearance", "unclassified",
                 input="the long passphrase 2\nthe long passphrase 2\n")
    assert result.exit_code == 0, result.output
    assert "the long passphrase 2" not in result.output  # hidden input is not echoed
    assert accounts.verify_password(_get(app, "bob").password_hash, "the long passphrase 2")


def test_add_refuses_mismatched_confirmation(app, run):
    result = run("add", "carol", "--clearance", "SECRET",
                 input="first passphrase 1\nsecond passphrase 2\n"
                       "first passphrase 1\nfirst passphrase 1\n")
    assert "do not match" in result.output
    assert result.exit_code == 0  # asked again, then accepted


def test_password_cannot_be_given_as_an_argument(run):
    result = CliRunner().invoke(user_group, ["add", "dave", "--clearance", "SECRET",
                                             "--password", "on the command line!"])
    assert result.exit_code != 0
    assert "No such option" in result.output


def test_add_reports_a_weak_password_and_creates_nothing(app, run):
    result = run("add", "erin", "--clearance", "SECRET", "--password-stdin", input="short\n")
    assert result.exit_code == 1
    assert "at least 12" in result.output
    assert _get(app, "erin") is None


def test_list_shows_roles_clearance_and_state(run, make_user):
    make_user("frank", roles=[Role.APPROVER], clearance=Level.CONFIDENTIAL)
    make_user("gina", active=False)
    output = run("list").output
    frank = next(line for line in output.splitlines() if line.startswith("frank"))
    assert "approver" in frank and "CONFIDENTIAL" in frank and "active" in frank
    gina = next(line for line in output.splitlines() if line.startswith("gina"))
    assert "disabled" in gina


def test_set_changes_roles_clearance_and_password(app, run, make_user):
    make_user("hana", roles=[Role.REVIEWER], clearance=Level.SECRET)
    result = run("set", "hana", "--role", "auditor", "--clearance", "TOP_SECRET",
                 "--password-stdin", input="the new passphrase 3\n")
    assert result.exit_code == 0, result.output
    user = _get(app, "hana")
    assert user.roles == {Role.AUDITOR} and user.clearance == Level.TOP_SECRET
    assert accounts.verify_password(user.password_hash, "the new passphrase 3")


def test_set_with_nothing_to_change_is_a_usage_error(run, make_user):
    make_user("ivan")
    result = CliRunner().invoke(user_group, ["set", "ivan"])
    assert result.exit_code == 2 and "nothing to change" in result.output


def test_disable_and_enable(app, run, make_user):
    make_user("jack")
    assert run("disable", "jack").exit_code == 0
    assert not _get(app, "jack").active
    assert run("enable", "jack").exit_code == 0
    assert _get(app, "jack").active


def test_unknown_user_is_reported(run):
    result = run("disable", "nobody")
    assert result.exit_code == 1 and "no user 'nobody'" in result.output


def test_cli_changes_are_audited_as_the_local_administrator(app, run, session):
    from sqlalchemy import select

    from redactor.models import AuditEntry

    run("add", "kate", "--clearance", "SECRET", "--password-stdin", input="the passphrase 4 is\n")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.create")).one()
    assert entry.actor_id is None and entry.client_addr == "cli"


def test_a_user_added_or_reset_here_must_choose_a_password_at_first_sign_in(app, run, make_user):
    # The password typed here is known to the administrator: the user replaces it first.
    run("add", "lena", "--clearance", "SECRET", "--password-stdin", input="the first phrase 5\n")
    assert _get(app, "lena").must_change_password
    make_user("mona", roles=[Role.REVIEWER], clearance=Level.SECRET)
    assert not _get(app, "mona").must_change_password
    run("set", "mona", "--password-stdin", input="a reset phrase 66\n")
    assert _get(app, "mona").must_change_password


def test_keep_password_is_for_the_administrators_own_account(app, run):
    run("add", "root", "--role", "admin", "--clearance", "SECRET", "--keep-password",
        "--password-stdin", input="my own phrase 777\n")
    assert not _get(app, "root").must_change_password
    run("set", "root", "--keep-password", "--password-stdin", input="my next phrase 888\n")
    user = _get(app, "root")
    assert not user.must_change_password
    assert accounts.verify_password(user.password_hash, "my next phrase 888")
