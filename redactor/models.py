"""SQLAlchemy ORM models: the store every service works on.

Invariants that matter are held by the database too, so that a code path that forgets a
check is still stopped: an approver is never the proposer of what they decide on (a CHECK,
with the proposer pinned to the redaction by a composite foreign key), spans are non-empty,
and audit entries cannot be changed (triggers installed by the migrations).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from redactor.review.policy import Level, Role

#: The largest value of an ``INTEGER`` column on PostgreSQL (ids, version numbers, offsets):
#: a larger number names no row, and SQLite's driver raises on it rather than answering so.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """The current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class CableStatus(enum.StrEnum):
    """Where a cable stands in review."""

    NEW = "new"
    IN_REVIEW = "in_review"
    READY = "ready"  # every portion reviewed, no pending proposal
    RELEASED = "released"


class RedactionStatus(enum.StrEnum):
    """The life of a proposed redaction."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class DecisionKind(enum.StrEnum):
    """An approver's decision on a proposal."""

    APPROVE = "approve"
    REJECT = "reject"


def _enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    # Store the values ("in_review"), not the member names, and as plain strings with a
    # CHECK, so the schema reads the same on SQLite and PostgreSQL.
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


class User(Base):
    """A person who signs in. ``session_version`` revokes every session when bumped."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    clearance: Mapped[int] = mapped_column(Integer, default=int(Level.UNCLASSIFIED))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Set when an administrator chose the password (a new account, a reset): until the user
    #: picks their own, the browser shows them only the change-password page and their API
    #: tokens authenticate nothing. False by default, so existing accounts are not locked out.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (CheckConstraint("clearance BETWEEN 0 AND 3", name="ck_users_clearance"),)

    @property
    def roles(self) -> frozenset[Role]:
        """The roles this user holds."""
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, role: Role) -> bool:
        """True if the user holds ``role``."""
        return role in self.roles

    # The attributes Flask-Login expects of a user object (duck-typed: no Flask import), so
    # that ``current_user`` in a view is this model and can be passed to services as actor.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        """Flask-Login's name for :attr:`active`."""
        return bool(self.active)

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session cookie (the token is checked as well)."""
        return str(self.id)


class UserRole(Base):
    """One role held by one user."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class UserSession(Base):
    """A server-side login session; the cookie carries only its random token.

    Logout revokes one row; password change and deactivation revoke all of a user's rows, so
    a copied cookie stops working.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    client_addr: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """A failed login, kept in the database so every worker sees the same rate limit.

    ``username_key`` is a keyed digest of the username typed (never the text: it is often a
    password typed into the wrong field); see :mod:`redactor.accounts.limits`.
    """

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username_key: Mapped[str] = mapped_column(String(64), index=True)
    client_addr: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class Cable(Base):
    """A cable known to the store, by reference id; its texts are its versions.

    ``level`` (a :class:`Level`) is the highest level of any of its versions (see
    :attr:`CableVersion.level`), kept here so that the clearance filter is one indexed
    comparison. An import never lowers it (:mod:`redactor.cables.service`); only an
    approved declassification does (:mod:`redactor.cables.declassify`), and then older
    versions keep their own, higher level, so the cable's level may be below theirs.
    """

    __tablename__ = "cables"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_id: Mapped[str] = mapped_column(String(64), unique=True)
    classification: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer, index=True)
    origin: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    # One tag a line (search.join_tags): a tag never holds a newline, and person tags hold
    # spaces, so the tag filter can match whole tags.
    tags: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime | None] = mapped_column(DateTime, index=True)  # cable's own date
    status: Mapped[CableStatus] = mapped_column(
        _enum(CableStatus, "cable_status"), default=CableStatus.NEW, index=True
    )
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    # The reference id of the cable this text is (parser's Cable.canonical_id): the id
    # itself, or for a section copy or garbled id ("08ECTION01OF02MANAMA492") the cable's
    # ("08MANAMA492"). What references join on (:mod:`redactor.cables.links`).
    canonical_id: Mapped[str | None] = mapped_column(String(64), index=True)

    versions: Mapped[list[CableVersion]] = relationship(
        back_populates="cable", order_by="CableVersion.number"
    )

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 3", name="ck_cables_level"),
        # Serves the origin filter and the origin menu's loose index scan (search.py).
        Index("ix_cables_origin_level", "origin", "level"),
        # The list's default order, newest first (search._order), on PostgreSQL: see
        # migration 0007.
        Index(
            "ix_cables_newest_first", text("created DESC NULLS LAST"), text("id DESC")
        ).ddl_if(dialect="postgresql"),
    )


class CableVersion(Base):
    """One stored text of a cable. Immutable once written; a changed text is a new version.

    ``level`` is this text's own level: the highest of its line 4, banner, subject marking
    and portion markings (:func:`redactor.cables.levels.version_level`). Reading the version
    needs clearance for it, whatever the cable's current level (see
    :func:`redactor.cables.access.get_visible_version`).
    """

    __tablename__ = "cable_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cable_id: Mapped[int] = mapped_column(ForeignKey("cables.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    parsed: Mapped[dict] = mapped_column(JSON)  # the parser's JSON view of this text
    source_name: Mapped[str] = mapped_column(String(300), default="")
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    level: Mapped[int] = mapped_column(Integer, default=int(Level.TOP_SECRET))

    cable: Mapped[Cable] = relationship(back_populates="versions")
    portions: Mapped[list[Portion]] = relationship(
        back_populates="version", order_by="Portion.index", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("cable_id", "number", name="uq_cable_versions_number"),
        CheckConstraint("level BETWEEN 0 AND 3", name="ck_cable_versions_level"),
    )


class CableReference(Base):
    """One REF item of one stored version, in order: what the cable page lists and links.

    ``cited_id`` is the canonical reference id of the cited cable (parser's
    ``Reference.cable_id``), None where the item names no cable; it joins
    :attr:`Cable.canonical_id`. Written with the version, immutable like it.
    """

    __tablename__ = "cable_references"

    version_id: Mapped[int] = mapped_column(ForeignKey("cable_versions.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    cited_id: Mapped[str | None] = mapped_column(String(64), index=True)


class HeldStatus(enum.StrEnum):
    """Where a held import stands (:mod:`redactor.cables.held`)."""

    HELD = "held"  # waiting for a person cleared for the cable
    APPLIED = "applied"  # imported, by that person, through the import service
    DISCARDED = "discarded"  # dropped by that person, with a reason


class HeldImport(Base):
    """A file imported by someone not cleared for the cable its reference id names.

    Nothing of that cable is touched, and the importer is answered as for a new cable
    (:mod:`redactor.cables.service`); the file waits here for a person cleared for the
    cable (``level`` is the higher of the cable's and the file's own level when held), who
    applies or discards it (:mod:`redactor.cables.held`; ``row_version`` is the optimistic
    lock of that decision).
    """

    __tablename__ = "held_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_id: Mapped[str] = mapped_column(String(64), index=True)
    level: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(300), default="")
    held_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[HeldStatus] = mapped_column(
        _enum(HeldStatus, "held_status"), default=HeldStatus.HELD,
        server_default=HeldStatus.HELD.value, index=True,
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    applied_version: Mapped[int | None] = mapped_column(Integer)  # the version it became
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (CheckConstraint("level BETWEEN 0 AND 3", name="ck_held_imports_level"),)


class DeclassificationStatus(enum.StrEnum):
    """The life of a request to lower a cable's level (:mod:`redactor.cables.declassify`)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class DeclassificationRequest(Base):
    """A request to lower a cable's level from ``from_level`` to ``to_level``.

    Proposed by a reviewer cleared at ``from_level`` (the cable's level when asked), decided
    by an approver cleared at it who is not the proposer (a CHECK holds that too). The
    request is about the cable as it stood: ``from_version`` is its current version then,
    and a request whose cable has since changed (a new version, a higher level) is void.
    ``approved_seq`` is the audit entry of the approval: entries about the cable written
    before it stay hidden from readers below ``from_level`` (:mod:`redactor.audit_log`).
    """

    __tablename__ = "declassification_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    cable_id: Mapped[int] = mapped_column(ForeignKey("cables.id"), index=True)
    from_level: Mapped[int] = mapped_column(Integer)
    to_level: Mapped[int] = mapped_column(Integer)
    from_version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[DeclassificationStatus] = mapped_column(
        _enum(DeclassificationStatus, "declassification_status"),
        default=DeclassificationStatus.PENDING,
        index=True,
    )
    decider_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_seq: Mapped[int | None] = mapped_column(Integer)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (
        CheckConstraint(
            "to_level >= 0 AND to_level < from_level AND from_level <= 3",
            name="ck_declassification_levels",
        ),
        CheckConstraint(
            "decider_id IS NULL OR decider_id <> proposer_id",
            name="ck_declassification_two_person",
        ),
    )



