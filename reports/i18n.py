"""The language of a document: its strings, counts and dates.

Danish is the source language: every fixed text in `reports/` is written in Danish and
marked with ``_()``/``N_()``/``ngettext()``, so `make extract-messages` puts it in the
application's catalogue (`screening/translations/`) and the English translation lives
there with all other strings. A document gets its language from the caller through
`Letterhead.language`; the builders never read a request or a global locale.

Dates follow Babel (CLDR): "3. december 2026", "torsdag den 3. december 2026 kl. 9.00";
English uses British forms ("Thursday, 3 December 2026 at 09:00").
"""

from __future__ import annotations

import gettext as _gettext
from datetime import date, datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time
from babel.support import Translations

BABEL_LOCALES = {"da": "da_DK", "en": "en_GB"}
TIME_PATTERNS = {"da": "H.mm", "en": "HH:mm"}


def N_(text: str) -> str:
    """Marks a constant for the catalogue; translated where it is printed."""
    return text


class Language:
    """Strings, plural forms and date formats of one document language."""

    def __init__(self, code: str = "da", translations: _gettext.NullTranslations | None = None):
        if code not in BABEL_LOCALES:
            raise ValueError(f"unsupported document language {code!r}")
        self.code = code
        self._t = translations or _gettext.NullTranslations()
        # Parsed once: Babel parses a locale given by name on every call.
        self._locale = Locale.parse(BABEL_LOCALES[code])

    @classmethod
    def load(cls, code: str, catalogue_dir: str | Path) -> Language:
        """The language with its translations from a compiled catalogue folder (Danish
        needs none: it is the source language)."""
        if code == "da":
            return cls("da")
        return cls(code, Translations.load(str(catalogue_dir), [code]))

    def gettext(self, text: str) -> str:
        return self._t.gettext(text)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def date(self, d: date | None) -> str:
        """Short form for tables: 03-12-2026."""
        return d.strftime("%d-%m-%Y") if d else "–"

    def long_date(self, d: date | None) -> str:
        """3. december 2026 / 3 December 2026."""
        return format_date(d, "long", locale=self._locale) if d else "–"

    def weekday_date(self, d: date) -> str:
        """torsdag den 3. december 2026 / Thursday, 3 December 2026."""
        return format_date(d, "full", locale=self._locale)

    def time(self, t: datetime) -> str:
        """9.00 / 09:00."""
        return format_time(t, TIME_PATTERNS[self.code], locale=self._locale)

    def when(self, t: datetime) -> str:
        """torsdag den 3. december 2026 kl. 9.00."""
        return self.gettext("%(date)s kl. %(time)s") % {
            "date": self.weekday_date(t.date()),
            "time": self.time(t),
        }

    def language_name(self, code: str) -> str:
        """The name of a language in this language: "ar" → "arabisk" / "Arabic"."""
        name = self._locale.languages.get(code.split("-")[0].lower())
        return name or code


DANISH = Language("da")
