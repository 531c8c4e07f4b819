"""The organisation's changes made by admins and coordinators: institutions, groups and the
municipality's settings (flush, never commit)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from screening.core import header
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.org.models import Group, Institution, InstitutionKind, Municipality


def institution_name_taken(name: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(Institution.id).where(sa.func.lower(Institution.name) == name.strip().lower())
    if exclude_id is not None:
        stmt = stmt.where(Institution.id != exclude_id)
    return db.session.scalar(stmt) is not None


def save_institution(
    inst: Institution | None, *, name: str, kind: str, address: str, active: bool
) -> Institution:
    """Create (``inst=None``) or change an institution. Raises
    DomainError("institution_name_taken")."""
    if institution_name_taken(name, exclude_id=inst.id if inst else None):
        raise DomainError("institution_name_taken")
    if inst is None:
        inst = Institution()
        db.session.add(inst)
    inst.name = name.strip()
    inst.kind = InstitutionKind(kind)
    inst.address = address
    inst.active = active
    db.session.flush()
    return inst


def save_group(group: Group | None, *, institution: Institution, name: str, active: bool) -> Group:
    """Create (``group=None``) or change a group (stue). Raises DomainError("group_name_taken")
    when the institution has another group of that name."""
    name = name.strip()
    if any(
        (group is None or g.id != group.id) and g.name.casefold() == name.casefold()
        for g in institution.groups
    ):
        raise DomainError("group_name_taken")
    if group is None:
        group = Group(institution=institution)
        db.session.add(group)
    group.name = name
    group.active = active
    db.session.flush()
    return group


def municipality() -> Municipality | None:
    """The municipality's settings (one row per deployment), if made yet."""
    return db.session.scalar(sa.select(Municipality).limit(1))


def save_settings(values: dict[str, Any]) -> Municipality:
    """Store the municipality's settings (name, colour labels, retention)."""
    muni = municipality()
    if muni is None:
        muni = Municipality()
        db.session.add(muni)
    for name, value in values.items():
        setattr(muni, name, value)
    db.session.flush()
    header.forget()  # this request's header reads the settings again
    return muni
