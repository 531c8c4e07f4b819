"""Redirect targets: only local paths of this site (no open redirects); ids read from the
query string."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

from screening.core.db import DB_INT_MAX


def query_id(name: str) -> int | None:
    """An id from the query string (the first if repeated), or None: ASCII digits only
    ("²" and "١" are digits to `str.isdigit`), no larger than the database's integers hold,
    so an odd value reads as no value and a huge one never reaches the database."""
    value = request.args.get(name, "")
    if not (value.isascii() and value.isdigit() and len(value) <= len(str(DB_INT_MAX))):
        return None
    number = int(value)
    return number if number <= DB_INT_MAX else None


def safe_next(target: str | None) -> str | None:
    """Return `target` if it is a local path on this site, else None (no open redirects)."""
    if not target:
        return None
    target = target.strip()
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    return target
