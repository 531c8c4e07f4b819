"""Staff users, their roles and the institutions they work in."""

from __future__ import annotations

import enum
import secrets
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening.core.db import UTCDateTime, enum_column, utcnow
from screening.core.extensions import Model, db
from screening.org.models import Institution


class Role(enum.StrEnum):
    EDUCATOR = "educator"  # pædagog / dagplejer
    LEADER = "leader"  # leder
    HEALTH_VISITOR = "health_visitor"  # sundhedsplejerske
    DENTAL = "dental"  # tandplejen
    COORDINATOR = "coordinator"  # koordinator / TOPI-konsulent
    PPR = "ppr"  # psykolog, tale-hørekonsulent, fysio-/ergoterapeut
    SOCIAL_WORKER = "social_worker"  # socialrådgiver
    ADMIN = "admin"


user_institution = sa.Table(
    "user_institution",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("institution_id", sa.ForeignKey("institution.id"), primary_key=True),
)


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(200), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # A work phone number printed in letters where the user is the contact person.
    phone: Mapped[str] = mapped_column(sa.String(30), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # Part of the session id; rotated on password change so every other session ends.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    institutions: Mapped[list[Institution]] = relationship(
        secondary=user_institution, lazy="selectin", order_by="Institution.name"
    )

    # Flask-Login
    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    def set_roles(self, roles: Iterable[Role]) -> None:
        wanted = set(roles)
        self.role_rows = [r for r in self.role_rows if r.role in wanted]
        have = {r.role for r in self.role_rows}
        for role in sorted(wanted - have):
            self.role_rows.append(UserRole(role=role))

    @property
    def institution_ids(self) -> frozenset[int]:
        return frozenset(i.id for i in self.institutions)


class UserRole(Model):
    __tablename__ = "user_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))

    user: Mapped[User] = relationship(back_populates="role_rows")

    __table_args__ = (sa.UniqueConstraint("user_id", "role"),)


class LoginAttempt(Model):
    """Sign-in attempts, for throttling. The e-mail is stored only as a keyed hash."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    remote_addr: Mapped[str] = mapped_column(sa.String(45), index=True)
    success: Mapped[bool]
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
