"""Twins across the collection: exact, edited, noisy and quoted copies are found at import,
kept in the store (SQLite and PostgreSQL alike), and a twin's decisions are proposed here
re-anchored, each still needing a second person's approval."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from redactor.cables.parser import decode_cable_bytes
from redactor.consistency import twin_views, twins
from redactor.consistency.models import TwinBand, TwinCable, TwinPortion
from redactor.consistency.shingles import MIN_PORTION, normal_text, normalise
from redactor.errors import NotFound, NotPermitted
from redactor.models import Cable, CableVersion, Redaction, RedactionStatus
from redactor.redaction import service as redaction_service
from redactor.review.policy import Level, Role

P1 = (
    "1. (C) Summary: The Minister of Interior, Khalid Al-Marzouqi, told poloff on July 16 "
    "that the government would ask the International Organization for Migration to run two "
    "seminars on the new anti-trafficking law, and that the police academy would host them. "
    "He said the ministry had already paid for the first seminar and expected donors to "
    "fund the second before the end of the year."
)
P2 = (
    "2. (C) Muhammad Shahidulhaque, the regional representative, said that the country "
    "still leads the rest of the Gulf in combating trafficking, and that implementation of "
    "the law, not its text, remained the main challenge for prosecutors and the courts."
)
OTHER = (
    "1. (C) The harbour authority announced new tariffs for container traffic on Monday, "
    "citing rising fuel costs and the need to dredge the northern channel before the "
    "monsoon season begins in earnest next spring, officials said at a press conference."
)
NAME = "Khalid Al-Marzouqi"


def _pairs(session, reference_id: str) -> list[tuple[str, int, str, int, str]]:
    """(own portion, twin reference id, twin portion, kind) of the cable's current version."""
    cable = session.scalars(select(Cable).where(Cable.reference_id == reference_id)).one()
    version = session.scalars(
        select(CableVersion).where(CableVersion.cable_id == cable.id,
                                   CableVersion.number == cable.current_version)
    ).one()
    rows = session.execute(
        select(TwinPortion.portion_index, Cable.reference_id, TwinPortion.twin_portion_index,
               TwinPortion.kind)
        .join(Cable, Cable.id == TwinPortion.twin_cable_id)
        .where(TwinPortion.version_id == version.id)
        .order_by(TwinPortion.portion_index)
    ).all()
    return [tuple(r) for r in rows]


def _noise(text: str, rate: float, seed: int) -> str:
    rng = random.Random(seed)
    out = []
    for ch in text:
        if ch.isalpha() and rng.random() < rate:
            out.append(rng.choice("ocelis"))
        else:
            out.append(ch)
    return "".join(out)


def test_exact_copy_is_found_both_ways_and_the_cables_are_duplicates(session, make_cable):
    a = make_cable("09TWINA1", body=f"{P1}\n\n{P2}")
    b = make_cable("09TWINB1", body=f"{P1}\n\n{P2}")
    assert ("09TWINA1", 0) in {(r[1], r[2]) for r in _pairs(session, "09TWINB1")}
    assert {r[3] for r in _pairs(session, "09TWINA1")} == {"copy"}
    dup = session.execute(select(TwinCable.cable_id, TwinCable.twin_cable_id)).all()
    assert {(a.id, b.id), (b.id, a.id)} <= set(dup)


def test_a_copy_rekeyed_with_small_edits_is_found(session, make_cable):
    make_cable("09TWINA2", body=P1)
    edited = P1.upper().replace("TWO SEMINARS", "2 SEMINARS").replace(", AND THAT", " AND")
    edited = edited.replace(" THE ", "\nTHE ", 3)  # other line breaks
    make_cable("09TWINB2", body=edited)
    assert [(r[1], r[3]) for r in _pairs(session, "09TWINB2")] == [("09TWINA2", "copy")]


def test_a_copy_with_five_percent_character_noise_is_found(session, make_cable):
    make_cable("09TWINA3", body=f"{P1}\n\n{P2}")
    make_cable("09TWINB3", body=_noise(f"{P1}\n\n{P2}", 0.05, seed=3))
    assert {r[1] for r in _pairs(session, "09TWINB3")} == {"09TWINA3"}


