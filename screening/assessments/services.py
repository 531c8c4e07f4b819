"""Individual and joint wellbeing assessments, observations, progress and the timeline.

State changes flush and never commit. Nothing here reads the request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from screening.accounts.models import Role, User, user_institution
from screening.assessments.models import (
    Assessment,
    AssessmentContext,
    AssessmentStatus,
    ChildObservation,
    JointAssessment,
    JointDelegate,
)
from screening.catalogue.models import InstrumentVersion
from screening.catalogue.services import (
    AgeBand,
    active_ruleset,
    compiled_instrument,
    instrument_for,
    round_bands,
)
from screening.children.models import Child, GroupMembership
from screening.classifier import (
    Classification,
    Instrument,
    JointSuggestion,
    Observation,
    OverrideError,
    Position,
    Vulnerability,
    apply_override,
    classify,
    suggest_joint,
)
from screening.core.db import locked, savepoint, utcnow
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.core.policy import HEALTH_VISITOR_MAX_MONTHS
from screening.org.models import Group, Institution
from screening.rounds.models import RoundStatus, ScreeningRound

# Instruments and context -----------------------------------------------------------------


def instrument_for_child(round_: ScreeningRound, child: Child) -> InstrumentVersion | None:
    """The instrument the child is assessed with in the round (by age at the reference
    date), or None when the round does not cover the child."""
    group = child.current_group
    if group is None or not round_.covers(group.institution_id):
        return None
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


def own_assessment(round_id: int, child_id: int, user_id: int) -> Assessment | None:
    return db.session.scalar(
        sa.select(Assessment).where(
            Assessment.round_id == round_id,
            Assessment.child_id == child_id,
            Assessment.assessor_id == user_id,
        )
    )


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
    as_of = min(today or date.today(), assessment.round.ends_on)
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


def differing_answers(assessments: Sequence[Assessment]) -> frozenset[str]:
    """The item keys the assessments answered differently (a statement ticked by one and not
    another, a different rating): what the joint assessment should talk about first."""
    if len(assessments) < 2:
        return frozenset()
    answers = [a.answers or {} for a in assessments]
    keys = set().union(*answers)
    return frozenset(k for k in keys if len({repr(a.get(k)) for a in answers}) > 1)


def submitted_for(round_id: int, child_id: int) -> list[Assessment]:
    return list(
        db.session.scalars(
            sa.select(Assessment)
            .where(
                Assessment.round_id == round_id,
                Assessment.child_id == child_id,
                Assessment.status == AssessmentStatus.SUBMITTED,
            )
            .options(selectinload(Assessment.assessor), selectinload(Assessment.instrument))
            .order_by(Assessment.submitted_at)
        )
    )


# Joint assessment ----------------------------------------------------------------------


def joint_suggestion(assessments: list[Assessment]) -> JointSuggestion:
    if not assessments:
        raise DomainError("no_submitted_assessments")
    _, ruleset = active_ruleset()
    classifications = [cast(Mapping[str, Any], a.classification) for a in assessments]
    return suggest_joint(classifications, ruleset)


def joint_for(round_id: int, child_id: int) -> JointAssessment | None:
    return db.session.scalar(
        sa.select(JointAssessment).where(
            JointAssessment.round_id == round_id, JointAssessment.child_id == child_id
        )
    )


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


# Progress ------------------------------------------------------------------------------


class ChildRef(NamedTuple):
    """A child as a progress list names it (columns, not a `Child`)."""

    id: int
    first_name: str
    last_name: str
    birth_date: date

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class JointRef(NamedTuple):
    """A joint assessment as a progress list shows it: the position agreed, and whether
    the parents are still to be told of a changed one."""

    id: int
    agreed_position: Position
    previous_position: Position | None
    parents_informed_on: date | None

    @property
    def position_changed(self) -> bool:
        return self.previous_position is not None and self.previous_position != self.agreed_position


@dataclass
class ChildProgress:
    child: ChildRef
    instrument: InstrumentVersion | None
    submitted: int
    drafts: int
    joint: JointRef | None
    own_status: AssessmentStatus | None = None


@dataclass
class GroupProgress:
    group: Group
    children: list[ChildProgress]

    @property
    def eligible(self) -> list[ChildProgress]:
        return [c for c in self.children if c.instrument is not None]

    @property
    def with_individual(self) -> int:
        return sum(1 for c in self.eligible if c.submitted >= 1)

    @property
    def with_two(self) -> int:
        return sum(1 for c in self.eligible if c.submitted >= 2)

    @property
    def with_joint(self) -> int:
        return sum(1 for c in self.eligible if c.joint is not None)

    @property
    def missing_individual(self) -> list[ChildProgress]:
        return [c for c in self.eligible if c.submitted == 0]

    @property
    def missing_joint(self) -> list[ChildProgress]:
        return [c for c in self.eligible if c.joint is None]


def group_progress(
    round_: ScreeningRound, groups: list[Group], user: User | None = None
) -> list[GroupProgress]:
    """For each group: every current child, its instrument in the round, counts of submitted
    and draft assessments, the joint assessment's position, and the user's own status. Four
    queries, of columns only (a list page builds no ORM objects per child)."""
    group_ids = [g.id for g in groups]
    members = [
        (group_id, ChildRef(cid, first, last, born))
        for group_id, cid, first, last, born in db.session.execute(
            sa.select(
                GroupMembership.group_id,
                Child.id,
                Child.first_name,
                Child.last_name,
                Child.birth_date,
            )
            .join(Child, Child.id == GroupMembership.child_id)
            .where(GroupMembership.group_id.in_(group_ids), GroupMembership.end_date.is_(None))
            .order_by(Child.first_name, Child.last_name)
        )
    ]
    child_ids = [c.id for _, c in members]
    counts: dict[tuple[int, AssessmentStatus], int] = {}
    own: dict[int, AssessmentStatus] = {}
    for child_id, status, assessor_id in db.session.execute(
        sa.select(Assessment.child_id, Assessment.status, Assessment.assessor_id).where(
            Assessment.round_id == round_.id, Assessment.child_id.in_(child_ids)
        )
    ):
        counts[(child_id, status)] = counts.get((child_id, status), 0) + 1
        if user is not None and assessor_id == user.id:
            own[child_id] = status
    joints = {
        row.child_id: JointRef(
            row.id, row.agreed_position, row.previous_position, row.parents_informed_on
        )
        for row in db.session.execute(
            sa.select(
                JointAssessment.child_id,
                JointAssessment.id,
                JointAssessment.agreed_position,
                JointAssessment.previous_position,
                JointAssessment.parents_informed_on,
            ).where(JointAssessment.round_id == round_.id, JointAssessment.child_id.in_(child_ids))
        )
    }
    bands = round_bands(round_)  # one query, not one per age in months
    covered_ids = {g.id for g in groups if round_.covers(g.institution_id)}
    by_group: dict[int, list[ChildProgress]] = {g: [] for g in group_ids}
    for group_id, child in members:
        band = _band_of(bands, child.birth_date)
        by_group[group_id].append(
            ChildProgress(
                child=child,
                instrument=band.instrument if band and group_id in covered_ids else None,
                submitted=counts.get((child.id, AssessmentStatus.SUBMITTED), 0),
                drafts=counts.get((child.id, AssessmentStatus.DRAFT), 0),
                joint=joints.get(child.id),
                own_status=own.get(child.id),
            )
        )
    return [GroupProgress(g, by_group[g.id]) for g in groups]


def _band_of(bands: list[AgeBand], birth: date) -> AgeBand | None:
    return next((b for b in bands if b.born_after < birth <= b.born_by), None)


@dataclass(frozen=True)
class GroupCounts:
    """A group's progress in a round as counts (what the round overview shows): the
    current children the round covers, how many have one / two submitted individual
    assessments and a joint one, and the joint positions agreed."""

    group: Group
    children: int
    with_individual: int
    with_two: int
    with_joint: int
    by_position: dict[str, int]


def round_members(round_: ScreeningRound, groups: list[Group]) -> sa.Subquery:
    """The current children of `groups` the round covers (as `GroupProgress.eligible`):
    (child_id, group_id). One query for the round's age bands; the rest is SQL."""
    bands = round_bands(round_)
    covered = [g.id for g in groups if round_.covers(g.institution_id)]
    in_band = [
        sa.and_(Child.birth_date > b.born_after, Child.birth_date <= b.born_by) for b in bands
    ]
    return (
        sa.select(GroupMembership.child_id, GroupMembership.group_id)
        .join(Child, Child.id == GroupMembership.child_id)
        .where(
            GroupMembership.group_id.in_(covered) if covered else sa.false(),
            GroupMembership.end_date.is_(None),
            sa.or_(*in_band) if in_band else sa.false(),
        )
        .subquery("members")
    )


