"""Column types and small helpers shared by every area's models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# The longest free text (resources, concerns, notes ...) a form or a synced item may carry.
TEXT_MAX = 4000

# The largest id (and any other whole number) the database's integer columns hold
# (PostgreSQL "integer"): an id in a URL or a synced item beyond it cannot exist.
DB_INT_MAX = 2**31 - 1


def utcnow() -> datetime:
    """Callable default for timestamps: always timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    PostgreSQL stores ``timestamptz``; SQLite stores text without a zone, so values are
    normalised to UTC on the way in and marked UTC on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], name: str, length: int = 32) -> sa.Enum:
    """Store an enum by value as a string with a named CHECK constraint (no native types)."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


# Audit ids grow without bound; SQLite needs INTEGER for its rowid alias.
BigIntId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
