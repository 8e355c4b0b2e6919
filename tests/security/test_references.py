"""References as links, attacked: a reader below a cable's clearance uses the links between
cables to learn that the cable exists.

The attacker is a reader cleared for CONFIDENTIAL. They try:

- a visible cable that cites a SECRET cable: is the reference linked, or marked up in any
  way unlike a reference to a cable the collection does not hold (page and API)?
- a visible cable that a SECRET cable cites: does "referenced by" list it, or count it?
- a section copy whose whole cable is SECRET: does the copy's page show it?

Each test compares what the attacker receives before and after the hidden cable is imported:
the two answers must be the same, byte for byte (CSRF tokens aside). And each checks that
the feature works for a cable the attacker may see, so that the comparison is not vacuous.
"""

from __future__ import annotations

import re

import pytest

from redactor.accounts.tokens import create_token
from redactor.cables.service import import_cable
from redactor.review.policy import Level, Role
from tests.fixtures_store import DATA_DIR, MAX_BYTES, cable_text
from tests.pages import without_csrf

CITER = "09ZQXCITE1"  # CONFIDENTIAL, cites the three below
HIDDEN = "09TESTVILLE101"  # SECRET
ABSENT = "09TESTVILLE102"  # never imported
SEEN = "09TESTVILLE103"  # CONFIDENTIAL
HIDDEN_CITER = "09ZQXHIDCITE1"  # SECRET, cites SEEN
REFS = "REF: A. TESTVILLE 101 B. TESTVILLE 102 C. TESTVILLE 103\n"


def _with_refs(reference_id: str, classification: str, refs: str) -> str:
    text = cable_text(reference_id, classification)
    return text.replace("SUBJECT: TEST SUBJECT \n", f"SUBJECT: TEST SUBJECT \n\n{refs}")


def _make(session, make_cable, reference_id: str, classification: str) -> None:
    make_cable(reference_id, classification)
    session.commit()  # end the read: on SQLite it would hold the lock a request needs


def _import(session, text: str, name: str) -> None:
    outcome = import_cable(session, None, name, text.encode("utf-8"), max_bytes=MAX_BYTES)
    assert outcome.error is None
    session.commit()


@pytest.fixture
def reader(session, make_user, login, client):
    """The attacker, signed in to ``client``; returns an API token as well."""
    user, password = make_user("lowreader", roles=(Role.REVIEWER,),
                               clearance=Level.CONFIDENTIAL)
    login(client, "lowreader", password)
    _token, secret = create_token(session, None, user, "attack")
    session.commit()
    return secret


def _page(client, reference_id: str) -> str:
    response = client.get(f"/cables/{reference_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return without_csrf(page)


def _api(client, token: str, reference_id: str) -> dict:
    response = client.get(
        f"/api/v1/cables/{reference_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    return response.get_json()


def _ref_items(page: str) -> list[str]:
    block = re.search(r'<ul class="ref-list".*?</ul>', page, re.S)
    assert block, "the references are listed"
    return re.findall(r"<li>(.*?)</li>", block.group(0), re.S)


def test_a_hidden_cited_cable_reads_exactly_as_an_absent_one(session, make_cable, client,
                                                              reader):
    _make(session, make_cable, SEEN, "CONFIDENTIAL")
    _import(session, _with_refs(CITER, "CONFIDENTIAL", REFS), f"{CITER}.txt")
    before_page, before_api = _page(client, CITER), _api(client, reader, CITER)

    _make(session, make_cable, HIDDEN, "SECRET")
    after_page, after_api = _page(client, CITER), _api(client, reader, CITER)

    assert after_page == before_page
    assert after_api == before_api
    hidden, absent, seen = _ref_items(after_page)
    # The hidden and the absent reference: the same markup, only the serial differs.
    assert hidden.replace("A. ", "").replace("101", "N") == absent.replace(
        "B. ", ""
    ).replace("102", "N")
    assert "<a" not in hidden and HIDDEN not in after_page
    # Not vacuous: a reference to a cable the reader may see is a link to it.
    assert f'href="/cables/{SEEN}"' in seen
    refs = after_api["references"]
    assert [r["cable_id"] for r in refs] == [HIDDEN, ABSENT, SEEN]
    assert refs[0]["cable"] is None and refs[1]["cable"] is None
    assert refs[2]["cable"]["reference_id"] == SEEN


def test_a_hidden_citing_cable_is_neither_listed_nor_counted(session, make_cable, client,
                                                              reader, make_user, login, app):
    _make(session, make_cable, SEEN, "CONFIDENTIAL")
    _import(session, _with_refs(CITER, "CONFIDENTIAL", REFS), f"{CITER}.txt")
    before_page, before_api = _page(client, SEEN), _api(client, reader, SEEN)

    _import(session, _with_refs(HIDDEN_CITER, "SECRET", "REF: TESTVILLE 103\n"),
            f"{HIDDEN_CITER}.txt")
    after_page, after_api = _page(client, SEEN), _api(client, reader, SEEN)

    assert after_page == before_page
    assert after_api == before_api
    assert HIDDEN_CITER not in after_page
    # Not vacuous: the visible citing cable is listed and counted.
    assert "Referenced by 1 cable<" in after_page
    assert f'href="/cables/{CITER}"' in after_page
    assert after_api["referenced_by_total"] == 1
    assert [c["reference_id"] for c in after_api["referenced_by"]] == [CITER]

    # A reader cleared for both sees both.
    _user, password = make_user("highreader", clearance=Level.SECRET)
    high = app.test_client()
    login(high, "highreader", password)
    page = _page(high, SEEN)
    assert "Referenced by 2 cables<" in page and f'href="/cables/{HIDDEN_CITER}"' in page


def _real(name: str) -> str:
    return (DATA_DIR / "cables" / f"{name}.txt").read_text(encoding="utf-8")


def test_a_section_copy_names_its_cable_only_when_the_reader_may_open_it(session, client,
                                                                         reader):
    copy, whole = "08ECTION01OF02MANAMA492", "08MANAMA492"
    _import(session, _real(copy), f"{copy}.txt")
    before_page, before_api = _page(client, copy), _api(client, reader, copy)
    # The copy names the cable it is a section of (from its own id), without a link.
    assert "Section 1 of 2 of" in before_page and f'href="/cables/{whole}"' not in before_page

    secret = _real(whole).replace("\nCONFIDENTIAL\n", "\nSECRET\n", 1)
    _import(session, secret, f"{whole}.txt")
    assert _page(client, copy) == before_page
    assert _api(client, reader, copy) == before_api
    assert before_api["copies"] == [] and before_api["canonical_id"] == whole


def test_a_section_copy_and_its_cable_show_each_other(session, client, reader):
    copy, whole = "08ECTION01OF02MANAMA492", "08MANAMA492"
    _import(session, _real(copy), f"{copy}.txt")
    _import(session, _real(whole), f"{whole}.txt")

    page = _page(client, copy)
    assert f'href="/cables/{whole}"' in page and "Section 1 of 2 of" in page
    page = _page(client, whole)
    assert f'href="/cables/{copy}"' in page and "(section 1 of 2)" in page
    assert [c["reference_id"] for c in _api(client, reader, whole)["copies"]] == [copy]
    assert _api(client, reader, copy)["copies"][0]["reference_id"] == whole
