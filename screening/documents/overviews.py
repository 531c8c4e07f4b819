"""The data of the overviews: one round in one institution (by group, and the children
needing action) and the municipality's (one row per institution, small counts hidden)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from reports.data import ChildNeedingAction, GroupRow, MunicipalOverviewData, RoundOverviewData
from reports.i18n import DANISH, Language
from screening.assessments.round_progress import (
    ChildProgress,
    GroupCounts,
    GroupProgress,
    group_progress,
    round_group_counts,
    round_members,
)
from screening.core.extensions import db
from screening.figures.suppression import DEFAULT_THRESHOLD, Table, protect, valid_threshold
from screening.org.models import Group, Institution, Municipality
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
                        language.gettext("Forældrene er ikke orienteret om ny position"),
                    )
                )
    return RoundOverviewData(round_.name, institution.name, tuple(rows), tuple(needing))


def progress_hidden(assessed: int, children: int, threshold: int) -> frozenset[str]:
    """Which of a row's "children", "assessed" and "missing" must be hidden although not
    small. Children = assessed + missing, so the three are protected as one row with its
    total: a small "missing" cannot then be worked out as children - assessed. (The other
    columns are tied to each other by no sum, so hiding the small ones is enough.)"""
    protected = protect(Table.of([[assessed, children - assessed]], column_totals=False), threshold)
    names = {(0, 0): "assessed", (0, 1): "missing", (0, 2): "children"}
    return frozenset(names[c] for c in protected.complementary)


def municipal_overview_data(round_: ScreeningRound, today: date) -> MunicipalOverviewData:
    """One row per institution, counted by the database: five queries whatever the number
    of institutions and children (the per-child `group_progress` took thousands)."""
    institutions = list(round_.institutions)
    groups = list(
        db.session.scalars(
            sa.select(Group).where(
                Group.institution_id.in_([i.id for i in institutions]), Group.active
            )
        )
    )
    per_inst: dict[int, list[GroupCounts]] = {i.id: [] for i in institutions}
    for gc in round_group_counts(round_, groups):
        per_inst[gc.group.institution_id].append(gc)
    members = round_members(round_, groups)
    paths: dict[int, int] = {}
    for inst_id, n in db.session.execute(
        sa.select(Group.institution_id, sa.func.count(ActionPath.id))
        .select_from(members)
        .join(Group, Group.id == members.c.group_id)
        .join(ActionPath, ActionPath.child_id == members.c.child_id)
        .where(ActionPath.status == PathStatus.OPEN)
        .group_by(Group.institution_id)
    ):
        paths[inst_id] = n
    overdue: dict[int, int] = {}
    for inst_id, n in db.session.execute(
        sa.select(Group.institution_id, sa.func.count(ActionStep.id))
        .select_from(members)
        .join(Group, Group.id == members.c.group_id)
        .join(ActionPath, ActionPath.child_id == members.c.child_id)
        .join(ActionStep, ActionStep.path_id == ActionPath.id)
        .where(
            ActionPath.status == PathStatus.OPEN,
            ActionStep.done_on.is_(None),
            ActionStep.due_on < today,
        )
        .group_by(Group.institution_id)
    ):
        overdue[inst_id] = n
    threshold = valid_threshold(
        db.session.scalar(sa.select(Municipality.suppression_threshold).limit(1))
        or DEFAULT_THRESHOLD
    )
    rows = []
    for inst in institutions:
        gcs = per_inst[inst.id]
        children = sum(g.children for g in gcs)
        assessed = sum(g.with_individual for g in gcs)
        rows.append(
            GroupRow(
                group=inst.name,
                children=children,
                by_position={
                    k: sum(g.by_position.get(k, 0) for g in gcs) for k in ("green", "yellow", "red")
                },
                assessed=assessed,
                missing=children - assessed,
                open_paths=paths.get(inst.id, 0),
                overdue_steps=overdue.get(inst.id, 0),
                hidden=progress_hidden(assessed, children, threshold),
            )
        )
    return MunicipalOverviewData(round_.name, tuple(rows), suppress_below=threshold)
