from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user

from forms.auth import LanguageForm
from screening import accounts, audit
from screening.extensions import db
from screening.models import Child
from screening.policy import INVITED_ROLES, Action, can, invited_children

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    if can(current_user, Action.LIST_CHILDREN):
        return redirect(url_for("children.institutions"))
    if can(current_user, Action.MANAGE_USERS) or can(current_user, Action.MANAGE_INSTITUTIONS):
        return redirect(url_for("admin.index"))
    invited = []
    if current_user.has_role(*INVITED_ROLES):
        invited = db.session.scalars(
            sa.select(Child)
            .where(Child.id.in_(invited_children(current_user)))
            .order_by(Child.first_name, Child.last_name)
        ).all()
        audit.record("child.list_invited", "user", current_user.id, count=len(invited))
    return render_template("main/index.html", invited=invited)


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            current_user.locale = form.lang.data
    return redirect(accounts.safe_next(form.next.data) or url_for("main.index"))


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}


@bp.app_context_processor
def language_form():
    form = LanguageForm(formdata=None)
    form.lang.data = str(get_locale())
    form.next.data = request.full_path.rstrip("?") if request.method == "GET" else ""
    return {"language_form": form}
