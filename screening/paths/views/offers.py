"""The offer catalogue (tilbudsviften) and Frister og fremdrift (open and overdue steps; the
endpoint keeps its old name, `momentum`, and its URL)."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from forms.paths import OfferForm
from screening.children.models import Child
from screening.core import audit, flow
from screening.core.access import require
from screening.core.db import DB_INT_MAX
from screening.core.extensions import db
from screening.core.i18n import lang
from screening.core.policy import Action, can, visible_children, visible_institution_ids
from screening.core.time import local_today
from screening.paths import overview, plans
from screening.paths.models import Offer
from screening.paths.views.blueprint import bp


@bp.route("/offers", methods=["GET", "POST"])
@bp.route("/offers/<int:offer_id>", methods=["GET", "POST"])
def offers(offer_id: int | None = None) -> ResponseReturnValue:
    editing = db.get_or_404(Offer, offer_id) if offer_id else None
    manage = can(current_user, Action.MANAGE_OFFERS)
    if not manage and not can(current_user, Action.VIEW_PATHS):
        require(Action.MANAGE_OFFERS)
    form = OfferForm(obj=editing)
    if form.is_submitted():
        require(Action.MANAGE_OFFERS)

    def page(error: object = None) -> ResponseReturnValue:
        return render_template(
            "paths/offers.html",
            offers=plans.all_offers(),
            form=form,
            editing=editing,
            manage=manage,
        ), (400 if form.errors else 200)

    if not form.validate_on_submit():
        return page()
    return flow.perform(
        lambda: plans.save_offer(
            editing,
            name=form.name.data,
            description=form.description.data or "",
            staircase_step=form.staircase_step.data,
            min_age_months=form.min_age_months.data,
            max_age_months=form.max_age_months.data,
            active=form.active.data,
        ),
        record=lambda offer: audit.record("offer.save", "offer", offer.id),
        success=_("Tilbuddet er gemt."),
        redirect_to=url_for("paths.offers"),
        fields={"offer_ages": form.max_age_months, "offer_name_taken": form.name},
        failed=page,
    )


def _choice(name: str, allowed: set[int]) -> int | None:
    """An id from the query string, only if it is one of the choices offered."""
    value = request.args.get(name, "")
    return int(value) if value.isdecimal() and len(value) < 12 and int(value) in allowed else None


@bp.route("/momentum")
def momentum() -> ResponseReturnValue:
    """Frister og fremdrift: open and overdue steps, filtered, one page at a time."""
    require(Action.VIEW_MOMENTUM)
    ids = visible_institution_ids(current_user, Action.VIEW_MOMENTUM)
    today = local_today()
    # A user who sees several institutions (a coordinator: all of them) chooses one before
    # its groups are offered: the page then lists one institution's groups, not the
    # municipality's hundreds (its cost no longer grows with the municipality). A link
    # with a group alone (as before) picks the group's institution.
    institutions = overview.institutions(ids) if ids is None or len(ids) > 1 else []
    several = len(institutions) > 1
    institution_id = _choice("institution", {i.id for i in institutions}) if several else None
    asked = request.args.get("group", "")
    if several and institution_id is None and asked.isdecimal() and len(asked) < 12:
        # An id beyond the database's integers names no group (PostgreSQL would refuse it).
        group_id = int(asked)
        institution_id = overview.institution_of(group_id, ids) if group_id <= DB_INT_MAX else None
    scope = [institution_id] if institution_id is not None else ids
    groups = overview.groups(scope) if institution_id is not None or not several else []
    coordinators = overview.coordinators(scope)
    position = request.args.get("position", "")
    filters = overview.Filters(
        group_id=_choice("group", {g.id for g in groups}),
        institution_id=institution_id,
        coordinator_id=_choice("coordinator", {u.id for u in coordinators}),
        position=position if position in ("yellow", "red") else None,
    )
    page = request.args.get("page", "1")
    data = overview.overview(
        scope, today, filters, page=int(page) if page.isdecimal() and len(page) < 7 else 1
    )
    audit.record("momentum.view", "app", count=data.open_steps, page=data.page)
    # Names only where the user may read the child by name (a coordinator: from the level
    # where the municipal consultants take part); the others are counted, not named.
    on_page = {s.child_id for s in data.steps} | {p.child_id for p, _days in data.stalled}
    named = (
        set(
            db.session.scalars(
                visible_children(current_user, Action.VIEW_PATHS)
                .where(Child.id.in_(on_page))
                .with_only_columns(Child.id)
            )
        )
        if on_page
        else set()
    )
    return render_template(
        "paths/momentum.html",
        momentum=data,
        named=named,
        unnamed=bool(on_page - named),
        filters=filters,
        institutions=institutions if several else [],
        groups=groups,
        coordinators=coordinators,
        today=today,
        lang=lang(),
    )
