"""Offline tablets: the offline pack, per-user data keys, applying synced batches and
resolving conflicts.

Exactly once: every item carries an id made on the device. Each item is applied in its own
savepoint, and the first thing written is its receipt, whose unique constraint on that id
is what stops a second copy (a retry after a lost answer, the same outbox in two tabs, two
requests racing). When the insert fails, the stored receipt decides: the same content is
"already_stored"; other content is a conflict, kept with both versions for a person to
resolve. An edit based on an older server version, or of an assessment submitted meanwhile,
is a conflict too; nothing is overwritten silently.

State changes flush and never commit. Nothing here reads the request.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from forms.assessment import TEXT_MAX
from screening import audit
from screening.classifier import load_observation_categories
from screening.extensions import db
from screening.models import (
    Assessment,
    AssessmentContext,
    AssessmentStatus,
    AuditEvent,
    Child,
    ChildObservation,
    ConflictReason,
    ConflictResolution,
    ConflictStatus,
    DeviceKey,
    Group,
    GroupMembership,
    Institution,
    InstrumentVersion,
    Outcome,
    Role,
    RoundStatus,
    ScreeningRound,
    SyncConflict,
    SyncKind,
    SyncOutcome,
    SyncReceipt,
    User,
    VulnerabilityValue,
    utcnow,
)
from screening.policy import (
    Action,
    can,
    may_assess_with,
    visible_institution_ids,
    writable_observation_sources,
)
from screening.services import assessments as svc
from screening.services.catalogue import compiled_instrument, instrument_for

MAX_BATCH = 500
DEFAULT_PACK_DAYS = 14

# Who oversees other users' conflicts: the leader of the child's institution (the policy
# grants DELEGATE_JOINT to leaders only). They see them listed; they may open and resolve
# observation conflicts, never another person's assessment (nobody reads another's draft).
OVERSEE = Action.DELEGATE_JOINT

ASSESSMENT_FIELDS = frozenset(
    {
        "round_id",
        "child_id",
        "answers",
        "resources",
        "concerns",
        "justification",
        "vulnerability",
        "submit",
    }
)
OBSERVATION_FIELDS = frozenset({"child_id", "source", "category", "level", "observed_on", "note"})


class Invalid(ValueError):
    """An item cannot be applied; `reason` says why, in English."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ConflictError(ValueError):
    """A conflict cannot be resolved; `code` says why (English)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class _Retry(Exception):
    """Another request changed the same rows meanwhile: apply the item again."""


# Hashing -------------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, no NaN: the same content always gives the same text."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def payload_hash(kind: str, payload: dict) -> str:
    text = canonical_json({"kind": kind, "payload": payload})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Items ---------------------------------------------------------------------------------------


@dataclass
class Item:
    raw_id: Any
    client_id: str
    kind: SyncKind
    base_version: int | None
    payload: dict
    hash: str
    # The id of the item this edit was made on top of, when the device has not yet heard
    # which version that item produced (e.g. its answer was lost).
    base_id: str | None = None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_item(raw: Any) -> Item:
    """Check an item's shape (not its content)."""
    if not isinstance(raw, dict):
        raise Invalid("malformed item: not an object")
    unknown = set(raw) - {"id", "kind", "base_version", "base_id", "payload"}
    if unknown:
        raise Invalid(f"malformed item: unknown field {sorted(unknown)[0]!r}")
    raw_id = raw.get("id")
    client_id = _uuid(raw_id, "id")
    base_id = _uuid(raw["base_id"], "base_id") if raw.get("base_id") is not None else None
    kind = raw.get("kind")
    if kind not in {k.value for k in SyncKind}:
        raise Invalid("malformed item: kind must be 'assessment' or 'observation'")
    base_version = raw.get("base_version")
    if base_version is not None and not (_is_int(base_version) and base_version >= 0):
        raise Invalid("malformed item: base_version must be a whole number or null")
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        raise Invalid("malformed item: payload must be an object")
    try:
        digest = payload_hash(kind, payload)
    except ValueError:
        raise Invalid("malformed item: payload contains a number JSON cannot hold") from None
    return Item(raw_id, client_id, SyncKind(kind), base_version, payload, digest, base_id)


