"""Forms every area uses: the POST-only button form, the checkbox list, the language switch."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class EmptyForm(FlaskForm):
    """A form with only a CSRF token, for POST-only buttons (sign out, delete, ...)."""


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (easier on a tablet than a select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LanguageForm(FlaskForm):
    lang = SelectField(
        _l("Sprog"), choices=[SelectChoice("da", "Dansk"), SelectChoice("en", "English")]
    )
    next = HiddenField()
