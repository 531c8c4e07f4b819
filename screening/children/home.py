"""The home page ("I dag"): what needs doing today for the signed-in user, as counts that link
to the lists behind them.

Every count and every list is answered over the children the user may see (the policy's
`named_institution_ids`), with aggregate SQL: the number of queries depends on the number
of open rounds, never on the number of children. A count and its list come from the same
query (`_status_query`, `_steps_query`, ...), so a count never promises more than its list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from screening.accounts.models import Role, User
from screening.assessments.models import Assessment, AssessmentStatus, JointAssessment
from screening.catalogue.services import AgeBand, round_bands
from screening.children.models import Child, GroupMembership
from screening.core.extensions import db
from screening.core.policy import Action, may_assess_with, named_institution_ids
from screening.org.models import Group, Institution
from screening.paths.models import (
    ActionPath,
    ActionStep,
    FollowUp,
    Meeting,
    MeetingParticipant,
    PathStatus,
    Progress,
)
from screening.rounds.models import RoundStatus, ScreeningRound, round_institution

# Where each child of a round stands, in the order of the work: no assessment yet, only a
# draft, one submitted individual assessment, two or more (the joint assessment waits), and
# the joint assessment agreed.
STATUSES = ("not_assessed", "draft", "submitted", "ready", "joint")

# A path with no follow-up recording progress for this long counts as stalled (as the
# momentum view counts it).
STALLED_AFTER_DAYS = 150

# Meetings shown on the home page, nearest first.
MEETINGS_SHOWN = 10


@dataclass
class GroupWork:
    group_id: int
    group_name: str
    institution_name: str
    counts: dict[str, int]


@dataclass
class RoundWork:
    round: ScreeningRound
    groups: list[GroupWork]

    @property
    def totals(self) -> dict[str, int]:
        return {s: sum(g.counts[s] for g in self.groups) for s in STATUSES}


@dataclass
class Home:
    rounds: list[RoundWork] = field(default_factory=list)
    drafts: list[Assessment] = field(default_factory=list)
    my_steps: int = 0
    my_overdue: int = 0
    meetings: list[Meeting] = field(default_factory=list)
    # The leader's view of the whole institution.
    overdue_steps: int | None = None
    parents_not_informed: int | None = None
    stalled: int | None = None


def _institutions(user: User, action: Action) -> list[int] | None:
    return named_institution_ids(user, action)


def _members(institution_ids: list[int] | None) -> sa.Subquery:
    """The current group of every child in the given institutions (None: all)."""
    stmt = (
        sa.select(
            GroupMembership.child_id.label("child_id"),
            Group.id.label("group_id"),
            Group.institution_id.label("institution_id"),
        )
        .join(Group, Group.id == GroupMembership.group_id)
        .where(GroupMembership.end_date.is_(None))
    )
    if institution_ids is not None:
        stmt = stmt.where(Group.institution_id.in_(institution_ids))
    return stmt.subquery("members")


def open_rounds(user: User) -> list[ScreeningRound]:
    """Open rounds covering at least one institution where the user follows assessments."""
    ids = _institutions(user, Action.VIEW_ASSESSMENTS)
    if ids == []:
        return []
    stmt = sa.select(ScreeningRound).where(ScreeningRound.status == RoundStatus.OPEN)
    if ids is not None:
        stmt = stmt.where(
            ScreeningRound.id.in_(
                sa.select(round_institution.c.round_id).where(
                    round_institution.c.institution_id.in_(ids)
                )
            )
        )
    return list(db.session.scalars(stmt.order_by(ScreeningRound.reference_date.desc())))


def _bands_for(user: User, round_: ScreeningRound) -> list[AgeBand]:
    """The round's age bands the user works with: a health visitor only the infant band."""
    bands = round_bands(round_)
    if user.has_role(Role.EDUCATOR, Role.LEADER, Role.COORDINATOR):
        return bands
    return [b for b in bands if may_assess_with(user, b.instrument.max_months)]


