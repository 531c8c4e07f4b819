"""Passwords, sign-in checks, throttling and the user administration's changes (flush,
never commit). No request objects in here: callers pass what they know (e-mail, password,
client address)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy.engine import CursorResult

from screening.accounts.models import LoginAttempt, Role, User, new_session_token
from screening.core.db import utcnow
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.org.models import Institution

# A pragmatic e-mail shape check (no DNS look-ups): something@domain.tld, no spaces.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128  # argon2 has no limit; we cap input to bound the work per request


def hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return hasher().hash(password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _email_key(email: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, normalise_email(email).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SignIn:
    user: User | None
    throttled: bool = False
    # When throttled: how long until the next attempt is taken.
    retry_after: timedelta | None = None


def _failures(since: datetime, *conditions: Any) -> tuple[int, datetime | None]:
    """How many failed attempts match since `since`, and when the last one was."""
    count, last = db.session.execute(
        sa.select(sa.func.count(LoginAttempt.id), sa.func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.success.is_(False), LoginAttempt.attempted_at >= since, *conditions
        )
    ).one()
    return count or 0, last


def _last_success(key: str, remote_addr: str, since: datetime) -> datetime | None:
    return db.session.scalar(
        sa.select(sa.func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.email_key == key,
            LoginAttempt.remote_addr == remote_addr,
            LoginAttempt.success.is_(True),
            LoginAttempt.attempted_at >= since,
        )
    )


def _as_utc(value: datetime) -> datetime:
    """Aggregates keep the column's type (aware UTC); a naive value is UTC too."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def throttle(email: str, remote_addr: str, now: datetime | None = None) -> timedelta | None:
    """How long this e-mail address must wait before trying again from this client
    address, or None if an attempt may go ahead now.

    Two rules, neither of which lets someone elsewhere lock a colleague out:
    - per e-mail *and* client address together: LOGIN_MAX_FAILURES failures within
      LOGIN_FAILURE_WINDOW (since the pair's last success) are free; after that each
      attempt waits LOGIN_DELAY_BASE after the last failure, doubling with each further
      failure, up to LOGIN_DELAY_MAX. Failures from other addresses do not count.
    - per client address: LOGIN_MAX_FAILURES_PER_IP failures within the window, for any
      e-mail addresses, stop attempts from that address until they age out of the window;
      except for an e-mail address that has signed in successfully from this address
      within LOGIN_KNOWN_FOR (staff behind the same address as a guesser go on).
    """
    cfg = current_app.config
    now = now or utcnow()
    key = _email_key(email)
    window_start = now - cfg["LOGIN_FAILURE_WINDOW"]
    last_ok = _last_success(key, remote_addr, now - cfg["LOGIN_KNOWN_FOR"])
    since = max(window_start, _as_utc(last_ok)) if last_ok is not None else window_start
    count, last = _failures(
        since, LoginAttempt.email_key == key, LoginAttempt.remote_addr == remote_addr
    )
    free = cfg["LOGIN_MAX_FAILURES"]
    if count >= free and last is not None:
        base: timedelta = cfg["LOGIN_DELAY_BASE"]
        longest: timedelta = cfg["LOGIN_DELAY_MAX"]
        wait: timedelta = _as_utc(last) + min(base * 2 ** min(count - free, 30), longest) - now
        if wait > timedelta(0):
            return wait
    if last_ok is None:
        count, _ = _failures(window_start, LoginAttempt.remote_addr == remote_addr)
        if count >= cfg["LOGIN_MAX_FAILURES_PER_IP"]:
            return _address_wait(remote_addr, window_start, count, now)
    return None


