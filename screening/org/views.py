"""Administration of the organisation: institutions, groups, roster import, municipality
settings (the user administration is in `screening.accounts.views`).

Admins manage accounts and organisation without reading child data: the roster import
reports counts and row errors, never the children it wrote.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from forms.org import (
    INSTITUTION_KIND_LABELS,
    KEEP_WHEN_BLANK,
    GroupForm,
    InstitutionForm,
    MunicipalityForm,
    RosterUploadForm,
)
from screening.core import audit, flow, header
from screening.core.access import require
from screening.core.extensions import db
from screening.core.policy import Action
from screening.core.time import local_today
from screening.org import services
from screening.org.models import DEFAULT_POSITION_LABELS, Group, Institution, Municipality
from screening.org.roster import import_roster

bp = Blueprint("org", __name__, url_prefix="/admin")


@bp.app_context_processor
def municipality_global() -> dict[str, Any]:
    """The municipality (name in the page header) and its words for the positions, on
    every page."""
    municipality = _municipality()

    def position_label(position: str) -> str:
        """The municipality's word for a position; the product's default words (not changed
        by the municipality) in the user's language."""
        label = municipality.label_for(position) if municipality else ""
        default = DEFAULT_POSITION_LABELS[position]
        return _(default) if label in ("", default) else label

    return {"municipality": municipality, "position_label": position_label}


def _municipality() -> Municipality | None:
    # Loaded with the signed-in user (`screening.core.header`), else asked for here.
    return header.municipality(_load_municipality)


def _load_municipality() -> Municipality | None:
    try:
        return services.municipality()
    except sa.exc.SQLAlchemyError:  # e.g. an error page before the schema exists
        db.session.rollback()
        return None


@bp.route("/")
def index() -> ResponseReturnValue:
    require(Action.MANAGE_INSTITUTIONS)
    return render_template("org/index.html")


# Institutions and groups ------------------------------------------------------------


@bp.route("/institutions", methods=["GET", "POST"])
def institutions() -> ResponseReturnValue:
    require(Action.MANAGE_INSTITUTIONS)
    form = InstitutionForm()

    def page(error: object = None) -> ResponseReturnValue:
        rows = db.session.scalars(sa.select(Institution).order_by(Institution.name)).all()
        return render_template(
            "org/institutions.html",
            institutions=rows,
            form=form,
            kind_labels=INSTITUTION_KIND_LABELS,
        )

    if not form.validate_on_submit():
        return page()
    return flow.perform(
        lambda: services.save_institution(
            None,
            name=form.name.data,
            kind=form.kind.data,
            address=form.address.data or "",
            active=form.active.data,
        ),
        record=lambda inst: audit.record("institution.create", "institution", inst.id),
        success=_("Institutionen er oprettet."),
        redirect_to=lambda inst: url_for("org.institution", institution_id=inst.id),
        fields={"institution_name_taken": form.name},
        failed=page,
    )


@bp.route("/institutions/<int:institution_id>", methods=["GET", "POST"])
def institution(institution_id: int) -> ResponseReturnValue:
    require(Action.MANAGE_INSTITUTIONS)
    inst = db.session.get(Institution, institution_id) or abort(404)
    form = InstitutionForm(obj=inst)

    def page(error: object = None) -> ResponseReturnValue:
        return render_template(
            "org/institution.html",
            institution=inst,
            form=form,
            group_form=GroupForm(prefix="group"),
        )

    if not form.validate_on_submit():
        return page()
    return flow.perform(
        lambda: services.save_institution(
            inst,
            name=form.name.data,
            kind=form.kind.data,
            address=form.address.data or "",
            active=form.active.data,
        ),
        record=lambda saved: audit.record("institution.update", "institution", saved.id),
        success=_("Institutionen er gemt."),
        redirect_to=url_for("org.institution", institution_id=inst.id),
        fields={"institution_name_taken": form.name},
        failed=page,
    )


@bp.route("/institutions/<int:institution_id>/groups", methods=["POST"])
def create_group(institution_id: int) -> ResponseReturnValue:
    require(Action.MANAGE_INSTITUTIONS)
    inst = db.session.get(Institution, institution_id) or abort(404)
    group_form = GroupForm(prefix="group")

    def page(error: object = None) -> ResponseReturnValue:
        form = InstitutionForm(obj=inst, formdata=None)
        return render_template(
            "org/institution.html", institution=inst, form=form, group_form=group_form
        ), 400

    if not group_form.validate_on_submit():
        return page()
    return flow.perform(
        lambda: services.save_group(
            None, institution=inst, name=group_form.name.data, active=group_form.active.data
        ),
        record=lambda group: audit.record("group.create", "group", group.id),
        success=_("Stuen er oprettet."),
        redirect_to=url_for("org.institution", institution_id=inst.id),
        fields={"group_name_taken": group_form.name},
        failed=page,
    )


@bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
def group(group_id: int) -> ResponseReturnValue:
    require(Action.MANAGE_INSTITUTIONS)
    grp = db.session.get(Group, group_id) or abort(404)
    form = GroupForm(obj=grp)

    def page(error: object = None) -> ResponseReturnValue:
        return render_template("org/group.html", group=grp, form=form)

    if not form.validate_on_submit():
        return page()
    return flow.perform(
        lambda: services.save_group(
            grp, institution=grp.institution, name=form.name.data, active=form.active.data
        ),
        record=lambda saved: audit.record("group.update", "group", saved.id),
        success=_("Stuen er gemt."),
        redirect_to=url_for("org.institution", institution_id=grp.institution_id),
        fields={"group_name_taken": form.name},
        failed=page,
    )


# Roster import ----------------------------------------------------------------------


@bp.route("/roster", methods=["GET", "POST"])
def roster() -> ResponseReturnValue:
    require(Action.IMPORT_ROSTER)
    form = RosterUploadForm()
    result = None
    if form.validate_on_submit():
        data = form.file.data.read()
        result = import_roster(
            data, today=local_today(), max_rows=current_app.config["ROSTER_MAX_ROWS"]
        )
        if result.ok:
            audit.record(
                "roster.import",
                "roster",
                created=result.children_created,
                updated=result.children_updated,
                moved=result.children_moved,
                guardians_created=result.guardians_created,
                guardians_updated=result.guardians_updated,
            )
            flash(_("Børnelisten er indlæst."), "success")
        else:
            db.session.rollback()
            audit.record("roster.import_rejected", "roster", errors=len(result.errors))
    return render_template("org/roster.html", form=form, result=result)


# Municipality settings ---------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
def settings() -> ResponseReturnValue:
    require(Action.MANAGE_SETTINGS)
    form = MunicipalityForm(obj=services.municipality())
    if not form.validate_on_submit():
        return render_template("org/settings.html", form=form)
    return flow.perform(
        lambda: services.save_settings(
            {
                name: field.data
                for name, field in form._fields.items()
                if name != "csrf_token" and not (name in KEEP_WHEN_BLANK and field.data is None)
            }
        ),
        record=lambda muni: audit.record("municipality.update", "municipality", muni.id),
        success=_("Indstillingerne er gemt."),
        redirect_to=url_for("org.settings"),
    )
