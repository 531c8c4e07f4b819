"""Individual assessments: the instrument and context for a child, drafts, saving and
submitting (classification), and the child's agreed positions of earlier rounds.

State changes flush and never commit. Nothing here reads the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from screening.accounts.models import Role, User
from screening.assessments.models import (
    Assessment,
    AssessmentContext,
    AssessmentStatus,
    ChildObservation,
    JointAssessment,
)
from screening.catalogue.models import InstrumentVersion
from screening.catalogue.services import (
    AgeBand,
    active_ruleset,
    band_of,
    compiled_instrument,
    instrument_for,
)
from screening.children.models import Child
from screening.classifier import (
    Classification,
    Instrument,
    Observation,
    Position,
    Vulnerability,
    classify,
)
from screening.core.db import locked, savepoint, utcnow
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.core.policy import HEALTH_VISITOR_MAX_MONTHS
from screening.core.time import local_today
from screening.rounds.models import RoundStatus, ScreeningRound

# Instruments and context -----------------------------------------------------------------


def instrument_for_child(
    round_: ScreeningRound, child: Child, bands: list[AgeBand] | None = None
) -> InstrumentVersion | None:
    """The instrument the child is assessed with in the round (by age at the reference
    date), or None when the round does not cover the child. With the round's age `bands`
    (`round_bands`, which place a child by birth date exactly as `instrument_for` by age),
    no query of its own."""
    group = child.current_group
    if group is None or not round_.covers(group.institution_id):
        return None
    if bands is not None:
        band = band_of(bands, child.birth_date)
        return band.instrument if band is not None else None
    return instrument_for(round_, child.age_in_months(round_.reference_date))


def context_for(user: User, instrument: InstrumentVersion) -> AssessmentContext:
    """An infant instrument filled in by someone outside the daycare staff (a health
    visitor) is the first assessment at a home visit; everything else is in the daycare."""
    if instrument.max_months <= HEALTH_VISITOR_MAX_MONTHS and not user.has_role(
        Role.EDUCATOR, Role.LEADER
    ):
        return AssessmentContext.HOME_VISIT
    return AssessmentContext.DAYCARE


# Individual assessments --------------------------------------------------------------


@dataclass
class AssessmentInput:
    answers: dict[str, Any] = field(default_factory=dict)
    resources: str = ""
    concerns: str = ""
    justification: str = ""
    vulnerability: str | None = None


_OWN_ASSESSMENT = sa.select(Assessment).where(
    Assessment.round_id == sa.bindparam("round_id"),
    Assessment.child_id == sa.bindparam("child_id"),
    Assessment.assessor_id == sa.bindparam("user_id"),
)


def own_assessment(round_id: int, child_id: int, user_id: int) -> Assessment | None:
    found: Assessment | None = db.session.scalar(
        _OWN_ASSESSMENT, {"round_id": round_id, "child_id": child_id, "user_id": user_id}
    )
    return found


def start(
    round_: ScreeningRound,
    child: Child,
    user: User,
    instrument: InstrumentVersion,
    context: AssessmentContext = AssessmentContext.DAYCARE,
) -> Assessment:
    """The user's assessment of the child in the round, created as an empty draft."""
    if round_.status != RoundStatus.OPEN:
        raise DomainError("round_not_open")
    existing = own_assessment(round_.id, child.id, user.id)
    if existing is not None:
        return existing
    try:
        with savepoint(db.session):
            assessment = Assessment(
                round_id=round_.id,
                child_id=child.id,
                assessor_id=user.id,
                instrument=instrument,
                context=context,
                answers={},
            )
            db.session.add(assessment)
            db.session.flush()
    except IntegrityError:  # the same user's other tap or tab made it a moment ago
        winner = own_assessment(round_.id, child.id, user.id)
        if winner is None:
            raise
        return winner
    return assessment


def clean_answers(instrument: Instrument, raw: dict[str, Any]) -> dict[str, Any]:
    """Keep only answers the instrument knows, in its types; drop unticked and empty ones."""
    out: dict[str, Any] = {}
    for item in instrument.items:
        value = raw.get(item.key)
        if item.kind == "indicator":
            if value is True:
                out[item.key] = True
        elif item.kind == "rated":
            in_scale = item.scale is None or (
                isinstance(value, int) and item.scale.min <= value <= item.scale.max
            )
            if isinstance(value, int) and not isinstance(value, bool) and in_scale:
                out[item.key] = value
        elif isinstance(value, str) and value.strip():
            out[item.key] = value.strip()
    return out


def missing_ratings(instrument: Instrument, answers: dict[str, Any]) -> list[str]:
    return [i.key for i in instrument.items if i.kind == "rated" and i.key not in answers]


