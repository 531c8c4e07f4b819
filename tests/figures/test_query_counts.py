"""The coordinator's pages ask the database a fixed number of questions: the same number
of SQL queries for a small municipality and one with twice the institutions, groups and
children. And the aggregate counts agree with the child-by-child ones they replace."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace

import sqlalchemy as sa

from benchmarks.municipality import PASSWORD, Scale, build
from screening.assessments.round_progress import group_progress, round_group_counts
from screening.core.extensions import db
from screening.documents.overviews import municipal_overview_data
from screening.figures import queries
from screening.models import ActionPath, ActionStep, Group, PathStatus, ScreeningRound

SIZES = (
    Scale(institutions=2, groups_per_institution=2, children=40, rounds=3, paths=10, seed=5),
    Scale(institutions=4, groups_per_institution=3, children=120, rounds=3, paths=30, seed=5),
)


@contextmanager
def counting():
    seen: list[str] = []

    def watch(conn, cursor, statement, *args):
        seen.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", watch)


def pages(summary) -> dict[str, str]:
    rid, first = summary.rounds[-1], summary.institutions[0]
    return {
        "dashboard": f"/rounds/{rid}/figures",
        "dashboard by institution": f"/rounds/{rid}/figures?institution={first}",
        "trend": f"/rounds/{rid}/figures/trend",
        "trend by institution": f"/rounds/{rid}/figures/trend?institution={first}",
        "one table CSV": f"/rounds/{rid}/figures/positions.csv",
        "round overview": f"/rounds/{rid}",
        "municipal overview PDF": f"/rounds/{rid}/municipal.pdf",
        "all tables XLSX": f"/rounds/{rid}/figures.xlsx",
    }


def measure(summary, browser) -> dict[str, int]:
    browser.login(summary.coordinator_email, PASSWORD)
    out = {}
    for name, url in pages(summary).items():
        browser.get(url)  # warm: the first request of a session loads the user etc.
        with counting() as seen:
            response = browser.get(url)
        assert response.status_code == 200, url
        out[name] = len(seen)
    return out


def test_query_counts_do_not_grow_with_the_municipality(
    today, app, catalogue, new_browser, reset_db
):
    found = []
    for scale in SIZES:
        summary = build(db.session, replace(scale, today=today))
        db.session.commit()
        found.append(measure(summary, new_browser()))
        reset_db(catalogue=True)
    small, large = found
    assert small == large, (small, large)
    assert all(n <= 60 for n in large.values()), large


def test_the_aggregate_counts_agree_with_group_progress(today, app, catalogue):
    summary = build(db.session, replace(SIZES[1], today=today))
    db.session.commit()
    for round_id in summary.rounds:
        round_ = db.session.get(ScreeningRound, round_id)
        groups = list(db.session.scalars(sa.select(Group).where(Group.active).order_by(Group.id)))
        counts = round_group_counts(round_, groups)
        for gc, gp in zip(counts, group_progress(round_, groups), strict=True):
            assert gc.group is gp.group
            assert (gc.children, gc.with_individual, gc.with_two, gc.with_joint) == (
                len(gp.eligible),
                gp.with_individual,
                gp.with_two,
                gp.with_joint,
            )
            positions: dict[str, int] = {}
            for c in gp.eligible:
                if c.joint is not None:
                    key = c.joint.agreed_position.value
                    positions[key] = positions.get(key, 0) + 1
            assert gc.by_position == positions
        data = municipal_overview_data(round_, today)
        # The overview's children and positions are the dashboard's (issue 13): each
        # round's children on its own as-of day, institutions by name.
        board = queries.counts(round_, queries.Filters(), today, trend=0)
        assert [row.group for row in data.rows] == [r.name for r in board.rows]
        for r, row in zip(board.rows, data.rows, strict=True):
            assert row.children == sum(board.joint[r.id].values())
            assert row.by_position == {k: board.joint[r.id][k] for k in ("green", "yellow", "red")}
            assert row.missing == board.assessed[r.id][0]
            assert row.assessed == board.assessed[r.id][1] + board.assessed[r.id][2]
        by_name = {row.group: row for row in data.rows}
        for inst in round_.institutions:
            row = by_name[inst.name]
            gps = group_progress(round_, [g for g in inst.groups if g.active])
            kids = [c for gp in gps for c in gp.eligible]
            ids = [c.child.id for c in kids]
            paths = list(
                db.session.scalars(
                    sa.select(ActionPath).where(
                        ActionPath.child_id.in_(ids), ActionPath.status == PathStatus.OPEN
                    )
                )
            )
            overdue = sum(
                1
                for p in paths
                for s in db.session.scalars(sa.select(ActionStep).where(ActionStep.path_id == p.id))
                if s.done_on is None and s.due_on < today
            )
            assert row.open_paths == len(paths)
            assert row.overdue_steps == overdue
