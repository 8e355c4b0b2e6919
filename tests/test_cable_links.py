"""Tags stored whole and matched whole; migration 0014 fills the links of a populated store."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from redactor.cables.search import search_cables, split_tags
from redactor.cables.service import import_cable
from redactor.db import make_engine, make_session_factory
from redactor.migrations import alembic_config, upgrade_database
from redactor.models import Cable, CableReference
from redactor.review.policy import Level
from tests.conftest import TEST_AUDIT_KEY
from tests.fixtures_store import DATA_DIR, MAX_BYTES, cable_text


def _tagged(reference_id: str, tags: str) -> bytes:
    text = cable_text(reference_id, "UNCLASSIFIED").replace("TAGS: PREL, PGOV", f"TAGS: {tags}")
    return text.encode("utf-8")


def test_person_tags_are_stored_whole_and_the_filter_matches_whole_tags(
    session, make_user, client, login
):
    for ref, tags in (("09ZQXTAG1", "PREL, PGOV"),
                      ("09ZQXTAG2", "OVIP (RICE, CONDOLEEZZA), PRELIM, PGOV")):
        assert import_cable(session, None, f"{ref}.txt", _tagged(ref, tags),
                            max_bytes=MAX_BYTES).error is None
    session.commit()
    user, password = make_user("tagreader", clearance=Level.UNCLASSIFIED)
    stored = session.scalars(select(Cable.tags).where(Cable.reference_id == "09ZQXTAG2")).one()
    assert split_tags(stored) == ["OVIP (RICE, CONDOLEEZZA)", "PRELIM", "PGOV"]

    def found(tag: str) -> list[str]:
        page = search_cables(session, user, "", tags=tag, sort="reference")
        return [hit.reference_id for hit in page.hits]

    assert found("PREL") == ["09ZQXTAG1"]  # not PRELIM
    assert found("pgov") == ["09ZQXTAG1", "09ZQXTAG2"]
    assert found("ovip (rice,  condoleezza)") == ["09ZQXTAG2"]
    assert found("RICE") == [] and found("RICE, CONDOLEEZZA") == [] and found("PRE%") == []
    session.commit()

    login(client, "tagreader", password)
    page = client.get("/cables?tags=PREL").get_data(as_text=True)
    assert "09ZQXTAG1" in page and "09ZQXTAG2" not in page


def test_migration_0014_fills_canonical_ids_references_and_tags_of_a_populated_store(
    tmp_path: Path,
):
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    upgrade_database(url)
    factory = make_session_factory(make_engine(url), audit_key=bytes.fromhex(TEST_AUDIT_KEY))
    names = ("08ECTION01OF02MANAMA492", "08MANAMA492")
    with factory() as session:
        for name in names:
            data = (DATA_DIR / "cables" / f"{name}.txt").read_bytes()
            assert import_cable(session, None, name, data, max_bytes=MAX_BYTES).error is None
        assert import_cable(session, None, "t.txt", _tagged("09ZQXTAG3", "OVIP (RICE, C.), PREL"),
                            max_bytes=MAX_BYTES).error is None
        session.commit()
        expected = (
            sorted(session.execute(select(Cable.reference_id, Cable.canonical_id, Cable.tags))),
            sorted(session.execute(select(CableReference.position, CableReference.label,
                                          CableReference.text, CableReference.cited_id))),
        )
    assert expected[1], "the real cables hold references"
    assert ("08ECTION01OF02MANAMA492", "08MANAMA492") in [row[:2] for row in expected[0]]

    from alembic import command

    command.downgrade(alembic_config(url), "0012")  # as a store of the release before
    upgrade_database(url)
    with factory() as session:
        assert (
            sorted(session.execute(select(Cable.reference_id, Cable.canonical_id, Cable.tags))),
            sorted(session.execute(select(CableReference.position, CableReference.label,
                                          CableReference.text, CableReference.cited_id))),
        ) == expected
