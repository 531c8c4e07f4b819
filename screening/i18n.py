"""Locale selection: Danish unless the user chose English (session, then profile)."""

from __future__ import annotations

from flask import current_app, has_request_context, session
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and services called outside a request
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]
