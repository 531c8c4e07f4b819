"""One error type for broken workflow rules, and the one registry of what they say.

A service raises ``DomainError("code")`` (an English code) without having changed anything
it cannot take back; a view shows ``exc.message`` (Danish, or English for an English user)
through `screening.core.flow`. Every code a service raises has its message here.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

MESSAGES: dict[str, LazyString] = {
    # Accounts
    "email_taken": _l("Der findes allerede en bruger med den e-mail."),
    "password_required": _l("En ny bruger skal have en adgangskode."),
    # Organisation
    "institution_name_taken": _l("Der findes allerede en institution med det navn."),
    "group_name_taken": _l("Institutionen har allerede en stue med det navn."),
    # Rounds
    "round_name_taken": _l("Der findes allerede en runde med det navn."),
    "instruments_overlap": _l(
        "To af de valgte skemaer dækker samme alder. Vælg ét skema pr. aldersgruppe."
    ),
    # Assessments
    "missing_ratings": _l("Giv en vurdering på alle skalaer, før du indsender."),
    "justification_required": _l("Skriv en kort begrundelse, når vurderingen er gul eller rød."),
    "not_draft": _l("Vurderingen er allerede indsendt og kan ikke ændres."),
    "round_not_open": _l("Runden er ikke åben."),
    "no_submitted_assessments": _l("Der er endnu ingen indsendte vurderinger."),
    "override_reason_required": _l("Skriv hvorfor I vælger en anden position end forslaget."),
    # Action paths
    "already_done": _l("Trinnet er allerede udført."),
    "notify_decision_required": _l(
        "Registrer vurderingen af underretningspligten for at afslutte dette trin."
    ),
    "not_a_notify_step": _l(
        "Registrer vurderingen af underretningspligten for at afslutte dette trin."
    ),
    "reasoning_required": _l("Skriv en begrundelse."),
    "sent_needs_date_and_signer": _l("Skriv, hvilken dato underretningen blev sendt."),
    "sent_without_notify": _l(
        "Der kan kun registreres en afsendt underretning, når I har vurderet, at der skal "
        "underrettes."
    ),
    "cannot_close": _l(
        "Handlevejen kan først afsluttes, når positionen er grøn igen og alle nødvendige trin "
        "er udført."
    ),
    "no_consent_or_legal_basis": _l(
        "Der er intet gældende samtykke, der dækker denne fagperson. Indhent samtykke fra "
        "forældrene, eller skriv hjemlen til at dele uden samtykke."
    ),
    "not_custody_holder": _l("Samtykket skal gives af en forældremyndighedsindehaver."),
    "consent_incomplete": _l("Udfyld oplysninger, modtagere og formål."),
    "already_withdrawn": _l("Samtykket er allerede trukket tilbage."),
    "offer_ages": _l("»Til alder« skal være højere end »Fra alder«."),
    "offer_name_taken": _l("Der findes allerede et tilbud med det navn."),
    # Sync conflicts
    "already_resolved": _l("Konflikten er allerede løst."),
    "conflict_target_gone": _l(
        "Barnet eller runden findes ikke længere, så tablettens version kan ikke gemmes."
    ),
    "conflict_not_covered": _l("Runden dækker ikke længere barnet."),
    "device_version_invalid": _l(
        "Tablettens version kan ikke gemmes, fordi den ikke længere er gyldig."
    ),
    # Many hands at once (a form opened before someone else saved, two taps, two sessions)
    "changed_meanwhile": _l(
        "En anden har gemt dette, siden du åbnede siden. Dine ændringer er ikke gemt; de står "
        "stadig i formularen. Se hvad der er gemt nu, og gem igen, hvis dine ændringer "
        "stadig skal gælde."
    ),
    "saved_meanwhile": _l(
        "Det samme blev gemt af en anden i samme øjeblik. Intet er gemt to gange; se hvad der "
        "er gemt nu, og prøv igen, hvis noget mangler."
    ),
    "already_invited": _l("Deltageren er allerede inviteret til mødet."),
    "child_ref_taken": _l(
        "Et barn med samme barn_id blev oprettet samtidig af en anden indlæsning. Indlæs "
        "filen igen."
    ),
}

# A unique constraint or index (by its name) that a second writer can run into, and the
# code of what the loser is told. Every IntegrityError is answered through this map (see
# `screening.core.flow`); a constraint not named here answers "saved_meanwhile".
CONSTRAINT_CODES: dict[str, str] = {
    "uq_screening_round_name": "round_name_taken",
    "uq_institution_name": "institution_name_taken",
    "uq_user_account_email": "email_taken",
    "uq_offer_name": "offer_name_taken",
    "uq_child_group_institution_id_name": "group_name_taken",
    "uq_meeting_participant_meeting_id_guardian_id": "already_invited",
    "uq_meeting_participant_meeting_id_user_id": "already_invited",
    "uq_child_external_ref": "child_ref_taken",
}


def integrity_code(error: BaseException) -> str:
    """The code for a database integrity error: the constraint it names in `CONSTRAINT_CODES`,
    else "saved_meanwhile"."""
    orig = getattr(error, "orig", None)
    name = getattr(getattr(orig, "diag", None), "constraint_name", None)  # PostgreSQL
    text = str(orig if orig is not None else error)
    for constraint, code in CONSTRAINT_CODES.items():
        if name == constraint or constraint in text:
            return code
    # SQLite names the columns, not the constraint: "UNIQUE constraint failed: t.a, t.b".
    if "UNIQUE constraint failed: " in text:
        columns = text.split("UNIQUE constraint failed: ", 1)[1].split("\n")[0].strip()
        table = columns.split(".", 1)[0]
        guess = "uq_" + table + "_" + "_".join(c.split(".", 1)[-1] for c in columns.split(", "))
        if guess in CONSTRAINT_CODES:
            return CONSTRAINT_CODES[guess]
    return "saved_meanwhile"


class DomainError(ValueError):
    """A rule of a workflow was broken; `code` (English) says which, `message` says it to
    the user. ``fallback`` names the code whose message stands in for a code without one
    (e.g. a sync item's English reason)."""

    def __init__(self, code: str, *, fallback: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.fallback = fallback

    @property
    def message(self) -> str:
        return message(self.code, self.fallback)


def message(code: str, fallback: str | None = None) -> str:
    """The user's message for `code` (KeyError for a code without one and no fallback)."""
    if code in MESSAGES or fallback is None:
        return str(MESSAGES[code])
    return str(MESSAGES[fallback])
