from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from forms.auth import ChangePasswordForm, LoginForm
from forms.common import EmptyForm
from screening import accounts, audit

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(accounts.safe_next(form.next.data) or url_for("main.index"))
    if form.validate_on_submit():
        result = accounts.authenticate(
            form.email.data, form.password.data, request.remote_addr or "unknown"
        )
        if result.throttled:
            flash(_("For mange mislykkede forsøg. Vent et kvarter, og prøv igen."), "error")
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
            return redirect(accounts.safe_next(form.next.data) or url_for("main.index"))
        form.password.data = ""
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        audit.record("user.logout", "user", current_user.id)
        logout_user()
        session.clear()
        flash(_("Du er logget ud."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
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
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)
