"""The states of a redaction and of a cable, and the transitions allowed between them.

Pure: standard library only. States are compared by their string values, which are the
values of ``RedactionStatus`` and ``CableStatus`` in :mod:`redactor.models` (both
``StrEnum``, so a member compares equal to its value). The functions either return booleans
or raise :class:`TransitionError`; services turn the latter into ``IllegalTransition``.

Redaction::

    (proposed) -> pending -> approved | rejected | withdrawn
    rejected -> pending                an edit of span or codes by the proposer
    pending | approved | rejected      an edit of the rationale alone keeps the state
    approved -> withdrawn              only when a second person approves a change of it
    withdrawn                          final: a withdrawn proposal is history, not a draft;
                                       the proposer proposes again if they change their mind

Fail closed (the two-person rule works both ways). What two people agreed to hide, only two
people can show again: a *protected* redaction (see :func:`is_protected`) is never edited in
span or codes, withdrawn or rejected in place. Its proposer proposes a *change* instead (a
new pending proposal that replaces it, or a withdrawal request), and the protected one stays
hidden until another approver approves the change; a rejected change leaves it as it was.

The number of approvals a proposal needs is a setting that may change between decisions, so
the stored status is read through :func:`effective_status`: an approved redaction short of
the number now required is *awaiting* further approval (still hidden, blocks a release, an
approver may add an approval); a pending one whose approvals reach a lowered number counts
as approved for what is hidden and can no longer be rejected by one person.

Decisions (approve, reject) are taken on pending proposals (and approve on awaiting ones):
once a proposal is approved or rejected, a further decision would overrule a colleague
silently; the proposer edits or changes it instead.

Cable::

    new -> in_review -> ready -> released
    new -> ready                       every portion marked reviewed in one step
    ready -> in_review                 a proposal or an edit reopens the review
    released -> in_review              a new proposal, edit or version after a release
                                       starts the review for a new release; the earlier
                                       release record stays as it was

A cable never goes back to ``new``, and ``released`` is reached only through the release
service (never derived from review counts alone).

A version without any portion (a truncated cable: header, routing and a few lines) is not
complete by default: it has one thing to review, *the whole text*
(:data:`WHOLE_TEXT_INDEX`), which a reviewer marks like a portion. Without that, nothing
would ever need a mark and the cable would go from ``new`` to a release unread.
"""

from __future__ import annotations

# Redaction states (values of RedactionStatus).
PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
# Not stored: an approved redaction short of the approvals now required.
AWAITING = "awaiting"

#: The review mark of a version without portions covers its whole text, under this index
#: (no portion of such a version has it, so it names nothing else).
WHOLE_TEXT_INDEX = 0

# Cable states (values of CableStatus).
NEW = "new"
IN_REVIEW = "in_review"
READY = "ready"
RELEASED = "released"

# Actions on a redaction.
APPROVE = "approve"
REJECT = "reject"
WITHDRAW = "withdraw"
EDIT = "edit"
COMMENT = "comment"
CHANGE = "change"  # propose a change (or withdrawal) of a protected redaction
SUPERSEDE = "supersede"  # an approved change takes the place of the redaction it changes


class TransitionError(ValueError):
    """The action is not allowed in the current state (the message says which and why)."""


REDACTION_TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({PENDING, APPROVED, REJECTED, WITHDRAWN}),
    APPROVED: frozenset({APPROVED, WITHDRAWN}),
    REJECTED: frozenset({REJECTED, PENDING}),
    WITHDRAWN: frozenset(),
}

CABLE_TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({IN_REVIEW, READY}),
    IN_REVIEW: frozenset({READY}),
    READY: frozenset({IN_REVIEW, RELEASED}),
    RELEASED: frozenset({IN_REVIEW}),
}

# Keyed by the *effective* status (see effective_status).
_ACTION_ALLOWED_IN: dict[str, frozenset[str]] = {
    APPROVE: frozenset({PENDING, AWAITING}),
    REJECT: frozenset({PENDING}),
    WITHDRAW: frozenset({PENDING}),
    EDIT: frozenset({PENDING, APPROVED, AWAITING, REJECTED}),
    COMMENT: frozenset({PENDING, APPROVED, AWAITING, REJECTED, WITHDRAWN}),
    CHANGE: frozenset({APPROVED, AWAITING}),
    SUPERSEDE: frozenset({PENDING, APPROVED, AWAITING}),
}


def _value(state: object) -> str:
    return str(state)


def effective_status(status: str, approvals: int, required: int) -> str:
    """``status`` as read under the current setting of ``required`` approvals, given the
    ``approvals`` that count for the redaction's current revision.

    ``approved`` with fewer approvals than required reads :data:`AWAITING`; ``pending``
    with at least as many reads ``approved``; anything else reads as stored. Raises
    ``ValueError`` for ``required < 1``.
    """
    if required < 1:
        raise ValueError("at least one approval is required")
    current = _value(status)
    if current == APPROVED and approvals < required:
        return AWAITING
    if current == PENDING and approvals >= required:
        return APPROVED
    return current


