"""The append-only audit trail: who did what to which object, when, with what outcome."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from screening.core.db import BigIntId, UTCDateTime, enum_column, utcnow
from screening.core.extensions import Model


class Outcome(enum.StrEnum):
    OK = "ok"
    DENIED = "denied"
    NOT_FOUND = "not_found"
    INVALID = "invalid"


class AuditEvent(Model):
    """One audited action. Rows are never updated or deleted (guarded in the ORM and by
    database triggers created in the migration)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # No foreign key: the trail must outlive anything it mentions.
    user_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[int | None]
    # The child concerned, when there is one: lets a parent's copy list every access.
    child_id: Mapped[int | None] = mapped_column(index=True)
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome, "outcome", length=16))
    remote_addr: Mapped[str | None] = mapped_column(sa.String(45))
    # Non-personal detail only (field names changed, counts), never child data.
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.Index("ix_audit_event_object", "object_type", "object_id"),)


@event.listens_for(Session, "before_flush")
def _audit_is_append_only(session: Session, flush_context: object, instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("audit events are append-only")
