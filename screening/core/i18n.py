"""Locale selection: Danish unless the user chose English (session, then profile); and the
one helper that tells code which of the two languages to show."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Flask, current_app, g, has_request_context, session
from flask_babel import get_locale, get_translations
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


def _translations() -> Any:
    """The translations of the current locale, for templates, found once per request and
    locale. Flask-Babel looks them up again for every string (a template's table of 50
    children asks for hundreds); here the request keeps them beside the locale Flask-Babel
    chose, and a changed locale (``force_locale``) is seen at once: it is a new object."""
    ctx = g.get("_flask_babel")
    locale = getattr(ctx, "babel_locale", None)
    kept = g.get("_i18n_translations")
    if kept is not None and locale is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    g._i18n_translations = (getattr(g.get("_flask_babel"), "babel_locale", None), translations)
    return translations


def install_template_gettext(app: Flask) -> None:
    """The templates' `_`, `gettext`, `ngettext` (and the `{% trans %}` tag) through
    `_translations` (Flask-Babel installs the same callables, uncached)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )


def age_label(months: int | None) -> str:
    """An age given in whole months as the pages print it, e.g. "3 år 4 mdr." ("–" when
    unknown), the templates' `age`. Worked out once per process, catalogue and age (a
    group's list of 50 children has a few dozen different ages, each asked for on every
    page: Flask-Babel's `ngettext` looks up its context and catalogue on every call)."""
    if months is None or months < 0:
        return "–"
    return _age_label(_translations(), months)


@lru_cache(maxsize=4096)
def _age_label(translations: Any, months: int) -> str:
    """As Flask-Babel's `ngettext` with the locale's catalogue (the key: a changed locale
    or catalogue is another object)."""
    years, rest = divmod(months, 12)
    parts = []
    if years:
        parts.append(translations.ungettext("%(num)d år", "%(num)d år", years) % {"num": years})
    if rest or not years:
        parts.append(translations.ungettext("%(num)d md.", "%(num)d mdr.", rest) % {"num": rest})
    return " ".join(parts)
