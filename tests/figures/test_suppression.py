"""Suppression of small counts (screening/figures/suppression.py): hand-made cases whose
answer was worked out by hand, and properties over generated tables."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from screening.figures.suppression import Protected, Table, protect, protect_linked


def test_one_row_with_a_total_hides_the_next_cell_big_enough_to_cover_it():
    # 3 is below 5. With the row total 25 and the others published, 3 = 25 - 10 - 12, so
    # one more cell goes: 10 is the smallest at least 2 × 5 - 1 = 9.
    p = protect(Table.of([[3, 10, 12]], column_totals=False), 5)
    assert p.row(0) == [None, None, 12, 25]
    assert p.primary == {(0, 0)}
    assert p.complementary == {(0, 1)}


def test_two_by_two_hides_the_whole_inside_and_keeps_every_total():
    #       A   B |  T
    #  r1   2  20 | 22
    #  r2  30  40 | 70
    #  T   32  60 | 92
    # A loop through (r1, A) costs 20 + 40 + 30 = 90 inside the table; through the totals
    # 22 + 92 + 32 = 146 or 20 + 60 + 32 = 112. So the four inner cells go.
    p = protect(Table.of([[2, 20], [30, 40]]), 5)
    assert p.row(0) == [None, None, 22]
    assert p.row(1) == [None, None, 70]
    assert p.totals() == [32, 60, 92]


def test_two_small_cells_in_a_row_are_covered_by_their_column_totals():
    #       G   Y   R |   T
    #  i1  40   3   1 |  44
    #  i2  50   8  10 |  68
    #  T   90  11  11 | 112
    # 3 and 1 hide each other within the row, but their sum (4 = 44 - 40) and the
    # column totals would give each back (3 = 11 - 8). The cheapest loop closes through
    # the two column totals (11 + 11 = 22; 8 is too small to cover a count under 5).
    p = protect(Table.of([[40, 3, 1], [50, 8, 10]]), 5)
    assert p.row(0) == [40, None, None, 44]
    assert p.row(1) == [50, 8, 10, 68]
    assert p.totals() == [90, None, None, 112]
    assert p.complementary == {(2, 1), (2, 2)}


def test_a_column_with_its_total_hides_one_more_and_never_a_zero():
    # 0, 2, 7, 12 (total 21): 2 is hidden; 0 would protect nothing and 7 is smaller than
    # 9, so 12 goes.
    p = protect(Table.of([[0], [2], [7], [12]], row_totals=False), 5)
    assert [p.row(r)[0] for r in range(4)] == [0, None, 7, None]
    assert p.totals() == [21]


def test_zero_and_large_counts_are_shown_and_nothing_is_hidden_without_need():
    p = protect(Table.of([[0, 12], [5, 30]]), 5)
    assert not p.hidden
    assert p.share((0, 1), (0, 2)) == 1.0


def test_a_table_without_totals_needs_no_second_cell():
    p = protect(Table.of([[1, 50], [60, 70]], row_totals=False, column_totals=False), 5)
    assert p.hidden == {(0, 0)}


def test_the_threshold_is_never_below_three():
    p = protect(Table.of([[2, 40], [40, 40]], row_totals=False, column_totals=False), 1)
    assert p.threshold == 3
    assert p.hidden == {(0, 0)}
    p = protect(Table.of([[4, 40], [40, 40]], row_totals=False, column_totals=False), 3)
    assert not p.hidden


def test_a_share_is_hidden_with_its_count_or_its_base():
    p = protect(Table.of([[3, 10, 12]], column_totals=False), 5)
    assert p.share((0, 0), (0, 3)) is None
    assert p.share((0, 2), (0, 3)) == 12 / 25


def test_linked_tables_hide_a_shared_figure_in_both():
    # A: [3, 6 | 9]: 3 is hidden; 6 is too small to cover it (< 9), the total 9 goes.
    # B shows A's total as its first cell: [9, 20 | 29]. Hidden in A, so hidden in B, and
    # then B needs a second cell: 20 (cheaper than the total 29).
    a = Table.of([[3, 6]], column_totals=False)
    b = Table.of([[9], [20]], row_totals=False)
    pa, pb = protect_linked([a, b], [{(0, 2): "a-total"}, {(0, 0): "a-total"}], 5)
    assert pa.row(0) == [None, 6, None]
    assert [pb.row(0)[0], pb.row(1)[0], pb.totals()[0]] == [None, None, 29]


# Properties ------------------------------------------------------------------------------


def rank(rows: list[list[Fraction]]) -> int:
    """Rank by exact Gaussian elimination (independent of the module's graph method)."""
    m = [r[:] for r in rows]
    rk = 0
    cols = len(m[0]) if m else 0
    for c in range(cols):
        pivot = next((i for i in range(rk, len(m)) if m[i][c] != 0), None)
        if pivot is None:
            continue
        m[rk], m[pivot] = m[pivot], m[rk]
        for i in range(len(m)):
            if i != rk and m[i][c] != 0:
                f = m[i][c] / m[rk][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[rk], strict=True)]
        rk += 1
    return rk


