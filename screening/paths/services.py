"""Action paths in the database: opening, escalating and closing from agreed positions,
the steps and the notify decision (Barnets lov § 133). Action plans, follow-ups and the
offer catalogue are in `plans`; consents and meetings in `meetings`; the overview of
deadlines and progress in `overview`; the steps that records complete, in `books`. Rules
come from `screening.paths.rules` (pure); these modules flush, the request commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from screening.accounts.models import Role, User, UserRole, user_institution
from screening.assessments.models import JointAssessment
from screening.catalogue.services import active_templates, templates_for
from screening.children.models import Child
from screening.classifier import Position
from screening.core.db import locked, savepoint
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.paths import rules as rules
from screening.paths.models import (
    ActionPath,
    ActionStep,
    FollowUp,
    Meeting,
    NotifyDecision,
    NotifyDecisionValue,
    PathStatus,
    StepKind,
)

# Opening, escalating, closing -----------------------------------------------------------------


_OPEN_PATH_FOR = sa.select(ActionPath).where(
    ActionPath.child_id == sa.bindparam("child_id"), ActionPath.status == PathStatus.OPEN
)


def open_path_for(child_id: int) -> ActionPath | None:
    found: ActionPath | None = db.session.scalar(_OPEN_PATH_FOR, {"child_id": child_id})
    return found


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
