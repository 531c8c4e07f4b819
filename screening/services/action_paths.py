"""Action paths in the database: opening, escalating and closing from agreed positions,
steps, the notify decision, action plans, follow-ups, meetings with the consent gate, and
the momentum view. Rules come from `screening.actionpaths` (pure); this module flushes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import joinedload, selectinload

from screening import actionpaths as rules
from screening.extensions import db
from screening.models import (
    ActionPath,
    ActionPathTemplateVersion,
    ActionPlan,
    ActionPlanItem,
    ActionStep,
    Child,
    Consent,
    FollowUp,
    Group,
    GroupMembership,
    Guardian,
    JointAssessment,
    Meeting,
    MeetingKind,
    MeetingParticipant,
    NotifyDecision,
    NotifyDecisionValue,
    Offer,
    ParticipantKind,
    PathStatus,
    PositionValue,
    Progress,
    StepKind,
    User,
)
from screening.services.catalogue import CatalogueError


class PathError(ValueError):
    """A rule of the action-path workflow was broken; `code` says which (English)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# Templates ---------------------------------------------------------------------------------

_TEMPLATES: dict[tuple, rules.Templates] = {}


def load_template_file(path: Path | None = None) -> str:
    """Validate and store the action-path templates (flush only). Returns the status."""
    path = path or rules.DATA_FILE
    try:
        templates = rules.load_templates(path)
    except rules.TemplateError as exc:
        raise CatalogueError(str(exc)) from exc
    text = path.read_text(encoding="utf-8")
    row = db.session.scalar(
        sa.select(ActionPathTemplateVersion).where(
            ActionPathTemplateVersion.key == templates.key,
            ActionPathTemplateVersion.version == templates.version,
        )
    )
    if row is not None:
        if yaml.safe_load(row.source_yaml) != yaml.safe_load(text):
            raise CatalogueError(
                f"{path}: action paths {templates.key} version {templates.version} are already "
                "loaded with different content; give the changed file a new version"
            )
        return "unchanged"
    db.session.add(
        ActionPathTemplateVersion(key=templates.key, version=templates.version, source_yaml=text)
    )
    db.session.flush()
    return "added"


def active_templates() -> tuple[ActionPathTemplateVersion, rules.Templates]:
    row = db.session.scalar(
        sa.select(ActionPathTemplateVersion)
        .order_by(
            ActionPathTemplateVersion.loaded_at.desc(), ActionPathTemplateVersion.version.desc()
        )
        .limit(1)
    )
    if row is None:
        raise CatalogueError("no action-path templates are loaded; run `flask load-catalogue`")
    key = (row.id, row.key, row.version, row.loaded_at)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = rules.load_templates(yaml.safe_load(row.source_yaml))
    return row, _TEMPLATES[key]


def templates_for(path: ActionPath) -> rules.Templates:
    row = db.session.scalar(
        sa.select(ActionPathTemplateVersion).where(
            ActionPathTemplateVersion.key == path.template_key,
            ActionPathTemplateVersion.version == path.template_version,
        )
    )
    key = (row.id, row.key, row.version, row.loaded_at)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = rules.load_templates(yaml.safe_load(row.source_yaml))
    return _TEMPLATES[key]


# Opening, escalating, closing -----------------------------------------------------------------


def open_path_for(child_id: int) -> ActionPath | None:
    return db.session.scalar(
        sa.select(ActionPath).where(
            ActionPath.child_id == child_id, ActionPath.status == PathStatus.OPEN
        )
    )


def _add_steps(path: ActionPath, planned) -> None:
    for p in planned:
        t = p.template
        path.steps.append(
            ActionStep(
                key=t.key,
                kind=StepKind(t.kind),
                title_da=t.title_da,
                title_en=t.title_en,
                responsible_role=t.responsible,
                required=t.required,
                repeat_weeks=t.repeat_weeks,
                due_on=p.due_on,
            )
        )


def apply_agreed_position(joint: JointAssessment, by: User) -> tuple[str, ActionPath | None]:
    """Open, escalate, keep or prepare to close the child's path after a joint assessment.
    Returns the action taken and the path."""
    path = open_path_for(joint.child_id)
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
        path = ActionPath(
            child_id=joint.child_id,
            position=PositionValue(decision.position),
            opened_on=agreed_on,
            coordinator=by,
            escalation_level=decision.escalation_level,
            template_key=row.key,
            template_version=row.version,
            opened_by_joint_id=joint.id,
        )
        db.session.add(path)
        _add_steps(path, decision.new_steps)
    elif decision.action == "escalate":
        path.position = PositionValue(decision.position)
        path.escalation_level = max(path.escalation_level, decision.escalation_level)
        path.may_close = False
        _add_steps(path, decision.new_steps)
    elif decision.action == "keep":
        path.may_close = False
    elif decision.action == "prepare_close":
        path.may_close = True
        _add_steps(path, decision.new_steps)
    db.session.flush()
    return decision.action, path


def complete_step(step: ActionStep, by: User, on: date, note: str = "") -> ActionStep | None:
    """Mark a step done. A repeating follow-up schedules its next occurrence (returned).
    The notify step is done only through `record_notify_decision`."""
    if step.done:
        raise PathError("already_done")
    if step.kind == StepKind.NOTIFY and not _notify_decision(step):
        raise PathError("notify_decision_required")
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


