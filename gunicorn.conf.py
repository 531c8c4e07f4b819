"""gunicorn settings for Trivselsspor. gunicorn reads ./gunicorn.conf.py by default; the
README's deployment command names it (`-c gunicorn.conf.py`) all the same. Command-line
options override what is set here; the environment variables below override the defaults
without editing the file. The reasons for each value are in the README ("Deployment on
PostgreSQL with gunicorn"); the load benchmark (`make bench-load`) runs with exactly these.

Answers do not name the server software: gunicorn writes "Server: gunicorn" into every
answer and has no setting to leave it out, so its default headers are filtered here, in the
master process, before the workers are forked. (The reverse proxy in front should not
announce itself either: nginx `server_tokens off`, or the headers-more module to drop
the header.)
"""

from __future__ import annotations

import gc
import os
from typing import Any

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _without_server_header(self: wsgi.Response) -> list[str]:
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


wsgi.Response.default_headers = _without_server_header  # type: ignore[method-assign]


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in {"1", "true", "yes", "on"}


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Processes: one per core (os.cpu_count() of the machine or container), at least 2 so that
# one recycling worker never leaves the site without one. WEB_CONCURRENCY is gunicorn's own
# name for the number.
workers = _int("WEB_CONCURRENCY", max(2, os.cpu_count() or 1))
# Threads per process: a request spends much of its time waiting for PostgreSQL (the GIL is
# released meanwhile), so a few threads keep the core busy; more only queue on the GIL.
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
# Import and build the app once in the master, then fork: workers start in milliseconds and
# share the imported code's memory pages (copy-on-write). GUNICORN_PRELOAD=0 turns it off.
preload_app = _flag("GUNICORN_PRELOAD", True)
# Recycle a worker after this many requests (with jitter, so they do not all restart at
# once): bounds any slow growth of memory in a long-lived process.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1_000)
# The slowest page answers in well under a second; 30 s kills a stuck worker without
# cutting off a legitimate request. Combined PDFs are built by the task queue, not here.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Keep-alive for the reverse proxy's upstream connections (nginx `keepalive` in the
# upstream block): a little longer than the proxy's own idle time.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Logs: errors to stderr; no access log here (the proxy keeps one, and URLs carry no child
# data). GUNICORN_ACCESSLOG=- writes one to stdout.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"


def pre_fork(server: Any, worker: Any) -> None:
    # Objects made in the master (the preloaded app, its imports) move to a generation the
    # collector never walks: a collection in a worker then does not touch, and so does not
    # copy, the pages it shares with the master.
    gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    # A connection pool opened in the master must not be shared by the workers: each worker
    # drops (without closing) whatever it inherited and opens its own connections.
    import sys

    if "screening.core.extensions" in sys.modules:
        from screening.core.extensions import db

        for engines in list(getattr(db, "_app_engines", {}).values()):
            for engine in engines.values():
                engine.dispose(close=False)
