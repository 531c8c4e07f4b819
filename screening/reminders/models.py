"""One notification per user and day: how many of the user's steps are overdue, due within
two working days, and (for a leader) overdue past the escalation limit. It names no child:
the list links to the momentum page, which shows the user only what they may see."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from screening.core.db import UTCDateTime, utcnow
from screening.core.extensions import Model


class Notification(Model):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    # The day of the reminder run: unique with the user, so two consumers remind once.
    day: Mapped[date]
    overdue: Mapped[int] = mapped_column(default=0)
    due_soon: Mapped[int] = mapped_column(default=0)
    escalated: Mapped[int] = mapped_column(default=0)  # others' steps, shown to a leader
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.UniqueConstraint("user_id", "day"),)
