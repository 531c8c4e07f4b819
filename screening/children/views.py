"""The start page (each role is sent to where its work begins) and browsing: institution →
group (stue) → child."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import selectinload

from screening.accounts.models import Role
from screening.assessments.services import (
    instrument_for_child,
    joint_for,
    latest_agreed,
    own_assessment,
)
from screening.children.models import Child, ChildGuardian, GroupMembership
from screening.core import audit
from screening.core.access import load
from screening.core.extensions import db
from screening.core.policy import (
    INVITED_ROLES,
    Action,
    can,
    invited_children,
    visible_institution_ids,
)
from screening.org.models import Group, Institution
from screening.paths.services import active_consents, open_path_for
from screening.rounds.services import open_rounds_for

bp = Blueprint("children", __name__)


@bp.route("/")
def index() -> ResponseReturnValue:
    if current_user.has_role(Role.COORDINATOR):  # the key-figures dashboard (nøgletal)
        return redirect(url_for("figures.latest"))
    if can(current_user, Action.LIST_CHILDREN):
        return redirect(url_for("children.institutions"))
    if can(current_user, Action.MANAGE_USERS) or can(current_user, Action.MANAGE_INSTITUTIONS):
        return redirect(url_for("org.index"))
    invited: list[Child] = []
    if current_user.has_role(*INVITED_ROLES):
        invited = list(
            db.session.scalars(
                sa.select(Child)
                .where(Child.id.in_(invited_children(current_user)))
                .order_by(Child.first_name, Child.last_name)
            )
        )
        audit.record("child.list_invited", "user", current_user.id, count=len(invited))
    return render_template("children/index.html", invited=invited)


@bp.route("/institutions")
def institutions() -> ResponseReturnValue:
    ids = visible_institution_ids(current_user, Action.LIST_CHILDREN)
    stmt = sa.select(Institution).where(Institution.active.is_(True)).order_by(Institution.name)
    if ids is not None:
        stmt = stmt.where(Institution.id.in_(ids))
    rows = db.session.scalars(stmt).all()
    counts = _child_counts_by(Group.institution_id, [i.id for i in rows])
    return render_template("children/institutions.html", institutions=rows, counts=counts)


@bp.route("/institutions/<int:institution_id>")
def institution(institution_id: int) -> ResponseReturnValue:
    inst = load(Institution, institution_id, Action.LIST_CHILDREN)
    groups = [g for g in inst.groups if g.active]
    counts = _child_counts_by(GroupMembership.group_id, [g.id for g in groups])
    audit.record("institution.view", "institution", inst.id)
    return render_template(
        "children/institution.html", institution=inst, groups=groups, counts=counts
    )


@bp.route("/groups/<int:group_id>")
def group(group_id: int) -> ResponseReturnValue:
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
def child(child_id: int) -> ResponseReturnValue:
    kid = load(Child, child_id, Action.VIEW_CHILD)
    memberships = db.session.scalars(
        sa.select(GroupMembership)
        .where(GroupMembership.child_id == kid.id)
        .options(selectinload(GroupMembership.group).selectinload(Group.institution))
        .order_by(GroupMembership.start_date.desc())
    ).all()
    guardians: Sequence[ChildGuardian] = []
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


def _child_counts_by(column: Any, keys: list[int]) -> dict[int, int]:
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
