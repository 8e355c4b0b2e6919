"""Fixtures for cables in the store (make_cable, imported sample cables).

Every cable enters the store through the import service, as in production, so a fixture
cable has its version, portions, parsed view, search row and audit entry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from redactor.cables.service import ImportStatus, import_batch, import_cable, iter_import_sources
from redactor.models import Cable

DATA_DIR = Path(__file__).resolve().parent / "data"
FIXTURE_CABLES_DIR = DATA_DIR / "cables"
BAD_CABLES_DIR = DATA_DIR / "bad"
FIXTURE_CABLE_COUNT = 71
MAX_BYTES = 5 * 1024 * 1024

# Portion marking and banner of each level, for building a plausible cable text.
_MARKS = {"UNCLASSIFIED": "U", "CONFIDENTIAL": "C", "SECRET": "S", "TOP SECRET": "TS"}


def cable_text(
    reference_id: str = "09TEST1",
    classification: str = "CONFIDENTIAL",
    *,
    body: str | None = None,
    subject: str = "TEST SUBJECT",
    origin: str = "Embassy Testville",
) -> str:
    """A small valid cable text in the WikiLeaks layout (metadata lines, header, body).

    ``body`` replaces the numbered paragraphs; by default there are two, marked at the
    cable's level.
    """
    head = classification.split("//")[0].strip().upper()
    mark = _MARKS.get(head, "U")
    banner = " ".join(head) if head != "UNCLASSIFIED" else "UNCLAS"
    if body is None:
        body = (
            f"1. ({mark}) Summary: this is a test cable about {subject.lower()}. "
            "Officials met on Tuesday to discuss the matter.\n\n"
            f"2. ({mark}) Comment: nothing further to report. End comment."
        )
    return (
        f"{reference_id}\n"
        "2009-05-21 19:07\n"
        "2010-12-01 23:11\n"
        f"{classification}\n"
        f"{origin}\n"
        "\n"
        "R 211912Z MAY 09\n"
        "FM AMEMBASSY TESTVILLE\n"
        "TO SECSTATE WASHDC 0001\n"
        "\n"
        f"{banner} TESTVILLE 000001 \n"
        "\n"
        "E.O. 12958: DECL: 05/19/2019 \n"
        "TAGS: PREL, PGOV \n"
        f"SUBJECT: {subject} \n"
        "\n"
        "Classified By: Ambassador A. Tester for reasons 1.4 (b) and (d)\n"
        "\n"
        f"{body}\n"
        "\n"
        "TESTER\n"
    )


@pytest.fixture
def make_cable(session) -> Callable[..., Cable]:
    """A factory: ``make_cable(reference_id, classification, *, body, subject, origin)``.

    Builds a small valid cable text, imports it through the import service (as the system,
    no acting user) and commits; returns the stored :class:`Cable`. Calling it again with
    the same reference id and a different text stores a new version.
    """

    def make(
        reference_id: str = "09TEST1",
        classification: str = "CONFIDENTIAL",
        *,
        body: str | None = None,
        subject: str = "TEST SUBJECT",
        origin: str = "Embassy Testville",
    ) -> Cable:
        text = cable_text(
            reference_id, classification, body=body, subject=subject, origin=origin
        )
        outcome = import_cable(
            session, None, f"{reference_id}.txt", text.encode("utf-8"), max_bytes=MAX_BYTES
        )
        assert outcome.status is not ImportStatus.FAILED, outcome.error
        session.commit()
        return session.scalars(
            select(Cable)
            .where(Cable.reference_id == reference_id)
            .execution_options(populate_existing=True)
        ).one()

    return make


@pytest.fixture
def imported_fixture_cables(app, session) -> list[Cable]:
    """The 71 cables of ``tests/data/cables`` imported (and committed); sorted by reference id."""
    summary = import_batch(
        app.extensions["redactor.sessions"],
        None,
        iter_import_sources([FIXTURE_CABLES_DIR]),
        max_bytes=MAX_BYTES,
    )
    assert summary.imported == FIXTURE_CABLE_COUNT, summary.failures
    cables = list(session.scalars(select(Cable).order_by(Cable.reference_id)))
    # End the read transaction: on SQLite it would hold the write lock other sessions need.
    session.commit()
    return cables
