"""Shared fixtures: one app per test session on a real database, reset before each test.

The database is SQLite by default; set TEST_DATABASE_URL to a PostgreSQL URL to run the
same suite there (CI does both). The schema always comes from the Alembic migrations.
"""

from __future__ import annotations

import contextvars
import os
import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from flask_migrate import upgrade

import screening
from screening import create_app
from screening.catalogue.services import (
    load_instrument_files,
    load_ruleset_files,
    load_template_file,
)
from screening.core import queue
from screening.core.config import normalise_database_url
from screening.core.extensions import db
from screening.core.time import local_today
from screening.models import Role, RoundStatus, ScreeningRound

from . import factories as f
from .factories import DEFAULT_PASSWORD

PG_URL = os.environ.get("TEST_DATABASE_URL")
TRANSLATIONS = Path(screening.__file__).resolve().parent / "translations"

# Hypothesis keeps its example database and caches in ./.hypothesis unless told otherwise;
# tests write nothing into the checkout, so they go to the user's cache folder.
USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(USER_CACHE / "trivselsspor-hypothesis"))

# Nothing the suite does may leave a file in the checkout (instance folders, compiled
# catalogues, rendered pages, tool caches): the session fails if a path appears there.
ROOT = Path(__file__).resolve().parent.parent
NOT_CHECKED = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}
_BEFORE = pytest.StashKey[set[Path]]()
_WRITTEN = pytest.StashKey[list[Path]]()


def checkout_paths() -> set[Path]:
    found: set[Path] = set()
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in NOT_CHECKED and not d.endswith(".egg-info")]
        found.update(Path(folder, name) for name in (*dirs, *files))
    return found


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_BEFORE] = checkout_paths()


def pytest_sessionfinish(session: pytest.Session) -> None:
    wanted = (os.environ.get("TEST_ARTIFACTS"), session.config.option.basetemp)
    kept = [Path(p).resolve() for p in wanted if p]  # folders the user named
    written = [
        p
        for p in sorted(checkout_paths() - session.config.stash[_BEFORE])
        if not any(p.is_relative_to(k) for k in kept)
    ]
    if written:
        session.config.stash[_WRITTEN] = written
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    written = config.stash.get(_WRITTEN, [])
    if written:
        terminalreporter.write_sep("=", "the tests wrote into the checkout", red=True)
        for path in written[:20]:
            terminalreporter.write_line(str(path.relative_to(ROOT)))


def database_url_for(tmp_path: Path, name: str = "test") -> str:
    if PG_URL:
        return normalise_database_url(PG_URL)
    return f"sqlite:///{tmp_path / (name + '.db')}"


def is_postgres() -> bool:
    return bool(PG_URL)


