"""The plan document's data is loaded in a fixed, small number of queries (the plan PDF
is the hot path of `make bench-reports`), whatever the number of actions or follow-ups."""

from __future__ import annotations

import sqlalchemy as sa

from screening.core.extensions import db
from screening.documents.action_plans import load_path, plan_data
from screening.documents.common import age_text, letterhead

from .test_reports import docs  # noqa: F401  (a plan with 40 actions and a follow-up)


def test_plan_data_in_seven_queries(today, docs):  # noqa: F811
    path_id = docs["path"].id
    db.session.expire_all()
    statements: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        plan = plan_data(load_path(path_id), today)
        letterhead(today)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(plan.actions) == 40
    assert len(plan.follow_ups) == 1
    # path, plan, joint suggestion, follow-ups, participants (with their roles), leader,
    # municipality
    assert len(statements) == 7, statements


def test_ages_in_danish():
    assert [age_text(m) for m in (0, 1, 7, 12, 13, 36, 50)] == [
        "0 mdr.",
        "1 md.",
        "7 mdr.",
        "1 år",
        "1 år og 1 md.",
        "3 år",
        "4 år og 2 mdr.",
    ]
