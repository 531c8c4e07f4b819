"""Per-request cost of the pages of the load mix (issue 17). One command:

    .venv/bin/python -m benchmarks.request_bench \\
        --database-url postgresql://postgres@127.0.0.1:5432/reqcost_bench --runs 7

Generates (or reuses) the large municipality (`benchmarks.municipality`, the default
`Scale`: 20,000 children in 40 institutions, 10 rounds), signs in through the real sign-in
form as the first group's educator, and sends, in-process through Flask's test client, the
child list of that group (`/groups/<id>`) and its worklist in the open round
(`/rounds/<id>/groups/<id>`); as the first institution's leader the joint assessment page
of a child of that group (`/rounds/<id>/children/<id>/joint`) and *Frister og fremdrift*
(`/momentum`), and the latter as the coordinator too; the educator's offline pack
(`/api/offline-pack`). `--pages` chooses among them. Each run sends `--requests` requests
of a page; the figure of a run is its CPU time (`time.process_time`, this process only: the
database server's work is not in it) and its wall time per request. Prints the median and
the range over `--runs` runs, and the SQL statements per request.

`--profile PAGE` prints a cProfile of `--requests` requests of that page instead;
`--profile PAGE --breakdown` where its CPU time goes (the user load, the template, the SQL
statements, the commit, the rest), from clocks read at Flask's and SQLAlchemy's signals.
`--small` generates a small municipality instead (one institution of 80 children in four
groups, as the demo's: the pages' growth with the data is the ratio of the two).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from datetime import date

import sqlalchemy as sa

from benchmarks.municipality import PASSWORD, Scale, build, fresh_statistics, prepare


def _print_statements(engine, client, url: str, explain: bool = False) -> int:
    """Each SQL statement of one request of `url`, with its wall time (driver and database);
    `explain`: then PostgreSQL's plan of each SELECT, run again under EXPLAIN ANALYZE."""
    seen: list[tuple[float, str]] = []
    plans: list[str] = []
    began: list[float] = []

    def before(conn, cursor, statement, *a):
        began.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, *a):
        seen.append(((time.perf_counter() - began.pop()) * 1000, statement))
        if explain and statement.lstrip().upper().startswith("SELECT"):
            # A cursor of its own: the statement's rows are still to be fetched from this one.
            with conn.connection.dbapi_connection.cursor() as other:
                other.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plans.append("\n".join(str(r[0]) for r in other.fetchall()))

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    client.get(url)
    sa.event.remove(engine, "before_cursor_execute", before)
    sa.event.remove(engine, "after_cursor_execute", after)
    width = None if os.environ.get("FULL_SQL") else 160  # FULL_SQL=1: whole statements
    for ms, statement in seen:
        print(f"{ms:7.2f} ms  {' '.join(statement.split())[:width]}")
    print(f"{sum(ms for ms, _ in seen):7.2f} ms in {len(seen)} statements")
    for plan in plans:
        print(plan, end="\n\n")
    return 0


