"""Administration: institutions, groups, users, roster import, municipality settings.

Admins manage accounts and organisation without reading child data: the roster import
reports counts and row errors, never the children it wrote.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from forms.admin import (
    INSTITUTION_KIND_LABELS,
    ROLE_LABELS,
    GroupForm,
    InstitutionForm,
    MunicipalityForm,
    RosterUploadForm,
    UserForm,
)
from screening import audit
from screening.access import require
from screening.extensions import db
from screening.models import Group, Institution, InstitutionKind, Municipality, User
from screening.policy import Action
from screening.services import admin as admin_service
from screening.services.roster import import_roster

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
def index():
    require(Action.MANAGE_INSTITUTIONS)
    return render_template("admin/index.html")


# Institutions and groups ------------------------------------------------------------


@bp.route("/institutions", methods=["GET", "POST"])
def institutions():
    require(Action.MANAGE_INSTITUTIONS)
    form = InstitutionForm()
    if form.validate_on_submit():
        if admin_service.institution_name_taken(form.name.data):
            form.name.errors.append(_("Der findes allerede en institution med det navn."))
        else:
            inst = Institution(
                name=form.name.data.strip(),
                kind=InstitutionKind(form.kind.data),
                address=form.address.data or "",
                active=form.active.data,
            )
            db.session.add(inst)
            db.session.flush()
            audit.record("institution.create", "institution", inst.id)
            flash(_("Institutionen er oprettet."), "success")
            return redirect(url_for("admin.institution", institution_id=inst.id))
    rows = db.session.scalars(sa.select(Institution).order_by(Institution.name)).all()
    return render_template(
        "admin/institutions.html", institutions=rows, form=form, kind_labels=INSTITUTION_KIND_LABELS
    )


@bp.route("/institutions/<int:institution_id>", methods=["GET", "POST"])
def institution(institution_id: int):
    require(Action.MANAGE_INSTITUTIONS)
    inst = db.session.get(Institution, institution_id) or abort(404)
    form = InstitutionForm(obj=inst)
    group_form = GroupForm(prefix="group")
    if form.validate_on_submit():
        if admin_service.institution_name_taken(form.name.data, exclude_id=inst.id):
            form.name.errors.append(_("Der findes allerede en institution med det navn."))
        else:
            inst.name = form.name.data.strip()
            inst.kind = InstitutionKind(form.kind.data)
            inst.address = form.address.data or ""
            inst.active = form.active.data
            audit.record("institution.update", "institution", inst.id)
            flash(_("Institutionen er gemt."), "success")
            return redirect(url_for("admin.institution", institution_id=inst.id))
    return render_template(
        "admin/institution.html", institution=inst, form=form, group_form=group_form
    )


@bp.route("/institutions/<int:institution_id>/groups", methods=["POST"])
def create_group(institution_id: int):
    require(Action.MANAGE_INSTITUTIONS)
    inst = db.session.get(Institution, institution_id) or abort(404)
    form = InstitutionForm(obj=inst, formdata=None)
    group_form = GroupForm(prefix="group")
    if group_form.validate_on_submit():
        name = group_form.name.data.strip()
        if any(g.name.casefold() == name.casefold() for g in inst.groups):
            group_form.name.errors.append(_("Institutionen har allerede en stue med det navn."))
        else:
            group = Group(institution=inst, name=name, active=group_form.active.data)
            db.session.add(group)
            db.session.flush()
            audit.record("group.create", "group", group.id)
            flash(_("Stuen er oprettet."), "success")
            return redirect(url_for("admin.institution", institution_id=inst.id))
    return render_template(
        "admin/institution.html", institution=inst, form=form, group_form=group_form
    ), 400


@bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
def group(group_id: int):
    require(Action.MANAGE_INSTITUTIONS)
    grp = db.session.get(Group, group_id) or abort(404)
    form = GroupForm(obj=grp)
    if form.validate_on_submit():
        name = form.name.data.strip()
        if any(
            g.id != grp.id and g.name.casefold() == name.casefold() for g in grp.institution.groups
        ):
            form.name.errors.append(_("Institutionen har allerede en stue med det navn."))
        else:
            grp.name = name
            grp.active = form.active.data
            audit.record("group.update", "group", grp.id)
            flash(_("Stuen er gemt."), "success")
            return redirect(url_for("admin.institution", institution_id=grp.institution_id))
    return render_template("admin/group.html", group=grp, form=form)


# Users ------------------------------------------------------------------------------


def _user_form(user: User | None) -> UserForm:
    form = UserForm(obj=user)
    form.institutions.choices = [
        SelectChoice(i.id, i.name)
        for i in db.session.scalars(sa.select(Institution).order_by(Institution.name))
    ]
    if user is not None and not form.is_submitted():
        form.roles.data = sorted(r.value for r in user.roles)
        form.institutions.data = sorted(user.institution_ids)
    return form


@bp.route("/users")
def users():
    require(Action.MANAGE_USERS)
    rows = db.session.scalars(sa.select(User).order_by(User.name)).all()
    return render_template("admin/users.html", users=rows, role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int | None = None):
    require(Action.MANAGE_USERS)
    obj = None
    if user_id is not None:
        obj = db.session.get(User, user_id) or abort(404)
    form = _user_form(obj)
    if form.validate_on_submit():
        if obj is None and not form.password.data:
            form.password.errors.append(_("En ny bruger skal have en adgangskode."))
        else:
            try:
                saved = admin_service.save_user(
                    obj,
                    name=form.name.data,
                    email=form.email.data,
                    roles=form.roles.data,
                    institution_ids=form.institutions.data,
                    active=form.active.data,
                    password=form.password.data or None,
                )
            except admin_service.DuplicateError:
                form.email.errors.append(_("Der findes allerede en bruger med den e-mail."))
            else:
                audit.record(
                    "user.create" if obj is None else "user.update",
                    "user",
                    saved.id,
                    roles=sorted(saved.roles),
                )
                flash(_("Brugeren er gemt."), "success")
                return redirect(url_for("admin.users"))
    return render_template("admin/user.html", user=obj, form=form)


# Roster import ----------------------------------------------------------------------


@bp.route("/roster", methods=["GET", "POST"])
def roster():
    require(Action.IMPORT_ROSTER)
    form = RosterUploadForm()
    result = None
    if form.validate_on_submit():
        data = form.file.data.read()
        result = import_roster(
            data, today=date.today(), max_rows=current_app.config["ROSTER_MAX_ROWS"]
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
    return render_template("admin/roster.html", form=form, result=result)


# Municipality settings ---------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    require(Action.MANAGE_SETTINGS)
    muni = db.session.scalar(sa.select(Municipality).limit(1))
    form = MunicipalityForm(obj=muni)
    if form.validate_on_submit():
        if muni is None:
            muni = Municipality()
            db.session.add(muni)
        form.populate_obj(muni)
        db.session.flush()
        audit.record("municipality.update", "municipality", muni.id)
        flash(_("Indstillingerne er gemt."), "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form)
