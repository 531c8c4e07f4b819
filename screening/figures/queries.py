"""The coordinator's key figures (nøgletal), counted by the database.

Every figure is an aggregate query: no child is loaded into Python, and the number of
queries does not depend on the number of children, groups or institutions. The counts
come back raw; `screening.figures.tables` turns them into tables and protects them with
`screening.figures.suppression` before anything is shown.

Who counts in a round (its *children*): every child who, on the round's *as-of day* (its
last day, or today while it runs), is in a group of one of the round's institutions and
whose age on the reference date falls in one of the round's instruments (age bands). So a
past round keeps the children it had, and the open round has today's children.
"""

from __future__ import annotations

import contextlib
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from screening.assessments.models import (
    Assessment,
    AssessmentContext,
    AssessmentStatus,
    ChildObservation,
    JointAssessment,
)
from screening.catalogue.services import AgeBand, round_bands
from screening.children.models import Child, GroupMembership
from screening.core.extensions import db
from screening.core.time import LOCAL_TZ
from screening.org.models import Group, Institution
from screening.paths.models import (
    ActionPath,
    ActionPlan,
    ActionStep,
    Meeting,
    MeetingParticipant,
    Offer,
    ParticipantKind,
    StepKind,
    action_plan_offer,
)
from screening.rounds.models import RoundStatus, ScreeningRound, round_institution

POSITIONS = ("green", "yellow", "red")
# The "Kilde" filter: every source of observations (PPR and dental staff make no individual
# assessments, so with them the individual table is empty).
SOURCES = ("daycare", "health_visitor", "dental", "ppr")
OBSERVATION_SOURCES = ("daycare", "health_visitor", "dental", "ppr")
STEP_KINDS = tuple(k.value for k in StepKind)
TIMELINESS = ("on_time", "late", "overdue", "not_due")
STAIRCASE = (1, 2, 3, 4, 5, 6)
STAIR_MOVES = ("up", "same", "down", "started", "ended")
TREND_ROUNDS = 6


@dataclass(frozen=True)
class Filters:
    institution_id: int | None = None
    group_id: int | None = None
    band: str | None = None  # an instrument key of the round, e.g. "topi-1-3"
    source: str | None = None  # "daycare" | "health_visitor" | "dental"


@dataclass(frozen=True)
class Row:
    id: int
    name: str


@dataclass
class RoundCounts:
    """What an earlier round's dashboard protects its joint positions together with (the
    tables linked to them: positions, completion, movement; `tables.protect_round`), for
    the trend: that round's row there publishes what its own dashboard publishes."""

    round: ScreeningRound
    previous: ScreeningRound | None
    rows: list[Row]
    joint: dict[int, dict[str, int]] = field(default_factory=dict)
    assessed: dict[int, dict[int, int]] = field(default_factory=dict)
    movement: dict[int, dict[tuple[str, str], int]] = field(default_factory=dict)

    @staticmethod
    def single(round_: ScreeningRound, totals: dict[str, int]) -> RoundCounts:
        """A round known by its totals only (hand-made counts): one row holding them."""
        n = sum(totals.values())
        return RoundCounts(
            round_, None, [Row(0, "")], {0: dict(totals)}, {0: {0: 0, 1: 0, 2: n}}, {0: {}}
        )


