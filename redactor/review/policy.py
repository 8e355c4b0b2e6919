"""Who may do what: roles, clearance levels and ``can_*`` predicates.

Pure: standard library only. The predicates return booleans; services turn a ``False`` into
``NotPermitted`` and views into 403/404, so the rules can be tested with plain values.
"""

from __future__ import annotations

import enum


class Level(enum.IntEnum):
    """Classification levels, ordered; a user's clearance is one of these."""

    UNCLASSIFIED = 0
    CONFIDENTIAL = 1
    SECRET = 2
    TOP_SECRET = 3

    @property
    def label(self) -> str:
        """The level as written on markings: ``TOP SECRET``, ``CONFIDENTIAL``..."""
        return self.name.replace("_", " ")

    @classmethod
    def from_classification(cls, classification: str) -> Level:
        """The level of a metadata classification such as ``SECRET//NOFORN``.

        Raises ``ValueError`` for a string that names no level.
        """
        head = classification.strip().upper().split("//")[0].strip()
        for level in sorted(cls, key=lambda lv: -len(lv.label)):
            if head == level.label or head == level.name:
                return level
        raise ValueError(f"unknown classification: {classification!r}")


class Role(enum.StrEnum):
    """What a user may do. A user holds one or more roles."""

    REVIEWER = "reviewer"  # proposes redactions, marks portions reviewed
    APPROVER = "approver"  # approves or rejects other people's proposals
    RELEASE_AUTHORITY = "release_authority"  # releases cables
    AUDITOR = "auditor"  # reads the audit log
    ADMIN = "admin"  # manages users


def can_view(clearance: int, cable_level: int) -> bool:
    """True if a user cleared to ``clearance`` may see a cable at ``cable_level``."""
    return int(cable_level) <= int(clearance)


def can_manage_users(roles: frozenset[Role] | set[Role]) -> bool:
    """True if a user holding ``roles`` may create users and change their roles or access."""
    return Role.ADMIN in roles


def can_import(roles: frozenset[Role] | set[Role]) -> bool:
    """True if a user holding ``roles`` may import cables into the store."""
    return bool({Role.ADMIN, Role.REVIEWER} & set(roles))


def can_read_audit(roles: frozenset[Role] | set[Role]) -> bool:
    """True if a user holding ``roles`` may read the audit record."""
    return bool({Role.AUDITOR, Role.ADMIN} & set(roles))


def can_propose(roles: frozenset[Role] | set[Role]) -> bool:
    """True if a user holding ``roles`` may propose redactions and withhold portions."""
    return Role.REVIEWER in roles


def can_mark_reviewed(roles: frozenset[Role] | set[Role]) -> bool:
    """True if a user holding ``roles`` may mark portions of a cable as reviewed."""
    return Role.REVIEWER in roles


def can_edit_proposal(actor_id: int, roles: frozenset[Role] | set[Role], proposer_id: int) -> bool:
    """True if the user ``actor_id`` may edit a proposal of ``proposer_id``: only its
    proposer, and only while they still hold the reviewer role."""
    return actor_id == proposer_id and Role.REVIEWER in roles


def can_withdraw(actor_id: int, roles: frozenset[Role] | set[Role], proposer_id: int) -> bool:
    """True if the user ``actor_id`` may withdraw a proposal of ``proposer_id`` (its
    proposer, while a reviewer)."""
    return can_edit_proposal(actor_id, roles, proposer_id)


def can_approve(actor_id: int, roles: frozenset[Role] | set[Role], proposer_id: int) -> bool:
    """True if the user ``actor_id`` may approve or reject a proposal of ``proposer_id``:
    an approver who is not its proposer (the two-person rule, held by the database too)."""
    return Role.APPROVER in roles and actor_id != proposer_id


def can_comment(roles: frozenset[Role] | set[Role]) -> bool:
    """True if a user holding ``roles`` may comment on proposals (anyone taking part in
    review or release; auditors only read)."""
    return bool({Role.REVIEWER, Role.APPROVER, Role.RELEASE_AUTHORITY} & set(roles))


def can_release(roles: frozenset[Role] | set[Role]) -> bool:
    """True if a user holding ``roles`` may release cables (the release authority)."""
    return Role.RELEASE_AUTHORITY in roles
