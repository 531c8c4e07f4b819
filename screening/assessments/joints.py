"""Joint assessments: the submitted individual assessments and where they differ, the
suggested position, recording (and revising) the agreed one, and the parents informed.

State changes flush and never commit. Nothing here reads the request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from screening.accounts.models import User
from screening.assessments.individual import agreed_history
from screening.assessments.models import Assessment, AssessmentStatus, JointAssessment
from screening.catalogue.services import active_ruleset
from screening.children.models import Child
from screening.classifier import (
    JointSuggestion,
    OverrideError,
    Position,
    apply_override,
    suggest_joint,
)
from screening.core.db import locked, savepoint, utcnow
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.rounds.models import RoundStatus, ScreeningRound


def differing_answers(assessments: Sequence[Assessment]) -> frozenset[str]:
    """The item keys the assessments answered differently (a statement ticked by one and not
    another, a different rating): what the joint assessment should talk about first."""
    if len(assessments) < 2:
        return frozenset()
    answers = [a.answers or {} for a in assessments]
    keys = set().union(*answers)
    return frozenset(k for k in keys if len({repr(a.get(k)) for a in answers}) > 1)


# The assessor (whose name is what is shown: the user's roles and institutions are not
# loaded for it) and the instrument joined in: one query.
_ASSESSMENTS = (
    sa.select(Assessment)
    .where(
        Assessment.round_id == sa.bindparam("round_id"),
        Assessment.child_id == sa.bindparam("child_id"),
    )
    .options(joinedload(Assessment.assessor).lazyload("*"), joinedload(Assessment.instrument))
    .order_by(Assessment.submitted_at)
)
_SUBMITTED = _ASSESSMENTS.where(Assessment.status == AssessmentStatus.SUBMITTED)
_SUBMITTED_OR_OWN = _ASSESSMENTS.where(
    sa.or_(
        Assessment.status == AssessmentStatus.SUBMITTED,
        Assessment.assessor_id == sa.bindparam("user_id"),
    )
)


def submitted_for(round_id: int, child_id: int) -> list[Assessment]:
    """The submitted assessments of the child in the round, in the order submitted."""
    return list(db.session.scalars(_SUBMITTED, {"round_id": round_id, "child_id": child_id}))


def own_and_submitted(
    round_id: int, child_id: int, user_id: int
) -> tuple[Assessment | None, list[Assessment]]:
    """The user's own assessment of the child in the round (a draft too), and the submitted
    ones as `submitted_for` gives them: one query for the two."""
    rows = list(
        db.session.scalars(
            _SUBMITTED_OR_OWN, {"round_id": round_id, "child_id": child_id, "user_id": user_id}
        )
    )
    own = next((a for a in rows if a.assessor_id == user_id), None)
    return own, [a for a in rows if a.status == AssessmentStatus.SUBMITTED]


def joint_suggestion(assessments: list[Assessment]) -> JointSuggestion:
    if not assessments:
        raise DomainError("no_submitted_assessments")
    _, ruleset = active_ruleset()
    classifications = [cast(Mapping[str, Any], a.classification) for a in assessments]
    return suggest_joint(classifications, ruleset)


_JOINT_FOR = sa.select(JointAssessment).where(
    JointAssessment.round_id == sa.bindparam("round_id"),
    JointAssessment.child_id == sa.bindparam("child_id"),
)


def joint_for(round_id: int, child_id: int) -> JointAssessment | None:
    found: JointAssessment | None = db.session.scalar(
        _JOINT_FOR, {"round_id": round_id, "child_id": child_id}
    )
    return found


def record_joint(
    round_: ScreeningRound,
    child: Child,
    user: User,
    *,
    agreed: str,
    justification: str,
    override_reason: str = "",
) -> JointAssessment:
    """Record (or revise) the agreed position. An override of the suggestion needs a reason
    (DomainError("override_reason_required")); a justification is always required."""
    joint, _written = record_joint_once(
        round_,
        child,
        user,
        agreed=agreed,
        justification=justification,
        override_reason=override_reason,
    )
    return joint


def record_joint_once(
    round_: ScreeningRound,
    child: Child,
    user: User,
    *,
    agreed: str,
    justification: str,
    override_reason: str = "",
    expected_version: int | None = None,
) -> tuple[JointAssessment, bool]:
    """`record_joint` from a form opened at `expected_version` (0: there was none): the row
    is read locked; a stale form is refused (DomainError("changed_meanwhile")), unless the
    stored decision is exactly this one (a second tap: nothing written). Returns the row
    and whether it was written."""
    if round_.status != RoundStatus.OPEN:
        raise DomainError("round_not_open")
    if not justification.strip():
        raise DomainError("justification_required")
    assessments = submitted_for(round_.id, child.id)
    suggestion = joint_suggestion(assessments)
    try:
        override = apply_override(suggestion, agreed, override_reason.strip() or None)
    except OverrideError:
        raise DomainError("override_reason_required") from None
    history = agreed_history(child.id, before=round_)
    joint = _locked_joint(round_.id, child.id)
    if joint is None:
        try:
            with savepoint(db.session):
                joint = _new_joint(round_, child, suggestion, override, justification, user)
        except IntegrityError:  # another session recorded the first one a moment ago
            joint = _locked_joint(round_.id, child.id)
            if joint is None:
                raise
            stale = expected_version is not None
        else:
            return joint, True
    else:
        stale = expected_version is not None and joint.version != expected_version
    if stale:
        if (
            joint.agreed_position.value == override.position.value
            and joint.justification == justification.strip()
            and joint.override_reason == (override.reason if override.overridden else "")
        ):
            return joint, False  # the same decision, sent twice
        raise DomainError("changed_meanwhile")
    joint.previous_position = Position(history[-1].value) if history else None
    joint.suggested_position = Position(suggestion.position.value)
    joint.suggestion = suggestion.to_dict() | {"assessment_ids": [a.id for a in assessments]}
    joint.agreed_position = Position(override.position.value)
    joint.justification = justification.strip()
    joint.override_reason = override.reason if override.overridden else ""
    joint.decided_by = user
    joint.decided_at = utcnow()
    db.session.flush()
    return joint, True


def _locked_joint(round_id: int, child_id: int) -> JointAssessment | None:
    return db.session.scalar(
        locked(
            db.session,
            sa.select(JointAssessment).where(
                JointAssessment.round_id == round_id, JointAssessment.child_id == child_id
            ),
        )
    )


def _new_joint(
    round_: ScreeningRound,
    child: Child,
    suggestion: JointSuggestion,
    override: Any,
    justification: str,
    user: User,
) -> JointAssessment:
    history = agreed_history(child.id, before=round_)
    assessment_ids = [a.id for a in submitted_for(round_.id, child.id)]
    joint = JointAssessment(
        round_id=round_.id,
        child_id=child.id,
        previous_position=Position(history[-1].value) if history else None,
        suggested_position=Position(suggestion.position.value),
        suggestion=suggestion.to_dict() | {"assessment_ids": assessment_ids},
        agreed_position=Position(override.position.value),
        justification=justification.strip(),
        override_reason=override.reason if override.overridden else "",
        decided_by_id=user.id,
        decided_at=utcnow(),
    )
    db.session.add(joint)
    db.session.flush()
    return joint


def record_parents_informed(joint: JointAssessment, user: User, on: date, note: str) -> None:
    joint.parents_informed_on = on
    joint.parents_informed_by = user
    joint.parents_informed_note = note.strip()
    db.session.flush()
