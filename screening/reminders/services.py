"""Reminders of open action-path steps.

Each day, every active user who coordinates (is tovholder of) an open path with steps
overdue or due within two working days gets one notification with the counts; a leader
also gets the count of steps in their institutions overdue by the municipality's
`escalate_after_working_days` or more. Counting is a few grouped queries, whatever the
number of steps; the notifications are inserted in one statement that skips users who
already have today's (unique per user and day), and returns the ones it inserted: only
those are e-mailed, so two consumers never remind twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from screening.accounts.models import Role, User, UserRole, user_institution
from screening.children.models import GroupMembership
from screening.core import header
from screening.core.db import utcnow
from screening.core.extensions import db
from screening.org.models import Group, Municipality
from screening.paths.models import ActionPath, ActionStep, PathStatus
from screening.paths.workdays import add_working_days
from screening.reminders.models import Notification

SOON_WORKING_DAYS = 2


@dataclass(frozen=True)
class Counts:
    overdue: int = 0
    due_soon: int = 0
    escalated: int = 0

    @property
    def any(self) -> bool:
        return bool(self.overdue or self.due_soon or self.escalated)


def working_days_before(day: date, n: int) -> date:
    """The day `n` working days (Monday–Friday) before `day`."""
    taken = 0
    while taken < n:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            taken += 1
    return day


def escalate_after() -> int:
    value = db.session.scalar(sa.select(Municipality.escalate_after_working_days).limit(1))
    return int(value) if value is not None else 5


def counts_by_user(today: date, escalate_days: int | None = None) -> dict[int, Counts]:
    """What each active user is reminded of today."""
    escalate_days = escalate_days or escalate_after()
    soon = add_working_days(today, SOON_WORKING_DAYS)
    open_steps = (
        sa.select(ActionStep.due_on, ActionPath.coordinator_id, ActionPath.child_id)
        .join(ActionPath, ActionPath.id == ActionStep.path_id)
        .where(
            ActionPath.status == PathStatus.OPEN,
            ActionStep.done_on.is_(None),
            ActionStep.due_on <= soon,
        )
        .subquery()
    )
    own = db.session.execute(
        sa.select(
            open_steps.c.coordinator_id,
            sa.func.sum(sa.case((open_steps.c.due_on < today, 1), else_=0)),
            sa.func.sum(sa.case((open_steps.c.due_on >= today, 1), else_=0)),
        ).group_by(open_steps.c.coordinator_id)
    ).all()
    out: dict[int, Counts] = {uid: Counts(int(o), int(s)) for uid, o, s in own}

    # Escalation: steps overdue by `escalate_days` working days, by the child's current
    # institution, to every leader of that institution.
    limit = working_days_before(today, escalate_days)
    late = (
        sa.select(Group.institution_id, sa.func.count().label("n"))
        .select_from(open_steps)
        .join(
            GroupMembership,
            sa.and_(
                GroupMembership.child_id == open_steps.c.child_id,
                GroupMembership.end_date.is_(None),
            ),
        )
        .join(Group, Group.id == GroupMembership.group_id)
        .where(open_steps.c.due_on <= limit)
        .group_by(Group.institution_id)
        .subquery()
    )
    leaders = db.session.execute(
        sa.select(user_institution.c.user_id, sa.func.sum(late.c.n))
        .join(late, late.c.institution_id == user_institution.c.institution_id)
        .join(
            UserRole,
            sa.and_(UserRole.user_id == user_institution.c.user_id, UserRole.role == Role.LEADER),
        )
        .group_by(user_institution.c.user_id)
    ).all()
    for uid, n in leaders:
        c = out.get(uid, Counts())
        out[uid] = Counts(c.overdue, c.due_soon, int(n))
    active = set(db.session.scalars(sa.select(User.id).where(User.active.is_(True))))
    return {uid: c for uid, c in out.items() if uid in active and c.any}


def _insert() -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Notification)


def notify(today: date, counts: dict[int, Counts]) -> list[int]:
    """Store today's notifications; the ids of those this call inserted (a user who has
    today's already is skipped)."""
    if not counts:
        return []
    now = utcnow()
    rows = [
        {
            "user_id": uid,
            "day": today,
            "overdue": c.overdue,
            "due_soon": c.due_soon,
            "escalated": c.escalated,
            "created_at": now,
        }
        for uid, c in sorted(counts.items())
    ]
    inserted: list[int] = []
    for start in range(0, len(rows), 1000):
        stmt = (
            _insert()
            .values(rows[start : start + 1000])
            .on_conflict_do_nothing(index_elements=["user_id", "day"])
            .returning(Notification.id)
        )
        inserted += db.session.scalars(stmt)
    return inserted


def claim_for_email(ids: list[int], now: datetime | None = None) -> list[Notification]:
    """Mark the notifications as e-mailed and return the ones this call marked (the
    others were marked by someone else)."""
    if not ids:
        return []
    now = now or utcnow()
    claimed = list(
        db.session.scalars(
            sa.update(Notification)
            .where(Notification.id.in_(ids), Notification.emailed_at.is_(None))
            .values(emailed_at=now)
            .returning(Notification.id)
        )
    )
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.id.in_(claimed)).order_by(Notification.id)
        )
    )


def unread_count(user_id: int) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def recent(user_id: int, limit: int = 20) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.day.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(user_id: int) -> int:
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    header.forget()  # this request's badge counts again
    return int(getattr(result, "rowcount", 0) or 0)