class IsolatedClient(FlaskClient):
    """A test client whose requests run like real ones: in their own app context, with
    their own `g` and database session, never the test's.

    Before each request the test's own session is committed (so what the test set up is
    visible, as if another user had saved it); afterwards it is expired, so the test reads
    what the request wrote.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            db.session.expire_all()

    def session_transaction(self, *args, **kwargs):
        return contextvars.Context().run(super().session_transaction, *args, **kwargs)


def make_app(uri: str, **overrides):
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": uri, **overrides})
    app.test_client_class = IsolatedClient
    return app


@dataclass
class Templates:
    """What each test's database is reset to, made once per session.

    SQLite: two database files copied over the live one, `empty` (migrated) and
    `catalogue` (the same with the shipped catalogue loaded). PostgreSQL: the tables a test
    wrote to are emptied (see `empty_postgres`) and `catalogue_rows` (the rows that loading
    the catalogue wrote, by table) are inserted again, ids and load times included, so the
    classifier's compiled-definition caches keep hitting.
    """

    empty: Path | None
    catalogue: Path | None
    catalogue_rows: dict[str, list[dict]]
    has_catalogue: bool = False  # what the live database holds now
    no_delete: frozenset[str] = frozenset()  # PostgreSQL: tables whose triggers refuse DELETE


def load_catalogue() -> None:
    """What `flask load-catalogue` stores: instruments, rule sets, action-path templates."""
    load_instrument_files()
    load_ruleset_files()
    load_template_file()
    db.session.commit()


@pytest.fixture(scope="session")
def translations(tmp_path_factory) -> Path:
    """The message catalogues compiled from the .po files in git, as `make translations`
    does, into a temporary folder: the suite never reads stale or missing .mo files."""
    out = tmp_path_factory.mktemp("translations")
    for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        mo = out / po.relative_to(TRANSLATIONS).with_suffix(".mo")
        mo.parent.mkdir(parents=True)
        with mo.open("wb") as fh:
            write_mo(fh, catalog)  # without fuzzy entries, like pybabel compile
    return out


@pytest.fixture(scope="session")
def _app_and_template(tmp_path_factory, translations):
    tmp = tmp_path_factory.mktemp("db")
    uri = database_url_for(tmp)
    app = make_app(
        uri,
        BABEL_TRANSLATION_DIRECTORIES=str(translations),
        TASK_QUEUE_URL=f"sqlite:///{tmp / 'tasks.db'}",  # tests/tasks/ run PostgresHuey too
    )
    with app.app_context():
        if is_postgres():
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
        empty = catalogue = None
        if not is_postgres():
            live = Path(uri.removeprefix("sqlite:///"))
            empty = live.with_name("empty.db")
            shutil.copyfile(live, empty)
        load_catalogue()
        with db.engine.connect() as conn:
            rows = {
                t.name: [dict(r) for r in conn.execute(t.select()).mappings()]
                for t in db.metadata.sorted_tables
            }
        db.session.remove()
        db.engine.dispose()
        if not is_postgres():
            catalogue = live.with_name("catalogue.db")
            shutil.copyfile(live, catalogue)
        no_delete = frozenset(postgres_tables_refusing_delete()) if is_postgres() else frozenset()
    templates = Templates(
        empty, catalogue, {name: r for name, r in rows.items() if r}, True, no_delete
    )
    yield app, templates
    with app.app_context():
        db.engine.dispose()  # close pooled connections before the interpreter exits


def insert_catalogue_rows(templates: Templates) -> None:
    """Put the session's catalogue rows back into an empty database."""
    tables = db.metadata.tables
    with db.engine.begin() as conn:
        for name, rows in templates.catalogue_rows.items():
            table = tables[name]
            conn.execute(table.insert(), rows)
            if is_postgres() and "id" in table.c:  # the next id after the inserted ones
                sequence = sa.func.pg_get_serial_sequence(name, "id")
                conn.execute(sa.select(sa.func.setval(sequence, sa.func.max(table.c.id))))
    templates.has_catalogue = True


def postgres_tables_refusing_delete() -> list[str]:
    """Tables with a row trigger on DELETE (the append-only audit trail)."""
    query = sa.text(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND t.tgtype & 8 <> 0 "  # 8: TRIGGER_TYPE_DELETE
        "AND c.relnamespace = 'public'::regnamespace"
    )
    with db.engine.connect() as conn:
        return list(conn.execute(query).scalars())


_RESTART_SEQUENCES = sa.text(
    "SELECT setval(c.oid, 1, false) FROM pg_class c "
    "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
)


def empty_postgres(conn, templates: Templates) -> None:
    """Empty the tables that hold rows and start every id sequence at 1 again.

    The same result as `TRUNCATE <every table> RESTART IDENTITY`, and far cheaper: a test
    writes a few rows to a few tables, while TRUNCATE gives every table and index a new
    file. DELETE goes children first; tables whose triggers refuse DELETE (the audit trail)
    are truncated before.
    """
    tables = db.metadata.sorted_tables
    holding = sa.union_all(
        *(sa.select(sa.literal(t.name)).where(sa.exists().select_from(t)) for t in tables)
    )
    dirty = set(conn.execute(holding).scalars())
    if truncate := sorted(dirty & templates.no_delete):
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in truncate) + " CASCADE"))
    for table in reversed(tables):
        if table.name in dirty - templates.no_delete:
            conn.execute(table.delete())
    conn.execute(_RESTART_SEQUENCES)


def reset_database(app, templates: Templates, *, catalogue: bool = False) -> None:
    """Give the next test a fresh database: empty, or holding only the shipped catalogue."""
    with app.app_context():
        db.session.remove()
        if is_postgres():
            with db.engine.begin() as conn:
                empty_postgres(conn, templates)
            templates.has_catalogue = False
            if catalogue:
                insert_catalogue_rows(templates)
        else:
            db.engine.dispose()
            live = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
            for suffix in ("-wal", "-shm"):
                Path(str(live) + suffix).unlink(missing_ok=True)
            shutil.copyfile(templates.catalogue if catalogue else templates.empty, live)
            templates.has_catalogue = catalogue


