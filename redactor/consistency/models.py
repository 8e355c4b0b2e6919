"""The tables of the twin index (:mod:`redactor.consistency.twins`), beside models.py.

Kept apart from :mod:`redactor.models` (which passes 600 lines) on the same declarative
base, so one metadata holds every table; :mod:`redactor.models` imports nothing from here.

- :class:`TwinBand`: the LSH index. One row per (band key, portion of a current version);
  the primary key leads with ``band_key``, so finding the candidates of a new text is one
  indexed ``IN`` lookup on SQLite and PostgreSQL alike.
- :class:`TwinPortion`: a verified twin, stored in both directions (so a page reads its own
  rows with one indexed query); ``kind`` says how they are alike, from this portion's side.
- :class:`TwinCable`: two cables that are the same text (a re-sent cable, a section copy),
  both directions; ``part`` when this cable's text is only part of the other's.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from redactor.models import Base

#: How a portion is like its twin, from the portion's side.
TWIN_KINDS = ("copy", "quotes", "quoted_in", "passage")


class TwinBand(Base):
    """One LSH band key of one chunk of a portion of a cable's current version."""

    __tablename__ = "twin_bands"

    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("cable_versions.id"), primary_key=True, index=True
    )
    portion_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    cable_id: Mapped[int] = mapped_column(Integer)


class TwinPortion(Base):
    """A verified twin: portion ``portion_index`` of ``version_id`` is like portion
    ``twin_portion_index`` of ``twin_version_id`` (``score`` 0-100 from the alignment)."""

    __tablename__ = "twin_portions"

    version_id: Mapped[int] = mapped_column(ForeignKey("cable_versions.id"), primary_key=True)
    portion_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    twin_version_id: Mapped[int] = mapped_column(
        ForeignKey("cable_versions.id"), primary_key=True
    )
    twin_portion_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    twin_cable_id: Mapped[int] = mapped_column(ForeignKey("cables.id"))
    kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_twin_portions_twin_version", "twin_version_id"),
        CheckConstraint(
            "kind IN ('copy', 'quotes', 'quoted_in', 'passage')", name="ck_twin_portions_kind"
        ),
    )


class TwinCable(Base):
    """``cable_id`` and ``twin_cable_id`` hold the same text (``part``: this one's text is
    only part of the other's, as a section copy is); ``score`` is the share (0-100) of this
    cable's indexed text found in the other."""

    __tablename__ = "twin_cables"

    cable_id: Mapped[int] = mapped_column(ForeignKey("cables.id"), primary_key=True)
    twin_cable_id: Mapped[int] = mapped_column(ForeignKey("cables.id"), primary_key=True)
    part: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_twin_cables_twin", "twin_cable_id"),)
