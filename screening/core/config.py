"""Configuration as data.

`create_app` picks a config class by name (``SCREENING_CONFIG`` or the argument) and then
applies overrides from the environment. Secrets come from the environment or the instance
folder; production refuses to start without them.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class BaseConfig:
    # Database: SQLite in the instance folder unless DATABASE_URL says otherwise.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}

    SECRET_KEY: str | None = None

    # Session and cookies.
    SESSION_COOKIE_NAME = "trivselsspor_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Signed-in users are signed out after this much inactivity.
    INACTIVITY_TIMEOUT = timedelta(minutes=30)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # The cookie is sent again only when the session changed (the last activity is noted
    # about once a minute, `core.web`), not with every response (issue 17).
    SESSION_REFRESH_EACH_REQUEST = False

    # Sign-in throttling (see the README, "Sign-in throttling"), stored in the database.
    # Per e-mail address *and* client address together: this many failures within the
    # window are free, then each further attempt waits LOGIN_DELAY_BASE, doubling with each
    # failure, up to LOGIN_DELAY_MAX.
    LOGIN_MAX_FAILURES = 5
    LOGIN_FAILURE_WINDOW = timedelta(hours=1)
    LOGIN_DELAY_BASE = timedelta(seconds=30)
    LOGIN_DELAY_MAX = timedelta(minutes=15)
    # Per client address: this many failures within the window (for any e-mail) stop
    # sign-ins from that address for e-mail addresses that have not signed in from it
    # successfully within LOGIN_KNOWN_FOR (so staff behind a daycare's one address go on).
    LOGIN_MAX_FAILURES_PER_IP = 100
    LOGIN_KNOWN_FOR = timedelta(days=30)

    # argon2id parameters (argon2-cffi defaults are RFC 9106 "low memory").
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    BABEL_DEFAULT_LOCALE = "da"
    BABEL_DEFAULT_TIMEZONE = "Europe/Copenhagen"
    LANGUAGES = ("da", "en")

    # An offline pack (children and forms for a tablet) expires after this many days.
    OFFLINE_PACK_DAYS = 14
    # Names the offline app's service-worker cache; unset: a digest of the cached files.
    OFFLINE_APP_VERSION: str | None = None
    # The offline app tries unsent work again by itself: first after this many seconds,
    # doubling after each failed try up to the maximum.
    OFFLINE_RETRY_MIN_SECONDS = 30
    OFFLINE_RETRY_MAX_SECONDS = 300
    # window.trivselsspor in the offline app (state and actions for tests and benchmarks).
    OFFLINE_TEST_HOOKS = False

    # A PNG or JPEG shown in the header of every PDF.
    MUNICIPALITY_LOGO: str | None = None

    # Number of reverse proxies in front of the app whose X-Forwarded-* headers to trust.
    PROXY_COUNT = 0

    MAX_CONTENT_LENGTH = 10 * 1024 * 1024  # roster CSV uploads
    ROSTER_MAX_ROWS = 20000

    # Task queue (Huey): redis://…, postgresql://… or sqlite:///path; unset: the app's
    # PostgreSQL database, or tasks.db in the instance folder (see screening/core/queue.py).
    TASK_QUEUE_URL: str | None = None
    TASK_QUEUE_NAME = "trivselsspor"
    # A running PDF job with no sign of life this long has lost its consumer (queued again);
    # a job not finished this long after it was queued has failed.
    JOB_STALE_AFTER = timedelta(minutes=2)
    JOB_GIVE_UP_AFTER = timedelta(minutes=15)
    HOUSEKEEPING_EVERY_MINUTES = 5

    # E-mail digests of reminders over SMTP: off while MAIL_SERVER is unset.
    MAIL_SERVER: str | None = None
    MAIL_BACKEND = "smtp"  # tests too: they run a real SMTP server (Flask-Mailman reads
    # these settings when the app is made)
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER: str | None = None
    MAIL_TIMEOUT = 30
    # The address users sign in at, named in the digest (optional).
    PUBLIC_URL: str | None = None


class DevelopmentConfig(BaseConfig):
    # `make run` serves plain http on localhost; secure cookies would never be sent back.
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    OFFLINE_TEST_HOOKS = True


class TestConfig(BaseConfig):
    TESTING = True
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    # Cheap hashing keeps the suite fast; the algorithm (argon2id) is the same.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    OFFLINE_TEST_HOOKS = True


class ProductionConfig(BaseConfig):
    pass


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def env_overrides() -> dict[str, Any]:
    """Settings read from the environment (documented in the README)."""
    out: dict[str, Any] = {}
    if url := os.environ.get("DATABASE_URL"):
        out["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if key := os.environ.get("SECRET_KEY"):
        out["SECRET_KEY"] = key
    if minutes := os.environ.get("INACTIVITY_TIMEOUT_MINUTES"):
        out["INACTIVITY_TIMEOUT"] = timedelta(minutes=int(minutes))
    if version := os.environ.get("OFFLINE_APP_VERSION"):
        out["OFFLINE_APP_VERSION"] = version
    if days := os.environ.get("OFFLINE_PACK_DAYS"):
        out["OFFLINE_PACK_DAYS"] = int(days)
    if logo := os.environ.get("MUNICIPALITY_LOGO"):
        out["MUNICIPALITY_LOGO"] = logo
    if proxies := os.environ.get("PROXY_COUNT"):
        out["PROXY_COUNT"] = int(proxies)
    if queue_url := os.environ.get("TASK_QUEUE_URL"):
        out["TASK_QUEUE_URL"] = queue_url
    if queue_name := os.environ.get("TASK_QUEUE_NAME"):
        out["TASK_QUEUE_NAME"] = queue_name
    if seconds := os.environ.get("JOB_STALE_AFTER_SECONDS"):
        out["JOB_STALE_AFTER"] = timedelta(seconds=float(seconds))
    if seconds := os.environ.get("JOB_GIVE_UP_AFTER_SECONDS"):
        out["JOB_GIVE_UP_AFTER"] = timedelta(seconds=float(seconds))
    if minutes := os.environ.get("HOUSEKEEPING_EVERY_MINUTES"):
        out["HOUSEKEEPING_EVERY_MINUTES"] = int(minutes)
    for name in (
        "MAIL_SERVER",
        "MAIL_USERNAME",
        "MAIL_PASSWORD",
        "MAIL_DEFAULT_SENDER",
        "PUBLIC_URL",
    ):
        if value := os.environ.get(name):
            out[name] = value
    if port := os.environ.get("MAIL_PORT"):
        out["MAIL_PORT"] = int(port)
    for name in ("MAIL_USE_TLS", "MAIL_USE_SSL"):
        if name in os.environ:
            out[name] = _bool(name, False)
    if "SESSION_COOKIE_SECURE" in os.environ:
        secure = _bool("SESSION_COOKIE_SECURE", True)
        out["SESSION_COOKIE_SECURE"] = secure
        out["REMEMBER_COOKIE_SECURE"] = secure
    return out


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` / ``postgresql://`` forms and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url