def _uuid(value: Any, name: str) -> str:
    try:
        if not isinstance(value, str) or len(value) != 36:
            raise ValueError
        return str(uuid.UUID(value))
    except ValueError:
        raise Invalid(f"malformed item: {name} must be a UUID (36 characters)") from None


def _text(payload: dict, name: str) -> str:
    value = payload.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"malformed payload: {name} must be a string")
    if len(value) > TEXT_MAX:
        raise Invalid(f"{name} is too long (at most {TEXT_MAX} characters)")
    return value


def _int(payload: dict, name: str) -> int:
    value = payload.get(name)
    if not _is_int(value):
        raise Invalid(f"malformed payload: {name} must be a whole number")
    return value


def _unknown_fields(payload: dict, allowed: frozenset[str]) -> None:
    unknown = set(payload) - allowed
    if unknown:
        raise Invalid(f"malformed payload: unknown field {sorted(unknown)[0]!r}")


@dataclass
class AssessmentPayload:
    round_id: int
    child_id: int
    data: svc.AssessmentInput
    submit: bool


def parse_assessment(payload: dict) -> AssessmentPayload:
    _unknown_fields(payload, ASSESSMENT_FIELDS)
    round_id = _int(payload, "round_id")
    child_id = _int(payload, "child_id")
    answers = payload.get("answers", {})
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise Invalid("malformed payload: answers must be an object")
    vulnerability = payload.get("vulnerability") or None
    if vulnerability is not None and vulnerability not in {v.value for v in VulnerabilityValue}:
        raise Invalid("malformed payload: vulnerability must be 'not', 'potentially' or 'clearly'")
    submit = payload.get("submit", False)
    if not isinstance(submit, bool):
        raise Invalid("malformed payload: submit must be true or false")
    data = svc.AssessmentInput(
        answers=answers,
        resources=_text(payload, "resources"),
        concerns=_text(payload, "concerns"),
        justification=_text(payload, "justification"),
        vulnerability=vulnerability,
    )
    return AssessmentPayload(round_id, child_id, data, submit)


@dataclass
class ObservationPayload:
    child_id: int
    source: str
    category: str
    level: int
    observed_on: date
    note: str


def parse_observation(payload: dict, today: date) -> ObservationPayload:
    _unknown_fields(payload, OBSERVATION_FIELDS)
    child_id = _int(payload, "child_id")
    source, category = payload.get("source"), payload.get("category")
    if not isinstance(source, str) or not isinstance(category, str):
        raise Invalid("malformed payload: source and category must be strings")
    level = payload.get("level")
    if not _is_int(level) or level not in (1, 2, 3):
        raise Invalid("level must be 1, 2 or 3")
    observed = payload.get("observed_on")
    try:
        if not isinstance(observed, str) or len(observed) != 10:
            raise ValueError
        observed_on = date.fromisoformat(observed)
    except ValueError:
        raise Invalid("observed_on must be a date (YYYY-MM-DD)") from None
    # A day's grace: the tablet dates by its own clock and time zone (just after midnight in
    # Denmark it is still yesterday on a server running on UTC).
    if observed_on > today + timedelta(days=1):
        raise Invalid("observed_on is in the future")
    if not load_observation_categories().has(source, category):
        raise Invalid("unknown category for this source")
    return ObservationPayload(
        child_id, source, category, level, observed_on, _text(payload, "note")
    )


# Authorization ---------------------------------------------------------------------------------


def _refused(user: User, action: str, child_id: int, child: Child | None, outcome: Outcome):
    """A refused item, written to the audit trail in the request's transaction (a sync
    answers 200, so the trail's rollback-proof path for error responses does not apply)."""
    db.session.add(
        AuditEvent(
            user_id=user.id,
            action=action,
            object_type="child",
            object_id=child_id,
            child_id=child.id if child is not None else None,
            outcome=outcome,
            details={"via": "sync"},
        )
    )


def _child_for(user: User, child_id: int, action: Action, audit_action: str) -> Child:
    """The child, if the user may see it and do `action`; a child the user may not see is
    "not found", exactly like one that does not exist."""
    child = db.session.get(Child, child_id)
    if child is None or not can(user, Action.VIEW_CHILD, child):
        _refused(user, audit_action, child_id, None, Outcome.NOT_FOUND)
        raise Invalid("not found")
    if not can(user, action, child):
        _refused(user, audit_action, child_id, child, Outcome.DENIED)
        raise Invalid("forbidden")
    return child