def recoverable(tables: list[Protected], links: list[dict]) -> list[tuple[int, tuple]]:
    """The hidden places a reader can compute exactly from everything published: e_x lies
    in the row space of the equations restricted to the hidden unknowns."""
    unknowns: dict[tuple, int] = {}

    def var(t: int, cell: tuple) -> tuple:
        return ("link", links[t][cell]) if cell in links[t] else (t, cell)

    for t, p in enumerate(tables):
        for cell in p.hidden:
            unknowns.setdefault(var(t, cell), len(unknowns))
    if not unknowns:
        return []
    eqs = []
    for t, p in enumerate(tables):
        for eq in p.table.equations():
            row = [Fraction(0)] * len(unknowns)
            for k, cell in enumerate(eq):
                coef = -1 if k == len(eq) - 1 else 1
                if cell in p.hidden:
                    row[unknowns[var(t, cell)]] += coef
            if any(row):
                eqs.append(row)
    base = rank(eqs) if eqs else 0
    found = []
    for key, i in unknowns.items():
        unit = [Fraction(int(j == i)) for j in range(len(unknowns))]
        if rank([*eqs, unit]) == base:
            found.append((i, key))
    return found


tables = st.builds(
    lambda cells, rt, ct: Table.of(cells, row_totals=rt, column_totals=ct),
    st.integers(1, 5).flatmap(
        lambda ncols: st.lists(
            st.lists(
                st.one_of(st.integers(0, 6), st.integers(0, 60)), min_size=ncols, max_size=ncols
            ),
            min_size=1,
            max_size=5,
        )
    ),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(tables, st.integers(0, 8))
def test_no_hidden_cell_can_be_worked_out_from_what_is_published(table, threshold):
    p = protect(table, threshold)
    t = max(3, threshold)
    for cell in table.positions():
        value = table.value(cell)
        if 0 < value < t:
            # hidden; labelled "< t" unless it is a total whose bound would pin its parts
            assert cell in p.hidden
            assert cell in p.primary or cell[0] == table.rows or cell[1] == table.columns
        shown = p.shown(cell)
        assert shown is None or shown == 0 or shown >= t
    assert recoverable([p], [{}]) == []


@settings(max_examples=100, deadline=None)
@given(tables, st.integers(3, 6))
def test_linked_tables_give_nothing_away_together(table, threshold):
    # The row totals of `table` published again as a one-column table of their own, with
    # its total (as the dashboard repeats the children per institution).
    if not table.row_totals:
        table = Table.of(table.cells, column_totals=table.column_totals)
    again = Table.of([[sum(r)] for r in table.cells], row_totals=False)
    links = [
        {(r, table.columns): f"row{r}" for r in range(table.rows)}
        | ({(table.rows, table.columns): "all"} if table.column_totals else {}),
        {(r, 0): f"row{r}" for r in range(table.rows)} | {(table.rows, 0): "all"},
    ]
    protected = protect_linked([table, again], links, threshold)
    assert recoverable(protected, links) == []


# Bounds a reader knows: a "< 5" count is 1 to 4 (zeros are shown), so a row whose hidden
# part is 2 with two "< 5" cells gives both away, although no equation alone does.


def test_two_small_cells_whose_hidden_sum_pins_them_get_a_third_hidden_cell():
    #       G   Y   R   X |   T
    #  i1  24   1   1  34 |  60     hidden part of the row: 60 - 24 - 34 = 2, so 1 and 1
    #  i2  30  10  10  10 |  60
    p = protect(Table.of([[24, 1, 1, 34], [30, 10, 10, 10]]), 5)
    row = p.row(0)
    assert row[1] is None
    assert row[2] is None
    shown = sum(v for v in row[:4] if v is not None)
    assert row[4] is None or row[4] - shown > 2  # the hidden part is more than the two 1s
    assert possible_values(p)[(0, 1)] > {1}


def test_four_small_cells_in_a_row_are_not_given_away_by_their_sum():
    # 7 and four 1s, total 11: the four hidden cells sum to 4, so each would be 1.
    p = protect(Table.of([[7, 1, 1, 1, 1], [20, 9, 9, 9, 9], [30, 10, 12, 10, 10]]), 5)
    for c in range(1, 5):
        assert possible_values(p)[(0, c)] > {1}


def possible_values(p: Protected, only: list | None = None) -> dict[tuple, set[int]]:
    """Every value each hidden place can take, given what is published and the bounds a
    reader knows ("< t" cells 1..t-1, other hidden cells 0 up to the grand total), by brute
    force over every assignment (small tables only); `only`: these equations alone."""
    table = p.table
    eqs = only if only is not None else table.equations()
    hidden = sorted({c for eq in eqs for c in eq if c in p.hidden})
    cap = sum(sum(row) for row in table.cells) + 1
    ranges = [range(1, p.threshold) if cell in p.primary else range(0, cap + 1) for cell in hidden]
    found: dict[tuple, set[int]] = {cell: set() for cell in hidden}

    def value(cell, assigned):
        return assigned[cell] if cell in assigned else table.value(cell)

    def consistent(assigned) -> bool:
        for eq in eqs:
            done = all(c in assigned or c not in hidden for c in eq)
            if done and sum(value(c, assigned) for c in eq[:-1]) != value(eq[-1], assigned):
                return False
        return True

    def walk(assigned: dict) -> None:
        if not consistent(assigned):
            return
        # An equation with one unknown left gives it; else try each value of the next.
        for eq in eqs:
            left = [c for c in eq if c in hidden and c not in assigned]
            if len(left) == 1:
                cell = left[0]
                rest = sum(value(c, assigned) for c in eq if c != cell and c != eq[-1])
                v = value(eq[-1], assigned) - rest if cell != eq[-1] else rest
                if v in ranges[hidden.index(cell)]:
                    walk({**assigned, cell: v})
                return
        todo = [c for c in hidden if c not in assigned]
        if not todo:
            for cell in hidden:
                found[cell].add(assigned[cell])
            return
        for v in ranges[hidden.index(todo[0])]:
            walk({**assigned, todo[0]: v})

    walk({})
    return found


def small(columns: tuple[int, int], rows: tuple[int, int], top: int) -> st.SearchStrategy:
    """Tables with totals of `columns` × `rows` (each a min, max) counts 0 to `top`."""
    return (
        st.integers(*columns)
        .flatmap(
            lambda ncols: st.lists(
                st.lists(st.integers(0, top), min_size=ncols, max_size=ncols),
                min_size=rows[0],
                max_size=rows[1],
            )
        )
        .map(Table.of)
    )


small_tables = small((2, 3), (2, 3), 9)


@settings(max_examples=120, deadline=None)
@given(small_tables, st.integers(3, 4))
def test_no_small_count_is_pinned_by_one_equation_and_the_bounds_a_reader_knows(table, threshold):
    p = protect(table, threshold)
    for eq in table.equations():
        if all(c in p.primary or table.value(c) == 0 for c in eq):
            continue  # every figure of the line is small or 0: hiding more cannot help
        values = possible_values(p, only=[eq])
        for cell in p.primary & set(eq):
            assert len(values[cell]) > 1, (eq, cell, values[cell])


def test_a_small_total_whose_label_pins_its_cells_is_shown_without_its_bound():
    # Threshold 3:
    #       A  B | T
    #  r1   0  1 | 1
    #  r2   1  1 | 2
    #  T    1  2 | 3
    # Column B's total "< 3" (1 or 2) over two "< 3" cells (at least 1 each) makes both 1,
    # and hiding more frees neither (worked out by hand, checked by `possible_values`).
    # So column B's total is shown as hidden ("skjult") without the "< 3": it then says
    # nothing of its size, and the same holds in turn for the totals that pin A2 and B1.
    p = protect(Table.of([[0, 1], [1, 1]]), 3)
    assert (2, 1) in p.complementary  # column B's total: hidden, not labelled "< 3"
    values = possible_values(p)
    assert all(len(values[cell]) > 1 for cell in p.primary)
    assert values[(0, 1)] > {1}
    assert values[(1, 1)] > {1}


def test_four_small_cells_under_a_small_row_total_are_not_all_one():
    # Threshold 5: a row of four 1s has the total 4, "< 5"; four cells of at least 1
    # summing to at most 4 would all be 1. The row total is shown without its "< 5".
    p = protect(Table.of([[1, 1, 1, 1], [10, 10, 10, 10]]), 5)
    assert (0, 4) in p.hidden
    assert (0, 4) not in p.primary
    values = possible_values(p)
    for c in range(4):
        assert values[(0, c)] > {1}


def test_a_figure_shown_without_its_bound_is_shown_so_in_every_linked_table():
    # The small total of the first table is the same figure as a cell of the second: the
    # "< 3" there would give the bound back.
    first = Table.of([[0, 1], [1, 1]])
    second = Table.of([[2, 7], [9, 9]])
    out = protect_linked([first, second], [{(2, 1): "b"}, {(0, 0): "b"}], 3)
    assert (2, 1) in out[0].complementary
    assert (0, 0) in out[1].hidden
    assert (0, 0) not in out[1].primary


@settings(max_examples=150, deadline=None)
@given(small((1, 3), (1, 3), 5), st.integers(3, 5))
def test_no_small_count_is_pinned_by_everything_a_reader_knows(table, threshold):
    # The exact check (agreeing with brute force, below) over every "< t" place after
    # protection: none has one value only, whatever the table.
    from screening.figures.suppression import _Circulation

    p = protect(table, threshold)
    flow = _Circulation(table, p.threshold, p.primary)
    for cell in p.primary:
        assert not flow.pinned(cell, set(p.hidden)), cell


def test_a_small_count_pinned_only_by_all_equations_together_gets_a_place_hidden():
    # Threshold 4 ("< 4" is 1 to 3):
    #       A   B   C |  T
    #  r1   5   2   1 |  8
    #  r2   3  12   2 | 17
    #  T    8  14   3 | 25
    # Loops and single lines leave every cell but A1 = 5 hidden, column C's total hidden
    # ("< 4") and column A's, with B's total 14 and the row totals published. Then, worked
    # out by hand: r1 gives B1 + C1 = 3; column C's "< 4" gives C1 + C2 <= 3; B's total
    # gives B2 = 14 - B1; r2 gives A2 + C2 = 3 + B1 = 6 - C1. C1 = 1 forces C2 = 2 and
    # A2 = 3; C1 = 2 forces C2 = 1 and A2 = 3. So A2 = 3 whatever: pinned by four equations
    # and two bounds, no one line alone. Hiding column B's total frees it (B2 is then
    # unknown), and that is what is hidden.
    p = protect(Table.of([[5, 2, 1], [3, 12, 2]]), 4)
    assert p.shown((2, 1)) is None
    assert p.shown((0, 3)) == 8
    assert p.shown((1, 3)) == 17
    assert p.shown((2, 3)) == 25
    values = possible_values(p)
    assert values[(1, 0)] > {3}
    assert all(len(values[cell]) > 1 for cell in p.primary)


@settings(max_examples=120, deadline=None)
@given(
    st.integers(1, 3).flatmap(
        lambda ncols: st.lists(
            st.lists(st.integers(0, 4), min_size=ncols, max_size=ncols), min_size=1, max_size=2
        )
    ),
    st.booleans(),
    st.booleans(),
    st.integers(3, 4),
    st.randoms(use_true_random=False),
)
def test_the_exact_check_agrees_with_brute_force(cells, rt, ct, threshold, rnd):
    # `_Circulation.pinned` against every assignment the published figures and the bounds
    # allow, for any choice of hidden places beside the small ones.
    from screening.figures.suppression import _Circulation

    table = Table.of(cells, row_totals=rt, column_totals=ct)
    places = table.positions()
    primary = frozenset(c for c in places if 0 < table.value(c) < threshold)
    extra = frozenset(c for c in places if c not in primary and rnd.random() < 0.25)
    p = Protected(table, threshold, primary, extra)
    values = possible_values(p)
    flow = _Circulation(table, threshold, primary)
    for cell in p.hidden:
        # A place in no equation (a table without totals) can be anything.
        one_value = cell in values and len(values[cell]) == 1
        assert flow.pinned(cell, set(p.hidden)) == one_value, (cell, values)


def test_an_unpublished_place_is_unknown_to_the_reader_and_needs_no_protection():
    """A place no page shows (a table that ties published figures together, issue 13):
    an unknown at least 0 whatever its value, never "< 5", and nothing to protect."""
    # 3 + w = 13 with w unpublished: the 3 is not pinned (w could be 9 to 12), so only
    # the small count is hidden, and w (10, not small) is no "< 5".
    prot = protect(Table.of([[3, 10]], column_totals=False), 5, unpublished=frozenset({(0, 1)}))
    assert prot.primary == {(0, 0)}
    assert prot.complementary == {(0, 1)}
    # 20 + w = 27: w can be worked out, but it is shown nowhere: nothing more is hidden.
    prot = protect(Table.of([[20, 7]], column_totals=False), 5, unpublished=frozenset({(0, 1)}))
    assert prot.primary == frozenset()
    assert prot.hidden == {(0, 1)}
    # A small published count whose only partner is an unpublished 0: w ≥ 0 and the row
    # total 3 give 1 ≤ x ≤ 3, not one value, so nothing more goes.
    prot = protect(Table.of([[3, 0]], column_totals=False), 5, unpublished=frozenset({(0, 1)}))
    assert prot.hidden == {(0, 0), (0, 1), (0, 2)}


def test_kept_protection_follows_the_counts() -> None:
    """`protect` and `protect_linked` keep their results for the same arguments (issue
    13, speed): the same table gives the same protection each time as a new object, and
    a changed count is protected anew, never with the result kept for the old one."""
    table = Table.of([[40, 3, 1], [50, 8, 10]])
    first, again = protect(table, 5), protect(Table.of([[40, 3, 1], [50, 8, 10]]), 5)
    assert first == again
    assert first is not again
    changed = protect(Table.of([[40, 30, 10], [50, 8, 10]]), 5)
    assert changed.hidden == frozenset()
    assert first.hidden != frozenset()
    a, b = Table.of([[20, 3, 20]], column_totals=False), Table.of([[3, 40]], column_totals=False)
    pa, pb = protect_linked([a, b], [{(0, 1): "small"}, {(0, 0): "small"}], 5)
    pa2, pb2 = protect_linked([a, b], [{(0, 1): "small"}, {(0, 0): "small"}], 5)
    assert (pa, pb) == (pa2, pb2)
    assert (0, 0) in pb.hidden
    assert (0, 1) in pa.hidden
    # Other counts in the second table: protected anew.
    other = protect_linked([a, Table.of([[30, 40]], column_totals=False)], [{}, {}], 5)
    assert other[1].hidden == frozenset()
