"""The one place an IntegrityError becomes a message (`flow.concurrent`, used by
`flow.perform`, and `core.web` for the rest), on the real database: the constraint the
second writer ran into names the message, only that unit is rolled back, never a 500."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import get_flashed_messages

from screening.core import flow
from screening.core.db import savepoint
from screening.core.errors import integrity_code
from screening.core.extensions import db
from screening.org.models import Institution, InstitutionKind


def _institution(name: str) -> Institution:
    inst = Institution(name=name, kind=InstitutionKind.DAGPLEJE)
    db.session.add(inst)
    db.session.flush()
    return inst


def test_a_unique_violation_is_answered_with_its_constraints_message(app):
    _institution("Solsikken")
    db.session.commit()
    with app.test_request_context():
        answer = flow.perform(
            lambda: _institution("Solsikken"), record=pytest.fail, redirect_to="/admin"
        )
        assert answer.status_code == 302
        assert get_flashed_messages(with_categories=True) == [
            ("error", "Der findes allerede en institution med det navn.")
        ]
    assert db.session.scalar(sa.select(sa.func.count(Institution.id))) == 1


def test_a_savepoint_rolls_back_only_its_own_unit(app):
    _institution("Solsikken")
    db.session.commit()
    _institution("Mælkebøtten")  # the request's earlier work, kept
    with pytest.raises(sa.exc.IntegrityError) as caught, savepoint(db.session):
        _institution("Solsikken")
    assert integrity_code(caught.value) == "institution_name_taken"
    db.session.commit()
    names = db.session.scalars(sa.select(Institution.name).order_by(Institution.name)).all()
    assert names == ["Mælkebøtten", "Solsikken"]


def test_a_constraint_without_a_message_of_its_own_answers_saved_meanwhile():
    unnamed = sa.exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: a.b"))
    assert integrity_code(unnamed) == "saved_meanwhile"
    sqlite_style = sa.exc.IntegrityError(
        "INSERT", {}, Exception("UNIQUE constraint failed: screening_round.name")
    )
    assert integrity_code(sqlite_style) == "round_name_taken"


def test_an_integrity_error_outside_perform_is_a_409_page_not_a_500(app):
    raised = sa.exc.IntegrityError(
        "INSERT", {}, Exception("UNIQUE constraint failed: screening_round.name")
    )
    with app.test_request_context("/rounds/new", method="POST"):
        response = app.make_response(app.handle_user_exception(raised))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Der findes allerede en runde med det navn." in html
    assert "Intet af det, du sendte, er gemt." in html
