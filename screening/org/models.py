"""Municipality settings, institutions (dagtilbud) and their groups (stuer)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reports.i18n import N_
from screening.core.db import UTCDateTime, enum_column, utcnow
from screening.core.extensions import Model

# The position labels a municipality starts with: product wording, so they are shown in the
# user's language (labels a municipality chose are shown as it wrote them).
DEFAULT_POSITION_LABELS = {
    "green": N_("Trivsel"),
    "yellow": N_("Bekymring"),
    "red": N_("Stærk bekymring"),
}


class Municipality(Model):
    """The municipality's settings. One row per deployment."""

    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # Colour labels as the municipality words them, e.g. "Trivsel / Bekymring / Stærk bekymring".
    label_green: Mapped[str] = mapped_column(
        sa.String(60), default=DEFAULT_POSITION_LABELS["green"]
    )
    label_yellow: Mapped[str] = mapped_column(
        sa.String(60), default=DEFAULT_POSITION_LABELS["yellow"]
    )
    label_red: Mapped[str] = mapped_column(sa.String(60), default=DEFAULT_POSITION_LABELS["red"])
    # Delete a child's data this many years after the child leaves.
    retention_years: Mapped[int] = mapped_column(default=5)
    # Optionally sooner for a child who left and never had an action path: this many months
    # after the last assessment (None: off).
    retention_unconcerned_months: Mapped[int | None]
    # Audit events are deleted this many years after they were written.
    audit_retention_years: Mapped[int] = mapped_column(default=10, server_default="10")
    # A step overdue by this many working days is shown to the institution's leader too.
    escalate_after_working_days: Mapped[int] = mapped_column(default=5, server_default="5")
    # Key figures show counts below this as "< 5" (and hide a second cell where a total
    # would give a hidden one away). Danmarks Statistik's rule is at least 3 per cell.
    suppression_threshold: Mapped[int] = mapped_column(default=5, server_default="5")
    # The classifier rule set in force (its newest loaded version is used).
    ruleset_key: Mapped[str] = mapped_column(sa.String(64), default="default")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("retention_years BETWEEN 1 AND 20", name="retention_years_range"),
        sa.CheckConstraint(
            "suppression_threshold BETWEEN 3 AND 100", name="suppression_threshold_range"
        ),
        sa.CheckConstraint(
            "retention_unconcerned_months IS NULL"
            " OR retention_unconcerned_months BETWEEN 1 AND 120",
            name="retention_unconcerned_months_range",
        ),
        sa.CheckConstraint(
            "audit_retention_years BETWEEN 1 AND 30", name="audit_retention_years_range"
        ),
        sa.CheckConstraint(
            "escalate_after_working_days BETWEEN 1 AND 60", name="escalate_after_range"
        ),
    )

    def label_for(self, position: str) -> str:
        return {"green": self.label_green, "yellow": self.label_yellow, "red": self.label_red}[
            position
        ]


class InstitutionKind(enum.StrEnum):
    VUGGESTUE = "vuggestue"
    BOERNEHAVE = "boernehave"
    INTEGRERET = "integreret"
    DAGPLEJE = "dagpleje"


class Institution(Model):
    """A daycare (dagtilbud)."""

    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    kind: Mapped[InstitutionKind] = mapped_column(enum_column(InstitutionKind, "kind"))
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    groups: Mapped[list[Group]] = relationship(
        back_populates="institution", order_by="Group.name", cascade="all, delete-orphan"
    )


class Group(Model):
    """A group (stue) within an institution; for a dagpleje, one childminder's group."""

    __tablename__ = "child_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(sa.ForeignKey("institution.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    institution: Mapped[Institution] = relationship(back_populates="groups")

    __table_args__ = (sa.UniqueConstraint("institution_id", "name"),)
