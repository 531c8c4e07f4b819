"""Action paths (handleveje) with steps and deadlines, action plans (handleplaner), the
offer catalogue (tilbudsviften), follow-ups, meetings, consents (samtykker) and the
assessment of the duty to notify (underretning). The templates the steps come from are
versioned in `screening.catalogue.models`."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from screening.accounts.models import User
from screening.children.models import Child, Guardian
from screening.classifier import Position
from screening.core.db import UTCDateTime, enum_column, utcnow
from screening.core.extensions import Model, db


class PathStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ActionPath(Model):
    __tablename__ = "action_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(sa.ForeignKey("child.id"), index=True)
    position: Mapped[Position] = mapped_column(enum_column(Position, "position", length=8))
    status: Mapped[PathStatus] = mapped_column(
        enum_column(PathStatus, "status", length=8), default=PathStatus.OPEN
    )
    opened_on: Mapped[date]
    # The named coordinating adult (tovholder).
    coordinator_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    escalation_level: Mapped[int] = mapped_column(default=1)
    template_key: Mapped[str] = mapped_column(sa.String(64))
    template_version: Mapped[int]
    opened_by_joint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("joint_assessment.id"))
    # Set when the position became green again: the path may close after the final step.
    may_close: Mapped[bool] = mapped_column(default=False)
    closed_on: Mapped[date | None]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    close_note: Mapped[str] = mapped_column(sa.Text, default="")
    # Optimistic concurrency: every UPDATE says WHERE version = <the version read> and bumps
    # it; a form carries the version it was opened from.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    child: Mapped[Child] = relationship()
    coordinator: Mapped[User] = relationship(foreign_keys=[coordinator_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    steps: Mapped[list[ActionStep]] = relationship(
        back_populates="path",
        order_by="(ActionStep.due_on, ActionStep.id)",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        sa.CheckConstraint("position IN ('yellow', 'red')", name="concern_position"),
        sa.CheckConstraint("escalation_level BETWEEN 1 AND 10", name="level_range"),
        # One open path per child: a change from yellow to red escalates it.
        sa.Index(
            "uq_action_path_open",
            "child_id",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status == PathStatus.OPEN


class StepKind(enum.StrEnum):
    STEP = "step"
    NOTIFY = "notify"
    MEETING = "meeting"
    PLAN = "plan"
    FOLLOW_UP = "follow_up"


class ActionStep(Model):
    __tablename__ = "action_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(sa.ForeignKey("action_path.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[StepKind] = mapped_column(enum_column(StepKind, "kind", length=16))
    title_da: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200))
    responsible_role: Mapped[str] = mapped_column(sa.String(32))
    required: Mapped[bool] = mapped_column(default=True)
    repeat_weeks: Mapped[int | None]
    due_on: Mapped[date] = mapped_column(index=True)
    done_on: Mapped[date | None]
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # Optimistic concurrency: every UPDATE says WHERE version = <the version read> and bumps
    # it; a form carries the version it was opened from.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    path: Mapped[ActionPath] = relationship(back_populates="steps")
    done_by: Mapped[User | None] = relationship()

    __table_args__ = (
        # Frister og fremdrift counts the open steps by path and due date from this index
        # alone (a fifth of the steps are open).
        sa.Index(
            "ix_action_step_open",
            "path_id",
            "due_on",
            sqlite_where=sa.text("done_on IS NULL"),
            postgresql_where=sa.text("done_on IS NULL"),
        ),
    )
    __mapper_args__ = {"version_id_col": version}

    @property
    def done(self) -> bool:
        return self.done_on is not None

    def overdue(self, today: date) -> bool:
        return self.done_on is None and self.due_on < today


class NotifyDecisionValue(enum.StrEnum):
    NOTIFY = "notify"  # underret
    NO_NOTIFY = "no_notify"


class NotifyDecision(Model):
    """The recorded assessment of the duty to notify (Barnets lov § 133). The product
    prompts and records; people decide and send."""

    __tablename__ = "notify_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(sa.ForeignKey("action_path.id"), index=True)
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("action_step.id"), unique=True)
    decision: Mapped[NotifyDecisionValue] = mapped_column(
        enum_column(NotifyDecisionValue, "decision", length=16)
    )
    reasoning: Mapped[str] = mapped_column(sa.Text)
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_on: Mapped[date]
    sent_on: Mapped[date | None]
    # The daycare leader signs a notification.
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # Optimistic concurrency: every UPDATE says WHERE version = <the version read> and bumps
    # it; a form carries the version it was opened from.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    decided_by: Mapped[User] = relationship(foreign_keys=[decided_by_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])

    __table_args__ = (
        sa.CheckConstraint("reasoning <> ''", name="reasoning_given"),
        sa.CheckConstraint("(sent_on IS NULL) = (sent_by_id IS NULL)", name="sent_by_whom"),
        sa.CheckConstraint("decision = 'notify' OR sent_on IS NULL", name="sent_only_if_notify"),
    )
    __mapper_args__ = {"version_id_col": version}


class Offer(Model):
    """An offer in the municipality's catalogue (tilbudsviften), with its step on the
    intervention staircase (Indsatstrappen, 1–6)."""

    __tablename__ = "offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    staircase_step: Mapped[int]
    min_age_months: Mapped[int] = mapped_column(default=0)
    max_age_months: Mapped[int] = mapped_column(default=84)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        sa.CheckConstraint("staircase_step BETWEEN 1 AND 6", name="staircase_step_range"),
        sa.CheckConstraint("max_age_months > min_age_months", name="ages_ordered"),
    )


action_plan_offer = sa.Table(
    "action_plan_offer",
    db.metadata,
    sa.Column("plan_id", sa.ForeignKey("action_plan.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("offer_id", sa.ForeignKey("offer.id"), primary_key=True),
)


class ActionPlan(Model):
    """The action plan (handleplan), written with the parents."""

    __tablename__ = "action_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(sa.ForeignKey("action_path.id"), unique=True)
    resources: Mapped[str] = mapped_column(sa.Text, default="")
    concerns: Mapped[str] = mapped_column(sa.Text, default="")
    goals: Mapped[str] = mapped_column(sa.Text, default="")
    parents_perspective: Mapped[str] = mapped_column(sa.Text, default="")
    child_perspective: Mapped[str] = mapped_column(sa.Text, default="")
    evaluation_on: Mapped[date]
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    # Optimistic concurrency: every UPDATE says WHERE version = <the version read> and bumps
    # it; a form carries the version it was opened from.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    path: Mapped[ActionPath] = relationship()
    items: Mapped[list[ActionPlanItem]] = relationship(
        back_populates="plan",
        order_by="ActionPlanItem.position",
        cascade="all, delete-orphan",
    )
    offers: Mapped[list[Offer]] = relationship(
        secondary=action_plan_offer, order_by="(Offer.staircase_step, Offer.name)"
    )

    __mapper_args__ = {"version_id_col": version}


class ActionPlanItem(Model):
    """One action in the plan: what, who, by when."""

    __tablename__ = "action_plan_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("action_plan.id"), index=True)
    position: Mapped[int]
    what: Mapped[str] = mapped_column(sa.Text)
    who: Mapped[str] = mapped_column(sa.String(200))
    by_when: Mapped[date | None]

    plan: Mapped[ActionPlan] = relationship(back_populates="items")


class Progress(enum.StrEnum):
    BETTER = "better"
    UNCHANGED = "unchanged"
    WORSE = "worse"


class FollowUp(Model):
    __tablename__ = "follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(sa.ForeignKey("action_path.id"), index=True)
    held_on: Mapped[date]
    progress: Mapped[Progress] = mapped_column(enum_column(Progress, "progress", length=16))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    next_step: Mapped[str] = mapped_column(sa.Text, default="")
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    by: Mapped[User] = relationship()


class MeetingKind(enum.StrEnum):
    PARENT_TALK = "parent_talk"  # forældresamtale
    CROSS_DISCIPLINARY = "cross_disciplinary"  # tværfagligt møde
    NETWORK = "network"  # netværksmøde


class Meeting(Model):
    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(sa.ForeignKey("action_path.id"), index=True)
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind, "kind", length=24))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(200))
    purpose: Mapped[str] = mapped_column(sa.Text)
    agenda: Mapped[str] = mapped_column(sa.Text, default="")
    minutes: Mapped[str] = mapped_column(sa.Text, default="")
    decisions: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    # Optimistic concurrency: every UPDATE says WHERE version = <the version read> and bumps
    # it; a form carries the version it was opened from.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    path: Mapped[ActionPath] = relationship()
    participants: Mapped[list[MeetingParticipant]] = relationship(
        back_populates="meeting",
        order_by="MeetingParticipant.id",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}


class ParticipantKind(enum.StrEnum):
    GUARDIAN = "guardian"
    STAFF = "staff"  # a colleague in the daycare
    EXTERNAL = "external"  # a professional outside the daycare


class MeetingParticipant(Model):
    __tablename__ = "meeting_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id"), index=True)
    kind: Mapped[ParticipantKind] = mapped_column(enum_column(ParticipantKind, "kind", length=16))
    guardian_id: Mapped[int | None] = mapped_column(sa.ForeignKey("guardian.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    name: Mapped[str] = mapped_column(sa.String(120))
    profession: Mapped[str] = mapped_column(sa.String(40), default="")
    organisation: Mapped[str] = mapped_column(sa.String(120), default="")
    email: Mapped[str] = mapped_column(sa.String(200), default="")
    # Sharing with a professional outside the daycare rests on a consent or a legal basis.
    consent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("consent.id"))
    legal_basis: Mapped[str] = mapped_column(sa.Text, default="")

    meeting: Mapped[Meeting] = relationship(back_populates="participants")
    guardian: Mapped[Guardian | None] = relationship()
    user: Mapped[User | None] = relationship()
    consent: Mapped[Consent | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "kind <> 'external' OR consent_id IS NOT NULL OR legal_basis <> ''",
            name="external_needs_basis",
        ),
        # A guardian or a colleague is invited once: a second invitation reads the first.
        sa.UniqueConstraint("meeting_id", "guardian_id"),
        sa.UniqueConstraint("meeting_id", "user_id"),
        # The policy asks which meetings a user is invited to, by account or by e-mail
        # address (an invitation sent before the account was linked): without these, a
        # scan of every participant of the municipality on each page that names children.
        sa.Index("ix_meeting_participant_user_id", "user_id"),
        sa.Index("ix_meeting_participant_email_lower", sa.func.lower(sa.text("email"))),
    )


class Consent(Model):
    """A custody holder's written consent to share information (samtykke)."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(sa.ForeignKey("child.id"), index=True)
    guardian_id: Mapped[int] = mapped_column(sa.ForeignKey("guardian.id"))
    information_kinds: Mapped[list] = mapped_column(sa.JSON)  # e.g. ["wellbeing", "plan"]
    recipients: Mapped[list] = mapped_column(sa.JSON)  # profession keys, e.g. ["psychologist"]
    purpose: Mapped[str] = mapped_column(sa.Text)
    given_on: Mapped[date]
    withdrawn_on: Mapped[date | None]
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    child: Mapped[Child] = relationship()
    guardian: Mapped[Guardian] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])

    __table_args__ = (sa.CheckConstraint("purpose <> ''", name="purpose_given"),)

    def active_on(self, day: date) -> bool:
        return self.given_on <= day and (self.withdrawn_on is None or self.withdrawn_on > day)

    def covers(self, profession: str, day: date) -> bool:
        return self.active_on(day) and profession in self.recipients
