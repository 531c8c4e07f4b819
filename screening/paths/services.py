"""Action paths in the database: opening, escalating and closing from agreed positions,
steps, the notify decision, action plans, follow-ups, meetings with the consent gate, and
the offer catalogue. The overview of deadlines and progress is in `overview`; the steps
that records complete, in `books`. Rules come from `screening.paths.rules` (pure); this
module flushes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from screening.accounts.models import Role, User, UserRole, user_institution
from screening.assessments.models import JointAssessment
from screening.catalogue.services import active_templates, templates_for
from screening.children.models import Child, Guardian
from screening.classifier import Position
from screening.core.db import locked, savepoint, utcnow
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.paths import rules as rules
from screening.paths.models import (
    ActionPath,
    ActionPlan,
    ActionPlanItem,
    ActionStep,
    Consent,
    FollowUp,
    Meeting,
    MeetingKind,
    MeetingParticipant,
    NotifyDecision,
    NotifyDecisionValue,
    Offer,
    ParticipantKind,
    PathStatus,
    Progress,
    StepKind,
)

# Opening, escalating, closing -----------------------------------------------------------------


def open_path_for(child_id: int) -> ActionPath | None:
    return db.session.scalar(
        sa.select(ActionPath).where(
            ActionPath.child_id == child_id, ActionPath.status == PathStatus.OPEN
        )
    )


def _add_steps(
    path: ActionPath, planned: Iterable[rules.PlannedStep], joint: JointAssessment | None = None
) -> None:
    """Add the planned steps; a step already true because of the joint assessment (e.g. the
    leader made it herself, so she is informed) is done at once, by her, that day."""
    decider = joint.decided_by if joint is not None else None
    by_leader = decider is not None and decider.has_role(Role.LEADER)
    for p in planned:
        t = p.template
        step = ActionStep(
            key=t.key,
            kind=StepKind(t.kind),
            title_da=t.title_da,
            title_en=t.title_en,
            responsible_role=t.responsible,
            required=t.required,
            repeat_weeks=t.repeat_weeks,
            due_on=p.due_on,
        )
        if joint is not None and rules.done_at_opening(t, decided_by_leader=by_leader):
            step.done_on = joint.decided_at.date()
            step.done_by = decider
        path.steps.append(step)


def apply_agreed_position(joint: JointAssessment, by: User) -> tuple[str, ActionPath | None]:
    """Open, escalate, keep or prepare to close the child's path after a joint assessment.
    Returns the action taken and the path. The open path is read locked: two agreed
    positions for the child escalate it one after the other."""
    path = db.session.scalar(
        locked(
            db.session,
            sa.select(ActionPath).where(
                ActionPath.child_id == joint.child_id, ActionPath.status == PathStatus.OPEN
            ),
        )
    )
    existing = frozenset(s.key for s in path.steps) if path else frozenset()
    agreed_on = joint.decided_at.date()
    if path is not None:
        tpl = templates_for(path)
    else:
        row, tpl = active_templates()
    decision = rules.decide(
        tpl,
        joint.agreed_position.value,
        path.position.value if path else None,
        existing,
        agreed_on,
    )
    if decision.action == "open":
        if decision.position is None or decision.escalation_level is None:
            raise ValueError("an opening decision names a position and a level")
        path = ActionPath(
            child_id=joint.child_id,
            position=Position(decision.position),
            opened_on=agreed_on,
            coordinator=by,
            escalation_level=decision.escalation_level,
            template_key=row.key,
            template_version=row.version,
            opened_by_joint_id=joint.id,
        )
        db.session.add(path)
        _add_steps(path, decision.new_steps, joint)
    elif path is None:  # "none": green and no open path
        pass
    elif decision.action == "escalate":
        if decision.position is None or decision.escalation_level is None:
            raise ValueError("an escalating decision names a position and a level")
        path.position = Position(decision.position)
        path.escalation_level = max(path.escalation_level, decision.escalation_level)
        path.may_close = False
        _add_steps(path, decision.new_steps, joint)
    elif decision.action == "keep":
        path.may_close = False
    elif decision.action == "prepare_close":
        path.may_close = True
        _add_steps(path, decision.new_steps)
    db.session.flush()
    return decision.action, path


def complete_step(step: ActionStep, by: User, on: date, note: str = "") -> ActionStep | None:
    """Mark a step done. A repeating follow-up schedules its next occurrence (returned).
    The notify step is done only through `record_notify_decision`. The step is read locked:
    pressed again (by the same user, the same day) it answers as the first press did,
    without a second next occurrence."""
    step = _locked_step(step)
    if step.done:
        if step.done_by_id == by.id and step.done_on == on:
            return None
        raise DomainError("already_done")
    if step.kind == StepKind.NOTIFY and not notify_decision(step):
        raise DomainError("notify_decision_required")
    step.done_on = on
    step.done_by = by
    step.note = note.strip()
    nxt = None
    if step.repeat_weeks and step.path.is_open and not step.path.may_close:
        nxt = ActionStep(
            key=step.key,
            kind=step.kind,
            title_da=step.title_da,
            title_en=step.title_en,
            responsible_role=step.responsible_role,
            required=step.required,
            repeat_weeks=step.repeat_weeks,
            due_on=on + timedelta(weeks=step.repeat_weeks),
        )
        step.path.steps.append(nxt)
    db.session.flush()
    return nxt


def _locked_step(step: ActionStep) -> ActionStep:
    """The step as committed now, locked until the end of the transaction."""
    return db.session.scalars(
        locked(db.session, sa.select(ActionStep).where(ActionStep.id == step.id))
    ).one()


def notify_decision(step: ActionStep) -> NotifyDecision | None:
    return db.session.scalar(sa.select(NotifyDecision).where(NotifyDecision.step_id == step.id))


def record_notify_decision(
    step: ActionStep,
    by: User,
    *,
    decision: str,
    reasoning: str,
    decided_on: date,
    sent_on: date | None = None,
    sent_by: User | None = None,
    expected_version: int | None = None,
) -> NotifyDecision:
    """Record the assessment of the duty to notify. People decide; the product records.

    `expected_version` is the version the form was opened from (0: no decision yet): a
    revision from an older form is refused (DomainError("changed_meanwhile")) unless the
    stored decision already says exactly this (sent twice: nothing written)."""
    if step.kind != StepKind.NOTIFY:
        raise DomainError("not_a_notify_step")
    if not reasoning.strip():
        raise DomainError("reasoning_required")
    value = NotifyDecisionValue(decision)
    if value == NotifyDecisionValue.NOTIFY and (sent_on is None) != (sent_by is None):
        raise DomainError("sent_needs_date_and_signer")
    if value == NotifyDecisionValue.NO_NOTIFY and sent_on is not None:
        raise DomainError("sent_without_notify")
    step = _locked_step(step)
    sent_by_id = sent_by.id if (sent_by and value == NotifyDecisionValue.NOTIFY) else None
    wanted = (value, reasoning.strip(), decided_on, sent_on if sent_by_id else None)
    row = _locked_decision(step)
    if row is None:
        try:
            with savepoint(db.session):
                row = NotifyDecision(
                    step_id=step.id,
                    path_id=step.path_id,
                    decision=value,
                    reasoning=reasoning.strip(),
                    decided_by_id=by.id,
                    decided_on=decided_on,
                    sent_on=wanted[3],
                    sent_by_id=sent_by_id,
                )
                db.session.add(row)
                db.session.flush()
        except IntegrityError:  # another session recorded the first decision a moment ago
            row = _locked_decision(step)
            if row is None:
                raise
            if expected_version is not None:
                if (row.decision, row.reasoning, row.decided_on, row.sent_on) == wanted:
                    return row
                raise DomainError("changed_meanwhile") from None
    elif expected_version is not None and row.version != expected_version:
        if (row.decision, row.reasoning, row.decided_on, row.sent_on) == wanted:
            return row  # the same revision, sent twice
        raise DomainError("changed_meanwhile")
    row.decision = value
    row.reasoning = reasoning.strip()
    row.decided_by_id = by.id
    row.decided_on = decided_on
    row.sent_on = sent_on if value == NotifyDecisionValue.NOTIFY else None
    row.sent_by_id = sent_by.id if (sent_by and value == NotifyDecisionValue.NOTIFY) else None
    db.session.add(row)
    db.session.flush()
    if not step.done:
        step.done_on = decided_on
        step.done_by = by
    db.session.flush()
    return row


def _locked_decision(step: ActionStep) -> NotifyDecision | None:
    return db.session.scalar(
        locked(db.session, sa.select(NotifyDecision).where(NotifyDecision.step_id == step.id))
    )


def can_close(path: ActionPath) -> bool:
    """A path closes after the position became green and every required step is done."""
    return path.is_open and path.may_close and all(s.done for s in path.steps if s.required)


def close_path(path: ActionPath, by: User, on: date, note: str) -> None:
    if not can_close(path):
        raise DomainError("cannot_close")
    path.status = PathStatus.CLOSED
    path.closed_on = on
    path.closed_by_id = by.id
    path.close_note = note.strip()
    db.session.flush()


def set_coordinator(
    path: ActionPath,
    coordinator_id: int,
    escalation_level: int,
    expected_version: int | None = None,
) -> None:
    """Name the path's tovholder and its escalation level. From a form opened at an older
    version of the path (someone changed it, or it escalated) it is refused
    (DomainError("changed_meanwhile")) unless the path already says exactly this."""
    path = db.session.scalars(
        locked(db.session, sa.select(ActionPath).where(ActionPath.id == path.id))
    ).one()
    if expected_version is not None and path.version != expected_version:
        if (path.coordinator_id, path.escalation_level) == (coordinator_id, escalation_level):
            return
        raise DomainError("changed_meanwhile")
    path.coordinator_id = coordinator_id
    path.escalation_level = escalation_level
    db.session.flush()


def daycare_staff(child: Child) -> list[User]:
    """The daycare's own staff (educators and leaders) for the child: who may be tovholder
    or join a meeting as a colleague. Others (health visitor, dental, PPR) are invited as
    external professionals, through the consent gate."""
    group = child.current_group
    if group is None:
        return []
    return list(
        db.session.scalars(
            sa.select(User)
            .join(user_institution, user_institution.c.user_id == User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                user_institution.c.institution_id == group.institution_id,
                User.active.is_(True),
                UserRole.role.in_([Role.EDUCATOR, Role.LEADER]),
            )
            .order_by(User.name)
            .distinct()
        )
    )


def follow_ups_of(path: ActionPath) -> list[FollowUp]:
    """The path's follow-ups, newest first."""
    return list(
        db.session.scalars(
            sa.select(FollowUp).where(FollowUp.path_id == path.id).order_by(FollowUp.held_on.desc())
        )
    )


