"""The review pages through the test client: every page and action, for every role.

Roles: reviewers propose, withhold and mark portions reviewed; approvers approve and reject
other people's proposals; auditors only read; a cable above a user's clearance does not
exist for them (404). Every refused action changes nothing.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select

from redactor.models import (
    AuditEntry,
    Cable,
    CableVersion,
    Comment,
    Decision,
    PortionReview,
    Redaction,
    RedactionStatus,
    Release,
)
from redactor.review import pages
from redactor.review.display import INVISIBLE_RE
from redactor.review.policy import Level, Role
from tests.fixtures_accounts import find_csrf_token

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
    "{{7*7191}}",
]

BODY = (
    "1. (C) Summary: Minister Perez met the Ambassador on Tuesday to discuss the matter.\n\n"
    "2. (U) Comment: nothing further to report. End comment.\n\n"
    "3. (U) The press was told nothing."
)
REF = "09REVIEW1"


# --------------------------------------------------------------------------- helpers


def text_of(session, reference_id: str = REF) -> str:
    session.expire_all()
    cable = session.scalars(select(Cable).where(Cable.reference_id == reference_id)).one()
    text = session.scalars(
        select(CableVersion.text).where(
            CableVersion.cable_id == cable.id, CableVersion.number == cable.current_version
        )
    ).one()
    session.commit()
    return text


def span_of(session, needle: str, reference_id: str = REF) -> tuple[int, int]:
    text = text_of(session, reference_id)
    start = text.index(needle)
    return start, start + len(needle)


def counts(session) -> tuple[int, ...]:
    """Rows of everything a review action writes (page views and, since issue 13, refused
    attempts are audited too: left out)."""
    session.expire_all()
    result = tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Redaction, Decision, Comment, PortionReview)
    ) + (
        session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action != "cable.view", ~AuditEntry.action.startswith("access."))
        ),
    )
    session.commit()
    return result


def snapshot(session, row: Redaction) -> SimpleNamespace:
    """Plain values of ``row``, then end the read transaction: on SQLite every transaction
    holds the write lock (BEGIN IMMEDIATE), which would block the requests."""
    values = SimpleNamespace(
        id=row.id, row_version=row.row_version, start=row.start, end=row.end,
        status=row.status, codes=list(row.codes), portion_index=row.portion_index,
        rationale=row.rationale, revision=row.revision,
    )
    session.commit()
    return values


def redaction(session, redaction_id: int | None = None) -> SimpleNamespace:
    """The redaction ``redaction_id`` (the newest one by default), as plain values."""
    session.expire_all()
    query = select(Redaction).order_by(Redaction.id.desc())
    if redaction_id is not None:
        query = query.where(Redaction.id == redaction_id)
    return snapshot(session, session.scalars(query).first())


def post(client, url: str, data: dict, page: str = f"/cables/{REF}"):
    """POST ``data`` (plus the CSRF token read from ``page``) to ``url``."""
    response = client.get(page)
    token = find_csrf_token(response.get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


class Segments(HTMLParser):
    """Collect the segment elements (data-start) of each selectable area of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.areas: list[list[dict]] = []
        self._depth = 0  # depth inside the current area
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "data-area-start" in attributes and self._depth == 0:
            self.areas.append([])
            self._depth = 1
            return
        if self._depth:
            self._depth += 1
            if "data-start" in attributes:
                self._current = {
                    "start": int(attributes["data-start"]),
                    "cp": attributes.get("data-cp"),
                    "text": "",
                    "class": attributes.get("class", ""),
                }
                self.areas[-1].append(self._current)

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1
            self._current = None

    def handle_data(self, data):
        if self._current is not None:
            self._current["text"] += data


def page_segments(page: str) -> list[list[dict]]:
    parser = Segments()
    parser.feed(page)
    return parser.areas


def selection_offsets(segments: list[dict], needle: str) -> tuple[int, int]:
    """What review.js computes for a selection of ``needle`` inside one text segment:
    the segment's data-start plus the code points before the selection (Array.from)."""
    for seg in segments:
        if seg["cp"] is None and needle in seg["text"]:
            before = seg["text"][: seg["text"].index(needle)]
            start = seg["start"] + len(before)  # len of a str counts code points
            return start, start + len(needle)
    raise AssertionError(f"{needle!r} is in no segment")


