"""Request plumbing: blueprints, deny-by-default sign-in, one transaction per request,
security headers and error pages."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError

from screening import audit
from screening.extensions import db, login_manager
from screening.models import Municipality, User
from screening.policy import Action, can, may_assess_with

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")

# Endpoints reachable without signing in. Everything else needs a signed-in user.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "auth.login",
        "main.set_language",
        "main.healthz",
        # The offline app's shell: no personal data, the same for everyone (its data comes
        # through the signed-in API).
        "offline.app_page",
        "offline.service_worker",
        "offline.manifest",
    }
)

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    from screening.views import (
        admin,
        api,
        assessments,
        auth,
        children,
        main,
        offline,
        paths,
        reports,
    )

    for bp in (
        auth.bp,
        main.bp,
        children.bp,
        admin.bp,
        assessments.bp,
        paths.bp,
        reports.bp,
        api.bp,
        offline.bp,
    ):
        app.register_blueprint(bp)

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log ind for at fortsætte.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        user_id, _, token = session_id.partition(":")
        if not user_id.isdigit() or not token:
            return None
        user = db.session.get(User, int(user_id))
        # A changed password rotates the token and so ends every older session.
        if user is None or not user.active or user.session_token != token:
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.accept_mimetypes.best == "application/json" or request.is_json:
            return jsonify(error="authentication required"), 401
        flash(login_manager.login_message, "info")
        # After signing in, come back here; for a form post, to the form's page (the browser
        # has kept what was typed, see draft-keeper.js).
        if request.method == "GET":
            target = request.full_path.rstrip("?")
        elif request.url_rule is not None and "GET" in request.url_rule.methods:
            target = request.path
        else:
            target = None
        return redirect(url_for("auth.login", next=target))

    app.before_request(_deny_by_default)
    app.after_request(_finish_request)
    app.after_request(_security_headers)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/csrf.html"), 400

    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, _error_page)

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_template("errors/500.html"), 500

    @app.template_filter("localtime")
    def localtime(value):
        """An aware UTC datetime shown in Danish time."""
        return value.astimezone(LOCAL_TZ) if value is not None else None

    @app.template_filter("profession_label")
    def profession_label(key: str) -> str:
        from forms.paths import PROFESSION_LABELS

        return str(PROFESSION_LABELS.get(key, key))

    @app.context_processor
    def template_globals():
        return {
            "can": lambda action, obj=None: can(current_user, action, obj),
            # May the user fill in this instrument (health visitors: infants only)?
            "may_use_instrument": lambda row: may_assess_with(current_user, row.max_months),
            "instrument_title": _instrument_title,
            "Action": Action,
            "municipality": _municipality(),
            # Set by a view after the server saved a form the browser kept a copy of.
            "clear_draft": session.pop("clear_draft", None),
        }


def _instrument_title(row) -> str:
    locale = get_locale()
    return row.title_en if locale is not None and locale.language == "en" else row.title_da


def _municipality() -> Municipality | None:
    try:
        return db.session.scalar(sa.select(Municipality).limit(1))
    except sa.exc.SQLAlchemyError:  # e.g. an error page before the schema exists
        db.session.rollback()
        return None


def _error_page(error):
    code = getattr(error, "code", 500)
    return render_template("errors/error.html", code=code), code


def _deny_by_default():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    from flask import current_app

    timeout = current_app.config["INACTIVITY_TIMEOUT"].total_seconds()
    now = time.time()
    last_seen = session.get("seen")
    if last_seen is not None and now - last_seen > timeout:
        logout_user()
        session.clear()
        flash(_("Du er blevet logget ud, fordi du ikke har været aktiv et stykke tid."), "info")
        return login_manager.unauthorized()
    session["seen"] = now
    return None


def _finish_request(response):
    """One transaction per request: commit on success, roll back on any error response."""
    if response.status_code >= 400:
        db.session.rollback()
        audit.flush_refusals()
    else:
        db.session.commit()
    return response


def _security_headers(response):
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.endpoint != "static":
        # Pages carry personal data: never keep them in shared caches or the back-forward cache.
        h["Cache-Control"] = "no-store"
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
