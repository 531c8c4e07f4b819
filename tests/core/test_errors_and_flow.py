"""The one DomainError with its message registry, and the one view helper (`flow.perform`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import get_flashed_messages
from flask_babel import force_locale

from forms.common import LanguageForm
from screening.core import flow
from screening.core.errors import CONSTRAINT_CODES, MESSAGES, DomainError, message
from screening.core.extensions import db
from screening.org.models import Institution, InstitutionKind

SOURCE = Path(__file__).resolve().parents[2] / "screening"
RAISED = re.compile(r"DomainError\(\s*\"([a-z_]+)\"")
FALLBACK = re.compile(r"fallback=\"([a-z_]+)\"")


def _codes(pattern: re.Pattern[str]) -> set[str]:
    files = [f for f in SOURCE.rglob("*.py") if f.name != "errors.py"]  # not its docstring
    return {m for f in files for m in pattern.findall(f.read_text())}


def test_every_raised_code_has_a_message_and_every_message_a_code():
    # A second writer's unique violation raises the code its constraint names (or the default).
    second_writer = set(CONSTRAINT_CODES.values()) | {"saved_meanwhile"}
    raised = _codes(RAISED) | _codes(FALLBACK) | second_writer
    assert len(raised) > 20
    assert sorted(raised - set(MESSAGES)) == []
    assert sorted(set(MESSAGES) - raised) == []


def test_messages_are_danish_and_english(app):
    with app.test_request_context():
        assert DomainError("round_not_open").message == "Runden er ikke åben."
        with force_locale("en"):
            assert DomainError("round_not_open").message == "The round is not open."
        # A code without a message of its own speaks through its fallback.
        assert message("no such code", fallback="device_version_invalid").startswith("Tablettens")
        with pytest.raises(KeyError):
            message("no such code")


def _institution(name: str) -> Institution:
    inst = Institution(name=name, kind=InstitutionKind.DAGPLEJE)
    db.session.add(inst)
    db.session.flush()
    return inst


def _names() -> list[str]:
    return list(db.session.scalars(db.select(Institution.name).order_by(Institution.name)))


def test_perform_success_records_flashes_and_redirects(app):
    recorded = []
    with app.test_request_context():
        response = flow.perform(
            lambda: _institution("Solsikken"),
            record=lambda inst: recorded.append(inst.name),
            success=lambda inst: f"{inst.name} er oprettet.",
            redirect_to=lambda inst: f"/admin/institutions/{inst.id}",
        )
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/institutions/")
        assert recorded == ["Solsikken"]
        assert get_flashed_messages(with_categories=True) == [("success", "Solsikken er oprettet.")]
        assert _names() == ["Solsikken"]


def test_perform_failure_rolls_back_and_shows_the_message(app):
    def fails():
        _institution("Halvfærdig")
        raise DomainError("institution_name_taken")

    with app.test_request_context():
        response = flow.perform(fails, record=pytest.fail, redirect_to="/admin/institutions")
        assert response.status_code == 302
        assert response.headers["Location"] == "/admin/institutions"
        assert get_flashed_messages(with_categories=True) == [
            ("error", "Der findes allerede en institution med det navn.")
        ]
        assert _names() == []  # the half-done change was rolled back


def test_perform_failure_on_a_field_and_a_page_of_its_own(app):
    def fails():
        raise DomainError("email_taken")

    with app.test_request_context(method="POST", data={"lang": "da"}):
        form = LanguageForm(meta={"csrf": False})
        assert form.validate()
        answer = flow.perform(
            fails,
            redirect_to=lambda _r: "/never",
            fields={"email_taken": form.lang},
            failed=lambda error: (f"page for {error.code}", 400),
        )
        assert answer == ("page for email_taken", 400)
        assert form.lang.errors == ["Der findes allerede en bruger med den e-mail."]
        assert get_flashed_messages() == []  # shown on the field, not flashed
        with pytest.raises(TypeError):
            flow.perform(fails, redirect_to=lambda _r: "/never")
