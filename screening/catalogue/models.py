"""Instruments (trivselsskemaer), classifier rule sets and action-path templates, stored as
versioned data.

Each row keeps the whole validated definition as its YAML source text (YAML, unlike JSON,
keeps integer keys such as scale labels), so an assessment made with version 1 reads the
same after version 2 is loaded.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from screening.core.db import UTCDateTime, utcnow
from screening.core.extensions import Model


class InstrumentVersion(Model):
    __tablename__ = "instrument_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))
    title_da: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200))
    min_months: Mapped[int]
    max_months: Mapped[int]
    source_yaml: Mapped[str] = mapped_column(sa.Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("key", "version"),
        sa.CheckConstraint("max_months > min_months", name="age_band_ordered"),
    )


class RuleSetVersion(Model):
    __tablename__ = "ruleset_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int]
    title_da: Mapped[str] = mapped_column(sa.String(200))
    source_yaml: Mapped[str] = mapped_column(sa.Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("key", "version"),)


class ActionPathTemplateVersion(Model):
    """A loaded version of the action-path templates (YAML source kept as is)."""

    __tablename__ = "action_path_template_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int]
    source_yaml: Mapped[str] = mapped_column(sa.Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("key", "version"),)