def round_group_counts(round_: ScreeningRound, groups: list[Group]) -> list[GroupCounts]:
    """`group_progress` as counts for many groups at once: two queries (the round's age
    bands, then one aggregate), whatever the number of groups and children."""
    members = round_members(round_, groups)
    submitted = (
        sa.select(Assessment.child_id, sa.func.count().label("n"))
        .where(Assessment.round_id == round_.id, Assessment.status == AssessmentStatus.SUBMITTED)
        .group_by(Assessment.child_id)
        .subquery("submitted")
    )
    n = sa.func.coalesce(submitted.c.n, 0)
    stmt = (
        sa.select(
            members.c.group_id,
            JointAssessment.agreed_position,
            sa.func.count(),
            sa.func.sum(sa.case((n >= 1, 1), else_=0)),
            sa.func.sum(sa.case((n >= 2, 1), else_=0)),
        )
        .select_from(members)
        .outerjoin(submitted, submitted.c.child_id == members.c.child_id)
        .outerjoin(
            JointAssessment,
            sa.and_(
                JointAssessment.child_id == members.c.child_id,
                JointAssessment.round_id == round_.id,
            ),
        )
        .group_by(members.c.group_id, JointAssessment.agreed_position)
    )
    found: dict[int, dict[str, Any]] = {}
    for group_id, position, children, one, two in db.session.execute(stmt):
        row = found.setdefault(
            group_id, {"children": 0, "one": 0, "two": 0, "joint": 0, "by_position": {}}
        )
        row["children"] += children
        row["one"] += int(one or 0)
        row["two"] += int(two or 0)
        if position is not None:
            row["joint"] += children
            row["by_position"][position.value] = children
    out = []
    for g in groups:
        row = found.get(g.id, {"children": 0, "one": 0, "two": 0, "joint": 0, "by_position": {}})
        out.append(
            GroupCounts(
                g, row["children"], row["one"], row["two"], row["joint"], row["by_position"]
            )
        )
    return out


