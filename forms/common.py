from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A form with only a CSRF token, for POST-only buttons (sign out, delete, ...)."""
