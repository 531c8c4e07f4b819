"""The start page (each role is sent to where its work begins) and browsing: institution →
group (stue) → child."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import joinedload

from forms.children import ChildSearchForm
from screening.accounts.models import Role
from screening.assessments.models import Assessment
from screening.catalogue.services import instrument_for
from screening.children import home as homes
from screening.children import loading
from screening.children import overview as overviews
from screening.children.languages import language_name
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
from screening.core.time import local_today
from screening.core.urls import query_id
from screening.documents.common import document_language, letterhead
from screening.org.models import Group, Institution
from screening.paths.meetings import active_consents
from screening.paths.services import open_path_for
from screening.reminders import services as reminders
from screening.rounds.models import RoundStatus, ScreeningRound
from screening.rounds.services import open_rounds_for

bp = Blueprint("children", __name__)


# Roles whose work is with the children of their own institutions: their start page is the
# home page ("I dag").
HOME_ROLES = (Role.EDUCATOR, Role.LEADER, Role.HEALTH_VISITOR, Role.DENTAL)


@bp.route("/")
def index() -> ResponseReturnValue:
    if current_user.has_role(*HOME_ROLES) and current_user.institution_ids:
        return _home()
    if current_user.has_role(Role.COORDINATOR):
        # The coordinator's home is the key-figures dashboard, where it exists.
        if "figures.latest" in current_app.view_functions:
            return redirect(url_for("figures.latest"))
        if can(current_user, Action.LIST_CHILDREN):
            return redirect(url_for("children.institutions"))
    if can(current_user, Action.LIST_CHILDREN):
        return redirect(url_for("children.institutions"))
    if can(current_user, Action.MANAGE_USERS) or can(current_user, Action.MANAGE_INSTITUTIONS):
        return redirect(url_for("org.index"))
    invited: list[Child] = []
    meetings: list[Any] = []
    if current_user.has_role(*INVITED_ROLES):
        invited = list(
            db.session.scalars(
                sa.select(Child)
                .where(Child.id.in_(invited_children(current_user)))
                .order_by(Child.first_name, Child.last_name)
            )
        )
        meetings = homes.invited_meetings(current_user, datetime.now(UTC))
        audit.record("child.list_invited", "user", current_user.id, count=len(invited))
    return render_template("children/index.html", invited=invited, meetings=meetings)


def _home() -> ResponseReturnValue:
    today = local_today()
    data = homes.home(current_user, today, datetime.now(UTC))
    audit.record(
        "home.view",
        "user",
        current_user.id,
        drafts=len(data.drafts),
        meetings=len(data.meetings),
    )
    # The reminders not yet read (a count per day, no child named), on top of the page.
    unread = [n for n in reminders.recent(int(current_user.id), limit=3) if not n.read_at]
    return render_template(
        "children/home.html",
        home=data,
        statuses=homes.STATUSES,
        today=today,
        notifications=unread,
    )


# What each list of the home page is, for its heading.
LISTS = frozenset({*homes.STATUSES, "my_steps", "overdue_steps", "parents_not_informed", "stalled"})


@bp.route("/today/<kind>")
def today_list(kind: str) -> ResponseReturnValue:
    """The list behind one count of the home page, over the children the reader may see."""
    if kind not in LISTS or not current_user.has_role(*HOME_ROLES):
        abort(404)
    today = local_today()
    context: dict[str, Any] = {"kind": kind, "today": today}
    if kind in homes.STATUSES:
        round_ = db.session.get(ScreeningRound, query_id("round") or 0)
        if round_ is None or round_ not in homes.open_rounds(current_user):
            abort(404)
        group_id = query_id("group")
        if group_id is None and request.args.get("group", "").lstrip("-").isdigit():
            abort(404)  # a number beyond any id (or negative) is a group that does not exist
        group = None
        if group_id is not None:
            group = load(Group, group_id, Action.VIEW_ASSESSMENTS)
        rows = homes.status_children(current_user, round_, kind, group_id)
        # What the reader may do, once per group (not per child).
        groups = {g.id: g for _, g in rows}
        may = {
            gid: (can(current_user, Action.RECORD_JOINT, g), can(current_user, Action.ASSESS, g))
            for gid, g in groups.items()
        }
        context.update(round=round_, group=group, children=rows, may=may)
        count = len(rows)
    elif kind in ("my_steps", "overdue_steps"):
        if not can(current_user, Action.MANAGE_PATHS):
            abort(404)
        found = homes.steps(current_user, "mine" if kind == "my_steps" else "overdue", today)
        context["steps"] = sorted(found, key=lambda s: (not s.overdue(today), s.due_on, s.id))
        count = len(found)
    elif kind == "parents_not_informed":
        if not can(current_user, Action.RECORD_JOINT):
            abort(404)
        context["joints"] = homes.parents_not_informed(current_user)
        count = len(context["joints"])
    else:
        if not can(current_user, Action.VIEW_MOMENTUM):
            abort(404)
        context["paths"] = [
            (p, (today - p.opened_on).days) for p in homes.stalled(current_user, today)
        ]
        count = len(context["paths"])
    audit.record("home.list", "user", current_user.id, kind=kind, count=count)
    return render_template("children/home_list.html", **context)


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


class ChildRow(NamedTuple):
    """A child as the group's list shows it: only what it prints."""

    id: int
    full_name: str
    birth_date: date
    age_months: int