def test_a_portion_quoted_inside_another_cables_portion_is_found(session, make_cable):
    make_cable("09TWINA4", body=f"{P1}\n\n{P2}")
    host = OTHER.replace("officials said", f"officials said. BEGIN QUOTE: {P1[8:]} END QUOTE")
    make_cable("09TWINB4", body=host)
    assert ("09TWINA4", 0, "quotes") in {(r[1], r[2], r[3]) for r in _pairs(session, "09TWINB4")}
    assert ("09TWINB4", "quoted_in") in {(r[1], r[3]) for r in _pairs(session, "09TWINA4")}


def test_unrelated_and_short_portions_have_no_twins(session, make_cable):
    make_cable("09TWINA5", body=f"{P1}\n\n2. (U) End summary.")
    make_cable("09TWINB5", body=f"{OTHER}\n\n2. (U) End summary.")
    assert _pairs(session, "09TWINB5") == []
    assert len(normal_text("2. (U) End summary.")) < MIN_PORTION


def test_a_new_version_replaces_the_old_one_in_the_index(session, make_cable):
    make_cable("09TWINA6", body=P1)
    old = make_cable("09TWINB6", body=P1)
    old_version = old.versions[0].id
    make_cable("09TWINB6", body=OTHER)
    assert session.scalars(select(TwinBand).where(TwinBand.version_id == old_version)).all() == []
    assert _pairs(session, "09TWINB6") == [] and _pairs(session, "09TWINA6") == []


def test_signatures_are_datasketch_minhashes_of_each_chunk():
    from datasketch import MinHash

    norm = normal_text(P1 + " " + P2 + " " + OTHER)
    portion = twins.indexable_portions(norm, [(0, "portion", 0, len(norm))])[0]
    assert len(portion.bounds) >= 2
    sigs = twins.signatures(portion.hashes, list(portion.bounds))
    a, b = twins.permutations()
    for row, (start, _) in enumerate(portion.bounds):
        end = portion.bounds[row + 1][0] if row + 1 < len(portion.bounds) else len(norm)
        m = MinHash(num_perm=twins.NUM_PERM, hashfunc=lambda v: v, permutations=(a, b),
                    scheme="legacy")
        m.update_batch([int(h) for h in portion.hashes[start:end]])
        assert list(m.hashvalues) == list(sigs[row])


def test_normalised_text_is_the_same_with_and_without_offsets():
    for text in (P1, "U.S.  gov-\nernment ŞTRAßE\t1.4(d) ½ x_y", decode_cable_bytes(b"a\r\nb")):
        assert normalise(text).text == normal_text(text)
    norm = normalise("Mr. AL-MARZOUQI said")
    start = norm.text.index("almarzouqi")
    assert norm.span(start, start + len("almarzouqi")) == (4, 15)


@pytest.fixture
def people(make_user):
    reviewer, _ = make_user("twin-reviewer", roles=[Role.REVIEWER], clearance=Level.SECRET)
    approver, _ = make_user("twin-approver", roles=[Role.APPROVER], clearance=Level.SECRET)
    return reviewer, approver


def _approved_on(session, cable, text, reviewer, approver, codes=("B6",)):
    version = cable.versions[-1]
    start = version.text.index(text)
    r = redaction_service.propose(session, reviewer, cable, start=start,
                                  end=start + len(text), codes=list(codes))
    session.flush()
    redaction_service.approve(session, approver, r, expected_row_version=r.row_version)
    session.commit()
    return r


def test_applying_a_twins_decisions_reanchors_them_and_needs_a_second_person(
    session, make_cable, people
):
    reviewer, approver = people
    a = make_cable("09TWINA7", body=f"{P1}\n\n{P2}")
    _approved_on(session, a, NAME, reviewer, approver)
    # The copy: re-keyed in capitals with other line breaks, the name moved by the edit.
    copy = ("3. (C) SUMMARY: IN A MEETING, " + P1[16:].upper()).replace(" THE ", "\nTHE ", 2)
    b = make_cable("09TWINB7", body=f"{copy}\n\n{P2}")
    model = twin_views.page_model(session, reviewer, b)
    found = model["portions"][0]
    assert found.cables == 1 and found.twins[0].decisions[0].codes == "B6"
    result = twin_views.apply_twin_decisions(
        session, reviewer, b, 0, twin_reference_id="09TWINA7", twin_portion_index=0,
        version_number=1,
    )
    session.commit()
    (made,) = [session.get(Redaction, i) for i in result.proposed]
    text = b.versions[-1].text
    assert text[made.start : made.end] == NAME.upper()
    assert made.status is RedactionStatus.PENDING and made.codes == ["B6"]
    assert made.proposer_id == reviewer.id
    with pytest.raises(NotPermitted):
        redaction_service.approve(session, reviewer, made, expected_row_version=made.row_version)
    session.rollback()
    again = twin_views.apply_twin_decisions(
        session, reviewer, b, 0, twin_reference_id="09TWINA7", twin_portion_index=0,
        version_number=1,
    )
    assert again.proposed == () and again.already == 1