@dataclass
class Counts:
    """The raw counts of one round, by row (institution, or group when one institution is
    chosen). Keys are row ids; every mapping is complete for the rows listed."""

    round: ScreeningRound
    previous: ScreeningRound | None
    as_of: date
    rows: list[Row]
    row_kind: str  # "institution" | "group"
    bands: list[AgeBand]
    # row → {"green"|"yellow"|"red"|"none": children}
    joint: dict[int, dict[str, int]] = field(default_factory=dict)
    # row → {0 | 1 | 2: children with that many submitted assessments (2: two or more)}
    assessed: dict[int, dict[int, int]] = field(default_factory=dict)
    # row → {position: submitted individual assessments}
    individual: dict[int, dict[str, int]] = field(default_factory=dict)
    # source → {level: children whose highest level from that source in the round is it}
    observations: dict[str, dict[int, int]] = field(default_factory=dict)
    # row → {(from, to): children}, previous round's agreed position → this round's
    movement: dict[int, dict[tuple[str, str], int]] = field(default_factory=dict)
    period: tuple[date, date] | None = None  # the steps counted: due in this period
    # row → {(kind, timeliness): steps}
    steps: dict[int, dict[tuple[str, str], int]] = field(default_factory=dict)
    # row → (paths opened in the round, [days to first talk], [days to action plan])
    response: dict[int, tuple[int, list[int], list[int]]] = field(default_factory=dict)
    # (staircase step, band key) → children in offers on the as-of day
    staircase: dict[tuple[int, str], int] = field(default_factory=dict)
    stair_moves: dict[str, int] = field(default_factory=dict)
    # [(round, {"green"|"yellow"|"red"|"none": children})], oldest first, ending here
    # (only this round's row when the trend was not asked for)
    trend: list[tuple[ScreeningRound, dict[str, int]]] = field(default_factory=list)
    # round id → the earlier trend rounds' own linked counts (`RoundCounts`)
    earlier: dict[int, RoundCounts] = field(default_factory=dict)


def _tally(
    found: Any,
    rows: list[Row],
) -> tuple[dict[int, dict[str, int]], dict[int, dict[int, int]], dict[int, dict[Any, int]]]:
    """(row, assessed bucket, position, previous position, children) rows of a grouped
    query as the joint positions, completion and movement of `rows`."""
    ids = [r.id for r in rows]
    joint = {i: dict.fromkeys((*POSITIONS, "none"), 0) for i in ids}
    assessed = {i: {0: 0, 1: 0, 2: 0} for i in ids}
    movement: dict[int, dict[Any, int]] = {i: {} for i in ids}
    for row_id, bucket, pos, was, n in found:
        if row_id not in joint:
            continue
        pos = pos.value if hasattr(pos, "value") else str(pos)
        joint[row_id][pos] += n
        assessed[row_id][int(bucket)] += n
        if was is not None and pos != "none":
            was = was.value if hasattr(was, "value") else str(was)
            key = (was, pos)
            movement[row_id][key] = movement[row_id].get(key, 0) + n
    return joint, assessed, movement


def as_of(round_: ScreeningRound, today: date) -> date:
    return min(round_.ends_on, today)


def rounds_before(round_: ScreeningRound) -> list[ScreeningRound]:
    """Rounds that have started (not planned) up to and including `round_`, oldest first."""
    return list(
        db.session.scalars(
            sa.select(ScreeningRound)
            .where(
                ScreeningRound.status != RoundStatus.PLANNED,
                ScreeningRound.reference_date <= round_.reference_date,
            )
            .order_by(ScreeningRound.reference_date, ScreeningRound.id)
        )
    )


def band_case(bands: list[AgeBand]) -> sa.ColumnElement[str]:
    """The child's age band in the round, from the birth date (NULL: not covered)."""
    return sa.case(
        *[
            (sa.and_(Child.birth_date > b.born_after, Child.birth_date <= b.born_by), b.key)
            for b in bands
        ],
        else_=sa.null(),
    )


def _spans(bands: list[AgeBand]) -> list[tuple[date, date]]:
    """The bands' birth-date ranges with touching ones joined (usually one range: one
    comparison per child instead of one per band)."""
    spans: list[tuple[date, date]] = []
    for b in sorted(bands, key=lambda b: b.born_after):
        if spans and spans[-1][1] == b.born_after:
            spans[-1] = (spans[-1][0], b.born_by)
        else:
            spans.append((b.born_after, b.born_by))
    return spans


