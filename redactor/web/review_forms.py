"""How the review actions answer: a fragment in place (htmx) or the whole page, and the
proposal form's state after a refused attempt.

Two answers for one action, chosen by :func:`~redactor.web.fragments.is_fragment_request`:

- **in place**: ``templates/review/_fragment.html``, out-of-band pieces replacing the parts
  of the page the action changed (:func:`fragment`), with the status message for the page's
  aria-live region and the id of the element to focus (``X-Redactor-Focus``);
- **the full page**: a redirect to the part of the cable page changed (the view does that),
  or, for a proposal refused for its input or its overlap, the review page itself with the
  form as it was sent and the error by its field (:func:`full_page`), never a separate page
  that loses the selection.

What the form keeps (:class:`ProposeState`) is read back from the request as sent, cut to
sane lengths; it is shown escaped like everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from redactor.consistency import twin_views
from redactor.errors import InvalidInput
from redactor.models import Cable, User
from redactor.redaction import occurrence_pages
from redactor.redaction.overlaps import (
    Conflict,
    DuplicateProposal,
    OverlapNeedsConfirmation,
)
from redactor.review import history
from redactor.review.pages import load_review, version_page
from redactor.web.fragments import fragment_headers

FOCUS_HEADER = "X-Redactor-Focus"
SELECTION_CHARS = 80
_FIELDS = {"span", "start", "end", "codes", "rationale", "portion"}


@dataclass
class ProposeState:
    """The proposal form as the page shows it: empty, or as sent with why it was refused.

    ``mode`` is the button used (``propose`` a span, ``withhold`` a portion); ``start``,
    ``end`` as typed (text); ``codes`` the boxes ticked; ``error_field`` one of ``span``,
    ``codes``, ``rationale``, ``portion`` or None; ``conflicts`` the proposals the text
    duplicates (``duplicate``) or overlaps, as dicts for the template; ``confirm_value``
    the ids a "Propose anyway" confirms.
    """

    mode: str = "propose"
    start: str = ""
    end: str = ""
    codes: tuple[str, ...] = ()
    statute: str = ""
    rationale: str = ""
    portion: int | None = None
    selection: str = ""
    error: str = ""
    error_field: str | None = None
    conflicts: tuple[dict[str, Any], ...] = ()
    duplicate: bool = False
    confirm_value: str = ""


def confirmed_ids() -> set[int]:
    """The proposal ids a "Propose anyway" button confirmed (``confirm=12,13``); anything
    not a small positive number is ignored (it then confirms nothing)."""
    raw = request.form.get("confirm", "")[:2000]
    return {int(part) for part in raw.split(",") if part.isascii() and part.isdigit()
            and len(part) <= 10}


def sent_state(session: Session, actor: User, cable: Cable, mode: str) -> ProposeState:
    """The form as the request sent it (nothing validated: only shown back)."""
    form = request.form
    portion_raw = form.get("portion", "")
    portion = int(portion_raw) if portion_raw.isascii() and portion_raw.isdigit() and len(
        portion_raw) <= 9 else None
    state = ProposeState(
        mode=mode,
        start=form.get("start", "").strip()[:20],
        end=form.get("end", "").strip()[:20],
        codes=tuple(c[:40] for c in form.getlist("codes")[:60]),
        statute=form.get("b3_statute", "").strip()[:80],
        rationale=form.get("rationale", "")[:10_000],
        portion=portion,
    )
    if mode == "propose":
        state.selection = _selection(session, actor, cable, state.start, state.end)
    return state


def _selection(session: Session, actor: User, cable: Cable, start: str, end: str) -> str:
    """The text of the span sent, white space collapsed and cut, or "" when the offsets are
    not a span of the current version."""
    if not (start.isascii() and start.isdigit() and end.isascii() and end.isdigit()):
        return ""
    text = version_page(session, cable, actor).text
    a, b = int(start), int(end)
    if not 0 <= a < b <= len(text):
        return ""
    words = " ".join(text[a:b].split())
    return words if len(words) <= SELECTION_CHARS else words[: SELECTION_CHARS - 1] + "…"


def with_error(state: ProposeState, exc: InvalidInput) -> ProposeState:
    """``state`` with the message of ``exc`` placed by its field."""
    state.error = str(exc)
    field = getattr(exc, "field", None)
    if field in ("start", "end"):
        field = "span"
    state.error_field = field if field in _FIELDS else None
    return state


def with_conflicts(
    session: Session, actor: User, cable: Cable, state: ProposeState,
    exc: DuplicateProposal | OverlapNeedsConfirmation,
) -> ProposeState:
    """``state`` with the proposals named by ``exc``: proposer, codes, status and text."""
    found: tuple[Conflict, ...] = (
        (exc.existing,) if isinstance(exc, DuplicateProposal) else exc.overlapping
    )
    text = version_page(session, cable, actor).text
    ids = {c.proposer_id for c in found}
    names = {
        uid: display or username
        for uid, username, display in session.execute(
            select(User.id, User.username, User.display_name).where(User.id.in_(ids))
        )
    }
    views = []
    for c in found:
        words = " ".join(text[c.start : c.end].split())
        views.append({
            "id": c.id, "label": " ".join(c.codes), "status": c.status,
            "proposer": names.get(c.proposer_id, "?"), "start": c.start, "end": c.end,
            "excerpt": words if len(words) <= SELECTION_CHARS
            else words[: SELECTION_CHARS - 1] + "…",
        })
    state.conflicts = tuple(views)
    state.duplicate = isinstance(exc, DuplicateProposal)
    state.confirm_value = ",".join(str(c.id) for c in found)
    return state


def _approvals_required() -> int:
    return int(current_app.config.get("APPROVALS_REQUIRED") or 1)


def fragment(
    session: Session,
    actor: User,
    cable: Cable,
    *,
    message: str,
    kind: str = "success",
    status: int = 200,
    changed: set[int | str] | None = None,
    propose_state: ProposeState | None = None,
    focus: str | None = None,
    reload: bool = False,
) -> Any:
    """The in-place answer: the status message, and the parts of the page listed in
    ``changed`` (portion indexes, ``"header"``) with everything the action may have changed
    around them; ``propose_state`` re-renders the proposal form. Builds the page's model
    (recording the view, as the page would) only when something is re-rendered; commits."""
    context: dict[str, Any] = {"cable": cable}
    if changed or propose_state is not None:
        context = load_review(
            session, actor, cable, approvals_required=_approvals_required(), today=date.today()
        )
    if changed:
        # A change of proposals changes the other occurrences the page lists (a new
        # proposal's, "propose all" once proposed) and the gate's conflicts.
        context["consistency"] = occurrence_pages.panel(
            session, actor, cable, approvals_required=_approvals_required(),
            cached=version_page(session, cable, actor),
        )
        context["twins"] = twin_views.page_model(session, actor, cable)
    session.commit()
    body = render_template(
        "review/_fragment.html",
        status_message=message,
        status_kind=kind,
        status_code=status,
        changed=changed or set(),
        propose_state=propose_state,
        reload=reload,
        **context,
    )
    headers = fragment_headers()
    if focus:
        headers[FOCUS_HEADER] = focus
    return body, status, headers


def full_page(
    session: Session, actor: User, cable: Cable, propose_state: ProposeState, status: int
) -> Any:
    """The review page (as ``cables.show_cable`` renders it) with the proposal form in
    ``propose_state``, answered with ``status``; commits (the view is recorded)."""
    model = load_review(
        session, actor, cable, approvals_required=_approvals_required(), today=date.today()
    )
    session.commit()
    banner = history.banner_model(session, actor, cable)
    body = render_template(
        "cables/show.html", carry=banner, withhold=propose_state.portion,
        propose_state=propose_state, **model,
    )
    return body, status
