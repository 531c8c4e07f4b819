"""Locale selection: Danish unless the user chose English (session, then profile); and the
one helper that tells code which of the two languages to show."""

from __future__ import annotations

from flask import current_app, has_request_context, session
from flask_babel import get_locale
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and services called outside a request
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def lang() -> str:
    """ "da" or "en": the language of the current locale, for data that carries both."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "da"
