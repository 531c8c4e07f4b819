"""The dashboard's tables: raw counts (`queries.Counts`) turned into tables as they may be
published, every one protected by `suppression` before anything shows it.

The screen, the CSV and XLSX exports and the PDF all print `Figure.published()`, so a count
hidden in one is hidden in all. Tables that repeat a figure (the children of a row in
"positions" and "completion", the round's column totals in "positions" and its row in
"trend", the movement matrix and its flat table, the two timeliness tables) are protected
together with `protect_linked`, so a figure hidden in one table cannot be read in another.
The movement is tied to the positions its children are part of (`_movement_link`).

Issue 13, one rule across pages: the tables that share figures with a round's joint
positions (`round_tables`) are protected the same way wherever they are published. The
trend's row of an earlier round is that round's positions' column totals as its own
dashboard (same filters) publishes them (`protect_round`); the municipal overview PDF
prints this round's dashboard cells (`screening.documents.overviews`). The other tables
share no figure with these, so protecting these apart changes nothing in them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from screening.figures.charts import Chart
from screening.figures.queries import (
    POSITIONS,
    STAIR_MOVES,
    STAIRCASE,
    STEP_KINDS,
    TIMELINESS,
    Counts,
    RoundCounts,
    median,
)
from screening.figures.suppression import Cell, Protected, Table, protect_linked

Translate = Callable[[str], str]
# A cell as the screen prints it: (count or None when hidden, text, share in whole percent).
DisplayCell = tuple[int | None, str, str | None]
# A row as the screen prints it: (label, is the total row, cells, notes).
DisplayRow = tuple[str, bool, list[DisplayCell], list[str]]


@dataclass(frozen=True)
class Figure:
    """One published table. `columns` label the count columns; `rows` the rows (without
    the total row). `notes`: extra text columns (medians) that are not counts."""

    key: str
    title: str
    description: str
    row_header: str
    columns: list[str]
    rows: list[str]
    protected: Protected
    total_label: str
    shares: bool = False  # show each cell's share of its row total
    notes: list[tuple[str, list[str]]] = field(default_factory=list)
    chart: str | None = None  # "stacked": one bar per row, split by column
    # What a cell hidden to protect another shows (a small count shows `hidden_label`).
    complementary_label: str = "×"
    # The places that show a figure another table shows too (same name, same figure).
    links: dict[Cell, str] = field(default_factory=dict)

    @property
    def threshold(self) -> int:
        return self.protected.threshold

    @property
    def hidden_label(self) -> str:
        return f"< {self.threshold}"

    @property
    def row_totals(self) -> bool:
        return self.protected.table.row_totals

    @property
    def column_totals(self) -> bool:
        return self.protected.table.column_totals

    def header(self) -> list[str]:
        extra = [self.total_label] if self.row_totals else []
        return [self.row_header, *self.columns, *extra, *(n for n, _ in self.notes)]

    def values(self) -> list[tuple[str, list[int | None], list[str]]]:
        """Each row as published: label, counts (None: hidden; row total last when the
        table has one), note texts. The total row comes last when the table has one."""
        out = []
        for r, label in enumerate(self.rows):
            out.append((label, self.protected.row(r), [n[1][r] for n in self.notes]))
        if self.column_totals:
            notes = [n[1][len(self.rows)] if len(n[1]) > len(self.rows) else "" for n in self.notes]
            out.append((self.total_label, self.protected.totals(), notes))
        return out

    def published(self) -> list[list[str]]:
        """The table as text, the header first: what every export prints."""
        body = [
            [label, *(self.text(r, c) for c in range(len(counts))), *notes]
            for r, (label, counts, notes) in enumerate(self.values())
        ]
        return [self.header(), *body]

    def text(self, r: int, c: int) -> str:
        """Cell (r, c) as printed (r == len(rows): the total row; c == len(columns): the
        row total): the count, "< 5" for a small count, or the mark of a cell hidden to
        protect another (it is not small, so "< 5" would be untrue)."""
        cell = (r, c)
        shown = self.protected.shown(cell)
        if shown is not None:
            return str(shown)
        if cell in self.protected.primary:
            return self.hidden_label
        return self.complementary_label

    def share(self, r: int, c: int) -> float | None:
        """Cell (r, c) as a share of its row total, only when both are published."""
        table = self.protected.table
        return self.protected.share((r, c), (r, table.columns))

    def display(self) -> list[DisplayRow]:
        """The rows as the screen prints them, worked out in one pass (per cell in the
        template this was a fifth of the page's time): label, whether it is the total row,
        each count cell as (count or None when hidden, its text, its share of the row in
        whole percent or None), and the notes."""
        out = []
        values = self.values()
        n_cols = len(self.columns)
        for r, (label, counts, notes) in enumerate(values):
            cells: list[DisplayCell] = []
            for c, v in enumerate(counts):
                if v is None:
                    cells.append((None, self.text(r, c), None))
                    continue
                share = self.share(r, c) if self.shares and c < n_cols else None
                cells.append((v, str(v), None if share is None else f"{share * 100:.0f}"))
            is_total = self.column_totals and r == len(values) - 1
            out.append((label, is_total, cells, notes))
        return out

    def chart_data(self) -> Chart:
        body = [(label, counts) for label, counts, _n in self.values()[: len(self.rows)]]
        return Chart(
            self.key,
            self.title,
            self.description,
            self.columns,
            body,
            self.row_totals,
            self.complementary_label,
        )

    @property
    def hidden_count(self) -> int:
        return len(self.protected.hidden)


@dataclass(frozen=True)
class Labels:
    """The words of the tables, in the reader's language (given by the caller)."""

    _: Translate

    def position(self, key: str) -> str:
        _ = self._
        return {
            "green": _("Grøn"),
            "yellow": _("Gul"),
            "red": _("Rød"),
            "none": _("Ingen fælles vurdering"),
        }[key]

    def step_kind(self, key: str) -> str:
        _ = self._
        return {
            "step": _("Trin"),
            "notify": _("Underretningsvurdering"),
            "meeting": _("Møde"),
            "plan": _("Handleplan"),
            "follow_up": _("Opfølgning"),
        }[key]

    def timeliness(self, key: str) -> str:
        _ = self._
        return {
            "on_time": _("Til tiden"),
            "late": _("For sent"),
            "overdue": _("Overskredet"),
            "not_due": _("Ikke forfaldet"),
        }[key]

    def source(self, key: str) -> str:
        _ = self._
        return {
            "daycare": _("Dagtilbuddet"),
            "health_visitor": _("Sundhedsplejen"),
            "dental": _("Tandplejen"),
            "ppr": _("PPR"),
        }[key]

    def stair_move(self, key: str) -> str:
        _ = self._
        return {
            "up": _("Op ad trappen"),
            "same": _("Samme trin"),
            "down": _("Ned ad trappen"),
            "started": _("Nyt tilbud"),
            "ended": _("Intet tilbud længere"),
        }[key]


def _days(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:g}"


def figures(
    counts: Counts,
    threshold: int,
    _: Translate,
    *,
    band_names: dict[str, str] | None = None,
) -> list[Figure]:
    """Every table of the dashboard, protected together."""
    words = Labels(_)
    rows = counts.rows
    ids = [r.id for r in rows]
    names = [r.name for r in rows]
    row_header = _("Dagtilbud") if counts.row_kind == "institution" else _("Stue")
    total = _("I alt")
    all_positions = (*POSITIONS, "none")

    tables: list[Table] = []
    links: list[dict[Cell, str]] = []
    quiet: list[frozenset[Cell]] = []

    def add(
        table: Table,
        link: dict[Cell, str] | None = None,
        unpublished: frozenset[Cell] = frozenset(),
    ) -> int:
        tables.append(table)
        links.append(link or {})
        quiet.append(unpublished)
        return len(tables) - 1

    # Joint positions, completion, movement and this round's row of the trend: the tables
    # that share figures with the joint positions (`round_tables`).
    trend_row = None
    if counts.trend and (len(counts.trend) > 1 or counts.previous is not None):
        trend_row = counts.trend[-1][1]
    linked = round_tables(
        ids, counts.joint, counts.assessed, counts.movement, counts.previous is not None, trend_row
    )
    at = {key: add(table, link, never) for key, (table, link, never) in linked.items()}
    i_pos, i_comp = at["positions"], at["completion"]
    i_move, i_matrix, i_trend = at.get("movement_by_row"), at.get("movement"), at.get("trend")
    pairs = [(a, b) for a in POSITIONS for b in POSITIONS]
    n_rows = len(ids)

    # Individual assessments by the classifier's suggestion.
    ind_cells = [[counts.individual[i][k] for k in POSITIONS] for i in ids]
    i_ind = add(Table.of(ind_cells) if ids else Table.of([[0, 0, 0]]))

    # Observations: children by source and highest level.
    sources = list(counts.observations)
    obs_cells = [[counts.observations[s][lvl] for lvl in (1, 2, 3)] for s in sources]
    i_obs = add(Table.of(obs_cells)) if sources else None

    # Timeliness: steps by row and status, and by kind and status (same column totals).
    steps_cells = [
        [sum(counts.steps[i].get((k, s), 0) for k in STEP_KINDS) for s in TIMELINESS] for i in ids
    ]
    t_link: dict[Cell, str] = {(n_rows, c): f"steps:{c}" for c in range(len(TIMELINESS))}
    t_link[(n_rows, len(TIMELINESS))] = "steps:all"
    i_steps = add(Table.of(steps_cells) if ids else Table.of([[0] * len(TIMELINESS)]), t_link)
    kind_cells = [
        [sum(counts.steps[i].get((k, s), 0) for i in ids) for s in TIMELINESS] for k in STEP_KINDS
    ]
    k_link: dict[Cell, str] = {(len(STEP_KINDS), c): f"steps:{c}" for c in range(len(TIMELINESS))}
    k_link[(len(STEP_KINDS), len(TIMELINESS))] = "steps:all"
    i_kinds = add(Table.of(kind_cells), k_link)

    # Response: paths opened by the round's yellow/red positions (medians beside).
    resp_cells = [[counts.response[i][0]] for i in ids]
    i_resp = add(
        Table.of(resp_cells, row_totals=False) if ids else Table.of([[0]], row_totals=False)
    )

    # Staircase: children in offers by highest step and age band.
    band_keys = [b.key for b in counts.bands]
    stair_cells = [[counts.staircase.get((s, b), 0) for b in band_keys] for s in STAIRCASE]
    i_stair = add(Table.of(stair_cells)) if band_keys else None
    i_moves = None
    if counts.previous is not None:
        i_moves = add(
            Table.of([[counts.stair_moves.get(m, 0) for m in STAIR_MOVES]], column_totals=False)
        )

    prot = protect_linked(tables, links, threshold, quiet)
    out: list[Figure] = []
    mark = _("skjult")
    pos_labels = [words.position(k) for k in all_positions]
    out.append(
        Figure(
            "positions",
            _("Fælles positioner"),
            _(
                "Børn i runden efter den position, der er aftalt i deres fælles vurdering, "
                "og andelen af rækkens børn."
            ),
            row_header,
            pos_labels,
            names or [total],
            prot[i_pos],
            total,
            shares=True,
            chart="stacked",
        )
    )
    out.append(
        Figure(
            "completion",
            _("Fuldførelse"),
            _("Børn i runden efter antallet af indsendte individuelle vurderinger."),
            row_header,
            [_("Ingen vurdering"), _("Én vurdering"), _("To eller flere")],
            names or [total],
            prot[i_comp],
            total,
            shares=True,
            chart="stacked",
        )
    )
    out.append(
        Figure(
            "individual",
            _("Individuelle vurderinger"),
            _("Indsendte individuelle vurderinger efter klassifikationens forslag."),
            row_header,
            pos_labels[:3],
            names or [total],
            prot[i_ind],
            total,
            shares=True,
        )
    )
    if i_obs is not None:
        out.append(
            Figure(
                "observations",
                _("Observationer"),
                _("Børn med observationer i runden efter kilde og højeste grad af bekymring."),
                _("Kilde"),
                [_("1 – lille bekymring"), _("2 – nogen bekymring"), _("3 – alvorlig bekymring")],
                [words.source(s) for s in sources],
                prot[i_obs],
                total,
            )
        )
    if i_move is not None and i_matrix is not None and counts.previous is not None:
        out.append(
            Figure(
                "movement",
                _("Bevægelser fra %(round)s") % {"round": counts.previous.name},
                _(
                    "Børn med en fælles vurdering i begge runder: fra positionen i den "
                    "forrige runde (række) til positionen nu (kolonne)."
                ),
                _("Fra \\ til"),
                pos_labels[:3],
                pos_labels[:3],
                prot[i_matrix],
                total,
            )
        )
        out.append(
            Figure(
                "movement_by_row",
                _("Bevægelser pr. dagtilbud")
                if counts.row_kind == "institution"
                else _("Bevægelser pr. stue"),
                _("De samme bevægelser fordelt på dagtilbud (fra → til).")
                if counts.row_kind == "institution"
                else _("De samme bevægelser fordelt på stuer (fra → til)."),
                row_header,
                [f"{words.position(a)} → {words.position(b)}" for a, b in pairs],
                names or [total],
                prot[i_move],
                total,
            )
        )
    status_labels = [words.timeliness(s) for s in TIMELINESS]
    out.append(
        Figure(
            "timeliness",
            _("Rettidighed"),
            _(
                "Trin i handleveje med frist fra rundens første dag, til næste runde begynder "
                "(i den seneste runde: til rundens sidste dag): gjort til tiden, gjort for "
                "sent, overskredet (ikke gjort) eller ikke forfaldet endnu."
            ),
            row_header,
            status_labels,
            names or [total],
            prot[i_steps],
            total,
            shares=True,
            chart="stacked",
        )
    )
    out.append(
        Figure(
            "timeliness_by_kind",
            _("Rettidighed pr. trintype"),
            _("De samme trin fordelt på trintype."),
            _("Trintype"),
            status_labels,
            [words.step_kind(k) for k in STEP_KINDS],
            prot[i_kinds],
            total,
            shares=True,
        )
    )
    out.append(_response_figure(counts, prot[i_resp], ids, names, row_header, total, _))
    if i_stair is not None:
        names_by_band = band_names or {}
        out.append(
            Figure(
                "staircase",
                _("Indsatstrappen"),
                _(
                    "Børn i forebyggende tilbud på rundens dag efter det højeste trin på "
                    "indsatstrappen i deres handleplan og efter aldersgruppe."
                ),
                _("Trin"),
                [names_by_band.get(b, b) for b in band_keys],
                [_("Trin %(n)d") % {"n": s} for s in STAIRCASE],
                prot[i_stair],
                total,
            )
        )
    if i_moves is not None:
        out.append(
            Figure(
                "staircase_moves",
                _("Bevægelser på indsatstrappen"),
                _("Børn i tilbud nu eller i den forrige runde: op, ned eller samme trin."),
                "",
                [words.stair_move(m) for m in STAIR_MOVES],
                [_("Børn")],
                prot[i_moves],
                total,
            )
        )
    if i_trend is not None and len(counts.trend) > 1:
        out.append(
            Figure(
                "trend",
                _("Udvikling over runderne"),
                _("Fælles positioner i de seneste runder, hver runde med sine egne børn."),
                _("Runde"),
                pos_labels,
                [r.name for r, _found in counts.trend],
                _trend(counts, prot[i_trend], threshold),
                total,
                shares=True,
                chart="stacked",
            )
        )
    link_of = {id(p): link for p, link in zip(prot, links, strict=True)}
    return [
        replace(f, complementary_label=mark, links=link_of.get(id(f.protected), {})) for f in out
    ]


def round_tables(
    ids: Sequence[int],
    joint: Mapping[int, Mapping[str, int]],
    assessed: Mapping[int, Mapping[int, int]],
    movement: Mapping[int, Mapping[tuple[str, str], int]],
    has_previous: bool,
    trend_row: Mapping[str, int] | None = None,
) -> dict[str, tuple[Table, dict[Cell, str], frozenset[Cell]]]:
    """A round's tables that share figures with its joint positions, with their links:
    what `protect_linked` must protect together so that no figure of one gives away a
    figure hidden in another. The dashboard protects them beside its other tables (which
    share no figure with them, so they change nothing here); the trend protects each
    earlier round's with `protect_round`, the municipal overview this round's."""
    all_positions = (*POSITIONS, "none")
    n_rows, n_cols = len(ids), len(all_positions)
    out: dict[str, tuple[Table, dict[Cell, str], frozenset[Cell]]] = {}
    nothing: frozenset[Cell] = frozenset()

    # Joint positions: children by row and agreed position.
    pos_cells = [[joint[i][k] for k in all_positions] for i in ids]
    pos_link: dict[Cell, str] = {(r, n_cols): f"children:{r}" for r in range(n_rows)}
    pos_link[(n_rows, n_cols)] = "children:all"
    pos_link.update({(n_rows, c): f"round:{c}" for c in range(n_cols)})
    pos_link.update({(r, c): f"pos:{r}:{c}" for r in range(n_rows) for c in range(n_cols)})
    out["positions"] = (
        Table.of(pos_cells) if ids else Table.of([[0] * n_cols]),
        pos_link,
        nothing,
    )

    # Completion: children by how many individual assessments they have.
    comp_cells = [[assessed[i][k] for k in (0, 1, 2)] for i in ids]
    comp_link: dict[Cell, str] = {(r, 3): f"children:{r}" for r in range(n_rows)}
    comp_link[(n_rows, 3)] = "children:all"
    out["completion"] = (
        Table.of(comp_cells) if ids else Table.of([[0, 0, 0]]),
        comp_link,
        nothing,
    )

    # Movement: flat per row, and the matrix of the whole selection (its column totals).
    pairs = [(a, b) for a in POSITIONS for b in POSITIONS]
    if has_previous:
        move_cells = [[movement[i].get(p, 0) for p in pairs] for i in ids]
        move_link: dict[Cell, str] = {(n_rows, c): f"move:{c}" for c in range(len(pairs))}
        move_link[(n_rows, len(pairs))] = "move:all"
        move_link.update(
            {(r, c): f"mrow:{r}:{c}" for r in range(n_rows) for c in range(len(pairs))}
        )
        out["movement_by_row"] = (
            Table.of(move_cells) if ids else Table.of([[0] * len(pairs)]),
            move_link,
            nothing,
        )
        matrix = [
            [sum(movement[i].get((a, b), 0) for i in ids) for b in POSITIONS] for a in POSITIONS
        ]
        matrix_link: dict[Cell, str] = {
            (r, c): f"move:{r * 3 + c}" for r in range(3) for c in range(3)
        }
        matrix_link[(3, 3)] = "move:all"
        out["movement"] = (Table.of(matrix), matrix_link, nothing)
        # The movement's children are among the positions' (`_movement_link`): per row,
        # and for the whole selection.
        for r, i in enumerate(ids):
            by_pair = [[movement[i].get((a, b), 0) for b in POSITIONS] for a in POSITIONS]
            names = {(a, b): f"mrow:{r}:{a * 3 + b}" for a in range(3) for b in range(3)}
            totals = {c: f"pos:{r}:{c}" for c in range(n_cols)}
            out[f"movement_link:{r}"] = _movement_link(
                by_pair, [joint[i][k] for k in all_positions], names, totals, f"children:{r}"
            )
        names = {(a, b): f"move:{a * 3 + b}" for a in range(3) for b in range(3)}
        totals = {c: f"round:{c}" for c in range(n_cols)}
        column_totals = [sum(joint[i][k] for i in ids) for k in all_positions]
        out["movement_link"] = _movement_link(matrix, column_totals, names, totals, "children:all")

    # This round's row of the trend (its rows have no column totals, so they do not protect
    # each other: this row is protected as beside the whole trend, and the dashboard
    # without its trend publishes what it publishes beside it).
    if trend_row is not None:
        row_link: dict[Cell, str] = {(0, c): f"round:{c}" for c in range(n_cols)}
        row_link[(0, n_cols)] = "children:all"
        out["trend"] = (
            Table.of([[trend_row[k] for k in all_positions]], column_totals=False),
            row_link,
            nothing,
        )
    return out


def _movement_link(
    matrix: list[list[int]],
    positions: list[int],
    names: dict[Cell, str],
    totals: dict[int, str],
    grand: str,
) -> tuple[Table, dict[Cell, str], frozenset[Cell]]:
    """The table that ties the movement to the joint positions (issue 13). The children
    who moved from a to b (a joint assessment in both rounds) are among those now at b,
    so a reader knows: the children at b = Σ_a (a → b) + those at b without a previous
    joint assessment (≥ 0). With a published movement column, a green total hidden to
    protect a small yellow one could be pinned (a hidden green 22 between 19 and 22 by
    the row, but at least the 22 who came to green). As a table: rows the previous
    position (green, yellow, red) and "none before"; columns the position now (green,
    yellow, red, none); cells the movement (the same figures as the matrix or its row's
    movement), column totals the positions (the same figures), grand total the children.
    Everything else (the children without a previous or a present joint assessment, the
    row totals) no page shows: unpublished, so the equations hold but bind nothing."""
    none_now = positions[3]
    cells = [[*row, 0] for row in matrix]
    cells.append([positions[b] - sum(row[b] for row in matrix) for b in range(3)])
    cells[-1].append(none_now)
    table = Table.of(cells)
    link = dict(names)
    link.update({(4, c): name for c, name in totals.items()})
    link[(4, 4)] = grand
    unpublished = frozenset(
        [(a, 3) for a in range(4)] + [(3, b) for b in range(3)] + [(a, 4) for a in range(4)]
    )
    return table, link, unpublished


def protect_round(rc: RoundCounts, threshold: int) -> dict[str, Protected]:
    """A round's joint positions and the tables they share figures with, protected as the
    round's own dashboard protects them (the same tables, the same links). The result is
    a function of the counts alone, so it is kept for the same counts (`_protect_round`):
    an earlier round's counts seldom change, and a trend protects five of them."""
    ids = tuple(r.id for r in rc.rows)
    all_positions = (*POSITIONS, "none")
    pairs = [(a, b) for a in POSITIONS for b in POSITIONS]
    return _protect_round(
        ids,
        tuple(tuple(rc.joint[i][k] for k in all_positions) for i in ids),
        tuple(tuple(rc.assessed[i][k] for k in (0, 1, 2)) for i in ids),
        tuple(tuple(rc.movement[i].get(p, 0) for p in pairs) for i in ids),
        rc.previous is not None,
        threshold,
    )


@lru_cache(maxsize=64)
def _protect_round(
    ids: tuple[int, ...],
    joint: tuple[tuple[int, ...], ...],
    assessed: tuple[tuple[int, ...], ...],
    movement: tuple[tuple[int, ...], ...],
    has_previous: bool,
    threshold: int,
) -> dict[str, Protected]:
    all_positions = (*POSITIONS, "none")
    pairs = [(a, b) for a in POSITIONS for b in POSITIONS]
    by_id = dict(zip(ids, joint, strict=True))
    linked = round_tables(
        ids,
        {i: dict(zip(all_positions, v, strict=True)) for i, v in by_id.items()},
        {i: dict(zip((0, 1, 2), v, strict=True)) for i, v in zip(ids, assessed, strict=True)},
        {i: dict(zip(pairs, v, strict=True)) for i, v in zip(ids, movement, strict=True)},
        has_previous,
        dict(zip(all_positions, (sum(col) for col in zip(*joint, strict=True)), strict=True))
        if has_previous and joint
        else (dict.fromkeys(all_positions, 0) if has_previous else None),
    )
    keys = list(linked)
    prot = protect_linked(
        [t for t, _l, _u in linked.values()],
        [lk for _t, lk, _u in linked.values()],
        threshold,
        [u for _t, _l, u in linked.values()],
    )
    return dict(zip(keys, prot, strict=True))


def _trend(counts: Counts, this_row: Protected, threshold: int) -> Protected:
    """The trend as published: each earlier round's row as that round's own dashboard
    publishes its column totals (its positions protected with completion and movement,
    `protect_round`), so a figure hidden there is hidden here and the other way round;
    this round's row as protected beside this dashboard. The rows share no equation (the
    trend has no column totals), so together they give nothing more away."""
    cells: list[list[int]] = []
    primary: set[Cell] = set()
    complementary: set[Cell] = set()
    for r, (round_, totals) in enumerate(counts.trend):
        if r == len(counts.trend) - 1:  # this round
            source, at = this_row, 0
        else:
            rc = counts.earlier.get(round_.id) or RoundCounts.single(round_, totals)
            source, at = protect_round(rc, threshold)["positions"], len(rc.rows) if rc.rows else 1
        width = source.table.columns + 1
        cells.append([source.table.value((at, c)) for c in range(width - 1)])
        for c in range(width):
            if (at, c) in source.primary:
                primary.add((r, c))
            elif (at, c) in source.complementary:
                complementary.add((r, c))
    return Protected(
        Table.of(cells, column_totals=False),
        this_row.threshold,
        frozenset(primary),
        frozenset(complementary),
    )


def _response_figure(
    counts: Counts,
    protected: Protected,
    ids: Sequence[int],
    names: list[str],
    row_header: str,
    total: str,
    _: Translate,
) -> Figure:
    """Paths opened, with the median days to the first parent talk and to the action plan.
    A median is shown only where the count is published and rests on at least `threshold`
    paths (a median of one or two paths is a single child's figure)."""
    threshold = protected.threshold
    talks: list[str] = []
    plans: list[str] = []
    all_talks: list[int] = []
    all_plans: list[int] = []
    for r, i in enumerate(ids):
        _n, t, p = counts.response[i]
        all_talks += t
        all_plans += p
        shown = protected.shown((r, 0)) is not None
        talks.append(_days(median(t)) if shown and len(t) >= threshold else "–")
        plans.append(_days(median(p)) if shown and len(p) >= threshold else "–")
    talks.append(_days(median(all_talks)) if len(all_talks) >= threshold else "–")
    plans.append(_days(median(all_plans)) if len(all_plans) >= threshold else "–")
    return Figure(
        "response",
        _("Fra gul/rød position til handling"),
        _(
            "Handleveje åbnet af rundens gule og røde positioner, og medianen af dage fra "
            "positionen til den første samtale med forældrene og til handleplanen (vises "
            "kun, når den bygger på mindst %(n)d handleveje)."
        )
        % {"n": threshold},
        row_header,
        [_("Handleveje åbnet")],
        names or [total],
        protected,
        total,
        notes=[(_("Dage til første forældresamtale"), talks), (_("Dage til handleplan"), plans)],
    )
