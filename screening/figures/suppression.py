"""Suppression of small counts, so that no individual can be picked out of a key figure.

Pure Python: no Flask, no database. The dashboard, its exports and its PDF all publish what
`protect` returns, so the same rule holds everywhere.

The rule (DOMAIN.md: "Figures, not names"):

* **Primary suppression.** A count ``n`` with ``0 < n < threshold`` is not shown (the
  municipality's threshold, default 5, never below 3: Danmarks Statistik's rule is at least
  3 per cell). Zero is shown: it points to nobody.
* **Complementary suppression.** Where the published cells and totals would let a reader
  work a hidden cell out (a row total minus the other cells of the row, or any combination
  of rows and columns), more cells are hidden until none can be. Cells big enough to hide a
  small one whatever its value (at least ``2 × threshold − 1``) are preferred, then other
  non-zero cells, zeros last; among those, the smallest, so as little as possible is lost.

How "can be worked out" is decided. A table with row totals, column totals and a grand total
is a system of equations: each row and each column sums to its total. Seen as a graph, with
one node per row and per column equation and one edge per cell, the hidden cells a reader
cannot pin down are exactly those lying on a cycle of hidden cells (a hidden rectangle, or
any longer loop, can shift values around it without changing a single sum); a hidden cell
that is a bridge of the graph of hidden cells is pinned. So: hide the small cells, then,
while a hidden cell is a bridge, hide the cheapest chain of published cells that closes a
loop through it (a shortest path in the graph, published cells costing their value).
Rows or columns without a total have no equation; their edges end in one shared free node.

Equations are not all a reader knows: a "< 5" count lies between 1 and 4 and no count is
negative, so two "< 5" cells in a row whose hidden part sums to 2 are both 1. After the
loops are closed, each equation is checked against those bounds; where a hidden place is
pinned by them, one more published place of that equation is hidden (big counts first),
and the loops are closed again. Last, the exact check: bounds and equations taken all at
once (a table of small counts whose published grand total pins every cell by combining rows
and columns) are decided by reading the table as a circulation (`_Circulation`): a "< 5"
place that can take one value only gets one more published place hidden (the cheapest that
frees it), and everything above is done again, until no "< 5" place is pinned that one more
hidden place would free. A place pinned by the "< 5" labels of its own totals (four 1s
under a row total of 4: each at least 1, together at most 4), which no hiding frees, gets
those totals shown as hidden without "< 5" ("skjult", no bound: `_unlabel`), in every
linked table, and everything is done again.

Tables that repeat each other's figures (the same count in two tables) are protected
together by `protect_linked`: a cell hidden in one is hidden in every table that shows it,
and each table is protected again until nothing changes.

A table may have *unpublished* places: figures no page shows, in a table that only ties
published figures together (the movement's children among the positions': the children
at green now = those who came to green + those with no joint assessment before, an
unknown ≥ 0). They are hidden whatever their value, never "< 5" (a reader does not know
they are small), may lie on any loop, and need no protection themselves, so equations
through them bind as inequalities (exactly what the circulation's bounds [0, ∞) say).
Each table is still checked on its own: a reader combining the equations of two linked
tables at once is not checked beyond the figures they share.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

# A cell's place: (row, column). Row `rows` is the row of column totals, column `columns`
# the column of row totals, so (rows, columns) is the grand total.
Cell = tuple[int, int]
# A residual graph (`_Circulation.residual`): per node, the arcs (next node, place).
Residual = list[list[tuple[int, Cell]]]

MIN_THRESHOLD = 3
DEFAULT_THRESHOLD = 5

_ZERO_COST = 10**9
_SMALL_COST = 10**6


def valid_threshold(value: int) -> int:
    """The threshold in force: never below 3."""
    return max(MIN_THRESHOLD, int(value))


@dataclass(frozen=True)
class Table:
    """Counts in rows and columns; the totals are computed here, never passed in, so they
    always agree with the cells."""

    cells: tuple[tuple[int, ...], ...]
    row_totals: bool = True
    column_totals: bool = True

    @staticmethod
    def of(
        cells: Sequence[Sequence[int]], *, row_totals: bool = True, column_totals: bool = True
    ) -> Table:
        rows = tuple(tuple(int(v) for v in row) for row in cells)
        if any(v < 0 for row in rows for v in row):
            raise ValueError("counts are never negative")
        if len({len(r) for r in rows}) > 1:
            raise ValueError("every row needs the same number of columns")
        return Table(rows, row_totals, column_totals)

    @property
    def rows(self) -> int:
        return len(self.cells)

    @property
    def columns(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    @cached_property
    def _sums(self) -> tuple[tuple[int, ...], tuple[int, ...], int]:
        """Row totals, column totals and the grand total, added up once."""
        rows = tuple(sum(row) for row in self.cells)
        columns = tuple(sum(row[c] for row in self.cells) for c in range(self.columns))
        return rows, columns, sum(rows)

    def value(self, cell: Cell) -> int:
        r, c = cell
        n_rows, n_cols = len(self.cells), len(self.cells[0]) if self.cells else 0
        if r < n_rows and c < n_cols:
            return self.cells[r][c]
        rows, columns, grand = self._sums
        if r < n_rows:  # row total
            return rows[r]
        if c < n_cols:  # column total
            return columns[c]
        return grand

    def positions(self) -> list[Cell]:
        """Every published place: cells, then the totals the table has."""
        out = [(r, c) for r in range(self.rows) for c in range(self.columns)]
        if self.row_totals:
            out += [(r, self.columns) for r in range(self.rows)]
        if self.column_totals:
            out += [(self.rows, c) for c in range(self.columns)]
        if self.row_totals and self.column_totals:
            out.append((self.rows, self.columns))
        return out

    def equations(self) -> list[list[Cell]]:
        """Each equation as the places it ties together (parts and their total)."""
        eqs: list[list[Cell]] = []
        n_rows, n_cols = self.rows, self.columns
        both = self.row_totals and self.column_totals
        if self.row_totals:
            for r in range(n_rows):
                eqs.append([(r, c) for c in range(n_cols + 1)])
        if both:
            eqs.append([(n_rows, c) for c in range(n_cols + 1)])
        if self.column_totals:
            for c in range(n_cols):
                eqs.append([(r, c) for r in range(n_rows + 1)])
        if both:
            eqs.append([(r, n_cols) for r in range(n_rows + 1)])
        return eqs


@dataclass(frozen=True)
class Protected:
    """A table as it may be published: `shown(cell)` is the count, or None when hidden."""

    table: Table
    threshold: int
    primary: frozenset[Cell]
    complementary: frozenset[Cell]

    @property
    def hidden(self) -> frozenset[Cell]:
        return self.primary | self.complementary

    def shown(self, cell: Cell) -> int | None:
        return None if cell in self.hidden else self.table.value(cell)

    def row(self, r: int) -> list[int | None]:
        """Row `r` as published, its total last when the table has row totals."""
        width = self.table.columns + (1 if self.table.row_totals else 0)
        return [self.shown((r, c)) for c in range(width)]

    def totals(self) -> list[int | None]:
        """The row of column totals (grand total last when there is one)."""
        width = self.table.columns + (1 if self.table.row_totals else 0)
        return [self.shown((self.table.rows, c)) for c in range(width)]

    def share(self, cell: Cell, of: Cell) -> float | None:
        """`cell` as a share of `of`, only when both are published (a share and its base
        would give the hidden count back)."""
        part, whole = self.shown(cell), self.shown(of)
        if part is None or whole is None or whole == 0:
            return None
        return part / whole


def protect(
    table: Table,
    threshold: int,
    *,
    also_hide: frozenset[Cell] = frozenset(),
    unpublished: frozenset[Cell] = frozenset(),
    unlabelled: frozenset[Cell] = frozenset(),
) -> Protected:
    """Hide the small counts and whatever would give them away. `also_hide`: places that
    must be hidden anyway (because a linked table hides them). `unpublished`: places no
    page shows (a table that only ties published figures together, as the movement's to
    the joint positions): unknown to a reader whatever their value (so never "< 5"), and
    nothing to protect themselves. `unlabelled`: small places shown as hidden without
    "< 5" (because a linked table shows them so, see `_unlabel`).

    A pure function of its arguments (a `Table` is immutable, its totals computed from
    its cells), so the result is kept for the same arguments (`_protect`): a page asked
    again with the same counts, or two pages protecting the same table, pay once. A kept
    result cannot drift from the data: other counts are other arguments."""
    kept = _protect(
        table,
        valid_threshold(threshold),
        frozenset(also_hide),
        frozenset(unpublished),
        frozenset(unlabelled),
    )
    # A new object each call, as before the cache (callers may tell tables apart by it).
    return Protected(kept.table, kept.threshold, kept.primary, kept.complementary)


# About 10 KB for a table of 40 institutions by 5 columns (less for the small linking
# tables): at most about 10 MB per worker (issue 17's memory target is 150 MB).
@lru_cache(maxsize=1024)
def _protect(
    table: Table,
    threshold: int,
    also_hide: frozenset[Cell],
    unpublished: frozenset[Cell],
    unlabelled: frozenset[Cell],
) -> Protected:
    places = table.positions()
    small = {p for p in places if p not in unpublished and 0 < table.value(p) < threshold}
    primary = frozenset(small - set(unlabelled))
    hidden = set(small) | (set(also_hide) & set(places)) | (set(unpublished) & set(places))
    graph = _Graph(table)
    while True:
        bridge = graph.first_bridge(hidden, unpublished)
        if bridge is not None:
            chain = graph.cheapest_loop(bridge, hidden, threshold)
            if not chain:  # cannot happen for a consistent table; never loop forever
                raise AssertionError(f"no way to protect cell {bridge}")
            hidden.update(chain)
            continue
        line = _pinned_line(table, threshold, primary, hidden, unpublished)
        if line is not None:
            hidden.add(_cheapest(table, threshold, [p for p in line if p not in hidden]))
            continue
        freeing, pinned = _freeing_place(table, threshold, primary, hidden, places)
        if freeing is not None:
            hidden.add(freeing)
            continue
        stuck = _unlabel(table, primary, hidden, pinned)
        if not stuck:
            break
        primary -= stuck
        hidden |= stuck
    return Protected(table, threshold, primary, frozenset(hidden) - primary)


def _unlabel(
    table: Table, primary: frozenset[Cell], hidden: set[Cell], pinned: list[Cell]
) -> frozenset[Cell]:
    """For a "< t" place that everything a reader knows pins and that no single further
    hidden place frees (`_freeing_place`), the places to show as hidden without "< t": the
    "< t" totals of its row and column (and the grand total), whose upper bound is what
    pins it (a column total "< 3" over two "< 3" cells makes both 1; four "< 5" cells under
    a row total "< 5" are all 1). A total shown so says less than "< t", never more. When
    the place has no such total left, the published totals of its lines are hidden
    instead. `pinned`: the pinned places in table order; the first with something to do
    is done. Empty when nothing is left to do."""
    n_rows, n_cols = table.rows, table.columns
    places = set(table.positions())
    for place in pinned:
        r, c = place
        lines = [(r, n_cols), (n_rows, c), (n_rows, n_cols)]
        totals = {p for p in lines if p in places and p != place}
        labelled = frozenset(p for p in totals if p in primary)
        if labelled:
            return labelled
        published = frozenset(p for p in totals if p not in hidden)
        if published:
            return published
    return frozenset()


def _freeing_place(
    table: Table, threshold: int, primary: frozenset[Cell], hidden: set[Cell], places: list[Cell]
) -> tuple[Cell | None, list[Cell]]:
    """The cheapest published place whose hiding frees a "< t" place that everything a
    reader knows pins (and []), or, when no pinned place can be freed so, (None, the
    pinned places): one that no single further hidden place frees (the "< t" labels of its
    own totals pin it, as in a table of 1s and 2s at threshold 3) is for `_unlabel`,
    hiding the whole table would not free it. (None, []) when nothing is pinned."""
    flow = _Circulation(table, threshold, primary)
    published = sorted(
        (p for p in places if p not in hidden), key=lambda p: _cost(table, threshold, p)
    )
    stuck: list[Cell] = []
    adj = flow.residual(hidden)  # one graph for every place and candidate
    for place in sorted(primary):
        if flow.pinned_in(adj, place):
            for candidate in published:
                added = flow.add(adj, candidate)
                freed = not flow.pinned_in(adj, place)
                flow.remove(adj, added)
                if freed:
                    return candidate, []
            stuck.append(place)
    return None, stuck


class _Circulation:
    """The table as a circulation, to decide exactly whether a hidden place is pinned by
    everything a reader knows at once: every equation and every bound together.

    Nodes: S (the equation of the column of row totals), one per row equation, one per
    column equation, and T (the equation of the row of column totals); a place is an edge:
    row total S → row, cell row → column, column total column → T, grand total T → S. A
    row or column without its equation ends in one free node (no equation holds there).
    Each node's in-flow equals its out-flow exactly when every equation holds, so the
    values a reader cannot rule out are the integer circulations within the bounds:
    published [v, v], "< t" [1, t − 1], other hidden [0, ∞). The constraint matrix is a
    network matrix (totally unimodular), so a place can take another value if and only if
    one more or one less on it can be carried round a cycle: a path back between its ends
    in the residual graph that does not use the place itself."""

    def __init__(self, table: Table, threshold: int, primary: frozenset[Cell]) -> None:
        self.table = table
        self.high = threshold - 1
        self.primary = primary
        n_rows, n_cols = table.rows, table.columns
        free = 0
        s, t = (1, 2) if table.row_totals and table.column_totals else (free, free)

        def row(r: int) -> int:
            return 3 + r if table.row_totals else free

        def col(c: int) -> int:
            return 3 + n_rows + c if table.column_totals else free

        self.nodes = 3 + n_rows + n_cols
        self.edges: dict[Cell, tuple[int, int]] = {}
        for p in table.positions():
            r, c = p
            if r < n_rows and c < n_cols:
                self.edges[p] = (row(r), col(c))
            elif r < n_rows:
                self.edges[p] = (s, row(r))
            elif c < n_cols:
                self.edges[p] = (col(c), t)
            else:
                self.edges[p] = (t, s)
        # Each place's room, worked out once (a total's value is a sum).
        self.room = {p: self._room(p) for p in self.edges}

    def pinned(self, place: Cell, hidden: set[Cell]) -> bool:
        """Whether `place` (hidden) has one value only, given the places in `hidden`."""
        return self.pinned_in(self.residual(hidden), place)

    def residual(self, hidden: set[Cell]) -> Residual:
        """The residual graph of the places in `hidden` (a published place can carry no
        change): per node, the arcs (next node, place) one more or one less may use."""
        adj: Residual = [[] for _ in range(self.nodes)]
        for p in hidden:
            self.add(adj, p)
        return adj

    def add(self, adj: Residual, p: Cell) -> list[int]:
        """Add hidden place `p`'s arcs to `adj`; returns the nodes given one (`remove`)."""
        if p not in self.edges:
            return []
        u, v = self.edges[p]
        up, down = self.room[p]
        nodes = []
        if up:
            adj[u].append((v, p))
            nodes.append(u)
        if down:
            adj[v].append((u, p))
            nodes.append(v)
        return nodes

    @staticmethod
    def remove(adj: Residual, nodes: list[int]) -> None:
        """Take back the arcs `add` put last on `nodes`."""
        for node in nodes:
            adj[node].pop()

    def pinned_in(self, adj: Residual, place: Cell) -> bool:
        """`pinned` on a residual graph built once (`residual`): the search leaves the
        place's own arcs out, so one graph serves every hidden place."""
        u, v = self.edges[place]
        up, down = self.room[place]
        return not ((up and _reaches(adj, v, u, place)) or (down and _reaches(adj, u, v, place)))

    def _room(self, p: Cell) -> tuple[bool, bool]:
        """Whether hidden place `p` may be one more, and one less, within its bounds."""
        x = self.table.value(p)
        if p in self.primary:
            return x < self.high, x > 1
        return True, x > 0