def test_applying_from_a_cable_that_is_no_twin_is_not_found(session, make_cable, people):
    reviewer, approver = people
    a = make_cable("09TWINA8", body=P1)
    _approved_on(session, a, NAME, reviewer, approver)
    b = make_cable("09TWINB8", body=OTHER)
    for twin, portion in (("09TWINA8", 0), ("09NOSUCH", 0), ("09TWINB8", 0)):
        with pytest.raises(NotFound):
            twin_views.apply_twin_decisions(session, reviewer, b, 0, twin_reference_id=twin,
                                            twin_portion_index=portion, version_number=1)


def test_rebuild_finds_the_same_twins(app, session, make_cable):
    make_cable("09TWINA9", body=f"{P1}\n\n{P2}")
    make_cable("09TWINB9", body=_noise(f"{P1}\n\n{P2}", 0.05, seed=9))
    before = sorted(_pairs(session, "09TWINB9"))
    session.commit()
    done = twins.rebuild(app.extensions["redactor.sessions"])
    session.expire_all()
    assert done == 2 and sorted(_pairs(session, "09TWINB9")) == before != []


DATA = __import__("pathlib").Path(__file__).parent / "data" / "twins"


def test_a_section_copy_from_the_corpus_is_a_duplicate_shown_on_both_pages_and_the_list(
    app, session, make_user, login
):
    from redactor.cables.service import import_cable
    from tests.fixtures_store import MAX_BYTES

    for name in ("08MANAMA492.txt", "08ECTION01OF02MANAMA492.txt"):
        outcome = import_cable(session, None, name, (DATA / name).read_bytes(),
                               max_bytes=MAX_BYTES)
        assert outcome.status.value == "imported"
    session.commit()
    rows = session.execute(
        select(Cable.reference_id, TwinCable.part)
        .join(TwinCable, TwinCable.cable_id == Cable.id)
        .order_by(Cable.reference_id)
    ).all()
    assert [r[0] for r in rows] == ["08ECTION01OF02MANAMA492", "08MANAMA492"]
    _, secret = make_user("dup-reader", roles=[Role.REVIEWER], clearance=Level.CONFIDENTIAL)
    session.rollback()
    client = app.test_client()
    login(client, "dup-reader", secret)
    copy = client.get("/cables/08ECTION01OF02MANAMA492").get_data(as_text=True)
    assert 'Duplicate of <a href="/cables/08MANAMA492">08MANAMA492</a>' in copy
    first = client.get("/cables/08MANAMA492").get_data(as_text=True)
    assert "Also sent as <a href=\"/cables/08ECTION01OF02MANAMA492\">" in first
    listing = client.get("/cables").get_data(as_text=True)
    assert "Duplicate of" in listing and "Also sent as" in listing
    assert "Also in 1 cable<" in first  # per portion, the same paragraphs in the copy


def test_the_rebuild_command_reindexes_with_a_progress_bar(database_url, tmp_path, make_cable,
                                                           session):
    from click.testing import CliRunner

    from redactor.cli.twins import twins_group

    make_cable("09TWINC1", body=P1)
    make_cable("09TWINC2", body=P1)
    session.execute(TwinPortion.__table__.delete())
    session.commit()
    env = {"REDACTOR_DATABASE_URL": database_url, "REDACTOR_INSTANCE": str(tmp_path / "inst"),
           "REDACTOR_AUDIT_KEY": "ab" * 32}
    result = CliRunner().invoke(twins_group, ["rebuild"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Indexing cables" in result.output
    assert "indexed 2 cables: 1 twin portions, 1 duplicate cables" in result.output
    assert [r[1] for r in _pairs(session, "09TWINC2")] == ["09TWINC1"]