def population(
    round_: ScreeningRound, bands: list[AgeBand], filters: Filters, day: date
) -> sa.Subquery:
    """The round's children: (child_id, group_id, institution_id, band) on `day`."""
    band = band_case(bands).label("band")
    stmt = (
        sa.select(
            GroupMembership.child_id.label("child_id"),
            Group.id.label("group_id"),
            Group.institution_id.label("institution_id"),
            band,
        )
        .join(Group, Group.id == GroupMembership.group_id)
        .join(
            round_institution,
            sa.and_(
                round_institution.c.institution_id == Group.institution_id,
                round_institution.c.round_id == round_.id,
            ),
        )
        .join(Child, Child.id == GroupMembership.child_id)
        .where(
            GroupMembership.start_date <= day,
            sa.or_(GroupMembership.end_date.is_(None), GroupMembership.end_date > day),
        )
    )
    wanted = [b for b in bands if filters.band in (None, b.key)]
    spans = _spans(wanted)
    stmt = stmt.where(
        sa.or_(*[sa.and_(Child.birth_date > a, Child.birth_date <= b) for a, b in spans])
        if spans
        else sa.false()
    )
    if filters.institution_id is not None:
        stmt = stmt.where(Group.institution_id == filters.institution_id)
    if filters.group_id is not None:
        stmt = stmt.where(Group.id == filters.group_id)
    return stmt.subquery("population")


def _rows(round_: ScreeningRound, filters: Filters) -> tuple[list[Row], str]:
    if filters.institution_id is None:
        stmt = (
            sa.select(Institution.id, Institution.name)
            .join(round_institution, round_institution.c.institution_id == Institution.id)
            .where(round_institution.c.round_id == round_.id)
            .order_by(Institution.name, Institution.id)
        )
        return [Row(i, n) for i, n in db.session.execute(stmt)], "institution"
    stmt = sa.select(Group.id, Group.name).where(Group.institution_id == filters.institution_id)
    if filters.group_id is not None:
        stmt = stmt.where(Group.id == filters.group_id)
    return [Row(i, n) for i, n in db.session.execute(stmt.order_by(Group.name, Group.id))], "group"


# The population as a temporary table: one per connection (a temporary table is seen by
# its connection only), so the name can be fixed, and a fixed name lets SQLAlchemy reuse the
# compiled SQL of every query that joins it (a new name each time compiled them all anew).
_POPULATION = sa.Table(
    "figures_population",
    sa.MetaData(),
    sa.Column("child_id", sa.Integer),
    sa.Column("group_id", sa.Integer),
    sa.Column("institution_id", sa.Integer),
    sa.Column("band", sa.String(64)),
    # The child's joint assessment in the round (id and agreed position, NULL: none) and
    # the number of submitted individual assessments, capped at 2: looked up once here
    # instead of in every query that needs them.
    sa.Column("joint_id", sa.Integer),
    sa.Column("position", sa.String(8)),
    sa.Column("assessed", sa.Integer),
    # The agreed position of the child's joint assessment in the previous round (movement).
    sa.Column("previous", sa.String(8)),
    prefixes=["TEMPORARY"],
)


def _materialize(
    round_: ScreeningRound, previous: ScreeningRound | None, query: sa.Subquery
) -> sa.Table:
    """The population as a temporary table with an index on the child, with each child's
    joint position and number of submitted assessments: most of the dashboard's queries
    join it, and SQLite would otherwise work the population out again in every one."""
    table = _POPULATION
    conn = db.session.connection()
    # A table left by a request that failed before dropping it (SQLite's DDL may have
    # been committed outside the transaction) must not stop this one.
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))
    table.create(conn)
    rows = _enriched(round_, query, previous)
    conn.execute(table.insert().from_select([c.name for c in table.c], rows))
    # The index after the rows: cheaper than keeping it up to date row by row.
    conn.execute(sa.text(f"CREATE INDEX {table.name}_child ON {table.name} (child_id)"))
    if conn.dialect.name == "postgresql":  # a new table has no statistics: plans go astray
        # A sample of 3,000 rows (statistics target 10, not the default 100's 30,000) is
        # enough for the plans (row counts and distinct values) and a fifth of the time
        # (about 4 ms against 18–28 at 20,000 children). One statement: `SET LOCAL` ends
        # with it, so nothing else in the transaction is analyzed differently.
        conn.exec_driver_sql(
            "SET LOCAL default_statistics_target = 10; "
            f"ANALYZE {table.name}; "
            "SET LOCAL default_statistics_target TO DEFAULT"
        )
    return table


