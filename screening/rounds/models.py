"""Screening rounds (vurderingsrunder)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening.core.db import UTCDateTime, enum_column, utcnow
from screening.core.extensions import Model, db
from screening.org.models import Institution

round_institution = sa.Table(
    "round_institution",
    db.metadata,
    sa.Column(
        "round_id", sa.ForeignKey("screening_round.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("institution_id", sa.ForeignKey("institution.id"), primary_key=True),
)


class RoundStatus(enum.StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"


class ScreeningRound(Model):
    """A window in which children are assessed, e.g. "Efterår 2026"."""

    __tablename__ = "screening_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    # The child's age on this date chooses the instrument.
    reference_date: Mapped[date]
    status: Mapped[RoundStatus] = mapped_column(
        enum_column(RoundStatus, "status", length=16), default=RoundStatus.PLANNED
    )
    # The instrument keys (age bands) this round covers, e.g. ["topi-0-1", "topi-1-3"].
    instrument_keys: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Optimistic concurrency: every UPDATE says WHERE version = <the version read> and bumps
    # it; a form carries the version it was opened from.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    institutions: Mapped[list[Institution]] = relationship(
        secondary=round_institution, order_by="Institution.name"
    )

    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="window_ordered"),)
    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    def covers(self, institution_id: int) -> bool:
        """Does the round cover the institution? From the loaded institutions if they are,
        else from their ids alone, read once per loaded state of the round (a round covers
        a municipality's 40 institutions: their ORM objects cost a page more than the
        answer; issue 17)."""
        if "institutions" in self.__dict__:
            return any(i.id == institution_id for i in self.institutions)
        ids = self.__dict__.get("_covered_ids")
        if ids is None:
            session = sa.orm.object_session(self)
            if session is None or self.id is None:
                return any(i.id == institution_id for i in self.institutions)
            ids = set(
                session.scalars(
                    sa.select(round_institution.c.institution_id).where(
                        round_institution.c.round_id == self.id
                    )
                )
            )
            self.__dict__["_covered_ids"] = ids
        return institution_id in ids


@sa.event.listens_for(ScreeningRound, "expire")
@sa.event.listens_for(ScreeningRound, "refresh")
def _forget_covered(target: ScreeningRound | None, *_args: object) -> None:
    """The ids `covers` read belong to the state they were read with (a commit expires it)."""
    if target is not None:  # (an instance already collected)
        target.__dict__.pop("_covered_ids", None)
