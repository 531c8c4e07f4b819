"""Action paths keep their own books: a step whose work is recorded in the product is
completed by that record, with who and when. A saved action plan completes the plan step,
a meeting whose minutes are saved (the meeting was held) completes its meeting step, and a
recorded follow-up completes the follow-up step. Which record completes which step is the
pure rule `rules.completed_by`; this module records it (flush only).

The views call these functions instead of the plain services, so the record and the
step's completion happen in one transaction.
"""

from __future__ import annotations

from datetime import date

from screening.accounts.models import User
from screening.catalogue.services import templates_for
from screening.core.time import LOCAL_TZ
from screening.paths import meetings, plans
from screening.paths import rules as rules
from screening.paths import services as svc
from screening.paths.models import (
    ActionPath,
    ActionPlan,
    ActionStep,
    FollowUp,
    Meeting,
    StepKind,
)


def complete_by_record(
    path: ActionPath, record: str, by: User, on: date, meeting_kind: str | None = None
) -> ActionStep | None:
    """Mark done the earliest open step of the open path that the record completes.
    Returns that step, or None when no open step is completed by it."""
    if not path.is_open:
        return None
    templates = templates_for(path)
    for step in sorted(path.steps, key=lambda s: (s.due_on, s.id)):
        if step.done or step.kind == StepKind.NOTIFY:
            continue
        template = templates.step(step.key)
        if template is None:
            continue
        if rules.completed_by(template, record, meeting_kind):
            svc.complete_step(step, by, on)
            return step
    return None


def save_plan(
    path: ActionPath,
    by: User,
    on: date,
    *,
    resources: str,
    concerns: str,
    goals: str,
    parents_perspective: str,
    child_perspective: str,
    evaluation_on: date,
    items: list[plans.PlanItemInput],
    offer_ids: list[int],
    expected_version: int | None = None,
) -> ActionPlan:
    """`services.save_plan`, and the plan step is done (by `by`, on `on`)."""
    plan = plans.save_plan(
        path,
        by,
        resources=resources,
        concerns=concerns,
        goals=goals,
        parents_perspective=parents_perspective,
        child_perspective=child_perspective,
        evaluation_on=evaluation_on,
        items=items,
        offer_ids=offer_ids,
        expected_version=expected_version,
    )
    complete_by_record(path, "plan_saved", by, on)
    return plan


def add_follow_up(
    path: ActionPath, by: User, *, held_on: date, progress: str, note: str, next_step: str
) -> FollowUp:
    """`services.add_follow_up`, and the follow-up step is done on the day it was held."""
    follow_up = plans.add_follow_up(
        path, by, held_on=held_on, progress=progress, note=note, next_step=next_step
    )
    complete_by_record(path, "follow_up_recorded", by, held_on)
    return follow_up


def save_minutes(
    meeting: Meeting,
    by: User,
    today: date,
    *,
    minutes: str,
    decisions: str,
    expected_version: int | None = None,
) -> ActionStep | None:
    """`services.save_minutes`. The first minutes of a meeting that has begun record that
    it was held: that completes the path's meeting step, on the meeting's day. Returns the
    step completed, if any."""
    held_before = bool(meeting.minutes)
    meetings.save_minutes(
        meeting, minutes=minutes, decisions=decisions, expected_version=expected_version
    )
    held_on = meeting.starts_at.astimezone(LOCAL_TZ).date()
    if held_before or not meeting.minutes or held_on > today:
        return None
    return complete_by_record(meeting.path, "meeting_held", by, held_on, meeting.kind.value)
