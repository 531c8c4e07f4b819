"""Issue 17, "fast under load": pages whose database work grew with the data they show.

Each test counts SQL statements (never times): the count must stay the same when the data
grows, and the answers must agree with the child-by-child computation they replace."""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa

from screening.assessments import services as svc
from screening.assessments.models import Assessment, AssessmentStatus
from screening.classifier import Position
from screening.core.db import utcnow
from screening.core.extensions import db


@contextmanager
def counting():
    seen: list[str] = []

    def watch(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", watch)


# 1. The assessment form's "next child" link ---------------------------------------------


def next_child_by_progress(round_, child, user):
    """The former computation: the whole group's progress, then a walk in Python."""
    group = child.current_group
    if group is None:
        return None
    progress = svc.group_progress(round_, [group], user)[0].eligible
    ids = [c.child.id for c in progress]
    if child.id not in ids:
        return None
    start_at = ids.index(child.id)
    ordered = progress[start_at + 1 :] + progress[:start_at]
    return next((c.child for c in ordered if c.own_status != AssessmentStatus.SUBMITTED), None)


def submit(world, user, child):
    db.session.add(
        Assessment(
            round=world["round"],
            child=child,
            assessor=user,
            instrument=svc.instrument_for_child(world["round"], child),
            status=AssessmentStatus.SUBMITTED,
            answers={},
            submitted_at=utcnow(),
            suggested_position=Position.GREEN,
        )
    )
    db.session.commit()


def test_next_child_is_one_small_query_and_agrees_with_the_group_progress(world):
    round_, edu = world["round"], world["edu1"]
    kids = ["infant", "toddler", "older", "older2", "elsewhere"]
    for done in ([], ["toddler"], ["older2", "infant"], ["older"]):
        for name in done:
            submit(world, edu, world[name])
        for name in kids:
            child = world[name]
            expected = next_child_by_progress(round_, child, edu)
            svc.next_child(round_, child, edu)  # warm: what the page has loaded already
            with counting() as seen:
                found = svc.next_child(round_, child, edu)
            assert found == expected, (done, name)
            # The round's age bands and the next child: no group-wide progress.
            assert len(seen) <= 2, [s[:90] for s in seen]


def test_next_child_walks_the_whole_alphabet_of_a_group(world):
    """With one child left unassessed, every other child's link points to it."""
    round_, edu = world["round"], world["edu1"]
    for name in ("infant", "toddler", "older"):
        submit(world, edu, world[name])
    for name in ("infant", "toddler", "older"):
        assert svc.next_child(round_, world[name], edu) == world["older2"]
    assert svc.next_child(round_, world["older2"], edu) is None
