"""Benchmarks of the background tasks (issue 14), on SQLite or PostgreSQL.

    python -m benchmarks.tasks_bench erasure --database-url sqlite:////tmp/erase.db
    python -m benchmarks.tasks_bench reminders --database-url postgresql://postgres@127.0.0.1/bench

`erasure`: a municipality from `benchmarks/municipality.py` generated as of six years ago
(assessments, joint assessments, observations, paths with steps, plans, meetings, consents,
guardians), every child then closed as having left: all of them are past the 5-year
retention. Times the nightly run (`screening.retention.tasks.run`: one transaction per
child) over a fresh copy each time. Target: 10,000 children in at most 60 s.

`reminders`: 2,000 users coordinating 5,000 open paths with 20,000 open steps due from
three weeks ago to three weeks ahead, 40 institutions with a leader each. Times the daily
run (`screening.reminders.tasks.run`, no e-mail) with the notifications emptied before
each run. Target: at most 10 s.

Each prints every run and the median.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.municipality import Scale, build, prepare
from screening.core.time import local_today


def _copy_database(url: str, template: str) -> None:
    """Make `url` a fresh copy of `template` (a file copy, or CREATE DATABASE … TEMPLATE)."""
    if url.startswith("sqlite:///"):
        live = Path(url.removeprefix("sqlite:///"))
        for suffix in ("-wal", "-shm"):
            Path(str(live) + suffix).unlink(missing_ok=True)
        shutil.copyfile(template, live)
        return
    base = sa.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{base.database}" TEMPLATE "{template}"'))
    admin.dispose()


def _template_of(url: str) -> tuple[str, str]:
    """Where the generated data is built (`build_url`) and what a run copies from."""
    if url.startswith("sqlite:///"):
        live = url.removeprefix("sqlite:///")
        tpl = live + ".template"
        return "sqlite:///" + tpl, tpl
    base = sa.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    tpl = f"{base.database}_template"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{tpl}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{tpl}"'))
    admin.dispose()
    return base.set(database=tpl).render_as_string(hide_password=False), tpl


def erasure(url: str, children: int, runs: int) -> list[float]:
    from screening.core.extensions import db

    build_url, template = _template_of(url)
    if build_url.startswith("sqlite:///"):
        Path(template).unlink(missing_ok=True)
    app = prepare(build_url)
    long_ago = local_today() - timedelta(days=6 * 366)
    with app.app_context():
        scale = replace(Scale(), children=children // 2, paths=children // 8, today=long_ago)
        summary = build(db.engine, scale)
        with db.engine.begin() as conn:
            # Every child left on the day the data was made (some had enrolments or
            # departures planned after it): all are past the 5-year retention.
            conn.execute(
                sa.text(
                    "UPDATE group_membership SET end_date = :d "
                    "WHERE end_date IS NULL OR end_date > :d"
                ),
                {"d": long_ago},
            )
            conn.execute(
                sa.text(
                    "UPDATE group_membership SET start_date = end_date WHERE start_date > end_date"
                )
            )
            conn.execute(sa.text("UPDATE child SET left_on = :d"), {"d": long_ago})
            total = conn.execute(sa.text("SELECT count(*) FROM child")).scalar_one()
        db.engine.dispose()
    print(f"generated {total:,} children in {summary.seconds:.1f} s ({summary.scale_key})")
    times = []
    for i in range(runs):
        _copy_database(url, template)
        run_app = prepare_app(url)
        with run_app.app_context():
            from screening.retention import tasks

            start = time.perf_counter()
            result = tasks.run()
            seconds = time.perf_counter() - start
            left = db.session.scalar(sa.text("SELECT count(*) FROM child"))
            db.session.remove()
            db.engine.dispose()
        if result.erased != total or left != 0:
            raise SystemExit(f"erasure incomplete: {result}, {left} children left")
        print(f"run {i + 1}: {result.erased:,} children erased in {seconds:.1f} s")
        times.append(seconds)
    return times


def prepare_app(url: str) -> Any:
    os.environ.setdefault("SCREENING_CONFIG", "development")
    from screening import create_app
    from screening.core.config import normalise_database_url

    return create_app(None, {"SQLALCHEMY_DATABASE_URI": normalise_database_url(url)})


def reminders(url: str, users: int, steps: int, runs: int) -> list[float]:
    from screening.core.extensions import db

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        _template_of(url)  # makes sure the server answers
        base = sa.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{base.database}"'))
        admin.dispose()
    app = prepare(url)
    today = local_today()
    with app.app_context():
        _reminder_data(db.engine, users, steps, today)
        times = []
        from screening.reminders import tasks

        for i in range(runs):
            db.session.execute(sa.text("DELETE FROM notification"))
            db.session.commit()
            start = time.perf_counter()
            result = tasks.run(today)
            seconds = time.perf_counter() - start
            print(f"run {i + 1}: {result.notified:,} users notified in {seconds:.2f} s")
            times.append(seconds)
        db.session.remove()
        db.engine.dispose()
    return times


def _reminder_data(engine: sa.Engine, users: int, steps: int, today: date) -> None:
    from screening.core.db import utcnow
    from screening.models import (
        ActionPath,
        ActionStep,
        Child,
        Group,
        GroupMembership,
        Institution,
        Municipality,
        User,
        UserRole,
        user_institution,
    )

    now = utcnow()
    n_inst, per_path = 40, 4
    n_paths = steps // per_path
    with engine.begin() as conn:
        conn.execute(sa.insert(Municipality), [{"id": 1, "name": "Bench", "created_at": now}])
        conn.execute(
            sa.insert(Institution),
            [
                {"id": i + 1, "name": f"Institution {i}", "kind": "integreret", "created_at": now}
                for i in range(n_inst)
            ],
        )
        conn.execute(
            sa.insert(Group),
            [
                {"id": i + 1, "institution_id": i + 1, "name": "Stuen", "created_at": now}
                for i in range(n_inst)
            ],
        )
        people = [
            {
                "id": u + 1,
                "email": f"u{u}@bench.dk",
                "name": f"Bruger {u}",
                "password_hash": "x",
                "session_token": f"t{u}",
                "active": True,
                "password_changed_at": now,
                "created_at": now,
            }
            for u in range(users + n_inst)
        ]
        conn.execute(sa.insert(User), people)
        conn.execute(
            sa.insert(UserRole),
            [
                {"user_id": u + 1, "role": "educator" if u < users else "leader"}
                for u in range(users + n_inst)
            ],
        )
        conn.execute(
            sa.insert(user_institution),
            [
                {
                    "user_id": u + 1,
                    "institution_id": (u % n_inst) + 1 if u < users else u - users + 1,
                }
                for u in range(users + n_inst)
            ],
        )
        conn.execute(
            sa.insert(Child),
            [
                {
                    "id": c + 1,
                    "first_name": "Barn",
                    "last_name": str(c),
                    "birth_date": today - timedelta(days=1500),
                    "created_at": now,
                    "updated_at": now,
                }
                for c in range(n_paths)
            ],
        )
        conn.execute(
            sa.insert(GroupMembership),
            [
                {
                    "child_id": c + 1,
                    "group_id": (c % n_inst) + 1,
                    "start_date": today - timedelta(days=400),
                }
                for c in range(n_paths)
            ],
        )
        conn.execute(
            sa.insert(ActionPath),
            [
                {
                    "id": p + 1,
                    "child_id": p + 1,
                    "position": "yellow",
                    "status": "open",
                    "opened_on": today - timedelta(days=60),
                    "coordinator_id": (p % users) + 1,
                    "escalation_level": 1,
                    "template_key": "bench",
                    "template_version": 1,
                    "may_close": False,
                    "close_note": "",
                    "created_at": now,
                }
                for p in range(n_paths)
            ],
        )
        for start in range(0, steps, 5000):
            conn.execute(
                sa.insert(ActionStep),
                [
                    {
                        "path_id": (s // per_path) + 1,
                        "key": f"s{s % per_path}",
                        "kind": "step",
                        "title_da": "Trin",
                        "title_en": "Step",
                        "responsible_role": "educator",
                        "required": True,
                        "due_on": today + timedelta(days=(s * 7919) % 43 - 21),
                        "note": "",
                        "created_at": now,
                    }
                    for s in range(start, min(start + 5000, steps))
                ],
            )
        if engine.dialect.name == "postgresql":
            for table in ("user_account", "child", "action_path", "institution", "child_group"):
                sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608, E501
                conn.execute(sa.text(sql))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["erasure", "reminders"])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("set DATABASE_URL or pass --database-url")
    if args.which == "erasure":
        times = erasure(args.database_url, args.children, args.runs)
    else:
        times = reminders(args.database_url, args.users, args.steps, args.runs)
    print(f"median of {len(times)} runs: {statistics.median(times):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
