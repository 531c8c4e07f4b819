"""Joint assessment suggestions and professional overrides."""

from __future__ import annotations

import json
from typing import Any

import pytest

from screening.classifier import (
    Instrument,
    OverrideError,
    Position,
    RuleSet,
    apply_override,
    classify,
    suggest_joint,
)

G, Y, R = "green", "yellow", "red"


@pytest.mark.parametrize(
    ("positions", "expected", "rule_id"),
    [
        ([G, G], G, "joint.shared"),
        ([Y, Y], Y, "joint.shared"),
        ([R, Y], Y, "joint.shared"),  # red shares yellow: both are at least yellow
        ([R, R, G], R, "joint.shared"),
        ([R, Y, G], Y, "joint.shared"),
        ([R, G], G, "joint.shared"),  # no yellow-or-worse position shared by two
        ([Y, G, G], G, "joint.shared"),
        ([R], R, "joint.too_few"),  # one assessment: the most concerned is used
    ],
)
def test_shared_method(default: RuleSet, positions: list[str], expected: str, rule_id: str) -> None:
    s = suggest_joint(positions, default, method="shared")
    assert s.position == expected
    assert s.reasons[0].rule_id == rule_id
    assert s.positions == tuple(Position(p) for p in positions)
    assert s.method == ("most_concerned" if rule_id == "joint.too_few" else "shared")


def test_most_concerned_method(rulesets: dict[str, RuleSet], default: RuleSet) -> None:
    s = suggest_joint([G, R, Y], rulesets["example-basic"])
    assert (s.position, s.method, s.reasons[0].rule_id) == (
        R,
        "most_concerned",
        "joint.most_concerned",
    )
    assert s.action_path_key == "bekymring"
    assert suggest_joint([G, R], default, method="most_concerned").position == R
    assert suggest_joint([R, Y, G], default, method="shared", min_shared=3).position == G


def test_joint_reasons_say_why(default: RuleSet) -> None:
    s = suggest_joint([R, Y, G], default, method="shared")
    assert s.reasons[0].text_da == (
        "2 af 3 vurderinger placerer barnet i gul eller rød position; det er den mest "
        "alvorlige position, som mindst 2 vurderinger peger på. Den mest alvorlige vurdering er "
        "rød (1 af 3)."
    )
    assert s.flags == ("disagreement",)
    assert s.reasons[1].rule_id == "joint.disagreement"
    assert "drøft forskellen" in s.reasons[1].text_da
    assert suggest_joint([G, G], default, method="shared").reasons[0].text_en == (
        "No yellow or red position is shared by at least 2 of the 2 assessments."
    )
    one = suggest_joint([Y], default, method="shared").reasons[0]
    assert one.text_en == (
        "There is only 1 assessment, fewer than the 2 needed to share a position; the most "
        "concerned position (yellow) is used."
    )


def test_joint_from_classifications_keeps_their_reasons(topi: Instrument, default: RuleSet) -> None:
    a = classify(topi, default, {"emo-y1": True, "cog-y1": True})
    b = classify(topi, default, {"emo-y1": True})
    c = classify(topi, default, {"soc-r1": True})
    s = suggest_joint([a, b.to_dict(), c], default, method="shared")
    assert s.position == Y
    # The joint reason, then the yellow assessments' reasons without duplicates.
    assert [r.rule_id for r in s.reasons] == [
        "joint.shared",
        "yellow-statement",
        "yellow-statement",
    ]
    assert [r.items for r in s.reasons[1:]] == [("emo-y1",), ("cog-y1",)]
    assert s.professions == ("psychologist", "speech_therapist")
    json.dumps(s.to_dict())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([],), "needs at least one assessment"),
        (([G],), None),
        ((["purple"],), "not a position"),
    ],
)
def test_joint_input_errors(default: RuleSet, args: tuple[Any, ...], message: str | None) -> None:
    if message is None:
        assert suggest_joint(*args, default).position == G
        return
    with pytest.raises(ValueError, match=message):
        suggest_joint(*args, default)


def test_joint_option_errors(default: RuleSet) -> None:
    with pytest.raises(ValueError, match="unknown joint method 'vote'"):
        suggest_joint([G], default, method="vote")
    with pytest.raises(ValueError, match="min_shared must be at least 2"):
        suggest_joint([G], default, min_shared=1)


def test_override_keeps_both_positions(default: RuleSet) -> None:
    s = suggest_joint([Y, Y], default)
    same = apply_override(s, "yellow")
    assert (same.overridden, same.reason, same.position) == (False, "", Y)
    changed = apply_override(s, Position.RED, "  Forældrene fortalte om  vold i hjemmet. ")
    assert changed.overridden
    assert (changed.suggested, changed.position) == (Y, R)
    assert changed.reason == "Forældrene fortalte om vold i hjemmet."
    data = json.loads(json.dumps(changed.to_dict()))
    assert data["suggested_position"] == "yellow"
    assert data["position"] == "red"
    assert data["suggestion"]["method"] == "most_concerned"


@pytest.mark.parametrize("reason", [None, "", "   \n\t"])
def test_override_needs_a_reason(default: RuleSet, reason: str | None) -> None:
    with pytest.raises(
        OverrideError, match="a reason is required to choose green instead of the suggested red"
    ):
        apply_override(suggest_joint([R, R], default), G, reason)
    with pytest.raises(ValueError, match="a reason is required"):
        apply_override("yellow", "red", reason)


def test_override_of_a_single_classification(topi: Instrument, default: RuleSet) -> None:
    c = classify(topi, default, {"emo-y1": True})
    o = apply_override(c, "green", "Udsagnet blev sat ved en fejl.")
    assert o.suggestion is c
    assert o.to_dict()["suggestion"]["reasons"][0]["rule_id"] == "yellow-statement"
    with pytest.raises(OverrideError, match="the reason must be text"):
        apply_override(c, "green", 42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rules", "positions", "expected"),
    [
        ("default", [Y, G], Y),  # a concern is never dropped: the most concerned
        ("example-basic", [Y, G], Y),  # the basic variant takes the most concerned
    ],
)
def test_joint_suggestion(
    rulesets: dict[str, RuleSet], rules: str, positions: list[str], expected: str
) -> None:
    suggestion = suggest_joint(positions, rulesets[rules])
    assert suggestion.position == expected
    assert suggestion.reasons


def test_override_needs_a_reason_and_keeps_both(default: RuleSet) -> None:
    suggestion = suggest_joint([G, G], default)
    with pytest.raises(OverrideError):
        apply_override(suggestion, Y, "  ")
    override = apply_override(suggestion, Y, "Set over flere uger")
    assert (override.suggested.value, override.position.value) == (G, Y)
    assert override.overridden
    assert not apply_override(suggestion, G).overridden
