"""The one audit writer: every read and change of child data, and every refusal, is written
through `record`, `record_many` or `refused`.

Successful actions are written in the request's own transaction, so they commit (or roll
back) with the change they describe. Refusals are kept aside and written when the request
ends: after the rollback of an error response, or with the commit of a successful one (a
sync batch answers 200 while refusing single items). Outside a request they are added to
the session at once. Each event carries the signed-in user and the client address.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy.dialects import postgresql

from screening.core.db import utcnow
from screening.core.extensions import db
from screening.core.models import AuditEvent, Outcome


def _actor_id() -> int | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return int(current_user.id)
    return None


def _event(
    action: str,
    object_type: str,
    object_id: int | None,
    child_id: int | None,
    outcome: Outcome,
    details: dict[str, Any],
) -> AuditEvent:
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


# One compiled statement for every event `record` writes (the columns always the same).
_INSERT = sa.insert(AuditEvent.__table__)  # type: ignore[arg-type]


def record(
    action: str,
    object_type: str,
    object_id: int | None = None,
    *,
    child_id: int | None = None,
    **details: Any,
) -> None:
    """Record a successful read or change, in the current transaction: one INSERT at once
    (Core, not a unit of work flushed at the commit; a rollback takes it back the same)."""
    in_request = has_request_context()
    db.session.execute(
        _INSERT,
        {
            "occurred_at": utcnow(),
            "user_id": _actor_id(),
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "child_id": child_id,
            "outcome": Outcome.OK,
            "remote_addr": request.remote_addr if in_request else None,
            "details": details,
        },
    )


def record_many(
    action: str,
    object_type: str,
    objects: Iterable[tuple[int | None, int | None]],
    **details: Any,
) -> int:
    """Record one successful read or change per `(object_id, child_id)`, in the current
    transaction, as one INSERT ... SELECT (an offline pack for a whole municipality is
    20,000 rows): the pairs go to the database as one JSON array, read back as rows by the
    database's JSON table function, and every other column is one bound value, so the
    statement and its parameters do not grow with the rows (no executemany, no row of
    parameters per event). The same events `record` would write, in the pairs' order;
    returns how many."""
    pairs = [[object_id, child_id] for object_id, child_id in objects]
    if not pairs:
        return 0
    table = AuditEvent.__table__
    c = table.c
    object_col: sa.ColumnElement[Any]
    child_col: sa.ColumnElement[Any]
    if db.session.get_bind().dialect.name == "postgresql":
        rows = (
            sa.func.json_array_elements(sa.literal(pairs, postgresql.JSON))
            .table_valued("value", with_ordinality="ordinal")
            .render_derived()
        )
        object_col = sa.cast(rows.c.value.op("->>")(0), sa.BigInteger)
        child_col = sa.cast(rows.c.value.op("->>")(1), sa.BigInteger)
        order = rows.c.ordinal
    else:  # SQLite
        rows = sa.func.json_each(json.dumps(pairs)).table_valued("key", "value")
        object_col = sa.func.json_extract(rows.c.value, "$[0]")
        child_col = sa.func.json_extract(rows.c.value, "$[1]")
        order = rows.c.key
    in_request = has_request_context()
    source = sa.select(
        sa.literal(utcnow(), c.occurred_at.type),
        sa.literal(_actor_id(), c.user_id.type),
        sa.literal(action, c.action.type),
        sa.literal(object_type, c.object_type.type),
        object_col,
        child_col,
        sa.literal(Outcome.OK, c.outcome.type),
        sa.literal(request.remote_addr if in_request else None, c.remote_addr.type),
        sa.literal(details, c.details.type),
    ).order_by(order)
    columns = ["occurred_at", "user_id", "action", "object_type", "object_id", "child_id"]
    columns += ["outcome", "remote_addr", "details"]
    db.session.execute(sa.insert(table).from_select(columns, source))  # type: ignore[arg-type]
    return len(pairs)


def refused(
    action: str,
    object_type: str,
    object_id: int | None = None,
    *,
    outcome: Outcome = Outcome.DENIED,
    child_id: int | None = None,
    **details: Any,
) -> None:
    """Record a refused attempt; written when the request ends, whatever its answer."""
    event = _event(action, object_type, object_id, child_id, outcome, details)
    if has_request_context():
        g.setdefault("audit_refusals", []).append(event)
    else:
        db.session.add(event)


def write_refusals(*, commit: bool) -> None:
    """Called by the app at the end of a request: add the refusals kept aside to the
    session, and commit them on their own after an error response's rollback."""
    events = g.pop("audit_refusals", [])
    if events:
        db.session.add_all(events)
        if commit:
            db.session.commit()
