# ruff: noqa: S608  (the SQL below is built from constants of this file)
"""Retention and erasure on both databases: every table's rows are compared before and
after, and exactly the child's data goes, nothing else."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from screening.core.db import utcnow
from screening.core.extensions import db
from screening.models import (
    ActionPath,
    ActionPlan,
    ActionStep,
    AuditEvent,
    ChildGuardian,
    ChildObservation,
    ConflictReason,
    Consent,
    GroupMembership,
    Meeting,
    MeetingParticipant,
    Municipality,
    ObservationSourceValue,
    Offer,
    ParticipantKind,
    ReportJob,
    StepKind,
    SyncConflict,
    SyncKind,
    SyncReceipt,
)
from screening.paths import meetings
from screening.paths import services as paths
from screening.retention import services as svc
from screening.retention import tasks

from .. import factories as f
from ..documents.test_reports import docs  # noqa: F401  (the fixture)
from ..paths.test_paths import agree


def rows_by_table() -> dict[str, set[tuple]]:
    """Every row of every table, by primary key."""
    db.session.expire_all()
    out = {}
    for table in db.metadata.sorted_tables:
        pk = list(table.primary_key.columns) or list(table.c)
        out[table.name] = {tuple(r) for r in db.session.execute(sa.select(*pk))}
    return out


def long_ago(today: date) -> date:
    """Six years before `today`: past every retention period."""
    return svc.years_before(today, 6)


def leave(kid, on: date):
    for m in kid.memberships:
        m.start_date = on - timedelta(days=400)
        m.end_date = on
    kid.left_on = on


@pytest.fixture
def erasable(today, world, docs):  # noqa: F811
    """Otto (`docs`: path, plan, meeting, consents, guardians …) left six years ago; Ulla
    stays, shares Otto's father and has data of her own."""
    kid, other = world["older"], world["older2"]
    other.guardian_links.append(ChildGuardian(guardian=docs["father"], has_custody=True))
    agree(world, "yellow", child="older2")
    offer = Offer(name="Sprogstimulering", staircase_step=2)
    db.session.add(offer)
    docs["plan"].offers.append(offer)
    notify_step = db.session.scalar(
        sa.select(ActionStep).where(
            ActionStep.path_id == docs["path"].id, ActionStep.kind == StepKind.NOTIFY
        )
    )
    paths.record_notify_decision(
        notify_step, world["leader"], decision="no_notify", reasoning="Ikke nu.", decided_on=today
    )
    for child in (kid, other):
        obs = ChildObservation(
            child_id=child.id,
            author_id=world["edu1"].id,
            source=ObservationSourceValue.DAYCARE,
            category="social",
            level=2,
            observed_on=today,
        )
        db.session.add(obs)
        db.session.flush()
        assessment_id = db.session.scalar(
            sa.text("SELECT min(id) FROM assessment WHERE child_id = :c"), {"c": child.id}
        )
        for kind, object_id in (
            (SyncKind.OBSERVATION, obs.id),
            (SyncKind.ASSESSMENT, assessment_id),
        ):
            db.session.add(
                SyncReceipt(
                    client_id=f"{kind}-{child.id}",
                    user_id=world["edu1"].id,
                    kind=kind,
                    object_id=object_id,
                    payload_hash="0" * 64,
                )
            )
        db.session.add(
            SyncConflict(
                client_id=f"c-{child.id}",
                user_id=world["edu1"].id,
                kind=SyncKind.OBSERVATION,
                reason=ConflictReason.CHANGED_ON_SERVER,
                child_id=child.id,
                payload={},
                payload_hash="1" * 64,
            )
        )
    for meeting_id in (docs["meeting"].id, 999_999):
        db.session.add(
            ReportJob(
                token=f"tok-{meeting_id}",
                kind="meeting_invitations",
                params={"meeting_id": meeting_id},
                user_id=world["leader"].id,
            )
        )
    leave(kid, long_ago(today))
    db.session.commit()
    return kid


