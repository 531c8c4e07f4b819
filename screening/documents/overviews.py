"""The data of the overviews: one round in one institution (by group, and the children
needing action) and the municipality's (one row per institution, small counts hidden)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from reports.data import ChildNeedingAction, GroupRow, MunicipalOverviewData, RoundOverviewData
from reports.i18n import DANISH, Language
from screening.assessments.round_progress import (
    ChildProgress,
    GroupProgress,
    group_progress,
    round_members,
)
from screening.core.extensions import db
from screening.figures import queries as figure_queries
from screening.figures import tables as figure_tables
from screening.figures.suppression import DEFAULT_THRESHOLD, valid_threshold
from screening.org.models import Group, Institution
from screening.org.services import municipality
from screening.paths.models import ActionPath, ActionStep, PathStatus
from screening.rounds.models import ScreeningRound


def _group_row(
    name: str, gp_list: list[GroupProgress], today: date
) -> tuple[GroupRow, list[ChildProgress], list[ActionPath]]:
    children = [c for gp in gp_list for c in gp.eligible]
    ids = [c.child.id for c in children]
    by_position = {"green": 0, "yellow": 0, "red": 0}
    for c in children:
        if c.joint is not None:
            by_position[c.joint.agreed_position.value] += 1
    paths = (
        db.session.scalars(
            sa.select(ActionPath).where(
                ActionPath.child_id.in_(ids), ActionPath.status == PathStatus.OPEN
            )
        ).all()
        if ids
        else []
    )
    overdue = (
        db.session.scalar(
            sa.select(sa.func.count(ActionStep.id)).where(
                ActionStep.path_id.in_([p.id for p in paths]),
                ActionStep.done_on.is_(None),
                ActionStep.due_on < today,
            )
        )
        if paths
        else 0
    )
    row = GroupRow(
        group=name,
        children=len(children),
        by_position=by_position,
        assessed=sum(1 for c in children if c.submitted),
        missing=sum(1 for c in children if not c.submitted),
        open_paths=len(paths),
        overdue_steps=overdue or 0,
    )
    return row, children, list(paths)


def round_overview_data(
    round_: ScreeningRound, institution: Institution, today: date, language: Language = DANISH
) -> RoundOverviewData:
    groups = [g for g in institution.groups if g.active]
    rows = []
    needing: list[ChildNeedingAction] = []
    for gp in group_progress(round_, groups):
        row, children, paths = _group_row(gp.group.name, [gp], today)
        rows.append(row)
        by_child = {p.child_id: p for p in paths}
        for c in children:
            path = by_child.get(c.child.id)
            overdue = sum(1 for s in path.steps if s.overdue(today)) if path else 0
            # The position column shows this round's agreed position only (an earlier
            # round's position is not this round's).
            this_round = c.joint.agreed_position.value if c.joint is not None else None
            if overdue and path is not None:
                needing.append(
                    ChildNeedingAction(
                        c.child.full_name, gp.group.name, this_round, "", overdue_steps=overdue
                    )
                )
            elif c.submitted and c.joint is None:
                needing.append(
                    ChildNeedingAction(
                        c.child.full_name,
                        gp.group.name,
                        None,
                        language.gettext("Mangler fælles vurdering"),
                    )
                )
            elif (
                c.joint is not None
                and c.joint.position_changed
                and (c.joint.parents_informed_on is None)
            ):
                needing.append(
                    ChildNeedingAction(
                        c.child.full_name,
                        gp.group.name,
                        c.joint.agreed_position.value,
                        language.gettext("Forældrene er ikke orienteret om den nye position"),
                    )
                )
    return RoundOverviewData(round_.name, institution.name, tuple(rows), tuple(needing))


def _same(text: str) -> str:
    return text


def municipal_overview_data(round_: ScreeningRound, today: date) -> MunicipalOverviewData:
    """One row per institution, the figures the key-figures dashboard publishes for the
    same round without filters (issue 13: the same rule in screens, exports and PDFs):
    children, green, yellow and red are cells of its joint positions table, "not
    assessed" a cell of its completion table, each hidden exactly where the dashboard
    hides it (`queries.counts` and `tables.figures`: the same tables protected together).
    "Assessed" (one or two or more assessments) is no cell of the dashboard: it is
    published only where the dashboard's published cells give it anyway (both its parts,
    or the children and the not assessed), else hidden.

    Open paths and overdue steps count the round's current children's open paths (no
    table of the dashboard has them): small counts are hidden; the overdue steps are
    also hidden where the dashboard's timeliness table hides the row's overdue steps
    (the two counts are the same where every overdue step of an open path fell due in the
    round's period, so a figure hidden there must not be printed here). The columns have
    no totals, so no sum gives a hidden count back. A fixed number of queries."""
    institutions = list(round_.institutions)
    groups = list(
        db.session.scalars(
            sa.select(Group).where(
                Group.institution_id.in_([i.id for i in institutions]), Group.active
            )
        )
    )
    members = round_members(round_, groups)
    # Open paths and their overdue steps in one pass over the members (a path is counted
    # once whatever its number of overdue steps).
    paths: dict[int, int] = {}
    overdue: dict[int, int] = {}
    for inst_id, n_paths, n_steps in db.session.execute(
        sa.select(
            Group.institution_id,
            sa.func.count(sa.distinct(ActionPath.id)),
            sa.func.count(ActionStep.id),
        )
        .select_from(members)
        .join(Group, Group.id == members.c.group_id)
        .join(ActionPath, ActionPath.child_id == members.c.child_id)
        .outerjoin(
            ActionStep,
            sa.and_(
                ActionStep.path_id == ActionPath.id,
                ActionStep.done_on.is_(None),
                ActionStep.due_on < today,
            ),
        )
        .where(ActionPath.status == PathStatus.OPEN)
        .group_by(Group.institution_id)
    ):
        paths[inst_id] = n_paths
        if n_steps:
            overdue[inst_id] = n_steps
    muni = municipality()
    threshold = valid_threshold(
        muni.suppression_threshold if muni is not None else DEFAULT_THRESHOLD
    )
    counts = figure_queries.counts(round_, figure_queries.Filters(), today, trend=0, rest=False)
    figure_queries.add_timeliness(counts, figure_queries.Filters(), today)
    figs = {f.key: f.protected for f in figure_tables.figures(counts, threshold, _same)}
    positions, completion, steps = figs["positions"], figs["completion"], figs["timeliness"]
    late = figure_queries.TIMELINESS.index("overdue")
    rows = []
    for r, inst in enumerate(counts.rows):
        hidden = {
            name
            for c, name in enumerate(figure_queries.POSITIONS)
            if (r, c) in positions.complementary
        }
        if (r, 4) in positions.complementary:
            hidden.add("children")
        if (r, 0) in completion.complementary:
            hidden.add("missing")
        children = positions.table.value((r, 4))
        missing = completion.table.value((r, 0))
        parts = completion.shown((r, 1)) is not None and completion.shown((r, 2)) is not None
        rest = completion.shown((r, 3)) is not None and completion.shown((r, 0)) is not None
        if not (parts or rest):
            hidden.add("assessed")
        n_overdue = overdue.get(inst.id, 0)
        if (r, late) in steps.hidden and not 0 < n_overdue < threshold:
            hidden.add("overdue_steps")
        rows.append(
            GroupRow(
                group=inst.name,
                children=children,
                by_position={
                    k: positions.table.value((r, c)) for c, k in enumerate(figure_queries.POSITIONS)
                },
                assessed=children - missing,
                missing=missing,
                open_paths=paths.get(inst.id, 0),
                overdue_steps=n_overdue,
                hidden=frozenset(hidden),
            )
        )
    return MunicipalOverviewData(round_.name, tuple(rows), suppress_below=threshold)
