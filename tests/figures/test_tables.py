"""The dashboard's tables (screening/figures/tables.py) from hand-made counts: what each
table publishes, worked out by hand, and that linked tables give nothing away together."""

from __future__ import annotations

from datetime import date

from screening.figures.queries import STAIR_MOVES, Counts, RoundCounts, Row
from screening.figures.suppression import Table, protect
from screening.figures.tables import figures
from screening.models import RoundStatus, ScreeningRound
from tests.figures.test_suppression import recoverable


def same(text: str) -> str:
    return text


def round_(name: str, status=RoundStatus.CLOSED) -> ScreeningRound:
    return ScreeningRound(
        name=name,
        starts_on=date(2026, 2, 1),
        ends_on=date(2026, 3, 31),
        reference_date=date(2026, 2, 28),
        status=status,
        instrument_keys=[],
    )


def counts(joint: dict[int, list[int]], assessed: dict[int, list[int]], **kw) -> Counts:
    """Counts for rows 1 (A) and 2 (B); joint lists green, yellow, red, none."""
    c = Counts(
        round=kw.pop("round", round_("Forår")),
        previous=kw.pop("previous", None),
        as_of=date(2026, 3, 31),
        rows=[Row(1, "A"), Row(2, "B")],
        row_kind="institution",
        bands=[],
    )
    c.joint = {
        i: dict(zip(("green", "yellow", "red", "none"), v, strict=True)) for i, v in joint.items()
    }
    c.assessed = {i: dict(zip((0, 1, 2), v, strict=True)) for i, v in assessed.items()}
    c.individual = {i: {"green": 0, "yellow": 0, "red": 0} for i in joint}
    c.observations = {}
    c.movement = {i: {} for i in joint}
    c.steps = {i: {} for i in joint}
    c.response = {i: (0, [], []) for i in joint}
    c.stair_moves = dict.fromkeys(STAIR_MOVES, 0)
    for key, value in kw.items():
        setattr(c, key, value)
    return c


def by_key(figs):
    return {f.key: f for f in figs}


def test_positions_hide_two_small_cells_and_the_column_totals_that_would_give_them_away():
    #        G   Y   R  none |  T
    #  A    40   3   1    0  | 44
    #  B    50   8  10    0  | 68
    #  T    90  11  11    0  | 112
    # 3 and 1 are small. Within row A they hide each other, but the column totals give
    # each back (3 = 11 - 8), so the cheapest loop closes through the two column totals
    # (11 + 11; 8 is below 2 × 5 - 1 and 0 protects nothing). The totals are not small:
    # they print "skjult", never "< 5".
    c = counts(
        {1: [40, 3, 1, 0], 2: [50, 8, 10, 0]},
        {1: [0, 4, 40], 2: [0, 0, 68]},
    )
    f = by_key(figures(c, 5, same))["positions"]
    assert f.published() == [
        ["Dagtilbud", "Grøn", "Gul", "Rød", "Ingen fælles vurdering", "I alt"],
        ["A", "40", "< 5", "< 5", "0", "44"],
        ["B", "50", "8", "10", "0", "68"],
        ["I alt", "90", "skjult", "skjult", "0", "112"],
    ]
    # A share is published only with its count and its base.
    assert f.share(0, 0) == 40 / 44
    assert f.share(0, 1) is None
    assert f.share(2, 1) is None


def test_a_movement_hidden_in_the_matrix_is_hidden_in_the_table_by_row():
    # Movement by row (only two of the nine from → to columns are not zero):
    #            g→g  g→y |  T
    #  A          30    2 | 32
    #  B          40    0 | 40
    #  T          70    2 | 72
    # The matrix of all rows is the column totals: from green 70 (→ green), 2 (→ yellow),
    # row total 72; the column "→ yellow" is 2 with total 2. Both 2s are small; they hide
    # each other in their column, and the loop closes through "→ green" (70 + 70 = 140)
    # rather than through the totals (72 + 72 = 144). The matrix's hidden 70 is the table
    # by row's column total, so it is hidden there too; there 30 (A, g→g) closes the loop
    # (30 < 40), and the grand total 72 stays: x + y = 32 and x + 40 + y = 72 tell nothing
    # more about x.
    moves = {1: {("green", "green"): 30, ("green", "yellow"): 2}, 2: {("green", "green"): 40}}
    c = counts(
        {1: [30, 2, 0, 0], 2: [40, 0, 0, 0]},
        {1: [0, 0, 32], 2: [0, 0, 40]},
        previous=round_("Efterår"),
        movement=moves,
    )
    figs = by_key(figures(c, 5, same))
    matrix, flat = figs["movement"], figs["movement_by_row"]
    assert matrix.published()[1][1:] == ["skjult", "< 5", "0", "72"]
    assert matrix.published()[4][1:] == ["skjult", "< 5", "0", "72"]
    rows = flat.published()
    assert rows[1][1:3] + rows[1][-1:] == ["skjult", "< 5", "32"]
    assert rows[2][1:3] + rows[2][-1:] == ["40", "0", "40"]
    assert rows[3][1:3] + rows[3][-1:] == ["skjult", "< 5", "72"]
    assert recoverable([matrix.protected, flat.protected], [matrix.links, flat.links]) == []


