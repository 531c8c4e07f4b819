"""Screening rounds: the rules for saving one and changing its status (flush, never commit)."""

from __future__ import annotations

import itertools
from datetime import date

import sqlalchemy as sa

from screening.catalogue.services import newest_instruments
from screening.core.db import locked
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.org.models import Institution
from screening.rounds.models import RoundStatus, ScreeningRound

# Built once (the child page asks it on every request): the institution is a parameter.
_OPEN_ROUNDS_FOR = (
    sa.select(ScreeningRound)
    .where(ScreeningRound.status == RoundStatus.OPEN)
    .where(ScreeningRound.institutions.any(Institution.id == sa.bindparam("institution_id")))
    .order_by(ScreeningRound.reference_date.desc())
)


def open_rounds_for(institution_id: int) -> list[ScreeningRound]:
    return list(db.session.scalars(_OPEN_ROUNDS_FOR, {"institution_id": institution_id}))


def name_taken(name: str, exclude_id: int | None = None) -> bool:
    return (
        db.session.scalar(
            sa.select(ScreeningRound.id).where(
                sa.func.lower(ScreeningRound.name) == name.strip().lower(),
                ScreeningRound.id != (exclude_id if exclude_id is not None else -1),
            )
        )
        is not None
    )


def instruments_overlap(keys: list[str]) -> bool:
    """Do two of the chosen instruments (their newest versions) cover the same age?"""
    wanted = set(keys)
    bands = sorted((i.min_months, i.max_months) for i in newest_instruments() if i.key in wanted)
    return any(b[0] < a[1] for a, b in itertools.pairwise(bands))


def save_round(
    round_: ScreeningRound | None,
    *,
    name: str,
    starts_on: date,
    ends_on: date,
    reference_date: date,
    instrument_keys: list[str],
    institution_ids: list[int],
    expected_version: int | None = None,
) -> ScreeningRound:
    """Create (``round_=None``, planned) or change a round. Raises
    DomainError("round_name_taken" | "instruments_overlap") without changing anything, and
    DomainError("changed_meanwhile") for a change from a form opened at an older version."""
    if round_ is not None and expected_version is not None:
        round_ = db.session.scalars(
            locked(db.session, sa.select(ScreeningRound).where(ScreeningRound.id == round_.id))
        ).one()
        if round_.version != expected_version:
            raise DomainError("changed_meanwhile")
    if name_taken(name, exclude_id=round_.id if round_ else None):
        raise DomainError("round_name_taken")
    if instruments_overlap(instrument_keys):
        raise DomainError("instruments_overlap")
    if round_ is None:
        round_ = ScreeningRound()
        db.session.add(round_)
    round_.name = name.strip()
    round_.starts_on = starts_on
    round_.ends_on = ends_on
    round_.reference_date = reference_date
    round_.instrument_keys = sorted(instrument_keys)
    round_.institutions = list(
        db.session.scalars(sa.select(Institution).where(Institution.id.in_(institution_ids)))
    )
    db.session.flush()
    return round_


def set_status(round_: ScreeningRound, status: RoundStatus) -> None:
    round_.status = status
    db.session.flush()
