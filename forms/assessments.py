"""Assessment forms built at run time from an instrument (one field per item), like
Indico's survey forms; plus the joint-assessment, observation and delegate forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from forms.common import AppForm
from screening.classifier import Instrument
from screening.core.db import TEXT_MAX

POSITION_LABELS = {
    "green": _l("Grøn"),
    "yellow": _l("Gul"),
    "red": _l("Rød"),
}
VULNERABILITY_CHOICES = [
    SelectChoice("", _l("Ikke vurderet")),
    SelectChoice("not", _l("Ikke i en udsat position")),
    SelectChoice("potentially", _l("Potentielt i en udsat position")),
    SelectChoice("clearly", _l("I en udsat position")),
]
LEVEL_CHOICES = [
    SelectChoice("1", _l("1 – lille bekymring")),
    SelectChoice("2", _l("2 – nogen bekymring")),
    SelectChoice("3", _l("3 – alvorlig bekymring")),
]


def field_name(item_key: str) -> str:
    return f"item__{item_key}"


class RequiredWhenConcerned:
    """Marks a field required only when the assessment is yellow or red. The service decides
    (DomainError "justification_required", shown at the field); the page labels the field
    "påkrævet" as soon as a yellow or red statement is ticked (js/forms/errors.js)."""

    field_flags = {"conditional": True}

    def __call__(self, form: object, field: object) -> None:
        return None


class AssessmentBaseForm(AppForm):
    resources = TextAreaField(
        _l("Barnets ressourcer"),
        description=_l("Hvad lykkes for barnet? Hvad er barnet glad for og god til?"),
        validators=[Optional(), Length(max=TEXT_MAX)],
    )
    concerns = TextAreaField(_l("Bekymringer"), validators=[Optional(), Length(max=TEXT_MAX)])
    justification = TextAreaField(
        _l("Kort begrundelse"),
        description=_l("Skal udfyldes, når vurderingen er gul eller rød."),
        validators=[RequiredWhenConcerned(), Length(max=TEXT_MAX)],
        render_kw={"data-required-when": "concern"},
    )
    vulnerability = SelectField(
        _l("Barnets position i forhold til familiens situation"),
        choices=VULNERABILITY_CHOICES,
        validators=[Optional()],
    )
    # The version of the assessment the form was opened from: an older one means the same
    # assessment was saved meanwhile (another tab or device).
    version = HiddenField()
    save_draft = SubmitField(_l("Gem kladde"))
    submit_assessment = SubmitField(_l("Indsend vurdering"))


def assessment_form_class(instrument: Instrument, lang: str) -> type[AssessmentBaseForm]:
    """A form class with one field per item of the instrument."""
    attrs = {}
    for item in instrument.items:
        label = item.text.get(lang)
        if item.kind == "indicator":
            attrs[field_name(item.key)] = BooleanField(label)
        elif item.kind == "rated" and item.scale is not None:
            scale = item.scale
            choices = [
                SelectChoice(
                    str(v),
                    f"{v} – {scale.labels[v].get(lang)}" if v in scale.labels else str(v),
                )
                for v in range(scale.min, scale.max + 1)
            ]
            attrs[field_name(item.key)] = RadioField(
                label, choices=choices, coerce=int, validators=[Optional()]
            )
        else:
            attrs[field_name(item.key)] = TextAreaField(
                label, validators=[Optional(), Length(max=TEXT_MAX)]
            )
    return type("AssessmentForm", (AssessmentBaseForm,), attrs)


def answers_from(form: AssessmentBaseForm, instrument: Instrument) -> dict:
    out: dict = {}
    for item in instrument.items:
        value = form[field_name(item.key)].data
        if value not in (None, False, ""):
            out[item.key] = value
    return out


def fill_from_answers(form: AssessmentBaseForm, instrument: Instrument, answers: dict) -> None:
    for item in instrument.items:
        if item.key in answers:
            form[field_name(item.key)].data = answers[item.key]


class JointForm(AppForm):
    agreed_position = RadioField(
        _l("Aftalt position"),
        choices=[SelectChoice(k, v) for k, v in POSITION_LABELS.items()],
        validators=[InputRequired(_l("Vælg den aftalte position."))],
    )
    justification = TextAreaField(
        _l("Begrundelse for den fælles vurdering"),
        validators=[DataRequired(_l("Skriv en begrundelse.")), Length(max=TEXT_MAX)],
    )
    override_reason = TextAreaField(
        _l("Begrundelse for at afvige fra forslaget"),
        description=_l("Skal udfyldes, hvis den aftalte position er en anden end forslaget."),
        validators=[Optional(), Length(max=TEXT_MAX)],
    )
    # The version of the joint assessment the form was opened from (0: none yet).
    version = HiddenField()


class ParentsInformedForm(AppForm):
    informed_on = DateField(
        _l("Forældrene blev orienteret den"),
        validators=[InputRequired(_l("Skriv datoen."))],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=TEXT_MAX)])


class ObservationForm(AppForm):
    observed_on = DateField(_l("Dato"), validators=[InputRequired(_l("Skriv datoen."))])
    source = SelectField(_l("Kilde"), choices=[])
    category = SelectField(
        _l("Kategori"), choices=[], validators=[DataRequired(_l("Vælg en kategori."))]
    )
    level = SelectField(_l("Grad af bekymring"), choices=LEVEL_CHOICES)
    note = TextAreaField(_l("Beskrivelse"), validators=[Optional(), Length(max=TEXT_MAX)])


class DelegateForm(AppForm):
    user_id = SelectField(_l("Medarbejder"), coerce=int, choices=[])
