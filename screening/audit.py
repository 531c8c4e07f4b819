"""The one audit helper every view that reads or changes child data calls.

Successful actions are written in the request's own transaction, so they commit (or roll
back) with the change they describe. Refusals are kept aside and written after the
request's transaction has been rolled back, so they survive the error response.
"""

from __future__ import annotations

from flask import g, has_request_context, request
from flask_login import current_user

from screening.extensions import db
from screening.models import AuditEvent, Outcome


def _actor_id() -> int | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


def _event(action, object_type, object_id, child_id, outcome, details) -> AuditEvent:
    return AuditEvent(
        user_id=_actor_id(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        child_id=child_id,
        outcome=outcome,
        remote_addr=request.remote_addr if has_request_context() else None,
        details=details,
    )


def record(
    action: str,
    object_type: str,
    object_id: int | None = None,
    *,
    child_id: int | None = None,
    **details,
) -> None:
    """Record a successful read or change, in the current transaction."""
    db.session.add(_event(action, object_type, object_id, child_id, Outcome.OK, details))


def refused(
    action: str,
    object_type: str,
    object_id: int | None = None,
    *,
    outcome: Outcome = Outcome.DENIED,
    child_id: int | None = None,
    **details,
) -> None:
    """Record a refused attempt; written after the request's rollback."""
    event = _event(action, object_type, object_id, child_id, outcome, details)
    if has_request_context():
        g.setdefault("audit_refusals", []).append(event)
    else:
        db.session.add(event)


def flush_refusals() -> None:
    """Called by the app after rolling back a failed request."""
    events = g.pop("audit_refusals", [])
    if events:
        db.session.add_all(events)
        db.session.commit()