def next_child(round_: ScreeningRound, child: Child, user: User) -> Child | None:
    """The next child in the same group (alphabetical, wrapping) the user has not submitted
    an assessment for in this round and who is covered by the round — as `group_progress`
    orders and filters them, but in SQL: the round's age bands and one query returning at
    most one child, whatever the size of the group."""
    group = child.current_group
    if group is None:
        return None
    members = round_members(round_, [group])
    name = (Child.first_name, Child.last_name, Child.id)
    here = (child.first_name, child.last_name, child.id)
    after = sa.tuple_(*name) > sa.tuple_(*here)
    submitted = sa.exists().where(
        Assessment.round_id == round_.id,
        Assessment.child_id == Child.id,
        Assessment.assessor_id == user.id,
        Assessment.status == AssessmentStatus.SUBMITTED,
    )
    return db.session.scalar(
        sa.select(Child)
        .join(members, members.c.child_id == Child.id)
        .where(
            Child.id != child.id,
            ~submitted,
            # The child itself must be one the round covers, as before.
            sa.select(members.c.child_id)
            .where(members.c.child_id == child.id)
            .correlate(None)
            .exists(),
        )
        .order_by(sa.case((after, 0), else_=1), *name)
        .limit(1)
    )


# Observations -------------------------------------------------------------------------


def add_observation(
    child: Child,
    author: User,
    *,
    source: str,
    category: str,
    level: int,
    observed_on: date,
    note: str,
) -> ChildObservation:
    obs = ChildObservation(
        child=child,
        author=author,
        source=source,
        category=category,
        level=level,
        observed_on=observed_on,
        note=note.strip(),
    )
    db.session.add(obs)
    db.session.flush()
    return obs


# Delegates ------------------------------------------------------------------------------


def institution_staff(inst: Institution) -> list[User]:
    """The institution's active users, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(user_institution, user_institution.c.user_id == User.id)
            .where(user_institution.c.institution_id == inst.id, User.active.is_(True))
            .order_by(User.name)
        )
    )


def delegates_of(inst: Institution) -> list[JointDelegate]:
    return list(
        db.session.scalars(sa.select(JointDelegate).where(JointDelegate.institution_id == inst.id))
    )


def add_delegate(inst: Institution, user_id: int, by: User) -> JointDelegate:
    """Let a user record joint assessments for the institution."""
    row = JointDelegate(institution_id=inst.id, user_id=user_id, granted_by_id=by.id)
    db.session.add(row)
    db.session.flush()
    return row


def remove_delegate(row: JointDelegate) -> None:
    db.session.delete(row)
    db.session.flush()