def _reaches(adj: Residual, start: int, goal: int, without: Cell) -> bool:
    """Whether `goal` can be reached from `start` on arcs of places other than `without`."""
    if start == goal:
        return True
    seen = {start}
    todo = [start]
    while todo:
        node = todo.pop()
        for nxt, p in adj[node]:
            if p == without:
                continue
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _pinned_line(
    table: Table,
    threshold: int,
    primary: frozenset[Cell],
    hidden: set[Cell],
    unpublished: frozenset[Cell] = frozenset(),
) -> list[Cell] | None:
    """An equation (row or column with its total) in which a hidden place is pinned by the
    bounds a reader knows, though no equation alone gives it: a "< 5" count lies between 1
    and threshold − 1, any hidden count is at least 0. Two "< 5" cells in a row whose
    hidden part sums to 2 are both 1; a row's two hidden cells summing to 8 are both 4.
    Returns the first such equation that still has a published place to hide, else None."""
    for eq in table.equations():
        unknown = [p for p in eq if p in hidden]
        if not unknown or len(unknown) == len(eq):
            continue
        total = eq[-1]
        # parts − total = 0, so with the published places moved over: Σ sign·x = known.
        known = sum(
            table.value(p) if p == total else -table.value(p) for p in eq if p not in hidden
        )
        bounds = []
        for p in unknown:
            low, high = (1, threshold - 1) if p in primary else (0, None)
            bounds.append((1 if p != total else -1, low, high))
        for j, (sign, low, high) in enumerate(bounds):
            if unknown[j] in unpublished:
                continue  # nothing to protect (and a free part of the equation)
            # sign·x_j = known − Σ_{i≠j} sign_i·x_i
            rest_min, rest_max = 0, 0
            unbounded_min = unbounded_max = False
            for i, (s_i, lo_i, hi_i) in enumerate(bounds):
                if i == j:
                    continue
                if s_i > 0:
                    rest_min += lo_i
                    if hi_i is None:
                        unbounded_max = True
                    else:
                        rest_max += hi_i
                else:
                    rest_max -= lo_i
                    if hi_i is None:
                        unbounded_min = True
                    else:
                        rest_min -= hi_i
            # sign·x_j lies in [known − rest_max, known − rest_min]
            lo_j = None if unbounded_max else known - rest_max
            hi_j = None if unbounded_min else known - rest_min
            if sign < 0:
                lo_j, hi_j = (None if hi_j is None else -hi_j), (None if lo_j is None else -lo_j)
            lo = low if lo_j is None else max(low, lo_j)
            hi = hi_j if high is None else (high if hi_j is None else min(high, hi_j))
            if hi is not None and lo >= hi:
                return eq
    return None