def _holds(assessment: Assessment, answers: dict[str, Any], data: AssessmentInput) -> bool:
    """Does the stored assessment hold exactly this content (a second tap of the same save)?"""
    return (
        assessment.answers == answers
        and assessment.resources == data.resources.strip()
        and assessment.concerns == data.concerns.strip()
        and assessment.justification == data.justification.strip()
        and (assessment.vulnerability.value if assessment.vulnerability else None)
        == (data.vulnerability or None)
    )


def save(
    assessment: Assessment,
    data: AssessmentInput,
    *,
    submit: bool,
    today: date | None = None,
    expected_version: int | None = None,
) -> Classification | None:
    """Save a draft, or submit: classify, store the suggestion with the rule-set version.

    `expected_version` is the version the form was opened from: the row is read again,
    locked, and a save based on an older version is refused (DomainError
    "changed_meanwhile") unless the stored assessment already holds exactly this content
    (a double tap answers as the first one did, with nothing written twice).
    Raises DomainError("missing_ratings" | "justification_required" | "not_draft" |
    "round_not_open") without changing anything.
    """
    instrument = compiled_instrument(assessment.instrument)
    answers = clean_answers(instrument, data.answers)
    if expected_version is not None:
        assessment = db.session.scalars(
            locked(db.session, sa.select(Assessment).filter_by(id=assessment.id))
        ).one()
        if assessment.version != expected_version:
            if _holds(assessment, answers, data) and (assessment.submitted or not submit):
                return None
            raise DomainError("changed_meanwhile")
    if assessment.status != AssessmentStatus.DRAFT:
        if submit and _holds(assessment, answers, data):
            return None  # the same submit, tapped twice
        raise DomainError("not_draft")
    if assessment.round.status != RoundStatus.OPEN:
        raise DomainError("round_not_open")
    result = None
    if submit:
        if missing_ratings(instrument, answers):
            raise DomainError("missing_ratings")
        result = classify_assessment(assessment, answers, data.vulnerability, today=today)
        if result.position != Position.GREEN and not data.justification.strip():
            raise DomainError("justification_required")
    assessment.answers = answers
    assessment.resources = data.resources.strip()
    assessment.concerns = data.concerns.strip()
    assessment.justification = data.justification.strip()
    assessment.vulnerability = Vulnerability(data.vulnerability) if data.vulnerability else None
    assessment.version += 1
    if result is not None:
        ruleset_row, _ = active_ruleset()
        assessment.status = AssessmentStatus.SUBMITTED
        assessment.submitted_at = utcnow()
        assessment.classification = result.to_dict()
        assessment.suggested_position = Position(result.position.value)
        assessment.ruleset_key = ruleset_row.key
        assessment.ruleset_version = ruleset_row.version
    db.session.flush()
    return result


def classify_assessment(
    assessment: Assessment,
    answers: dict[str, Any],
    vulnerability: str | None,
    *,
    today: date | None = None,
) -> Classification:
    _, ruleset = active_ruleset()
    instrument = compiled_instrument(assessment.instrument)
    as_of = min(today or local_today(), assessment.round.ends_on)
    return classify(
        instrument,
        ruleset,
        answers,
        observations=classifier_observations(assessment.child_id),
        history=agreed_history(assessment.child_id, before=assessment.round),
        vulnerability=Vulnerability(vulnerability) if vulnerability else None,
        as_of=as_of,
    )


def classifier_observations(child_id: int) -> list[Observation]:
    rows = db.session.scalars(
        sa.select(ChildObservation).where(ChildObservation.child_id == child_id)
    )
    return [Observation(r.source.value, r.category, r.level, r.observed_on) for r in rows]


def agreed_history(child_id: int, *, before: ScreeningRound) -> list[Position]:
    """The child's agreed positions in earlier rounds, oldest first."""
    rows = db.session.execute(
        sa.select(JointAssessment.agreed_position)
        .join(ScreeningRound, ScreeningRound.id == JointAssessment.round_id)
        .where(
            JointAssessment.child_id == child_id,
            ScreeningRound.reference_date < before.reference_date,
        )
        .order_by(ScreeningRound.reference_date)
    ).scalars()
    return [Position(p.value) for p in rows]


def latest_agreed(child_id: int) -> JointAssessment | None:
    """The child's current position: the agreed position of the latest round (with the
    round, which the child page names: no second query)."""
    return db.session.scalar(
        sa.select(JointAssessment)
        .join(ScreeningRound, ScreeningRound.id == JointAssessment.round_id)
        .where(JointAssessment.child_id == child_id)
        .options(contains_eager(JointAssessment.round))
        .order_by(ScreeningRound.reference_date.desc())
        .limit(1)
    )
