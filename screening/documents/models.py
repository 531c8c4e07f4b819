"""Background PDF jobs: a combined PDF built by a queue consumer while the browser follows
its progress."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from screening.core.db import UTCDateTime, enum_column, utcnow
from screening.core.extensions import Model


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ReportJob(Model):
    """A combined PDF built in the background, with progress the browser can follow.
    The finished PDF is kept only until it is fetched or expires."""

    __tablename__ = "report_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    params: Mapped[dict] = mapped_column(sa.JSON)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    status: Mapped[JobStatus] = mapped_column(
        enum_column(JobStatus, "status", length=16), default=JobStatus.QUEUED
    )
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str] = mapped_column(sa.String(120), default="")
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    # Builds begun (a consumer that died mid-job leaves the job to be queued again).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # The last sign of life of the consumer building it (each document built).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
