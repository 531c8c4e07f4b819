"""The policy's set-based answers agree with its per-object answer: for every user of a
generated town (every role), every child (those who have left included) and every action
`permitted_child_ids` answers, the ids it gives are exactly the children `can` allows. And
the offline pack, which asks the policy as sets, holds exactly the children `can` lets the
user assess or observe, with a round entry only for those the user may assess."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from benchmarks.municipality import Scale, build
from screening.accounts.models import Role, User
from screening.children.models import Child
from screening.core.extensions import db
from screening.core.policy import (
    NOT_SET_BASED,
    Action,
    assessable_child_ids,
    can,
    permitted_child_ids,
    permitted_institutions_only,
)
from screening.core.time import local_today
from screening.offline.pack import offline_pack

TOWN = Scale(institutions=2, groups_per_institution=2, children=24, rounds=3, paths=10)


@pytest.fixture
def town(app, catalogue):
    summary = build(db.session, TOWN)
    db.session.commit()
    users = db.session.scalars(sa.select(User).order_by(User.id)).all()
    # An inactive educator: no answer but "no" from either side.
    inactive = next(u for u in users if u.has_role(Role.EDUCATOR))
    inactive.active = False
    db.session.commit()
    children = db.session.scalars(sa.select(Child).order_by(Child.id)).all()
    return summary, users, children


def test_permitted_child_ids_gives_what_can_gives_for_every_child_role_and_action(town):
    _summary, users, children = town
    assert {r for u in users for r in u.roles} == set(Role)
    allowed_somewhere = set()
    for user in users:
        for action in Action:
            if action in NOT_SET_BASED:
                with pytest.raises(ValueError, match="decided per object"):
                    permitted_child_ids(user, action)
                continue
            by_set = set(db.session.scalars(permitted_child_ids(user, action)))
            one_by_one = {c.id for c in children if can(user, action, c)}
            assert by_set == one_by_one, (user.email, action, by_set ^ one_by_one)
            if by_set:
                allowed_somewhere.update((role, action) for role in user.roles)
        assert set(db.session.scalars(assessable_child_ids(user))) == {
            c.id for c in children if can(user, Action.ASSESS, c)
        }
    # The comparison is not vacuous: the named roles reach children, the invited ones too
    # (PPR through the town's meetings), and the coordinator its named children.
    reached = {role for role, _action in allowed_somewhere}
    assert {Role.EDUCATOR, Role.LEADER, Role.HEALTH_VISITOR, Role.DENTAL, Role.PPR} <= reached
    assert (Role.COORDINATOR, Action.VIEW_CHILD) in allowed_somewhere
    assert permitted_child_ids(None, Action.VIEW_CHILD) is not None
    assert list(db.session.scalars(permitted_child_ids(None, Action.VIEW_CHILD))) == []


def test_the_offline_pack_holds_the_children_can_allows(town):
    _summary, users, children = town
    checked = 0
    for user in users:
        data = offline_pack(user, local_today())
        assess = {c.id for c in children if can(user, Action.ASSESS, c)}
        observe = {c.id for c in children if can(user, Action.ADD_OBSERVATION, c)}
        in_pack = [c["id"] for c in data["children"]]
        assert len(in_pack) == len(set(in_pack)), user.email
        assert set(in_pack) == assess | observe, user.email
        for round_entry in data["rounds"]:
            entered = {e["child_id"] for e in round_entry["children"]}
            assert entered <= assess, (user.email, entered - assess)
        checked += len(in_pack)
    assert checked > 0


def test_the_institutions_only_answer_is_given_only_when_they_are_the_whole_set(town):
    """Where `permitted_institutions_only` names institutions, the children `can` allows
    are exactly those currently in them; it answers None whenever the set reaches further
    (invitations, a coordinator's named children, a municipality-wide grant)."""
    _summary, users, children = town
    named, beyond = set(), set()
    for user in users:
        for action in Action:
            if action in NOT_SET_BASED:
                with pytest.raises(ValueError, match="decided per object"):
                    permitted_institutions_only(user, action)
                continue
            ids = permitted_institutions_only(user, action)
            if ids is None:
                beyond.update(user.roles)
                continue
            one_by_one = {c.id for c in children if can(user, action, c)}
            current = {
                c.id
                for c in children
                if c.current_group is not None and c.current_group.institution_id in ids
            }
            assert one_by_one == current, (user.email, action, one_by_one ^ current)
            if ids:
                named.update(user.roles)
    assert {Role.EDUCATOR, Role.LEADER, Role.HEALTH_VISITOR, Role.DENTAL} <= named
    assert {Role.PPR, Role.COORDINATOR} <= beyond
    assert permitted_institutions_only(None, Action.VIEW_CHILD) == []
