"""Passwords, sign-in checks, throttling and the user administration's changes (flush,
never commit). No request objects in here: callers pass what they know (e-mail, password,
client address)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
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


def _recent_failures(column: Any, value: str, since: datetime) -> int:
    count = db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(
            column == value, LoginAttempt.success.is_(False), LoginAttempt.attempted_at >= since
        )
    )
    return count or 0


def authenticate(email: str, password: str, remote_addr: str) -> SignIn:
    """Check a sign-in. Returns the user on success; never says which part was wrong."""
    cfg = current_app.config
    key = _email_key(email)
    since = utcnow() - cfg["LOGIN_FAILURE_WINDOW"]
    if (
        _recent_failures(LoginAttempt.email_key, key, since) >= cfg["LOGIN_MAX_FAILURES"]
        or _recent_failures(LoginAttempt.remote_addr, remote_addr, since)
        >= cfg["LOGIN_MAX_FAILURES_PER_IP"]
    ):
        return SignIn(None, throttled=True)

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
    db.session.add(LoginAttempt(email_key=key, remote_addr=remote_addr, success=ok))
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