def meetings_of(path: ActionPath) -> list[Meeting]:
    return list(
        db.session.scalars(
            sa.select(Meeting).where(Meeting.path_id == path.id).order_by(Meeting.starts_at)
        )
    )


def notify_decisions_of(path: ActionPath) -> dict[int, NotifyDecision]:
    """The path's notify decisions by step id."""
    return {
        d.step_id: d
        for d in db.session.scalars(
            sa.select(NotifyDecision).where(NotifyDecision.path_id == path.id)
        )
    }


def suggested_professions(path: ActionPath) -> list[str]:
    """The professions the classifier named for the concern that opened the path."""
    if path.opened_by_joint_id is None:
        return []
    joint = db.session.get(JointAssessment, path.opened_by_joint_id)
    return list((joint.suggestion or {}).get("professions", [])) if joint else []


# Action plan and follow-ups -------------------------------------------------------------------


@dataclass
class PlanItemInput:
    what: str
    who: str
    by_when: date | None


def save_plan(
    path: ActionPath,
    by: User,
    *,
    resources: str,
    concerns: str,
    goals: str,
    parents_perspective: str,
    child_perspective: str,
    evaluation_on: date,
    items: list[PlanItemInput],
    offer_ids: list[int],
    expected_version: int | None = None,
) -> ActionPlan:
    """Save the path's plan, its actions and offers (the actions are replaced).

    `expected_version` is the plan's version the form was opened from (0: no plan yet): the
    plan is read locked, and a save from an older form is refused
    (DomainError("changed_meanwhile")) unless the plan already holds exactly this (sent
    twice: nothing written)."""
    wanted = _plan_content(
        resources,
        concerns,
        goals,
        parents_perspective,
        child_perspective,
        evaluation_on,
        [(it.what.strip(), it.who.strip(), it.by_when) for it in items if it.what.strip()],
        offer_ids,
    )
    plan = _locked_plan(path)
    if plan is None:
        try:
            with savepoint(db.session):
                plan = ActionPlan(path_id=path.id, created_by_id=by.id, evaluation_on=evaluation_on)
                db.session.add(plan)
                db.session.flush()
        except IntegrityError:  # another session saved the first plan a moment ago
            plan = _locked_plan(path)
            if plan is None:
                raise
            if expected_version is not None:
                if _stored_content(plan) == wanted:
                    return plan
                raise DomainError("changed_meanwhile") from None
    elif expected_version is not None and plan.version != expected_version:
        if _stored_content(plan) == wanted:
            return plan  # the same plan, sent twice
        raise DomainError("changed_meanwhile")
    plan.updated_at = utcnow()  # always an UPDATE, so the version guards the actions too
    plan.resources = resources.strip()
    plan.concerns = concerns.strip()
    plan.goals = goals.strip()
    plan.parents_perspective = parents_perspective.strip()
    plan.child_perspective = child_perspective.strip()
    plan.evaluation_on = evaluation_on
    plan.items = [
        ActionPlanItem(position=i, what=it.what.strip(), who=it.who.strip(), by_when=it.by_when)
        for i, it in enumerate(x for x in items if x.what.strip())
    ]
    plan.offers = list(db.session.scalars(sa.select(Offer).where(Offer.id.in_(offer_ids))))
    db.session.flush()
    return plan