@dataclass
class AssessmentTarget:
    payload: AssessmentPayload
    round: ScreeningRound
    child: Child
    instrument: InstrumentVersion


def check_assessment(user: User, payload: AssessmentPayload) -> AssessmentTarget:
    """The same rules as the assessment form: ASSESS on the child, a round that covers the
    child, and an instrument the user may fill in (health visitors: infants only)."""
    child = _child_for(user, payload.child_id, Action.ASSESS, "assessment.sync")
    round_ = db.session.get(ScreeningRound, payload.round_id)
    if round_ is None or round_.status == RoundStatus.PLANNED:
        raise Invalid("round not found")
    own = svc.own_assessment(round_.id, child.id, user.id)
    instrument = own.instrument if own is not None else svc.instrument_for_child(round_, child)
    if instrument is None:
        raise Invalid("the round does not cover this child")
    if not may_assess_with(user, instrument.max_months):
        _refused(user, "assessment.sync", child.id, child, Outcome.DENIED)
        raise Invalid("forbidden")
    return AssessmentTarget(payload, round_, child, instrument)


@dataclass
class ObservationTarget:
    payload: ObservationPayload
    child: Child


def check_observation(user: User, payload: ObservationPayload) -> ObservationTarget:
    """The same rules as the observation form: ADD_OBSERVATION on the child, and a source
    the user writes as (dental staff: dental only)."""
    child = _child_for(user, payload.child_id, Action.ADD_OBSERVATION, "observation.sync")
    if payload.source not in {s.value for s in writable_observation_sources(user)}:
        _refused(user, "observation.sync", child.id, child, Outcome.DENIED)
        raise Invalid("forbidden source")
    return ObservationTarget(payload, child)


# Snapshots -------------------------------------------------------------------------------------


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def assessment_snapshot(a: Assessment) -> dict:
    return {
        "id": a.id,
        "round_id": a.round_id,
        "child_id": a.child_id,
        "version": a.version,
        "status": a.status.value,
        "answers": dict(a.answers or {}),
        "resources": a.resources,
        "concerns": a.concerns,
        "justification": a.justification,
        "vulnerability": a.vulnerability.value if a.vulnerability else None,
        "updated_at": _iso(a.updated_at),
        "submitted_at": _iso(a.submitted_at),
    }


def observation_snapshot(o: ChildObservation) -> dict:
    return {
        "id": o.id,
        "child_id": o.child_id,
        "source": o.source.value,
        "category": o.category,
        "level": o.level,
        "observed_on": o.observed_on.isoformat(),
        "note": o.note,
    }


def _snapshot(kind: SyncKind, object_id: int | None) -> tuple[dict | None, int | None]:
    """The server's version of an object, and its version number (assessments only)."""
    if object_id is None:
        return None, None
    if kind == SyncKind.ASSESSMENT:
        a = db.session.get(Assessment, object_id)
        return (assessment_snapshot(a), a.version) if a is not None else (None, None)
    o = db.session.get(ChildObservation, object_id)
    return (observation_snapshot(o), None) if o is not None else (None, None)


# Applying a batch ------------------------------------------------------------------------------


def _result(item_id: Any, status: str, **extra) -> dict:
    out = {"id": item_id, "status": status}
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def apply_batch(user: User, items: list, *, today: date | None = None) -> list[dict]:
    """Apply each item in its own savepoint and answer for each, in order.

    An item: {"id": uuid made on the device, "kind": "assessment" | "observation",
    "base_version": the server version the edit started from (null: none),
    "base_id"?: the id of the item the edit was made on top of, "payload": {...}}.

    An answer: {"id", "status": "stored" | "already_stored" | "conflict" | "invalid",
    "reason"?: English, "object_id"?, "server_version"?: the assessment's version after the
    item (for "already_stored": the version the item produced), "conflict_id"?}.
    """
    today = today or date.today()
    known = _known_receipts(user, items)
    return [_apply_one(user, raw, today, known) for raw in items]