def _cheapest(table: Table, threshold: int, places: list[Cell]) -> Cell:
    """The published place of an equation that costs least to hide besides the others:
    big counts first (they hide a small one whatever its value), then other non-zero
    counts, zeros last; among those, the smallest."""
    return min(places, key=lambda p: _cost(table, threshold, p))


def _cost(table: Table, threshold: int, p: Cell) -> tuple[int, int]:
    value = table.value(p)
    if value == 0:
        return (2, 0)
    return (0 if value >= 2 * threshold - 1 else 1, value)


def protect_linked(
    tables: Sequence[Table],
    links: Sequence[Mapping[Cell, str]],
    threshold: int,
    unpublished: Sequence[frozenset[Cell]] | None = None,
) -> list[Protected]:
    """Protect tables that show some of the same figures. ``links[i]`` names the places of
    table ``i`` that appear elsewhere (the same name in two tables is the same figure);
    ``unpublished[i]``: the places of table ``i`` that no page shows (`protect`)."""
    if len(tables) != len(links):
        raise ValueError("one link map per table")
    never = list(unpublished) if unpublished is not None else [frozenset()] * len(tables)
    if len(never) != len(tables):
        raise ValueError("one set of unpublished places per table")
    # A pure function of its arguments, kept like `protect`'s (the link maps as sets of
    # their items: the same names at the same places are the same links).
    return list(
        _protect_linked(
            tuple(tables),
            tuple(frozenset(names.items()) for names in links),
            valid_threshold(threshold),
            tuple(frozenset(q) for q in never),
        )
    )


