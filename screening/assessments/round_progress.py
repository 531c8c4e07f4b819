"""A round's progress: per group and child, the assessments submitted and drafted and the
joint position (lists and counts), the children a round covers, the next child to assess.

Nothing here changes anything or reads the request.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import sqlalchemy as sa

from screening.accounts.models import User
from screening.assessments.models import Assessment, AssessmentStatus, JointAssessment
from screening.catalogue.models import InstrumentVersion
from screening.catalogue.services import AgeBand, band_of, round_bands
from screening.children.models import Child, GroupMembership
from screening.classifier import Position
from screening.core.extensions import db
from screening.org.models import Group
from screening.rounds.models import ScreeningRound


class ChildRef(NamedTuple):
    """A child as a progress list names it (columns, not a `Child`)."""

    id: int
    first_name: str
    last_name: str
    birth_date: date

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class JointRef(NamedTuple):
    """A joint assessment as a progress list shows it: the position agreed, and whether
    the parents are still to be told of a changed one."""

    id: int
    agreed_position: Position
    previous_position: Position | None
    parents_informed_on: date | None

    @property
    def position_changed(self) -> bool:
        return self.previous_position is not None and self.previous_position != self.agreed_position


@dataclass
class ChildProgress:
    child: ChildRef
    instrument: InstrumentVersion | None
    submitted: int
    drafts: int
    joint: JointRef | None
    own_status: AssessmentStatus | None = None


@dataclass
class GroupProgress:
    group: Group
    children: list[ChildProgress]

    @property
    def eligible(self) -> list[ChildProgress]:
        return [c for c in self.children if c.instrument is not None]

    @property
    def with_individual(self) -> int:
        return sum(1 for c in self.eligible if c.submitted >= 1)

    @property
    def with_two(self) -> int:
        return sum(1 for c in self.eligible if c.submitted >= 2)

    @property
    def with_joint(self) -> int:
        return sum(1 for c in self.eligible if c.joint is not None)

    @property
    def missing_individual(self) -> list[ChildProgress]:
        return [c for c in self.eligible if c.submitted == 0]

    @property
    def missing_joint(self) -> list[ChildProgress]:
        return [c for c in self.eligible if c.joint is None]


def group_progress(
    round_: ScreeningRound, groups: list[Group], user: User | None = None
) -> list[GroupProgress]:
    """For each group: every current child, its instrument in the round, counts of submitted
    and draft assessments, the joint assessment's position, and the user's own status. Two
    queries, of columns only (a list page builds no ORM objects per child): the children
    with their counts, own status and joint assessment in one, the round's age bands."""
    group_ids = [g.id for g in groups]
    # Per child, small look-ups by (round, child) in the unique indexes of both tables,
    # not the round's assessments loaded and counted in Python (three statements before).
    of_child = (Assessment.round_id == round_.id, Assessment.child_id == Child.id)
    submitted = (
        sa.select(sa.func.count())
        .where(*of_child, Assessment.status == AssessmentStatus.SUBMITTED)
        .scalar_subquery()
    )
    drafts = (
        sa.select(sa.func.count())
        .where(*of_child, Assessment.status == AssessmentStatus.DRAFT)
        .scalar_subquery()
    )
    own_status = (
        sa.select(Assessment.status)
        .where(*of_child, Assessment.assessor_id == user.id)  # one at most (unique)
        .scalar_subquery()
        if user is not None
        else sa.null()
    )
    bands = round_bands(round_)  # one query, not one per age in months
    covered_ids = {g.id for g in groups if round_.covers(g.institution_id)}
    by_group: dict[int, list[ChildProgress]] = {g: [] for g in group_ids}
    for row in db.session.execute(
        sa.select(
            GroupMembership.group_id,
            Child.id,
            Child.first_name,
            Child.last_name,
            Child.birth_date,
            submitted.label("submitted"),
            drafts.label("drafts"),
            own_status.label("own_status"),
            JointAssessment.id.label("joint_id"),
            JointAssessment.agreed_position,
            JointAssessment.previous_position,
            JointAssessment.parents_informed_on,
        )
        .join(Child, Child.id == GroupMembership.child_id)
        .outerjoin(
            JointAssessment,
            sa.and_(JointAssessment.round_id == round_.id, JointAssessment.child_id == Child.id),
        )
        .where(GroupMembership.group_id.in_(group_ids), GroupMembership.end_date.is_(None))
        .order_by(Child.first_name, Child.last_name)
    ):
        joint = (
            JointRef(
                row.joint_id,
                row.agreed_position,
                row.previous_position,
                row.parents_informed_on,
            )
            if row.joint_id is not None
            else None
        )
        band = band_of(bands, row.birth_date)
        by_group[row.group_id].append(
            ChildProgress(
                child=ChildRef(row.id, row.first_name, row.last_name, row.birth_date),
                instrument=band.instrument if band and row.group_id in covered_ids else None,
                submitted=row.submitted,
                drafts=row.drafts,
                joint=joint,
                own_status=AssessmentStatus(row.own_status) if row.own_status else None,
            )
        )
    return [GroupProgress(g, by_group[g.id]) for g in groups]


@dataclass(frozen=True)
class GroupCounts:
    """A group's progress in a round as counts (what the round overview shows): the
    current children the round covers, how many have one / two submitted individual
    assessments and a joint one, and the joint positions agreed."""

    group: Group
    children: int
    with_individual: int
    with_two: int
    with_joint: int
    by_position: dict[str, int]


