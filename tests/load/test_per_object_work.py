"""Issue 17, "fast under load": pages whose database work grew with the data they show.

Each test counts SQL statements (never times): the count must stay the same when the data
grows, and the answers must agree with the child-by-child computation they replace."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import sqlalchemy as sa

from benchmarks.municipality import PASSWORD, Scale, build
from screening.accounts.models import User
from screening.assessments import individual, round_progress
from screening.assessments.models import Assessment, AssessmentStatus
from screening.children.models import Child, GroupMembership
from screening.classifier import Position
from screening.core.db import utcnow
from screening.core.extensions import db
from screening.core.models import AuditEvent, Outcome
from screening.core.policy import Action, can, readable_assessments
from screening.org.models import Group
from screening.rounds.models import ScreeningRound


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
    progress = round_progress.group_progress(round_, [group], user)[0].eligible
    ids = [c.child.id for c in progress]
    if child.id not in ids:
        return None
    start_at = ids.index(child.id)
    ordered = progress[start_at + 1 :] + progress[:start_at]
    found = next((c.child for c in ordered if c.own_status != AssessmentStatus.SUBMITTED), None)
    return db.session.get(Child, found.id) if found is not None else None


def submit(world, user, child):
    db.session.add(
        Assessment(
            round=world["round"],
            child=child,
            assessor=user,
            instrument=individual.instrument_for_child(world["round"], child),
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
            round_progress.next_child(round_, child, edu)  # warm: what the page has loaded already
            with counting() as seen:
                found = round_progress.next_child(round_, child, edu)
            assert found == expected, (done, name)
            # The round's age bands and the next child: no group-wide progress.
            assert len(seen) <= 2, [s[:90] for s in seen]


def test_next_child_walks_the_whole_alphabet_of_a_group(world):
    """With one child left unassessed, every other child's link points to it."""
    round_, edu = world["round"], world["edu1"]
    for name in ("infant", "toddler", "older"):
        submit(world, edu, world[name])
    for name in ("infant", "toddler", "older"):
        assert round_progress.next_child(round_, world[name], edu) == world["older2"]
    assert round_progress.next_child(round_, world["older2"], edu) is None


# 2. The child's timeline -----------------------------------------------------------------


def timeline_scale(rounds: int, today: date) -> Scale:
    return Scale(
        institutions=1, groups_per_institution=1, children=12, rounds=rounds, paths=3, today=today
    )


def busiest_child(summary) -> Child:
    """The first institution's child with the most assessments."""
    inst = summary.institutions[0]
    child_id = db.session.scalar(
        sa.select(Assessment.child_id)
        .join(GroupMembership, GroupMembership.child_id == Assessment.child_id)
        .join(Group, Group.id == GroupMembership.group_id)
        .where(Group.institution_id == inst)
        .group_by(Assessment.child_id)
        .order_by(sa.func.count().desc(), Assessment.child_id)
        .limit(1)
    )
    return db.session.get(Child, child_id)


def timeline_queries(summary, browser, email) -> tuple[int, int]:
    """(queries, assessments shown) for the busiest child's timeline, warm."""
    browser.login(email, PASSWORD)
    url = f"/children/{busiest_child(summary).id}/timeline"
    browser.get(url)
    with counting() as seen:
        response = browser.get(url)
    assert response.status_code == 200
    return len(seen), response.get_data(as_text=True).count("Se vurderingen")


def test_the_timeline_asks_the_same_number_of_queries_for_one_round_and_four(
    today, app, catalogue, new_browser, reset_db
):
    found = []
    for rounds in (1, 4):
        summary = build(db.session, timeline_scale(rounds, today))
        db.session.commit()
        found.append(
            {
                who: timeline_queries(summary, new_browser(), email)
                for who, email in (
                    ("leader", summary.leader_email),
                    ("educator", summary.educator_email),
                )
            }
        )
        reset_db(catalogue=True)
    one, four = found
    assert four["leader"][1] > one["leader"][1] > 0, found  # more rounds, more to show
    assert {k: n for k, (n, _) in one.items()} == {k: n for k, (n, _) in four.items()}, found