@lru_cache(maxsize=64)
def _protect_linked(
    tables: tuple[Table, ...],
    link_items: tuple[frozenset[tuple[Cell, str]], ...],
    threshold: int,
    never: tuple[frozenset[Cell], ...],
) -> tuple[Protected, ...]:
    links = [dict(items) for items in link_items]
    hidden_names: set[str] = set()
    # Figures one table shows as hidden without "< 5" (`_unlabel`): every table shows them
    # so, or the "< 5" of one would give the other's bound back.
    unlabelled_names: set[str] = set()
    # A table whose forced places did not change is protected as before (`protect` is
    # a function of the table and those places): each pass redoes only what changed.
    done: dict[int, tuple[tuple[frozenset[Cell], frozenset[Cell]], Protected]] = {}
    while True:
        out = []
        for i, (table, names, quiet) in enumerate(zip(tables, links, never, strict=True)):
            forced = frozenset(p for p, name in names.items() if name in hidden_names)
            bare = frozenset(p for p, name in names.items() if name in unlabelled_names)
            if i not in done or done[i][0] != (forced, bare):
                prot = protect(
                    table, threshold, also_hide=forced, unpublished=quiet, unlabelled=bare
                )
                done[i] = ((forced, bare), prot)
            out.append(done[i][1])
        now = {
            name
            for prot, names in zip(out, links, strict=True)
            for p, name in names.items()
            if p in prot.hidden
        }
        bare_now = {
            name
            for prot, names in zip(out, links, strict=True)
            for p, name in names.items()
            if p in prot.complementary and 0 < prot.table.value(p) < prot.threshold
        }
        if now <= hidden_names and bare_now <= unlabelled_names:
            return tuple(out)
        hidden_names |= now
        unlabelled_names |= bare_now