def test_nothing_hidden_is_published_and_nothing_can_be_worked_out_across_tables():
    c = counts(
        {1: [40, 3, 1, 0], 2: [50, 8, 10, 0]},
        {1: [0, 4, 40], 2: [0, 2, 66]},
        previous=round_("Efterår"),
        movement={1: {("green", "green"): 30, ("yellow", "green"): 3}, 2: {("red", "red"): 9}},
    )
    figs = figures(c, 5, same)
    for f in figs:
        text = f.published()
        for r, col in f.protected.hidden:
            assert text[r + 1][col + 1] in ("< 5", "skjult")
    assert recoverable([f.protected for f in figs], [f.links for f in figs]) == []


def test_the_trend_row_of_this_round_hides_what_positions_hide():
    now, before = round_("Forår", RoundStatus.OPEN), round_("Efterår")
    c = counts(
        {1: [40, 3, 1, 0], 2: [50, 8, 10, 0]},
        {1: [0, 4, 40], 2: [0, 0, 68]},
        round=now,
        previous=before,
        trend=[
            (before, {"green": 80, "yellow": 20, "red": 12, "none": 0}),
            (now, {"green": 90, "yellow": 11, "red": 11, "none": 0}),
        ],
    )
    figs = by_key(figures(c, 5, same))
    trend = figs["trend"].published()
    # The yellow and red totals of this round are hidden in positions, so in the trend.
    assert trend[2] == ["Forår", "90", "skjult", "skjult", "0", "112"]
    assert trend[1] == ["Efterår", "80", "20", "12", "0", "112"]


def test_without_its_trend_the_dashboard_publishes_what_it_publishes_beside_it():
    """The dashboard counts only this round's row of the trend (the trend is a page of its
    own): protected with that row, positions hide what they hide beside the whole trend.
    Worked out by hand: this round's red total 9 and 'none' total 10 are hidden in the
    trend's row (yellow 3 is small; 9 is the cheapest cell of the row to hide with it,
    then a second loop), so in positions too; without the row, positions would show 9."""
    now, before = round_("Forår", RoundStatus.OPEN), round_("Efterår")
    joint = {1: [9, 2, 9, 4], 2: [2, 1, 0, 6]}
    assessed = {1: [0, 0, 24], 2: [0, 0, 9]}
    this = {"green": 11, "yellow": 3, "red": 9, "none": 10}
    earlier = {"green": 80, "yellow": 20, "red": 12, "none": 0}
    whole = by_key(
        figures(
            counts(
                joint, assessed, round=now, previous=before, trend=[(before, earlier), (now, this)]
            ),
            5,
            same,
        )
    )
    alone = by_key(
        figures(counts(joint, assessed, round=now, previous=before, trend=[(now, this)]), 5, same)
    )
    assert "trend" not in alone  # one round is no trend: not published
    assert whole["trend"].published()[2] == ["Forår", "11", "< 5", "skjult", "skjult", "33"]
    assert whole["positions"].published()[3] == ["I alt", "11", "< 5", "skjult", "skjult", "33"]
    for key, fig in alone.items():
        assert fig.published() == whole[key].published(), key
    # Without this round's row (and without a previous round, so no movement tied to the
    # positions either) the red total would be published: the row is needed.
    bare = by_key(figures(counts(joint, assessed, round=now), 5, same))
    assert bare["positions"].published()[3][3] == "9"
    # The movement's link to the positions holds the same equation of the column totals
    # (the children = the sum of the positions), so with a previous round it hides 9 too.
    moved = by_key(figures(counts(joint, assessed, round=now, previous=before), 5, same))
    assert moved["positions"].published()[3][3] == "skjult"


def test_a_median_of_too_few_paths_is_not_shown():
    c = counts(
        {1: [40, 10, 10, 0], 2: [50, 8, 10, 0]},
        {1: [0, 0, 60], 2: [0, 0, 68]},
        response={1: (6, [1, 2, 3, 4, 10], [5, 6, 7]), 2: (5, [2, 2, 2, 2, 2], [1, 1, 1, 1, 1])},
    )
    f = by_key(figures(c, 5, same))["response"]
    assert f.published()[1:] == [
        ["A", "6", "3", "–"],  # five talks (median 3), only three plans
        ["B", "5", "2", "1"],
        ["I alt", "11", "2", "1"],  # all ten talks: median of 1,2,2,2,2,2,2,3,4,10 = 2
    ]


