"""Forms for action paths, action plans, follow-ups, meetings, consents and offers."""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from forms.common import AppForm, MultiCheckboxField, RowList
from screening.classifier import PROFESSIONS, profession_label
from screening.core.db import TEXT_MAX
from screening.core.i18n import lang

PROGRESS_CHOICES = [
    SelectChoice("better", _l("Bedre")),
    SelectChoice("unchanged", _l("Uændret")),
    SelectChoice("worse", _l("Dårligere")),
]
MEETING_KINDS = [
    SelectChoice("parent_talk", _l("Samtale med forældrene")),
    SelectChoice("cross_disciplinary", _l("Tværfagligt møde")),
    SelectChoice("network", _l("Netværksmøde")),
]
INFORMATION_KINDS = [
    SelectChoice("wellbeing", _l("Trivselsvurderinger og position")),
    SelectChoice("observations", _l("Observationer")),
    SelectChoice("action_plan", _l("Handleplan")),
    SelectChoice("health", _l("Helbredsoplysninger")),
    SelectChoice("family", _l("Familiens situation")),
]
# Recipients are professions: the classifier's keys and labels (in the user's language).
PROFESSION_LABELS: dict[str, LazyString] = {
    key: LazyString(lambda key=key: profession_label(key, lang())) for key in PROFESSIONS
}
PROFESSION_CHOICES = [SelectChoice(k, v) for k, v in PROFESSION_LABELS.items()]


class StepDoneForm(AppForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=TEXT_MAX)])


class NotifyForm(AppForm):
    decision = RadioField(
        _l("Vurdering"),
        choices=[
            SelectChoice("notify", _l("Der skal underrettes")),
            SelectChoice("no_notify", _l("Der skal ikke underrettes nu")),
        ],
        validators=[InputRequired(_l("Vælg jeres vurdering."))],
    )
    reasoning = TextAreaField(
        _l("Begrundelse"),
        validators=[DataRequired(_l("Skriv en begrundelse.")), Length(max=TEXT_MAX)],
    )
    decided_on = DateField(
        _l("Dato for vurderingen"), validators=[InputRequired(_l("Skriv datoen."))]
    )
    sent_on = DateField(
        _l("Underretningen blev sendt den"),
        description=_l("Udfyldes, når lederen har underskrevet og sendt underretningen."),
        validators=[Optional()],
    )
    # The version of the decision the form was opened from (0: none yet).
    version = HiddenField()


class CoordinatorForm(AppForm):
    coordinator_id = SelectField(_l("Tovholder"), coerce=int, choices=[])
    escalation_level = SelectField(_l("Niveau"), coerce=int, choices=[])
    # The version of the path the form was opened from.
    version = HiddenField()


# At most this many actions (rows) in one action plan.
PLAN_MAX_ACTIONS = 60


class PlanItemForm(Form):
    what = TextAreaField(_l("Hvad"), validators=[Optional(), Length(max=1000)])
    who = StringField(_l("Hvem"), validators=[Optional(), Length(max=200)])
    by_when = DateField(_l("Hvornår"), validators=[Optional()])


class PlanForm(AppForm):
    resources = TextAreaField(
        _l("Barnets ressourcer"), validators=[Optional(), Length(max=TEXT_MAX)]
    )
    concerns = TextAreaField(_l("Bekymringer"), validators=[Optional(), Length(max=TEXT_MAX)])
    goals = TextAreaField(
        _l("Konkrete mål"),
        validators=[DataRequired(_l("Skriv mindst ét konkret mål.")), Length(max=TEXT_MAX)],
    )
    parents_perspective = TextAreaField(
        _l("Forældrenes perspektiv"), validators=[Optional(), Length(max=TEXT_MAX)]
    )
    child_perspective = TextAreaField(
        _l("Barnets perspektiv"), validators=[Optional(), Length(max=TEXT_MAX)]
    )
    items = RowList(FormField(PlanItemForm), min_entries=6, max_entries=PLAN_MAX_ACTIONS)
    offers = MultiCheckboxField(_l("Aftalte tilbud"), coerce=int, choices=[])
    evaluation_on = DateField(
        _l("Dato for evaluering"), validators=[InputRequired(_l("Skriv en dato for evaluering."))]
    )
    # The version of the plan the form was opened from (0: no plan yet).
    version = HiddenField()

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for entry in self.items:
            if (entry.who.data or entry.by_when.data) and not (entry.what.data or "").strip():
                entry.what.errors.append(_l("Skriv hvad der skal gøres."))
                ok = False
        return ok