def _login(client, email: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, f"sign-in of {email} failed: {r.status_code}"


PAGES = (
    "children",
    "worklist",
    "joint",
    "momentum-leader",
    "momentum-coordinator",
    "offline",
    "child",
    "form",
    "plumbing",
)
SMALL = Scale(institutions=1, groups_per_institution=4, children=80, rounds=4, paths=20)


class Breakdown:
    """Where a request's CPU time goes, by clocks read at a few points (Flask's and
    SQLAlchemy's signals and events: cheap, unlike a profiler, whose overhead weighs on
    the templates' many small calls most). Each figure is process CPU time per request."""

    def __init__(self, app, engine):
        import flask
        from sqlalchemy.orm import Session

        from screening.core.extensions import login_manager

        self.totals: dict[str, float] = {}
        self._open: dict[str, float] = {}
        self._depth = 0
        clock = time.process_time

        def start(key):
            self._open[key] = clock()

        def stop(key):
            began = self._open.pop(key, None)
            if began is not None:
                self.totals[key] = self.totals.get(key, 0.0) + clock() - began

        flask.request_started.connect(lambda *a, **k: start("app"), app, weak=False)
        flask.request_finished.connect(lambda *a, **k: stop("app"), app, weak=False)
        flask.before_render_template.connect(lambda *a, **k: start("template"), app, weak=False)
        flask.template_rendered.connect(lambda *a, **k: stop("template"), app, weak=False)
        sa.event.listen(engine, "before_execute", lambda *a, **k: start("sql"))
        sa.event.listen(engine, "after_execute", lambda *a, **k: stop("sql"))
        sa.event.listen(engine, "before_cursor_execute", lambda *a, **k: start("driver"))
        sa.event.listen(engine, "after_cursor_execute", lambda *a, **k: stop("driver"))
        sa.event.listen(engine, "commit", lambda *a, **k: start("commit"))
        sa.event.listen(Session, "after_commit", lambda *a, **k: stop("commit"))
        loader = login_manager._user_callback

        def timed_loader(user_id):
            start("user")
            try:
                return loader(user_id)
            finally:
                stop("user")

        login_manager._user_callback = timed_loader

    def report(self, whole: float, requests: int) -> None:
        t = {k: v * 1000 / requests for k, v in self.totals.items()}
        ms = whole * 1000 / requests
        rows = (
            ("whole request, in the test client", ms),
            ("  outside the app (test client, WSGI environ, contexts)", ms - t.get("app", 0)),
            ("  the app, request_started to request_finished", t.get("app", 0)),
            ("    the user load (its one statement included)", t.get("user", 0)),
            ("    the template (Jinja rendering only)", t.get("template", 0)),
            ("    SQL statements (Core execute: compile, driver, rows)", t.get("sql", 0)),
            ("      of which the driver's cursor.execute", t.get("driver", 0)),
            ("    the COMMIT (driver)", t.get("commit", 0)),
            (
                "    the rest: Flask, views' Python, ORM objects, forms, context",
                t.get("app", 0) - t.get("template", 0) - t.get("sql", 0) - t.get("commit", 0),
            ),
        )
        print(f"Breakdown per request (CPU ms, {requests} requests):")
        for label, value in rows:
            print(f"  {label:64} {value:6.2f} ms  {100 * value / ms:5.1f} %")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=100, help="requests per run")
    parser.add_argument("--profile", choices=PAGES)
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=list(PAGES))
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="with --profile: where the CPU time goes (clocks at a few points, no profiler)",
    )
    parser.add_argument("--dump", metavar="FILE", help="with --profile: also save the profile")
    parser.add_argument(
        "--sql",
        action="store_true",
        help="with --profile: print each statement of one request and its wall time instead",
    )
    parser.add_argument(
        "--explain", action="store_true", help="with --sql: and PostgreSQL's plan of each SELECT"
    )
    parser.add_argument(
        "--small", action="store_true", help="a municipality of 80 children (the demo's size)"
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("set DATABASE_URL or pass --database-url")
    app = prepare(args.database_url)
    from screening.core.extensions import db
    from screening.org.models import Group

    with app.app_context():
        summary = build(db.engine, SMALL if args.small else Scale())
        fresh_statistics(db.engine)
        group_id = db.session.scalar(
            sa.select(Group.id)
            .where(Group.institution_id == summary.institutions[0])
            .order_by(Group.id)
            .limit(1)
        )
        dialect = db.engine.dialect.name
        kids = db.session.scalars(
            sa.text(
                "SELECT m.child_id FROM group_membership m JOIN child c ON c.id = m.child_id"
                " WHERE m.group_id = :g AND m.end_date IS NULL"
                " ORDER BY c.first_name, c.last_name, c.id"
            ),
            {"g": group_id},
        ).all()
    round_id = summary.rounds[-1]
    print(
        f"{date.today()} {platform.node()} {platform.machine()} python "
        f"{platform.python_version()} {dialect}: {summary.scale_key} "
        f"({'reused' if summary.reused else 'generated'}); load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    with app.app_context():
        engine = db.engine
    # No app context held around the requests: each request has its own, and so its own
    # session, as under gunicorn (a context held open would keep one session for all).
    clients = {}
    for who, email in (
        ("educator", summary.educator_email),
        ("leader", summary.leader_email),
        ("coordinator", summary.coordinator_email),
    ):
        clients[who] = app.test_client()
        _login(clients[who], email)
    # A child whose joint assessment page the leader can open (a leader with a draft of
    # their own is sent to finish it first).
    joint = next(
        (
            url
            for kid in kids
            if clients["leader"].get(url := f"/rounds/{round_id}/children/{kid}/joint").status_code
            == 200
        ),
        None,
    )
    assert joint, "no child whose joint assessment the leader can open"
    # A child the educator may assess (one submitted already is sent elsewhere).
    form = next(
        (
            url
            for kid in kids
            if clients["educator"]
            .get(url := f"/rounds/{round_id}/children/{kid}/assess")
            .status_code
            == 200
        ),
        None,
    )
    assert form, "no child the educator may assess"
    every = {
        "children": ("educator", f"/groups/{group_id}"),
        "worklist": ("educator", f"/rounds/{round_id}/groups/{group_id}"),
        "joint": ("leader", joint),
        "momentum-leader": ("leader", "/momentum"),
        "momentum-coordinator": ("coordinator", "/momentum"),
        "offline": ("educator", "/api/offline-pack"),
        "child": ("educator", f"/children/{kids[0]}"),
        "form": ("educator", form),
        # A signed-in page with next to nothing of its own (the educator's notifications):
        # the cost every page pays before its first row.
        "plumbing": ("educator", "/notifications"),
    }
    pages = {name: every[name] for name in ([args.profile] if args.profile else args.pages)}
    if True:
        for who, url in pages.values():
            assert clients[who].get(url).status_code == 200, url  # warm
        if args.profile:
            import cProfile
            import pstats

            who, url = pages[args.profile]
            client = clients[who]
            if args.sql:
                return _print_statements(engine, client, url, args.explain)
            if args.breakdown:
                split = Breakdown(app, engine)
                began = time.process_time()
                for _ in range(args.requests):
                    client.get(url)
                split.report(time.process_time() - began, args.requests)
                return 0
            prof = cProfile.Profile()
            prof.runcall(lambda: [client.get(url) for _ in range(args.requests)])
            if args.dump:
                prof.dump_stats(args.dump)
            stats = pstats.Stats(prof)
            stats.sort_stats("cumulative").print_stats(90)
            stats.sort_stats("tottime").print_stats(25)
            return 0
        for name, (who, url) in pages.items():
            client = clients[who]
            queries: list[str] = []

            def watch(conn, cursor, statement, *a, _q=queries):
                _q.append(statement)

            sa.event.listen(engine, "before_cursor_execute", watch)
            r = client.get(url)
            sa.event.remove(engine, "before_cursor_execute", watch)
            assert r.status_code == 200, (url, r.status_code)
            cpu, wall = [], []
            for _ in range(args.runs):
                c, w = time.process_time(), time.perf_counter()
                for _ in range(args.requests):
                    client.get(url)
                cpu.append((time.process_time() - c) * 1000 / args.requests)
                wall.append((time.perf_counter() - w) * 1000 / args.requests)
            print(
                f"  {name:20} CPU median {statistics.median(cpu):5.2f} ms/request "
                f"({min(cpu):.2f}–{max(cpu):.2f}), wall median {statistics.median(wall):5.2f} ms "
                f"({min(wall):.2f}–{max(wall):.2f}); {len(queries)} queries; {args.runs} runs × "
                f"{args.requests} requests, {len(r.data) / 1024:.1f} KiB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