def is_protected(effective: str) -> bool:
    """True if a redaction in ``effective`` status hides text that a second person agreed to
    hide: removing it (an edit of span or codes, a withdrawal, a rejection) needs a second
    person again."""
    return _value(effective) in (APPROVED, AWAITING)


def is_outstanding(effective: str) -> bool:
    """True if a redaction in ``effective`` status still awaits a decision (a release must
    wait for it)."""
    return _value(effective) in (PENDING, AWAITING)


def can_redaction_transition(current: str, target: str) -> bool:
    """True if a redaction may go from ``current`` to ``target`` (staying put included)."""
    return _value(target) in REDACTION_TRANSITIONS.get(_value(current), frozenset())


def can_act_on_redaction(status: str, action: str) -> bool:
    """True if ``action`` (approve, reject, withdraw, edit, comment) is allowed in ``status``.

    Raises ``KeyError`` for an unknown action: a typo must not read as "not allowed".
    """
    return _value(status) in _ACTION_ALLOWED_IN[action]


def check_redaction_action(status: str, action: str) -> None:
    """Raise :class:`TransitionError` unless ``action`` is allowed on a ``status`` proposal."""
    if not can_act_on_redaction(status, action):
        raise TransitionError(f"cannot {action} a redaction that is {_value(status)}")


def redaction_status_after(
    status: str,
    action: str,
    *,
    approvals: int = 0,
    required: int = 1,
    substantive: bool = True,
    effective: str | None = None,
) -> str:
    """The status of a redaction after ``action`` in ``status``.

    ``approvals`` counts the valid approvals *including* the one being given; the proposal
    becomes approved once it reaches ``required``. ``substantive`` tells an edit of span or
    codes (back to pending) from an edit of the rationale alone (state kept). Raises
    :class:`TransitionError` when the action is not allowed, ``ValueError`` for
    ``required < 1``. ``effective`` is the status the action is checked against (see
    :func:`effective_status`; the stored ``status`` by default).
    """
    if required < 1:
        raise ValueError("at least one approval is required")
    check_redaction_action(status if effective is None else effective, action)
    current = _value(status)
    if action == APPROVE:
        target = APPROVED if approvals >= required else current
    elif action == REJECT:
        target = REJECTED
    elif action in (WITHDRAW, SUPERSEDE):
        target = WITHDRAWN
    elif action == EDIT:
        target = PENDING if substantive else current
    else:
        target = current
    if not can_redaction_transition(current, target):  # pragma: no cover - tables agree
        raise TransitionError(f"a redaction cannot go from {current} to {target}")
    return target


def can_cable_transition(current: str, target: str) -> bool:
    """True if a cable may go from ``current`` to a different ``target``."""
    return _value(target) in CABLE_TRANSITIONS.get(_value(current), frozenset())


def check_cable_transition(current: str, target: str) -> None:
    """Raise :class:`TransitionError` unless a cable may go from ``current`` to ``target``
    (staying in the same state is always allowed)."""
    if _value(current) != _value(target) and not can_cable_transition(current, target):
        raise TransitionError(f"a cable cannot go from {_value(current)} to {_value(target)}")


def cable_status(
    portion_count: int,
    reviewed_count: int,
    pending_count: int,
    released: bool,
    *,
    started: bool = False,
) -> str:
    """The review status of a cable version, derived from its counts.

    * ``released``: the cable is released (``released``) and its review is still complete
      (every portion reviewed, nothing pending). Anything that reopens the review takes a
      released cable back to in_review;
    * ``new``: nothing has happened yet (no review mark, no proposal, not ``started``);
    * ``ready``: every portion reviewed and no proposal pending;
    * ``in_review`` otherwise.

    A version with no portion counts as one to review, its whole text
    (``reviewed_count`` 1 once it is marked): fail closed, it is never complete unread.

    ``started`` says that the review began earlier (the cable left ``new``, or a proposal
    exists in any state), so a cable never falls back to ``new``. Raises ``ValueError`` for
    negative counts or more reviewed portions than portions.
    """
    if min(portion_count, reviewed_count, pending_count) < 0:
        raise ValueError("counts cannot be negative")
    to_review = portion_count or 1  # no portion: the whole text
    if reviewed_count > to_review:
        raise ValueError("more portions reviewed than the cable has")
    complete = reviewed_count == to_review and pending_count == 0
    if released and complete:
        return RELEASED
    if not (started or released or reviewed_count or pending_count):
        return NEW
    return READY if complete else IN_REVIEW
