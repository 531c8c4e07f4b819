"""Applying a synced batch, exactly once.

Every item carries an id made on the device. Each item is applied in its own savepoint, and
the first thing written is its receipt, whose unique constraint on that id is what stops a
second copy (a retry after a lost answer, the same outbox in two tabs, two requests
racing). When the insert fails, the stored receipt decides: the same content is
"already_stored"; other content is a conflict, kept with both versions for a person to
resolve. An edit based on an older server version, or of an assessment submitted meanwhile,
is a conflict too; nothing is overwritten silently.

The rights are the forms' rights, asked of the policy; refusals go to the audit trail.
State changes flush and never commit. Nothing here reads the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from screening.accounts.models import User
from screening.assessments import individual, observations
from screening.assessments.models import Assessment, AssessmentStatus, ChildObservation
from screening.catalogue.models import InstrumentVersion
from screening.children.models import Child
from screening.core import audit
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.core.models import Outcome
from screening.core.policy import Action, can, may_assess_with, writable_observation_sources
from screening.core.time import local_today
from screening.offline.conflicts import conflict_for, conflict_result, new_conflict
from screening.offline.models import ConflictReason, SyncKind, SyncOutcome, SyncReceipt
from screening.offline.parsing import (
    AssessmentPayload,
    Invalid,
    Item,
    ObservationPayload,
    echo_id,
    item_result,
    parse_assessment,
    parse_item,
    parse_observation,
    parse_uuid,
)
from screening.rounds.models import RoundStatus, ScreeningRound


class _Retry(Exception):
    """Another request changed the same rows meanwhile: apply the item again."""


# Authorization ---------------------------------------------------------------------------------


def _refused(action: str, child_id: int, child: Child | None, outcome: Outcome) -> None:
    """A refused item in the audit trail (written with the batch's answer; the batch itself
    answers 200)."""
    audit.refused(
        action,
        "child",
        child_id,
        outcome=outcome,
        child_id=child.id if child is not None else None,
        via="sync",
    )


def _child_for(user: User, child_id: int, action: Action, audit_action: str) -> Child:
    """The child, if the user may see it and do `action`; a child the user may not see is
    "not found", exactly like one that does not exist."""
    child = db.session.get(Child, child_id)
    if child is None or not can(user, Action.VIEW_CHILD, child):
        _refused(audit_action, child_id, None, Outcome.NOT_FOUND)
        raise Invalid("not found")
    if not can(user, action, child):
        _refused(audit_action, child_id, child, Outcome.DENIED)
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
    own = individual.own_assessment(round_.id, child.id, user.id)
    instrument = (
        own.instrument if own is not None else individual.instrument_for_child(round_, child)
    )
    if instrument is None:
        raise Invalid("the round does not cover this child")
    if not may_assess_with(user, instrument.max_months):
        _refused("assessment.sync", child.id, child, Outcome.DENIED)
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
        _refused("observation.sync", child.id, child, Outcome.DENIED)
        raise Invalid("forbidden source")
    return ObservationTarget(payload, child)


Target = AssessmentTarget | ObservationTarget


# Applying a batch ------------------------------------------------------------------------------


def apply_batch(
    user: User, items: list[Any], *, today: date | None = None, marker: str | None = None
) -> list[dict[str, Any]]:
    """Apply each item in its own savepoint and answer for each, in order.

    An item: {"id": uuid made on the device, "kind": "assessment" | "observation",
    "base_version": the server version the edit started from (null: none),
    "base_id"?: the id of the item the edit was made on top of, "payload": {...}}.
    `marker` stands for a part cut off for nesting too deep (`parsing.Body`).

    An answer: {"id", "status": "stored" | "already_stored" | "conflict" | "invalid",
    "reason"?: English, "object_id"?, "server_version"?: the assessment's version after the
    item (for "already_stored": the version the item produced), "conflict_id"?}.
    """
    today = today or local_today()
    known = _known_receipts(user, items)
    return [_apply_one(user, raw, today, known, marker) for raw in items]


def _known_receipts(user: User, items: list[Any]) -> dict[str, SyncReceipt]:
    """Receipts already stored for the batch's ids (one query): an item received before is
    answered from its receipt before anything else is checked, so a re-send after a lost
    answer is "already_stored" (or the same conflict) even if the user's rights changed."""
    ids = set()
    for raw in items:
        if isinstance(raw, dict):
            try:
                ids.add(parse_uuid(raw.get("id"), "id"))
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


