"""Account and organisation changes made by admins (flush only)."""

from __future__ import annotations

import sqlalchemy as sa

from screening import accounts
from screening.extensions import db
from screening.models import Institution, Role, User
from screening.models.users import new_session_token


class DuplicateError(ValueError):
    """A unique name or e-mail is already taken."""


def email_taken(email: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(User.id).where(User.email == accounts.normalise_email(email))
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return db.session.scalar(stmt) is not None


def institution_name_taken(name: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(Institution.id).where(sa.func.lower(Institution.name) == name.strip().lower())
    if exclude_id is not None:
        stmt = stmt.where(Institution.id != exclude_id)
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
    if email_taken(email, exclude_id=user.id if user else None):
        raise DuplicateError(email)
    if user is None:
        if not password:
            raise ValueError("a new user needs a password")
        user = User(name=name, email=accounts.normalise_email(email), password_hash="")
        db.session.add(user)
    user.name = name.strip()
    user.email = accounts.normalise_email(email)
    user.set_roles(Role(r) for r in roles)
    user.institutions = list(
        db.session.scalars(sa.select(Institution).where(Institution.id.in_(institution_ids)))
    )
    if user.active and not active:
        user.session_token = new_session_token()  # sign the user out everywhere
    user.active = active
    if password:
        accounts.set_password(user, password)
    db.session.flush()
    return user