def current_version_join():
    """The join condition of a cable (``Cable``) and its current version (``CableVersion``)."""
    return and_(CableVersion.cable_id == Cable.id, CableVersion.number == Cable.current_version)


class Portion(Base):
    """A portion or heading of one cable version, with its offsets into the version text."""

    __tablename__ = "portions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("cable_versions.id"))
    index: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # "portion" or "heading"
    number: Mapped[str | None] = mapped_column(String(16))
    marking: Mapped[str | None] = mapped_column(String(64))  # as written: "(S//NF)"
    level: Mapped[str | None] = mapped_column(String(4))  # "U", "C", "S", "TS"
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)

    version: Mapped[CableVersion] = relationship(back_populates="portions")

    __table_args__ = (
        UniqueConstraint("version_id", "index", name="uq_portions_index"),
        CheckConstraint("start >= 0 AND start <= \"end\"", name="ck_portions_span"),
    )


class Redaction(Base):
    """A proposed redaction: a span of one cable version, with exemption codes.

    ``revision`` counts edits of span or codes; decisions record the revision they were made
    on, and an edit voids them. ``row_version`` is the optimistic lock every decision carries.
    """

    __tablename__ = "redactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cable_id: Mapped[int] = mapped_column(ForeignKey("cables.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("cable_versions.id"), index=True)
    portion_index: Mapped[int | None] = mapped_column(Integer)  # None: a header field
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    codes: Mapped[list[str]] = mapped_column(JSON)
    rationale: Mapped[str] = mapped_column(Text, default="")
    proposer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[RedactionStatus] = mapped_column(
        _enum(RedactionStatus, "redaction_status"), default=RedactionStatus.PENDING, index=True
    )
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    # A change to an approved redaction is a row of its own: it replaces that redaction once
    # a second person approves it (a withdrawal request when ``withdraws``).
    replaces_id: Mapped[int | None] = mapped_column(
        ForeignKey("redactions.id", name="fk_redactions_replaces"), index=True
    )
    withdraws: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Proposals made in one action for every occurrence of the same text share a group
    # (:mod:`redactor.redaction.occurrences`); each is still decided on its own.
    link_group: Mapped[str | None] = mapped_column(String(32), index=True)

    proposer: Mapped[User] = relationship(foreign_keys=[proposer_id])
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="redaction", order_by="Decision.id"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="redaction", order_by="Comment.id"
    )

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (
        CheckConstraint("start >= 0 AND start < \"end\"", name="ck_redactions_span"),
        # Target of the composite key that pins Decision.proposer_id to the real proposer.
        UniqueConstraint("id", "proposer_id", name="uq_redactions_id_proposer"),
    )


