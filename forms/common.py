"""Forms every area uses: the base of every form, the POST-only button form, the checkbox
list, the language switch."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    FieldList,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
)
from wtforms.widgets import CheckboxInput, ListWidget

NUL = "\x00"


class AppForm(FlaskForm):
    """The base of every form of the app (a test checks that each one is).

    No field's text may hold a NUL character (U+0000): PostgreSQL cannot store it, and no
    one types it (it comes from pasting out of a damaged file). Such a field gets a precise
    error, the form does not validate, and so nothing is written."""

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            ok = _refuse_nul(field) and ok
        return ok


def _refuse_nul(field: Field) -> bool:
    """False (and an error on the field) if the field, or a field inside it, holds a NUL."""
    inner = field.entries if isinstance(field, FieldList) else None
    if isinstance(field, FormField):
        inner = list(field.form)
    if inner is not None:
        ok = True
        for sub in inner:  # every field with a NUL gets its error
            ok = _refuse_nul(sub) and ok
        return ok
    values = field.raw_data or []
    if not any(isinstance(v, str) and NUL in v for v in values):
        return True
    if not isinstance(field.errors, list):  # a tuple before validation
        field.errors = list(field.errors)
    field.errors.append(
        _l(
            "Teksten indeholder et usynligt NUL-tegn (U+0000), som ikke kan gemmes. "
            "Skriv teksten igen i stedet for at indsætte den."
        )
    )
    return False


class RowList(FieldList):
    """A FieldList that reads only row numbers it could have made (ASCII digits, at most
    six): WTForms' own would fail on a posted name like ``items-²-what`` or one with
    thousands of digits."""

    def _extract_indices(self, prefix: str, formdata: Any) -> Any:
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= 6:
                    yield int(index)


class EmptyForm(AppForm):
    """A form with only a CSRF token, for POST-only buttons (sign out, delete, ...)."""


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (easier on a tablet than a select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LanguageForm(AppForm):
    lang = SelectField(
        _l("Sprog"), choices=[SelectChoice("da", "Dansk"), SelectChoice("en", "English")]
    )
    next = HiddenField()


def form_version(raw: str | int | None) -> int | None:
    """The version a form was opened from (None: a form without one, e.g. an old tab). A
    form filled from its object and posted without the field holds the object's int."""
    text = str(raw) if raw is not None else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None
