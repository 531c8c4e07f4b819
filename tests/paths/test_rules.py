"""The pure action-path rules: due dates (working days), opening, escalating, closing,
and template validation."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from screening.paths import rules as rules

TEMPLATES = rules.load_templates()
MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 11, 25), 1, date(2026, 11, 26)),  # Wednesday → Thursday
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday → Monday
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # Saturday → Monday
        (date(2026, 11, 28), 0, date(2026, 11, 30)),  # same day, but a weekend → Monday
        (date(2026, 11, 25), 0, date(2026, 11, 25)),
        (date(2026, 11, 26), 3, date(2026, 12, 1)),  # Thursday + 3 → Tuesday
        (date(2026, 12, 31), 5, date(2027, 1, 7)),
    ],
)
def test_working_days(start, n, expected):
    assert rules.add_working_days(start, n) == expected


def test_yellow_opens_the_yellow_path_with_its_deadlines():
    d = rules.decide(TEMPLATES, "yellow", None, frozenset(), MONDAY)
    assert d.action == "open"
    due = {p.template.key: p.due_on for p in d.new_steps}
    assert due == {
        "analysis": date(2026, 12, 7),
        "parent_talk": date(2026, 12, 7),
        "action_plan": date(2026, 12, 14),
        "follow_up": date(2027, 1, 18),  # 8 weeks
    }


def test_red_opens_with_leader_today_and_notify_within_one_working_day():
    friday = date(2026, 11, 27)
    d = rules.decide(TEMPLATES, "red", None, frozenset(), friday)
    due = {p.template.key: p.due_on for p in d.new_steps}
    assert due["leader_informed"] == friday
    assert due["notify_assessment"] == date(2026, 11, 30)
    assert due["cross_meeting"] == date(2026, 12, 11)
    kinds = {p.template.key: p.template.kind for p in d.new_steps}
    assert kinds["notify_assessment"] == "notify"
    assert d.escalation_level == 4


def test_yellow_to_red_escalates_adding_only_missing_steps():
    existing = frozenset({"analysis", "parent_talk", "action_plan", "follow_up"})
    d = rules.decide(TEMPLATES, "red", "yellow", existing, MONDAY)
    assert d.action == "escalate"
    assert {p.template.key for p in d.new_steps} == {
        "leader_informed",
        "notify_assessment",
        "cross_meeting",
    }


def test_red_to_yellow_keeps_the_path_and_green_prepares_closing():
    assert rules.decide(TEMPLATES, "yellow", "red", frozenset({"x"}), MONDAY).action == "keep"
    d = rules.decide(TEMPLATES, "green", "yellow", frozenset({"analysis"}), MONDAY)
    assert d.action == "prepare_close"
    assert [p.template.key for p in d.new_steps] == ["final_follow_up"]
    assert rules.decide(TEMPLATES, "green", None, frozenset(), MONDAY).action == "none"


def test_repeating_follow_up():
    follow_up = next(s for s in TEMPLATES.for_position("red").steps if s.key == "follow_up")
    nxt = rules.next_repeat(follow_up, MONDAY)
    assert nxt.due_on == date(2026, 12, 21)


def _doc():
    return yaml.safe_load(rules.DATA_FILE.read_text())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["paths"]["red"]["steps"].pop(1), "must assess the duty to notify"),
        (
            lambda d: d["paths"]["yellow"]["steps"][0].update(responsible="janitor"),
            "paths.yellow.steps.0.responsible: unknown role 'janitor'",
        ),
        (
            lambda d: d["paths"]["yellow"]["steps"][0].update(deadline={"months": 1}),
            "paths.yellow.steps.0.deadline: unknown unit 'months'",
        ),
        (
            lambda d: d["paths"]["yellow"]["steps"][1].update(key="analysis"),
            "duplicate step key 'analysis'",
        ),
        (
            lambda d: d["paths"]["yellow"].update(escalation_level=9),
            "paths.yellow.escalation_level: unknown level 9",
        ),
        (lambda d: d.pop("version"), "version: missing"),
        (
            lambda d: d["escalation_levels"][2].update(consultants="ja"),
            "escalation_levels.2.consultants: must be true or false",
        ),
    ],
)
def test_invalid_templates_give_precise_errors(change, message):
    doc = _doc()
    change(doc)
    with pytest.raises(rules.TemplateError, match=message.replace("(", r"\(").replace(")", r"\)")):
        rules.load_templates(doc)


def test_the_shipped_templates_bring_in_the_consultants_from_level_3():
    assert rules.load_templates().consultant_levels == frozenset({3, 4, 5})
    doc = _doc()
    for level in doc["escalation_levels"]:
        level.pop("consultants", None)
    assert rules.load_templates(doc).consultant_levels == frozenset()
