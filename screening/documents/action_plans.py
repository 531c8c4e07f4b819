"""The data of the action plan document (handleplan), one path's or a round's."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, lazyload

from reports.data import ActionPlanData, Person, PlanAction, PlanFollowUp, PlanOffer
from reports.i18n import DANISH, Language
from screening.accounts.models import Role, User, UserRole, user_institution
from screening.assessments.models import JointAssessment
from screening.children.models import Child, ChildGuardian, GroupMembership
from screening.core.extensions import db
from screening.documents.common import PROGRESS, child_info, person_of, suggested_reasons
from screening.org.models import Group, Institution
from screening.paths.models import (
    ActionPath,
    ActionPlan,
    FollowUp,
    Meeting,
    MeetingParticipant,
    PathStatus,
)
from screening.rounds.models import ScreeningRound

# Statements built once: the plan document is the hot path (`make bench-reports`), and
# building a statement and its cache key costs about as much as running it on SQLite.
_LATEST_SUGGESTION = (
    sa.select(JointAssessment.suggestion)
    .join(ScreeningRound, ScreeningRound.id == JointAssessment.round_id)
    .where(JointAssessment.child_id == sa.bindparam("child_id"))
    .order_by(ScreeningRound.reference_date.desc())
    .limit(1)
)
_PATH = (
    sa.select(ActionPath)
    .where(ActionPath.id == sa.bindparam("path_id"))
    .options(
        # The tovholder's name only: not their roles or institutions.
        joinedload(ActionPath.coordinator).lazyload("*"),
        joinedload(ActionPath.child)
        .joinedload(Child.memberships)
        .joinedload(GroupMembership.group)
        .joinedload(Group.institution),
        joinedload(ActionPath.child)
        .joinedload(Child.guardian_links)
        .joinedload(ChildGuardian.guardian),
    )
)
# The path's plan with its actions and offers (as `paths.services.plan_for`), in one query.
_PLAN = (
    sa.select(ActionPlan)
    .where(ActionPlan.path_id == sa.bindparam("path_id"))
    .options(joinedload(ActionPlan.items), joinedload(ActionPlan.offers))
)


def load_path(path_id: int) -> ActionPath | None:
    """An action path with everything its plan document shows, in few queries."""
    return db.session.scalars(_PATH, {"path_id": path_id}).unique().one_or_none()


_LEADER_NAME = (
    sa.select(User.name)
    .join(UserRole, UserRole.user_id == User.id)
    .join(user_institution, user_institution.c.user_id == User.id)
    .where(
        UserRole.role == Role.LEADER,
        user_institution.c.institution_id == sa.bindparam("institution_id"),
        User.active.is_(True),
    )
    .order_by(User.name)
    .limit(1)
)
_FOLLOW_UPS = (
    sa.select(FollowUp.held_on, FollowUp.progress, FollowUp.note, FollowUp.next_step)
    .where(FollowUp.path_id == sa.bindparam("path_id"))
    .order_by(FollowUp.held_on, FollowUp.id)
)
_PLAN_PARTICIPANTS = (
    sa.select(MeetingParticipant)
    .join(Meeting, Meeting.id == MeetingParticipant.meeting_id)
    .where(Meeting.path_id == sa.bindparam("path_id"))
    .order_by(Meeting.starts_at, MeetingParticipant.id)
    .options(
        # Staff participants' roles in the same statement; their institutions not at all.
        joinedload(MeetingParticipant.user).options(
            lazyload(User.institutions), joinedload(User.role_rows)
        )
    )
)


def leader_name(institution_id: int) -> str | None:
    return db.session.scalar(_LEADER_NAME, {"institution_id": institution_id})


def plan_data(path: ActionPath, today: date, language: Language = DANISH) -> ActionPlanData:
    plan = db.session.scalars(_PLAN, {"path_id": path.id}).unique().one_or_none()
    child = path.child
    suggestion = db.session.scalar(_LATEST_SUGGESTION, {"child_id": child.id})
    follow_ups = db.session.execute(_FOLLOW_UPS, {"path_id": path.id}).all()
    rows = db.session.scalars(_PLAN_PARTICIPANTS, {"path_id": path.id}).unique().all()
    participants: dict[str, Person] = {}
    for pt in rows:
        participants.setdefault(pt.name, person_of(pt, with_basis=False, language=language))
    group = child.current_group
    leader = (leader_name(group.institution_id) if group else None) or path.coordinator.name
    return ActionPlanData(
        child=child_info(child, today, language),
        position=path.position.value,
        reasons=suggested_reasons(suggestion, language),
        resources=plan.resources if plan else "",
        concerns=plan.concerns if plan else "",
        goals=plan.goals if plan else "",
        parents_perspective=plan.parents_perspective if plan else "",
        child_perspective=plan.child_perspective if plan else "",
        actions=tuple(PlanAction(i.what, i.who, i.by_when) for i in plan.items) if plan else (),
        offers=tuple(PlanOffer(o.name, o.staircase_step, o.description) for o in plan.offers)
        if plan
        else (),
        follow_ups=tuple(
            PlanFollowUp(held_on, language.gettext(PROGRESS[progress.value]), note, next_step)
            for held_on, progress, note, next_step in follow_ups
        ),
        evaluation_on=plan.evaluation_on if plan else None,
        participants=tuple(participants.values()),
        leader_name=leader,
        guardian_names=tuple(gl.guardian.name for gl in child.guardian_links if gl.has_custody),
    )


def round_plans(round_: ScreeningRound, institution: Institution) -> list[ActionPath]:
    """Open paths of children currently in the institution whose position was agreed in
    this round, by child name."""
    return list(
        db.session.scalars(
            sa.select(ActionPath)
            .join(JointAssessment, JointAssessment.child_id == ActionPath.child_id)
            .join(
                GroupMembership,
                sa.and_(
                    GroupMembership.child_id == ActionPath.child_id,
                    GroupMembership.end_date.is_(None),
                ),
            )
            .join(Group, Group.id == GroupMembership.group_id)
            .join(Child, Child.id == ActionPath.child_id)
            .where(
                JointAssessment.round_id == round_.id,
                Group.institution_id == institution.id,
                ActionPath.status == PathStatus.OPEN,
            )
            .order_by(Child.first_name, Child.last_name, ActionPath.id)
        )
    )
