"""Delegates: the users an institution lets record joint assessments, and the staff to
choose them from.

State changes flush and never commit. Nothing here reads the request.
"""

from __future__ import annotations

import sqlalchemy as sa

from screening.accounts.models import User, user_institution
from screening.assessments.models import JointDelegate
from screening.core.extensions import db
from screening.core.policy import forget_delegations
from screening.org.models import Institution


def institution_staff(inst: Institution) -> list[User]:
    """The institution's active users, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(user_institution, user_institution.c.user_id == User.id)
            .where(user_institution.c.institution_id == inst.id, User.active.is_(True))
            .order_by(User.name)
        )
    )


def delegates_of(inst: Institution) -> list[JointDelegate]:
    return list(
        db.session.scalars(sa.select(JointDelegate).where(JointDelegate.institution_id == inst.id))
    )


def add_delegate(inst: Institution, user_id: int, by: User) -> JointDelegate:
    """Let a user record joint assessments for the institution."""
    row = JointDelegate(institution_id=inst.id, user_id=user_id, granted_by_id=by.id)
    db.session.add(row)
    db.session.flush()
    _changed(user_id)
    return row


def remove_delegate(row: JointDelegate) -> None:
    db.session.delete(row)
    db.session.flush()
    _changed(row.user_id)


def _changed(user_id: int) -> None:
    """The user's delegations changed: a loaded copy of them (e.g. the signed-in user) asks
    the database on its next joint-assessment question."""
    loaded = db.session.identity_map.get(sa.orm.util.identity_key(User, user_id))
    if isinstance(loaded, User):
        forget_delegations(loaded)
