"""Action plans (handleplaner) with their actions and offers, follow-ups (opfølgninger)
and the municipality's offer catalogue (tilbudsviften), in the database. This module
flushes, the request commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from screening.accounts.models import User
from screening.core.db import locked, savepoint, utcnow
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.paths.models import (
    ActionPath,
    ActionPlan,
    ActionPlanItem,
    FollowUp,
    Offer,
    Progress,
)


@dataclass
class PlanItemInput:
    what: str
    who: str
    by_when: date | None


def save_plan(
    path: ActionPath,
    by: User,
    *,
    resources: str,
    concerns: str,
    goals: str,
    parents_perspective: str,
    child_perspective: str,
    evaluation_on: date,
    items: list[PlanItemInput],
    offer_ids: list[int],
    expected_version: int | None = None,
) -> ActionPlan:
    """Save the path's plan, its actions and offers (the actions are replaced).

    `expected_version` is the plan's version the form was opened from (0: no plan yet): the
    plan is read locked, and a save from an older form is refused
    (DomainError("changed_meanwhile")) unless the plan already holds exactly this (sent
    twice: nothing written)."""
    wanted = _plan_content(
        resources,
        concerns,
        goals,
        parents_perspective,
        child_perspective,
        evaluation_on,
        [(it.what.strip(), it.who.strip(), it.by_when) for it in items if it.what.strip()],
        offer_ids,
    )
    plan = _locked_plan(path)
    if plan is None:
        try:
            with savepoint(db.session):
                plan = ActionPlan(path_id=path.id, created_by_id=by.id, evaluation_on=evaluation_on)
                db.session.add(plan)
                db.session.flush()
        except IntegrityError:  # another session saved the first plan a moment ago
            plan = _locked_plan(path)
            if plan is None:
                raise
            if expected_version is not None:
                if _stored_content(plan) == wanted:
                    return plan
                raise DomainError("changed_meanwhile") from None
    elif expected_version is not None and plan.version != expected_version:
        if _stored_content(plan) == wanted:
            return plan  # the same plan, sent twice
        raise DomainError("changed_meanwhile")
    plan.updated_at = utcnow()  # always an UPDATE, so the version guards the actions too
    plan.resources = resources.strip()
    plan.concerns = concerns.strip()
    plan.goals = goals.strip()
    plan.parents_perspective = parents_perspective.strip()
    plan.child_perspective = child_perspective.strip()
    plan.evaluation_on = evaluation_on
    plan.items = [
        ActionPlanItem(position=i, what=it.what.strip(), who=it.who.strip(), by_when=it.by_when)
        for i, it in enumerate(x for x in items if x.what.strip())
    ]
    plan.offers = list(db.session.scalars(sa.select(Offer).where(Offer.id.in_(offer_ids))))
    db.session.flush()
    return plan


def _locked_plan(path: ActionPath) -> ActionPlan | None:
    return db.session.scalar(
        locked(db.session, sa.select(ActionPlan).where(ActionPlan.path_id == path.id))
    )


def _plan_content(
    resources: str,
    concerns: str,
    goals: str,
    parents_perspective: str,
    child_perspective: str,
    evaluation_on: date,
    items: list[tuple[str, str, date | None]],
    offer_ids: list[int],
) -> tuple[object, ...]:
    texts = (resources, concerns, goals, parents_perspective, child_perspective)
    return (*(t.strip() for t in texts), evaluation_on, items, sorted(set(offer_ids)))


def _stored_content(plan: ActionPlan) -> tuple[object, ...]:
    return _plan_content(
        plan.resources,
        plan.concerns,
        plan.goals,
        plan.parents_perspective,
        plan.child_perspective,
        plan.evaluation_on,
        [(i.what, i.who, i.by_when) for i in plan.items],
        [o.id for o in plan.offers],
    )


def plan_for(path: ActionPath) -> ActionPlan | None:
    """The path's plan with its actions and offers, in one query."""
    return (
        db.session.scalars(
            sa.select(ActionPlan)
            .where(ActionPlan.path_id == path.id)
            .options(joinedload(ActionPlan.items), joinedload(ActionPlan.offers))
        )
        .unique()
        .one_or_none()
    )


def offers_for_age(months: int) -> list[Offer]:
    return list(
        db.session.scalars(
            sa.select(Offer)
            .where(
                Offer.active.is_(True),
                Offer.min_age_months <= months,
                Offer.max_age_months > months,
            )
            .order_by(Offer.staircase_step, Offer.name)
        )
    )


def add_follow_up(
    path: ActionPath, by: User, *, held_on: date, progress: str, note: str, next_step: str
) -> FollowUp:
    fu = FollowUp(
        path_id=path.id,
        held_on=held_on,
        progress=Progress(progress),
        note=note.strip(),
        next_step=next_step.strip(),
        by_id=by.id,
    )
    db.session.add(fu)
    db.session.flush()
    return fu


# The offer catalogue (tilbudsviften) ---------------------------------------------------------


def save_offer(
    offer: Offer | None,
    *,
    name: str,
    description: str,
    staircase_step: int,
    min_age_months: int,
    max_age_months: int,
    active: bool,
) -> Offer:
    """Create (``offer=None``) or change an offer. Raises DomainError("offer_ages" |
    "offer_name_taken")."""
    if max_age_months <= min_age_months:
        raise DomainError("offer_ages")
    taken = db.session.scalar(
        sa.select(Offer.id).where(
            sa.func.lower(Offer.name) == name.strip().lower(),
            Offer.id != (offer.id if offer else -1),
        )
    )
    if taken:
        raise DomainError("offer_name_taken")
    if offer is None:
        offer = Offer()
        db.session.add(offer)
    offer.name = name.strip()
    offer.description = description
    offer.staircase_step = staircase_step
    offer.min_age_months = min_age_months
    offer.max_age_months = max_age_months
    offer.active = active
    db.session.flush()
    return offer


def all_offers() -> list[Offer]:
    return list(db.session.scalars(sa.select(Offer).order_by(Offer.staircase_step, Offer.name)))
