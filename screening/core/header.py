"""What the page header shows on every page (the municipality's name and words, the unread
notifications' count), loaded with the signed-in user in the user loader's one statement
instead of one query each per page.

The values belong to the request they were loaded in (kept on the request object, not in
`g`, which outlives a request when an application context is held around several, as in
tests); a request without them (signed out, or a user not loaded through the loader) asks
the database as before. Nothing is kept between requests, so a changed municipality name or
a notification read is seen on the next page, with no invalidation to get wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import has_request_context, request

_KEY = "_trivselsspor_header"
T = TypeVar("T")


def remember(municipality: Any, unread: int) -> None:
    """Keep what the user loader loaded for the rest of this request."""
    if has_request_context():
        setattr(request, _KEY, {"municipality": municipality, "unread": int(unread)})


def _loaded() -> dict[str, Any] | None:
    if not has_request_context():
        return None
    return getattr(request, _KEY, None)


def municipality(load: Callable[[], T]) -> T:
    """The municipality loaded with the user in this request, else `load()`."""
    found = _loaded()
    return found["municipality"] if found is not None else load()


def unread(load: Callable[[], int]) -> int:
    """The signed-in user's unread notifications as loaded with the user, else `load()`."""
    found = _loaded()
    return int(found["unread"]) if found is not None else load()


def forget() -> None:
    """After a change of what the header shows in this request (the next read asks again)."""
    if has_request_context() and hasattr(request, _KEY):
        delattr(request, _KEY)