def round_members(round_: ScreeningRound, groups: list[Group]) -> sa.Subquery:
    """The current children of `groups` the round covers (as `GroupProgress.eligible`):
    (child_id, group_id). One query for the round's age bands; the rest is SQL."""
    bands = round_bands(round_)
    covered = [g.id for g in groups if round_.covers(g.institution_id)]
    in_band = [
        sa.and_(Child.birth_date > b.born_after, Child.birth_date <= b.born_by) for b in bands
    ]
    return (
        sa.select(GroupMembership.child_id, GroupMembership.group_id)
        .join(Child, Child.id == GroupMembership.child_id)
        .where(
            GroupMembership.group_id.in_(covered) if covered else sa.false(),
            GroupMembership.end_date.is_(None),
            sa.or_(*in_band) if in_band else sa.false(),
        )
        .subquery("members")
    )


def round_group_counts(round_: ScreeningRound, groups: list[Group]) -> list[GroupCounts]:
    """`group_progress` as counts for many groups at once: two queries (the round's age
    bands, then one aggregate), whatever the number of groups and children."""
    members = round_members(round_, groups)
    submitted = (
        sa.select(Assessment.child_id, sa.func.count().label("n"))
        .where(Assessment.round_id == round_.id, Assessment.status == AssessmentStatus.SUBMITTED)
        .group_by(Assessment.child_id)
        .subquery("submitted")
    )
    n = sa.func.coalesce(submitted.c.n, 0)
    stmt = (
        sa.select(
            members.c.group_id,
            JointAssessment.agreed_position,
            sa.func.count(),
            sa.func.sum(sa.case((n >= 1, 1), else_=0)),
            sa.func.sum(sa.case((n >= 2, 1), else_=0)),
        )
        .select_from(members)
        .outerjoin(submitted, submitted.c.child_id == members.c.child_id)
        .outerjoin(
            JointAssessment,
            sa.and_(
                JointAssessment.child_id == members.c.child_id,
                JointAssessment.round_id == round_.id,
            ),
        )
        .group_by(members.c.group_id, JointAssessment.agreed_position)
    )
    found: dict[int, dict[str, Any]] = {}
    for group_id, position, children, one, two in db.session.execute(stmt):
        row = found.setdefault(
            group_id, {"children": 0, "one": 0, "two": 0, "joint": 0, "by_position": {}}
        )
        row["children"] += children
        row["one"] += int(one or 0)
        row["two"] += int(two or 0)
        if position is not None:
            row["joint"] += children
            row["by_position"][position.value] = children
    out = []
    for g in groups:
        row = found.get(g.id, {"children": 0, "one": 0, "two": 0, "joint": 0, "by_position": {}})
        out.append(
            GroupCounts(
                g, row["children"], row["one"], row["two"], row["joint"], row["by_position"]
            )
        )
    return out


@functools.cache
def _next_child_statement(bands: int) -> sa.Select[Any]:
    """`next_child`'s query for a round of `bands` age bands, built once per number of
    bands (the values are bound parameters): as `round_members` of the child's group,
    the group's children the round covers, then the next one by name not yet submitted."""
    in_band = [
        sa.and_(
            Child.birth_date > sa.bindparam(f"born_after_{i}", type_=sa.Date),
            Child.birth_date <= sa.bindparam(f"born_by_{i}", type_=sa.Date),
        )
        for i in range(bands)
    ]
    members = (
        sa.select(GroupMembership.child_id, GroupMembership.group_id)
        .join(Child, Child.id == GroupMembership.child_id)
        .where(
            GroupMembership.group_id == sa.bindparam("group_id"),
            GroupMembership.end_date.is_(None),
            sa.or_(*in_band),
        )
        .subquery("members")
    )
    child_id = sa.bindparam("child_id", type_=sa.Integer)
    name = (Child.first_name, Child.last_name, Child.id)
    here = (
        sa.bindparam("first_name", type_=sa.String),
        sa.bindparam("last_name", type_=sa.String),
        child_id,
    )
    after = sa.tuple_(*name) > sa.tuple_(*here)
    submitted = sa.exists().where(
        Assessment.round_id == sa.bindparam("round_id"),
        Assessment.child_id == Child.id,
        Assessment.assessor_id == sa.bindparam("user_id"),
        Assessment.status == AssessmentStatus.SUBMITTED,
    )
    return (
        sa.select(Child)
        .join(members, members.c.child_id == Child.id)
        .where(
            Child.id != child_id,
            ~submitted,
            # The child itself must be one the round covers, as before.
            sa.select(members.c.child_id)
            .where(members.c.child_id == child_id)
            .correlate(None)
            .exists(),
        )
        .order_by(sa.case((after, 0), else_=1), *name)
        .limit(1)
    )


def next_child(
    round_: ScreeningRound, child: Child, user: User, bands: list[AgeBand] | None = None
) -> Child | None:
    """The next child in the same group (alphabetical, wrapping) the user has not submitted
    an assessment for in this round and who is covered by the round — as `group_progress`
    orders and filters them, but in SQL: the round's age bands (`bands`, when the caller
    has them already) and one query returning at most one child, whatever the size of the
    group; the query is built once per number of age bands."""
    group = child.current_group
    if group is None or not round_.covers(group.institution_id):
        return None
    if bands is None:
        bands = round_bands(round_)
    if not bands:
        return None
    params: dict[str, Any] = {
        "group_id": group.id,
        "child_id": child.id,
        "first_name": child.first_name,
        "last_name": child.last_name,
        "round_id": round_.id,
        "user_id": user.id,
    }
    for i, band in enumerate(bands):
        params[f"born_after_{i}"] = band.born_after
        params[f"born_by_{i}"] = band.born_by
    found: Child | None = db.session.scalar(_next_child_statement(len(bands)), params)
    return found
