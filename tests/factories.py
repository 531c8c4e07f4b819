"""Small factories for test data. They flush, never commit; tests commit when a request
must see the data."""

from __future__ import annotations

from datetime import date
from itertools import count

from screening.accounts import services as accounts
from screening.core.extensions import db
from screening.models import (
    Child,
    ChildGuardian,
    Group,
    GroupMembership,
    Guardian,
    Institution,
    InstitutionKind,
    Role,
    User,
)

DEFAULT_PASSWORD = "korrekt-hest-batteri"
_seq = count(1)


def institution(name: str | None = None, kind=InstitutionKind.INTEGRERET, groups=("Stue A",)):
    inst = Institution(name=name or f"Institution {next(_seq)}", kind=kind)
    for g in groups:
        inst.groups.append(Group(name=g))
    db.session.add(inst)
    db.session.flush()
    return inst


def child(
    group: Group,
    first_name="Alma",
    last_name="Testesen",
    birth_date=date(2022, 3, 14),
    start=date(2024, 8, 1),
    ref=None,
    guardians=(),
):
    kid = Child(
        first_name=first_name,
        last_name=last_name,
        birth_date=birth_date,
        external_ref=ref or f"T-{next(_seq)}",
    )
    kid.memberships.append(GroupMembership(group=group, start_date=start))
    for g in guardians:
        kid.guardian_links.append(ChildGuardian(guardian=g, has_custody=True))
    db.session.add(kid)
    db.session.flush()
    return kid


def guardian(name="Mette Testesen", address="Rosenvej 1, 8000 Aarhus C", protected=False, **kw):
    g = Guardian(
        name=name,
        address=address,
        protected_address=protected,
        email=kw.pop("email", "mette@example.dk"),
        **kw,
    )
    db.session.add(g)
    return g


def user(*roles: Role, institutions=(), email=None, password=DEFAULT_PASSWORD, name="Test Bruger"):
    u = User(
        email=email or f"user{next(_seq)}@example.dk",
        name=name,
        password_hash=accounts.hash_password(password),
    )
    u.set_roles(roles)
    u.institutions = list(institutions)
    db.session.add(u)
    db.session.flush()
    return u
