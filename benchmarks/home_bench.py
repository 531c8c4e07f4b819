"""Home page and group overview benchmark (issue 13). One command:

    .venv/bin/python -m benchmarks.home_bench --database-url sqlite:////tmp/home.db \\
        --children 20000 --institutions 40 --rounds 10 --paths 5000 --runs 7

Generates (or reuses) a municipality of that shape with `benchmarks.municipality`, signs
in through the real sign-in form, and times, in-process through Flask's test client, the
leader's and an educator's home page ("I dag"), a home-page list (the open round's "ready
for the joint assessment" for the whole institution) and the group overview (trafiklys)
of the leader's first group in the open round, HTML and PDF, after an ANALYZE of the
generated data. Prints per page the median,
min and max wall milliseconds over `--runs` runs (after one warm-up), the SQL queries per
request and the size of the answer.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from dataclasses import replace
from datetime import date

import sqlalchemy as sa

from benchmarks.municipality import PASSWORD, Scale, build, fresh_statistics, prepare


def _login(client, email: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, f"sign-in of {email} failed: {r.status_code}"


def main(argv: list[str] | None = None) -> int:
    defaults = Scale()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--institutions", type=int, default=defaults.institutions)
    parser.add_argument("--children", type=int, default=defaults.children)
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--paths", type=int, default=defaults.paths)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("set DATABASE_URL or pass --database-url")
    scale = replace(
        defaults,
        institutions=args.institutions,
        children=args.children,
        rounds=args.rounds,
        paths=args.paths,
    )
    app = prepare(args.database_url)
    from screening.core.extensions import db
    from screening.org.models import Group

    with app.app_context():
        summary = build(db.engine, scale)
        fresh_statistics(db.engine)
        group_id = db.session.scalar(
            sa.select(Group.id)
            .where(Group.institution_id == summary.institutions[0])
            .order_by(Group.id)
            .limit(1)
        )
        dialect = db.engine.dialect.name
    round_id = summary.rounds[-1]
    pages = {
        "leader": [
            ("home", "/"),
            ("list ready", f"/today/ready?round={round_id}"),
            ("group overview", f"/rounds/{round_id}/groups/{group_id}/overview"),
            ("group overview PDF", f"/rounds/{round_id}/groups/{group_id}/overview.pdf"),
        ],
        "educator": [("home", "/")],
    }
    emails = {"leader": summary.leader_email, "educator": summary.educator_email}
    print(
        f"{date.today()} {platform.node()} {platform.machine()} python {platform.python_version()} "
        f"{dialect}: {summary.scale_key} ({'reused' if summary.reused else 'generated'})"
    )
    for who, urls in pages.items():
        with app.app_context():
            client = app.test_client()
            _login(client, emails[who])
            engine = db.engine
            for name, url in urls:
                queries: list[str] = []

                def watch(conn, cursor, statement, *a, _q=queries):
                    _q.append(statement)

                times = []
                size = 0
                for i in range(args.runs + 1):
                    queries.clear()
                    sa.event.listen(engine, "before_cursor_execute", watch)
                    started = time.perf_counter()
                    r = client.get(url)
                    elapsed = time.perf_counter() - started
                    sa.event.remove(engine, "before_cursor_execute", watch)
                    assert r.status_code == 200, (url, r.status_code)
                    size = len(r.data)
                    if i:  # the first run warms caches up
                        times.append(elapsed * 1000)
                print(
                    f"  {who:8} {name:20} median {statistics.median(times):7.1f} ms "
                    f"(min {min(times):.1f}, max {max(times):.1f}; {len(times)} runs) "
                    f"{len(queries):3d} queries {size / 1024:7.1f} KiB"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
