"""The group overview (trafiklys): every child of a group in a round with the position
overall and per area, the previous round's beside it, and who assessed.

* The overall position is the joint assessment's agreed position (None until agreed).
* A position per area is the most concerned of the submitted individual assessments'
  reasons about that area (a concern is never dropped silently); a submitted assessment
  with no reason about an area counts that area as green. The joint assessment records the
  overall position only.
* The previous round is the child's latest earlier round with a joint assessment.
* Independence: before the joint assessment is agreed, a reader who neither records joint
  assessments nor has submitted their own sees only their own assessment's areas (as
  `core.policy._can_assessment` rules for reading another's assessment).

Five queries, whatever the number of children.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa

from reports.data import GroupOverviewData, GroupOverviewRow, TrafficCell
from screening.accounts.models import User
from screening.assessments.models import Assessment, AssessmentStatus, JointAssessment
from screening.catalogue.services import band_of, round_bands
from screening.children.models import Child, GroupMembership
from screening.classifier import Position
from screening.core.extensions import db
from screening.core.policy import Action, can
from screening.org.models import Group
from screening.rounds.models import ScreeningRound

# The four TOPI areas, in the instruments' order.
AREAS = ("emotional", "cognitive", "social", "physical")


@dataclass
class AreaPositions:
    overall: str | None = None  # the agreed position (joint assessment)
    areas: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(AREAS))


@dataclass
class OverviewRow:
    child: Child
    in_round: bool  # the round assesses the child's age
    now: AreaPositions
    previous: AreaPositions
    previous_round: str | None
    assessors: list[tuple[str, str | None]]  # (name, suggested position or None if hidden)
    decided_by: str | None  # who recorded the joint assessment
    hidden: int = 0  # others' submitted assessments the reader may not read yet


@dataclass
class GroupOverview:
    round: ScreeningRound
    group: Group
    rows: list[OverviewRow]


def area_positions(classifications: Iterable[Mapping[str, Any] | None]) -> dict[str, str | None]:
    """The most concerned position per area over the given classifications' reasons
    (`Classification.to_dict()` output); green for an area no reason names; None per area
    when no classification is given."""
    found: dict[str, Position | None] = dict.fromkeys(AREAS)
    for c in classifications:
        if not c:
            continue
        for area in AREAS:
            found[area] = found[area] or Position.GREEN
        for reason in c.get("reasons", ()):
            for area in reason.get("areas", ()):
                if area in found:
                    found[area] = Position.worst(found[area] or Position.GREEN, reason["position"])
    return {a: (p.value if p else None) for a, p in found.items()}


def group_overview(user: User, round_: ScreeningRound, group: Group) -> GroupOverview:
    children = list(
        db.session.scalars(
            sa.select(Child)
            .join(GroupMembership, GroupMembership.child_id == Child.id)
            .where(GroupMembership.group_id == group.id, GroupMembership.end_date.is_(None))
            .order_by(Child.first_name, Child.last_name, Child.id)
        )
    )
    ids = [c.id for c in children]
    bands = round_bands(round_)
    # The joint assessments of this round and earlier ones, latest first, with who decided.
    joints = db.session.execute(
        sa.select(JointAssessment, ScreeningRound.name, User.name)
        .join(ScreeningRound, ScreeningRound.id == JointAssessment.round_id)
        .join(User, User.id == JointAssessment.decided_by_id)
        .where(
            JointAssessment.child_id.in_(ids),
            ScreeningRound.reference_date <= round_.reference_date,
        )
        .order_by(ScreeningRound.reference_date.desc(), ScreeningRound.id.desc())
    ).all()
    current: dict[int, tuple[JointAssessment, str]] = {}
    previous: dict[int, tuple[JointAssessment, str]] = {}
    for row_joint, round_name, decided_by in joints:
        if row_joint.round_id == round_.id:
            current[row_joint.child_id] = (row_joint, decided_by)
        elif row_joint.child_id not in previous:
            previous[row_joint.child_id] = (row_joint, round_name)
    rounds = {round_.id} | {j.round_id for j, _ in previous.values()}
    assessments = db.session.execute(
        sa.select(
            Assessment.child_id,
            Assessment.round_id,
            Assessment.assessor_id,
            Assessment.status,
            Assessment.suggested_position,
            Assessment.classification,
            User.name,
        )
        .join(User, User.id == Assessment.assessor_id)
        .where(Assessment.child_id.in_(ids), Assessment.round_id.in_(rounds))
        .order_by(Assessment.submitted_at, Assessment.id)
    ).all()
    records_joint = can(user, Action.RECORD_JOINT, group)
    by_child: dict[tuple[int, int], list[Any]] = {}
    for a in assessments:
        by_child.setdefault((a.child_id, a.round_id), []).append(a)
    rows = []
    for child in children:
        mine = by_child.get((child.id, round_.id), [])
        submitted = [a for a in mine if a.status == AssessmentStatus.SUBMITTED]
        own = next((a for a in mine if a.assessor_id == user.id), None)
        joint = current.get(child.id)
        readable = (
            joint is not None
            or records_joint
            or (own is not None and own.status == AssessmentStatus.SUBMITTED)
        )
        shown = submitted if readable else [a for a in submitted if a.assessor_id == user.id]
        now = AreaPositions(
            joint[0].agreed_position.value if joint else None,
            area_positions(a.classification for a in shown),
        )
        before = previous.get(child.id)
        prev = AreaPositions()
        if before:
            prev = AreaPositions(
                before[0].agreed_position.value,
                area_positions(
                    a.classification
                    for a in by_child.get((child.id, before[0].round_id), [])
                    if a.status == AssessmentStatus.SUBMITTED
                ),
            )
        rows.append(
            OverviewRow(
                child=child,
                in_round=band_of(bands, child.birth_date) is not None,
                now=now,
                previous=prev,
                previous_round=before[1] if before else None,
                assessors=[
                    (
                        a.name,
                        a.suggested_position.value if a in shown and a.suggested_position else None,
                    )
                    for a in submitted
                ],
                decided_by=joint[1] if joint else None,
                hidden=len(submitted) - len(shown),
            )
        )
    return GroupOverview(round_, group, rows)


def pdf_data(overview: GroupOverview) -> GroupOverviewData:
    """The overview as the PDF builder's plain data (what the reader sees on screen)."""
    rows = []
    for r in overview.rows:
        rows.append(
            GroupOverviewRow(
                name=r.child.full_name,
                overall=TrafficCell(r.now.overall, r.previous.overall),
                areas=tuple(TrafficCell(r.now.areas[a], r.previous.areas[a]) for a in AREAS),
                assessors=tuple(f"{n} {SHORT[p]}" if p else n for n, p in r.assessors),
                decided_by=r.decided_by or "",
                previous_round=r.previous_round or "",
                in_round=r.in_round,
                hidden=r.hidden,
            )
        )
    return GroupOverviewData(
        round_name=overview.round.name,
        institution=overview.group.institution.name,
        group=overview.group.name,
        area_keys=AREAS,
        rows=tuple(rows),
    )


