"""Screening rounds (vurderingsrunder)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from screening.extensions import db
from screening.models.types import UTCDateTime, enum_column, utcnow


class RoundStatus(enum.StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"


class ScreeningRound(db.Model):
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="window_ordered"),)