class Forms(HTMLParser):
    """The POST forms of a page as a browser sees them: action, fields (name -> value, the
    text of a textarea), required fields, and submit buttons (label, formaction, whether
    they skip validation)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._textarea: str | None = None
        self._button: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and attributes.get("method") == "post":
            self._form = {"action": attributes["action"], "fields": {}, "required": set(),
                          "buttons": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "textarea") and "name" in attributes:
            self._form["fields"][attributes["name"]] = attributes.get("value", "")
            if "required" in attributes:
                self._form["required"].add(attributes["name"])
            self._textarea = attributes["name"] if tag == "textarea" else None
        elif tag == "button" and attributes.get("type") == "submit":
            self._button = {"label": "", "formaction": attributes.get("formaction"),
                            "novalidate": "formnovalidate" in attributes}
            self._form["buttons"].append(self._button)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "button":
            self._button = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._form["fields"][self._textarea] += data
        if self._button is not None:
            self._button["label"] += data.strip()


def press(client, button: str, redaction_id: int, fill: dict | None = None):
    """Submit, as a browser would, the form of the review page holding the button labelled
    ``button`` of proposal ``redaction_id``, with ``fill`` typed into its fields. Returns
    the response, or None when the browser would refuse (a required field left empty)."""
    parser = Forms()
    parser.feed(client.get(f"/cables/{REF}").get_data(as_text=True))
    prefix = f"/redactions/{redaction_id}/"
    found = [
        (form, b) for form in parser.forms for b in form["buttons"]
        if b["label"] == button and (b["formaction"] or form["action"]).startswith(prefix)
    ]
    assert len(found) == 1, (button, redaction_id, found)
    form, pressed = found[0]
    fields = {**form["fields"], **(fill or {})}
    if not pressed["novalidate"] and any(not fields[name].strip() for name in form["required"]):
        return None
    return client.post(pressed["formaction"] or form["action"], data=fields)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def cable(session, make_cable):
    made = make_cable(REF, "CONFIDENTIAL", body=BODY, subject="MEETING WITH MINISTER")
    session.commit()
    return made


@pytest.fixture
def people(app, make_user, login):
    """One logged-in client per role: reviewers rita and rick, approver anna, "both"
    (reviewer and approver), auditor aud, and low (a reviewer cleared for UNCLASSIFIED)."""
    specs = {
        "rita": ([Role.REVIEWER], Level.SECRET),
        "rick": ([Role.REVIEWER], Level.SECRET),
        "anna": ([Role.APPROVER], Level.SECRET),
        "both": ([Role.REVIEWER, Role.APPROVER], Level.SECRET),
        "aud": ([Role.AUDITOR], Level.SECRET),
        "low": ([Role.REVIEWER, Role.APPROVER], Level.UNCLASSIFIED),
    }
    clients = {}
    for name, (roles, clearance) in specs.items():
        _user, password = make_user(name, roles=roles, clearance=clearance)
        client = app.test_client()
        login(client, name, password)
        clients[name] = client
    return clients


def propose(session, client, needle: str = "Perez", codes=("B6",), **extra):
    start, end = span_of(session, needle)
    data = {"start": start, "end": end, "codes": list(codes), "rationale": "a name", **extra}
    response = post(client, f"/cables/{REF}/redactions", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    made = redaction(session)
    assert response.headers["Location"].endswith(f"#redaction-{made.id}")
    return made


# --------------------------------------------------------------------------- the page


def test_review_page_shows_each_portion_as_a_section_with_its_marking(cable, people):
    page = people["rita"].get(f"/cables/{REF}").get_data(as_text=True)
    for index in range(3):
        assert '<section class="portion mark-' in page and f'id="portion-{index}"' in page
    assert '<span class="marking mark-c">(C)</span>' in page
    assert '<span class="marking mark-u">(U)</span>' in page
    assert "MEETING WITH MINISTER" in page and "E.O. 12958: 05/19/2019" in page
    assert "Propose a redaction" in page
    # Scripts only from files (the CSP forbids inline script), and no inline style: the
    # vendored htmx and the page's own.
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/static/js/htmx.min.js" defer>', '<script src="/static/js/review.js" defer>'
    ]
    assert "style=" not in page.lower()
    assert '<dialog id="shortcuts-dialog"' in page


def test_review_page_shows_status_steps_with_the_current_one(cable, people):
    page = people["rita"].get(f"/cables/{REF}").get_data(as_text=True)
    assert 'aria-current="step">new</li>' in page


def test_segments_reconstruct_the_stored_text_exactly(session, make_cable, people):
    body = (
        "1. (C) Ana 👍🏽 met Jose\u0301 and 🇺🇸 Perez\u200b in Kyiv.\nLine two\u202e ok.\n\n"
        "BRASILIA 00001300  002 OF 003\n\n"
        "2. (U) End\u2028of\U000e0041 text."
    )
    make_cable(REF, "CONFIDENTIAL", body=body)
    session.commit()
    page = people["rita"].get(f"/cables/{REF}").get_data(as_text=True)
    text = text_of(session)
    areas = page_segments(page)
    assert len(areas) >= 2
    seen = []
    for segments in areas:
        for seg in segments:
            if seg["cp"] == "1":
                assert INVISIBLE_RE.fullmatch(text[seg["start"]])
                assert seg["text"] == f"[U+{ord(text[seg['start']]):04X}]"
                seen.append((seg["start"], text[seg["start"]]))
            else:
                assert text[seg["start"] : seg["start"] + len(seg["text"])] == seg["text"]
                seen.extend(zip(range(seg["start"], seg["start"] + len(seg["text"])),
                                seg["text"], strict=True))
    shown = dict(seen)
    # Everything of the portions is shown, except the page-break line.
    for needle in ("Ana 👍🏽 met Jose\u0301 and 🇺🇸 Perez", "End\u2028of\U000e0041 text."):
        start = text.index(needle)
        assert "".join(shown[i] for i in range(start, start + len(needle))) == needle
    assert "BRASILIA 00001300" not in page
    for raw in ("\u202e", "\u200b", "\u2028", "\U000e0041"):
        assert raw not in page
    # The offsets the script computes for a selection after an emoji and a flag are right.
    portion = next(a for a in areas if any("Perez" in s["text"] for s in a))
    start, end = selection_offsets(portion, "Perez")
    response = post(people["rita"], f"/cables/{REF}/redactions",
                    {"start": start, "end": end, "codes": ["B6"]})
    assert response.status_code == 302
    made = redaction(session)
    assert text[made.start : made.end] == "Perez"


def test_invisible_characters_are_shown_as_labelled_badges(session, make_cable, people):
    make_cable(REF, "CONFIDENTIAL", body="1. (C) abc\u202edef\u200bghi\x07jkl\u2066m.")
    session.commit()
    page = people["rita"].get(f"/cables/{REF}").get_data(as_text=True)
    for label in ("[U+202E]", "[U+200B]", "[U+0007]", "[U+2066]"):
        assert re.search(r'data-cp="1" title="[A-Z -]+">' + re.escape(label) + "</span>", page)
    assert 'title="RIGHT-TO-LEFT OVERRIDE"' in page


def test_wikileaks_runs_are_shown_as_already_withheld(session, make_cable, people):
    make_cable(REF, "CONFIDENTIAL", body="1. (C) We met XXXXXXXXXXXX on Monday.")
    session.commit()
    page = people["rita"].get(f"/cables/{REF}").get_data(as_text=True)
    assert re.search(r'class="seg seg-withheld" data-start="\d+">XXXXXXXXXXXX<', page)


def test_parser_warnings_are_shown_in_their_portion(session, make_cable, people):
    make_cable(REF, "CONFIDENTIAL", body="1. (S) Above the cable's classification.")
    session.commit()
    page = people["rita"].get(f"/cables/{REF}").get_data(as_text=True)
    section = page[page.index('id="portion-0"') :]
    assert "marking-above-classification" in section


def test_header_panel_links_references_to_visible_cables_only(session, make_cable, people):
    make_cable("09TESTVILLE5", "CONFIDENTIAL", subject="REFERENCED")
    make_cable("09TESTVILLE6", "TOP SECRET", subject="REFERENCED HIDDEN")
    text = (
        "09REFS1\n2009-05-21 19:07\n2010-12-01 23:11\nCONFIDENTIAL\nEmbassy Testville\n\n"
        "R 211912Z MAY 09\nFM AMEMBASSY TESTVILLE\nTO SECSTATE WASHDC 0001\n\n"
        "C O N F I D E N T I A L TESTVILLE 000002 \n\nE.O. 12958: DECL: 05/19/2019 \n"
        "TAGS: PREL, PGOV \nSUBJECT: REFS \n\nREF: A. TESTVILLE 5 B. TESTVILLE 6 C. TESTVILLE 7\n\n"
        "Classified By: Ambassador A. Tester for reasons 1.4 (b) and (d)\n\n"
        "1. (C) Text.\n\nTESTER\n"
    )
    from redactor.cables.service import import_cable

    import_cable(session, None, "09REFS1.txt", text.encode(), max_bytes=10**6)
    session.commit()
    page = people["low"].get("/cables/09REFS1")
    assert page.status_code == 404  # low is cleared for UNCLASSIFIED only
    page = people["rita"].get("/cables/09REFS1").get_data(as_text=True)
    assert 'href="/cables/09TESTVILLE5"' in page
    assert 'href="/cables/09TESTVILLE6"' not in page  # above rita's clearance
    assert 'href="/cables/09TESTVILLE7"' not in page  # not in the system
    assert "TESTVILLE 7" in page
    assert "The declassification date has passed" in page  # DECL 05/19/2019
    assert "1.4(B), 1.4(D)" in page


# --------------------------------------------------------------------------- proposing


def test_reviewer_proposes_a_redaction_by_offsets(session, cable, people):
    before = counts(session)
    made = propose(session, people["rita"], codes=["B1", "1.4(D)"])
    assert made.status == RedactionStatus.PENDING and made.codes == ["B1", "1.4(D)"]
    assert text_of(session)[made.start : made.end] == "Perez"
    assert counts(session)[0] == before[0] + 1
    page = people["rita"].get(f"/cables/{REF}").get_data(as_text=True)
    pattern = r'class="seg seg-pending" data-start="\d+" data-redactions="' + str(made.id)
    assert re.search(pattern + '">Perez<', page)
    assert f'id="redaction-{made.id}"' in page and "B1 1.4(D)" in page
    assert 'aria-current="step">in review</li>' in page


def test_b3_takes_its_statute_from_the_statute_field(session, cable, people):
    made = propose(session, people["rita"], codes=["B3"], b3_statute="FS ACT")
    assert made.codes == ["B3 FS ACT"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": "20", "end": "10"}, "empty or reversed"),
        ({"start": "abc", "end": "10"}, "whole number"),
        ({"start": "0", "end": "99999"}, "past the end"),
        ({"start": "-1", "end": "3"}, "negative"),
        ({"codes": []}, "at least one exemption code"),
        ({"codes": ["B1"]}, "1.4 category"),
        ({"codes": ["B3"]}, "statute"),
    ],
)
def test_bad_spans_and_codes_get_a_clear_422_and_change_nothing(
    session, cable, people, data, message
):
    start, end = span_of(session, "Perez")
    before = counts(session)
    form = {"start": start, "end": end, "codes": ["B6"], "back": f"/cables/{REF}#portion-0"}
    form.update(data)
    response = post(people["rita"], f"/cables/{REF}/redactions", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in html.unescape(page)
    # The review page itself comes back, the form as it was sent (issue 14).
    assert 'id="propose-form"' in page and 'class="field-error"' in page
    assert f'value="{form["start"]}"' in page
    assert counts(session) == before


def test_a_span_across_two_portions_is_refused_with_422(session, cable, people):
    start, _ = span_of(session, "Perez")
    _, end = span_of(session, "Comment:")
    before = counts(session)
    response = post(people["rita"], f"/cables/{REF}/redactions",
                    {"start": start, "end": end, "codes": ["B6"]})
    assert response.status_code == 422
    assert "crosses the boundary" in response.get_data(as_text=True)
    assert counts(session) == before


def test_a_span_computed_on_an_older_version_gets_409(session, cable, people):
    before = counts(session)
    start, end = span_of(session, "Perez")
    response = post(people["rita"], f"/cables/{REF}/redactions",
                    {"start": start, "end": end, "codes": ["B6"], "version": "7"})
    assert response.status_code == 409
    assert "Someone changed this" in response.get_data(as_text=True)
    assert counts(session) == before


def test_a_header_field_can_be_proposed(session, cable, people):
    made = propose(session, people["rita"], needle="MEETING WITH MINISTER")
    assert made.portion_index is None
    page = people["rita"].get(f"/cables/{REF}").get_data(as_text=True)
    assert "Proposals on header fields" in page


def test_withhold_portion_keeps_number_and_marking(session, cable, people):
    response = post(people["rita"], f"/cables/{REF}/withhold",
                    {"portion": "1", "codes": ["B5"], "rationale": "deliberative"})
    assert response.status_code == 302
    made = redaction(session)
    text = text_of(session)
    assert text[: made.start].endswith("2. (U) ")
    assert text[made.start : made.end] == "Comment: nothing further to report. End comment."


def test_withhold_link_preselects_the_portion(cable, people):
    page = people["rita"].get(f"/cables/{REF}?withhold=2").get_data(as_text=True)
    assert '<option value="2" selected>' in page


@pytest.mark.parametrize("who", ["anna", "aud"])
def test_approvers_and_auditors_cannot_propose(session, cable, people, who):
    page = people[who].get(f"/cables/{REF}").get_data(as_text=True)
    assert "Propose a redaction" not in page and "Withhold portion" not in page
    before = counts(session)
    start, end = span_of(session, "Perez")
    response = post(people[who], f"/cables/{REF}/redactions",
                    {"start": start, "end": end, "codes": ["B6"]})
    assert response.status_code == 403
    response = post(people[who], f"/cables/{REF}/withhold", {"portion": "0", "codes": ["B6"]})
    assert response.status_code == 403
    assert counts(session) == before


# --------------------------------------------------------------------------- deciding


def test_approver_approves_and_the_span_is_shown_filled(session, cable, people):
    made = propose(session, people["rita"])
    page = people["anna"].get(f"/cables/{REF}").get_data(as_text=True)
    assert f'action="/redactions/{made.id}/approve"' in page
    response = post(people["anna"], f"/redactions/{made.id}/approve",
                    {"row_version": made.row_version})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#redaction-{made.id}")
    assert redaction(session, made.id).status == RedactionStatus.APPROVED
    page = people["rita"].get(f"/cables/{REF}").get_data(as_text=True)
    assert re.search(r'class="seg seg-approved" data-start="\d+"[^>]*>Perez<', page)
    assert "anna approved" in page


def test_approvals_required_comes_from_the_app_config(app, session, cable, people):
    app.config["APPROVALS_REQUIRED"] = 2
    made = propose(session, people["rita"])
    post(people["anna"], f"/redactions/{made.id}/approve", {"row_version": made.row_version})
    after_one = redaction(session, made.id)
    assert after_one.status == RedactionStatus.PENDING
    post(people["both"], f"/redactions/{made.id}/approve",
         {"row_version": after_one.row_version})
    assert redaction(session, made.id).status == RedactionStatus.APPROVED


def test_reviewer_cannot_approve_and_nothing_changes(session, cable, people):
    made = propose(session, people["rita"])
    page = people["rick"].get(f"/cables/{REF}").get_data(as_text=True)
    assert f"/redactions/{made.id}/approve" not in page
    before = counts(session)
    response = post(people["rick"], f"/redactions/{made.id}/approve",
                    {"row_version": made.row_version})
    assert response.status_code == 403
    assert counts(session) == before
    assert redaction(session, made.id).status == RedactionStatus.PENDING


def test_proposer_cannot_approve_their_own_and_sees_no_button(session, cable, people):
    made = propose(session, people["both"])
    page = people["both"].get(f"/cables/{REF}").get_data(as_text=True)
    assert f"/redactions/{made.id}/approve" not in page
    assert f"/redactions/{made.id}/reject" not in page
    assert f"/redactions/{made.id}/withdraw" in page  # the proposer's own actions
    before = counts(session)
    for action, data in (("approve", {}), ("reject", {"reason": "mine"})):
        response = post(people["both"], f"/redactions/{made.id}/{action}",
                        {"row_version": made.row_version, **data})
        assert response.status_code == 403
    assert counts(session) == before
    assert redaction(session, made.id).status == RedactionStatus.PENDING


def test_reject_needs_a_reason(session, cable, people):
    made = propose(session, people["rita"])
    before = counts(session)
    response = post(people["anna"], f"/redactions/{made.id}/reject",
                    {"row_version": made.row_version, "reason": "  "})
    assert response.status_code == 422 and "reason is required" in response.get_data(as_text=True)
    assert counts(session) == before
    response = post(people["anna"], f"/redactions/{made.id}/reject",
                    {"row_version": made.row_version, "reason": "public knowledge"})
    assert response.status_code == 302
    assert redaction(session, made.id).status == RedactionStatus.REJECTED
    dashboard = people["rita"].get("/dashboard").get_data(as_text=True)
    assert f"#redaction-{made.id}" in dashboard and "public knowledge" in dashboard


def test_a_stale_row_version_gets_409_and_changes_nothing(session, cable, people):
    made = propose(session, people["rita"])
    stale = made.row_version
    # The proposer edits the codes: the version the approver's page carried is now old.
    response = post(people["rita"], f"/redactions/{made.id}/edit",
                    {"row_version": stale, "codes_text": "B6 B7(C)"})
    assert response.status_code == 302
    before = counts(session)
    for action, data in (("approve", {}), ("reject", {"reason": "no"})):
        response = post(people["anna"], f"/redactions/{made.id}/{action}",
                        {"row_version": stale, "back": f"/cables/{REF}#redaction-{made.id}",
                         **data})
        assert response.status_code == 409
        page = response.get_data(as_text=True)
        assert "Someone changed this" in page and "reload" in page.lower()
        assert f'href="/cables/{REF}#redaction-{made.id}"' in page
    assert counts(session) == before
    assert redaction(session, made.id).status == RedactionStatus.PENDING


def test_a_missing_row_version_is_refused(session, cable, people):
    made = propose(session, people["rita"])
    before = counts(session)
    response = post(people["anna"], f"/redactions/{made.id}/approve", {})
    assert response.status_code == 422
    assert counts(session) == before


def test_approve_and_reject_share_one_form_and_each_reaches_its_route(session, cable, people):
    first = propose(session, people["rita"])
    second = propose(session, people["rita"], needle="Tuesday", codes=["B5"])
    page = people["anna"].get(f"/cables/{REF}").get_data(as_text=True)
    assert page.count('data-action="approve"') == 2
    # Approving skips the required reason; rejecting needs one.
    response = press(people["anna"], "Approve", first.id)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#redaction-{first.id}")
    assert redaction(session, first.id).status == RedactionStatus.APPROVED
    assert press(people["anna"], "Reject", second.id) is None
    response = press(people["anna"], "Reject", second.id, {"reason": "public knowledge"})
    assert response.status_code == 302
    assert redaction(session, second.id).status == RedactionStatus.REJECTED
    assert "anna rejected" in people["rita"].get(f"/cables/{REF}").get_data(as_text=True)


def test_a_stale_page_form_gets_409_with_the_way_back(session, cable, people):
    made = propose(session, people["rita"])
    parser = Forms()
    parser.feed(people["anna"].get(f"/cables/{REF}").get_data(as_text=True))
    form = next(f for f in parser.forms if f["action"] == f"/redactions/{made.id}/approve")
    edited = press(people["rita"], "Save changes", made.id, {"codes_text": "B7(C)"})
    assert edited.status_code == 302
    response = people["anna"].post(form["action"], data=form["fields"])
    assert response.status_code == 409
    assert f'href="/cables/{REF}#redaction-{made.id}"' in response.get_data(as_text=True)


# --------------------------------------------------------------------------- proposer's own


def test_proposer_edits_span_codes_and_rationale(session, cable, people):
    made = propose(session, people["rita"])
    start, end = span_of(session, "Minister Perez")
    response = post(people["rita"], f"/redactions/{made.id}/edit", {
        "row_version": made.row_version, "start": start, "end": end,
        "codes_text": "B6", "rationale": "name and title",
    })
    assert response.status_code == 302
    edited = redaction(session, made.id)
    assert (edited.start, edited.end, edited.rationale) == (start, end, "name and title")
    assert edited.revision == 2


def test_only_the_proposer_edits_or_withdraws(session, cable, people):
    made = propose(session, people["rita"])
    page = people["rick"].get(f"/cables/{REF}").get_data(as_text=True)
    assert f"/redactions/{made.id}/edit" not in page
    before = counts(session)
    for action in ("edit", "withdraw"):
        response = post(people["rick"], f"/redactions/{made.id}/{action}",
                        {"row_version": made.row_version, "codes_text": "B5"})
        assert response.status_code == 403
    assert counts(session) == before


def test_proposer_withdraws(session, cable, people):
    made = propose(session, people["rita"])
    response = post(people["rita"], f"/redactions/{made.id}/withdraw",
                    {"row_version": made.row_version})
    assert response.status_code == 302
    assert redaction(session, made.id).status == RedactionStatus.WITHDRAWN
    page = people["rita"].get(f"/cables/{REF}").get_data(as_text=True)
    assert "seg-pending" not in page


def test_comments_form_a_thread_under_the_proposal(session, cable, people):
    made = propose(session, people["rita"])
    post(people["anna"], f"/redactions/{made.id}/comments", {"body": "Is this a public figure?"})
    post(people["rita"], f"/redactions/{made.id}/comments", {"body": "Yes, <b>junior</b>."})
    page = people["aud"].get(f"/cables/{REF}").get_data(as_text=True)
    thread = page[page.index(f'id="redaction-{made.id}"') :]
    assert thread.index("Is this a public figure?") < thread.index("Yes, &lt;b&gt;junior")
    assert f"/redactions/{made.id}/comments" not in page  # auditors only read
    before = counts(session)
    response = post(people["aud"], f"/redactions/{made.id}/comments", {"body": "hi"})
    assert response.status_code == 403
    assert counts(session) == before


def test_the_proposer_edits_withdraws_and_comments_through_the_page_forms(
    session, cable, people
):
    made = propose(session, people["rita"])
    start, end = span_of(session, "Minister Perez")
    response = press(people["rita"], "Save changes", made.id, {
        "start": str(start), "end": str(end), "codes_text": "B6 B7(C)", "rationale": "both",
    })
    assert response.status_code == 302
    edited = redaction(session, made.id)
    assert (edited.start, edited.end, edited.codes, edited.rationale) == (
        start, end, ["B6", "B7(C)"], "both"
    )
    assert press(people["rita"], "Comment", made.id) is None  # the comment is required
    response = press(people["rita"], "Comment", made.id, {"body": "Narrowed."})
    assert response.status_code == 302
    assert "Narrowed." in people["aud"].get(f"/cables/{REF}").get_data(as_text=True)
    response = press(people["rita"], "Withdraw", made.id)
    assert response.status_code == 302
    assert redaction(session, made.id).status == RedactionStatus.WITHDRAWN


@pytest.mark.parametrize("who", ["rita", "anna", "both", "aud"])
def test_every_form_of_the_review_page_carries_the_csrf_token(session, cable, people, who):
    propose(session, people["rick"])
    propose(session, people["both"], needle="Tuesday", codes=["B5"])
    page = people[who].get(f"/cables/{REF}").get_data(as_text=True)
    parser = Forms()
    parser.feed(page)
    assert parser.forms  # at least the sign-out form
    token = find_csrf_token(page)
    for form in parser.forms:
        assert form["fields"].get("csrf_token") == token, form["action"]


def test_the_page_reads_a_fixed_number_of_statements_and_the_text_once(
    app, session, cable, people
):
    engine = app.extensions["redactor.engine"]

    def statements() -> list[str]:
        seen: list[str] = []

        def listen(_conn, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", listen)
        try:
            assert people["anna"].get(f"/cables/{REF}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        return seen

    made = propose(session, people["rita"])
    post(people["anna"], f"/redactions/{made.id}/comments", {"body": "Why?"})
    one = statements()
    for needle in ("Tuesday", "Ambassador", "press"):
        propose(session, people["rita"], needle=needle)
    many = statements()
    assert len(many) == len(one)
    # The version's text and parse were read when the page was first built, not again.
    assert not any("cable_versions.text" in statement for statement in one + many)


def test_a_new_version_of_the_cable_is_shown_at_once(session, make_cable, cable, people):
    assert "Minister Perez" in people["rita"].get(f"/cables/{REF}").get_data(as_text=True)
    make_cable(REF, "CONFIDENTIAL", body=BODY.replace("Perez", "Alvarez"),
               subject="MEETING WITH MINISTER")
    session.commit()
    page = people["rita"].get(f"/cables/{REF}").get_data(as_text=True)
    assert "Minister Alvarez" in page and "Perez" not in page and "version 2" in page


def test_the_version_cache_is_bounded(session, make_cable, people, monkeypatch):
    monkeypatch.setattr(pages, "VERSION_CACHE_ENTRIES", 2)
    for n in range(4):
        make_cable(f"09BOUND{n}", "CONFIDENTIAL", body=f"1. (C) Cable number {n}.")
        session.commit()
        page = people["rita"].get(f"/cables/09BOUND{n}").get_data(as_text=True)
        assert f"Cable number {n}." in page
    assert len(pages._VERSION_PAGES[session.get_bind()]) == 2
    # An evicted version is read again.
    assert "Cable number 0." in people["rita"].get("/cables/09BOUND0").get_data(as_text=True)


def test_the_segment_markup_memo_is_bounded():
    memo = pages._Memo(max_chars=10)
    calls = []

    def make(text):
        calls.append(text)
        return text

    assert memo.get(("a",), lambda: make("12345")) == "12345"
    assert memo.get(("a",), lambda: make("other")) == "12345"  # made once
    memo.get(("b",), lambda: make("67890"))
    memo.get(("c",), lambda: make("x"))  # past the bound: starts afresh
    memo.get(("a",), lambda: make("12345"))
    assert calls == ["12345", "67890", "x", "12345"]


# --------------------------------------------------------------------------- portion review


def test_marking_portions_reviewed_moves_the_cable_to_ready(session, cable, people):
    response = post(people["rita"], f"/cables/{REF}/portions/0/reviewed", {})
    assert response.status_code == 302 and response.headers["Location"].endswith("#portion-0")
    page = people["rita"].get(f"/cables/{REF}").get_data(as_text=True)
    assert "Reviewed by rita" in page and "Mark all 2 (U) portions reviewed" in page
    response = post(people["rita"], f"/cables/{REF}/reviewed-unclassified", {})
    assert response.status_code == 302
    page = people["rita"].get(f"/cables/{REF}").get_data(as_text=True)
    assert 'aria-current="step">ready to release</li>' in page
    assert "(U) portion" not in page


@pytest.mark.parametrize("who", ["anna", "aud"])
def test_only_reviewers_mark_portions_reviewed(session, cable, people, who):
    page = people[who].get(f"/cables/{REF}").get_data(as_text=True)
    assert "Mark reviewed" not in page
    before = counts(session)
    assert post(people[who], f"/cables/{REF}/portions/0/reviewed", {}).status_code == 403
    assert post(people[who], f"/cables/{REF}/reviewed-unclassified", {}).status_code == 403
    assert counts(session) == before


# --------------------------------------------------------------------------- clearance


def test_every_review_page_and_action_is_404_above_clearance(session, cable, people):
    made = propose(session, people["rita"])
    low = people["low"]
    before = counts(session)
    assert low.get(f"/cables/{REF}").status_code == 404
    assert low.get(f"/cables/{REF}/preview").status_code == 404
    page = "/cables"
    for url, data in (
        (f"/cables/{REF}/redactions", {"start": 0, "end": 3, "codes": ["B6"]}),
        (f"/cables/{REF}/withhold", {"portion": 0, "codes": ["B6"]}),
        (f"/cables/{REF}/portions/0/reviewed", {}),
        (f"/cables/{REF}/reviewed-unclassified", {}),
        (f"/redactions/{made.id}/approve", {"row_version": made.row_version}),
        (f"/redactions/{made.id}/reject", {"row_version": made.row_version, "reason": "x"}),
        (f"/redactions/{made.id}/comments", {"body": "x"}),
    ):
        response = post(low, url, data, page=page)
        assert response.status_code == 404, url
        assert "MINISTER" not in response.get_data(as_text=True)
    assert "09REVIEW1" not in low.get("/dashboard").get_data(as_text=True)
    assert counts(session) == before


# --------------------------------------------------------------------------- preview


def test_preview_has_no_approved_text_and_outlines_pending(session, cable, people):
    approved = propose(session, people["rita"])
    post(people["anna"], f"/redactions/{approved.id}/approve",
         {"row_version": approved.row_version})
    propose(session, people["rita"], needle="Tuesday", codes=["B5"])
    page = people["rita"].get(f"/cables/{REF}/preview").get_data(as_text=True)
    assert "Perez" not in page
    assert '<span class="excision">[B6        ]</span>' in page
    assert '<span class="seg seg-pending">Tuesday</span>' in page
    assert "RELEASE IN PART B6" in page


# --------------------------------------------------------------------------- dashboard


def test_dashboard_lists_others_proposals_for_approvers_but_never_their_own(
    session, cable, people
):
    mine = propose(session, people["both"], needle="Perez")
    theirs = propose(session, people["rita"], needle="Tuesday", codes=["B5"])
    page = people["both"].get("/dashboard").get_data(as_text=True)
    assert f"#redaction-{theirs.id}" in page and f"#redaction-{mine.id}" not in page
    assert "Cables in review" in page and f'href="/cables/{REF}"' in page
    reviewer_page = people["rick"].get("/dashboard").get_data(as_text=True)
    assert "Waiting for my approval" not in reviewer_page


def test_dashboard_lists_recent_releases(session, cable, people, make_user):
    releaser, _ = make_user("rel", roles=[Role.RELEASE_AUTHORITY])
    version = session.scalars(select(CableVersion)).first()
    session.add(Release(cable_id=cable.id, version_id=version.id, case_number="F-2020-00001",
                        doc_number="C00000042", disposition="RELEASE IN FULL",
                        released_by_id=releaser.id, record={}))
    session.commit()
    page = people["aud"].get("/dashboard").get_data(as_text=True)
    assert "C00000042" in page


# --------------------------------------------------------------------------- list


def test_list_filters_by_tag_date_status_and_sorts(session, make_cable, people):
    make_cable("09AAA1", "UNCLASSIFIED", subject="FIRST")
    make_cable("09BBB1", "CONFIDENTIAL", subject="SECOND")
    session.commit()
    client = people["rita"]
    assert "09AAA1" in client.get("/cables?tags=PGOV").get_data(as_text=True)
    assert "No cables match" in client.get("/cables?tags=NOSUCHTAG").get_data(as_text=True)
    assert "09AAA1" in client.get("/cables?from=2009-05-21&to=2009-05-21").get_data(as_text=True)
    assert "No cables match" in client.get("/cables?from=2010-01-01").get_data(as_text=True)
    assert "09AAA1" in client.get("/cables?status=new").get_data(as_text=True)
    page = client.get("/cables?sort=reference").get_data(as_text=True)
    assert page.index("09AAA1") < page.index("09BBB1")
    page = client.get("/cables?sort=-level").get_data(as_text=True)
    assert page.index("09BBB1") < page.index("09AAA1")
    assert 'value="reference" selected' in client.get("/cables?sort=reference").get_data(
        as_text=True
    )


# --------------------------------------------------------------------------- hostile text


def _without_attributes_and_tokens(page: str) -> str:
    # Offsets, ids and the CSRF token are attribute values; none of them is cable text.
    return re.sub(r'="[^"]*"', '=""', page)


def test_hostile_cable_text_renders_as_text_in_every_view(session, make_cable, people):
    hostile = " ".join(PAYLOADS)
    make_cable(REF, "CONFIDENTIAL", subject=f"SUBJ {hostile}",
               body=f"1. (C) Name {hostile} end.\n\n2. (U) Plain.")
    session.commit()
    made = propose(session, people["rita"], needle="Name")
    post(people["rita"], f"/redactions/{made.id}/comments", {"body": hostile})
    views = {
        "list": "/cables",
        "search": "/cables?q=alert",
        "detail": f"/cables/{REF}",
        "preview": f"/cables/{REF}/preview",
    }
    pages = {name: people["anna"].get(url).get_data(as_text=True) for name, url in views.items()}
    pages["dashboard"] = people["anna"].get("/dashboard").get_data(as_text=True)
    for name, page in pages.items():
        assert "<script>alert" not in page, name
        assert "<img src=x" not in page and "<svg onload" not in page, name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, name
        assert "{{7*7191}}" in page, name
        assert "50337" not in _without_attributes_and_tokens(page), name
