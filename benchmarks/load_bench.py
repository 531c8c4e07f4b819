"""The pages under load (issue 17). One command: `make bench-load` (or
`.venv/bin/python -m benchmarks.load_bench`; `--quick` for a run of about two minutes).

For each size, the demo municipality (`screening.demo`, 200 children, in the PostgreSQL
database `loadbench_demo`) and the large one (`benchmarks.municipality`'s default scale,
20,000 children in 400 groups, in `loadbench_large`; both built once, then reused), it
starts gunicorn with the README's settings (`gunicorn.conf.py`, production configuration)
on a free port, and beside it the minimal Flask app (`benchmarks/minimal_app.py`) under the
same settings on another. It signs in over HTTP as an educator, a leader and a coordinator
(the sign-in form's CSRF token, then the session cookie) and drives each page of the mix
with `wrk` (`benchmarks/load.lua`) at each number of connections: the worklist and the
child list of the educator's group, a child's page, the assessment form (GET, and POST: a
draft save, the form's version field kept right per child), the leader's joint assessment
page, *Frister og fremdrift* (`/momentum`) as the leader and as the coordinator, and the
educator's offline pack. Each page's run is followed by a run of the minimal app of the
same length and connections (A B A B ... with `--pairs`), so the ratio is taken under the
same machine load. Printed per page: requests/s, p50, p95, errors (answers other than
2xx/3xx, and socket errors and timeouts), conflicts (draft saves refused as "changed
meanwhile" because two saves of one (assessor, child) pair overlapped: the app's designed
answer to two tabs at once, caused by the harness when connections outnumber the pairs,
so not counted as errors), the workers' CPU per request (n/a when `max_requests` replaced
a worker during the run), the ratio to the minimal app's requests/s, and the targets.
Then the worker: start-up (fork to ready, with and without preload) and memory (VmRSS,
Pss) idle and after `--rss-requests` requests per worker of the GET mix.

Targets (issue 17, at 20 connections): worklist and child list ≥ 10 % of the minimal
app's throughput, p95 ≤ 100 ms; every page p95 ≤ 250 ms, no errors, and no page's median
growing more than 1.5× from the demo municipality to the large one; RSS ≤ 150 MB per
worker after 10,000 requests; worker start ≤ 0.5 s with preload.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import html.parser
import http.client
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from screening.core.time import local_today

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "benchmarks" / "load.lua"
TIMING_CONF = ROOT / "benchmarks" / "gunicorn_timing.conf.py"
PG = os.environ.get("LOADBENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DEMO_PASSWORD = "demo-adgangskode"  # noqa: S105 - the demo's documented password
EDUCATOR, LEADER, COORDINATOR = 0, 1, 2
# Pages whose targets are the strict ones (issue 17).
LIST_PAGES = ("worklist", "child list")
LIST_SHARE, LIST_P95_MS, PAGE_P95_MS, GROWTH, RSS_MB, START_S = 0.10, 100, 250, 1.5, 150, 0.5


# Data ----------------------------------------------------------------------------------


@dataclass
class Size:
    name: str
    url: str
    users: tuple[str, ...]  # educator, leader, coordinator, then more assessors
    password: str
    pages: list[Page] = field(default_factory=list)
    post_items: list[tuple[int, int]] = field(default_factory=list)  # (user, child)
    user_ids: list[int] = field(default_factory=list)
    csrf: dict[int, str] = field(default_factory=dict)  # user → CSRF token of the session
    round_id: int = 0
    educator_id: int = 0
    form_body: str = ""
    note: str = ""


@dataclass
class Page:
    name: str
    user: int
    path: str
    post: bool = False


def build_size(name: str, url: str) -> Size:
    """The database at `url` with its municipality (built once), statistics fresh."""
    from benchmarks.municipality import PASSWORD, Scale, build, fresh_statistics, prepare

    _ensure_database(url)
    app = prepare(url)
    from screening.core.extensions import db

    with app.app_context():
        if name == "large":
            summary = build(db.engine, Scale())
            users = (summary.educator_email, summary.leader_email, summary.coordinator_email)
            password = PASSWORD
            note = "reused" if summary.reused else f"generated in {summary.seconds:.0f} s"
        else:
            from screening import demo

            made = demo.seed(local_today())
            db.session.commit()
            users = (
                "paedagog@demo.dk",
                "leder@demo.dk",
                "koordinator@demo.dk",
                "paedagog2@demo.dk",
                "leder2@demo.dk",
            )
            password = DEMO_PASSWORD
            note = "generated" if made else "reused"
        fresh_statistics(db.engine)
        with db.engine.begin() as conn:
            counts = {
                t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}"))  # noqa: S608 - fixed names
                for t in ("child", "child_group", "assessment", "action_path")
            }
        db.engine.dispose()
    note += ", " + ", ".join(f"{t} {n:,}" for t, n in counts.items())
    return Size(name, url, users, password, note=note)


def _ensure_database(url: str) -> None:
    base, _, dbname = url.rpartition("/")
    engine = sa.create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": dbname}):
            conn.execute(sa.text(f'CREATE DATABASE "{dbname}"'))
    engine.dispose()


def _engine(url: str) -> sa.Engine:
    from screening.core.config import normalise_database_url

    return sa.create_engine(normalise_database_url(url))


def resolve(size: Size, base: str, cookies: list[str], max_children: int) -> None:
    """Pick the ids the pages need: the open round, the educator's first group with
    children, and the (assessor, child) pairs of the draft saves: the children of their
    institutions that the educator, the leader and any further assessor may still assess
    (several pairs per connection, so that no two saves of one pair overlap)."""
    savers = [EDUCATOR, LEADER, *range(3, len(size.users))]
    engine = _engine(size.url)
    with engine.connect() as conn:
        size.round_id = conn.scalar(
            sa.text("SELECT id FROM screening_round WHERE status = 'open' ORDER BY starts_on DESC")
        )
        size.user_ids = [
            conn.scalar(sa.text("SELECT id FROM user_account WHERE email = :e"), {"e": e})
            for e in size.users
        ]
        rows = {
            user: conn.execute(
                sa.text(
                    "SELECT g.id AS group_id, m.child_id FROM user_institution ui"
                    " JOIN child_group g ON g.institution_id = ui.institution_id"
                    " JOIN group_membership m ON m.group_id = g.id AND m.end_date IS NULL"
                    " JOIN child c ON c.id = m.child_id"
                    " WHERE ui.user_id = :u ORDER BY g.id, c.first_name, c.last_name, c.id"
                ),
                {"u": size.user_ids[user]},
            ).all()
            for user in savers
        }
    engine.dispose()
    rid = size.round_id
    group_id = rows[EDUCATOR][0].group_id
    # The joint assessment page: a child whose page the leader can open (a leader with a
    # draft of their own is sent to finish it first, so the leader saves no draft for it).
    joint = None
    for row in rows[EDUCATOR]:
        path = f"/rounds/{rid}/children/{row.child_id}/joint"
        if _request(base, "GET", path, cookies[LEADER])[0] == 200:
            joint = row.child_id
            break
    if joint is None:
        raise SystemExit(f"{size.name}: no child whose joint assessment the leader can open")
    forms: list[_Form] = []
    size.post_items = []
    each = max(1, max_children // len(savers))
    for user in savers:
        for row in rows[user]:
            if sum(1 for u, _ in size.post_items if u == user) >= each:
                break
            if user == LEADER and row.child_id == joint:
                continue
            path = f"/rounds/{rid}/children/{row.child_id}/assess"
            status, headers, text = _request(base, "GET", path, cookies[user])
            # The first form a session sees puts the CSRF secret into its cookie.
            cookies[user] = headers.get("set-cookie", cookies[user])
            if status != 200:
                continue  # submitted already, not in the round, or not this user's to assess
            if not size.post_items:
                group_id = row.group_id
            size.post_items.append((user, row.child_id))
            forms.append(_Form.parse(text))
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text)
            size.csrf[user] = token.group(1) if token else ""
    if not size.post_items:
        raise SystemExit(f"{size.name}: no child the educator may assess in round {rid}")
    child = size.post_items[0][1]
    size.pages = [
        Page("worklist", EDUCATOR, f"/rounds/{rid}/groups/{group_id}"),
        Page("child list", EDUCATOR, f"/groups/{group_id}"),
        Page("child page", EDUCATOR, f"/children/{child}"),
        Page("assessment form GET", EDUCATOR, f"/rounds/{rid}/children/{child}/assess"),
        Page("assessment form POST", EDUCATOR, f"/rounds/{rid}/children/{{child}}/assess", True),
        Page("joint assessment", LEADER, f"/rounds/{rid}/children/{joint}/joint"),
        Page("momentum (leader)", LEADER, "/momentum"),
        Page("momentum (coordinator)", COORDINATOR, "/momentum"),
        Page("offline pack", EDUCATOR, "/api/offline-pack"),
    ]
    common = set.intersection(*(set(f.names()) for f in forms))
    size.form_body = _draft_body(forms[0], common)


def versions(size: Size) -> str:
    """`user:child:user id:version,...` of the draft saves (the version of the saved
    draft, 0 for none yet), for load.lua."""
    engine = _engine(size.url)
    with engine.connect() as conn:
        saved = {
            (c, u): v
            for c, u, v in conn.execute(
                sa.text(
                    "SELECT child_id, assessor_id, version FROM assessment"
                    " WHERE round_id = :r AND assessor_id = ANY(:u)"
                ),
                {"r": size.round_id, "u": size.user_ids},
            ).all()
        }
    engine.dispose()
    return ",".join(
        f"{u}:{c}:{size.user_ids[u]}:{saved.get((c, size.user_ids[u]), 0)}"
        for u, c in size.post_items
    )


class _Form(html.parser.HTMLParser):
    """The fields of the first form with a `version` field (the assessment form)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str, str, bool]] = []  # name, type, value, checked
        self.depth = 0
        self.done = False
        self.current: list[tuple[str, str, str, bool]] = []
        self.textarea: str | None = None

    @classmethod
    def parse(cls, text: str) -> _Form:
        form = cls()
        form.feed(text)
        return form

    def names(self) -> list[str]:
        return sorted({f[0] for f in self.fields})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self.done:
            return
        if tag == "form":
            self.depth, self.current = 1, []
        elif self.depth and tag in ("input", "button") and a.get("name"):
            kind = a.get("type", "text" if tag == "input" else "submit")
            self.current.append((a["name"], kind, a.get("value", ""), "checked" in a))
        elif self.depth and tag in ("textarea", "select") and a.get("name"):
            self.current.append((a["name"], tag, "", False))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.depth and not self.done:
            self.depth = 0
            if any(f[0] == "version" for f in self.current):
                self.fields, self.done = self.current, True


