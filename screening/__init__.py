"""Trivselsspor: early-detection wellbeing screening for Danish daycares.

`create_app` is the application factory; `flask --app screening ...` finds it. It wires the
core (configuration, extensions, request plumbing) and each area's blueprint and commands;
the README's Architecture section tells where everything lives.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from screening.core.config import CONFIGS, env_overrides
from screening.core.extensions import LazyMigrate, babel, csrf, db, login_manager, mail

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    name = config_name or os.environ.get("SCREENING_CONFIG", "production")
    if name not in CONFIGS:
        raise RuntimeError(f"unknown SCREENING_CONFIG {name!r}; use one of {sorted(CONFIGS)}")
    app.config.from_object(CONFIGS[name])
    app.config["CONFIG_NAME"] = name
    app.config.update(env_overrides())
    app.config.update(overrides or {})
    _finish_config(app)

    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    db.init_app(app)
    app.extensions["migrate"] = LazyMigrate(
        app, directory=str(ROOT / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    mail.init_app(app)
    from screening.core.i18n import select_locale

    babel.init_app(app, locale_selector=select_locale)

    from screening import models  # noqa: F401  (every table on the metadata)
    from screening.core import web

    web.init_app(app)
    for blueprint in _blueprints():
        app.register_blueprint(blueprint)

    from screening import tasks
    from screening.core import queue

    queue.init_app(app, tasks.specs)

    from screening.cli import register_cli

    register_cli(app)
    return app


def _blueprints() -> list[Blueprint]:
    """Each area's pages (see the README's Architecture section)."""
    from screening.accounts.views import bp as accounts
    from screening.assessments.views import bp as assessments
    from screening.children.views import bp as children
    from screening.core.views import bp as core
    from screening.documents.views import bp as documents
    from screening.figures.views import bp as figures
    from screening.offline.api import bp as api
    from screening.offline.shell import bp as offline
    from screening.org.views import bp as org
    from screening.paths.views import bp as paths
    from screening.reminders.views import bp as reminders
    from screening.retention.views import bp as retention
    from screening.rounds.views import bp as rounds

    return [
        *(core, accounts, children, org, rounds, assessments, paths, documents, figures),
        *(api, offline, retention, reminders),
    ]


def _finish_config(app: Flask) -> None:
    # The instance folder is made only when something is kept there: an app given its
    # database and secret key (tests, most deployments) writes nothing beside the code.
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        path = Path(app.instance_path) / "trivselsspor.db"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    if not app.config.get("SECRET_KEY"):
        if app.config["CONFIG_NAME"] == "production":
            raise RuntimeError("SECRET_KEY must be set in production (environment variable)")
        key_file = Path(app.instance_path) / "secret_key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