def _locked_plan(path: ActionPath) -> ActionPlan | None:
    return db.session.scalar(
        locked(db.session, sa.select(ActionPlan).where(ActionPlan.path_id == path.id))
    )


def _plan_content(
    resources: str,
    concerns: str,
    goals: str,
    parents_perspective: str,
    child_perspective: str,
    evaluation_on: date,
    items: list[tuple[str, str, date | None]],
    offer_ids: list[int],
) -> tuple[object, ...]:
    texts = (resources, concerns, goals, parents_perspective, child_perspective)
    return (*(t.strip() for t in texts), evaluation_on, items, sorted(set(offer_ids)))


def _stored_content(plan: ActionPlan) -> tuple[object, ...]:
    return _plan_content(
        plan.resources,
        plan.concerns,
        plan.goals,
        plan.parents_perspective,
        plan.child_perspective,
        plan.evaluation_on,
        [(i.what, i.who, i.by_when) for i in plan.items],
        [o.id for o in plan.offers],
    )


def plan_for(path: ActionPath) -> ActionPlan | None:
    """The path's plan with its actions and offers, in one query."""
    return (
        db.session.scalars(
            sa.select(ActionPlan)
            .where(ActionPlan.path_id == path.id)
            .options(joinedload(ActionPlan.items), joinedload(ActionPlan.offers))
        )
        .unique()
        .one_or_none()
    )


