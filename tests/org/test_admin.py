"""Admin pages for institutions, groups, users and municipality settings."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from screening.core.extensions import db
from screening.models import Group, Institution, Municipality, Role, User

from .. import factories as f


@pytest.fixture
def admin(browser, app):
    f.user(Role.ADMIN, email="admin@example.dk")
    db.session.commit()
    browser.login("admin@example.dk")
    return browser


def test_create_institution_and_group(admin):
    r = admin.submit(
        "/admin/institutions",
        {"name": "Nyt Hus", "kind": "boernehave", "address": "Vej 1", "active": "y"},
    )
    assert r.status_code == 302
    inst = db.session.scalar(sa.select(Institution).where(Institution.name == "Nyt Hus"))
    assert inst.kind.value == "boernehave"
    r = admin.submit(
        f"/admin/institutions/{inst.id}/groups",
        {"group-name": "Solstrålen", "group-active": "y"},
        page=f"/admin/institutions/{inst.id}",
    )
    assert r.status_code == 302
    assert db.session.scalar(sa.select(Group.name).where(Group.institution_id == inst.id)) == (
        "Solstrålen"
    )


def test_duplicate_names_get_a_clear_error_and_keep_input(admin):
    f.institution("Eksisterende Hus", groups=("Stue A",))
    db.session.commit()
    r = admin.submit(
        "/admin/institutions",
        {"name": "eksisterende hus", "kind": "dagpleje", "address": "Min adresse 5"},
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Der findes allerede en institution med det navn." in html
    assert "Min adresse 5" in html
    inst = db.session.scalar(sa.select(Institution).where(Institution.name == "Eksisterende Hus"))
    r = admin.submit(
        f"/admin/institutions/{inst.id}/groups",
        {"group-name": "stue a"},
        page=f"/admin/institutions/{inst.id}",
    )
    assert r.status_code == 400
    assert "Institutionen har allerede en stue med det navn." in r.get_data(as_text=True)


def test_create_and_edit_user(admin, new_browser):
    inst = f.institution("Hus", groups=("Stue",))
    db.session.commit()
    r = admin.submit(
        "/admin/users/new",
        {
            "name": "Nina Ny",
            "email": "Nina@Example.dk",
            "roles": ["educator"],
            "institutions": [str(inst.id)],
            "active": "y",
            "password": "langt-nok-kodeord",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    nina = db.session.scalar(sa.select(User).where(User.email == "nina@example.dk"))
    assert nina.roles == {Role.EDUCATOR}
    assert nina.institution_ids == {inst.id}
    other = new_browser()
    assert other.login("nina@example.dk", "langt-nok-kodeord").status_code == 302
    # Deactivating ends her sessions at once.
    r = admin.submit(
        f"/admin/users/{nina.id}",
        {
            "name": "Nina Ny",
            "email": "nina@example.dk",
            "roles": ["educator", "leader"],
            "institutions": [str(inst.id)],
        },
    )
    assert r.status_code == 302
    db.session.refresh(nina)
    assert nina.roles == {Role.EDUCATOR, Role.LEADER}
    assert not nina.active
    assert other.get("/institutions").status_code == 302


def test_user_form_errors(admin):
    f.user(Role.EDUCATOR, email="taken@example.dk")
    db.session.commit()
    r = admin.submit(
        "/admin/users/new",
        {
            "name": "X",
            "email": "taken@example.dk",
            "roles": ["educator"],
            "password": "langt-nok-kodeord",
        },
    )
    assert "Der findes allerede en bruger med den e-mail." in r.get_data(as_text=True)
    r = admin.submit("/admin/users/new", {"name": "Y", "email": "ikke-en-email", "roles": []})
    html = r.get_data(as_text=True)
    assert "E-mailadressen er ikke gyldig." in html
    assert "Vælg mindst én rolle." in html
    assert "ikke-en-email" in html  # kept
    r = admin.submit(
        "/admin/users/new", {"name": "Z", "email": "z@example.dk", "roles": ["educator"]}
    )
    assert "En ny bruger skal have en adgangskode." in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2


def test_coordinator_sets_colour_labels(browser, app):
    f.user(Role.COORDINATOR, email="k@example.dk")
    db.session.commit()
    browser.login("k@example.dk")
    r = browser.submit(
        "/admin/settings",
        {
            "name": "Testrup Kommune",
            "label_green": "Trivsel",
            "label_yellow": "Øget opmærksomhed",
            "label_red": "Mistrivsel",
            "retention_years": "5",
            "suppression_threshold": "7",
        },
    )
    assert r.status_code == 302
    muni = db.session.scalar(sa.select(Municipality))
    assert muni.label_for("yellow") == "Øget opmærksomhed"
    assert muni.suppression_threshold == 7
    r = browser.submit(
        "/admin/settings",
        {
            "name": "Testrup Kommune",
            "label_green": "",
            "label_yellow": "x",
            "label_red": "y",
            "retention_years": "99",
        },
    )
    html = r.get_data(as_text=True)
    assert "Vælg mellem 1 og 20 år." in html
    assert "Skriv en betegnelse." in html
    db.session.refresh(muni)
    assert muni.retention_years == 5
