"""What the documents share: the document's language and letterhead, the child and a
guardian as every document shows them, a meeting participant as a person, and the Danish
words (N_: marked for the catalogue) several documents print.

The rule for protected addresses (navne- og adressebeskyttelse) lives here, once
(`guardian_recipient`): a protected address is never handed to any builder, so it can
appear on no document.

The sentences made here and in the other modules of the package are in the document's
language (`Letterhead.language`, the reader's UI language by default: `document_language`):
Danish source strings marked for the catalogue, and the catalogue's own texts (instruments,
steps, observation categories, professions, the classifier's reasons) in the language they
carry.
"""

from __future__ import annotations

import functools
import os
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from reports.data import ChildInfo, GuardianRecipient, Person
from reports.i18n import DANISH, N_, Language
from screening.accounts.models import User
from screening.children.models import Child, Guardian
from screening.classifier import profession_label
from screening.core.extensions import db
from screening.core.i18n import lang
from screening.org.models import DEFAULT_POSITION_LABELS, Municipality
from screening.paths.models import Consent, MeetingParticipant, ParticipantKind

if TYPE_CHECKING:
    from reports.base import Letterhead

# Danish source strings (N_: marked for the catalogue), translated where they are printed.
MEETING_KINDS = {
    "parent_talk": N_("Samtale med forældrene"),
    "cross_disciplinary": N_("Tværfagligt møde"),
    "network": N_("Netværksmøde"),
}
PROGRESS = {"better": N_("Bedre"), "unchanged": N_("Uændret"), "worse": N_("Dårligere")}
# What a consent covers, as words inside a sentence (the labels of forms/paths.py).
INFORMATION_KINDS = {
    "wellbeing": N_("vurderinger af barnets trivsel"),
    "observations": N_("observationer"),
    "action_plan": N_("handleplanen"),
    "health": N_("helbredsoplysninger"),
    "family": N_("familiens situation"),
}
ROLE_NAMES = {
    "educator": N_("Pædagog"),
    "leader": N_("Leder"),
    "health_visitor": N_("Sundhedsplejerske"),
    "dental": N_("Tandplejer"),
    "coordinator": N_("Koordinator"),
    "ppr": N_("PPR"),
    "social_worker": N_("Socialrådgiver"),
    "admin": N_("Administrator"),
}


@functools.lru_cache(maxsize=8)
def _load_language(code: str, folders: tuple[str, ...]) -> Language:
    if code == "da":
        return DANISH
    for folder in folders:
        if os.path.exists(os.path.join(folder, code, "LC_MESSAGES", "messages.mo")):
            return Language.load(code, folder)
    return Language(code)


