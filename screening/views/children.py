"""Browsing: institution → group (stue) → child."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy.orm import selectinload

from screening import audit
from screening.access import load
from screening.extensions import db
from screening.models import Child, ChildGuardian, Group, GroupMembership, Institution
from screening.policy import Action, can, visible_institution_ids
from screening.services.action_paths import active_consents, open_path_for
from screening.services.assessments import (
    instrument_for_child,
    joint_for,
    latest_agreed,
    open_rounds_for,
    own_assessment,
)

bp = Blueprint("children", __name__)


@bp.route("/institutions")
def institutions():
    ids = visible_institution_ids(current_user, Action.LIST_CHILDREN)
    stmt = sa.select(Institution).where(Institution.active.is_(True)).order_by(Institution.name)
    if ids is not None:
        stmt = stmt.where(Institution.id.in_(ids))
    rows = db.session.scalars(stmt).all()
    counts = _child_counts_by(Group.institution_id, [i.id for i in rows])
    return render_template("children/institutions.html", institutions=rows, counts=counts)


@bp.route("/institutions/<int:institution_id>")
def institution(institution_id: int):
    inst = load(Institution, institution_id, Action.LIST_CHILDREN)
    groups = [g for g in inst.groups if g.active]
    counts = _child_counts_by(GroupMembership.group_id, [g.id for g in groups])
    audit.record("institution.view", "institution", inst.id)
    return render_template(
        "children/institution.html", institution=inst, groups=groups, counts=counts
    )


@bp.route("/groups/<int:group_id>")
def group(group_id: int):
    grp = load(Group, group_id, Action.LIST_CHILDREN)
    children = db.session.scalars(
        sa.select(Child)
        .join(GroupMembership)
        .where(GroupMembership.group_id == grp.id, GroupMembership.end_date.is_(None))
        .order_by(Child.first_name, Child.last_name)
    ).all()
    audit.record("group.list_children", "group", grp.id, count=len(children))
    return render_template("children/group.html", group=grp, children=children, today=date.today())


@bp.route("/children/<int:child_id>")
def child(child_id: int):
    kid = load(Child, child_id, Action.VIEW_CHILD)
    memberships = db.session.scalars(
        sa.select(GroupMembership)
        .where(GroupMembership.child_id == kid.id)
        .options(selectinload(GroupMembership.group).selectinload(Group.institution))
        .order_by(GroupMembership.start_date.desc())
    ).all()
    guardians = []
    if can(current_user, Action.VIEW_GUARDIANS, kid):
        guardians = db.session.scalars(
            sa.select(ChildGuardian)
            .where(ChildGuardian.child_id == kid.id)
            .options(selectinload(ChildGuardian.guardian))
            .order_by(ChildGuardian.id)
        ).all()
    rounds = []
    latest_joint = None
    if can(current_user, Action.VIEW_ASSESSMENTS, kid):
        group = kid.current_group
        for round_ in open_rounds_for(group.institution_id) if group else []:
            own = own_assessment(round_.id, kid.id, current_user.id)
            rounds.append(
                {
                    "round": round_,
                    "instrument": instrument_for_child(round_, kid),
                    "own": own,
                    "joint": joint_for(round_.id, kid.id),
                }
            )
        latest_joint = latest_agreed(kid.id)
    audit.record("child.view", "child", kid.id, child_id=kid.id)
    return render_template(
        "children/child.html",
        child=kid,
        memberships=memberships,
        guardians=guardians,
        show_protected=can(current_user, Action.VIEW_PROTECTED_ADDRESS, kid),
        today=date.today(),
        rounds=rounds,
        latest_joint=latest_joint,
        open_path=open_path_for(kid.id) if can(current_user, Action.VIEW_PATHS, kid) else None,
        consents=active_consents(kid.id, date.today())
        if can(current_user, Action.VIEW_PATHS, kid) and guardians
        else [],
    )


def _child_counts_by(column, keys: list[int]) -> dict[int, int]:
    if not keys:
        return {}
    rows = db.session.execute(
        sa.select(column, sa.func.count(GroupMembership.child_id))
        .select_from(GroupMembership)
        .join(Group, Group.id == GroupMembership.group_id)
        .where(GroupMembership.end_date.is_(None), column.in_(keys))
        .group_by(column)
    ).all()
    return dict(rows)
