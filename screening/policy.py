"""Authorization, answered in one place: may this user do this action to this object?

Views never test roles themselves. They ask `can(user, action, obj)` or use the loaders in
`screening.access`, which also turn "not visible" into 404 so that a user cannot learn
that a child of another institution exists.

Roles (DOMAIN.md) and what they are granted:

* educator (pædagog) and leader (leder): children of their own institutions; only the
  leader sees a protected guardian address (needed to send that guardian's own letters).
* health visitor (sundhedsplejerske): children of the institutions assigned to them.
* dental staff (tandplejen): find children of assigned institutions and add observations,
  without reading assessments or guardians.
* coordinator (koordinator): every institution; rounds and key figures.
* PPR and social workers: nothing by default; later access follows meeting invitations.
* admin: users, institutions, groups and roster import, but no child data.
"""

from __future__ import annotations

import enum

import sqlalchemy as sa

from screening.models import Child, Group, GroupMembership, Institution, Role, User


class Action(enum.StrEnum):
    LIST_CHILDREN = "list_children"  # an institution's groups and children
    VIEW_CHILD = "view_child"  # name, birth date, group history
    VIEW_GUARDIANS = "view_guardians"  # guardians' names and contact details
    VIEW_PROTECTED_ADDRESS = "view_protected_address"
    ADD_OBSERVATION = "add_observation"
    VIEW_ASSESSMENTS = "view_assessments"
    MANAGE_ROUNDS = "manage_rounds"
    MANAGE_SETTINGS = "manage_settings"  # municipality name, colour labels, retention
    MANAGE_USERS = "manage_users"
    MANAGE_INSTITUTIONS = "manage_institutions"
    IMPORT_ROSTER = "import_roster"


A = Action

# Actions each role may take on objects within its institutions.
SCOPED_GRANTS: dict[Role, frozenset[Action]] = {
    Role.EDUCATOR: frozenset(
        {A.LIST_CHILDREN, A.VIEW_CHILD, A.VIEW_GUARDIANS, A.ADD_OBSERVATION, A.VIEW_ASSESSMENTS}
    ),
    Role.LEADER: frozenset(
        {
            A.LIST_CHILDREN,
            A.VIEW_CHILD,
            A.VIEW_GUARDIANS,
            A.VIEW_PROTECTED_ADDRESS,
            A.ADD_OBSERVATION,
            A.VIEW_ASSESSMENTS,
        }
    ),
    Role.HEALTH_VISITOR: frozenset(
        {A.LIST_CHILDREN, A.VIEW_CHILD, A.VIEW_GUARDIANS, A.ADD_OBSERVATION, A.VIEW_ASSESSMENTS}
    ),
    Role.DENTAL: frozenset({A.LIST_CHILDREN, A.VIEW_CHILD, A.ADD_OBSERVATION}),
}

# Actions each role may take everywhere in the municipality.
GLOBAL_GRANTS: dict[Role, frozenset[Action]] = {
    Role.COORDINATOR: frozenset(
        {
            A.LIST_CHILDREN,
            A.VIEW_CHILD,
            A.VIEW_GUARDIANS,
            A.VIEW_ASSESSMENTS,
            A.MANAGE_ROUNDS,
            A.MANAGE_SETTINGS,
        }
    ),
    Role.ADMIN: frozenset({A.MANAGE_USERS, A.MANAGE_INSTITUTIONS, A.IMPORT_ROSTER}),
}

# Actions that are about no particular object.
UNSCOPED_ACTIONS = frozenset(
    {A.MANAGE_ROUNDS, A.MANAGE_SETTINGS, A.MANAGE_USERS, A.MANAGE_INSTITUTIONS, A.IMPORT_ROSTER}
)


def _global(user: User, action: Action) -> bool:
    return any(action in GLOBAL_GRANTS.get(role, ()) for role in user.roles)


def _scoped(user: User, action: Action) -> bool:
    return any(action in SCOPED_GRANTS.get(role, ()) for role in user.roles)


def institution_of(obj) -> int | None:
    """The institution an object belongs to, for scoping."""
    if isinstance(obj, Institution):
        return obj.id
    if isinstance(obj, Group):
        return obj.institution_id
    if isinstance(obj, Child):
        group = obj.current_group
        return group.institution_id if group else None
    raise TypeError(f"no institution scope for {type(obj).__name__}")


def can(user: User | None, action: Action, obj=None) -> bool:
    """May `user` do `action` to `obj` (or in general, when `obj` is None)?"""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if _global(user, action):
        return True
    if not _scoped(user, action):
        return False
    if obj is None:
        # "Somewhere": the user holds the grant for at least one institution.
        return bool(user.institution_ids)
    inst = institution_of(obj)
    return inst is not None and inst in user.institution_ids


def visible_institution_ids(user: User, action: Action = Action.LIST_CHILDREN) -> list[int] | None:
    """Institutions where the user may do `action`; None means all of them."""
    if _global(user, action):
        return None
    if _scoped(user, action):
        return sorted(user.institution_ids)
    return []


def visible_children(user: User, action: Action = Action.VIEW_CHILD) -> sa.Select:
    """A query for the children the user may act on, by current group membership."""
    stmt = (
        sa.select(Child)
        .join(
            GroupMembership,
            sa.and_(GroupMembership.child_id == Child.id, GroupMembership.end_date.is_(None)),
        )
        .join(Group, Group.id == GroupMembership.group_id)
    )
    ids = visible_institution_ids(user, action)
    if ids is None:
        return stmt
    return stmt.where(Group.institution_id.in_(ids))
