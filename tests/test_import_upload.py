"""Importing from the browser: who may, CSRF, several files or a zip, the result page."""

from __future__ import annotations

import html
import io
import json

import pytest
from sqlalchemy import func, select

from redactor.models import AuditEntry, Cable
from redactor.review.policy import Role
from tests.fixtures_accounts import find_csrf_token
from tests.fixtures_store import BAD_CABLES_DIR, FIXTURE_CABLES_DIR, cable_text
from tests.test_import_service import BAD_FILES, GOOD_IN_ZIP, MIXED_ZIP


def cable_count(session) -> int:
    value = session.scalar(select(func.count()).select_from(Cable))
    session.rollback()  # on SQLite an open read holds the write lock the next request needs
    return value


@pytest.fixture
def reviewer_client(client, make_user, login, session):
    user, password = make_user("rev", roles=(Role.REVIEWER,))
    login(client, "rev", password)
    session.rollback()
    return client


def small_fixture_files(budget: int) -> list[tuple[str, bytes]]:
    """Fixture cables, smallest first, up to ``budget`` bytes in all."""
    files = []
    for path in sorted(FIXTURE_CABLES_DIR.glob("*.txt"), key=lambda p: p.stat().st_size):
        data = path.read_bytes()
        if budget < len(data):
            break
        budget -= len(data)
        files.append((path.name, data))
    return files


def post_files(client, files, *, token=None):
    token = token if token is not None else find_csrf_token(client.get("/import").get_data(True))
    return client.post(
        "/import",
        data={"csrf_token": token, "files": [(io.BytesIO(data), name) for name, data in files]},
        content_type="multipart/form-data",
    )


def test_reviewer_uploads_several_files_and_sees_each_failure_named(reviewer_client, session):
    # Under 500 kB in all: above that the test client spools the request body to a temporary
    # file it never closes (a ResourceWarning, an error under filterwarnings=error).
    files = small_fixture_files(400_000)
    bad = [name for name in BAD_FILES if ":" not in name]
    good = list(files)
    files += [(name, (BAD_CABLES_DIR / name).read_bytes()) for name in bad]

    response = post_files(reviewer_client, files)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        f"imported {len(good)}, unchanged 0, new versions 0, failed {len(bad)}" in page
    )
    for name in bad:
        assert f'<td class="file-name">{name}</td>' in page
    assert "line 4: unknown classification &#39;SUPER SECRET&#39;" in page
    assert cable_count(session) == len(good) >= 40

    again = post_files(reviewer_client, files[:3])
    assert again.status_code == 200
    assert "imported 0, unchanged 3, new versions 0, failed 0" in again.get_data(as_text=True)


def test_a_zip_upload_imports_good_members_and_names_bad_ones(reviewer_client, session):
    response = post_files(reviewer_client, [("mixed.zip", MIXED_ZIP.read_bytes())])

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"imported {GOOD_IN_ZIP}, unchanged 0, new versions 0, failed 3" in page
    assert "mixed.zip:bad/latin1.txt" in page
    assert "mixed.zip:../../outside/09ZIPTEST2.txt" not in page  # imported, not failed
    assert cable_count(session) == GOOD_IN_ZIP


def test_upload_is_audited_with_the_user_and_address(reviewer_client, session):
    response = post_files(reviewer_client, [("one.txt", cable_text("09WEB1").encode())])

    assert response.status_code == 200
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "cable.import")).one()
    assert entry.actor_name == "rev" and entry.client_addr == "127.0.0.1"
    assert json.loads(entry.payload)["source"] == "one.txt"


def test_file_names_are_escaped_on_the_result_page(reviewer_client):
    name = "<img src=x onerror=alert(1)>.txt"

    response = post_files(reviewer_client, [(name, b"")])

    page = response.get_data(as_text=True)
    assert "<img src=x" not in page
    assert html.escape(name, quote=False) in page


def test_upload_without_csrf_token_is_refused_and_imports_nothing(reviewer_client, session):
    response = post_files(reviewer_client, [("one.txt", cable_text("09WEB2").encode())], token="")

    assert response.status_code == 400
    assert cable_count(session) == 0


def test_an_empty_upload_is_a_form_error(reviewer_client):
    response = post_files(reviewer_client, [])

    assert response.status_code == 400
    assert "Choose one or more cable files" in response.get_data(as_text=True)


@pytest.mark.parametrize("roles", [(Role.APPROVER,), (Role.AUDITOR,), (Role.RELEASE_AUTHORITY,)])
def test_only_admins_and_reviewers_may_import(client, make_user, login, session, roles):
    _user, password = make_user("other", roles=roles)
    login(client, "other", password)
    session.rollback()
    token = find_csrf_token(client.get("/cables").get_data(as_text=True))

    form = client.get("/import")
    posted = post_files(client, [("one.txt", cable_text("09WEB4").encode())], token=token)

    assert form.status_code == 403
    assert posted.status_code == 403
    assert cable_count(session) == 0


def test_an_admin_may_import(client, make_user, login, session):
    _user, password = make_user("boss", roles=(Role.ADMIN,))
    login(client, "boss", password)
    session.rollback()

    response = post_files(client, [("one.txt", cable_text("09WEB3").encode())])

    assert response.status_code == 200
    assert cable_count(session) == 1


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get("/import")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_form_works_without_inline_script_and_loads_the_progress_module(reviewer_client):
    page = reviewer_client.get("/import").get_data(as_text=True)

    assert 'enctype="multipart/form-data"' in page and 'name="files" multiple' in page
    assert "<script>" not in page and "onclick" not in page
    assert "/static/js/upload.js" in page
    script = reviewer_client.get("/static/js/upload.js")
    body = script.data
    script.close()
    assert script.status_code == 200 and b"upload.addEventListener" in body