def _enriched(
    round_: ScreeningRound, query: sa.Subquery, previous: ScreeningRound | None = None
) -> sa.Select[Any]:
    """The population's rows with each child's joint assessment and number of submitted
    assessments, and the joint position in `previous` (the columns of `_POPULATION`)."""
    before = aliased(JointAssessment)
    submitted = (
        sa.select(Assessment.child_id, sa.func.count().label("n"))
        .where(Assessment.round_id == round_.id, Assessment.status == AssessmentStatus.SUBMITTED)
        .group_by(Assessment.child_id)
        .subquery("submitted")
    )
    rows = (
        sa.select(
            query.c.child_id,
            query.c.group_id,
            query.c.institution_id,
            query.c.band,
            JointAssessment.id.label("joint_id"),
            sa.type_coerce(JointAssessment.agreed_position, sa.String).label("position"),
            sa.case((submitted.c.n.is_(None), 0), (submitted.c.n == 1, 1), else_=2).label(
                "assessed"
            ),
            (
                sa.type_coerce(before.agreed_position, sa.String)
                if previous is not None
                else sa.null()
            ).label("previous"),
        )
        .select_from(query)
        .outerjoin(
            JointAssessment,
            sa.and_(
                JointAssessment.child_id == query.c.child_id,
                JointAssessment.round_id == round_.id,
            ),
        )
        .outerjoin(submitted, submitted.c.child_id == query.c.child_id)
    )
    if previous is not None:
        rows = rows.outerjoin(
            before, sa.and_(before.child_id == query.c.child_id, before.round_id == previous.id)
        )
    return rows


def counts(
    round_: ScreeningRound,
    filters: Filters,
    today: date,
    *,
    trend: int = TREND_ROUNDS,
    rest: bool = True,
) -> Counts:
    """Every raw count of the dashboard, in a fixed number of queries. `trend`: the number
    of rounds in the trend (0: none; each earlier round's children are counted on its own
    last day, the costliest part). `rest=False`: only what the trend's table is protected
    together with (joint positions and completion, from which its row of this round is
    read), the other counts left empty."""
    day = as_of(round_, today)
    bands = round_bands(round_)
    history = rounds_before(round_)
    earlier = [r for r in history if r.id != round_.id]
    if not rest:
        # One query reads the population (joint positions, completion and movement, which
        # are protected together): no table.
        previous = earlier[-1] if earlier else None
        once = _enriched(round_, population(round_, bands, filters, day), previous)
        return _counts(round_, filters, today, trend, rest, history, bands, once.subquery("pop"))
    pop = _materialize(round_, _joined_previous(earlier), population(round_, bands, filters, day))
    try:
        result = _counts(round_, filters, today, trend, rest, history, bands, pop)
    except Exception:
        # The error is what matters; a PostgreSQL transaction that failed removes the
        # table on rollback, and a failed drop must not hide the error.
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            pop.drop(db.session.connection())
        raise
    pop.drop(db.session.connection())
    return result


def _joined_previous(earlier: list[ScreeningRound]) -> ScreeningRound | None:
    """The round whose joint positions the population's table carries (for the movement):
    on PostgreSQL the previous round (one more hash join); on SQLite none, where the extra
    join made the table's query twice as slow as the movement's own query."""
    if not earlier or db.session.connection().dialect.name != "postgresql":
        return None
    return earlier[-1]


