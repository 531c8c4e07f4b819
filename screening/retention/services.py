"""Retention and erasure.

The municipality's policy (`Municipality`): a child's data is erased `retention_years`
after the child left the last institution (the child's `left_on`, else the end of the last
group membership, and only when no membership is open); optionally, a child who left and
never had an action path is erased `retention_unconcerned_months` after the last
assessment (or after leaving, without one). Audit events are deleted
`audit_retention_years` after they were written (the database refuses any other delete).

`erase_children` removes children and everything about them in the current transaction
(the caller commits: a crash half-way erases nothing of any child in it) and records one
audit event with no personal data per child. The children's rows are locked first
(PostgreSQL: `FOR UPDATE SKIP LOCKED`), so two consumers never erase the same child twice:
the second finds it locked or gone and leaves it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult

from screening.assessments.models import Assessment, ChildObservation, JointAssessment
from screening.children.models import Child, ChildGuardian, GroupMembership, Guardian
from screening.core import audit
from screening.core.db import utcnow
from screening.core.extensions import db
from screening.core.models import AuditEvent
from screening.core.time import LOCAL_TZ
from screening.documents.models import ReportJob
from screening.offline.models import SyncConflict, SyncKind, SyncReceipt
from screening.org.models import Group, Municipality
from screening.paths.models import (
    ActionPath,
    ActionPlan,
    ActionPlanItem,
    ActionStep,
    Consent,
    FollowUp,
    Meeting,
    MeetingParticipant,
    NotifyDecision,
    action_plan_offer,
)

log = logging.getLogger(__name__)

LEFT = "left"  # N years after leaving
UNCONCERNED = "unconcerned"  # N months after the last assessment, never an action path
MANUAL = "manual"  # `flask erase-child`


@dataclass(frozen=True)
class Policy:
    retention_years: int = 5
    unconcerned_months: int | None = None
    audit_years: int = 10


@dataclass(frozen=True)
class Due:
    """A child the next run erases: by which rule, and its last institution."""

    child_id: int
    institution_id: int | None
    rule: str


def policy() -> Policy:
    muni = db.session.scalar(sa.select(Municipality).limit(1))
    if muni is None:
        return Policy()
    return Policy(
        muni.retention_years, muni.retention_unconcerned_months, muni.audit_retention_years
    )


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def due_for_erasure(today: date, pol: Policy | None = None) -> list[Due]:
    """Every child the policy erases on `today`, in id order."""
    pol = pol or policy()
    open_membership = (
        sa.select(GroupMembership.id)
        .where(GroupMembership.child_id == Child.id, GroupMembership.end_date.is_(None))
        .exists()
    )
    last_end = (
        sa.select(sa.func.max(GroupMembership.end_date))
        .where(GroupMembership.child_id == Child.id)
        .scalar_subquery()
    )
    left = sa.func.coalesce(Child.left_on, last_end)
    last_institution = (
        sa.select(Group.institution_id)
        .join(GroupMembership, GroupMembership.group_id == Group.id)
        .where(GroupMembership.child_id == Child.id)
        .order_by(GroupMembership.end_date.desc(), GroupMembership.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    by_left = left <= years_before(today, pol.retention_years)
    rule: sa.ColumnElement[Any] = sa.case((by_left, sa.literal(LEFT)), else_=sa.null())
    where = by_left
    if pol.unconcerned_months is not None:
        cutoff = months_before(today, pol.unconcerned_months)
        last_assessed = (
            sa.select(sa.func.max(sa.func.coalesce(Assessment.submitted_at, Assessment.updated_at)))
            .where(Assessment.child_id == Child.id)
            .scalar_subquery()
        )
        never_path = ~sa.select(ActionPath.id).where(ActionPath.child_id == Child.id).exists()
        unconcerned = sa.and_(
            never_path,
            left <= cutoff,
            sa.or_(last_assessed.is_(None), last_assessed < _start_of(cutoff)),
        )
        rule = sa.case((by_left, sa.literal(LEFT)), (unconcerned, sa.literal(UNCONCERNED)))
        where = sa.or_(by_left, unconcerned)
    rows = db.session.execute(
        sa.select(Child.id, last_institution, rule)
        .where(~open_membership, left.is_not(None), where)
        .order_by(Child.id)
    ).all()
    return [Due(child_id, inst, r) for child_id, inst, r in rows]


def _ids(stmt: sa.Select[Any]) -> list[int]:
    return list(db.session.scalars(stmt))


def _delete(stmt: sa.Delete) -> int:
    # Core-level: nothing in the session needs updating (the task holds no such objects).
    result = db.session.execute(stmt, execution_options={"synchronize_session": False})
    return cast(CursorResult[Any], result).rowcount or 0


def erase_child(child_id: int, rule: str, pol: Policy | None = None) -> bool:
    """Erase one child and everything about it (flushes; the caller commits). False when
    the child is gone, or being erased by another consumer right now."""
    return bool(erase_children({child_id: rule}, pol))


def erase_children(rules: dict[int, str], pol: Policy | None = None) -> list[int]:
    """Erase the children (id -> rule) and everything about them, set-based in the current
    transaction (flushes; the caller commits: each child goes wholly or not at all). Only
    the children this call could lock are erased; their ids are returned."""
    pol = pol or policy()
    if db.session.get_bind().dialect.name == "postgresql":
        # No wait for the disk at commit: a crash may lose the last erasures (the next run
        # does them again), never half of one.
        db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
    kids = _ids(
        sa.select(Child.id)
        .where(Child.id.in_(sorted(rules)))
        .order_by(Child.id)
        .with_for_update(skip_locked=True)
    )
    if not kids:
        return []
    paths = _ids(sa.select(ActionPath.id).where(ActionPath.child_id.in_(kids)))
    meetings = _ids(sa.select(Meeting.id).where(Meeting.path_id.in_(paths)))
    plans = _ids(sa.select(ActionPlan.id).where(ActionPlan.path_id.in_(paths)))
    assessments = _ids(sa.select(Assessment.id).where(Assessment.child_id.in_(kids)))
    observations = _ids(sa.select(ChildObservation.id).where(ChildObservation.child_id.in_(kids)))
    guardians = _ids(
        sa.select(ChildGuardian.guardian_id).where(ChildGuardian.child_id.in_(kids)).distinct()
    )
    institutions = _ids(
        sa.select(Group.institution_id)
        .join(GroupMembership, GroupMembership.group_id == Group.id)
        .where(GroupMembership.child_id.in_(kids))
        .distinct()
    )

    if assessments or observations:
        _delete(
            sa.delete(SyncReceipt).where(
                sa.or_(
                    sa.and_(
                        SyncReceipt.kind == SyncKind.ASSESSMENT,
                        SyncReceipt.object_id.in_(assessments),
                    ),
                    sa.and_(
                        SyncReceipt.kind == SyncKind.OBSERVATION,
                        SyncReceipt.object_id.in_(observations),
                    ),
                )
            )
        )
    _delete(sa.delete(SyncConflict).where(SyncConflict.child_id.in_(kids)))
    # Combined PDFs that hold a child: its meetings' invitations, and its institutions'
    # plans while their PDF is still kept.
    _delete(
        sa.delete(ReportJob).where(
            sa.or_(
                sa.and_(
                    ReportJob.kind == "meeting_invitations",
                    ReportJob.params["meeting_id"].as_integer().in_(meetings),
                ),
                sa.and_(
                    ReportJob.kind == "round_plans",
                    ReportJob.pdf.is_not(None),
                    ReportJob.params["institution_id"].as_integer().in_(institutions),
                ),
            )
        )
    )
    if meetings:
        _delete(sa.delete(MeetingParticipant).where(MeetingParticipant.meeting_id.in_(meetings)))
        _delete(sa.delete(Meeting).where(Meeting.id.in_(meetings)))
    if plans:
        _delete(sa.delete(action_plan_offer).where(action_plan_offer.c.plan_id.in_(plans)))
        _delete(sa.delete(ActionPlanItem).where(ActionPlanItem.plan_id.in_(plans)))
        _delete(sa.delete(ActionPlan).where(ActionPlan.id.in_(plans)))
    if paths:
        _delete(sa.delete(FollowUp).where(FollowUp.path_id.in_(paths)))
        _delete(sa.delete(NotifyDecision).where(NotifyDecision.path_id.in_(paths)))
        _delete(sa.delete(ActionStep).where(ActionStep.path_id.in_(paths)))
        _delete(sa.delete(ActionPath).where(ActionPath.id.in_(paths)))
    _delete(sa.delete(Consent).where(Consent.child_id.in_(kids)))
    _delete(sa.delete(JointAssessment).where(JointAssessment.child_id.in_(kids)))
    _delete(sa.delete(Assessment).where(Assessment.child_id.in_(kids)))
    _delete(sa.delete(ChildObservation).where(ChildObservation.child_id.in_(kids)))
    _delete(sa.delete(GroupMembership).where(GroupMembership.child_id.in_(kids)))
    _delete(sa.delete(ChildGuardian).where(ChildGuardian.child_id.in_(kids)))
    # Guardians linked to no other child (nor named in another child's meeting or consent).
    if guardians:
        _delete(
            sa.delete(Guardian).where(
                Guardian.id.in_(guardians),
                ~sa.select(ChildGuardian.id)
                .where(ChildGuardian.guardian_id == Guardian.id)
                .exists(),
                ~sa.select(MeetingParticipant.id)
                .where(MeetingParticipant.guardian_id == Guardian.id)
                .exists(),
                ~sa.select(Consent.id).where(Consent.guardian_id == Guardian.id).exists(),
            )
        )
    if _delete(sa.delete(Child).where(Child.id.in_(kids))) != len(kids):
        raise RuntimeError("child rows vanished while locked")
    for kid in kids:
        audit.record("child.erased", "child", None, **_details(rules[kid], pol))
    db.session.flush()
    return kids


def _details(rule: str, pol: Policy) -> dict[str, Any]:
    """Non-personal: the rule and its period, and a sentence for people ("1 barn slettet
    efter 5 års opbevaring")."""
    if rule == LEFT:
        text = f"1 barn slettet efter {pol.retention_years} års opbevaring"
        return {"count": 1, "rule": rule, "years": pol.retention_years, "text": text}
    if rule == UNCONCERNED:
        months = pol.unconcerned_months
        text = f"1 barn slettet {months} måneder efter sidste vurdering (ingen handlevej)"
        return {"count": 1, "rule": rule, "months": months, "text": text}
    return {"count": 1, "rule": rule, "text": "1 barn slettet på anmodning"}


def prune_audit(now: datetime | None = None, pol: Policy | None = None) -> int:
    """Delete audit events past the audit retention (the only delete the trail allows)."""
    pol = pol or policy()
    now = now or utcnow()
    cutoff = _start_of(years_before(now.astimezone(LOCAL_TZ).date(), pol.audit_years))
    # A day's margin: the database's own guard counts from its clock, to the second.
    cutoff -= timedelta(days=1)
    return _delete(sa.delete(AuditEvent).where(AuditEvent.occurred_at < cutoff))


def preview(due: Sequence[Due]) -> dict[int | None, list[Due]]:
    """The next run's children by last institution."""
    out: dict[int | None, list[Due]] = {}
    for item in due:
        out.setdefault(item.institution_id, []).append(item)
    return out
