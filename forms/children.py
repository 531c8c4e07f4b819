"""Forms of the children area: the search for a child by name."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from forms.common import AppForm


class ChildSearchForm(AppForm):
    """Find a child by name. Sent by POST, so that no child's name lands in a URL or an
    access log."""

    q = StringField(
        _l("Søg efter et barn"),
        validators=[
            DataRequired(_l("Skriv mindst 2 bogstaver af barnets navn.")),
            Length(min=2, max=80, message=_l("Skriv mellem 2 og 80 tegn.")),
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