class Decision(Base):
    """An approval or rejection of one revision of a redaction, by someone else.

    The span and codes decided on are copied here; an approval whose copy no longer matches
    the redaction (or whose ``void`` is set by an edit) counts for nothing.
    """

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    redaction_id: Mapped[int] = mapped_column(Integer, index=True)
    proposer_id: Mapped[int] = mapped_column(Integer)
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[DecisionKind] = mapped_column(_enum(DecisionKind, "decision_kind"))
    reason: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    codes: Mapped[list[str]] = mapped_column(JSON)
    void: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    redaction: Mapped[Redaction] = relationship(
        back_populates="decisions", foreign_keys=[redaction_id]
    )
    approver: Mapped[User] = relationship(foreign_keys=[approver_id])

    __table_args__ = (
        ForeignKeyConstraint(
            ["redaction_id", "proposer_id"],
            ["redactions.id", "redactions.proposer_id"],
            name="fk_decisions_redaction_proposer",
        ),
        CheckConstraint("approver_id <> proposer_id", name="ck_decisions_two_person"),
    )


class Comment(Base):
    """A remark in the discussion of a proposal."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    redaction_id: Mapped[int] = mapped_column(ForeignKey("redactions.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    redaction: Mapped[Redaction] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()


class PortionReview(Base):
    """A reviewer's mark that one portion of one cable version has been reviewed."""

    __tablename__ = "portion_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("cable_versions.id"))
    portion_index: Mapped[int] = mapped_column(Integer)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("version_id", "portion_index", name="uq_portion_reviews_portion"),
    )