# The group's children, as columns (the list builds no Child objects).
_GROUP_CHILDREN = (
    sa.select(Child.id, Child.first_name, Child.last_name, Child.birth_date)
    .join(GroupMembership)
    .where(GroupMembership.group_id == sa.bindparam("group_id"), GroupMembership.end_date.is_(None))
    .order_by(Child.first_name, Child.last_name)
)


def _age_months(born: date, on: date) -> int:
    """As `Child.age_in_months`."""
    months = (on.year - born.year) * 12 + (on.month - born.month)
    return months - 1 if on.day < born.day else months


@bp.route("/groups/<int:group_id>")
def group(group_id: int) -> ResponseReturnValue:
    grp = load(Group, group_id, Action.LIST_CHILDREN)
    today = local_today()
    children = [
        ChildRow(cid, f"{first} {last}", born, _age_months(born, today))
        for cid, first, last, born in db.session.execute(_GROUP_CHILDREN, {"group_id": grp.id})
    ]
    audit.record("group.list_children", "group", grp.id, count=len(children))
    # A link per child: the URL is built once and the id put in (the same URL `url_for`
    # builds for each, at a fraction of the cost in a list of 50).
    child_url = url_for("children.child", child_id=0)[:-1]
    return render_template(
        "children/group.html", group=grp, children=children, today=today, child_url=child_url
    )


# The child's guardians with their guardian rows, in one query.
_GUARDIANS = (
    sa.select(ChildGuardian)
    .where(ChildGuardian.child_id == sa.bindparam("child_id"))
    .options(joinedload(ChildGuardian.guardian))
    .order_by(ChildGuardian.id)
)

# The user's own assessments of the child in some rounds.
_OWN_ASSESSMENTS = sa.select(Assessment).where(
    Assessment.round_id.in_(sa.bindparam("round_ids", expanding=True)),
    Assessment.child_id == sa.bindparam("child_id"),
    Assessment.assessor_id == sa.bindparam("user_id"),
)


class _May(dict[Action, bool]):
    """What the user may do to one object, each action asked of the policy once, when it
    is first needed (a page asks the same question in several places)."""

    def __init__(self, obj: Any) -> None:
        super().__init__()
        self.obj = obj

    def __missing__(self, action: Action) -> bool:
        self[action] = answer = can(current_user, action, self.obj)
        return answer


