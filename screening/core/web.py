"""Request plumbing: deny-by-default sign-in, one transaction per request, security
headers, error pages and the template helpers every page uses."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, cast

from flask import Flask, Response, current_app, flash, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.routing import IntegerConverter, UnicodeConverter

from screening.classifier import profession_label
from screening.core import audit
from screening.core.db import DB_INT_MAX
from screening.core.errors import integrity_code, message
from screening.core.extensions import db, login_manager
from screening.core.i18n import age_label, install_template_gettext, lang
from screening.core.menu import main_menu, nav_html
from screening.core.policy import Action, can, may_assess_with
from screening.core.time import to_local

# Endpoints reachable without signing in. Everything else needs a signed-in user.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "accounts.login",
        "core.set_language",
        "core.healthz",
        # The offline app's shell: no personal data, the same for everyone (its data comes
        # through the signed-in API).
        "offline.app_page",
        "offline.service_worker",
        "offline.manifest",
        "offline.module",
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


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` in every URL: a whole number from 0 to what the database's integer
    columns hold (DB_INT_MAX), so an id beyond it answers 404 like any id that does not
    exist, instead of failing in the database."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


# Every feature a page could ask the browser for, switched off: the app uses none of them
# (the offline app needs IndexedDB, WebCrypto, a service worker and Web Locks, which no
# policy governs). Only names Chromium recognises, so the console stays clean.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "captured-surface-control",
        "clipboard-read",
        "clipboard-write",
        "compute-pressure",
        "cross-origin-isolated",
        "deferred-fetch",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "gamepad",
        "geolocation",
        "gyroscope",
        "hid",
        "identity-credentials-get",
        "idle-detection",
        "interest-cohort",
        "keyboard-map",
        "language-detector",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "otp-credentials",
        "payment",
        "picture-in-picture",
        "private-state-token-issuance",
        "private-state-token-redemption",
        "publickey-credentials-create",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "speaker-selection",
        "storage-access",
        "summarizer",
        "sync-xhr",
        "translator",
        "unload",
        "usb",
        "window-management",
        "xr-spatial-tracking",
    )
)


class TextConverter(UnicodeConverter):
    """`<name>` and `<string:name>` in every URL: any text but a slash or a NUL character
    (U+0000, which PostgreSQL cannot compare), so `/jobs/%00` is 404, not a 500."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]")


def init_app(app: Flask) -> None:
    """The request plumbing every area relies on (the areas' blueprints are registered by
    `create_app`, after this; accounts sets up the sign-in itself)."""
    install_template_gettext(app)
    app.url_map.converters["int"] = DatabaseIntConverter
    app.url_map.converters["default"] = TextConverter
    app.url_map.converters["string"] = TextConverter
    app.before_request(_deny_by_default)
    app.after_request(_finish_request)
    app.after_request(_security_headers)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        return render_template("errors/csrf.html"), 400

    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, _error_page)

    @app.errorhandler(IntegrityError)
    @app.errorhandler(StaleDataError)
    def second_writer(error: Exception) -> ResponseReturnValue:
        """A second writer that ran into the first outside `flow.perform`: the same
        message, the request rolled back, never a 500."""
        db.session.rollback()
        code = integrity_code(error) if isinstance(error, IntegrityError) else "changed_meanwhile"
        current_app.logger.info("second writer refused: %s", code)
        return render_template("errors/conflict.html", message=message(code)), 409

    @app.errorhandler(500)
    def server_error(error: Exception) -> ResponseReturnValue:
        db.session.rollback()
        return render_template("errors/500.html"), 500

    @app.template_filter("localtime")
    def localtime(value: datetime | None) -> datetime | None:
        """An aware UTC datetime shown in Danish time."""
        return to_local(value) if value is not None else None

    @app.template_filter("profession_label")
    def profession_label_filter(key: str) -> str:
        return profession_label(key, lang())

    # A global, not a context variable: macros imported without context use it too.
    app.jinja_env.globals["age_label"] = age_label

    @app.context_processor
    def template_globals() -> dict[str, Any]:
        return {
            "can": lambda action, obj=None: can(current_user, action, obj),
            # May the user fill in this instrument (health visitors: infants only)?
            "may_use_instrument": lambda row: may_assess_with(current_user, row.max_months),
            "instrument_title": _instrument_title,
            "Action": Action,
            "main_menu": main_menu,
            "main_nav": nav_html,
            # The user's language ("da"/"en") for catalogue texts kept in both (a view may
            # pass its own).
            "lang": lang(),
            # Set by a view after the server saved a form the browser kept a copy of.
            "clear_draft": session.pop("clear_draft", None),
        }


def _instrument_title(row: Any) -> str:
    """An instrument's title (an `InstrumentVersion` row) in the user's language."""
    return str(row.title_en if lang() == "en" else row.title_da)


def _error_page(error: Exception) -> ResponseReturnValue:
    code = getattr(error, "code", 500)
    return render_template("errors/error.html", code=code), code


SEEN_STEPS = 30


def _deny_by_default() -> ResponseReturnValue | None:
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if not current_user.is_authenticated:
        return cast(ResponseReturnValue, login_manager.unauthorized())
    timeout = current_app.config["INACTIVITY_TIMEOUT"].total_seconds()
    now = time.time()
    last_seen = session.get("seen")
    if last_seen is not None and now - last_seen > timeout:
        logout_user()
        session.clear()
        flash(_("Du er blevet logget ud, fordi du ikke har været aktiv i et stykke tid."), "info")
        return cast(ResponseReturnValue, login_manager.unauthorized())
    # The time of the last activity, to a thirtieth of the timeout (a minute of 30): a
    # session is then written (signed, a Set-Cookie) about once a minute, not on every
    # request; it may end up to that much before the full timeout after the last request.
    if last_seen is None or now - last_seen >= timeout / SEEN_STEPS:
        session["seen"] = now
    return None


def _finish_request(response: Response) -> Response:
    """One transaction per request: commit on success, roll back on any error response.
    Refusals are written either way (after the rollback of an error response)."""
    if response.status_code >= 400:
        db.session.rollback()
        audit.write_refusals(commit=True)
    else:
        audit.write_refusals(commit=False)
        try:
            db.session.commit()
        except (IntegrityError, StaleDataError) as exc:  # a second writer, at the last moment
            db.session.rollback()
            code = integrity_code(exc) if isinstance(exc, IntegrityError) else "changed_meanwhile"
            current_app.logger.info("second writer refused at commit: %s", code)
            page = render_template("errors/conflict.html", message=message(code))
            return current_app.make_response((page, 409))
    return response


def _security_headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    # Nothing of ours may be embedded by another site (images, scripts, PDFs alike).
    h.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    h.setdefault("X-Permitted-Cross-Domain-Policies", "none")
    # The server software is not announced (gunicorn's own header: gunicorn.conf.py).
    h.pop("Server", None)
    if request.endpoint != "static":
        # Pages carry personal data: never keep them in shared caches or the back-forward cache.
        h["Cache-Control"] = "no-store"
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