@pytest.fixture
def app(request, _app_and_template):
    """The app with an app context pushed, on a freshly migrated database: empty, or holding
    the shipped catalogue when the test uses the `catalogue` fixture (directly or through
    another fixture such as `world`)."""
    app, templates = _app_and_template
    reset_database(app, templates, catalogue="catalogue" in request.fixturenames)
    app.config.update(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        if "huey" in app.extensions:  # nothing queued by this test is left for the next
            app.extensions["huey"].flush()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def reset_db(app, _app_and_template):
    """Reset the database as between two tests: `reset_db(catalogue=True)`."""

    def reset(*, catalogue: bool = False) -> None:
        db.session.remove()  # the test's own session lets go of its connection first
        reset_database(app, _app_and_template[1], catalogue=catalogue)

    return reset


@pytest.fixture
def consumer(app):
    """Huey's own workers in a thread of the test process, running what the test queues
    (tests/tasks/ also run consumer processes)."""
    with queue.worker_thread(app) as huey:
        yield huey


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in page"
    return match.group(1)


class Browser:
    """A test client that behaves like a user: it reads the CSRF token from the page it
    submits, exactly as a browser would."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def token(self, url: str = "/login") -> str:
        return csrf_from(self.client.get(url).get_data(as_text=True))

    def submit(self, url: str, data: dict | None = None, *, page: str | None = None, **kw):
        """POST `data` to `url` with the CSRF token from `page` (default: `url`)."""
        payload = dict(data or {})
        payload["csrf_token"] = self.token(page or url)
        return self.client.post(url, data=payload, **kw)

    def login(self, email: str, password: str = DEFAULT_PASSWORD, **kw):
        return self.submit("/login", {"email": email, "password": password}, **kw)


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def new_browser(app):
    """Make another, independent user agent (its own cookies)."""
    return lambda: Browser(app.test_client())


# A small world for assessment and action-path tests ----------------------------------------


@pytest.fixture
def today() -> date:
    """The day a test runs on, taken once: everything a test builds and everything it passes
    to code that takes `today` uses this one date, so a run across midnight cannot set two days
    against each other within a test. Views read the same clock (`core.time.local_today`,
    Danish time) once per request."""
    return local_today()


def months_ago(months: int, today: date) -> date:
    return today - timedelta(days=int(months * 30.5) + 5)


@pytest.fixture
def catalogue(app, _app_and_template):
    """The shipped instruments, rule sets and action-path templates, stored as `flask
    load-catalogue` stores them. Loaded once per session; the `app` fixture resets the
    database to a copy that holds them."""
    _, templates = _app_and_template
    if not templates.has_catalogue:  # asked for late, with request.getfixturevalue
        db.session.remove()
        insert_catalogue_rows(templates)


@pytest.fixture
def world(app, catalogue, today):
    inst = f.institution("Børnehuset Mælkebøtten", groups=("Egernene",))
    other = f.institution("Andet Hus", groups=("Stuen",))
    group = inst.groups[0]
    kids = {
        "infant": f.child(group, first_name="Ib", birth_date=months_ago(8, today)),
        "toddler": f.child(group, first_name="Tove", birth_date=months_ago(26, today)),
        "older": f.child(group, first_name="Otto", birth_date=months_ago(50, today)),
        "older2": f.child(group, first_name="Ulla", birth_date=months_ago(55, today)),
        "elsewhere": f.child(other.groups[0], first_name="Xenia", birth_date=months_ago(50, today)),
    }
    users = {
        "edu1": f.user(Role.EDUCATOR, institutions=[inst], email="edu1@example.dk", name="Eva"),
        "edu2": f.user(Role.EDUCATOR, institutions=[inst], email="edu2@example.dk", name="Emil"),
        "leader": f.user(Role.LEADER, institutions=[inst], email="leder@example.dk", name="Lis"),
        "dental": f.user(Role.DENTAL, institutions=[inst], email="tand@example.dk"),
        "hv": f.user(Role.HEALTH_VISITOR, institutions=[inst], email="sp@example.dk"),
        "coord": f.user(Role.COORDINATOR, email="koord@example.dk"),
    }
    round_ = ScreeningRound(
        name="Efterår test",
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=30),
        reference_date=today - timedelta(days=10),
        status=RoundStatus.OPEN,
        instrument_keys=["topi-0-1", "topi-1-3", "topi-3-6"],
        institutions=[inst],
    )
    db.session.add(round_)
    db.session.commit()
    return {"inst": inst, "group": group, "round": round_, "today": today, **kids, **users}
