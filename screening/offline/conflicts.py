"""Sync conflicts: a device's version that disagreed with the server's, kept with both
versions until a person resolves it (flush, never commit). Who may see and resolve one is
the policy's question (`Action.VIEW_CONFLICT`, `RESOLVE_CONFLICT`, `OVERSEE_CONFLICTS`)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from screening.accounts.models import User
from screening.assessments import individual, observations
from screening.assessments.models import Assessment, ChildObservation, ObservationSourceValue
from screening.children.models import Child, GroupMembership
from screening.core import audit
from screening.core.db import utcnow
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.core.policy import Action, may_list_conflict, visible_institution_ids
from screening.core.time import local_today
from screening.offline.models import (
    ConflictReason,
    ConflictResolution,
    ConflictStatus,
    SyncConflict,
    SyncKind,
    SyncOutcome,
    SyncReceipt,
)
from screening.offline.parsing import (
    Invalid,
    Item,
    assessment_snapshot,
    item_result,
    observation_snapshot,
    parse_assessment,
    parse_observation,
)
from screening.org.models import Group
from screening.rounds.models import RoundStatus, ScreeningRound


def _snapshot(kind: SyncKind, object_id: int | None) -> tuple[dict[str, Any] | None, int | None]:
    """The server's version of an object, and its version number (assessments only)."""
    if object_id is None:
        return None, None
    if kind == SyncKind.ASSESSMENT:
        a = db.session.get(Assessment, object_id)
        return (assessment_snapshot(a), a.version) if a is not None else (None, None)
    o = db.session.get(ChildObservation, object_id)
    return (observation_snapshot(o), None) if o is not None else (None, None)


def new_conflict(
    user: User,
    item: Item,
    receipt: SyncReceipt | None,
    child_id: int,
    server_object: Assessment | ChildObservation | None,
    reason: ConflictReason,
) -> dict[str, Any]:
    """Keep the device's version and the server's, change nothing else."""
    object_id = server_object.id if server_object is not None else None
    snapshot, server_version = _snapshot(item.kind, object_id)
    conflict = SyncConflict(
        client_id=item.client_id,
        user_id=user.id,
        kind=item.kind,
        reason=reason,
        child_id=child_id,
        object_id=object_id,
        base_version=item.base_version,
        server_version=server_version,
        payload=item.payload,
        payload_hash=item.hash,
        server_snapshot=snapshot,
        status=ConflictStatus.OPEN,
    )
    db.session.add(conflict)
    if receipt is not None:
        receipt.outcome = SyncOutcome.CONFLICT
        receipt.object_id = object_id
    db.session.flush()
    audit.record(
        "sync.conflict",
        "sync_conflict",
        conflict.id,
        child_id=child_id,
        kind=item.kind.value,
        reason=reason.value,
    )
    return conflict_result(item.raw_id, conflict)


def conflict_result(item_id: Any, conflict: SyncConflict) -> dict[str, Any]:
    return item_result(
        item_id,
        "conflict",
        reason=conflict.reason.value,
        conflict_id=conflict.id,
        object_id=conflict.object_id,
        server_version=conflict.server_version,
    )


def conflict_for(item: Item) -> SyncConflict | None:
    return db.session.scalar(
        sa.select(SyncConflict).where(
            SyncConflict.client_id == item.client_id, SyncConflict.payload_hash == item.hash
        )
    )


def open_conflicts(user: User) -> list[SyncConflict]:
    """Open conflicts in the user's list: their own, and those of children in institutions
    they oversee (`policy.may_list_conflict`)."""
    led = visible_institution_ids(user, Action.OVERSEE_CONFLICTS) or []
    stmt = (
        sa.select(SyncConflict)
        .where(SyncConflict.status == ConflictStatus.OPEN)
        .options(selectinload(SyncConflict.user), selectinload(SyncConflict.child))
        .order_by(SyncConflict.created_at, SyncConflict.id)
    )
    if led:
        in_led = sa.exists().where(
            GroupMembership.child_id == SyncConflict.child_id,
            GroupMembership.end_date.is_(None),
            GroupMembership.group_id == Group.id,
            Group.institution_id.in_(led),
        )
        stmt = stmt.where(sa.or_(SyncConflict.user_id == user.id, in_led))
    else:
        stmt = stmt.where(SyncConflict.user_id == user.id)
    return [c for c in db.session.scalars(stmt) if may_list_conflict(user, c)]


