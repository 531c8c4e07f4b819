from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from forms.common import MultiCheckboxField
from screening.accounts import EMAIL_PATTERN, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from screening.models import InstitutionKind, Role

INSTITUTION_KIND_LABELS = {
    InstitutionKind.VUGGESTUE: _l("Vuggestue"),
    InstitutionKind.BOERNEHAVE: _l("Børnehave"),
    InstitutionKind.INTEGRERET: _l("Integreret institution"),
    InstitutionKind.DAGPLEJE: _l("Dagpleje"),
}

ROLE_LABELS = {
    Role.EDUCATOR: _l("Pædagog / dagplejer"),
    Role.LEADER: _l("Leder"),
    Role.HEALTH_VISITOR: _l("Sundhedsplejerske"),
    Role.DENTAL: _l("Tandplejen"),
    Role.COORDINATOR: _l("Koordinator"),
    Role.PPR: _l("PPR"),
    Role.SOCIAL_WORKER: _l("Socialrådgiver"),
    Role.ADMIN: _l("Administrator"),
}


class InstitutionForm(FlaskForm):
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


class GroupForm(FlaskForm):
    name = StringField(
        _l("Stuens navn"),
        validators=[DataRequired(_l("Skriv stuens navn.")), Length(max=80)],
    )
    active = BooleanField(_l("Aktiv"), default=True)


class UserForm(FlaskForm):
    name = StringField(
        _l("Navn"), validators=[DataRequired(_l("Skriv brugerens navn.")), Length(max=120)]
    )
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(_l("Skriv brugerens e-mail.")),
            Regexp(EMAIL_PATTERN, message=_l("E-mailadressen er ikke gyldig.")),
            Length(max=200),
        ],
    )
    roles = MultiCheckboxField(
        _l("Roller"),
        choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
        validators=[DataRequired(_l("Vælg mindst én rolle."))],
    )
    institutions = MultiCheckboxField(_l("Institutioner"), coerce=int, choices=[])
    active = BooleanField(_l("Aktiv"), default=True)
    password = PasswordField(
        _l("Adgangskode"),
        description=_l("Lad feltet være tomt for at beholde den nuværende adgangskode."),
        validators=[
            Optional(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("Adgangskoden skal være mellem %(min)d og %(max)d tegn."),
            ),
        ],
    )


class MunicipalityForm(FlaskForm):
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
        _l("Opbevaring (år efter barnet er stoppet)"),
        validators=[
            DataRequired(_l("Skriv et antal år.")),
            NumberRange(min=1, max=20, message=_l("Vælg mellem 1 og 20 år.")),
        ],
    )


class RosterUploadForm(FlaskForm):
    file = FileField(
        _l("CSV-fil"),
        validators=[
            FileRequired(_l("Vælg en CSV-fil.")),
            FileAllowed(["csv", "txt"], _l("Filen skal være en CSV-fil.")),
        ],
    )
