"""The screening-round form."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from forms.common import AppForm, MultiCheckboxField


class RoundForm(AppForm):
    name = StringField(
        _l("Navn"),
        description=_l("F.eks. »Efterår 2026«."),
        validators=[DataRequired(_l("Skriv rundens navn.")), Length(max=80)],
    )
    starts_on = DateField(_l("Starter"), validators=[InputRequired(_l("Skriv datoen."))])
    ends_on = DateField(_l("Slutter"), validators=[InputRequired(_l("Skriv datoen."))])
    reference_date = DateField(
        _l("Skæringsdato for alder"),
        description=_l("Barnets alder på denne dato afgør, hvilket skema der bruges."),
        validators=[InputRequired(_l("Skriv datoen."))],
    )
    institutions = MultiCheckboxField(_l("Institutioner"), coerce=int, choices=[])
    instrument_keys = MultiCheckboxField(_l("Aldersgrupper (skemaer)"), choices=[])
    # The version of the round the form was opened from (a new round: none).
    version = HiddenField()

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.starts_on.data and self.ends_on.data and self.ends_on.data < self.starts_on.data:
            self.ends_on.errors.append(_l("Slutdatoen skal ligge efter startdatoen."))
            ok = False
        if not self.institutions.data:
            self.institutions.errors.append(_l("Vælg mindst én institution."))
            ok = False
        if not self.instrument_keys.data:
            self.instrument_keys.errors.append(_l("Vælg mindst én aldersgruppe."))
            ok = False
        return ok
