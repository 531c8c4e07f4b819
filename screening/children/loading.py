"""A child read with its groups in one query, before `screening.core.access.load` asks the
policy about it: the policy's look-up of the child's current group (and a page's group
names) then find the memberships and groups loaded, where lazy loads would ask three
queries (the child, its memberships, the group)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from screening.children.models import Child, GroupMembership
from screening.core.extensions import db
from screening.org.models import Group

_WITH_GROUPS = (
    sa.select(Child)
    .where(Child.id == sa.bindparam("child_id"))
    .options(joinedload(Child.memberships).joinedload(GroupMembership.group))
)

_WITH_INSTITUTIONS = (
    sa.select(Child)
    .where(Child.id == sa.bindparam("child_id"))
    .options(
        joinedload(Child.memberships)
        .joinedload(GroupMembership.group)
        .joinedload(Group.institution)
    )
)


def with_groups(child_id: int, *, institutions: bool = False) -> list[Child]:
    """The child (none if there is no such id) with its memberships (in the relationship's
    order), their groups and, with `institutions`, the groups' institutions. Keep the
    result while the child is looked up: the session holds its objects weakly."""
    stmt = _WITH_INSTITUTIONS if institutions else _WITH_GROUPS
    return list(db.session.scalars(stmt, {"child_id": child_id}).unique())