def _status_query(user: User, round_: ScreeningRound) -> sa.Select[Any] | None:
    """(child_id, group_id, status) for every child of the round the user may follow: in a
    covered institution the user may see, with an age the round (and the user) assesses."""
    bands = _bands_for(user, round_)
    if not bands:
        return None
    members = _members(_institutions(user, Action.VIEW_ASSESSMENTS))
    # Only the round's rows of the children counted (not the whole municipality's).
    mine = sa.select(members.c.child_id)
    per_child = (
        sa.select(
            Assessment.child_id.label("child_id"),
            sa.func.sum(
                sa.case((Assessment.status == AssessmentStatus.SUBMITTED, 1), else_=0)
            ).label("submitted"),
            sa.func.count().label("n"),
        )
        .where(Assessment.round_id == round_.id, Assessment.child_id.in_(mine))
        .group_by(Assessment.child_id)
        .subquery("per_child")
    )
    joint = (
        sa.select(JointAssessment.child_id.label("child_id"))
        .where(JointAssessment.round_id == round_.id, JointAssessment.child_id.in_(mine))
        .subquery("joint")
    )
    status = sa.case(
        (joint.c.child_id.is_not(None), "joint"),
        (per_child.c.submitted >= 2, "ready"),
        (per_child.c.submitted >= 1, "submitted"),
        (per_child.c.n >= 1, "draft"),
        else_="not_assessed",
    ).label("status")
    in_band = sa.or_(
        *(sa.and_(Child.birth_date > b.born_after, Child.birth_date <= b.born_by) for b in bands)
    )
    covered = sa.select(round_institution.c.institution_id).where(
        round_institution.c.round_id == round_.id
    )
    return (
        sa.select(Child.id.label("child_id"), members.c.group_id, status)
        .join(members, members.c.child_id == Child.id)
        .outerjoin(per_child, per_child.c.child_id == Child.id)
        .outerjoin(joint, joint.c.child_id == Child.id)
        .where(members.c.institution_id.in_(covered), in_band)
    )


def round_work(user: User, round_: ScreeningRound) -> RoundWork:
    """Counts per group and status for one round, with the groups' names: two queries
    (the round's age bands, the counts)."""
    stmt = _status_query(user, round_)
    if stmt is None:
        return RoundWork(round_, [])
    rows = stmt.subquery("statuses")
    counted = db.session.execute(
        sa.select(Group.id, Group.name, Institution.name, rows.c.status, sa.func.count())
        .join(Group, Group.id == rows.c.group_id)
        .join(Institution, Institution.id == Group.institution_id)
        .group_by(Group.id, Group.name, Institution.name, rows.c.status)
        .order_by(Institution.name, Group.name, Group.id)
    ).all()
    by_group: dict[int, GroupWork] = {}
    for group_id, group_name, institution_name, status, n in counted:
        work = by_group.get(group_id)
        if work is None:
            work = by_group[group_id] = GroupWork(
                group_id, group_name, institution_name, dict.fromkeys(STATUSES, 0)
            )
        work.counts[status] = n
    return RoundWork(round_, list(by_group.values()))


def status_children(
    user: User, round_: ScreeningRound, status: str, group_id: int | None = None
) -> list[tuple[Child, Group]]:
    """The children behind one count of `round_work`."""
    stmt = _status_query(user, round_)
    if stmt is None:
        return []
    rows = stmt.subquery("statuses")
    query = (
        sa.select(Child, Group)
        .join(rows, rows.c.child_id == Child.id)
        .join(Group, Group.id == rows.c.group_id)
        .where(rows.c.status == status)
        .order_by(Group.name, Child.first_name, Child.last_name, Child.id)
    )
    if group_id is not None:
        query = query.where(rows.c.group_id == group_id)
    return [(c, g) for c, g in db.session.execute(query).all()]