def _apply_one(
    user: User, raw: Any, today: date, known: dict[str, SyncReceipt], marker: str | None
) -> dict[str, Any]:
    raw_id = echo_id(raw)
    try:
        item = parse_item(raw, marker)
        receipt = known.get(item.client_id)
        if receipt is not None and receipt.kind == item.kind and receipt.payload_hash == item.hash:
            if receipt.outcome == SyncOutcome.CONFLICT:
                kept = conflict_for(item)
                if kept is not None:
                    return conflict_result(item.raw_id, kept)
            else:
                return item_result(
                    item.raw_id,
                    "already_stored",
                    object_id=receipt.object_id,
                    server_version=receipt.result_version,
                )
        target: Target
        if item.kind == SyncKind.ASSESSMENT:
            target = check_assessment(user, parse_assessment(item.payload))
        else:
            target = check_observation(user, parse_observation(item.payload, today))
    except Invalid as exc:
        return item_result(raw_id, "invalid", reason=exc.reason)
    for attempt in range(2):
        try:
            return _apply_checked(user, item, target, today)
        except _Retry:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _apply_checked(user: User, item: Item, target: Target, today: date) -> dict[str, Any]:
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
            if not isinstance(target, AssessmentTarget):
                raise TypeError("an assessment item needs an assessment target")
            result = _apply_assessment(user, item, target, receipt, today)
        else:
            if not isinstance(target, ObservationTarget):
                raise TypeError("an observation item needs an observation target")
            result = _apply_observation(user, item, target, receipt)
    except Invalid as exc:
        savepoint.rollback()
        return item_result(item.raw_id, "invalid", reason=exc.reason)
    except DomainError as exc:
        savepoint.rollback()
        return item_result(item.raw_id, "invalid", reason=exc.code)
    except IntegrityError:
        # E.g. the same assessment created by a concurrent request under another id.
        savepoint.rollback()
        raise _Retry from None
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return result


def _apply_assessment(
    user: User, item: Item, target: AssessmentTarget, receipt: SyncReceipt, today: date
) -> dict[str, Any]:
    p = target.payload
    if target.round.status != RoundStatus.OPEN:
        raise DomainError("round_not_open")
    own = individual.own_assessment(target.round.id, target.child.id, user.id)
    if own is not None:
        if own.status == AssessmentStatus.SUBMITTED:
            return new_conflict(
                user, item, receipt, target.child.id, own, ConflictReason.ALREADY_SUBMITTED
            )
        if item.base_version != own.version and not _follows(user, item, own):
            return new_conflict(
                user, item, receipt, target.child.id, own, ConflictReason.CHANGED_ON_SERVER
            )
    assessment = own or individual.start(
        target.round,
        target.child,
        user,
        target.instrument,
        individual.context_for(user, target.instrument),
    )
    individual.save(assessment, p.data, submit=p.submit, today=today)
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
    return item_result(
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
) -> dict[str, Any]:
    p = target.payload
    obs = observations.add_observation(
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
    return item_result(item.raw_id, "stored", object_id=obs.id)


def _received_before(user: User, item: Item, target: Target) -> dict[str, Any]:
    """The receipt's unique constraint refused a second insert of this id."""
    receipt = db.session.scalar(
        sa.select(SyncReceipt).where(SyncReceipt.client_id == item.client_id)
    )
    if receipt is None:  # the other request rolled back: try again
        raise _Retry
    if receipt.user_id != user.id or receipt.kind != item.kind:
        return item_result(item.raw_id, "invalid", reason="id already used for another item")
    existing = conflict_for(item)
    if existing is not None:
        return conflict_result(item.raw_id, existing)
    if receipt.payload_hash == item.hash:
        # The version this item produced, not today's: a change made on the server since
        # must still be a conflict for the device's next edit.
        return item_result(
            item.raw_id,
            "already_stored",
            object_id=receipt.object_id,
            server_version=receipt.result_version,
        )
    # The same id with other content: keep it as a conflict against what was stored.
    server_object: Assessment | ChildObservation | None = None
    if receipt.object_id is not None:
        if item.kind == SyncKind.ASSESSMENT:
            server_object = db.session.get(Assessment, receipt.object_id)
        else:
            server_object = db.session.get(ChildObservation, receipt.object_id)
    savepoint = db.session.begin_nested()
    try:
        result = new_conflict(
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