def _draft_body(form: _Form, common: set[str]) -> str:
    """The form as a browser sends it after ticking the first statement and writing a
    note, with the draft button: `{version}` and `{note}` left for load.lua. Only the
    fields that every form of the draft saves has (the instruments differ by age)."""
    pairs: list[tuple[str, str]] = []
    ticked = False
    for name, kind, value, checked in form.fields:
        if name not in common:
            continue
        if name == "csrf_token":
            pairs.append((name, "{csrf}"))
        elif name == "version":
            pairs.append((name, "{version}"))
        elif name == "resources":
            pairs.append((name, "{note}"))
        elif kind == "checkbox":
            if checked or not ticked:
                pairs.append((name, value or "y"))
                ticked = True
        elif kind == "radio":
            if checked:
                pairs.append((name, value))
        elif kind == "submit":
            if name == "save_draft":
                pairs.append((name, value))
        elif kind in ("hidden", "text", "textarea", "select"):
            pairs.append((name, value))
    body = urllib.parse.urlencode(pairs)
    for key in ("version", "note", "csrf"):
        body = body.replace(f"%7B{key}%7D", "{" + key + "}")
    return body


# HTTP ----------------------------------------------------------------------------------


def _request(
    base: str, method: str, path: str, cookie: str = "", body: str | None = None
) -> tuple[int, dict[str, str], str]:
    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    answer = conn.getresponse()
    text = answer.read().decode("utf-8", "replace")
    result = {k.lower(): v for k, v in answer.getheaders() if k.lower() != "set-cookie"}
    cookies = [v.split(";", 1)[0] for k, v in answer.getheaders() if k.lower() == "set-cookie"]
    if cookies:
        result["set-cookie"] = "; ".join(cookies)
    conn.close()
    return answer.status, result, text