def my_drafts(user: User) -> list[Assessment]:
    """The user's own drafts in open rounds, for children the user may still see."""
    members = _members(_institutions(user, Action.ASSESS))
    return list(
        db.session.scalars(
            sa.select(Assessment)
            .join(ScreeningRound, ScreeningRound.id == Assessment.round_id)
            .join(members, members.c.child_id == Assessment.child_id)
            .where(
                Assessment.assessor_id == user.id,
                Assessment.status == AssessmentStatus.DRAFT,
                ScreeningRound.status == RoundStatus.OPEN,
            )
            .options(selectinload(Assessment.child), selectinload(Assessment.round))
            .order_by(Assessment.updated_at.desc(), Assessment.id)
        )
    )


def _steps_query(user: User, kind: str, today: date) -> sa.Select[ActionStep]:
    """Open steps of open paths of children the user may see.

    * ``mine``: where the user is the path's tovholder or holds the step's responsible role;
    * ``overdue``: every overdue step (the leader's view of the institution).
    """
    members = _members(_institutions(user, Action.MANAGE_PATHS))
    stmt = (
        sa.select(ActionStep)
        .join(ActionPath, ActionPath.id == ActionStep.path_id)
        .join(members, members.c.child_id == ActionPath.child_id)
        .where(ActionPath.status == PathStatus.OPEN, ActionStep.done_on.is_(None))
    )
    if kind == "mine":
        roles = [r.value for r in user.roles]
        stmt = stmt.where(
            sa.or_(ActionPath.coordinator_id == user.id, ActionStep.responsible_role.in_(roles))
        )
    else:
        stmt = stmt.where(ActionStep.due_on < today)
    return stmt


def steps(user: User, kind: str, today: date) -> list[ActionStep]:
    """The steps behind a steps count, overdue first, then by due date."""
    return list(
        db.session.scalars(
            _steps_query(user, kind, today)
            .options(selectinload(ActionStep.path).selectinload(ActionPath.child))
            .order_by(ActionStep.due_on, ActionStep.id)
        )
    )


def _not_informed_query(user: User) -> sa.Select[JointAssessment]:
    """Joint assessments whose position changed and whose parents are not yet informed."""
    members = _members(_institutions(user, Action.RECORD_JOINT))
    return (
        sa.select(JointAssessment)
        .join(members, members.c.child_id == JointAssessment.child_id)
        .where(
            JointAssessment.previous_position.is_not(None),
            JointAssessment.previous_position != JointAssessment.agreed_position,
            JointAssessment.parents_informed_on.is_(None),
        )
    )


def parents_not_informed(user: User) -> list[JointAssessment]:
    return list(
        db.session.scalars(
            _not_informed_query(user)
            .options(selectinload(JointAssessment.child), selectinload(JointAssessment.round))
            .order_by(JointAssessment.decided_at, JointAssessment.id)
        )
    )


def _stalled_query(user: User, today: date) -> sa.Select[ActionPath]:
    """Open paths opened long ago with no follow-up recording progress since."""
    members = _members(_institutions(user, Action.VIEW_MOMENTUM))
    since = today - timedelta(days=STALLED_AFTER_DAYS)
    better = sa.select(FollowUp.path_id).where(
        FollowUp.progress == Progress.BETTER, FollowUp.held_on >= since
    )
    return (
        sa.select(ActionPath)
        .join(members, members.c.child_id == ActionPath.child_id)
        .where(
            ActionPath.status == PathStatus.OPEN,
            ActionPath.opened_on <= since,
            ActionPath.id.not_in(better),
        )
    )


def stalled(user: User, today: date) -> list[ActionPath]:
    return list(
        db.session.scalars(
            _stalled_query(user, today)
            .options(selectinload(ActionPath.child))
            .order_by(ActionPath.opened_on, ActionPath.id)
        )
    )