def document_language(code: str | None = None) -> Language:
    """The language a document is printed in: `code`, else the reader's UI language, with
    the app's compiled catalogue (loaded once per language)."""
    from flask import current_app

    dirs = str(current_app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations"))
    folders = tuple(os.path.join(current_app.root_path, d) for d in dirs.split(";"))
    return _load_language(code or lang(), folders)


# Statements built once: the plan document is the hot path (`make bench-reports`), and
# building a statement and its cache key costs about as much as running it on SQLite.
_MUNICIPALITY = sa.select(
    Municipality.name, Municipality.label_green, Municipality.label_yellow, Municipality.label_red
).limit(1)


def letterhead(
    today: date, logo_path: str | None = None, language: Language = DANISH
) -> Letterhead:
    from reports.base import Letterhead  # ReportLab: loaded by the first document

    muni = db.session.execute(_MUNICIPALITY).first()
    if muni is None:
        return Letterhead("Trivselsspor", today, logo_path, language=language)
    name, green, yellow, red = muni
    labels = {
        k: language.gettext(v) if v == DEFAULT_POSITION_LABELS[k] else v
        for k, v in {"green": green, "yellow": yellow, "red": red}.items()
    }
    return Letterhead(name, today, logo_path, labels, language=language)


def age_text(months: int, language: Language = DANISH) -> str:
    """ "4 år og 2 mdr.", "4 år og 1 md.", "3 år", "7 mdr." (LANGUAGE.md)."""
    years, rest = divmod(max(months, 0), 12)
    rest_text = language.ngettext("%(num)d md.", "%(num)d mdr.", rest) % {"num": rest}
    if years == 0:
        return rest_text
    years_text = language.ngettext("%(num)d år", "%(num)d år", years) % {"num": years}
    if not rest:
        return years_text
    return language.gettext("%(years)s og %(months)s") % {"years": years_text, "months": rest_text}


def _and(words: list[str], language: Language) -> str:
    """ "a", "a og b", "a, b og c"."""
    if len(words) <= 1:
        return "".join(words)
    return language.gettext("%(first)s og %(last)s") % {
        "first": ", ".join(words[:-1]),
        "last": words[-1],
    }


def consent_kinds(consent: Consent, language: Language = DANISH) -> str:
    """ "vurderinger af barnets trivsel og handleplanen"."""
    order = list(INFORMATION_KINDS)
    kinds = sorted(consent.information_kinds, key=lambda k: order.index(k) if k in order else 99)
    return _and(
        [language.gettext(INFORMATION_KINDS[k]) if k in INFORMATION_KINDS else k for k in kinds],
        language,
    )


def role_label(user: User | None, language: Language = DANISH) -> str:
    if user is None:
        return ""
    roles = sorted(user.roles)
    name = ROLE_NAMES.get(roles[0].value, "") if roles else ""
    return language.gettext(name) if name else ""


def _sharing_basis(pt: MeetingParticipant, language: Language = DANISH) -> str:
    """The basis on which an external professional is told about the child, as a phrase for
    the guardian's letter ("... får oplysninger på grundlag af <basis>.")."""
    _ = language.gettext
    consent = pt.consent
    if consent is not None:
        return _("samtykke fra %(name)s af %(date)s (det omfatter %(kinds)s)") % {
            "name": consent.guardian.name,
            "date": language.long_date(consent.given_on),
            "kinds": consent_kinds(consent, language),
        }
    if pt.legal_basis:
        return _("loven (%(basis)s)") % {"basis": pt.legal_basis}
    return ""


def child_info(child: Child, today: date, language: Language = DANISH) -> ChildInfo:
    group = child.current_group
    return ChildInfo(
        name=child.full_name,
        birth_date=child.birth_date,
        age_text=age_text(child.age_in_months(today), language),
        group=group.name if group else "–",
        institution=group.institution.name if group else "–",
    )


def guardian_recipient(guardian: Guardian) -> GuardianRecipient:
    """The one place that decides whether an address may be printed: never when protected."""
    return GuardianRecipient(
        name=guardian.name,
        address=None if guardian.protected_address else (guardian.address or None),
        protected=guardian.protected_address,
        needs_interpreter=guardian.needs_interpreter,
        language=guardian.language,
    )


def person_of(
    pt: MeetingParticipant, with_basis: bool = True, language: Language = DANISH
) -> Person:
    """A participant as a letter lists them; `with_basis`: an external professional's
    basis for sharing too (the guardian's letter prints it; the plan does not)."""
    if pt.kind == ParticipantKind.GUARDIAN:
        return Person(pt.name, language.gettext("Forælder"))
    if pt.kind == ParticipantKind.STAFF and pt.user is not None:
        return Person(pt.name, role_label(pt.user, language))
    return Person(
        pt.name,
        profession_label(pt.profession, language.code),
        pt.organisation,
        external=pt.kind == ParticipantKind.EXTERNAL,
        basis=_sharing_basis(pt, language) if with_basis else "",
    )


def suggested_reasons(
    suggestion: dict[str, Any] | None, language: Language = DANISH
) -> tuple[str, ...]:
    """The classifier's reasons in the language (each stored in Danish and English)."""
    key = "text_en" if language.code == "en" else "text_da"
    return tuple(r.get(key) or r.get("text_da", "") for r in (suggestion or {}).get("reasons", []))
