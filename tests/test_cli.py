"""Operator commands and the demo municipality."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from screening import demo
from screening.core.extensions import db
from screening.models import Child, Group, Guardian, Institution, Role, User


def test_seed_demo_builds_a_realistic_municipality(today, app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count(Institution.id))) == 3
    assert db.session.scalar(sa.select(sa.func.count(Group.id))) == 10
    children = db.session.scalars(sa.select(Child)).all()
    assert len(children) == 200
    assert all(0 <= c.age_in_months(today) < 7 * 12 for c in children)
    assert all(c.current_group is not None for c in children)
    assert any(len(c.memberships) > 1 for c in children)  # some group history
    guardians = db.session.scalars(sa.select(Guardian)).all()
    assert sum(g.protected_address for g in guardians) >= 3
    assert sum(g.needs_interpreter for g in guardians) >= 3
    roles = set()
    for u in db.session.scalars(sa.select(User)):
        roles |= u.roles
    assert roles == set(Role)
    # A second run adds nothing.
    assert "already" in runner.invoke(args=["seed-demo"]).output
    assert db.session.scalar(sa.select(sa.func.count(Child.id))) == 200


def test_seed_is_deterministic(app):
    assert demo.seed(date(2026, 11, 23))
    first = [
        (c.first_name, c.last_name, c.birth_date)
        for c in db.session.scalars(sa.select(Child).order_by(Child.external_ref))
    ]
    db.session.rollback()
    assert demo.seed(date(2026, 11, 23))
    second = [
        (c.first_name, c.last_name, c.birth_date)
        for c in db.session.scalars(sa.select(Child).order_by(Child.external_ref))
    ]
    assert first == second


def test_create_user_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Ny@Example.dk",
            "--name",
            "Ny",
            "--role",
            "admin",
            "--password",
            "langt-nok-kodeord",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "ny@example.dk"))
    assert user.roles == {Role.ADMIN}
    bad = runner.invoke(
        args=[
            "create-user",
            "--email",
            "b@example.dk",
            "--name",
            "B",
            "--role",
            "wizard",
            "--password",
            "langt-nok-kodeord",
        ]
    )
    assert bad.exit_code != 0
    assert "wizard" in bad.output
    short = runner.invoke(
        args=[
            "create-user",
            "--email",
            "c@example.dk",
            "--name",
            "C",
            "--role",
            "admin",
            "--password",
            "kort",
        ]
    )
    assert short.exit_code != 0
    assert "too short" in short.output


def test_import_roster_command(app, tmp_path):
    db.session.add(Institution(name="Hus", kind="integreret", groups=[Group(name="Stue")]))
    db.session.commit()
    good = tmp_path / "good.csv"
    good.write_text(
        "barn_id;fornavn;efternavn;fødselsdato;institution;stue\nK1;Ida;Ny;2023-01-01;Hus;Stue\n",
        encoding="utf-8",
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-roster", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 children created" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "barn_id;fornavn;efternavn;fødselsdato;institution;stue\nK2;Ida;Ny;2023-01-01;Hus;Ukendt\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-roster", str(bad)])
    assert result.exit_code == 1
    assert "row 2, column stue" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Child.id))) == 1