def offers_for_age(months: int) -> list[Offer]:
    return list(
        db.session.scalars(
            sa.select(Offer)
            .where(
                Offer.active.is_(True),
                Offer.min_age_months <= months,
                Offer.max_age_months > months,
            )
            .order_by(Offer.staircase_step, Offer.name)
        )
    )


def add_follow_up(
    path: ActionPath, by: User, *, held_on: date, progress: str, note: str, next_step: str
) -> FollowUp:
    fu = FollowUp(
        path_id=path.id,
        held_on=held_on,
        progress=Progress(progress),
        note=note.strip(),
        next_step=next_step.strip(),
        by_id=by.id,
    )
    db.session.add(fu)
    db.session.flush()
    return fu


# Consents and meetings ----------------------------------------------------------------------


def covering_consent(child_id: int, profession: str, on: date) -> Consent | None:
    """An active consent from a custody holder that names this recipient."""
    for consent in db.session.scalars(
        sa.select(Consent).where(Consent.child_id == child_id).order_by(Consent.given_on.desc())
    ):
        if consent.covers(profession, on):
            return consent
    return None


def active_consents(child_id: int, on: date) -> list[Consent]:
    return [
        c
        for c in db.session.scalars(
            sa.select(Consent).where(Consent.child_id == child_id).order_by(Consent.given_on)
        )
        if c.active_on(on)
    ]