def owned_by(kid_id: int) -> dict[str, set[tuple]]:
    """The rows that are the child's, found by their links (what erasure must remove)."""

    def pks(sql: str) -> set[tuple]:
        return {tuple(r) for r in db.session.execute(sa.text(sql), {"c": kid_id})}

    paths_ = "SELECT id FROM action_path WHERE child_id = :c"
    plans = f"SELECT id FROM action_plan WHERE path_id IN ({paths_})"
    meetings = f"SELECT id FROM meeting WHERE path_id IN ({paths_})"
    return {
        "child": pks("SELECT id FROM child WHERE id = :c"),
        "group_membership": pks("SELECT id FROM group_membership WHERE child_id = :c"),
        "child_guardian": pks("SELECT id FROM child_guardian WHERE child_id = :c"),
        "guardian": pks(
            "SELECT guardian_id FROM child_guardian WHERE child_id = :c AND guardian_id NOT IN "
            "(SELECT guardian_id FROM child_guardian WHERE child_id <> :c)"
        ),
        "assessment": pks("SELECT id FROM assessment WHERE child_id = :c"),
        "joint_assessment": pks("SELECT id FROM joint_assessment WHERE child_id = :c"),
        "observation": pks("SELECT id FROM observation WHERE child_id = :c"),
        "action_path": pks(paths_),
        "action_step": pks(f"SELECT id FROM action_step WHERE path_id IN ({paths_})"),
        "notify_decision": pks(f"SELECT id FROM notify_decision WHERE path_id IN ({paths_})"),
        "follow_up": pks(f"SELECT id FROM follow_up WHERE path_id IN ({paths_})"),
        "action_plan": pks(plans),
        "action_plan_item": pks(f"SELECT id FROM action_plan_item WHERE plan_id IN ({plans})"),
        "action_plan_offer": pks(
            f"SELECT plan_id, offer_id FROM action_plan_offer WHERE plan_id IN ({plans})"
        ),
        "meeting": pks(meetings),
        "meeting_participant": pks(
            f"SELECT id FROM meeting_participant WHERE meeting_id IN ({meetings})"
        ),
        "consent": pks("SELECT id FROM consent WHERE child_id = :c"),
        "sync_conflict": pks("SELECT id FROM sync_conflict WHERE child_id = :c"),
        "sync_receipt": pks(
            "SELECT id FROM sync_receipt WHERE (kind = 'assessment' AND object_id IN "
            "(SELECT id FROM assessment WHERE child_id = :c)) OR (kind = 'observation' AND "
            "object_id IN (SELECT id FROM observation WHERE child_id = :c))"
        ),
        "report_job": {
            (j.id,)
            for j in db.session.scalars(sa.select(ReportJob))
            if j.params.get("meeting_id") in {m for (m,) in pks(meetings)}
        },
    }


def test_erasure_removes_exactly_the_childs_rows(today, app, erasable):
    kid_id = erasable.id
    expected = owned_by(kid_id)
    assert all(expected.values()), [t for t, rows in expected.items() if not rows]
    before = rows_by_table()
    result = tasks.run(today)
    assert (result.erased, result.failed) == (1, 0)
    after = rows_by_table()
    for table, rows in before.items():
        gone, new = rows - after[table], after[table] - rows
        if table == "audit_event":
            assert not gone
            assert len(new) == 1
        else:
            assert gone == expected.get(table, set()), table
            assert not new, table
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "child.erased"))
    assert (event.child_id, event.object_id, event.user_id) == (None, None, None)
    assert event.details["text"] == "1 barn slettet efter 5 års opbevaring"
    # A second run finds nothing more to erase.
    assert tasks.run(today).erased == 0


def test_a_crash_half_way_erases_nothing_of_that_child(today, app, world, erasable, docs):  # noqa: F811
    """Another child's meeting names Otto's consent: the delete of the consent fails in the
    database, after much of Otto was already deleted in the same transaction."""
    other_path = db.session.scalar(
        sa.select(ActionPath).where(ActionPath.child_id == world["older2"].id)
    )
    other_meeting = meetings.create_meeting(
        other_path,
        world["leader"],
        kind="cross_disciplinary",
        starts_at=utcnow(),
        place="Her",
        purpose="Støtte",
        agenda="",
    )
    db.session.add(
        MeetingParticipant(
            meeting_id=other_meeting.id,
            kind=ParticipantKind.EXTERNAL,
            name="Pia",
            consent_id=docs["consent"].id,
        )
    )
    bo = f.child(world["group"], first_name="Bo")  # due too, in the same batch
    leave(bo, long_ago(today))
    db.session.commit()
    bo_rows = owned_by(bo.id)
    before = rows_by_table()
    result = tasks.run(today)
    assert (result.erased, result.failed) == (1, 1)
    after = rows_by_table()
    for table, rows in before.items():
        if table != "audit_event":  # Bo's erasure is recorded
            assert rows - after[table] == bo_rows.get(table, set()), table


