"""A user's work phone number: kept as typed (spaces tidied), refused when it is not one."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.accounts import UserForm
from screening.core.extensions import db
from screening.models import Role, User
from tests import factories as f


def test_admin_saves_a_phone_number_and_a_bad_one_is_refused(browser, app):
    f.user(Role.ADMIN, email="admin@example.dk")
    other = f.user(Role.LEADER, email="l@example.dk", name="Lis")
    db.session.commit()
    browser.login("admin@example.dk")
    form = {"name": "Lis", "email": "l@example.dk", "roles": "leader", "active": "y"}
    r = browser.submit(f"/admin/users/{other.id}", {**form, "phone": " 87  13 20 00 "})
    assert r.status_code == 302
    db.session.refresh(other)
    assert other.phone == "87 13 20 00"
    r = browser.submit(f"/admin/users/{other.id}", {**form, "phone": "<b>ring</b>"})
    assert r.status_code == 200  # the form again, with the message at the field
    assert "Skriv et telefonnummer med cifre" in r.get_data(as_text=True)
    db.session.refresh(other)
    assert other.phone == "87 13 20 00"


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_the_phone_field_accepts_only_phone_numbers(app, text):
    with app.test_request_context(method="POST", data={"phone": text}):
        form = UserForm(meta={"csrf": False})
        form.phone.validate(form)
        ok = not form.phone.errors
    digits = text.strip()
    allowed = set("0123456789 ()-+")
    looks_like_phone = 4 <= len(digits) <= 30 and set(digits) <= allowed
    if ok and digits:
        assert looks_like_phone
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
