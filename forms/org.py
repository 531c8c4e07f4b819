from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from forms.common import AppForm
from screening.org.models import InstitutionKind

INSTITUTION_KIND_LABELS = {
    InstitutionKind.VUGGESTUE: _l("Vuggestue"),
    InstitutionKind.BOERNEHAVE: _l("Børnehave"),
    InstitutionKind.INTEGRERET: _l("Integreret institution"),
    InstitutionKind.DAGPLEJE: _l("Dagpleje"),
}


class InstitutionForm(AppForm):
    name = StringField(
        _l("Navn"),
        validators=[DataRequired(_l("Skriv institutionens navn.")), Length(max=120)],
    )
    kind = SelectField(
        _l("Type"),
        choices=[SelectChoice(k.value, label) for k, label in INSTITUTION_KIND_LABELS.items()],
    )
    address = StringField(_l("Adresse"), validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("Aktiv"), default=True)


class GroupForm(AppForm):
    name = StringField(
        _l("Stuens navn"),
        validators=[DataRequired(_l("Skriv stuens navn.")), Length(max=80)],
    )
    active = BooleanField(_l("Aktiv"), default=True)


class MunicipalityForm(AppForm):
    name = StringField(
        _l("Kommunens navn"),
        validators=[DataRequired(_l("Skriv kommunens navn.")), Length(max=120)],
    )
    label_green = StringField(
        _l("Betegnelse for grøn"),
        validators=[DataRequired(_l("Skriv en betegnelse.")), Length(max=60)],
    )
    label_yellow = StringField(
        _l("Betegnelse for gul"),
        validators=[DataRequired(_l("Skriv en betegnelse.")), Length(max=60)],
    )
    label_red = StringField(
        _l("Betegnelse for rød"),
        validators=[DataRequired(_l("Skriv en betegnelse.")), Length(max=60)],
    )
    retention_years = IntegerField(
        _l("Opbevaringstid (antal år efter udmeldelse)"),
        validators=[
            DataRequired(_l("Skriv et antal år.")),
            NumberRange(min=1, max=20, message=_l("Vælg mellem 1 og 20 år.")),
        ],
    )
    suppression_threshold = IntegerField(
        _l("Mindste antal børn, der vises i nøgletal"),
        validators=[
            DataRequired(_l("Skriv et antal børn.")),
            NumberRange(
                min=3, max=100, message=_l("Vælg et tal mellem 3 og 100 (mindst 3 pr. celle).")
            ),
        ],
    )


class RosterUploadForm(AppForm):
    file = FileField(
        _l("CSV-fil"),
        validators=[
            FileRequired(_l("Vælg en CSV-fil.")),
            FileAllowed(["csv", "txt"], _l("Filen skal være en CSV-fil.")),
        ],
    )