def resolve_conflict(
    conflict: SyncConflict, user: User, keep: str, *, today: date | None = None
) -> None:
    """ "device": apply the device's version (as a new version of the object); "server":
    keep the server's. Both mark the conflict resolved by `user`.

    Raises DomainError("already_resolved") or, for an assessment that can no longer take
    the device's version, DomainError (e.g. "not_draft", "missing_ratings"),
    without changing anything.
    """
    if conflict.status != ConflictStatus.OPEN:
        raise DomainError("already_resolved")
    resolution = ConflictResolution(keep)
    today = today or local_today()
    object_id = conflict.object_id
    if resolution == ConflictResolution.DEVICE:
        savepoint = db.session.begin_nested()  # all of the device's version, or nothing
        try:
            if conflict.kind == SyncKind.ASSESSMENT:
                object_id = _apply_device_assessment(conflict, today)
            else:
                object_id = _apply_device_observation(conflict, today)
        except Invalid as exc:
            savepoint.rollback()
            raise DomainError(exc.reason, fallback="device_version_invalid") from None
        except DomainError as exc:
            savepoint.rollback()
            exc.fallback = exc.fallback or "device_version_invalid"
            raise
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
    conflict.status = ConflictStatus.RESOLVED
    conflict.resolution = resolution
    conflict.resolved_by_id = user.id
    conflict.resolved_at = utcnow()
    db.session.flush()
    audit.record(
        "sync.conflict.resolve",
        "sync_conflict",
        conflict.id,
        child_id=conflict.child_id,
        keep=resolution.value,
        target_id=object_id,
    )


def _apply_device_assessment(conflict: SyncConflict, today: date) -> int:
    """The device's version becomes the assessor's assessment, as a new version."""
    p = parse_assessment(conflict.payload)
    assessor = conflict.user
    round_ = db.session.get(ScreeningRound, p.round_id)
    child = db.session.get(Child, p.child_id)
    if round_ is None or child is None:
        raise DomainError("conflict_target_gone")
    own = individual.own_assessment(round_.id, child.id, assessor.id)
    if own is None:
        instrument = individual.instrument_for_child(round_, child)
        if instrument is None:
            raise DomainError("conflict_not_covered")
        if round_.status != RoundStatus.OPEN:
            raise DomainError("round_not_open")
        context = individual.context_for(assessor, instrument)
        own = individual.start(round_, child, assessor, instrument, context)
    individual.save(own, p.data, submit=p.submit, today=today)
    audit.record(
        "assessment.submit" if p.submit else "assessment.save_draft",
        "assessment",
        own.id,
        child_id=child.id,
        via="sync_conflict",
    )
    return own.id


def _apply_device_observation(conflict: SyncConflict, today: date) -> int:
    """The device's version replaces the stored observation (or is added, if that is gone)."""
    p = parse_observation(conflict.payload, today)
    obs = db.session.get(ChildObservation, conflict.object_id) if conflict.object_id else None
    if obs is None or obs.child_id != p.child_id:
        child = db.session.get(Child, p.child_id)
        if child is None:
            raise DomainError("conflict_target_gone")
        obs = observations.add_observation(
            child,
            conflict.user,
            source=p.source,
            category=p.category,
            level=p.level,
            observed_on=p.observed_on,
            note=p.note,
        )
        action = "observation.add"
    else:
        obs.source = ObservationSourceValue(p.source)
        obs.category = p.category
        obs.level = p.level
        obs.observed_on = p.observed_on
        obs.note = p.note.strip()
        action = "observation.edit"
    db.session.flush()
    audit.record(action, "observation", obs.id, child_id=obs.child_id, via="sync_conflict")
    return obs.id
