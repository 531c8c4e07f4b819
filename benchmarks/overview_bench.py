"""Frister og fremdrift (`/momentum`) for a whole municipality: one page of open steps with
counts from the database, against rendering every open step (what the page did before it
was paged).

    DATABASE_URL=sqlite:////tmp/kommune.db .venv/bin/python -m benchmarks.overview_bench

Generates (or reuses) the municipality of `benchmarks.municipality` (20,000 children,
5,000 action paths by default), signs in as the coordinator (who sees every institution)
and times whole requests through the app (routing, policy, queries, template), median of
`--runs`. Prints the open steps, the queries per request and the page size too.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from benchmarks.municipality import PASSWORD, Scale, build, prepare
from screening.core.time import local_today


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--children", type=int, default=Scale().children)
    parser.add_argument("--paths", type=int, default=Scale().paths)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--no-all", action="store_true", help="leave out every open step on one page (slow)"
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("set DATABASE_URL or pass --database-url")
    app = prepare(args.database_url)
    from screening.core.extensions import db
    from screening.paths import overview

    with app.app_context():
        summary = build(db.engine, Scale(children=args.children, paths=args.paths))
        totals = overview.overview(None, local_today())
        engine_name = db.engine.dialect.name
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if token is None:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None, "no CSRF token on the sign-in page"
    r = client.post(
        "/login",
        data={"email": summary.coordinator_email, "password": PASSWORD, "csrf_token": token[1]},
    )
    assert r.status_code == 302, r.status_code

    def timed(url: str) -> tuple[float, float, int, int]:
        seen: list[str] = []

        def watch(*_args: object) -> None:
            seen.append("q")

        times, cpu = [], []
        size = 0
        with app.app_context():
            engine = db.engine
        client.get(url)  # warm-up
        for _ in range(args.runs):
            seen.clear()
            sa.event.listen(engine, "before_cursor_execute", watch)
            start, cpu_start = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - cpu_start)
            sa.event.remove(engine, "before_cursor_execute", watch)
            assert response.status_code == 200, (url, response.status_code)
            size = len(response.data)
        return statistics.median(times), statistics.median(cpu), len(seen), size

    print(
        f"open steps {totals.open_steps:,} ({totals.overdue_steps:,} overdue) of "
        f"{totals.children:,} children; {totals.stalled_count:,} paths without progress"
    )
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {engine_name}, median of {args.runs} runs after "
        "one warm-up, load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    for label, url in (
        ("page 1, no filter", "/momentum"),
        ("page 3, red only", "/momentum?position=red&page=3"),
    ):
        median, cpu, queries, size = timed(url)
        print(
            f"{label}: median {median * 1000:.0f} ms (CPU {cpu * 1000:.0f} ms), {queries} "
            f"queries, {size / 1024:.0f} KiB"
        )
    if args.no_all:
        return 0
    # Every open step on one page: what the page rendered before it was paged.
    overview.PER_PAGE, paged = 10**9, overview.PER_PAGE
    try:
        median, cpu, queries, size = timed("/momentum")
    finally:
        overview.PER_PAGE = paged
    print(
        f"every step on one page: median {median * 1000:.0f} ms (CPU {cpu * 1000:.0f} ms), "
        f"{queries} queries, {size / 1024:.0f} KiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