def _known_receipts(user: User, items: list) -> dict[str, SyncReceipt]:
    """Receipts already stored for the batch's ids (one query): an item received before is
    answered from its receipt before anything else is checked, so a re-send after a lost
    answer is "already_stored" (or the same conflict) even if the user's rights changed."""
    ids = set()
    for raw in items:
        if isinstance(raw, dict):
            try:
                ids.add(_uuid(raw.get("id"), "id"))
            except Invalid:
                continue  # answered as malformed by _apply_one
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(SyncReceipt).where(
            SyncReceipt.client_id.in_(ids),
            SyncReceipt.user_id == user.id,
        )
    )
    return {r.client_id: r for r in rows}


def _apply_one(user: User, raw: Any, today: date, known: dict[str, SyncReceipt]) -> dict:
    raw_id = raw.get("id") if isinstance(raw, dict) else None
    try:
        item = parse_item(raw)
        receipt = known.get(item.client_id)
        if receipt is not None and receipt.kind == item.kind and receipt.payload_hash == item.hash:
            if receipt.outcome == SyncOutcome.CONFLICT:
                kept = _conflict_for(item)
                if kept is not None:
                    return _conflict_result(item.raw_id, kept)
            else:
                return _result(
                    item.raw_id,
                    "already_stored",
                    object_id=receipt.object_id,
                    server_version=receipt.result_version,
                )
        if item.kind == SyncKind.ASSESSMENT:
            target = check_assessment(user, parse_assessment(item.payload))
        else:
            target = check_observation(user, parse_observation(item.payload, today))
    except Invalid as exc:
        return _result(raw_id, "invalid", reason=exc.reason)
    for attempt in range(2):
        try:
            return _apply_checked(user, item, target, today)
        except _Retry:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _apply_checked(user: User, item: Item, target, today: date) -> dict:
    savepoint = db.session.begin_nested()
    receipt = SyncReceipt(
        client_id=item.client_id,
        user_id=user.id,
        kind=item.kind,
        payload_hash=item.hash,
        outcome=SyncOutcome.STORED,
    )
    try:
        db.session.add(receipt)
        db.session.flush()
    except IntegrityError:
        # The id was received before (or is being received right now by another request).
        savepoint.rollback()
        return _received_before(user, item, target)
    try:
        if item.kind == SyncKind.ASSESSMENT:
            result = _apply_assessment(user, item, target, receipt, today)
        else:
            result = _apply_observation(user, item, target, receipt)
    except Invalid as exc:
        savepoint.rollback()
        return _result(item.raw_id, "invalid", reason=exc.reason)
    except svc.AssessmentError as exc:
        savepoint.rollback()
        return _result(item.raw_id, "invalid", reason=exc.code)
    except IntegrityError:
        # E.g. the same assessment created by a concurrent request under another id.
        savepoint.rollback()
        raise _Retry from None
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return result


def _context_for(user: User, instrument: InstrumentVersion) -> AssessmentContext:
    """Like the form: a health visitor's infant assessment is a home visit."""
    if instrument.max_months <= 12 and not user.has_role(Role.EDUCATOR, Role.LEADER):
        return AssessmentContext.HOME_VISIT
    return AssessmentContext.DAYCARE


def _apply_assessment(
    user: User, item: Item, target: AssessmentTarget, receipt: SyncReceipt, today: date
) -> dict:
    p = target.payload
    if target.round.status != RoundStatus.OPEN:
        raise svc.AssessmentError("round_not_open")
    own = svc.own_assessment(target.round.id, target.child.id, user.id)
    if own is not None:
        if own.status == AssessmentStatus.SUBMITTED:
            return _new_conflict(
                user, item, receipt, target.child.id, own, ConflictReason.ALREADY_SUBMITTED
            )
        if item.base_version != own.version and not _follows(user, item, own):
            return _new_conflict(
                user, item, receipt, target.child.id, own, ConflictReason.CHANGED_ON_SERVER
            )
    assessment = own or svc.start(
        target.round, target.child, user, target.instrument, _context_for(user, target.instrument)
    )
    svc.save(assessment, p.data, submit=p.submit, today=today)
    receipt.object_id = assessment.id
    receipt.result_version = assessment.version
    db.session.flush()
    audit.record(
        "assessment.submit" if p.submit else "assessment.save_draft",
        "assessment",
        assessment.id,
        child_id=target.child.id,
        via="sync",
    )
    return _result(
        item.raw_id, "stored", object_id=assessment.id, server_version=assessment.version
    )