def upcoming_meetings(
    user: User, now: datetime, limit: int | None = MEETINGS_SHOWN
) -> list[Meeting]:
    """Meetings from now on about children the user may see: the leader sees every meeting
    of the institution, others those they take part in or whose path they coordinate."""
    members = _members(_institutions(user, Action.VIEW_PATHS))
    stmt = (
        sa.select(Meeting)
        .join(ActionPath, ActionPath.id == Meeting.path_id)
        .join(members, members.c.child_id == ActionPath.child_id)
        .where(Meeting.starts_at >= now)
    )
    if not user.has_role(Role.LEADER):
        mine = sa.select(MeetingParticipant.meeting_id).where(
            sa.or_(
                MeetingParticipant.user_id == user.id,
                sa.func.lower(MeetingParticipant.email) == user.email.lower(),
            )
        )
        stmt = stmt.where(sa.or_(Meeting.id.in_(mine), ActionPath.coordinator_id == user.id))
    # The path is joined already: loaded from the same rows, its child in one more query.
    stmt = stmt.options(contains_eager(Meeting.path).selectinload(ActionPath.child)).order_by(
        Meeting.starts_at, Meeting.id
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def home(user: User, today: date, now: datetime) -> Home:
    """Everything on the user's home page. Queries: 2 per open round, then at most five."""
    out = Home()
    out.rounds = [w for w in (round_work(user, r) for r in open_rounds(user)) if w.groups]
    if _institutions(user, Action.ASSESS):
        out.drafts = my_drafts(user)
    if _institutions(user, Action.MANAGE_PATHS):
        mine = _steps_query(user, "mine", today).subquery()
        late = sa.case((mine.c.due_on < today, 1), else_=0)
        row = db.session.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(late), 0))
        ).one()
        out.my_steps, out.my_overdue = int(row[0]), int(row[1])
    if _institutions(user, Action.VIEW_PATHS):
        out.meetings = upcoming_meetings(user, now)
    if user.has_role(Role.LEADER):
        # The leader's three counts in one query.
        counts = [
            sa.select(sa.func.count()).select_from(q.subquery()).scalar_subquery()
            for q in (
                _steps_query(user, "overdue", today),
                _not_informed_query(user),
                _stalled_query(user, today),
            )
        ]
        row = db.session.execute(sa.select(*counts)).one()
        out.overdue_steps, out.parents_not_informed, out.stalled = (int(n or 0) for n in row)
    return out


def invited_meetings(user: User, now: datetime) -> list[Meeting]:
    """Meetings from now on that the user (PPR, social worker) is invited to, about children
    they may read (the invitation's basis holds)."""
    from screening.core.policy import invited_children

    mine = sa.select(MeetingParticipant.meeting_id).where(
        sa.or_(
            MeetingParticipant.user_id == user.id,
            sa.func.lower(MeetingParticipant.email) == user.email.lower(),
        )
    )
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .join(ActionPath, ActionPath.id == Meeting.path_id)
            .where(
                Meeting.starts_at >= now,
                Meeting.id.in_(mine),
                ActionPath.child_id.in_(invited_children(user)),
            )
            .options(selectinload(Meeting.path).selectinload(ActionPath.child))
            .order_by(Meeting.starts_at, Meeting.id)
            .limit(MEETINGS_SHOWN)
        )
    )


# Search -------------------------------------------------------------------------------------

# At most this many children are listed; the page says when there were more.
SEARCH_LIMIT = 50


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_children(user: User, text: str, limit: int = SEARCH_LIMIT) -> list[Child]:
    """Children the user may see by name whose first or last name contains every word of
    `text` (in any case). SQLite lowers only ASCII letters, so each word is also tried as
    written, lowered, capitalised and in capitals (Æ, Ø, Å begin many names)."""
    from screening.core.policy import visible_children

    stmt = visible_children(user, Action.VIEW_CHILD)
    for word in text.split():
        variants = {word, word.lower(), word.capitalize(), word.upper()}
        stmt = stmt.where(
            sa.or_(
                *(
                    column.like(_like(v), escape="\\")
                    for v in variants
                    for column in (
                        Child.first_name,
                        Child.last_name,
                        sa.func.lower(Child.first_name),
                        sa.func.lower(Child.last_name),
                    )
                )
            )
        )
    return list(
        db.session.scalars(
            stmt.options(selectinload(Child.memberships).selectinload(GroupMembership.group))
            .order_by(Child.first_name, Child.last_name, Child.id)
            .limit(limit + 1)
        )
    )
