"""The municipality's time zone, once: timestamps are stored in UTC and shown in Danish time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")


def local_today() -> date:
    """Today in Danish time: the day every deadline, round and retention date is counted
    in (the server's own clock may run in UTC, an hour or two behind at midnight)."""
    return datetime.now(LOCAL_TZ).date()


def to_local(value: datetime) -> datetime:
    """An aware datetime in Danish time."""
    return value.astimezone(LOCAL_TZ)


def local_to_utc(value: datetime) -> datetime:
    """A naive datetime typed in Danish time (e.g. a form field) as aware UTC."""
    return value.replace(tzinfo=LOCAL_TZ).astimezone(UTC)