def _counts(
    round_: ScreeningRound,
    filters: Filters,
    today: date,
    trend: int,
    rest: bool,
    history: list[ScreeningRound],
    bands: list[AgeBand],
    pop: sa.Table | sa.Subquery,
) -> Counts:
    rows, row_kind = _rows(round_, filters)
    earlier = [r for r in history if r.id != round_.id]
    previous = earlier[-1] if earlier else None
    day = as_of(round_, today)
    out = Counts(round_, previous, day, rows, row_kind, bands)
    row_col = pop.c.institution_id if row_kind == "institution" else pop.c.group_id
    ids = [r.id for r in rows]

    # Joint positions and how many individual assessments each child has (without the
    # rest, also the movement: the population's query carries the previous position).
    position = sa.func.coalesce(pop.c.position, sa.literal_column("'none'")).label("position")
    was = pop.c.previous if not rest else sa.null()
    stmt = sa.select(row_col, pop.c.assessed, position, was, sa.func.count()).group_by(
        row_col, pop.c.assessed, position, *([was] if not rest else [])
    )
    out.joint, out.assessed, out.movement = _tally(db.session.execute(stmt), rows)

    # Individual assessments by position (and source).
    out.individual = {i: dict.fromkeys(POSITIONS, 0) for i in ids}
    out.steps = {i: {} for i in ids}
    out.response = {i: (0, [], []) for i in ids}
    out.stair_moves = dict.fromkeys(STAIR_MOVES, 0)
    if rest:
        if not isinstance(pop, sa.Table):  # `counts` materializes it for the rest
            raise TypeError("the rest of the counts joins the population's table")
        out.movement = {i: {} for i in ids}
        _rest(out, round_, history, filters, bands, pop, row_col, today)
    if trend:
        _trend(out, history[-trend:], filters, today, history)
    elif previous is not None:
        # This round's row of the trend only (no query): the dashboard's other tables are
        # protected together with it, so they publish what they publish beside the trend.
        _trend(out, [round_], filters, today)
    return out


def _rest(
    out: Counts,
    round_: ScreeningRound,
    history: list[ScreeningRound],
    filters: Filters,
    bands: list[AgeBand],
    pop: sa.Table,
    row_col: sa.ColumnElement[int],
    today: date,
) -> None:
    """The counts beside the joint positions and completion: individual assessments,
    observations, movement, timeliness, response and the staircase."""
    previous, day = out.previous, out.as_of
    if filters.source not in ("dental", "ppr"):
        ind = (
            sa.select(row_col, Assessment.suggested_position, sa.func.count())
            .select_from(pop)
            .join(
                Assessment,
                sa.and_(
                    Assessment.child_id == pop.c.child_id,
                    Assessment.round_id == round_.id,
                    Assessment.status == AssessmentStatus.SUBMITTED,
                ),
            )
            .group_by(row_col, Assessment.suggested_position)
        )
        if filters.source == "daycare":
            ind = ind.where(Assessment.context == AssessmentContext.DAYCARE)
        elif filters.source == "health_visitor":
            ind = ind.where(Assessment.context == AssessmentContext.HOME_VISIT)
        for row_id, pos, n in db.session.execute(ind):
            if row_id in out.individual and pos is not None:
                out.individual[row_id][pos.value] += n

    # Observations in the round's window: each child once per source, at its highest level.
    sources = [s for s in OBSERVATION_SOURCES if filters.source in (None, s)]
    out.observations = {s: {1: 0, 2: 0, 3: 0} for s in sources}
    highest = (
        sa.select(
            ChildObservation.child_id,
            ChildObservation.source,
            sa.func.max(ChildObservation.level).label("level"),
        )
        .join(pop, pop.c.child_id == ChildObservation.child_id)
        .where(ChildObservation.observed_on.between(round_.starts_on, day))
        .group_by(ChildObservation.child_id, ChildObservation.source)
        .subquery("highest")
    )
    for source, level, n in db.session.execute(
        sa.select(highest.c.source, highest.c.level, sa.func.count()).group_by(
            highest.c.source, highest.c.level
        )
    ):
        key = source.value if hasattr(source, "value") else str(source)
        if key in out.observations:
            out.observations[key][int(level)] += n

    # Movement from the previous round's agreed position to this round's: from the
    # population's table where it carries the previous position (`_joined_previous`).
    if previous is not None:
        if _joined_previous([previous]) is not None:
            was_col: sa.ColumnElement[Any] = pop.c.previous
            stmt = sa.select(row_col, was_col, pop.c.position, sa.func.count())
        else:
            before = aliased(JointAssessment)
            was_col = sa.type_coerce(before.agreed_position, sa.String)
            stmt = (
                sa.select(row_col, was_col, pop.c.position, sa.func.count())
                .select_from(pop)
                .join(
                    before,
                    sa.and_(before.child_id == pop.c.child_id, before.round_id == previous.id),
                )
            )
        stmt = stmt.where(pop.c.position.is_not(None), was_col.is_not(None)).group_by(
            row_col, was_col, pop.c.position
        )
        for row_id, was, is_, n in db.session.execute(stmt):
            if row_id in out.movement:
                out.movement[row_id][(str(was), str(is_))] = n

    _timeliness(out, round_, history, filters, bands, today)
    _response(out, round_, pop, row_col, today)
    _staircase(out, round_, previous, filters, bands, pop, today)