def test_only_children_past_the_policy_are_due(today, app, world):
    group = world["group"]
    stayed = f.child(group, first_name="Bliver")  # still enrolled: never due
    recent = f.child(group, first_name="Nylig")
    leave(recent, svc.years_before(today, 5) + timedelta(days=1))
    exactly = f.child(group, first_name="Præcis")
    leave(exactly, svc.years_before(today, 5))
    unconcerned = f.child(group, first_name="Uden")
    leave(unconcerned, svc.months_before(today, 7))
    db.session.add(Municipality(name="K", retention_years=5))
    db.session.commit()
    due = {d.child_id: d.rule for d in svc.due_for_erasure(today)}
    assert due == {exactly.id: svc.LEFT}
    db.session.scalar(sa.select(Municipality)).retention_unconcerned_months = 6
    db.session.commit()
    due = {d.child_id: d.rule for d in svc.due_for_erasure(today)}
    # Left and never a path: both the recent leaver and the one of seven months ago.
    assert due == {
        exactly.id: svc.LEFT,
        recent.id: svc.UNCONCERNED,
        unconcerned.id: svc.UNCONCERNED,
    }
    db.session.scalar(sa.select(Municipality)).retention_unconcerned_months = 8
    db.session.commit()
    due = {d.child_id: d.rule for d in svc.due_for_erasure(today)}
    assert due == {exactly.id: svc.LEFT, recent.id: svc.UNCONCERNED}
    assert stayed.id not in due


def test_a_child_with_a_path_is_kept_for_the_full_period(today, app, world):
    kid = world["older"]
    agree(world, "yellow")
    leave(kid, svc.months_before(today, 12))
    db.session.add(Municipality(name="K", retention_unconcerned_months=6))
    db.session.commit()
    assert svc.due_for_erasure(today) == []


def test_flask_erase_child_needs_yes_and_erases_one_child(app, world):
    kid_id = world["toddler"].id
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["erase-child", str(kid_id)])
    assert refused.exit_code != 0
    assert "--yes" in refused.output
    assert db.session.get(type(world["toddler"]), kid_id) is not None
    before = rows_by_table()
    ok = runner.invoke(args=["erase-child", str(kid_id), "--yes"])
    assert ok.exit_code == 0, ok.output
    after = rows_by_table()
    assert before["child"] - after["child"] == {(kid_id,)}
    assert len(before["group_membership"] - after["group_membership"]) == 1
    missing = runner.invoke(args=["erase-child", str(kid_id), "--yes"])
    assert missing.exit_code != 0
    assert "no child" in missing.output


def test_audit_events_past_their_retention_are_deleted_and_no_others(today, app):
    db.session.add(Municipality(name="K", audit_retention_years=2))
    old = AuditEvent(
        action="x",
        object_type="app",
        outcome="ok",
        details={},
        occurred_at=utcnow() - timedelta(days=3 * 365),
    )
    young = AuditEvent(
        action="y",
        object_type="app",
        outcome="ok",
        details={},
        occurred_at=utcnow() - timedelta(days=365),
    )
    db.session.add_all([old, young])
    db.session.commit()
    assert tasks.run(today).audit_pruned == 1
    assert [e.action for e in db.session.scalars(sa.select(AuditEvent))] == ["y"]
    # The database itself refuses to delete a younger event.
    with pytest.raises(sa.exc.DatabaseError):
        db.session.execute(sa.delete(AuditEvent).where(AuditEvent.action == "y"))
    db.session.rollback()


def test_the_coordinator_previews_the_next_run(browser, new_browser, world, erasable):
    coordinator = new_browser()
    coordinator.login("koord@example.dk")
    page = coordinator.get("/retention")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Næste kørsel sletter 1 barn." in html
    assert "Børnehuset Mælkebøtten" in html
    assert erasable.full_name in html
    browser.login("leder@example.dk")
    assert browser.get("/retention").status_code == 403
    assert db.session.get(type(erasable), erasable.id) is not None  # nothing erased


def test_membership_dates_stay_valid(app, erasable):
    m = db.session.scalar(sa.select(GroupMembership).where(GroupMembership.child_id == erasable.id))
    assert m.end_date >= m.start_date
    assert db.session.scalar(sa.select(sa.func.count(Consent.id))) >= 1
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(ActionPlan.id))) == 1
