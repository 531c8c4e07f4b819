"""Offline tablets: per-user data keys, sync receipts and sync conflicts.

Every item a device sends carries an id made on the device. The receipt's unique
constraint on that id, not a check before inserting, is what makes a re-sent item land
exactly once. An item that disagrees with the server is kept as a conflict, with both
versions, until a person resolves it.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening.accounts.models import User
from screening.children.models import Child
from screening.core.db import UTCDateTime, enum_column, utcnow
from screening.core.extensions import Model


class SyncKind(enum.StrEnum):
    ASSESSMENT = "assessment"
    OBSERVATION = "observation"


class SyncOutcome(enum.StrEnum):
    STORED = "stored"  # the item was applied
    CONFLICT = "conflict"  # the item was kept as a conflict


class ConflictStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class ConflictResolution(enum.StrEnum):
    DEVICE = "device"  # the device's version was applied
    SERVER = "server"  # the server's version was kept


class ConflictReason(enum.StrEnum):
    CHANGED_ON_SERVER = "changed_on_server"  # the object changed after the device's version
    ALREADY_SUBMITTED = "already_submitted"  # the assessment was submitted meanwhile
    DIFFERENT_PAYLOAD = "different_payload"  # the same item id came with other content


class DeviceKey(Model):
    """A user's data key (32 random bytes). The device wraps it with a key derived from
    the user's PIN and encrypts its offline data with it; signing in online fetches it again."""

    __tablename__ = "device_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class SyncReceipt(Model):
    """One item received from a device, by the id the device gave it."""

    __tablename__ = "sync_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: a second insert of the same id fails in the database, whatever the timing.
    client_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    kind: Mapped[SyncKind] = mapped_column(enum_column(SyncKind, "kind", length=16))
    object_id: Mapped[int | None]
    # The object's version right after this item was applied (assessments): a re-send is
    # answered with it, so the device never takes a later server change as its own base.
    result_version: Mapped[int | None]
    # sha256 of the canonical JSON of kind and payload: tells an identical re-send apart.
    payload_hash: Mapped[str] = mapped_column(sa.String(64))
    outcome: Mapped[SyncOutcome] = mapped_column(
        enum_column(SyncOutcome, "outcome", length=16), default=SyncOutcome.STORED
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncConflict(Model):
    """A device's version that disagreed with the server's, kept with the server's version
    at the time, for a person to resolve."""

    __tablename__ = "sync_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique constraint below, whose first column it is.
    client_id: Mapped[str] = mapped_column(sa.String(36))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    kind: Mapped[SyncKind] = mapped_column(enum_column(SyncKind, "kind", length=16))
    reason: Mapped[ConflictReason] = mapped_column(enum_column(ConflictReason, "reason"))
    child_id: Mapped[int] = mapped_column(sa.ForeignKey("child.id", ondelete="CASCADE"), index=True)
    object_id: Mapped[int | None]
    base_version: Mapped[int | None]  # the server version the device started from
    server_version: Mapped[int | None]  # the server's version when the item arrived
    payload: Mapped[dict] = mapped_column(sa.JSON)  # the device's version
    payload_hash: Mapped[str] = mapped_column(sa.String(64))
    server_snapshot: Mapped[dict | None] = mapped_column(sa.JSON)  # the server's version
    status: Mapped[ConflictStatus] = mapped_column(
        enum_column(ConflictStatus, "status", length=16), default=ConflictStatus.OPEN
    )
    resolution: Mapped[ConflictResolution | None] = mapped_column(
        enum_column(ConflictResolution, "resolution", length=16)
    )
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    child: Mapped[Child] = relationship()
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    __table_args__ = (
        # The same disagreeing item sent twice is one conflict, not two.
        sa.UniqueConstraint("client_id", "payload_hash"),
        sa.CheckConstraint(
            "status = 'open' OR (resolution IS NOT NULL AND resolved_by_id IS NOT NULL "
            "AND resolved_at IS NOT NULL)",
            name="resolved_has_resolution",
        ),
    )

    @property
    def is_open(self) -> bool:
        return self.status == ConflictStatus.OPEN
