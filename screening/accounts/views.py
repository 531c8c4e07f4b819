"""Sign-in, sign-out, the password change and the user administration (/admin/users).

The sign-in machinery (Flask-Login's user loader and what a signed-out request gets) is set
up here too, when `create_app` registers this blueprint.
"""

from __future__ import annotations

import math
from datetime import timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from forms.accounts import ROLE_LABELS, ChangePasswordForm, LoginForm, UserForm
from forms.common import EmptyForm
from screening.accounts import services as accounts
from screening.accounts.models import User
from screening.assessments.models import JointDelegate
from screening.core import audit, flow, header, policy
from screening.core.access import require
from screening.core.extensions import db, login_manager
from screening.core.policy import Action
from screening.core.urls import safe_next
from screening.org.models import Institution, Municipality
from screening.reminders.models import Notification

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Log ind for at fortsætte.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


# The signed-in user with the roles and institutions every policy question reads, in one
# statement (a user has a role or two and a few institutions: few joined rows), and what
# every page's header shows: the municipality (its name and words for the positions; one
# row per deployment) and the user's unread notifications (`screening.core.header`).
_UNREAD = (
    sa.select(sa.func.count(Notification.id))
    .where(Notification.user_id == User.id, Notification.read_at.is_(None))
    .correlate(User)
    .scalar_subquery()
)
# Whether the user is anybody's delegate for joint assessments (most are not: the policy
# then need not ask the database for each joint-assessment question).
_DELEGATIONS = (
    sa.select(sa.func.count(JointDelegate.id))
    .where(JointDelegate.user_id == User.id)
    .correlate(User)
    .scalar_subquery()
)
_USER = (
    sa.select(User, Municipality, _UNREAD.label("unread"), _DELEGATIONS.label("delegations"))
    .outerjoin(
        Municipality, Municipality.id == sa.select(Municipality.id).limit(1).scalar_subquery()
    )
    .where(User.id == sa.bindparam("user_id"))
    .options(joinedload(User.role_rows), joinedload(User.institutions))
)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _sep, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    row = db.session.execute(_USER, {"user_id": int(user_id)}).unique().one_or_none()
    if row is None:
        return None
    user, municipality, unread, delegations = row
    # A changed password rotates the token and so ends every older session.
    if not user.active or user.session_token != token:
        return None
    header.remember(municipality, unread)
    if not delegations:
        policy.remember_no_delegations(user)
    return user


@login_manager.unauthorized_handler
def unauthorized() -> ResponseReturnValue:
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(error="authentication required"), 401
    flash(str(login_manager.login_message), "info")
    # After signing in, come back here; for a form post, to the form's page (the browser
    # has kept what was typed, see draft-keeper.js).
    target: str | None
    if request.method == "GET":
        target = request.full_path.rstrip("?")
    elif request.url_rule is not None and "GET" in (request.url_rule.methods or ()):
        target = request.path
    else:
        target = None
    return redirect(url_for("accounts.login", next=target))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data) or url_for("children.index"))
    if form.validate_on_submit():
        result = accounts.authenticate(
            form.email.data, form.password.data, request.remote_addr or "unknown"
        )
        if result.throttled:
            flash(
                _(
                    "For mange mislykkede forsøg med denne e-mailadresse herfra. Vent %(wait)s, "
                    "og prøv igen.",
                    wait=_wait_text(result.retry_after),
                ),
                "error",
            )
        elif result.user is None:
            flash(_("E-mail eller adgangskode er forkert."), "error")
        else:
            lang = session.get("lang")
            session.clear()  # a fresh session on sign-in
            if lang:
                session["lang"] = lang
            session.permanent = True
            login_user(result.user)
            audit.record("user.login", "user", result.user.id)
            return redirect(safe_next(form.next.data) or url_for("children.index"))
        form.password.data = ""
    return render_template("accounts/login.html", form=form)


def _wait_text(wait: timedelta | None) -> str:
    """ "30 sekunder", "4 minutter": rounded up, so the user never comes back too early."""
    seconds = max(1, math.ceil((wait or timedelta(0)).total_seconds()))
    if seconds < 60:
        return ngettext("%(num)d sekund", "%(num)d sekunder", seconds)
    return ngettext("%(num)d minut", "%(num)d minutter", math.ceil(seconds / 60))


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    form = EmptyForm()
    if form.validate_on_submit():
        audit.record("user.logout", "user", current_user.id)
        logout_user()
        session.clear()
        flash(_("Du er logget ud."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not accounts.verify_password(current_user, form.current.data):
            form.current.errors.append(_("Den nuværende adgangskode er forkert."))
        else:
            accounts.set_password(current_user, form.new.data)
            audit.record("user.password_changed", "user", current_user.id)
            # Every other session of this user ends; this one continues with the new token.
            login_user(current_user._get_current_object())
            flash(_("Din adgangskode er ændret. Andre enheder er logget ud."), "success")
            return redirect(url_for("children.index"))
    return render_template("accounts/change_password.html", form=form)


# User administration ------------------------------------------------------------------


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


@bp.route("/admin/users")
def users() -> ResponseReturnValue:
    require(Action.MANAGE_USERS)
    rows = db.session.scalars(sa.select(User).order_by(User.name)).all()
    return render_template("accounts/users.html", users=rows, role_labels=ROLE_LABELS)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int | None = None) -> ResponseReturnValue:
    require(Action.MANAGE_USERS)
    obj = None
    if user_id is not None:
        obj = db.session.get(User, user_id) or abort(404)
    form = _user_form(obj)

    def page(error: object = None) -> ResponseReturnValue:
        return render_template("accounts/user.html", user=obj, form=form)

    if not form.validate_on_submit():
        return page()
    return flow.perform(
        lambda: accounts.save_user(
            obj,
            name=form.name.data,
            email=form.email.data,
            phone=form.phone.data or "",
            roles=form.roles.data,
            institution_ids=form.institutions.data,
            active=form.active.data,
            password=form.password.data or None,
        ),
        record=lambda saved: audit.record(
            "user.create" if obj is None else "user.update",
            "user",
            saved.id,
            roles=sorted(saved.roles),
        ),
        success=_("Brugeren er gemt."),
        redirect_to=url_for("accounts.users"),
        fields={"email_taken": form.email, "password_required": form.password},
        failed=page,
    )