class CarryOver(Base):
    """What a new version took over from the version before it (:mod:`redactor.review.carryover`).

    ``kind`` is ``redaction`` (``old_redaction_id``; ``new_redaction_id`` once carried) or
    ``review`` (a reviewed mark of ``old_portion_index`` carried to ``new_portion_index``).
    A row with ``needs_look`` was left behind on the old version: it holds the release of
    ``to_version`` until a person resolves it (``resolved_by_id``, ``resolved_at``).
    """

    __tablename__ = "carry_overs"

    id: Mapped[int] = mapped_column(primary_key=True)
    cable_id: Mapped[int] = mapped_column(ForeignKey("cables.id"), index=True)
    from_version_id: Mapped[int] = mapped_column(ForeignKey("cable_versions.id"))
    to_version_id: Mapped[int] = mapped_column(ForeignKey("cable_versions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    old_redaction_id: Mapped[int | None] = mapped_column(ForeignKey("redactions.id"))
    new_redaction_id: Mapped[int | None] = mapped_column(ForeignKey("redactions.id"))
    old_portion_index: Mapped[int | None] = mapped_column(Integer)
    new_portion_index: Mapped[int | None] = mapped_column(Integer)
    needs_look: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        CheckConstraint("kind IN ('redaction', 'review')", name="ck_carry_overs_kind"),
    )


class OccurrenceDecision(Base):
    """"Release this occurrence": a decision to leave printed a place ``[start, end)`` of a
    version that holds text withheld elsewhere (:mod:`redactor.redaction.occurrences`).

    Proposed with a reason, approved or rejected by another person (a CHECK holds that too).
    An approved decision lets the release gate pass that place; it belongs to its version
    (a new version needs decisions of its own). ``source`` says against what the place
    conflicts: ``cable`` (an approved redaction of the same version); later sources (an
    earlier release's withheld strings) use the same table with their own value.
    """

    __tablename__ = "occurrence_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cable_id: Mapped[int] = mapped_column(ForeignKey("cables.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("cable_versions.id"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32), default="cable")
    reason: Mapped[str] = mapped_column(Text)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    decider_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    proposer: Mapped[User] = relationship(foreign_keys=[proposer_id])
    decider: Mapped[User | None] = relationship(foreign_keys=[decider_id])

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (
        CheckConstraint("start >= 0 AND start < \"end\"", name="ck_occurrence_decisions_span"),
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'withdrawn')",
            name="ck_occurrence_decisions_status",
        ),
        CheckConstraint(
            "decider_id IS NULL OR decider_id <> proposer_id",
            name="ck_occurrence_decisions_two_person",
        ),
    )


class Release(Base):
    """An immutable record of one release of one cable version."""

    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    cable_id: Mapped[int] = mapped_column(ForeignKey("cables.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("cable_versions.id"))
    case_number: Mapped[str] = mapped_column(String(16))
    doc_number: Mapped[str] = mapped_column(String(16), unique=True)
    disposition: Mapped[str] = mapped_column(String(200))
    released_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    record: Mapped[dict] = mapped_column(JSON)  # redactions, proposers, approvers, hashes
    audit_head: Mapped[str | None] = mapped_column(String(64))


class AuditEntry(Base):
    """One link of the hash-chained, append-only audit record (see :mod:`redactor.audit`).

    ``mac`` is HMAC-SHA256(key, ``prev_mac`` + canonical JSON of the entry, the payload as
    stored). Triggers refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: keep forever
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    payload: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    client_addr: Mapped[str] = mapped_column(String(64), default="")
    # The cable the entry concerns (no FK: keep forever); hides it from readers not cleared.
    cable_id: Mapped[int | None] = mapped_column(Integer, index=True)
    prev_mac: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),)


class ReleaseArtifact(Base):
    """One file of a release (``pdf``, ``txt``, ``json``), kept exactly as it was published.

    Immutable like its :class:`Release`: triggers refuse UPDATE and DELETE on both tables.
    ``sha256`` is also in the release's record, so a swapped file is noticed.
    """

    __tablename__ = "release_artifacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    name: Mapped[str] = mapped_column(String(16))  # the kind, also the file extension
    media_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column()  # LargeBinary (BLOB / bytea)

    __table_args__ = (UniqueConstraint("release_id", "name", name="uq_release_artifacts_name"),)


class ApiToken(Base):
    """A personal access token for the JSON API (``Authorization: Bearer <secret>``).

    Only the SHA-256 of the secret is stored; the secret is shown once, when the token is
    made. ``prefix`` (the secret's first characters) tells tokens apart on a list. A token
    acts as its user, with the user's current roles and clearance; it stops working when it
    is revoked, when it expires, or when its user is deactivated.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()
