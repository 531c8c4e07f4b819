"""What belongs to no area: the language switch and the health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user

from forms.common import LanguageForm
from screening.core.urls import safe_next

bp = Blueprint("core", __name__)


@bp.route("/language", methods=["POST"])
def set_language() -> ResponseReturnValue:
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            current_user.locale = form.lang.data
    return redirect(safe_next(form.next.data) or url_for("children.index"))


@bp.route("/healthz")
def healthz() -> ResponseReturnValue:
    return {"status": "ok"}


@bp.app_context_processor
def language_switch() -> dict[str, Any]:
    """The header's language switch (`base.html` draws `LanguageForm`'s fields as plain
    HTML): the current language, where to come back to, and the choices."""
    return {
        "language_switch": {
            "lang": str(get_locale()),
            "next": request.full_path.rstrip("?") if request.method == "GET" else "",
            "choices": LANGUAGE_CHOICES,
        }
    }


# As `LanguageForm.lang`'s choices (each language named in itself).
LANGUAGE_CHOICES = tuple((c.value, c.label) for c in LanguageForm.lang.kwargs["choices"])
