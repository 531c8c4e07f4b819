"""The municipality's time zone, once: timestamps are stored in UTC and shown in Danish time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")


def to_local(value: datetime) -> datetime:
    """An aware datetime in Danish time."""
    return value.astimezone(LOCAL_TZ)


def local_to_utc(value: datetime) -> datetime:
    """A naive datetime typed in Danish time (e.g. a form field) as aware UTC."""
    return value.replace(tzinfo=LOCAL_TZ).astimezone(UTC)
