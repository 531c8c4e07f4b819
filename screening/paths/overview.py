"""Frister og fremdrift (the overview of deadlines and progress, once "momentum"): the open
steps of the open action paths, overdue first, one page at a time; overdue counts per
institution; and paths open for about five months without recorded progress. Filters by
group (stue), tovholder and position. The number of queries does not grow with the number
of steps or paths: counts are computed in the database and only one page is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from screening.accounts.models import User
from screening.children.models import Child, GroupMembership
from screening.classifier import Position
from screening.core.extensions import db
from screening.org.models import Group, Institution
from screening.paths.models import ActionPath, ActionStep, FollowUp, PathStatus, Progress

PER_PAGE = 50
STALLED_AFTER_DAYS = 150  # about five months


@dataclass(frozen=True)
class Filters:
    group_id: int | None = None
    coordinator_id: int | None = None
    position: str | None = None  # "yellow" | "red"


@dataclass
class Overview:
    steps: list[ActionStep]  # this page of open steps, overdue first, then by due date
    page: int
    pages: int
    per_page: int
    open_steps: int  # every open step that matches the filters
    overdue_steps: int
    children: int  # children with an open step
    overdue_by_institution: dict[str, int]
    stalled: list[tuple[ActionPath, int]]  # (path, days open), at most one page
    stalled_count: int


def _current(institution_ids: list[int] | None, group_id: int | None) -> sa.Subquery:
    """The children's current groups, within the institutions and the group asked for."""
    members = (
        sa.select(GroupMembership.child_id, Group.id.label("group_id"), Group.institution_id)
        .join(Group, Group.id == GroupMembership.group_id)
        .where(GroupMembership.end_date.is_(None))
    )
    if institution_ids is not None:
        members = members.where(Group.institution_id.in_(institution_ids))
    if group_id is not None:
        members = members.where(Group.id == group_id)
    return members.subquery()


def _paths(current: sa.Subquery, filters: Filters) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [
        ActionPath.status == PathStatus.OPEN,
        ActionPath.child_id == current.c.child_id,
    ]
    if filters.coordinator_id is not None:
        where.append(ActionPath.coordinator_id == filters.coordinator_id)
    if filters.position is not None:
        where.append(ActionPath.position == Position(filters.position))
    return where


def overview(
    institution_ids: list[int] | None,
    today: date,
    filters: Filters | None = None,
    page: int = 1,
    per_page: int | None = None,
    stalled_after_days: int = STALLED_AFTER_DAYS,
) -> Overview:
    """The overview for children currently in the given institutions (None: all), one page
    of `per_page` (default `PER_PAGE`) steps."""
    filters = filters or Filters()
    per_page = per_page or PER_PAGE
    current = _current(institution_ids, filters.group_id)
    path_where = _paths(current, filters)
    open_step = [ActionStep.path_id == ActionPath.id, ActionStep.done_on.is_(None)]
    overdue = ActionStep.due_on < today

    total, late, children = db.session.execute(
        sa.select(
            sa.func.count(ActionStep.id),
            sa.func.coalesce(sa.func.sum(sa.case((overdue, 1), else_=0)), 0),
            sa.func.count(sa.distinct(ActionPath.child_id)),
        )
        .select_from(ActionStep)
        .join(ActionPath, ActionPath.id == ActionStep.path_id)
        .join(current, current.c.child_id == ActionPath.child_id)
        .where(*path_where, *open_step)
    ).one()
    pages = max(1, -(-int(total) // per_page))
    page = min(max(1, page), pages)
    by_institution = db.session.execute(
        sa.select(Institution.name, sa.func.count(ActionStep.id))
        .select_from(ActionStep)
        .join(ActionPath, ActionPath.id == ActionStep.path_id)
        .join(current, current.c.child_id == ActionPath.child_id)
        .join(Institution, Institution.id == current.c.institution_id)
        .where(*path_where, *open_step, overdue)
        .group_by(Institution.name)
        .order_by(Institution.name)
    ).all()
    # Ascending due dates put the overdue steps first (they are due before today).
    steps = list(
        db.session.scalars(
            sa.select(ActionStep)
            .join(ActionPath, ActionPath.id == ActionStep.path_id)
            .join(current, current.c.child_id == ActionPath.child_id)
            .where(*path_where, *open_step)
            .options(
                selectinload(ActionStep.path).selectinload(ActionPath.coordinator),
                selectinload(ActionStep.path)
                .selectinload(ActionPath.child)
                .selectinload(Child.memberships)
                .selectinload(GroupMembership.group)
                .selectinload(Group.institution),
            )
            .order_by(ActionStep.due_on, ActionStep.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )

    better = sa.select(FollowUp.path_id).where(
        FollowUp.progress == Progress.BETTER,
        FollowUp.held_on >= today - timedelta(days=stalled_after_days),
    )
    stalled_where = [
        *path_where,
        ActionPath.opened_on <= today - timedelta(days=stalled_after_days),
        ActionPath.id.not_in(better),
    ]
    stalled_count = db.session.scalar(
        sa.select(sa.func.count(ActionPath.id))
        .select_from(ActionPath)
        .join(current, current.c.child_id == ActionPath.child_id)
        .where(*stalled_where)
    )
    stalled = db.session.scalars(
        sa.select(ActionPath)
        .join(current, current.c.child_id == ActionPath.child_id)
        .where(*stalled_where)
        .options(selectinload(ActionPath.child), selectinload(ActionPath.coordinator))
        .order_by(ActionPath.opened_on, ActionPath.id)
        .limit(per_page)
    )
    return Overview(
        steps=steps,
        page=page,
        pages=pages,
        per_page=per_page,
        open_steps=int(total),
        overdue_steps=int(late),
        children=int(children),
        overdue_by_institution={name: int(n) for name, n in by_institution},
        stalled=[(p, (today - p.opened_on).days) for p in stalled],
        stalled_count=int(stalled_count or 0),
    )


def groups(institution_ids: list[int] | None) -> list[Group]:
    """The groups the group filter offers."""
    stmt = (
        sa.select(Group)
        .join(Institution, Institution.id == Group.institution_id)
        .options(selectinload(Group.institution))
        .order_by(Institution.name, Group.name)
    )
    if institution_ids is not None:
        stmt = stmt.where(Group.institution_id.in_(institution_ids))
    return list(db.session.scalars(stmt))


def coordinators(institution_ids: list[int] | None) -> list[User]:
    """The tovholdere of open paths of children in the institutions."""
    current = _current(institution_ids, None)
    ids = (
        sa.select(ActionPath.coordinator_id)
        .join(current, current.c.child_id == ActionPath.child_id)
        .where(ActionPath.status == PathStatus.OPEN)
    )
    return list(db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.name)))
