"""Forms of sign-in, the password change and the user administration."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    StringField,
    TelField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from forms.common import AppForm, MultiCheckboxField
from screening.accounts.models import Role
from screening.accounts.services import EMAIL_PATTERN, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class LoginForm(AppForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Skriv din e-mail."))])
    password = PasswordField(
        _l("Adgangskode"), validators=[DataRequired(_l("Skriv din adgangskode."))]
    )
    next = HiddenField()


class ChangePasswordForm(AppForm):
    current = PasswordField(
        _l("Nuværende adgangskode"),
        validators=[DataRequired(_l("Skriv din nuværende adgangskode."))],
    )
    new = PasswordField(
        _l("Ny adgangskode"),
        validators=[
            DataRequired(_l("Skriv en ny adgangskode.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("Adgangskoden skal være mellem %(min)d og %(max)d tegn."),
            ),
        ],
    )
    repeat = PasswordField(
        _l("Gentag den nye adgangskode"),
        validators=[EqualTo("new", message=_l("De to nye adgangskoder er ikke ens."))],
    )


ROLE_LABELS = {
    Role.EDUCATOR: _l("Pædagog / dagplejer"),
    Role.LEADER: _l("Leder"),
    Role.HEALTH_VISITOR: _l("Sundhedsplejerske"),
    Role.DENTAL: _l("Tandplejer"),
    Role.COORDINATOR: _l("Koordinator"),
    Role.PPR: _l("PPR"),
    Role.SOCIAL_WORKER: _l("Socialrådgiver"),
    Role.ADMIN: _l("Administrator"),
}


class UserForm(AppForm):
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
    phone = TelField(
        _l("Telefon (arbejde)"),
        description=_l("Står i mødeindkaldelser, hvor brugeren er kontaktperson."),
        validators=[
            Optional(),
            Regexp(
                r"^\+?[0-9 ()-]{4,30}$",
                message=_l("Skriv et telefonnummer med cifre, fx 87 13 20 00."),
            ),
            Length(max=30),
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