class FollowUpForm(AppForm):
    held_on = DateField(_l("Dato"), validators=[InputRequired(_l("Skriv datoen."))])
    progress = RadioField(
        _l("Udvikling"),
        choices=PROGRESS_CHOICES,
        validators=[InputRequired(_l("Vælg barnets udvikling."))],
    )
    note = TextAreaField(_l("Hvad har vi set?"), validators=[Optional(), Length(max=TEXT_MAX)])
    next_step = TextAreaField(_l("Næste skridt"), validators=[Optional(), Length(max=TEXT_MAX)])


class CloseForm(AppForm):
    note = TextAreaField(
        _l("Afslutning"),
        validators=[
            DataRequired(_l("Skriv kort, hvorfor handlevejen afsluttes.")),
            Length(max=TEXT_MAX),
        ],
    )


class MeetingForm(AppForm):
    kind = SelectField(_l("Type"), choices=MEETING_KINDS)
    starts_at = DateTimeLocalField(
        _l("Tidspunkt"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Skriv dato og klokkeslæt."))],
    )
    place = StringField(
        _l("Sted"), validators=[DataRequired(_l("Skriv hvor mødet holdes.")), Length(max=200)]
    )
    purpose = TextAreaField(
        _l("Formål"), validators=[DataRequired(_l("Skriv mødets formål.")), Length(max=TEXT_MAX)]
    )
    agenda = TextAreaField(_l("Dagsorden"), validators=[Optional(), Length(max=TEXT_MAX)])


class MinutesForm(AppForm):
    minutes = TextAreaField(_l("Referat"), validators=[Optional(), Length(max=20000)])
    decisions = TextAreaField(_l("Beslutninger"), validators=[Optional(), Length(max=TEXT_MAX)])
    # The version of the meeting the form was opened from.
    version = HiddenField()


class InviteGuardianForm(AppForm):
    guardian_id = SelectField(_l("Forælder"), coerce=int, choices=[])


class InviteStaffForm(AppForm):
    user_id = SelectField(_l("Medarbejder"), coerce=int, choices=[])


class InviteExternalForm(AppForm):
    name = StringField(_l("Navn"), validators=[DataRequired(_l("Skriv navnet.")), Length(max=120)])
    profession = SelectField(_l("Fagperson"), choices=PROFESSION_CHOICES)
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    legal_basis = TextAreaField(
        _l("Hjemmel til at dele uden samtykke"),
        description=_l(
            "Kun hvis der ikke er et samtykke, der dækker denne fagperson. Skriv den præcise "
            "hjemmel, fx reglen om udveksling af oplysninger i det tidlige og forebyggende "
            "samarbejde. Spørg kommunens jurist, hvis du er i tvivl."
        ),
        validators=[Optional(), Length(max=TEXT_MAX)],
    )


class ConsentForm(AppForm):
    guardian_id = SelectField(_l("Givet af (forældremyndighedsindehaver)"), coerce=int, choices=[])
    information_kinds = MultiCheckboxField(
        _l("Hvilke oplysninger"),
        choices=INFORMATION_KINDS,
        validators=[DataRequired(_l("Vælg mindst én slags oplysninger."))],
    )
    recipients = MultiCheckboxField(
        _l("Til hvem"),
        choices=PROFESSION_CHOICES,
        validators=[DataRequired(_l("Vælg mindst én modtager."))],
    )
    purpose = TextAreaField(
        _l("Formål"), validators=[DataRequired(_l("Skriv formålet.")), Length(max=TEXT_MAX)]
    )
    given_on = DateField(_l("Dato"), validators=[InputRequired(_l("Skriv datoen."))])


class OfferForm(AppForm):
    name = StringField(
        _l("Navn"), validators=[DataRequired(_l("Skriv tilbuddets navn.")), Length(max=120)]
    )
    description = TextAreaField(_l("Beskrivelse"), validators=[Optional(), Length(max=TEXT_MAX)])
    staircase_step = IntegerField(
        _l("Trin på indsatstrappen (1–6)"),
        validators=[
            InputRequired(_l("Vælg et trin.")),
            NumberRange(min=1, max=6, message=_l("Vælg et trin fra 1 til 6.")),
        ],
    )
    min_age_months = IntegerField(
        _l("Fra alder (måneder)"),
        default=0,
        validators=[InputRequired(_l("Skriv en alder.")), NumberRange(min=0, max=84)],
    )
    max_age_months = IntegerField(
        _l("Til alder (måneder)"),
        default=84,
        validators=[InputRequired(_l("Skriv en alder.")), NumberRange(min=1, max=120)],
    )
    active = BooleanField(_l("Aktivt"), default=True)
