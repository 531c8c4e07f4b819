"""A web worker loads only what a request needs (issue 17): the PDF builders (ReportLab),
the XLSX export (openpyxl), the migrations (Flask-Migrate, Alembic) and the task queue
(Huey, the Redis client) are imported by the code that uses them, not by `create_app`.
Checked in a fresh interpreter, as gunicorn starts one."""

from __future__ import annotations

import json
import subprocess
import sys

LAZY = ("reportlab", "openpyxl", "alembic", "flask_migrate", "huey", "redis", "mako")

SCRIPT = f"""
import json, sys
from screening import create_app
create_app("test", {{"SQLALCHEMY_DATABASE_URI": "sqlite://"}})
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({LAZY!r}))))
"""


def test_create_app_imports_none_of_the_lazy_packages() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_migrations_still_find_their_extension(app) -> None:  # type: ignore[no-untyped-def]
    config = app.extensions["migrate"].migrate.get_config()
    assert config.get_main_option("script_location").endswith("migrations")


def test_flask_db_upgrade_creates_the_schema(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The operator's command (README, `make run`) through the real `flask` CLI: the
    migrations' command group is there although create_app does not import Flask-Migrate."""
    import os
    import sqlite3
    from pathlib import Path

    database = tmp_path / "fresh.db"
    env = dict(
        os.environ,
        SCREENING_CONFIG="development",
        DATABASE_URL=f"sqlite:///{database}",
        # Nothing written beside the code (the instance folder): key and queue given here.
        SECRET_KEY="test-only",
        TASK_QUEUE_URL=f"sqlite:///{tmp_path / 'tasks.db'}",
    )
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(
        [str(flask), "--app", "screening", "db", "upgrade"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    tables = {row[0] for row in sqlite3.connect(database).execute("SELECT name FROM sqlite_master")}
    assert {"child", "assessment", "alembic_version"} <= tables


def test_flask_db_is_still_a_command() -> None:
    from screening import create_app

    fresh = create_app("test", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})  # nothing read yet
    result = fresh.test_cli_runner().invoke(args=["db", "--help"])
    assert result.exit_code == 0, result.output
    assert "upgrade" in result.output