@bp.route("/children/<int:child_id>")
def child(child_id: int) -> ResponseReturnValue:
    # The group history with its groups and institutions, in one query.
    preloaded = loading.with_groups(child_id, institutions=True)
    kid = load(Child, child_id, Action.VIEW_CHILD)
    del preloaded
    may = _May(kid)
    memberships = kid.memberships
    guardians: Sequence[ChildGuardian] = []
    if may[Action.VIEW_GUARDIANS]:
        guardians = db.session.scalars(_GUARDIANS, {"child_id": kid.id}).all()
    rounds = []
    latest_joint = None
    development: list[overviews.RoundPositions] = []
    if may[Action.VIEW_ASSESSMENTS]:
        group = kid.current_group
        # The open rounds that cover the child's institution (so each covers the child's
        # group: `instrument_for_child` without asking again).
        open_rounds = open_rounds_for(group.institution_id) if group else []
        own = {}
        if open_rounds:
            own = {
                a.round_id: a
                for a in db.session.scalars(
                    _OWN_ASSESSMENTS,
                    {
                        "round_ids": [r.id for r in open_rounds],
                        "child_id": kid.id,
                        "user_id": current_user.id,
                    },
                )
            }
        agreed = overviews.agreed_rows(kid.id)
        joints = {j.round_id: j for j in agreed}
        for round_ in open_rounds:
            rounds.append(
                {
                    "round": round_,
                    "instrument": instrument_for(round_, kid.age_in_months(round_.reference_date)),
                    "own": own.get(round_.id),
                    "joint": joints.get(round_.id),
                }
            )
        # The latest round's agreed position (the rows are oldest first).
        latest_joint = agreed[-1] if agreed else None
        development = overviews.development(kid, agreed)
    audit.record("child.view", "child", kid.id, child_id=kid.id)
    today = local_today()
    return render_template(
        "children/child.html",
        child=kid,
        may=may,
        memberships=memberships,
        guardians=guardians,
        show_protected=may[Action.VIEW_PROTECTED_ADDRESS],
        today=today,
        rounds=rounds,
        latest_joint=latest_joint,
        development=development,
        areas=overviews.AREAS,
        language_name=language_name,
        open_path=open_path_for(kid.id) if may[Action.VIEW_PATHS] else None,
        consents=active_consents(kid.id, today) if may[Action.VIEW_PATHS] and guardians else [],
    )


def _overview(round_id: int, group_id: int) -> overviews.GroupOverview:
    round_ = db.get_or_404(ScreeningRound, round_id)
    grp = load(Group, group_id, Action.VIEW_ASSESSMENTS)
    if not round_.covers(grp.institution_id) or round_.status == RoundStatus.PLANNED:
        abort(404)
    return overviews.group_overview(current_user, round_, grp)


@bp.route("/rounds/<int:round_id>/groups/<int:group_id>/overview")
def group_overview(round_id: int, group_id: int) -> ResponseReturnValue:
    """The group overview (trafiklys): positions overall and per area, now and before."""
    data = _overview(round_id, group_id)
    audit.record(
        "round.group_overview", "group", data.group.id, round_id=data.round.id, count=len(data.rows)
    )
    return render_template("children/overview.html", overview=data, areas=overviews.AREAS)


@bp.route("/rounds/<int:round_id>/groups/<int:group_id>/overview.pdf")
def group_overview_pdf(round_id: int, group_id: int) -> ResponseReturnValue:
    data = _overview(round_id, group_id)
    from reports.group_overview import group_overview as group_overview_document  # ReportLab

    lh = letterhead(local_today(), current_app.config.get("MUNICIPALITY_LOGO"), document_language())
    content = group_overview_document(lh, overviews.pdf_data(data))
    audit.record(
        "pdf.download", "group", data.group.id, document="group_overview", round_id=data.round.id
    )
    return send_file(
        io.BytesIO(content),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"trafiklys-{data.round.id}-{data.group.id}.pdf",
        max_age=0,
    )


@bp.app_context_processor
def search_form() -> dict[str, Any]:
    """The search in the page header, for everyone who may see any child by name."""
    if not current_user.is_authenticated:
        return {}
    if not (
        can(current_user, Action.VIEW_CHILD)
        or current_user.has_role(Role.COORDINATOR, *INVITED_ROLES)
    ):
        return {}
    # `base.html` draws the form's fields as plain HTML (`ChildSearchForm`, prefix "search").
    return {"header_search": True}


@bp.route("/search", methods=["GET", "POST"])
def search() -> ResponseReturnValue:
    """Find a child by name among the children the user may see (POST: no name in a URL)."""
    form = ChildSearchForm(prefix="search")
    found: list[Child] | None = None
    if request.method == "POST" and form.validate():
        found = homes.search_children(current_user, form.q.data)
        audit.record("child.search", "user", current_user.id, count=len(found))
    return render_template(
        "children/search.html",
        form=form,
        found=found[: homes.SEARCH_LIMIT] if found is not None else None,
        more=found is not None and len(found) > homes.SEARCH_LIMIT,
        limit=homes.SEARCH_LIMIT,
        today=local_today(),
        header_search=False,  # the page's own form replaces the header's
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
