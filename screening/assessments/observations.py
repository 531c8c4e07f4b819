"""Observations of a child (daycare, health visitor, dental, PPR) with a level of concern,
which the classifier reads with the assessments.

State changes flush and never commit. Nothing here reads the request.
"""

from __future__ import annotations

from datetime import date

from screening.accounts.models import User
from screening.assessments.models import ChildObservation
from screening.children.models import Child
from screening.core.extensions import db


def add_observation(
    child: Child,
    author: User,
    *,
    source: str,
    category: str,
    level: int,
    observed_on: date,
    note: str,
) -> ChildObservation:
    obs = ChildObservation(
        child=child,
        author=author,
        source=source,
        category=category,
        level=level,
        observed_on=observed_on,
        note=note.strip(),
    )
    db.session.add(obs)
    db.session.flush()
    return obs
