"""Wellbeing assessments (trivselsvurderinger), joint assessments (fælles vurderinger) and
observations."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening.accounts.models import User
from screening.catalogue.models import InstrumentVersion
from screening.children.models import Child
from screening.classifier import Position, Vulnerability
from screening.core.db import UTCDateTime, enum_column, utcnow
from screening.core.extensions import Model
from screening.rounds.models import ScreeningRound


class AssessmentStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class AssessmentContext(enum.StrEnum):
    DAYCARE = "daycare"
    HOME_VISIT = "home_visit"  # a health visitor's first assessment of an infant


class Assessment(Model):
    """One professional's independent view of one child in one round."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("screening_round.id"), index=True)
    child_id: Mapped[int] = mapped_column(sa.ForeignKey("child.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instrument_version.id"))
    context: Mapped[AssessmentContext] = mapped_column(
        enum_column(AssessmentContext, "context", length=16), default=AssessmentContext.DAYCARE
    )
    status: Mapped[AssessmentStatus] = mapped_column(
        enum_column(AssessmentStatus, "status", length=16), default=AssessmentStatus.DRAFT
    )
    # {item_key: True | int | str}; only keys of the instrument version are kept.
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    resources: Mapped[str] = mapped_column(sa.Text, default="")  # ressourcer
    concerns: Mapped[str] = mapped_column(sa.Text, default="")  # bekymringer
    justification: Mapped[str] = mapped_column(sa.Text, default="")  # begrundelse
    vulnerability: Mapped[Vulnerability | None] = mapped_column(
        enum_column(Vulnerability, "vulnerability", length=16)
    )
    # The classifier's suggestion, stored on submit with the rule-set version that made it.
    suggested_position: Mapped[Position | None] = mapped_column(
        enum_column(Position, "suggested_position", length=8)
    )
    classification: Mapped[dict | None] = mapped_column(sa.JSON)
    ruleset_key: Mapped[str | None] = mapped_column(sa.String(64))
    ruleset_version: Mapped[int | None]
    # Bumped on every change; an edit based on an older version is a conflict.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[ScreeningRound] = relationship()
    child: Mapped[Child] = relationship()
    assessor: Mapped[User] = relationship()
    instrument: Mapped[InstrumentVersion] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("round_id", "child_id", "assessor_id"),
        sa.CheckConstraint(
            "status = 'draft' OR (submitted_at IS NOT NULL AND suggested_position IS NOT NULL)",
            name="submitted_has_result",
        ),
        # Key figures: a round's submitted assessments counted without reading the table.
        sa.Index(
            "ix_assessment_round_status_child",
            "round_id",
            "status",
            "child_id",
            "suggested_position",
            "context",
        ),
    )
    # The services bump `version` themselves; every UPDATE still says WHERE version = <read>.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def submitted(self) -> bool:
        return self.status == AssessmentStatus.SUBMITTED


class JointAssessment(Model):
    """The team's agreed position for a child in a round: the child's position."""

    __tablename__ = "joint_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("screening_round.id"), index=True)
    child_id: Mapped[int] = mapped_column(sa.ForeignKey("child.id"), index=True)
    suggested_position: Mapped[Position] = mapped_column(
        enum_column(Position, "suggested_position", length=8)
    )
    suggestion: Mapped[dict] = mapped_column(sa.JSON)  # the classifier's joint suggestion
    agreed_position: Mapped[Position] = mapped_column(
        enum_column(Position, "agreed_position", length=8)
    )
    justification: Mapped[str] = mapped_column(sa.Text)
    override_reason: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The previous round's agreed position, to know whether parents must be told.
    previous_position: Mapped[Position | None] = mapped_column(
        enum_column(Position, "previous_position", length=8)
    )
    parents_informed_on: Mapped[date | None]
    parents_informed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    parents_informed_note: Mapped[str] = mapped_column(sa.Text, default="")
    # Optimistic concurrency: every UPDATE says WHERE version = <the version read> and bumps
    # it; a form carries the version it was opened from.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    round: Mapped[ScreeningRound] = relationship()
    child: Mapped[Child] = relationship()
    decided_by: Mapped[User] = relationship(foreign_keys=[decided_by_id])
    parents_informed_by: Mapped[User | None] = relationship(foreign_keys=[parents_informed_by_id])

    __table_args__ = (
        sa.UniqueConstraint("round_id", "child_id"),
        sa.CheckConstraint(
            "agreed_position = suggested_position OR override_reason <> ''",
            name="override_needs_reason",
        ),
        # Key figures: a round's agreed positions counted without reading the table.
        sa.Index(
            "ix_joint_assessment_round_child_position", "round_id", "child_id", "agreed_position"
        ),
    )
    __mapper_args__ = {"version_id_col": version}

    @property
    def position_changed(self) -> bool:
        return self.previous_position is not None and self.previous_position != self.agreed_position

    @property
    def overridden(self) -> bool:
        return self.agreed_position != self.suggested_position


class ObservationSourceValue(enum.StrEnum):
    DAYCARE = "daycare"
    HEALTH_VISITOR = "health_visitor"
    DENTAL = "dental"
    PPR = "ppr"


class ChildObservation(Model):
    """A dated note from a source (daycare, health visitor, dental, PPR) with a category
    and a level of concern (1 little, 2 some, 3 serious)."""

    __tablename__ = "observation"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(sa.ForeignKey("child.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    source: Mapped[ObservationSourceValue] = mapped_column(
        enum_column(ObservationSourceValue, "source", length=16)
    )
    category: Mapped[str] = mapped_column(sa.String(64))
    level: Mapped[int]
    observed_on: Mapped[date]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    child: Mapped[Child] = relationship()
    author: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint("level BETWEEN 1 AND 3", name="level_range"),
        # The key figures' observations in a round's window (migration 0011).
        sa.Index(
            "ix_observation_day_child_source_level", "observed_on", "child_id", "source", "level"
        ),
    )


class JointDelegate(Model):
    """A user the leader lets record joint assessments for an institution."""

    __tablename__ = "joint_delegate"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institution.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    granted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (sa.UniqueConstraint("institution_id", "user_id"),)
