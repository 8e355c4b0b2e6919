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