def test_readable_assessments_agree_with_asking_one_by_one(today, app, catalogue):
    summary = build(db.session, timeline_scale(3, today))
    db.session.commit()
    users = db.session.scalars(sa.select(User).order_by(User.id)).all()
    children = db.session.scalars(sa.select(Child).order_by(Child.id)).all()
    checked = 0
    for child in children:
        assessments = db.session.scalars(
            sa.select(Assessment).where(Assessment.child_id == child.id).order_by(Assessment.id)
        ).all()
        for user in users:
            if not can(user, Action.VIEW_ASSESSMENTS, child):
                continue
            one_by_one = [a for a in assessments if can(user, Action.VIEW_ASSESSMENTS, a)]
            assert readable_assessments(user, child, assessments) == one_by_one
            checked += len(assessments)
    assert checked > 0, summary


# 3. The offline pack ---------------------------------------------------------------------


def pack_scale(children: int, today: date) -> Scale:
    return Scale(
        institutions=1, groups_per_institution=2, children=children, rounds=2, paths=2, today=today
    )


def test_the_offline_pack_writes_its_audit_rows_in_one_insert(
    today, app, catalogue, new_browser, reset_db
):
    found = []
    for children in (12, 48):
        summary = build(db.session, pack_scale(children, today))
        db.session.commit()
        browser = new_browser()
        browser.login(summary.educator_email, PASSWORD)
        browser.get("/api/offline-pack")  # warm
        before = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
        with counting() as seen:
            response = browser.get("/api/offline-pack")
        assert response.status_code == 200
        pack = response.get_json()
        inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT INTO AUDIT_EVENT")]
        assert len(inserts) == 1, inserts
        rows = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.id)
        ).all()
        user = db.session.scalar(sa.select(User).where(User.email == summary.educator_email))
        ids = [c["id"] for c in pack["children"]]
        assert len(ids) >= 4
        assert [(r.object_id, r.child_id) for r in rows] == [(i, i) for i in ids]
        assert {
            (r.action, r.object_type, r.user_id, r.outcome, r.remote_addr, r.occurred_at)
            for r in rows
        } == {
            (
                "offline_pack.download",
                "child",
                user.id,
                Outcome.OK,
                "127.0.0.1",
                rows[0].occurred_at,
            )
        }
        assert all(r.details == {} for r in rows)
        # Each child's instrument is the one the assessment form would use.
        for round_entry in pack["rounds"]:
            round_ = db.session.get(ScreeningRound, round_entry["id"])
            for entry in round_entry["children"]:
                if entry["assessment"] is not None:
                    continue
                child = db.session.get(Child, entry["child_id"])
                row = individual.instrument_for_child(round_, child)
                assert entry["instrument"] == {"key": row.key, "version": row.version}
        found.append((len(seen), len(ids)))
        reset_db(catalogue=True)
    (small, small_children), (large, large_children) = found
    assert large_children > small_children, found
    assert small == large, found


def test_record_many_writes_the_events_record_would_write(app):
    from screening.core import audit

    before = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    with counting() as seen:
        n = audit.record_many("x.read", "thing", [(3, 30), (None, 31), (5, None)], count=2)
    assert n == 3
    assert len(seen) == 1, seen
    assert audit.record_many("x.read", "thing", []) == 0
    rows = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.id)
    ).all()
    assert [(r.object_id, r.child_id) for r in rows] == [(3, 30), (None, 31), (5, None)]
    assert {(r.action, r.object_type, r.user_id, r.outcome, r.remote_addr) for r in rows} == {
        ("x.read", "thing", None, Outcome.OK, None)
    }
    assert all(r.details == {"count": 2} for r in rows)
