"""The offline pack: what a tablet needs to assess and observe offline, and nothing more;
and the user's data key, which the device wraps with a PIN-derived key."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from screening.accounts.models import User
from screening.assessments.models import Assessment, AssessmentStatus
from screening.catalogue.models import InstrumentVersion
from screening.catalogue.services import band_of, compiled_instrument, round_bands
from screening.children.models import Child, GroupMembership
from screening.classifier import load_observation_categories
from screening.core.db import utcnow
from screening.core.extensions import db
from screening.core.policy import (
    Action,
    may_assess_with,
    permitted_child_ids,
    permitted_institutions_only,
    visible_institution_ids,
    writable_observation_sources,
)
from screening.offline.models import DeviceKey
from screening.offline.parsing import assessment_snapshot
from screening.org.models import Group, Institution
from screening.rounds.models import RoundStatus, ScreeningRound

DEFAULT_PACK_DAYS = 14


class PackChild(NamedTuple):
    """A child of the pack as its query reads it (columns, no ORM objects)."""

    id: int
    first_name: str
    last_name: str
    birth_date: date
    group: str
    institution_id: int
    may_assess: bool  # `can(user, ASSESS, child)`, asked of the policy as a set


# Data keys -----------------------------------------------------------------------------------


def device_key(user: User) -> DeviceKey:
    """The user's data key, made on first use (32 random bytes); the same key afterwards."""
    stmt = sa.select(DeviceKey).where(DeviceKey.user_id == user.id)
    row = db.session.scalar(stmt)
    if row is not None:
        return row
    row = DeviceKey(user_id=user.id, key=secrets.token_bytes(32))
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # a concurrent first request made it
        return db.session.execute(stmt).scalar_one()
    return row


# The offline pack ------------------------------------------------------------------------------


def pack_institution_ids(user: User) -> list[int]:
    """Institutions whose children the user may assess or add observations about."""
    ids: set[int] = set()
    for action in (Action.ASSESS, Action.ADD_OBSERVATION):
        found = visible_institution_ids(user, action)
        ids.update(user.institution_ids if found is None else found)
    return sorted(ids)


def pack_groups(user: User) -> list[dict[str, Any]]:
    """The groups a pack may be narrowed to: those of the user's pack institutions."""
    institution_ids = pack_institution_ids(user)
    if not institution_ids:
        return []
    rows = db.session.execute(
        sa.select(Group.id, Group.name, Institution.name)
        .join(Institution, Institution.id == Group.institution_id)
        .where(Group.institution_id.in_(institution_ids))
        .order_by(Institution.name, Group.name, Group.id)
    ).all()
    return [{"id": gid, "name": name, "institution": inst} for gid, name, inst in rows]