# A suggested position in the list of assessors, as a shape (the legend explains them).
SHORT = {"green": "●", "yellow": "▲", "red": "■"}


# Development over time (the child's page) ----------------------------------------------------


@dataclass
class RoundPositions:
    round_name: str
    now: AreaPositions


class AgreedRow(NamedTuple):
    """A joint assessment as the child's page shows it: the round and the position agreed."""

    round_id: int
    agreed_position: Position
    round_name: str


# The child's agreed positions, oldest first (the child's page: the development, the
# latest position and each open round's joint position come from these rows).
_AGREED = (
    sa.select(JointAssessment.round_id, JointAssessment.agreed_position, ScreeningRound.name)
    .join(ScreeningRound, ScreeningRound.id == JointAssessment.round_id)
    .where(JointAssessment.child_id == sa.bindparam("child_id"))
    .order_by(ScreeningRound.reference_date, ScreeningRound.id)
)


def agreed_rows(child_id: int) -> list[AgreedRow]:
    """The child's agreed positions in every round, oldest first. One query."""
    return [AgreedRow(*row) for row in db.session.execute(_AGREED, {"child_id": child_id})]


def development(child: Child, joints: list[AgreedRow] | None = None) -> list[RoundPositions]:
    """The child's position overall and per area in every round with an agreed joint
    assessment, oldest first (once agreed, the round's assessments are readable by everyone
    who may read the child's assessments). Two queries, one when `joints` (`agreed_rows`)
    is given, none when it is empty."""
    if joints is None:
        joints = agreed_rows(child.id)
    if not joints:
        return []
    by_round: dict[int, list[Mapping[str, Any] | None]] = {}
    for round_id, classification in db.session.execute(
        sa.select(Assessment.round_id, Assessment.classification).where(
            Assessment.child_id == child.id,
            Assessment.status == AssessmentStatus.SUBMITTED,
            Assessment.round_id.in_([j.round_id for j in joints]),
        )
    ):
        by_round.setdefault(round_id, []).append(classification)
    return [
        RoundPositions(
            name, AreaPositions(agreed.value, area_positions(by_round.get(round_id, [])))
        )
        for round_id, agreed, name in joints
    ]
