"""Children (børn), their group membership history and their guardians (forældre)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening.core.db import UTCDateTime, utcnow
from screening.core.extensions import Model
from screening.org.models import Group


class Child(Model):
    """A child. No CPR number is stored: the roster's own id (``external_ref``) links imports."""

    __tablename__ = "child"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_ref: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(80))
    birth_date: Mapped[date]
    left_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    memberships: Mapped[list[GroupMembership]] = relationship(
        back_populates="child",
        order_by="GroupMembership.start_date.desc()",
        cascade="all, delete-orphan",
    )
    guardian_links: Mapped[list[ChildGuardian]] = relationship(
        back_populates="child", cascade="all, delete-orphan", order_by="ChildGuardian.id"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def current_membership(self) -> GroupMembership | None:
        return next((m for m in self.memberships if m.end_date is None), None)

    @property
    def current_group(self) -> Group | None:
        membership = self.current_membership
        return membership.group if membership else None

    def age_in_months(self, on: date) -> int:
        months = (on.year - self.birth_date.year) * 12 + (on.month - self.birth_date.month)
        if on.day < self.birth_date.day:
            months -= 1
        return months


class GroupMembership(Model):
    """A child's stay in one group; the open one (no end date) is the current group."""

    __tablename__ = "group_membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(sa.ForeignKey("child.id"), index=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("child_group.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date | None]

    child: Mapped[Child] = relationship(back_populates="memberships")
    group: Mapped[Group] = relationship()

    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
        # At most one open membership per child, enforced by the database.
        sa.Index(
            "uq_group_membership_open",
            "child_id",
            unique=True,
            sqlite_where=sa.text("end_date IS NULL"),
            postgresql_where=sa.text("end_date IS NULL"),
        ),
        # A child's current group without reading the table (Frister og fremdrift joins
        # the open memberships to the open paths).
        sa.Index(
            "ix_group_membership_open_group",
            "child_id",
            "group_id",
            sqlite_where=sa.text("end_date IS NULL"),
            postgresql_where=sa.text("end_date IS NULL"),
        ),
        # Key figures: a group's children on a day without reading the table (covering).
        sa.Index(
            "ix_group_membership_group_dates", "group_id", "start_date", "end_date", "child_id"
        ),
    )


class Guardian(Model):
    """A parent or other custody holder (forælder / forældremyndighedsindehaver)."""

    __tablename__ = "guardian"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[str] = mapped_column(sa.String(200), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    # ISO 639-1 code of the guardian's preferred language, e.g. "da", "ar", "uk".
    language: Mapped[str] = mapped_column(sa.String(8), default="da")
    needs_interpreter: Mapped[bool] = mapped_column(default=False)
    # Navne- og adressebeskyttelse: the address must never reach anyone else.
    protected_address: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    child_links: Mapped[list[ChildGuardian]] = relationship(back_populates="guardian")


class ChildGuardian(Model):
    """Links a child to a guardian, with whether that guardian holds custody."""

    __tablename__ = "child_guardian"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(sa.ForeignKey("child.id"), index=True)
    guardian_id: Mapped[int] = mapped_column(sa.ForeignKey("guardian.id"), index=True)
    has_custody: Mapped[bool] = mapped_column(default=True)
    # The stable key the roster matches this guardian on within the child (`guardian_key`
    # of the name): one guardian per key per child, so two imports cannot add the same one.
    match_key: Mapped[str] = mapped_column(sa.String(120))

    child: Mapped[Child] = relationship(back_populates="guardian_links")
    guardian: Mapped[Guardian] = relationship(back_populates="child_links")

    __table_args__ = (
        sa.UniqueConstraint("child_id", "guardian_id"),
        sa.UniqueConstraint("child_id", "match_key"),
    )


def guardian_key(name: str) -> str:
    """The key a guardian is matched on within a child: the name, case and spacing aside."""
    return " ".join(name.split()).casefold()[:120]


@sa.event.listens_for(ChildGuardian, "before_insert")
def _default_match_key(mapper: object, connection: object, link: ChildGuardian) -> None:
    """A link made without a key (a form, the demo) is keyed on the guardian's name; a
    second guardian of the child with the same name is keyed apart (as 0007 does)."""
    if link.match_key is None and link.guardian is not None:
        key = guardian_key(link.guardian.name)
        others = link.child.guardian_links if link.child is not None else []
        taken = {other.match_key for other in others if other is not link}
        n = 2
        while key in taken:
            key, n = f"{guardian_key(link.guardian.name)[:100]} #{n}", n + 1
        link.match_key = key
