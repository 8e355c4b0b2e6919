"""Fixtures for the browser tests: a live server on this test's database, a real Chromium.

The application runs in a background thread (Werkzeug's ``make_server``, threaded) on a free
port of 127.0.0.1, built by the suite's ``app`` fixture: the test's own SQLite file, or its
own PostgreSQL database when ``REDACTOR_TEST_POSTGRES_URL`` is set. The browser is Debian's
``chromium`` found on ``PATH`` (``REDACTOR_CHROMIUM`` to point elsewhere), driven by
Playwright for Python; a browser is never downloaded. It is started once for this package
and closed after it, so its event loop never meets the rest of the suite.

Screenshots go to ``REDACTOR_TEST_ARTIFACTS`` (a folder; created) or a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from redactor.review.policy import Level, Role

CHROMIUM = os.environ.get("REDACTOR_CHROMIUM") or shutil.which("chromium") or ""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the browser tests."""
    assert CHROMIUM, "no chromium on PATH: install Debian's chromium (see .ci/run)"
    with sync_playwright() as play:
        launched = play.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (the browser fetches many)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _buffered(app: Callable[..., Any]) -> Callable[..., Any]:
    """The WSGI app with each response body read whole and its iterable closed at once.

    Werkzeug's development server skips ``close()`` of a response when the browser drops the
    connection while the server drains the request (it does, for a favicon fetched as a page
    navigates away); an open static file is then left to the garbage collector, and its
    ResourceWarning fails whichever test is running. Gunicorn, used for real, closes it.
    """

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return serve


@pytest.fixture
def live_server(app, session) -> Iterator[str]:
    """The app served on a free port of 127.0.0.1; yields its base URL."""
    # The test's session must not hold a read transaction (on SQLite, the write lock).
    session.commit()
    server = make_server(
        "127.0.0.1", 0, _buffered(app), threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the browser tests save screenshots."""
    configured = os.environ.get("REDACTOR_TEST_ARTIFACTS")
    if configured:
        folder = Path(configured) / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("browser-screenshots")


@dataclass
class Watched:
    """A page with everything it reported: console errors, uncaught errors, dialogs."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    accept_dialogs: bool = False

    def assert_quiet(self) -> None:
        """No console error, no uncaught script error, no dialog."""
        assert self.console_errors == [], self.console_errors
        assert self.page_errors == [], self.page_errors
        assert self.dialogs == [], self.dialogs


@dataclass
class Person:
    """A user with a known password and a browser context of their own."""

    username: str
    password: str
    user_id: int
    context: BrowserContext
    base: str
    pages: list[Watched] = field(default_factory=list)

    def new_page(self) -> Watched:
        """A new tab whose console, errors and dialogs are recorded; dialogs are dismissed
        unless ``accept_dialogs`` is set on the returned object."""
        page = self.context.new_page()
        watched = Watched(page)

        def on_console(message: Any) -> None:
            if message.type != "error":
                return
            source = (message.location or {}).get("url", "")
            if source.endswith("/favicon.ico"):
                return  # the browser asks for one on its own; the app has none
            watched.console_errors.append(f"{page.url}: {message.text} ({source})")

        def on_dialog(dialog: Any) -> None:
            watched.dialogs.append(f"{dialog.type}: {dialog.message}")
            if watched.accept_dialogs:
                dialog.accept()
            else:
                dialog.dismiss()

        page.on("console", on_console)
        page.on("pageerror", lambda error: watched.page_errors.append(str(error)))
        page.on("dialog", on_dialog)
        self.pages.append(watched)
        return watched

    def sign_in(self) -> Watched:
        """Sign in through the login form; returns the page, now on the signed-in side."""
        watched = self.new_page()
        page = watched.page
        page.goto(f"{self.base}/login")
        page.fill("input[name=username]", self.username)
        page.fill("input[name=password]", self.password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url, f"could not sign in as {self.username}"
        return watched


@pytest.fixture
def query(app) -> Callable[[Callable[[Any], Any]], Any]:
    """``query(fn)``: ``fn(session)`` in a session of its own, rolled back and closed at once
    (a read left open on SQLite would hold the write lock the live server needs). ``fn``
    must return plain values, not ORM objects."""
    factory = app.extensions["redactor.sessions"]

    def run(fn: Callable[[Any], Any]) -> Any:
        with factory() as db:
            try:
                return fn(db)
            finally:
                db.rollback()

    return run


@pytest.fixture
def person(browser, live_server, make_user, session) -> Iterator[Callable[..., Person]]:
    """``person(username, roles=(REVIEWER,), clearance=TOP_SECRET) -> Person``: a user made
    through the accounts service, with a fresh browser context (no shared cookies)."""
    made: list[Person] = []

    def make(
        username: str,
        roles: tuple[Role, ...] = (Role.REVIEWER,),
        clearance: Level = Level.TOP_SECRET,
    ) -> Person:
        user, password = make_user(username, roles=roles, clearance=clearance)
        user_id = user.id
        session.commit()  # reading the id began a transaction: end it
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        context.set_default_timeout(15_000)
        one = Person(username, password, user_id, context, live_server)
        made.append(one)
        return one

    yield make
    for one in made:
        one.context.close()
