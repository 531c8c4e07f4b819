from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class EmptyForm(FlaskForm):
    """A form with only a CSRF token, for POST-only buttons (sign out, delete, ...)."""


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (easier on a tablet than a select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
