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
        (date(2026, 12, 30), 5, date(2027, 1, 8)),  # 31 Dec and 1 Jan are closed
    ],
)
def test_working_days(start, n, expected):
    assert rules.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 4, 1), 1, date(2026, 4, 7)),  # skærtorsdag, langfredag, 2. påskedag
        (date(2026, 4, 2), 0, date(2026, 4, 7)),  # same day, but skærtorsdag
        (date(2026, 5, 13), 1, date(2026, 5, 15)),  # Kristi himmelfartsdag
        (date(2026, 5, 22), 1, date(2026, 5, 26)),  # 2. pinsedag
        (date(2026, 6, 4), 1, date(2026, 6, 8)),  # grundlovsdag (a Friday)
        (date(2026, 12, 23), 1, date(2026, 12, 28)),  # juleaftensdag, juledag, 2. juledag
        (date(2027, 3, 24), 1, date(2027, 3, 30)),  # påske moves every year
        (date(2026, 4, 30), 1, date(2026, 5, 1)),  # 1 May: municipal offices are open
    ],
)
def test_working_days_skip_danish_public_holidays(start, n, expected):
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


def test_which_record_completes_which_step():
    red = {s.key: s for s in TEMPLATES.for_position("red").steps}
    yellow = {s.key: s for s in TEMPLATES.for_position("yellow").steps}
    assert rules.completed_by(red["action_plan"], "plan_saved")
    assert not rules.completed_by(red["cross_meeting"], "plan_saved")
    assert rules.completed_by(red["cross_meeting"], "meeting_held", "cross_disciplinary")
    assert not rules.completed_by(red["cross_meeting"], "meeting_held", "parent_talk")
    assert rules.completed_by(yellow["parent_talk"], "meeting_held", "parent_talk")
    assert rules.completed_by(red["follow_up"], "follow_up_recorded")
    assert not rules.completed_by(red["notify_assessment"], "follow_up_recorded")
    assert not rules.completed_by(yellow["analysis"], "plan_saved")
    untyped = rules.StepTemplate(
        "m", "meeting", "Møde", "Meeting", rules.Deadline(1, "days"), "leader", True
    )
    assert rules.completed_by(untyped, "meeting_held", "network")  # no kinds named: any
    with pytest.raises(ValueError, match="unknown record"):
        rules.completed_by(untyped, "coffee")


def test_the_leader_step_is_done_at_opening_only_when_a_leader_decided():
    leader_step = TEMPLATES.step("leader_informed")
    assert rules.done_at_opening(leader_step, decided_by_leader=True)
    assert not rules.done_at_opening(leader_step, decided_by_leader=False)
    assert not rules.done_at_opening(TEMPLATES.step("analysis"), decided_by_leader=True)
    assert TEMPLATES.step("final_follow_up").kind == "follow_up"
    assert TEMPLATES.step("nope") is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"meeting_kinds": ["coffee"]}, "meeting_kinds"),
        ({"meeting_kinds": "parent_talk"}, "meeting_kinds"),
        ({"kind": "step", "meeting_kinds": ["parent_talk"]}, "only a meeting step"),
        ({"done_when": "someday"}, "unknown condition"),
    ],
)
def test_step_bookkeeping_fields_are_validated(change, problem):
    doc = yaml.safe_load(rules.DATA_FILE.read_text(encoding="utf-8"))
    doc["paths"]["yellow"]["steps"][1].update(change)
    with pytest.raises(rules.TemplateError, match=problem):
        rules.load_templates(doc)


def test_the_shipped_templates_bring_in_the_consultants_from_level_3():
    assert rules.load_templates().consultant_levels == frozenset({3, 4, 5})
    doc = _doc()
    for level in doc["escalation_levels"]:
        level.pop("consultants", None)
    assert rules.load_templates(doc).consultant_levels == frozenset()