def add_timeliness(out: Counts, filters: Filters, today: date) -> None:
    """The timeliness counts (`Counts.steps`) beside `counts(…, rest=False)`: for the
    municipal overview, whose overdue steps are hidden where the dashboard's are."""
    _timeliness(out, out.round, [], filters, out.bands, today)


def _timeliness(
    out: Counts,
    round_: ScreeningRound,
    history: list[ScreeningRound],
    filters: Filters,
    bands: list[AgeBand],
    today: date,
) -> None:
    """Steps due from the round's first day until the next round starts (the latest round:
    until its last day, or today if that is later), by the group the child was in on the
    step's due date. Steps due after today are "not due yet"."""
    later = db.session.scalar(
        sa.select(sa.func.min(ScreeningRound.starts_on)).where(
            ScreeningRound.status != RoundStatus.PLANNED,
            ScreeningRound.reference_date > round_.reference_date,
        )
    )
    end = later - timedelta(days=1) if later else max(today, round_.ends_on)
    out.period = (round_.starts_on, max(end, round_.starts_on))
    status = sa.case(
        (
            ActionStep.done_on.is_not(None),
            sa.case((ActionStep.done_on <= ActionStep.due_on, "on_time"), else_="late"),
        ),
        (ActionStep.due_on < today, "overdue"),
        else_="not_due",
    ).label("status")
    group_on_due = sa.and_(
        GroupMembership.child_id == ActionPath.child_id,
        GroupMembership.start_date <= ActionStep.due_on,
        sa.or_(GroupMembership.end_date.is_(None), GroupMembership.end_date > ActionStep.due_on),
    )
    row_col = Group.institution_id if out.row_kind == "institution" else Group.id
    stmt = (
        sa.select(row_col, ActionStep.kind, status, sa.func.count())
        .select_from(ActionStep)
        .join(ActionPath, ActionPath.id == ActionStep.path_id)
        .join(GroupMembership, group_on_due)
        .join(Group, Group.id == GroupMembership.group_id)
        .join(
            round_institution,
            sa.and_(
                round_institution.c.institution_id == Group.institution_id,
                round_institution.c.round_id == round_.id,
            ),
        )
        .where(ActionStep.due_on.between(out.period[0], out.period[1]))
        .group_by(row_col, ActionStep.kind, status)
    )
    if filters.institution_id is not None:
        stmt = stmt.where(Group.institution_id == filters.institution_id)
    if filters.group_id is not None:
        stmt = stmt.where(Group.id == filters.group_id)
    if filters.band is not None:
        band = next((b for b in bands if b.key == filters.band), None)
        stmt = stmt.join(Child, Child.id == ActionPath.child_id).where(
            sa.and_(Child.birth_date > band.born_after, Child.birth_date <= band.born_by)
            if band
            else sa.false()
        )
    out.steps = {r.id: {} for r in out.rows}
    for row_id, kind, state, n in db.session.execute(stmt):
        if row_id in out.steps:
            out.steps[row_id][(kind.value, state)] = n


