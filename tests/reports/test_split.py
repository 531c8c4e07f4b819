"""Text that crosses a page boundary: every flowable we write splits at any point."""

from __future__ import annotations

from datetime import date

import pytest

from reports.data import PlanAction, TimelineEntry

from . import samples as s
from .docs import builders, flat, text_of

GOALS = "\n".join(f"Mål {i}: Alma hilser på en voksen" for i in range(1, 31))
CONCERN = ("Alma trækker sig fra legen og er ofte ked af det om morgenen. " * 70)[:4000]
NO_SPACES = "ø" * 3000


def assert_all_there(pdf: bytes, *texts: str) -> None:
    got = flat(text_of(pdf))
    for t in texts:
        assert flat(t) in got, t[:40]


def test_plan_with_thirty_short_goal_lines():
    pdf = builders()["action_plan"](s.plan(goals=GOALS))
    got = flat(text_of(pdf))
    for i in range(1, 31):
        assert f"Mål {i}: Alma hilser på en voksen" in got


def test_plan_with_a_4000_character_concern():
    assert_all_there(builders()["action_plan"](s.plan(concerns=CONCERN)), CONCERN)


@pytest.mark.parametrize("chars", [500, 4000, 12000])
def test_plan_texts_of_any_length_in_every_field(chars):
    long = ("Lang tekst med æøå og mange ord. " * 400)[:chars]
    plan = s.plan(
        resources=long,
        concerns=long,
        goals=GOALS,
        parents_perspective=long,
        child_perspective=long,
        actions=(PlanAction(long, "Hanne Holm", date(2026, 12, 1)),) * 3,
    )
    assert_all_there(builders()["action_plan"](plan), long, GOALS)


def test_a_table_cell_taller_than_a_page_splits():
    long = "\n".join(f"Linje {i} i en meget lang handling" for i in range(1, 121))
    plan = s.plan(actions=(PlanAction(long, "Hanne Holm", None),))
    got = text_of(builders()["action_plan"](plan)).split("\n")
    # Every line once, in order (the table's header row repeats on each new page).
    lines = [line for line in got if line.startswith("Linje ")]
    assert lines == long.split("\n")


def test_a_word_longer_than_its_column_is_broken_not_lost():
    pdf = builders()["action_plan"](s.plan(goals=NO_SPACES))
    assert NO_SPACES in text_of(pdf).replace("\n", "")


def test_letters_with_long_texts():
    b = builders()
    m = s.meeting(purpose=CONCERN, agenda=GOALS)
    assert_all_there(b["guardian_letter"](m), CONCERN, GOALS)
    pro = s.professional(concern_summary=CONCERN, basis=CONCERN)
    assert_all_there(b["professional_letter"](m, None, pro), CONCERN, GOALS)
    assert_all_there(b["invitations"]([(m, s.CHILD, s.guardian()), (m, s.CHILD, pro)]), CONCERN)


def test_parents_copy_with_long_entries():
    entry = TimelineEntry(date(2026, 11, 2), "Trivselsvurdering", CONCERN * 2 + GOALS)
    data = s.parents_copy(
        assessments=[entry] * 3,
        positions=[("Efterår 2026", "red", CONCERN)],
        plans=[s.plan(concerns=CONCERN, goals=GOALS)],
    )
    assert_all_there(builders()["parents_copy"](data), CONCERN, GOALS)


def test_combined_plans_with_long_texts():
    plans = [s.plan(concerns=CONCERN, goals=GOALS)] * 3
    assert_all_there(builders()["action_plans"](plans), CONCERN, GOALS)
