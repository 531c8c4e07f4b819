from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectChoice, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

from screening.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Skriv din e-mail."))])
    password = PasswordField(
        _l("Adgangskode"), validators=[DataRequired(_l("Skriv din adgangskode."))]
    )
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
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
        _l("Gentag ny adgangskode"),
        validators=[EqualTo("new", message=_l("De to nye adgangskoder er ikke ens."))],
    )


class LanguageForm(FlaskForm):
    lang = SelectField(
        _l("Sprog"), choices=[SelectChoice("da", "Dansk"), SelectChoice("en", "English")]
    )
    next = HiddenField()
