"""The coordinator's preview of the next retention run: how many children it erases per
institution, and the names of those the viewer may see."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from screening.children.models import Child
from screening.core import audit
from screening.core.access import require
from screening.core.extensions import db
from screening.core.policy import Action, can
from screening.core.time import local_today
from screening.org.models import Institution
from screening.retention import services as svc

bp = Blueprint("retention", __name__)


@bp.route("/retention")
def preview() -> ResponseReturnValue:
    require(Action.PREVIEW_ERASURE)
    today = local_today()
    pol = svc.policy()
    due = svc.due_for_erasure(today, pol)
    by_institution = svc.preview(due)
    names = dict(
        db.session.execute(
            sa.select(Institution.id, Institution.name).where(
                Institution.id.in_([i for i in by_institution if i is not None])
            )
        ).all()
    )
    children = {
        c.id: c
        for c in db.session.scalars(sa.select(Child).where(Child.id.in_([d.child_id for d in due])))
    }
    rows = []
    for inst_id, items in sorted(by_institution.items(), key=lambda kv: names.get(kv[0] or 0, "")):
        visible = sorted(
            (
                children[d.child_id]
                for d in items
                if can(current_user, Action.VIEW_CHILD, children[d.child_id])
            ),
            key=lambda c: (c.last_name, c.first_name),
        )
        rows.append(
            {
                "institution": names.get(inst_id) if inst_id is not None else None,
                "count": len(items),
                "left": sum(d.rule == svc.LEFT for d in items),
                "unconcerned": sum(d.rule == svc.UNCONCERNED for d in items),
                "children": visible,
            }
        )
    audit.record("retention.preview", "app", count=len(due))
    return render_template("retention/preview.html", rows=rows, total=len(due), policy=pol)