def _follows(user: User, item: Item, own: Assessment) -> bool:
    """Was the edit made on top of one of the user's items that produced exactly the
    assessment's current version? Then nothing changed on the server since."""
    if item.base_id is None:
        return False
    base = db.session.scalar(
        sa.select(SyncReceipt).where(
            SyncReceipt.client_id == item.base_id,
            SyncReceipt.user_id == user.id,
            SyncReceipt.outcome == SyncOutcome.STORED,
        )
    )
    return base is not None and base.object_id == own.id and base.result_version == own.version


def _apply_observation(
    user: User, item: Item, target: ObservationTarget, receipt: SyncReceipt
) -> dict:
    p = target.payload
    obs = svc.add_observation(
        target.child,
        user,
        source=p.source,
        category=p.category,
        level=p.level,
        observed_on=p.observed_on,
        note=p.note,
    )
    receipt.object_id = obs.id
    db.session.flush()
    audit.record("observation.add", "observation", obs.id, child_id=target.child.id, via="sync")
    return _result(item.raw_id, "stored", object_id=obs.id)


def _new_conflict(
    user: User,
    item: Item,
    receipt: SyncReceipt | None,
    child_id: int,
    server_object,
    reason: ConflictReason,
) -> dict:
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
    return _conflict_result(item.raw_id, conflict)


def _conflict_result(item_id: Any, conflict: SyncConflict) -> dict:
    return _result(
        item_id,
        "conflict",
        reason=conflict.reason.value,
        conflict_id=conflict.id,
        object_id=conflict.object_id,
        server_version=conflict.server_version,
    )


def _received_before(user: User, item: Item, target) -> dict:
    """The receipt's unique constraint refused a second insert of this id."""
    receipt = db.session.scalar(
        sa.select(SyncReceipt).where(SyncReceipt.client_id == item.client_id)
    )
    if receipt is None:  # the other request rolled back: try again
        raise _Retry
    if receipt.user_id != user.id or receipt.kind != item.kind:
        return _result(item.raw_id, "invalid", reason="id already used for another item")
    existing = _conflict_for(item)
    if existing is not None:
        return _conflict_result(item.raw_id, existing)
    if receipt.payload_hash == item.hash:
        # The version this item produced, not today's: a change made on the server since
        # must still be a conflict for the device's next edit.
        return _result(
            item.raw_id,
            "already_stored",
            object_id=receipt.object_id,
            server_version=receipt.result_version,
        )
    # The same id with other content: keep it as a conflict against what was stored.
    server_object = None
    if receipt.object_id is not None:
        model = Assessment if item.kind == SyncKind.ASSESSMENT else ChildObservation
        server_object = db.session.get(model, receipt.object_id)
    savepoint = db.session.begin_nested()
    try:
        result = _new_conflict(
            user, item, None, target.child.id, server_object, ConflictReason.DIFFERENT_PAYLOAD
        )
    except IntegrityError:
        savepoint.rollback()
        raise _Retry from None
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return result


def _conflict_for(item: Item) -> SyncConflict | None:
    return db.session.scalar(
        sa.select(SyncConflict).where(
            SyncConflict.client_id == item.client_id, SyncConflict.payload_hash == item.hash
        )
    )


# Conflicts -------------------------------------------------------------------------------------


def may_view_conflict(user: User, conflict: SyncConflict) -> bool:
    """The user who sent it; for observations also the leader of the child's institution."""
    child = conflict.child
    if conflict.user_id == user.id:
        return can(user, Action.VIEW_CHILD, child)
    return (
        conflict.kind == SyncKind.OBSERVATION
        and can(user, OVERSEE, child)
        and can(user, Action.VIEW_OBSERVATIONS, child)
    )


def may_resolve_conflict(user: User, conflict: SyncConflict) -> bool:
    if not may_view_conflict(user, conflict):
        return False
    action = Action.ASSESS if conflict.kind == SyncKind.ASSESSMENT else Action.ADD_OBSERVATION
    return can(user, action, conflict.child)


def open_conflicts(user: User) -> list[SyncConflict]:
    """Open conflicts the user sees: their own, and those of children in institutions they
    lead."""
    led = visible_institution_ids(user, OVERSEE) or []
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
    out = []
    for c in db.session.scalars(stmt):
        own = c.user_id == user.id
        if (own and can(user, Action.VIEW_CHILD, c.child)) or (
            not own and can(user, OVERSEE, c.child)
        ):
            out.append(c)
    return out


