"""The municipal overview PDF (no names) protects its small counts like the dashboard: the
municipality's threshold, and a second count hidden where children = assessed + missing
would give a small one back. Hand-worked cases."""

from __future__ import annotations

from reports.data import GroupRow, MunicipalOverviewData
from reports.overviews import municipal_overview
from screening.documents.overviews import progress_hidden
from tests.reports.docs import text_of
from tests.reports.samples import letterhead


def test_a_small_missing_count_hides_the_assessed_count_beside_it():
    # 20 assessed + 3 missing = 23 children: 3 is small; 23 - 20 would give it back, so
    # one more goes: 20 (at least 2 × 5 - 1 = 9, and smaller than 23).
    assert progress_hidden(20, 23, 5) == {"assessed"}
    # 2 assessed of 30: 30 - 28 = 2, so 28 (smaller than 30) goes.
    assert progress_hidden(2, 30, 5) == {"missing"}
    # Nothing small: nothing hidden. Everything small: every one is hidden as small.
    assert progress_hidden(20, 20, 5) == frozenset()
    assert progress_hidden(3, 4, 5) == frozenset()
    # The threshold is the municipality's, never below 3.
    assert progress_hidden(20, 26, 8) == {"assessed"}
    assert progress_hidden(20, 22, 3) == {"assessed"}  # 2 < 3
    assert progress_hidden(20, 22, 1) == {"assessed"}  # a threshold of 1 counts as 3


def test_the_pdf_prints_small_counts_and_the_counts_hidden_beside_them():
    row = GroupRow(
        group="Børnehuset Mælkebøtten",
        children=23,
        by_position={"green": 12, "yellow": 6, "red": 2},
        assessed=20,
        missing=3,
        open_paths=7,
        overdue_steps=0,
        hidden=progress_hidden(20, 23, 5),
    )
    data = MunicipalOverviewData("Efterår 2026", (row,), suppress_below=5)
    text = " ".join(text_of(municipal_overview(letterhead(), data)).split())
    assert "23 12 6 <5 skjult <5 7 0" in text
    assert "»skjult«" in text
