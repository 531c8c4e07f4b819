"""The schema comes only from migrations: `upgrade head` equals the models, and every
revision downgrades and upgrades again, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from screening.core.extensions import db
from screening.models import AuditEvent

from ..conftest import PG_URL, is_postgres, make_app


@pytest.fixture
def migration_app(tmp_path):
    """An app on its own empty database (a separate schema on PostgreSQL)."""
    if is_postgres():
        admin = sa.create_engine(make_app(_pg()).config["SQLALCHEMY_DATABASE_URI"])
        with admin.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS migtest CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA migtest"))
        admin.dispose()
        uri = _pg() + ("&" if "?" in _pg() else "?") + "options=-csearch_path%3Dmigtest"
    else:
        uri = f"sqlite:///{tmp_path / 'migrations.db'}"
    app = make_app(uri)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _pg() -> str:
    from screening.core.config import normalise_database_url

    return normalise_database_url(PG_URL)


def _diff():
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, db.metadata)


def test_upgrade_head_gives_exactly_the_models_schema(migration_app):
    upgrade()
    assert _diff() == []


def test_every_revision_downgrades_and_upgrades_again(migration_app):
    script = ScriptDirectory.from_config(migration_app.extensions["migrate"].migrate.get_config())
    revisions = list(reversed(list(script.walk_revisions())))
    assert revisions, "no migrations found"
    for rev in revisions:
        upgrade(revision=rev.revision)
        downgrade(revision=rev.down_revision or "base")
        upgrade(revision=rev.revision)
    assert _diff() == []
    downgrade(revision="base")
    tables = set(sa.inspect(db.engine).get_table_names())
    assert tables <= {"alembic_version"}


def test_audit_trail_is_append_only_in_the_database(migration_app):
    upgrade()
    db.session.add(
        AuditEvent(action="child.view", object_type="child", object_id=1, outcome="ok", details={})
    )
    db.session.commit()
    for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 1


def test_enum_columns_are_checked_by_the_database(migration_app):
    upgrade()
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO institution (name, kind, address, active, created_at) "
                "VALUES ('X', 'skole', '', :t, CURRENT_TIMESTAMP)"
            ),
            {"t": True},
        )
