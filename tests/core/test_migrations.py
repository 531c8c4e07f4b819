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


# SQLite's reflection skips an index on an expression (with a warning; so does Alembic's
# comparison): those are compared by name, in `_expression_indexes_missing`.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression"),
]


def _on_an_expression(obj) -> bool:
    return isinstance(obj, sa.Index) and any(not isinstance(e, sa.Column) for e in obj.expressions)


def _diff():
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, db.metadata) + _expression_indexes_missing(conn)


def _expression_indexes_missing(conn) -> list[str]:
    """The models' indexes on an expression that the SQLite database lacks (by name)."""
    if conn.dialect.name != "sqlite":
        return []
    present = set(conn.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'")))
    return [
        f"missing index {index.name}"
        for table in db.metadata.tables.values()
        for index in table.indexes
        if _on_an_expression(index) and index.name not in present
    ]


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


def _insert(conn, table: str, **values) -> int:
    """A row with `values` and a plain value in every other required column (as the schema
    stood at that revision), returning its id."""
    meta = sa.MetaData()
    t = sa.Table(table, meta, autoload_with=conn)
    row = dict(values)
    for c in t.columns:
        if c.name in row or c.nullable or c.server_default is not None or c.primary_key:
            continue
        python = c.type.python_type if not isinstance(c.type, sa.JSON) else list
        row[c.name] = (
            {
                int: 1,
                str: "x",
                bool: False,
                list: [],
                dict: {},
            }.get(python)
            if python in (int, str, bool, list, dict)
            else None
        )
        if row[c.name] is None:
            from datetime import UTC, date, datetime

            row[c.name] = datetime.now(UTC) if python is datetime else date(2026, 1, 1)
    return conn.execute(t.insert().values(**row).returning(t.c.id)).scalar_one()


def test_races_migration_cleans_up_duplicates_and_keys_namesakes(migration_app):
    """Duplicates made before the constraints existed: a guardian invited twice keeps the
    first invitation; two guardians of one child with the same name are both kept, the
    later keyed apart (consents and letters may point at either)."""
    upgrade(revision="0008_user_phone")
    with db.engine.begin() as conn:
        inst = _insert(conn, "institution", name="Huset", kind="integreret")
        user = _insert(conn, "user_account", email="l@example.dk")
        child = _insert(conn, "child", first_name="A", last_name="B")
        mother = _insert(conn, "guardian", name="Mette  Hansen")
        namesake = _insert(conn, "guardian", name="mette hansen")
        for g in (mother, namesake):
            _insert(conn, "child_guardian", child_id=child, guardian_id=g, has_custody=True)
        path = _insert(
            conn,
            "action_path",
            child_id=child,
            coordinator_id=user,
            position="red",
            status="open",
            escalation_level=1,
        )
        meeting = _insert(conn, "meeting", path_id=path, created_by_id=user, kind="parent_talk")
        first = _insert(
            conn, "meeting_participant", meeting_id=meeting, kind="guardian", guardian_id=mother
        )
        _insert(
            conn, "meeting_participant", meeting_id=meeting, kind="guardian", guardian_id=mother
        )
        _insert(conn, "meeting_participant", meeting_id=meeting, kind="staff", user_id=user)
        _insert(conn, "meeting_participant", meeting_id=meeting, kind="staff", user_id=user)
        assert inst
    upgrade()
    with db.engine.connect() as conn:
        participants = conn.execute(
            sa.text("SELECT id, guardian_id, user_id FROM meeting_participant ORDER BY id")
        ).all()
        keys = conn.execute(
            sa.text("SELECT guardian_id, match_key FROM child_guardian ORDER BY id")
        ).all()
        versions = conn.execute(sa.text("SELECT version FROM action_path")).scalars().all()
    assert [p.guardian_id for p in participants if p.guardian_id] == [mother]
    assert participants[0].id == first
    assert len([p for p in participants if p.user_id]) == 1
    assert keys[0] == (mother, "mette hansen")
    assert keys[1][0] == namesake
    assert keys[1][1].startswith("mette hansen #")
    assert versions == [1]
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        _insert(
            conn, "meeting_participant", meeting_id=meeting, kind="guardian", guardian_id=mother
        )