def record_consent(
    child: Child,
    guardian: Guardian,
    by: User,
    *,
    information_kinds: list[str],
    recipients: list[str],
    purpose: str,
    given_on: date,
) -> Consent:
    link = next((gl for gl in child.guardian_links if gl.guardian_id == guardian.id), None)
    if link is None or not link.has_custody:
        raise DomainError("not_custody_holder")
    if not recipients or not information_kinds or not purpose.strip():
        raise DomainError("consent_incomplete")
    consent = Consent(
        child_id=child.id,
        guardian_id=guardian.id,
        information_kinds=sorted(information_kinds),
        recipients=sorted(recipients),
        purpose=purpose.strip(),
        given_on=given_on,
        recorded_by_id=by.id,
    )
    db.session.add(consent)
    db.session.flush()
    return consent


def withdraw_consent(consent: Consent, by: User, on: date) -> None:
    if consent.withdrawn_on is not None:
        raise DomainError("already_withdrawn")
    consent.withdrawn_on = on
    consent.withdrawn_by_id = by.id
    db.session.flush()


def create_meeting(
    path: ActionPath,
    by: User,
    *,
    kind: str,
    starts_at: datetime,
    place: str,
    purpose: str,
    agenda: str,
) -> Meeting:
    meeting = Meeting(
        path_id=path.id,
        kind=MeetingKind(kind),
        starts_at=starts_at,
        place=place.strip(),
        purpose=purpose.strip(),
        agenda=agenda.strip(),
        created_by_id=by.id,
    )
    db.session.add(meeting)
    db.session.flush()
    return meeting


def invite_external(
    meeting: Meeting,
    *,
    name: str,
    profession: str,
    organisation: str,
    email: str,
    legal_basis: str,
    on: date,
) -> MeetingParticipant:
    """Invite a professional from outside the daycare. Allowed only when a recorded, not
    withdrawn consent names that recipient, or when a legal basis for sharing without
    consent is recorded. Raises DomainError("no_consent_or_legal_basis")."""
    consent = covering_consent(meeting.path.child_id, profession, on)
    if consent is None and not legal_basis.strip():
        raise DomainError("no_consent_or_legal_basis")
    participant = MeetingParticipant(
        kind=ParticipantKind.EXTERNAL,
        name=name.strip(),
        profession=profession,
        organisation=organisation.strip(),
        email=email.strip(),
        consent_id=consent.id if consent else None,
        legal_basis="" if consent else legal_basis.strip(),
    )
    meeting.participants.append(participant)
    db.session.flush()
    return participant