def offline_pack(
    user: User,
    today: date,
    *,
    days: float = DEFAULT_PACK_DAYS,
    group_ids: list[int] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """What a tablet needs to assess and observe offline, and nothing more: the children
    (id, names, birth date, group name; no guardians, no addresses), the open rounds that
    cover them with each child's instrument and the user's own assessment, the instrument
    definitions, the observation categories the user may write, and when it expires."""
    now = now or utcnow()
    institution_ids = pack_institution_ids(user)
    columns = (
        Child.id,
        Child.first_name,
        Child.last_name,
        Child.birth_date,
        Group.name,
        Group.institution_id,
    )
    assess_in = permitted_institutions_only(user, Action.ASSESS)
    observe_in = permitted_institutions_only(user, Action.ADD_OBSERVATION)
    if assess_in is not None and observe_in is not None:
        # The usual case (an educator, a leader, a health visitor): who may be assessed
        # and observed is the children of some institutions, so the institution decides
        # (testing each child against the policy's sets cost 3 ms of PostgreSQL's 5).
        may_assess: sa.ColumnElement[bool] = Group.institution_id.in_(assess_in)
        where: sa.ColumnElement[bool] = Group.institution_id.in_(
            sorted(set(institution_ids) & {*assess_in, *observe_in})
        )
    else:
        # Who may be assessed and observed, asked of the policy as sets (one statement for
        # the whole pack, not a policy question per child).
        assessable = permitted_child_ids(user, Action.ASSESS).correlate(None)
        observable = permitted_child_ids(user, Action.ADD_OBSERVATION).correlate(None)
        may_assess = Child.id.in_(assessable)
        where = sa.and_(
            Group.institution_id.in_(institution_ids),
            # One IN over the union, not an OR of two: PostgreSQL then joins it (a semi
            # join from the institution's memberships) instead of testing every child of
            # the municipality against both (a scan of all children, 14 ms at 28,000).
            Child.id.in_(sa.union(assessable, observable)),
        )
    # The children as columns, not objects.
    stmt = (
        sa.select(*columns, may_assess.label("may_assess"))
        .join(
            GroupMembership,
            sa.and_(GroupMembership.child_id == Child.id, GroupMembership.end_date.is_(None)),
        )
        .join(Group, Group.id == GroupMembership.group_id)
        .where(where)
        .order_by(Group.name, Child.first_name, Child.last_name, Child.id)
    )
    if group_ids:
        stmt = stmt.where(Group.id.in_(group_ids))
    rows = [
        PackChild(cid, first, last, born, group, inst, bool(may_assess))
        for cid, first, last, born, group, inst, may_assess in db.session.execute(stmt)
    ]
    children = [
        {
            "id": child.id,
            "first_name": child.first_name,
            "last_name": child.last_name,
            "birth_date": child.birth_date.isoformat(),
            "group": child.group,
        }
        for child in rows
    ]
    rounds, instruments = _pack_rounds(user, rows, institution_ids)
    return {
        "generated_at": now.isoformat(),
        "expires_at": (now + timedelta(days=days)).isoformat(),
        "user": {"id": user.id, "name": user.name},
        "children": children,
        "rounds": rounds,
        "instruments": [
            {
                "key": row.key,
                "version": row.version,
                "definition": compiled_instrument(row).to_dict()
                | {"scale_labels": _scale_labels(row)},
            }
            for row in sorted(instruments.values(), key=lambda r: (r.key, r.version))
        ],
        "observation_sources": _pack_sources(user),
        "observation_levels": {
            str(level): label.to_dict()
            for level, label in load_observation_categories().levels.items()
        },
    }


def _pack_rounds(
    user: User, rows: list[PackChild], institution_ids: list[int]
) -> tuple[list[dict[str, Any]], dict[int, InstrumentVersion]]:
    instruments: dict[int, InstrumentVersion] = {}
    if not rows:
        return [], instruments
    rounds = db.session.scalars(
        sa.select(ScreeningRound)
        .where(
            ScreeningRound.status == RoundStatus.OPEN,
            ScreeningRound.institutions.any(Institution.id.in_(institution_ids)),
        )
        .order_by(ScreeningRound.reference_date.desc(), ScreeningRound.id)
    ).all()
    if not rounds:
        return [], instruments
    own = {
        (a.round_id, a.child_id): a
        for a in db.session.scalars(
            sa.select(Assessment).where(
                Assessment.assessor_id == user.id,
                Assessment.round_id.in_([r.id for r in rounds]),
            )
        )
    }
    # Per instrument row, once (not per child): whether the user may fill it in, and its
    # reference as the pack writes it (the same small dict in every entry).
    refs: dict[int, dict[str, Any] | None] = {}

    def ref(row: InstrumentVersion) -> dict[str, Any] | None:
        if row.id not in refs:
            allowed = may_assess_with(user, row.max_months)
            refs[row.id] = {"key": row.key, "version": row.version} if allowed else None
            if allowed:
                instruments[row.id] = row
        return refs[row.id]

    out = []
    for round_ in rounds:
        # The round's instruments as birth-date ranges: one query per round, not one per
        # age (or child); each child is placed by comparing its birth date.
        bands = round_bands(round_)
        covered = {i for i in {c.institution_id for c in rows} if round_.covers(i)}
        entries = []
        for child in rows:
            if not child.may_assess or child.institution_id not in covered:
                continue
            mine = own.get((round_.id, child.id))
            row: InstrumentVersion | None
            if mine is not None:
                # Most often one of the round's own (loaded with its bands, so found in
                # the session without a query); an older version is asked for once.
                row = mine.instrument
            else:
                band = band_of(bands, child.birth_date)
                row = band.instrument if band is not None else None
            if row is None:
                continue
            instrument = ref(row)
            if instrument is None:
                continue
            entries.append(
                {
                    "child_id": child.id,
                    "instrument": instrument,
                    "assessment": _own_entry(mine) if mine is not None else None,
                }
            )
        if entries:
            out.append(
                {
                    "id": round_.id,
                    "name": round_.name,
                    "starts_on": round_.starts_on.isoformat(),
                    "ends_on": round_.ends_on.isoformat(),
                    "reference_date": round_.reference_date.isoformat(),
                    "children": entries,
                }
            )
    return out, instruments


def _own_entry(a: Assessment | None) -> dict[str, Any] | None:
    """The user's own assessment: its version (the device's base_version) and status, and
    for a draft its content, so the device can continue it."""
    if a is None:
        return None
    entry = {"id": a.id, "version": a.version, "status": a.status.value}
    if a.status == AssessmentStatus.DRAFT:
        snap = assessment_snapshot(a)
        entry.update(
            {k: snap[k] for k in ("answers", "resources", "concerns", "justification")}
            | {"vulnerability": snap["vulnerability"]}
        )
    return entry


def _scale_labels(row: InstrumentVersion) -> dict[str, Any]:
    scale = compiled_instrument(row).scale
    if scale is None:
        return {}
    return {str(value): label.to_dict() for value, label in scale.labels.items()}


def _pack_sources(user: User) -> list[dict[str, Any]]:
    catalogue = load_observation_categories()
    out = []
    for source in writable_observation_sources(user):
        src = catalogue.sources.get(source.value)
        if src is None:
            continue
        out.append(
            {
                "key": src.key,
                "title": src.title.to_dict(),
                "categories": [
                    {"key": c.key, "title": c.title.to_dict()} for c in src.categories.values()
                ],
            }
        )
    return out