def test_an_earlier_rounds_row_of_the_trend_publishes_what_its_own_dashboard_publishes():
    """Issue 13: the trend's row of an earlier round is that round's positions' column
    totals, so it carries that round's own protection. Worked out by hand (threshold 5):

    Round 1   G   Y   R  none |  T        Its dashboard: yellow 3 is small (cell and
      A       9   3  20    0  | 32        column total). The cheapest loop through both
      B      12   0   0    0  | 12        is A's green 9 and the green total 21 (9 + 21
      I alt  21   3  20    0  | 44        = 30 against 20 + 20 through red), so the
                                          totals publish  ×  < 5  20  0  44.

    Protected on its own as a row of the trend, the cheapest figure beside the 3 would be
    the red total 20, published on round 1's dashboard: 44 − 21 − 20 gives the 3 back."""
    first = round_("Efterår")
    first.id = 1
    now = round_("Forår", RoundStatus.OPEN)
    now.id = 2
    rows = [Row(1, "A"), Row(2, "B")]
    earlier = RoundCounts(
        first,
        None,
        rows,
        joint={
            1: {"green": 9, "yellow": 3, "red": 20, "none": 0},
            2: {"green": 12, "yellow": 0, "red": 0, "none": 0},
        },
        assessed={1: {0: 0, 1: 0, 2: 32}, 2: {0: 0, 1: 0, 2: 12}},
        movement={1: {}, 2: {}},
    )
    own = by_key(
        figures(
            counts(
                {1: [9, 3, 20, 0], 2: [12, 0, 0, 0]},
                {1: [0, 0, 32], 2: [0, 0, 12]},
                round=first,
            ),
            5,
            same,
        )
    )
    assert own["positions"].published()[3] == ["I alt", "skjult", "< 5", "20", "0", "44"]
    later = by_key(
        figures(
            counts(
                {1: [20, 10, 10, 0], 2: [15, 5, 5, 0]},
                {1: [0, 0, 40], 2: [0, 0, 25]},
                round=now,
                previous=first,
                trend=[
                    (first, {"green": 21, "yellow": 3, "red": 20, "none": 0}),
                    (now, {"green": 35, "yellow": 15, "red": 15, "none": 0}),
                ],
                earlier={1: earlier},
            ),
            5,
            same,
        )
    )
    trend = later["trend"].published()
    assert trend[1] == ["Efterår", "skjult", "< 5", "20", "0", "44"]
    assert trend[2] == ["Forår", "35", "15", "15", "0", "65"]
    # The row protected on its own (the trend before issue 13's fix) hid the red total.
    alone = protect(Table.of([[21, 3, 20, 0]], column_totals=False), 5)
    assert alone.row(0) == [21, None, None, 0, 44]


def test_the_movement_is_protected_together_with_the_positions_it_is_part_of():
    """Issue 13: the children who moved to green (a joint assessment in both rounds) are
    among the children now at green, so the movement bounds the positions from below.
    Worked out by hand (threshold 5), one institution:

      positions   G   Y   R  none |  T     yellow 1 is small; the cheapest loop through
      A          22   1   6    0  | 29     it is the green cell and total (22 + 22), so
                                           the positions publish  ×  < 5  6  0  29:
                                           green + yellow = 23, green 19 to 22.
      movement   G   Y   R | T
      from G    12   0   0 | 12            Published as it is (nothing small), its green
      from Y     5   0   0 |  5            column says 22 children came to green: green
      from R     5   0   6 | 11            is at least 22, so it is 22 and yellow is 1.
      I alt     22   0   6 | 28

    Linked (`tables._movement_link`), the movement hides green → green 12, the row total
    from green 12, the green column 22 and the total 28 (one unknown x = green → green;
    the rest x, x + 10, x + 16), and no published figure tells yellow 1 from yellow 2: the
    same municipality with green 21, yellow 2 and green → green 11 publishes the same."""
    now, before = round_("Forår", RoundStatus.OPEN), round_("Efterår")

    def publish(green: int, yellow: int, stayed: int):
        moved = {
            ("green", "green"): stayed,
            ("yellow", "green"): 5,
            ("red", "green"): 5,
            ("red", "red"): 6,
        }
        c = counts(
            {1: [green, yellow, 6, 0]},
            {1: [0, 0, 29]},
            round=now,
            previous=before,
            rows=[Row(1, "A")],
            movement={1: moved},
        )
        return by_key(figures(c, 5, same))

    figs = publish(22, 1, 12)
    assert figs["positions"].published()[1] == ["A", "skjult", "< 5", "6", "0", "29"]
    assert figs["movement"].published()[1:] == [
        ["Grøn", "skjult", "0", "0", "skjult"],
        ["Gul", "5", "0", "0", "5"],
        ["Rød", "5", "0", "6", "11"],
        ["I alt", "skjult", "0", "6", "skjult"],
    ]
    assert figs["movement_by_row"].published()[1][1] == "skjult"
    other = publish(21, 2, 11)
    for key, fig in figs.items():
        for place in fig.protected.table.positions():
            if place not in fig.protected.hidden:
                assert other[key].protected.table.value(place) == fig.protected.table.value(
                    place
                ), (key, place)
    assert recoverable([f.protected for f in figs.values()], [f.links for f in figs.values()]) == []
