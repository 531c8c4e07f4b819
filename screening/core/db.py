"""Column types and small helpers shared by every area's models."""

from __future__ import annotations

import enum
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

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


# Many hands at once ------------------------------------------------------------------------
#
# PostgreSQL: a read that decides a write locks its rows (`locked`, SELECT ... FOR UPDATE), so
# a second request waits for the first to commit and then reads what it wrote. SQLite has
# one writer at a time, but a request's reads before its first write see an older state;
# `begin_writing` takes the write lock first (BEGIN IMMEDIATE), so what follows is read
# fresh. A find-or-create inserts inside `savepoint()`: the loser's unique violation rolls
# back only that insert and it reads the winner's row.


def _sqlite_connection(session: Any) -> Any | None:
    """The session's DBAPI connection when it is SQLite's, else None."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    return session.connection().connection.dbapi_connection


def begin_writing(session: Any) -> None:
    """Make the session's transaction a writing one now (SQLite: BEGIN IMMEDIATE unless a
    transaction is open already; PostgreSQL: nothing, rows are locked by `locked`)."""
    raw = _sqlite_connection(session)
    if raw is not None and not raw.in_transaction:
        session.execute(sa.text("BEGIN IMMEDIATE"))


SelectT = TypeVar("SelectT", bound="sa.Select[Any]")


def locked(session: Any, stmt: SelectT) -> SelectT:
    """`stmt` (a SELECT of ORM rows) that locks the rows it reads and refreshes them in the
    session: the current committed state, held until the end of the transaction."""
    begin_writing(session)
    return stmt.with_for_update().execution_options(populate_existing=True)


@contextmanager
def savepoint(session: Any) -> Iterator[None]:
    """A unit of work that a unique violation rolls back alone (the caller catches the
    `IntegrityError` and reads the row that won)."""
    begin_writing(session)
    with session.begin_nested():
        yield


def serialize(session: Any, name: str) -> None:
    """Let one transaction at a time past this point for `name` (e.g. "roster-import"): on
    PostgreSQL a transaction-scoped advisory lock, on SQLite the write lock. What is read
    after it includes everything the previous holder committed."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(name.encode()) & 0x7FFFFFFF
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        begin_writing(session)
