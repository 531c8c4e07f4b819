"""Load, then authorize: the loaders views use to fetch an object they may act on.

An object the user may not see answers 404, exactly like an id that does not exist, so
guessing ids reveals nothing. An object the user may see but not act on answers 403.
Every refusal is written to the audit trail. The questions are answered by the policy.
"""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

from flask import abort
from flask_login import current_user

from screening.core import audit
from screening.core.extensions import db
from screening.core.models import Outcome
from screening.core.policy import Action, can, can_see, child_of

T = TypeVar("T")

# The audit trail's name for each kind of object (the table name, except for a few).
_OBJECT_TYPES = {
    "child_group": "group",
    "screening_round": "round",
    "observation": "observation",
}


def object_type(obj_or_model: Any) -> str:
    """The audit trail's name for an object's kind, e.g. "child", "action_path"."""
    table = str(obj_or_model.__tablename__)
    return _OBJECT_TYPES.get(table, table)


def _child_id(obj: Any) -> int | None:
    if object_type(obj) == "child":
        return int(obj.id)
    child = child_of(obj)
    if child is not None:
        return int(child.id)
    child_id = getattr(obj, "child_id", None)
    return int(child_id) if child_id is not None else None


def load(model: type[T], object_id: int, action: Action, *, audited_as: str | None = None) -> T:
    """Fetch `model` by id for `action`, or abort with 404 (not visible) / 403.

    `audited_as` names the refusal in the audit trail (default: the action)."""
    obj = db.session.get(model, object_id)
    name = audited_as or action
    if obj is None or not can_see(current_user, obj):
        audit.refused(
            name,
            object_type(model),
            object_id,
            outcome=Outcome.NOT_FOUND,
            child_id=_child_id(obj) if obj is not None else None,
        )
        abort(404)
    authorize(obj, action, audited_as=audited_as)
    return obj


def authorize(obj: Any, action: Action, *, audited_as: str | None = None) -> None:
    """For an object already loaded (and visible): 403 unless the user may do `action`."""
    if not can(current_user, action, obj):
        audit.refused(audited_as or action, object_type(obj), obj.id, child_id=_child_id(obj))
        abort(403)


def require(action: Action) -> None:
    """For actions on no particular object (e.g. manage users): 403 unless granted."""
    if not can(current_user, action):
        audit.refused(action, "app")
        abort(403)


def not_found() -> NoReturn:
    abort(404)
