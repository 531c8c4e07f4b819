"""The task queue: one Huey instance per app, its storage chosen by configuration.

- ``TASK_QUEUE_URL=redis://…``: RedisHuey;
- ``TASK_QUEUE_URL=postgresql://…``, or unset while the database is PostgreSQL: PostgresHuey,
  its tables in a schema of their own (``huey``), away from the app's migrated tables;
- ``TASK_QUEUE_URL=sqlite:///path``, or unset otherwise: SqliteHuey (``tasks.db`` in the
  instance folder).

The tasks themselves are listed in `screening.tasks` (they span areas); `create_app` hands
that list to `init_app`. Each task runs inside an app context with its own database
session, which is removed afterwards. The instance is made on first use, so an app that
never enqueues (a CLI command, most tests) never touches the queue's storage.

A consumer is `flask --app screening worker` (the web server and the consumer are separate
processes; `make run` starts both).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from flask import Flask, current_app

from screening.core.extensions import db

if TYPE_CHECKING:
    # Huey (and with it the Redis client, about 9 MB) is imported when the queue is first
    # used: a web worker that never enqueues does not load it (issue 17).
    from huey import Huey
    from huey.api import TaskWrapper
    from huey.consumer import Consumer

log = logging.getLogger(__name__)
PG_SCHEMA = "huey"


@dataclass(frozen=True)
class TaskSpec:
    """One task: its function, how often it is retried (with back-off) and, for a periodic
    task, when it runs (a `huey.crontab`)."""

    name: str
    func: Callable[..., Any]
    retries: int = 3
    retry_delay: int = 10
    schedule: Callable[..., bool] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


def every(minutes: int) -> Callable[..., bool]:
    from huey import crontab

    return crontab(minute=f"*/{minutes}")


def daily(hour: int, minute: int = 0) -> Callable[..., bool]:
    from huey import crontab

    return crontab(minute=str(minute), hour=str(hour))


def init_app(app: Flask, specs: Callable[[Flask], list[TaskSpec]]) -> None:
    app.extensions["task_specs"] = specs
    app.extensions["huey_lock"] = threading.Lock()


def huey_for(app: Flask) -> Huey:
    """The app's Huey instance with every task registered, made on first use."""
    app = getattr(app, "_get_current_object", lambda: app)()  # not the proxy: tasks keep it
    huey = app.extensions.get("huey")
    if huey is not None:
        return huey
    with app.extensions["huey_lock"]:
        if "huey" not in app.extensions:
            huey = _make_huey(app)
            tasks: dict[str, TaskWrapper] = {}
            for spec in app.extensions["task_specs"](app):
                tasks[spec.name] = _register(huey, app, spec)
            app.extensions["huey_tasks"] = tasks
            app.extensions["huey"] = huey
    return app.extensions["huey"]


def enqueue(name: str, *args: Any) -> None:
    """Queue the task `name` (committed rows only: the consumer runs in another process)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    huey_for(app)
    app.extensions["huey_tasks"][name](*args)


def queue_name(app: Flask) -> str:
    return str(app.config.get("TASK_QUEUE_NAME") or "trivselsspor")


def _make_huey(app: Flask) -> Huey:
    from huey import PostgresHuey, RedisHuey, SqliteHuey

    url = app.config.get("TASK_QUEUE_URL") or ""
    name = queue_name(app)
    db_url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, utc=True)
    if url.startswith(("postgresql", "postgres://")) or (
        not url and db_url.startswith("postgresql")
    ):
        dsn = _libpq_dsn(url or db_url)
        return PostgresHuey(name, connection=functools.partial(_pg_connect, dsn), utc=True)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
    elif url:
        raise RuntimeError("TASK_QUEUE_URL must start with redis://, postgresql:// or sqlite:///")
    else:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        path = Path(app.instance_path) / "tasks.db"
    return SqliteHuey(name, filename=str(path), utc=True)


def _libpq_dsn(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url.removeprefix(prefix)
    return url


def _pg_connect(dsn: str) -> psycopg.Connection[Any]:
    """A connection whose tables live in the `huey` schema (made when missing)."""
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
    conn.execute(f"SET search_path TO {PG_SCHEMA}")
    return conn


def _register(huey: Huey, app: Flask, spec: TaskSpec) -> TaskWrapper:
    @functools.wraps(spec.func)
    def run(*args: Any, **kwargs: Any) -> Any:
        with app.app_context():
            try:
                return spec.func(*args, **kwargs)
            except Exception:
                db.session.rollback()
                # The reason goes to the log; task arguments are ids, never child data.
                log.exception("task %s failed", spec.name)
                raise
            finally:
                db.session.remove()

    options = {
        "retries": spec.retries,
        "retry_delay": spec.retry_delay,
        "retry_backoff": 2,
        "name": spec.name,
        **spec.kwargs,
    }
    if spec.schedule is not None:
        return huey.periodic_task(spec.schedule, **options)(run)
    return huey.task(**options)(run)


def consumer(app: Flask, *, workers: int = 1, periodic: bool = True) -> Consumer:
    return huey_for(app).create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=periodic,
        initial_delay=0.1,
        max_delay=1.0,
        backoff=1.15,
        check_worker_health=True,
    )


@contextmanager
def worker_thread(app: Flask, *, threads: int = 1) -> Iterator[Huey]:
    """Huey's own workers in threads of this process (tests and `make run` use a real
    consumer process; this is for an in-process one, without the periodic scheduler and
    without signal handlers)."""
    from huey.consumer import Worker

    huey = huey_for(app)
    stop = threading.Event()
    workers = [
        Worker(huey, stop, default_delay=0.05, max_delay=0.2, backoff=1.15, max_tasks=None)
        for _ in range(threads)
    ]

    def loop(worker: Worker) -> None:
        worker.initialize()
        try:
            while not stop.is_set():
                worker.loop()
        finally:
            worker.shutdown()

    running = [
        threading.Thread(target=loop, args=(w,), daemon=True, name=f"huey-worker-{i}")
        for i, w in enumerate(workers)
    ]
    for t in running:
        t.start()
    try:
        yield huey
    finally:
        stop.set()
        for t in running:
            t.join(30)
