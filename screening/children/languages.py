"""A guardian's preferred language (ISO 639-1 code) as a word in the page's language, for
the child page. Unknown codes are shown as they are. A Babel-based name would cover every
language; this covers the common ones (the words the page has always used).

The names are lazy strings, translated when one is shown: the page translates the one or
two it needs, not all of them for every guardian (once a template macro's dictionary)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

NAMES = {
    "da": _l("Dansk"),
    "en": _l("Engelsk"),
    "de": _l("Tysk"),
    "sv": _l("Svensk"),
    "no": _l("Norsk"),
    "nb": _l("Norsk"),
    "is": _l("Islandsk"),
    "fo": _l("Færøsk"),
    "kl": _l("Grønlandsk"),
    "fr": _l("Fransk"),
    "es": _l("Spansk"),
    "it": _l("Italiensk"),
    "pt": _l("Portugisisk"),
    "nl": _l("Hollandsk"),
    "pl": _l("Polsk"),
    "lt": _l("Litauisk"),
    "lv": _l("Lettisk"),
    "et": _l("Estisk"),
    "ro": _l("Rumænsk"),
    "bg": _l("Bulgarsk"),
    "hu": _l("Ungarsk"),
    "cs": _l("Tjekkisk"),
    "sk": _l("Slovakisk"),
    "uk": _l("Ukrainsk"),
    "ru": _l("Russisk"),
    "bs": _l("Bosnisk"),
    "sr": _l("Serbisk"),
    "hr": _l("Kroatisk"),
    "sq": _l("Albansk"),
    "el": _l("Græsk"),
    "tr": _l("Tyrkisk"),
    "ku": _l("Kurdisk"),
    "ar": _l("Arabisk"),
    "fa": _l("Persisk"),
    "prs": _l("Dari"),
    "ps": _l("Pashto"),
    "ur": _l("Urdu"),
    "hi": _l("Hindi"),
    "pa": _l("Punjabi"),
    "ta": _l("Tamil"),
    "bn": _l("Bengali"),
    "so": _l("Somalisk"),
    "ti": _l("Tigrinya"),
    "am": _l("Amharisk"),
    "sw": _l("Swahili"),
    "zh": _l("Kinesisk"),
    "vi": _l("Vietnamesisk"),
    "th": _l("Thai"),
    "tl": _l("Tagalog"),
    "fil": _l("Filippinsk"),
}


def language_name(code: str | None) -> str:
    """The word for the language `code`, the code itself when there is none, or "Ikke
    oplyst" for no code."""
    if not code:
        return _("Ikke oplyst")
    name = NAMES.get(code.lower())
    return str(name) if name is not None else code
