"""Load, then authorize: loaders that views use to fetch an object they may act on.

An object the user may not see answers 404, exactly like an id that does not exist, so
guessing ids reveals nothing. An object the user may see but not act on answers 403.
Every refusal is written to the audit trail.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from screening import audit
from screening.extensions import db
from screening.models import Child, Group, Institution, Outcome
from screening.policy import Action, can

_VISIBILITY = {
    Child: ("child", Action.VIEW_CHILD),
    Group: ("group", Action.LIST_CHILDREN),
    Institution: ("institution", Action.LIST_CHILDREN),
}


def load(model, object_id: int, action: Action):
    """Fetch `model` by id for `action`, or abort with 404 (not visible) / 403."""
    object_type, see = _VISIBILITY[model]
    obj = db.session.get(model, object_id)
    child_id = object_id if model is Child else None
    if obj is None or not can(current_user, see, obj):
        audit.refused(
            action,
            object_type,
            object_id,
            outcome=Outcome.NOT_FOUND,
            child_id=child_id if obj is not None else None,
        )
        abort(404)
    if not can(current_user, action, obj):
        audit.refused(action, object_type, object_id, child_id=child_id)
        abort(403)
    return obj


def require(action: Action) -> None:
    """For actions on no particular object (e.g. manage users): 403 unless granted."""
    if not can(current_user, action):
        audit.refused(action, "app")
        abort(403)