class _Graph:
    """Equations as nodes, places as edges; node 0 is the free node (no equation)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        n_rows, n_cols = table.rows, table.columns
        both = table.row_totals and table.column_totals
        node: dict[tuple[str, int], int] = {}

        def add(kind: str, i: int) -> None:
            node[(kind, i)] = len(node) + 1

        if table.row_totals:
            for r in range(n_rows):
                add("r", r)
        if both:
            add("r", n_rows)
        if table.column_totals:
            for c in range(n_cols):
                add("c", c)
        if both:
            add("c", n_cols)
        self.nodes = len(node) + 1
        self.edges: list[tuple[Cell, int, int]] = [
            (p, node.get(("r", p[0]), 0), node.get(("c", p[1]), 0)) for p in table.positions()
        ]
        self.index = {p: i for i, (p, _, _) in enumerate(self.edges)}

    def first_bridge(
        self, hidden: set[Cell], unpublished: frozenset[Cell] = frozenset()
    ) -> Cell | None:
        """A hidden place that is a bridge among the hidden places (it can be worked out),
        the first in table order; None when every hidden place is safe. An unpublished
        place may be worked out: it is shown nowhere, so it gives nothing away."""
        adj: list[list[tuple[int, int]]] = [[] for _ in range(self.nodes)]
        for i, (p, u, v) in enumerate(self.edges):
            if p in hidden and u != v:
                adj[u].append((v, i))
                adj[v].append((u, i))
        disc = [-1] * self.nodes
        low = [0] * self.nodes
        bridges: set[int] = set()
        clock = 0
        for root in range(self.nodes):
            if disc[root] != -1:
                continue
            disc[root] = low[root] = clock
            clock += 1
            stack: list[tuple[int, int, int]] = [(root, -1, 0)]  # node, edge in, next index
            while stack:
                node, via, k = stack[-1]
                if k < len(adj[node]):
                    stack[-1] = (node, via, k + 1)
                    nxt, edge = adj[node][k]
                    if edge == via:
                        continue
                    if disc[nxt] == -1:
                        disc[nxt] = low[nxt] = clock
                        clock += 1
                        stack.append((nxt, edge, 0))
                    else:
                        low[node] = min(low[node], disc[nxt])
                else:
                    stack.pop()
                    if stack:
                        parent = stack[-1][0]
                        low[parent] = min(low[parent], low[node])
                        if low[node] > disc[parent] and self.edges[via][0] not in unpublished:
                            bridges.add(via)
        if not bridges:
            return None
        return self.edges[min(bridges)][0]

    def cheapest_loop(self, bridge: Cell, hidden: set[Cell], threshold: int) -> list[Cell]:
        """The published places to hide so that `bridge` lies on a loop of hidden places:
        the cheapest path between its two ends that does not use it."""
        skip = self.index[bridge]
        _, start, goal = self.edges[skip]
        adj: list[list[tuple[int, int]]] = [[] for _ in range(self.nodes)]
        for i, (_p, u, v) in enumerate(self.edges):
            if i != skip:
                adj[u].append((v, i))
                adj[v].append((u, i))

        def cost(i: int) -> int:
            p = self.edges[i][0]
            if p in hidden:
                return 0
            value = self.table.value(p)
            if value == 0:
                return _ZERO_COST
            if value < 2 * threshold - 1:
                return _SMALL_COST + value
            return value

        best: dict[int, tuple[int, int]] = {start: (0, 0)}
        came: dict[int, tuple[int, int]] = {}
        heap = [(0, 0, start)]
        while heap:
            dist, hops, node = heapq.heappop(heap)
            if (dist, hops) > best.get(node, (dist, hops)):
                continue
            if node == goal:
                break
            for nxt, edge in adj[node]:
                candidate = (dist + cost(edge), hops + 1)
                if nxt not in best or candidate < best[nxt]:
                    best[nxt] = candidate
                    came[nxt] = (node, edge)
                    heapq.heappush(heap, (candidate[0], candidate[1], nxt))
        if goal not in best:
            return []
        chain = []
        node = goal
        while node != start:
            node, edge = came[node]
            place = self.edges[edge][0]
            if place not in hidden:
                chain.append(place)
        return chain