def invite_guardian(meeting: Meeting, guardian: Guardian) -> MeetingParticipant:
    """Invite a guardian once: invited again (another tap, another session) it returns the
    first invitation (one participant, so one letter)."""
    return _invite_once(
        meeting,
        MeetingParticipant.guardian_id == guardian.id,
        lambda: MeetingParticipant(
            meeting_id=meeting.id,
            kind=ParticipantKind.GUARDIAN,
            guardian_id=guardian.id,
            name=guardian.name,
            email=guardian.email,
        ),
    )


def invite_staff(meeting: Meeting, user: User) -> MeetingParticipant:
    """Invite a colleague once (see `invite_guardian`)."""
    return _invite_once(
        meeting,
        MeetingParticipant.user_id == user.id,
        lambda: MeetingParticipant(
            meeting_id=meeting.id,
            kind=ParticipantKind.STAFF,
            user_id=user.id,
            name=user.name,
            email=user.email,
        ),
    )


def _invite_once(
    meeting: Meeting, who: sa.ColumnElement[bool], make: Callable[[], MeetingParticipant]
) -> MeetingParticipant:
    """Find or create a participant: an insert guarded by the unique constraint in a
    savepoint, so the second writer reads the first one's row."""

    def existing() -> MeetingParticipant | None:
        return db.session.scalar(
            sa.select(MeetingParticipant).where(MeetingParticipant.meeting_id == meeting.id, who)
        )

    found = existing()
    if found is not None:
        return found
    try:
        with savepoint(db.session):
            participant = make()
            db.session.add(participant)
            db.session.flush()
    except IntegrityError:
        found = existing()
        if found is None:
            raise
        return found
    db.session.expire(meeting, ["participants"])
    return participant


def consents_of(child: Child) -> list[Consent]:
    """Every consent recorded for the child, newest first."""
    return list(
        db.session.scalars(
            sa.select(Consent).where(Consent.child_id == child.id).order_by(Consent.given_on.desc())
        )
    )


def save_minutes(
    meeting: Meeting, *, minutes: str, decisions: str, expected_version: int | None = None
) -> None:
    """Save the minutes; from a form opened at an older version of the meeting it is
    refused (DomainError("changed_meanwhile")) unless the meeting already says this."""
    meeting = db.session.scalars(
        locked(db.session, sa.select(Meeting).where(Meeting.id == meeting.id))
    ).one()
    if expected_version is not None and meeting.version != expected_version:
        if (meeting.minutes, meeting.decisions) == (minutes.strip(), decisions.strip()):
            return
        raise DomainError("changed_meanwhile")
    meeting.minutes = minutes.strip()
    meeting.decisions = decisions.strip()
    db.session.flush()


# The offer catalogue (tilbudsviften) ---------------------------------------------------------


def save_offer(
    offer: Offer | None,
    *,
    name: str,
    description: str,
    staircase_step: int,
    min_age_months: int,
    max_age_months: int,
    active: bool,
) -> Offer:
    """Create (``offer=None``) or change an offer. Raises DomainError("offer_ages" |
    "offer_name_taken")."""
    if max_age_months <= min_age_months:
        raise DomainError("offer_ages")
    taken = db.session.scalar(
        sa.select(Offer.id).where(
            sa.func.lower(Offer.name) == name.strip().lower(),
            Offer.id != (offer.id if offer else -1),
        )
    )
    if taken:
        raise DomainError("offer_name_taken")
    if offer is None:
        offer = Offer()
        db.session.add(offer)
    offer.name = name.strip()
    offer.description = description
    offer.staircase_step = staircase_step
    offer.min_age_months = min_age_months
    offer.max_age_months = max_age_months
    offer.active = active
    db.session.flush()
    return offer


def all_offers() -> list[Offer]:
    return list(db.session.scalars(sa.select(Offer).order_by(Offer.staircase_step, Offer.name)))
