"""The municipal-scale generator (benchmarks/municipality.py) at a small scale: it writes
data the app accepts, the same scale gives the same rows, and a second build reuses them."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from benchmarks.municipality import Scale, build
from screening.core.extensions import db
from screening.models import (
    ActionPath,
    ActionStep,
    Assessment,
    AssessmentStatus,
    Child,
    GroupMembership,
    JointAssessment,
    PathStatus,
    RoundStatus,
    ScreeningRound,
)

SMALL = Scale(institutions=2, groups_per_institution=3, children=60, rounds=3, paths=15, seed=7)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_small_municipality_has_the_promised_shape(today, app, catalogue):
    summary = build(db.session, replace(SMALL, today=today))
    db.session.commit()
    assert not summary.reused
    assert len(summary.rounds) == 3
    assert len(summary.institutions) == 2
    rounds = db.session.scalars(sa.select(ScreeningRound).order_by(ScreeningRound.reference_date))
    rounds = list(rounds)
    assert all(len(r.institutions) == 2 for r in rounds)  # every round covers them all
    statuses = [r.status for r in rounds]
    assert statuses == [RoundStatus.CLOSED, RoundStatus.CLOSED, RoundStatus.OPEN]
    # About `children` children attend on each round's reference date.
    for round_id in summary.rounds:
        ref = db.session.get(ScreeningRound, round_id).reference_date
        attending = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(GroupMembership.child_id))).where(
                GroupMembership.start_date <= ref,
                sa.or_(GroupMembership.end_date.is_(None), GroupMembership.end_date > ref),
            )
        )
        assert 40 <= attending <= 80
    assert count(Child) > 60  # children came and left over the rounds
    # At most two individual assessments and one joint per child and round.
    per_child = db.session.execute(
        sa.select(Assessment.round_id, Assessment.child_id, sa.func.count())
        .group_by(Assessment.round_id, Assessment.child_id)
        .having(sa.func.count() > 2)
    ).all()
    assert per_child == []
    assert count(JointAssessment) > 0
    assert 0 < count(ActionPath) <= 15
    open_paths = db.session.scalar(
        sa.select(sa.func.count(ActionPath.id)).where(ActionPath.status == PathStatus.OPEN)
    )
    assert open_paths > 0
    overdue = db.session.scalar(
        sa.select(sa.func.count(ActionStep.id)).where(
            ActionStep.done_on.is_(None), ActionStep.due_on < today
        )
    )
    assert overdue > 0
    newest = summary.rounds[-1]
    drafts = db.session.scalar(
        sa.select(sa.func.count(Assessment.id)).where(
            Assessment.round_id == newest, Assessment.status == AssessmentStatus.DRAFT
        )
    )
    assert drafts > 0  # the open round is only partly done


def test_same_scale_same_rows_and_a_second_build_reuses_them(today, app, catalogue, reset_db):
    first = build(db.session, replace(SMALL, today=today))
    db.session.commit()
    names = db.session.scalars(sa.select(Child.first_name).order_by(Child.id)).all()
    again = build(db.session, replace(SMALL, today=today))
    assert again.reused
    assert again.rounds == first.rounds
    with pytest.raises(RuntimeError, match="another generated municipality"):
        build(db.session, replace(SMALL, seed=8, today=today))
    reset_db(catalogue=True)
    build(db.session, replace(SMALL, today=today))
    db.session.commit()
    assert db.session.scalars(sa.select(Child.first_name).order_by(Child.id)).all() == names


def test_the_coordinator_can_sign_in_and_open_the_round(today, app, catalogue, browser):
    summary = build(db.session, replace(SMALL, today=today))
    db.session.commit()
    from benchmarks.municipality import PASSWORD

    assert browser.login(summary.coordinator_email, PASSWORD).status_code == 302
    page = browser.get(f"/rounds/{summary.rounds[-1]}")
    assert page.status_code == 200
    assert "Børnehuset Solsikken" in page.get_data(as_text=True)
    assert browser.get("/momentum").status_code == 200
    assert browser.get(f"/rounds/{summary.rounds[-1]}/municipal.pdf").status_code == 200
