"""Frister og fremdrift (the overview of deadlines and progress, once "momentum"): the open
steps of the open action paths, overdue first, one page at a time; overdue counts per
institution; and paths open for about five months without recorded progress. Filters by
group (stue), tovholder and position. The number of queries does not grow with the number
of steps or paths: counts are computed in the database and only one page is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

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
    # The institution chosen by a user who sees several (the group select lists its groups).
    institution_id: int | None = None
    coordinator_id: int | None = None
    position: str | None = None  # "yellow" | "red"


@dataclass(frozen=True)
class StepRow:
    """One open step as the page shows it: the columns it prints, no ORM objects (loading
    the steps with their paths, children, memberships, groups and tovholdere, each user
    with roles and institutions, cost most of the page's time)."""

    id: int
    path_id: int
    title_da: str
    title_en: str
    due_on: date
    responsible_role: str
    child_id: int
    child_name: str
    position: Position
    group_name: str
    institution_name: str
    coordinator_id: int
    coordinator_name: str

    def overdue(self, today: date) -> bool:
        """Past its deadline (open steps only are listed), as `ActionStep.overdue`."""
        return self.due_on < today


@dataclass(frozen=True)
class StalledRow:
    """A path without progress, as the page shows it."""

    id: int
    child_id: int
    child_name: str
    position: Position
    opened_on: date
    coordinator_name: str


@dataclass(frozen=True)
class Choice:
    """A filter choice: the id and what the select shows."""

    id: int
    name: str
    institution_name: str = ""


@dataclass
class Overview:
    steps: list[StepRow]  # this page of open steps, overdue first, then by due date
    page: int
    pages: int
    per_page: int
    open_steps: int  # every open step that matches the filters
    overdue_steps: int
    children: int  # children with an open step
    overdue_by_institution: dict[str, int]
    stalled: list[tuple[StalledRow, int]]  # (path, days open), at most one page
    stalled_count: int


def _current(scoped: bool, by_group: bool, institution: bool = True) -> sa.Subquery:
    """The children's current groups, within the institutions (`:institution_ids`) and
    the group (`:group_id`) asked for; with each group's institution unless `institution`
    is False (the groups' table is then joined only to scope by institution)."""
    members = sa.select(GroupMembership.child_id, GroupMembership.group_id).where(
        GroupMembership.end_date.is_(None)
    )
    if scoped or institution:
        members = members.join(Group, Group.id == GroupMembership.group_id)
    if institution:
        members = members.add_columns(Group.institution_id)
    if scoped:
        members = members.where(
            Group.institution_id.in_(sa.bindparam("institution_ids", expanding=True))
        )
    if by_group:
        members = members.where(GroupMembership.group_id == sa.bindparam("group_id"))
    return members.subquery()


def _paths(current: sa.Subquery, shape: _Shape) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [
        ActionPath.status == PathStatus.OPEN,
        ActionPath.child_id == current.c.child_id,
    ]
    if shape.by_coordinator:
        where.append(ActionPath.coordinator_id == sa.bindparam("coordinator_id"))
    if shape.by_position:
        where.append(ActionPath.position == sa.bindparam("position"))
    return where


@dataclass(frozen=True)
class _Shape:
    """Which filters a request sets: each combination has its statements, built once
    (building a statement of six joins and its cache key cost about as much as running
    it); the values are bound parameters."""

    scoped: bool
    by_group: bool
    by_coordinator: bool
    by_position: bool


@dataclass(frozen=True)
class _Statements:
    # (Selects of different columns: typed loosely.)
    per_institution: Any
    page: Any
    stalled: Any


@lru_cache(maxsize=32)
def _statements(shape: _Shape) -> _Statements:
    current = _current(shape.scoped, shape.by_group)
    path_where = _paths(current, shape)
    open_step = [ActionStep.path_id == ActionPath.id, ActionStep.done_on.is_(None)]
    overdue = ActionStep.due_on < sa.bindparam("today", type_=sa.Date)

    # One grouped query for the counts and the overdue steps per institution. The open
    # steps are counted per path first (from `ix_action_step_open` alone), then the paths
    # are joined to their children's current groups: joining every open step to the
    # memberships first and counting distinct children took twice as long (11 against
    # 5.7 ms for the whole large municipality on PostgreSQL). A child has one open path
    # and one current group, so the paths per institution are its children.
    per_path = (
        sa.select(
            ActionStep.path_id,
            sa.func.count().label("steps"),
            sa.func.sum(sa.case((overdue, 1), else_=0)).label("late"),
        )
        .where(ActionStep.done_on.is_(None))
        .group_by(ActionStep.path_id)
        .subquery()
    )
    per_institution = (
        sa.select(
            Institution.name,
            sa.func.sum(per_path.c.steps),
            sa.func.sum(per_path.c.late),
            sa.func.count(ActionPath.id),
        )
        .select_from(per_path)
        .join(ActionPath, ActionPath.id == per_path.c.path_id)
        .join(current, current.c.child_id == ActionPath.child_id)
        .join(Institution, Institution.id == current.c.institution_id)
        .where(*path_where)
        .group_by(Institution.id, Institution.name)
        .order_by(Institution.name, Institution.id)
    )
    # Ascending due dates put the overdue steps first (they are due before today). The
    # child's current group comes with `current` (its open membership).
    coordinator = aliased(User)
    child_name = (Child.first_name + " " + Child.last_name).label("child_name")
    # The page's steps first (four tables), then their names: one statement joining all
    # eight tables took PostgreSQL 8-14 ms to plan on every request (a search over the
    # join orders) against 2 ms to run. A subquery with a LIMIT is planned on its own.
    page_steps = (
        sa.select(
            ActionStep.id,
            ActionStep.path_id,
            ActionStep.title_da,
            ActionStep.title_en,
            ActionStep.due_on,
            ActionStep.responsible_role,
            ActionPath.child_id,
            ActionPath.position,
            current.c.group_id,
            current.c.institution_id,
            ActionPath.coordinator_id,
        )
        .select_from(ActionStep)
        .join(ActionPath, ActionPath.id == ActionStep.path_id)
        .join(current, current.c.child_id == ActionPath.child_id)
        .where(*path_where, *open_step)
        .order_by(ActionStep.due_on, ActionStep.id)
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .offset(sa.bindparam("offset", type_=sa.Integer))
        .subquery()
    )
    page = (
        sa.select(
            page_steps.c.id,
            page_steps.c.path_id,
            page_steps.c.title_da,
            page_steps.c.title_en,
            page_steps.c.due_on,
            page_steps.c.responsible_role,
            page_steps.c.child_id,
            child_name,
            page_steps.c.position,
            Group.name,
            Institution.name,
            page_steps.c.coordinator_id,
            coordinator.name,
        )
        .select_from(page_steps)
        .join(Child, Child.id == page_steps.c.child_id)
        .join(Group, Group.id == page_steps.c.group_id)
        .join(Institution, Institution.id == page_steps.c.institution_id)
        .join(coordinator, coordinator.id == page_steps.c.coordinator_id)
        .order_by(page_steps.c.due_on, page_steps.c.id)
    )

    better = sa.select(FollowUp.path_id).where(
        FollowUp.progress == Progress.BETTER,
        FollowUp.held_on >= sa.bindparam("stalled_since", type_=sa.Date),
    )
    # The count comes with the page (a window over every match, before the limit); the
    # names are joined to that page only, as for the steps (joined before the limit, every
    # match's child and tovholder were looked up: 1,750 in the large municipality).
    # The stalled paths need the children's current groups only to scope them.
    members = _current(shape.scoped, shape.by_group, institution=False)
    stalled_page = (
        sa.select(
            ActionPath.id,
            ActionPath.child_id,
            ActionPath.position,
            ActionPath.opened_on,
            ActionPath.coordinator_id,
            sa.func.count().over().label("matches"),
        )
        .select_from(ActionPath)
        .join(members, members.c.child_id == ActionPath.child_id)
        .where(
            *_paths(members, shape),
            ActionPath.opened_on <= sa.bindparam("stalled_since", type_=sa.Date),
            ActionPath.id.not_in(better),
        )
        .order_by(ActionPath.opened_on, ActionPath.id)
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .subquery()
    )
    stalled = (
        sa.select(
            stalled_page.c.id,
            stalled_page.c.child_id,
            child_name,
            stalled_page.c.position,
            stalled_page.c.opened_on,
            coordinator.name,
            stalled_page.c.matches,
        )
        .select_from(stalled_page)
        .join(Child, Child.id == stalled_page.c.child_id)
        .join(coordinator, coordinator.id == stalled_page.c.coordinator_id)
        .order_by(stalled_page.c.opened_on, stalled_page.c.id)
    )
    return _Statements(per_institution, page, stalled)


def _shape_and_params(
    institution_ids: list[int] | None, filters: Filters
) -> tuple[_Shape, dict[str, Any]]:
    shape = _Shape(
        scoped=institution_ids is not None,
        by_group=filters.group_id is not None,
        by_coordinator=filters.coordinator_id is not None,
        by_position=filters.position is not None,
    )
    params: dict[str, Any] = {}
    if shape.scoped:
        params["institution_ids"] = list(institution_ids or [])
    if shape.by_group:
        params["group_id"] = filters.group_id
    if shape.by_coordinator:
        params["coordinator_id"] = filters.coordinator_id
    if shape.by_position:
        params["position"] = Position(str(filters.position))
    return shape, params


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
    shape, params = _shape_and_params(institution_ids, filters)
    stmts = _statements(shape)
    params["today"] = today
    per_institution = db.session.execute(stmts.per_institution, params).all()
    total = sum(int(n) for _name, n, _late, _children in per_institution)
    late = sum(int(n) for _name, _n, n, _children in per_institution)
    children = sum(int(n) for _name, _n, _late, n in per_institution)
    by_institution: dict[str, int] = {}
    for name, _n, n, _children in per_institution:
        if n:
            by_institution[name] = by_institution.get(name, 0) + int(n)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    params.update(limit=per_page, offset=(page - 1) * per_page)
    steps = [StepRow(*tuple(row)) for row in db.session.execute(stmts.page, params)]

    params["stalled_since"] = today - timedelta(days=stalled_after_days)
    found = db.session.execute(stmts.stalled, params).all()
    stalled = [StalledRow(*row[:-1]) for row in found]
    stalled_count = found[0].matches if found else 0
    return Overview(
        steps=steps,
        page=page,
        pages=pages,
        per_page=per_page,
        open_steps=total,
        overdue_steps=late,
        children=children,
        overdue_by_institution=by_institution,
        stalled=[(p, (today - p.opened_on).days) for p in stalled],
        stalled_count=int(stalled_count or 0),
    )


def institutions(institution_ids: list[int] | None) -> list[Choice]:
    """The institutions the institution filter offers (None: all of the municipality's)."""
    stmt = sa.select(Institution.id, Institution.name).order_by(Institution.name, Institution.id)
    if institution_ids is not None:
        stmt = stmt.where(Institution.id.in_(institution_ids))
    return [Choice(*row) for row in db.session.execute(stmt)]


def institution_of(group_id: int, institution_ids: list[int] | None) -> int | None:
    """The institution of a group, if it is one of `institution_ids` (None: any)."""
    stmt = sa.select(Group.institution_id).where(Group.id == group_id)
    if institution_ids is not None:
        stmt = stmt.where(Group.institution_id.in_(institution_ids))
    return db.session.scalar(stmt)


def groups(institution_ids: list[int] | None) -> list[Choice]:
    """The groups the group filter offers, with their institutions' names (columns only).
    The page asks for one institution's: a municipality has hundreds."""
    stmt = (
        sa.select(Group.id, Group.name, Institution.name)
        .join(Institution, Institution.id == Group.institution_id)
        .order_by(Institution.name, Group.name)
    )
    if institution_ids is not None:
        stmt = stmt.where(Group.institution_id.in_(institution_ids))
    return [Choice(*row) for row in db.session.execute(stmt)]


def coordinators(institution_ids: list[int] | None) -> list[Choice]:
    """The tovholdere the tovholder filter offers (id and name only: a user loads its roles
    and institutions with it): of the open paths of the children currently in the
    institutions; for the whole municipality (None), of every open path. The latter does
    not join the 20,000 open memberships (4.1 -> 1.3 ms on PostgreSQL for the large
    municipality); it differs only by the tovholder of a path left open for a child who no
    longer has a group, whom choosing shows no steps."""
    params = {"institution_ids": institution_ids} if institution_ids is not None else {}
    return [
        Choice(*row)
        for row in db.session.execute(_coordinators(institution_ids is not None), params)
    ]


@lru_cache(maxsize=2)
def _coordinators(scoped: bool) -> Any:
    ids = sa.select(ActionPath.coordinator_id).where(ActionPath.status == PathStatus.OPEN)
    if scoped:
        current = _current(scoped, False, institution=False)
        ids = ids.join(current, current.c.child_id == ActionPath.child_id)
    return sa.select(User.id, User.name).where(User.id.in_(ids)).order_by(User.name, User.id)