def resolve_conflict(
    conflict: SyncConflict, user: User, keep: str, *, today: date | None = None
) -> None:
    """ "device": apply the device's version (as a new version of the object); "server":
    keep the server's. Both mark the conflict resolved by `user`.

    Raises ConflictError("already_resolved") or, for an assessment that can no longer take
    the device's version, svc.AssessmentError (e.g. "not_draft", "missing_ratings"),
    without changing anything.
    """
    if conflict.status != ConflictStatus.OPEN:
        raise ConflictError("already_resolved")
    resolution = ConflictResolution(keep)
    today = today or date.today()
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
            raise ConflictError(exc.reason) from None
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
        raise ConflictError("not_found")
    own = svc.own_assessment(round_.id, child.id, assessor.id)
    if own is None:
        instrument = svc.instrument_for_child(round_, child)
        if instrument is None:
            raise ConflictError("not_covered")
        if round_.status != RoundStatus.OPEN:
            raise svc.AssessmentError("round_not_open")
        own = svc.start(round_, child, assessor, instrument, _context_for(assessor, instrument))
    svc.save(own, p.data, submit=p.submit, today=today)
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
            raise ConflictError("not_found")
        obs = svc.add_observation(
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
        obs.source = p.source
        obs.category = p.category
        obs.level = p.level
        obs.observed_on = p.observed_on
        obs.note = p.note.strip()
        action = "observation.edit"
    db.session.flush()
    audit.record(action, "observation", obs.id, child_id=obs.child_id, via="sync_conflict")
    return obs.id


# Data keys -----------------------------------------------------------------------------------


def device_key(user: User) -> DeviceKey:
    """The user's data key, made on first use (32 random bytes); the same key afterwards."""
    stmt = sa.select(DeviceKey).where(DeviceKey.user_id == user.id)
    row = db.session.scalar(stmt)
    if row is not None:
        return row
    row = DeviceKey(user_id=user.id, key=secrets.token_bytes(32))
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # a concurrent first request made it
        row = db.session.scalar(stmt)
    return row


# The offline pack ------------------------------------------------------------------------------


def pack_institution_ids(user: User) -> list[int]:
    """Institutions whose children the user may assess or add observations about."""
    ids: set[int] = set()
    for action in (Action.ASSESS, Action.ADD_OBSERVATION):
        found = visible_institution_ids(user, action)
        ids.update(user.institution_ids if found is None else found)
    return sorted(ids)


def pack_groups(user: User) -> list[dict]:
    """The groups a pack may be narrowed to: those of the user's pack institutions."""
    institution_ids = pack_institution_ids(user)
    if not institution_ids:
        return []
    rows = db.session.execute(
        sa.select(Group.id, Group.name, Institution.name)
        .join(Institution, Institution.id == Group.institution_id)
        .where(Group.institution_id.in_(institution_ids))
        .order_by(Institution.name, Group.name, Group.id)
    ).all()
    return [{"id": gid, "name": name, "institution": inst} for gid, name, inst in rows]


def offline_pack(
    user: User,
    today: date,
    *,
    days: int = DEFAULT_PACK_DAYS,
    group_ids: list[int] | None = None,
    now: datetime | None = None,
) -> dict:
    """What a tablet needs to assess and observe offline, and nothing more: the children
    (id, names, birth date, group name; no guardians, no addresses), the open rounds that
    cover them with each child's instrument and the user's own assessment, the instrument
    definitions, the observation categories the user may write, and when it expires."""
    now = now or utcnow()
    institution_ids = pack_institution_ids(user)
    stmt = (
        sa.select(Child, Group)
        .join(
            GroupMembership,
            sa.and_(GroupMembership.child_id == Child.id, GroupMembership.end_date.is_(None)),
        )
        .join(Group, Group.id == GroupMembership.group_id)
        .where(Group.institution_id.in_(institution_ids))
        .options(selectinload(Child.memberships).selectinload(GroupMembership.group))
        .order_by(Group.name, Child.first_name, Child.last_name, Child.id)
    )
    if group_ids:
        stmt = stmt.where(Group.id.in_(group_ids))
    rows = [
        (child, group)
        for child, group in db.session.execute(stmt).all()
        if can(user, Action.ASSESS, child) or can(user, Action.ADD_OBSERVATION, child)
    ]
    children = [
        {
            "id": child.id,
            "first_name": child.first_name,
            "last_name": child.last_name,
            "birth_date": child.birth_date.isoformat(),
            "group": group.name,
        }
        for child, group in rows
    ]
    rounds, instruments = _pack_rounds(user, rows, institution_ids)
    return {
        "generated_at": now.isoformat(),
        "expires_at": (now + timedelta(days=days)).isoformat(),
        "user": {"id": user.id, "name": user.name},
        "children": children,
        "rounds": rounds,
        "instruments": [
            {
                "key": row.key,
                "version": row.version,
                "definition": compiled_instrument(row).to_dict()
                | {"scale_labels": _scale_labels(row)},
            }
            for row in sorted(instruments.values(), key=lambda r: (r.key, r.version))
        ],
        "observation_sources": _pack_sources(user),
        "observation_levels": {
            str(level): label.to_dict()
            for level, label in load_observation_categories().levels.items()
        },
    }


def _pack_rounds(
    user: User, rows: list[tuple[Child, Group]], institution_ids: list[int]
) -> tuple[list[dict], dict[int, InstrumentVersion]]:
    instruments: dict[int, InstrumentVersion] = {}
    if not rows:
        return [], instruments
    rounds = db.session.scalars(
        sa.select(ScreeningRound)
        .where(
            ScreeningRound.status == RoundStatus.OPEN,
            ScreeningRound.institutions.any(Institution.id.in_(institution_ids)),
        )
        .order_by(ScreeningRound.reference_date.desc(), ScreeningRound.id)
    ).all()
    if not rounds:
        return [], instruments
    own = {
        (a.round_id, a.child_id): a
        for a in db.session.scalars(
            sa.select(Assessment)
            .where(
                Assessment.assessor_id == user.id,
                Assessment.round_id.in_([r.id for r in rounds]),
            )
            .options(selectinload(Assessment.instrument))
        )
    }
    out = []
    for round_ in rounds:
        by_months: dict[int, InstrumentVersion | None] = {}
        entries = []
        for child, group in rows:
            if not round_.covers(group.institution_id) or not can(user, Action.ASSESS, child):
                continue
            mine = own.get((round_.id, child.id))
            if mine is not None:
                row = mine.instrument
            else:
                months = child.age_in_months(round_.reference_date)
                if months not in by_months:
                    by_months[months] = instrument_for(round_, months)
                row = by_months[months]
            if row is None or not may_assess_with(user, row.max_months):
                continue
            instruments[row.id] = row
            entries.append(
                {
                    "child_id": child.id,
                    "instrument": {"key": row.key, "version": row.version},
                    "assessment": _own_entry(mine),
                }
            )
        if entries:
            out.append(
                {
                    "id": round_.id,
                    "name": round_.name,
                    "starts_on": round_.starts_on.isoformat(),
                    "ends_on": round_.ends_on.isoformat(),
                    "reference_date": round_.reference_date.isoformat(),
                    "children": entries,
                }
            )
    return out, instruments


def _own_entry(a: Assessment | None) -> dict | None:
    """The user's own assessment: its version (the device's base_version) and status, and
    for a draft its content, so the device can continue it."""
    if a is None:
        return None
    entry = {"id": a.id, "version": a.version, "status": a.status.value}
    if a.status == AssessmentStatus.DRAFT:
        snap = assessment_snapshot(a)
        entry.update(
            {k: snap[k] for k in ("answers", "resources", "concerns", "justification")}
            | {"vulnerability": snap["vulnerability"]}
        )
    return entry


def _scale_labels(row: InstrumentVersion) -> dict:
    scale = compiled_instrument(row).scale
    if scale is None:
        return {}
    return {str(value): label.to_dict() for value, label in scale.labels.items()}


def _pack_sources(user: User) -> list[dict]:
    catalogue = load_observation_categories()
    out = []
    for source in writable_observation_sources(user):
        src = catalogue.sources.get(source.value)
        if src is None:
            continue
        out.append(
            {
                "key": src.key,
                "title": src.title.to_dict(),
                "categories": [
                    {"key": c.key, "title": c.title.to_dict()} for c in src.categories.values()
                ],
            }
        )
    return out