def _day(value: date | datetime | str | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _response(
    out: Counts,
    round_: ScreeningRound,
    pop: sa.Table,
    row_col: sa.ColumnElement[int],
    today: date,
) -> None:
    """Paths opened by this round's agreed yellow/red positions: days from the position to
    the first meeting with the parents that has taken place, and to the action plan."""
    now = datetime.combine(today + timedelta(days=1), datetime.min.time(), LOCAL_TZ)
    first_talk = (
        sa.select(sa.func.min(Meeting.starts_at))
        .join(MeetingParticipant, MeetingParticipant.meeting_id == Meeting.id)
        .where(
            Meeting.path_id == ActionPath.id,
            MeetingParticipant.kind == ParticipantKind.GUARDIAN,
            Meeting.starts_at < now,
        )
        .scalar_subquery()
    )
    stmt = (
        sa.select(row_col, ActionPath.opened_on, first_talk, ActionPlan.created_at)
        .select_from(ActionPath)
        .join(
            pop,
            sa.and_(
                pop.c.child_id == ActionPath.child_id,
                pop.c.joint_id == ActionPath.opened_by_joint_id,
            ),
        )
        .outerjoin(ActionPlan, ActionPlan.path_id == ActionPath.id)
    )
    found: dict[int, tuple[int, list[int], list[int]]] = {r.id: (0, [], []) for r in out.rows}
    for row_id, opened, talk, plan in db.session.execute(stmt):
        if row_id not in found:
            continue
        n, talks, plans = found[row_id]
        talk_day, plan_day = _day(talk), _day(plan)
        if talk_day is not None:
            talks.append(max(0, (talk_day - opened).days))
        if plan_day is not None:
            plans.append(max(0, (plan_day - opened).days))
        found[row_id] = (n + 1, talks, plans)
    out.response = found


def median(values: list[int]) -> float | None:
    return statistics.median(values) if values else None


def _highest_step(day: date) -> sa.Subquery:
    """Each child's highest staircase step among the offers in the plan of an action path
    that was open on `day` (the plan written by then)."""
    end_of_day = datetime.combine(day + timedelta(days=1), datetime.min.time(), LOCAL_TZ)
    return (
        sa.select(
            ActionPath.child_id.label("child_id"),
            sa.func.max(Offer.staircase_step).label("step"),
        )
        .join(ActionPlan, ActionPlan.path_id == ActionPath.id)
        .join(action_plan_offer, action_plan_offer.c.plan_id == ActionPlan.id)
        .join(Offer, Offer.id == action_plan_offer.c.offer_id)
        .where(
            ActionPath.opened_on <= day,
            sa.or_(ActionPath.closed_on.is_(None), ActionPath.closed_on > day),
            ActionPlan.created_at < end_of_day,
        )
        .group_by(ActionPath.child_id)
        .subquery()
    )


def _staircase(
    out: Counts,
    round_: ScreeningRound,
    previous: ScreeningRound | None,
    filters: Filters,
    bands: list[AgeBand],
    pop: sa.Table,
    today: date,
) -> None:
    cur = _highest_step(out.as_of)
    out.staircase = {}
    for step, band, n in db.session.execute(
        sa.select(cur.c.step, pop.c.band, sa.func.count())
        .select_from(pop)
        .join(cur, cur.c.child_id == pop.c.child_id)
        .group_by(cur.c.step, pop.c.band)
    ):
        out.staircase[(int(step), str(band))] = n
    out.stair_moves = dict.fromkeys(STAIR_MOVES, 0)
    if previous is None:
        return
    before = _highest_step(as_of(previous, today))
    move = sa.case(
        (before.c.step.is_(None), "started"),
        (cur.c.step.is_(None), "ended"),
        (cur.c.step > before.c.step, "up"),
        (cur.c.step < before.c.step, "down"),
        else_="same",
    )
    for kind, n in db.session.execute(
        sa.select(move, sa.func.count())
        .select_from(pop)
        .outerjoin(cur, cur.c.child_id == pop.c.child_id)
        .outerjoin(before, before.c.child_id == pop.c.child_id)
        .where(sa.or_(cur.c.step.is_not(None), before.c.step.is_not(None)))
        .group_by(move)
    ):
        out.stair_moves[str(kind)] = n


def _trend(
    out: Counts,
    rounds: list[ScreeningRound],
    filters: Filters,
    today: date,
    history: list[ScreeningRound] | None = None,
) -> None:
    """Joint positions in each of the last rounds, each round with its own children, and
    for each earlier round what its own dashboard protects them with (`Counts.earlier`:
    its positions, completion and movement by row), so that its row in the trend can
    publish what its dashboard publishes. One query for all earlier rounds (a grouped
    part per round), one for their rows, one for each round's age bands."""
    history = history or rounds
    earlier = [r for r in rounds if r.id != out.round.id]
    parts: list[Any] = []
    for r in earlier:
        before = [x for x in history if x.reference_date <= r.reference_date and x.id != r.id]
        previous = before[-1] if before else None
        pop = _enriched(r, population(r, round_bands(r), filters, as_of(r, today)), previous)
        q = pop.subquery(f"trend_{int(r.id)}")
        row_col = q.c.institution_id if out.row_kind == "institution" else q.c.group_id
        position = sa.func.coalesce(q.c.position, sa.literal_column("'none'"))
        parts.append(
            sa.select(
                sa.literal_column(str(int(r.id))).label("round_id"),
                row_col.label("row_id"),
                q.c.assessed.label("assessed"),
                position.label("position"),
                q.c.previous.label("previous"),
                sa.func.count().label("n"),
            ).group_by(row_col, q.c.assessed, position, q.c.previous)
        )
        out.earlier[r.id] = RoundCounts(r, previous, [])
    if earlier:
        _earlier_rows(out, filters)
        by_round: dict[int, list[Any]] = {r.id: [] for r in earlier}
        union = sa.union_all(*parts).subquery()
        for round_id, row_id, bucket, pos, was, n in db.session.execute(sa.select(union)):
            by_round[int(round_id)].append((row_id, bucket, pos, was, n))
        for r in earlier:
            rc = out.earlier[r.id]
            rc.joint, rc.assessed, rc.movement = _tally(by_round[r.id], rc.rows)
    found: dict[int, dict[str, int]] = {
        r.id: dict.fromkeys((*POSITIONS, "none"), 0) for r in rounds
    }
    # This round's children are counted already (out.joint).
    if out.round.id in found:
        for per_row in out.joint.values():
            for key, n in per_row.items():
                found[out.round.id][key] += n
    for rid, rc in out.earlier.items():
        for per_row in rc.joint.values():
            for key, n in per_row.items():
                found[rid][key] += n
    out.trend = [(r, found[r.id]) for r in rounds]


def _earlier_rows(out: Counts, filters: Filters) -> None:
    """The rows of each earlier round's dashboard with the same filters (as `_rows`): its
    own institutions by name, or the chosen institution's groups (the same in every
    round). One query for all rounds."""
    if out.row_kind == "group":
        for rc in out.earlier.values():
            rc.rows = list(out.rows)
        return
    stmt = (
        sa.select(round_institution.c.round_id, Institution.id, Institution.name)
        .join(Institution, round_institution.c.institution_id == Institution.id)
        .where(round_institution.c.round_id.in_(list(out.earlier)))
        .order_by(Institution.name, Institution.id)
    )
    for round_id, inst_id, name in db.session.execute(stmt):
        out.earlier[round_id].rows.append(Row(inst_id, name))