def _address_wait(remote_addr: str, since: datetime, count: int, now: datetime) -> timedelta:
    """Until enough of the address's failures have aged out of the window."""
    cfg = current_app.config
    over = count - cfg["LOGIN_MAX_FAILURES_PER_IP"]  # this many more must age out, plus one
    nth = db.session.scalar(
        sa.select(LoginAttempt.attempted_at)
        .where(
            LoginAttempt.remote_addr == remote_addr,
            LoginAttempt.success.is_(False),
            LoginAttempt.attempted_at >= since,
        )
        .order_by(LoginAttempt.attempted_at)
        .offset(over)
        .limit(1)
    )
    if nth is None:
        return timedelta(seconds=1)
    window: timedelta = cfg["LOGIN_FAILURE_WINDOW"]
    return max(_as_utc(nth) + window - now, timedelta(seconds=1))


def authenticate(
    email: str, password: str, remote_addr: str, *, now: datetime | None = None
) -> SignIn:
    """Check a sign-in. Returns the user on success; never says which part was wrong.
    A throttled attempt is not checked and not recorded (see `throttle`)."""
    key = _email_key(email)
    wait = throttle(email, remote_addr, now)
    if wait is not None:
        return SignIn(None, throttled=True, retry_after=wait)

    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    ph = hasher()
    ok = False
    if len(password) <= MAX_PASSWORD_LENGTH:
        if user is None:
            # Spend the same effort as for a real account, so timing reveals nothing.
            _verify_dummy(ph, password)
        else:
            try:
                ok = ph.verify(user.password_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
    if ok and user is not None and not user.active:
        ok = False
    db.session.add(
        LoginAttempt(
            email_key=key, remote_addr=remote_addr, success=ok, attempted_at=now or utcnow()
        )
    )
    if not ok or user is None:
        return SignIn(None)
    if ph.check_needs_rehash(user.password_hash):
        user.password_hash = ph.hash(password)
    user.last_login_at = utcnow()
    return SignIn(user)


_DUMMY: dict[tuple[int, int, int], str] = {}


def _verify_dummy(ph: PasswordHasher, password: str) -> None:
    params = (ph.time_cost, ph.memory_cost, ph.parallelism)
    if params not in _DUMMY:
        _DUMMY[params] = ph.hash("not-a-real-password")
    with contextlib.suppress(VerificationError):
        ph.verify(_DUMMY[params], password)


def password_problem(password: str) -> str | None:
    """An English code for why a new password is unacceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "too_long"
    return None


def set_password(user: User, password: str) -> None:
    """Set a new password and end every existing session of the user."""
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    user.password_changed_at = utcnow()


def verify_password(user: User, password: str) -> bool:
    try:
        return hasher().verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def prune_login_attempts(older_than: timedelta = timedelta(days=30)) -> int:
    result = db.session.execute(
        sa.delete(LoginAttempt).where(LoginAttempt.attempted_at < utcnow() - older_than)
    )
    return cast(CursorResult[Any], result).rowcount or 0


# User administration -----------------------------------------------------------------


def email_taken(email: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(User.id).where(User.email == normalise_email(email))
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return db.session.scalar(stmt) is not None


def save_user(
    user: User | None,
    *,
    name: str,
    email: str,
    roles: list[str],
    institution_ids: list[int],
    active: bool,
    password: str | None,
    phone: str = "",
) -> User:
    """Create (``user=None``) or change a user. Raises DomainError("password_required" |
    "email_taken") without changing anything. Deactivating signs the user out."""
    if user is None and not password:
        raise DomainError("password_required")
    if email_taken(email, exclude_id=user.id if user else None):
        raise DomainError("email_taken")
    if user is None:
        user = User(name=name, email=normalise_email(email), password_hash="")
        db.session.add(user)
    user.name = name.strip()
    user.email = normalise_email(email)
    user.phone = " ".join(phone.split())
    user.set_roles(Role(r) for r in roles)
    user.institutions = list(
        db.session.scalars(sa.select(Institution).where(Institution.id.in_(institution_ids)))
    )
    if user.active and not active:
        user.session_token = new_session_token()  # sign the user out everywhere
    user.active = active
    if password:
        set_password(user, password)
    db.session.flush()
    return user