def sign_in(base: str, email: str, password: str) -> str:
    """The session cookie of `email`, signed in through the form (with its CSRF token)."""
    status, headers, page = _request(base, "GET", "/login")
    cookie = headers.get("set-cookie", "")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if status != 200 or token is None:
        raise SystemExit(f"no sign-in form at {base}/login ({status})")
    body = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "email": email, "password": password, "next": ""}
    )
    status, headers, _ = _request(base, "POST", "/login", cookie, body)
    if status not in (302, 303) or "set-cookie" not in headers:
        raise SystemExit(f"sign-in as {email} failed ({status})")
    return headers["set-cookie"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def gunicorn(
    target: str, env: dict[str, str], conf: Path | None = None, ready_path: str = "/"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """gunicorn serving `target` with gunicorn.conf.py on a free port, until the block ends."""
    port = free_port()
    full = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "-c",
        str(conf or ROOT / "gunicorn.conf.py"),
        target,
    ]
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(command, cwd=ROOT, env=full, stdout=log, stderr=log)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _request(base, "GET", ready_path)
                break
            except OSError as error:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    output = log.read().decode()[-3000:]
                    raise SystemExit(f"gunicorn did not start:\n{output}") from error
                time.sleep(0.2)
        yield base, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def app_env(size: Size, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "SCREENING_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": size.url,
        # One sign-in serves the whole run (the cookie is replayed, its "seen" time not).
        "INACTIVITY_TIMEOUT_MINUTES": "600",
        **(extra or {}),
    }


# wrk -----------------------------------------------------------------------------------


def server_cpu(master: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each worker process of `master`."""
    found: dict[int, float] = {}
    for task in Path(f"/proc/{master}/task").iterdir():
        for pid in (task / "children").read_text().split():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                found[int(pid)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float | None:
    """The workers' CPU seconds between two readings; None when a worker was replaced in
    between (`max_requests`): its time after the first reading went with it."""
    if set(before) - set(after):
        return None
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def drain(base: str, path: str, n: int = 8) -> None:
    """Wait until the server has answered what a finished run left queued: wrk closes its
    connections at the end, but the requests already read are still worked through, and
    would slow the next run. `n` concurrent probes queue behind them."""
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        list(pool.map(lambda _: _request(base, "GET", path), range(n)))


@dataclass
class Run:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    cpu_ms: float = 0.0  # the gunicorn workers' CPU time per request (not PostgreSQL's)
    # Draft saves refused as "changed meanwhile" because two saves of one (assessor, child)
    # pair overlapped (the harness's doing, not counted in `errors`).
    conflicts: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(
    base: str,
    items: list[tuple[int, str]],
    cookies: list[str],
    seconds: float,
    connections: int,
    threads: int,
    post: tuple[str, str, str, dict[int, str]] | None = None,
) -> Run:
    """One wrk run; `items` are (user, path) requested in turn; `post` is (url, body,
    `versions()`, CSRF token per user) for the draft saves."""
    threads = max(1, min(threads, connections))
    env = {
        **os.environ,
        "LB_PATHS": " ".join(f"{u}|{p}" for u, p in items),
        "LB_THREADS": str(threads),
        **{f"LB_COOKIE_{i}": c or "-" for i, c in enumerate(cookies)},
    }
    if post:
        env.update(LB_POST_URL=post[0], LB_BODY=post[1], LB_CHILDREN=post[2])
        env.update({f"LB_CSRF_{u}": token for u, token in post[3].items()})
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base,
    ]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    line = next((x for x in out.stdout.splitlines() if x.startswith("LOADBENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {out.stdout}\n{out.stderr}")
    d = json.loads(line.removeprefix("LOADBENCH "))
    conflicts = d.get("conflicts", 0)
    errors = d["status_errors"] - conflicts + d["connect"] + d["read"] + d["write"] + d["timeout"]
    return Run(
        d["requests"],
        d["duration_us"] / 1e6,
        errors,
        d["p50_us"] / 1e3,
        d["p95_us"] / 1e3,
        conflicts=conflicts,
    )


# The pages -----------------------------------------------------------------------------


@dataclass
class Result:
    size: str
    connections: int
    page: str
    runs: list[Run]
    minimal: list[Run]

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.runs)

    @property
    def p50(self) -> float:
        return statistics.median(r.p50_ms for r in self.runs)

    @property
    def p95(self) -> float:
        return statistics.median(r.p95_ms for r in self.runs)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)

    @property
    def conflicts(self) -> int:
        return sum(r.conflicts for r in self.runs)

    @property
    def ratio(self) -> float:
        pairs = [a.rps / b.rps for a, b in zip(self.runs, self.minimal, strict=True) if b.rps]
        return statistics.median(pairs) if pairs else 0.0

    @property
    def cpu(self) -> float:
        known = [r.cpu_ms for r in self.runs if not math.isnan(r.cpu_ms)]
        return statistics.median(known) if known else math.nan

    @property
    def minimal_rps(self) -> float:
        return statistics.median(r.rps for r in self.minimal)

    @property
    def minimal_p95(self) -> float:
        return statistics.median(r.p95_ms for r in self.minimal)


def measure_pages(size: Size, args: argparse.Namespace) -> list[Result]:
    results: list[Result] = []
    env = app_env(size, {"WEB_CONCURRENCY": str(args.workers)} if args.workers else None)
    if args.threads_per_worker:
        env["GUNICORN_THREADS"] = str(args.threads_per_worker)
    minimal_env = {k: v for k, v in env.items() if k.startswith(("WEB_", "GUNICORN_"))}
    with (
        gunicorn("screening:create_app()", env, ready_path="/login") as (base, server),
        gunicorn("benchmarks.minimal_app:app", minimal_env) as (minimal, _),
    ):
        cookies = [sign_in(base, email, size.password) for email in size.users]
        resolve(size, base, cookies, args.post_children)
        print(
            f"\n{size.name}: {size.note}; round {size.round_id}, "
            f"{len(size.post_items)} (assessor, child) pairs for the draft saves"
        )
        pages = [p for p in size.pages if not args.only or args.only in p.name]
        for page in pages:
            if page.post:
                continue
            status, _, _ = _request(base, "GET", page.path, cookies[page.user])
            print(f"  {page.name:24} {page.path}  → {status}")
            if status != 200:
                raise SystemExit(f"{page.name} answered {status}")
        for connections in args.connections:
            for page in pages:
                runs, refs = [], []
                for _ in range(args.pairs):
                    post = None
                    if page.post:
                        post = (page.path, size.form_body, versions(size), size.csrf)
                    cpu = server_cpu(server.pid)
                    run = wrk(
                        base,
                        [(page.user, page.path)],
                        cookies,
                        args.duration,
                        connections,
                        args.wrk_threads,
                        post,
                    )
                    used = cpu_used(cpu, server_cpu(server.pid))
                    if run.requests and used is not None:
                        run.cpu_ms = 1000 * used / run.requests
                    elif run.requests:
                        run.cpu_ms = math.nan  # a worker was replaced during the run
                    runs.append(run)
                    drain(base, "/login")
                    refs.append(
                        wrk(minimal, [(0, "/")], [""], args.duration, connections, args.wrk_threads)
                    )
                    drain(minimal, "/")
                result = Result(size.name, connections, page.name, runs, refs)
                results.append(result)
                print(
                    f"  c={connections:<4} {page.name:24} {result.rps:8.1f} req/s"
                    f"  p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms"
                    f"  errors {result.errors:5d}  conflicts {result.conflicts:4d}"
                    f"  cpu {result.cpu:5.1f} ms/req"
                    f"  {100 * result.ratio:5.2f} % of minimal"
                    f" ({result.minimal_rps:.0f} req/s, p95 {result.minimal_p95:.1f} ms)",
                    flush=True,
                )
    return results


# The worker: start-up and memory ------------------------------------------------------


def _workers(times_file: Path) -> dict[int, tuple[float, int]]:
    """age → (fork-to-ready seconds, pid) from the timing hooks' log."""
    forks: dict[int, float] = {}
    ready: dict[int, tuple[float, int]] = {}
    if not times_file.exists():
        return ready
    for line in times_file.read_text().splitlines():
        kind, age, pid, t = line.split()
        if kind == "fork":
            forks[int(age)] = float(t)
        elif int(age) in forks:
            ready[int(age)] = (float(t) - forks[int(age)], int(pid))
    return ready


def memory(pid: int) -> tuple[float, float]:
    """(VmRSS, Pss) of `pid` in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    pss = int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1))  # type: ignore[union-attr]
    return rss / 1024, pss / 1024


@dataclass
class WorkerFigures:
    label: str
    start_s: list[float]
    idle: list[tuple[float, float]]
    after: list[tuple[float, float]] = field(default_factory=list)
    requests: int = 0


def measure_workers(
    size: Size, args: argparse.Namespace, target: str, preload: bool, load: bool
) -> WorkerFigures:
    label = f"{'app' if target.startswith('screening') else 'minimal app'}, " + (
        "--preload" if preload else "no preload"
    )
    with tempfile.TemporaryDirectory() as tmp:
        times = Path(tmp) / "times"
        env = app_env(size) if target.startswith("screening") else {}
        env.update(
            GUNICORN_PRELOAD="1" if preload else "0",
            LOADBENCH_TIMES=str(times),
            # Measure growth, not recycling: no worker restarts during the run.
            GUNICORN_MAX_REQUESTS="0",
        )
        if args.workers:
            env["WEB_CONCURRENCY"] = str(args.workers)
        ready = "/login" if target.startswith("screening") else "/"
        with gunicorn(target, env, TIMING_CONF, ready) as (base, _):
            n = args.workers or max(2, os.cpu_count() or 1)
            deadline = time.monotonic() + 60
            while len(_workers(times)) < n and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.0)
            workers = _workers(times)
            figures = WorkerFigures(
                label,
                [s for s, _ in workers.values()],
                [memory(pid) for _, pid in workers.values()],
            )
            if load:
                cookies = [sign_in(base, email, size.password) for email in size.users]
                items = [(p.user, p.path) for p in size.pages if not p.post]
                total, goal = 0, args.rss_requests * len(workers)
                while total < goal:
                    run = wrk(base, items, cookies, 20, 8, args.wrk_threads)
                    total += run.requests
                    drain(base, "/login")
                figures.requests = total // max(1, len(workers))
                figures.after = [memory(pid) for _, pid in _workers(times).values()]
    return figures


# Report --------------------------------------------------------------------------------


def report(results: list[Result], workers: list[WorkerFigures], args: argparse.Namespace) -> int:
    stamp = (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print(f"\n=== {stamp}")
    print(
        f"wrk {args.duration:g} s per run, {args.pairs} pair(s) per page (page, minimal app)"
        f"; medians over the pairs; errors summed"
    )
    missed: list[str] = []
    head = (
        f"{'size':6} {'conn':>4} {'page':24} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'errors':>6} {'confl.':>6} {'cpu ms':>6} {'% min':>6} {'min req/s':>9} {'min p95':>8}"
    )
    print(head)
    for r in results:
        print(
            f"{r.size:6} {r.connections:4d} {r.page:24} {r.rps:8.1f} {r.p50:8.1f} {r.p95:8.1f} "
            f"{r.errors:6d} {r.conflicts:6d} {r.cpu:6.1f} {100 * r.ratio:6.2f} "
            f"{r.minimal_rps:9.0f} {r.minimal_p95:8.1f}"
        )
        if r.connections != 20:
            continue
        if not r.runs or min(x.requests for x in r.runs) == 0:
            missed.append(f"{r.size} {r.page}: no answer within a run")
        if r.errors:
            missed.append(f"{r.size} {r.page}: {r.errors} errors")
        limit = LIST_P95_MS if r.page in LIST_PAGES else PAGE_P95_MS
        if r.p95 > limit:
            missed.append(f"{r.size} {r.page}: p95 {r.p95:.0f} ms > {limit} ms")
        if r.page in LIST_PAGES and r.ratio < LIST_SHARE:
            missed.append(f"{r.size} {r.page}: {100 * r.ratio:.1f} % of the minimal app")
    by = {(r.size, r.connections, r.page): r for r in results}
    for (size, conns, page), r in by.items():
        demo = by.get(("demo", conns, page))
        if size == "large" and demo and conns == 20 and r.p50 > GROWTH * demo.p50:
            missed.append(f"{page}: median {demo.p50:.1f} → {r.p50:.1f} ms from demo to large")
    if workers:
        print(
            f"\n{'worker':26} {'start s (each)':>22} {'idle RSS/Pss MB':>18} "
            f"{'after':>6} {'RSS/Pss MB':>18}"
        )
    for w in workers:
        start = " ".join(f"{s:.3f}" for s in sorted(w.start_s))
        idle = " ".join(f"{r:.0f}/{p:.0f}" for r, p in w.idle)
        after = " ".join(f"{r:.0f}/{p:.0f}" for r, p in w.after) or "–"
        print(f"{w.label:26} {start:>22} {idle:>18} {w.requests:6d} {after:>18}")
        if w.label == "app, --preload" and w.start_s and max(w.start_s) > START_S:
            missed.append(f"worker start {max(w.start_s):.2f} s > {START_S} s")
        if w.after and max(r for r, _ in w.after) > RSS_MB:
            missed.append(f"{w.label}: RSS {max(r for r, _ in w.after):.0f} MB > {RSS_MB} MB")
    print("\ntargets: " + ("met" if not missed else "missed:\n  " + "\n  ".join(missed)))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "stamp": stamp,
                    "pages": [
                        {
                            **{
                                k: getattr(r, k)
                                for k in (
                                    "size",
                                    "connections",
                                    "page",
                                    "rps",
                                    "p50",
                                    "p95",
                                    "errors",
                                    "conflicts",
                                    "cpu",
                                    "ratio",
                                    "minimal_rps",
                                    "minimal_p95",
                                )
                            }
                        }
                        for r in results
                    ],
                    "workers": [w.__dict__ for w in workers],
                    "missed": missed,
                },
                indent=1,
            )
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="demo,large", help="demo, large or both")
    parser.add_argument(
        "--connections", help="comma-separated numbers of connections (default 20,100)"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument(
        "--pairs",
        type=int,
        default=2,
        help="runs per page, each followed by one of the minimal app",
    )
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the conf's)")
    parser.add_argument("--threads-per-worker", type=int, help="gunicorn threads per worker")
    parser.add_argument(
        "--post-children", type=int, default=240, help="children the draft saves go round"
    )
    parser.add_argument(
        "--rss-requests",
        type=int,
        default=10_000,
        help="requests per worker before the second memory reading",
    )
    parser.add_argument("--only", help="only the pages whose name contains this")
    parser.add_argument(
        "--skip-workers", action="store_true", help="leave out the worker start-up and memory part"
    )
    parser.add_argument("--skip-pages", action="store_true", help="only the worker part")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="about two minutes: 2 s runs, one pair, 20 connections (unless given), "
        "120 draft-save pairs, 300 requests per worker for memory",
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--demo-url", default=f"{PG}/loadbench_demo")
    parser.add_argument("--large-url", default=f"{PG}/loadbench_large")
    args = parser.parse_args(argv)
    # A stopped benchmark stops its servers too (the `with` blocks' clean-up runs).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.quick:
        args.duration, args.pairs, args.rss_requests = 2.0, 1, 300
        args.connections = args.connections or "20"
        args.post_children = min(args.post_children, 120)
    args.connections = [int(c) for c in (args.connections or "20,100").split(",")]
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (make bench-load installs Debian's wrk)")
    os.chdir(ROOT)
    results: list[Result] = []
    workers: list[WorkerFigures] = []
    sizes = [s.strip() for s in args.sizes.split(",")]
    built = {
        name: build_size(name, args.demo_url if name == "demo" else args.large_url)
        for name in sizes
    }
    for name in sizes:
        size = built[name]
        if not args.skip_pages:
            results += measure_pages(size, args)
    if not args.skip_workers:
        size = built[sizes[-1]]
        if not size.pages:
            base_env = app_env(size)
            with gunicorn("screening:create_app()", base_env, ready_path="/login") as (base, _):
                cookies = [sign_in(base, email, size.password) for email in size.users]
                resolve(size, base, cookies, 1)
        print(f"\nworker start-up and memory ({size.name} municipality)", flush=True)
        workers.append(measure_workers(size, args, "benchmarks.minimal_app:app", True, False))
        workers.append(measure_workers(size, args, "benchmarks.minimal_app:app", False, False))
        workers.append(measure_workers(size, args, "screening:create_app()", False, False))
        workers.append(measure_workers(size, args, "screening:create_app()", True, True))
    return report(results, workers, args)


if __name__ == "__main__":
    sys.exit(main())