def _notify_decision(step: ActionStep) -> NotifyDecision | None:
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
) -> NotifyDecision:
    """Record the assessment of the duty to notify. People decide; the product records."""
    if step.kind != StepKind.NOTIFY:
        raise PathError("not_a_notify_step")
    if not reasoning.strip():
        raise PathError("reasoning_required")
    value = NotifyDecisionValue(decision)
    if value == NotifyDecisionValue.NOTIFY and (sent_on is None) != (sent_by is None):
        raise PathError("sent_needs_date_and_signer")
    if value == NotifyDecisionValue.NO_NOTIFY and sent_on is not None:
        raise PathError("sent_without_notify")
    row = _notify_decision(step) or NotifyDecision(step_id=step.id, path_id=step.path_id)
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


def can_close(path: ActionPath) -> bool:
    """A path closes after the position became green and every required step is done."""
    return path.is_open and path.may_close and all(s.done for s in path.steps if s.required)


def close_path(path: ActionPath, by: User, on: date, note: str) -> None:
    if not can_close(path):
        raise PathError("cannot_close")
    path.status = PathStatus.CLOSED
    path.closed_on = on
    path.closed_by_id = by.id
    path.close_note = note.strip()
    db.session.flush()


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
) -> ActionPlan:
    plan = db.session.scalar(sa.select(ActionPlan).where(ActionPlan.path_id == path.id))
    if plan is None:
        plan = ActionPlan(path_id=path.id, created_by_id=by.id, evaluation_on=evaluation_on)
        db.session.add(plan)
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
        raise PathError("not_custody_holder")
    if not recipients or not information_kinds or not purpose.strip():
        raise PathError("consent_incomplete")
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
        raise PathError("already_withdrawn")
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
    consent is recorded. Raises PathError("no_consent_or_legal_basis")."""
    consent = covering_consent(meeting.path.child_id, profession, on)
    if consent is None and not legal_basis.strip():
        raise PathError("no_consent_or_legal_basis")
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
    participant = MeetingParticipant(
        kind=ParticipantKind.GUARDIAN,
        guardian_id=guardian.id,
        name=guardian.name,
        email=guardian.email,
    )
    meeting.participants.append(participant)
    db.session.flush()
    return participant


def invite_staff(meeting: Meeting, user: User) -> MeetingParticipant:
    participant = MeetingParticipant(
        kind=ParticipantKind.STAFF, user_id=user.id, name=user.name, email=user.email
    )
    meeting.participants.append(participant)
    db.session.flush()
    return participant


# Momentum ------------------------------------------------------------------------------------


@dataclass
class Momentum:
    steps: list[ActionStep]  # open steps, overdue first, then by due date
    overdue_by_institution: dict[str, int]
    stalled: list[tuple[ActionPath, int]]  # (path, days since opened) without progress


def momentum(
    institution_ids: list[int] | None, today: date, stalled_after_days: int = 150
) -> Momentum:
    """Open steps of open paths for children currently in the given institutions (None:
    all), overdue first; overdue counts per institution; and paths open for more than
    `stalled_after_days` (about five months) with no follow-up recording progress."""
    current = (
        sa.select(GroupMembership.child_id, Group.institution_id)
        .join(Group, Group.id == GroupMembership.group_id)
        .where(GroupMembership.end_date.is_(None))
    )
    if institution_ids is not None:
        current = current.where(Group.institution_id.in_(institution_ids))
    current = current.subquery()
    steps = list(
        db.session.scalars(
            sa.select(ActionStep)
            .join(ActionPath, ActionPath.id == ActionStep.path_id)
            .join(current, current.c.child_id == ActionPath.child_id)
            .where(ActionPath.status == PathStatus.OPEN, ActionStep.done_on.is_(None))
            .options(
                selectinload(ActionStep.path)
                .selectinload(ActionPath.child)
                .selectinload(Child.memberships)
                .selectinload(GroupMembership.group)
                .selectinload(Group.institution)
            )
            .order_by(ActionStep.due_on, ActionStep.id)
        )
    )
    overdue: dict[str, int] = {}
    for s in steps:
        if s.overdue(today):
            group = s.path.child.current_group
            name = group.institution.name if group else "-"
            overdue[name] = overdue.get(name, 0) + 1
    better = sa.select(FollowUp.path_id).where(
        FollowUp.progress == Progress.BETTER,
        FollowUp.held_on >= today - timedelta(days=stalled_after_days),
    )
    stalled_paths = db.session.scalars(
        sa.select(ActionPath)
        .join(current, current.c.child_id == ActionPath.child_id)
        .where(
            ActionPath.status == PathStatus.OPEN,
            ActionPath.opened_on <= today - timedelta(days=stalled_after_days),
            ActionPath.id.not_in(better),
        )
        .options(selectinload(ActionPath.child))
        .order_by(ActionPath.opened_on)
    )
    return Momentum(
        steps=sorted(steps, key=lambda s: (not s.overdue(today), s.due_on, s.id)),
        overdue_by_institution=dict(sorted(overdue.items())),
        stalled=[(p, (today - p.opened_on).days) for p in stalled_paths],
    )
