"""Real consumers: `flask --app screening worker` processes on the test database, their
queue in the database's own kind of storage (SqliteHuey on SQLite, PostgresHuey on
PostgreSQL), under a queue name of the test's own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from screening.core.extensions import db

from ..conftest import PG_URL, ROOT


class Consumers:
    def __init__(self, app, tmp_path: Path):
        self.app = app
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "SCREENING_CONFIG": "test",
            "DATABASE_URL": make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(
                hide_password=False
            ),
            "TASK_QUEUE_URL": app.config["TASK_QUEUE_URL"],
            "TASK_QUEUE_NAME": app.config["TASK_QUEUE_NAME"],
            "JOB_STALE_AFTER_SECONDS": "1",
        }

    def start(self, *args: str, **env: str) -> subprocess.Popen:
        log = (self.tmp_path / f"consumer-{len(self.procs)}.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "screening", "worker", *args],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def log(self, i: int = 0) -> str:
        return (self.tmp_path / f"consumer-{i}.log").read_text()

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def logs(self) -> str:
        """Every consumer's log (for a failing test's message)."""
        return "\n".join(self.log(i)[-4000:] for i in range(len(self.procs)))

    def stop_all(self) -> None:
        for proc in self.procs:
            self.stop(proc)


@pytest.fixture
def real_queue(app, tmp_path):
    """The app's queue as a deployment has it: PostgresHuey on PostgreSQL, else SqliteHuey
    in a file; a fresh queue name, so nothing of another test is left in it."""
    saved = {k: app.config[k] for k in ("TASK_QUEUE_URL", "TASK_QUEUE_NAME")}
    app.extensions.pop("huey", None)
    app.config["TASK_QUEUE_URL"] = PG_URL if PG_URL else f"sqlite:///{tmp_path / 'queue.db'}"
    app.config["TASK_QUEUE_NAME"] = f"test-{uuid.uuid4().hex[:12]}"
    yield app
    if "huey" in app.extensions:
        app.extensions["huey"].flush()
        app.extensions["huey"].storage.close()
    app.extensions.pop("huey", None)
    app.config.update(saved)


@pytest.fixture
def consumers(real_queue, tmp_path):
    c = Consumers(real_queue, tmp_path)
    yield c
    c.stop_all()


def wait_until(predicate, timeout=60.0, interval=0.05, explain=None):
    """Poll until `predicate()` is true (a bound for slow machines, never a timing test)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # read what other processes committed
        db.session.expire_all()
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                "condition not reached in time" + ("\n" + explain() if explain else "")
            )
        time.sleep(interval)
