"""Coordinator and leader pages at municipal scale (issue 13). One command:
`make bench-pages DATABASE_URL=...` (or `.venv/bin/python -m benchmarks.pages_bench`).

Generates (or reuses) a municipality with `benchmarks.municipality` in `DATABASE_URL`
(SQLite or PostgreSQL; default 40 institutions, 400 groups, 20,000 children, 10 rounds,
5,000 action paths), then requests each page through the app (Flask's test client: the
whole request, sign-in wall, views, templates and PDF builds included; no network) and
prints per page the median, min and max wall time of `--runs` runs after one warm-up, the
median CPU time of this process (on SQLite the database's work is in it; on PostgreSQL the
server's is not: on a shared machine it shows the work when the wall time shows the
queue), the number of SQL queries and the size of the answer.

Pages: the coordinator's key-figures dashboard for the open round (all institutions, and
one institution), its trend over the last rounds (a page of its own), the round overview
`/rounds/<id>`, the municipal overview PDF, the momentum view, the leader's home page (`/`
as the first institution's leader, following its redirect) and the group overview, when
the app has them (pages another issue adds are timed once they exist). Target: each ≤ 300 ms median.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from benchmarks.municipality import PASSWORD, Scale, build, fresh_statistics, prepare

TARGET_MS = 300.0


class Counter:
    def __init__(self, engine: sa.Engine) -> None:
        self.n = 0
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.n += 1


def _login(client: Any, email: str) -> None:
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": email, "password": PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    answer = client.post("/login", data=data)
    if answer.status_code not in (302, 303):
        raise SystemExit(f"sign-in as {email} failed ({answer.status_code})")


def _final(client: Any, url: str) -> str:
    """Where `url` lands after redirects (the home pages redirect by role)."""
    for _ in range(5):
        answer = client.get(url)
        if answer.status_code not in (301, 302, 303):
            return url
        url = answer.headers["Location"]
    return url


def forget_protections() -> None:
    """Empty the kept results of the suppression (pure functions of the counts, kept per
    process), as a page's first view after an assessment changed a count finds them."""
    from screening.figures import suppression, tables

    suppression._protect.cache_clear()
    suppression._protect_linked.cache_clear()
    tables._protect_round.cache_clear()


def main(argv: list[str] | None = None) -> int:
    defaults = Scale()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--institutions", type=int, default=defaults.institutions)
    parser.add_argument("--groups", type=int, default=defaults.groups_per_institution)
    parser.add_argument("--children", type=int, default=defaults.children)
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--paths", type=int, default=defaults.paths)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", help="time only pages whose name contains this")
    parser.add_argument("--skip", help="leave out pages whose name contains this")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="forget the kept protections before every run (a page's first view after a "
        "count changed; without it, runs after the warm-up find them kept)",
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("set DATABASE_URL or pass --database-url")
    scale = replace(
        defaults,
        institutions=args.institutions,
        groups_per_institution=args.groups,
        children=args.children,
        rounds=args.rounds,
        paths=args.paths,
    )
    app = prepare(args.database_url)
    app.config.update(WTF_CSRF_ENABLED=True)
    from screening.core.extensions import db

    with app.app_context():
        summary = build(db.engine, scale)
        dialect = db.engine.dialect.name
        fresh_statistics(db.engine)
        counter = Counter(db.engine)
    state = "reused" if summary.reused else f"generated in {summary.seconds:.0f} s"
    print(f"{summary.scale_key} on {dialect}: {state}")
    for table in ("child", "assessment", "joint_assessment", "action_path", "action_step"):
        if table in summary.counts:
            print(f"  {table}: {summary.counts[table]:,}")

    rid, first = summary.rounds[-1], summary.institutions[0]
    endpoints = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    coordinator = app.test_client()
    leader = app.test_client()
    # (no app context around requests: Flask-WTF would share one CSRF token in `g`)
    _login(coordinator, summary.coordinator_email)
    _login(leader, summary.leader_email)
    leader_home = _final(leader, "/")
    one = f"/rounds/{rid}/figures?institution={first}"
    pages: list[tuple[str, Any, str]] = [
        ("key figures (all institutions)", coordinator, f"/rounds/{rid}/figures"),
        (
            "key figures (one institution)",
            coordinator,
            one,
        ),
        ("key figures trend page (all institutions)", coordinator, f"/rounds/{rid}/figures/trend"),
        ("round overview /rounds/<id>", coordinator, f"/rounds/{rid}"),
        ("municipal overview PDF", coordinator, f"/rounds/{rid}/municipal.pdf"),
        ("momentum view", coordinator, "/momentum"),
        (f"leader's home page ({leader_home})", leader, leader_home),
    ]
    group_overview = next((e for e in endpoints if e.endswith("group_overview")), None)
    if group_overview:
        with app.app_context(), app.test_request_context():
            from flask import url_for

            from screening.org.models import Group

            group = db.session.scalar(
                sa.select(Group).where(Group.institution_id == first).order_by(Group.id)
            )
            try:
                url = url_for(group_overview, round_id=rid, group_id=group.id)
            except Exception:
                url = None
        if url:
            pages.append(("group overview", leader, url))
    if args.only:
        pages = [p for p in pages if args.only in p[0]]
    if args.skip:
        pages = [p for p in pages if args.skip not in p[0]]

    print(
        f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {dialect}, "
        f"median of {args.runs} runs after one warm-up"
        + (", protections forgotten before each run" if args.cold else "")
        + ", load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print(f"{'page':48} {'median':>8} {'min':>8} {'max':>8} {'cpu':>8} {'queries':>8} {'KB':>7}")
    slow = []
    for name, client, url in pages:
        answer = client.get(url)  # warm-up
        if answer.status_code != 200:
            print(f"{name:48} answered {answer.status_code}; skipped")
            continue
        times, cpu = [], []
        for _ in range(args.runs):
            if args.cold:
                forget_protections()
            before = counter.n
            start, cpu_start = time.perf_counter(), time.process_time()
            answer = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - cpu_start) * 1000)
            queries = counter.n - before
        med = statistics.median(times)
        if med > TARGET_MS:
            slow.append(name)
        print(
            f"{name:48} {med:8.1f} {min(times):8.1f} {max(times):8.1f} "
            f"{statistics.median(cpu):8.1f} {queries:8d} "
            f"{len(answer.data) / 1024:7.0f}"
        )
    print(f"\ntarget ≤ {TARGET_MS:.0f} ms median: " + ("met" if not slow else f"missed: {slow}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
