from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user

from forms.auth import LanguageForm
from screening import accounts
from screening.policy import Action, can

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    if can(current_user, Action.LIST_CHILDREN):
        return redirect(url_for("children.institutions"))
    if can(current_user, Action.MANAGE_USERS) or can(current_user, Action.MANAGE_INSTITUTIONS):
        return redirect(url_for("admin.index"))
    return render_template("main/index.html")


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
