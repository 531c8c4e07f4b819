"""Golden cases: hand-written answers -> expected position and reason ids (golden_cases.yaml)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from screening.classifier import Instrument, Observation, RuleSet, classify

AS_OF = date(2026, 11, 23)
CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "golden_cases.yaml").read_text(encoding="utf-8")
)


def _observation(text: str) -> Observation:
    source, category, level, day = text.split("/")
    return Observation(source, category, int(level), date.fromisoformat(day))


def _answers(case: dict[str, Any], inst: Instrument, make_ratings: Any) -> dict[str, Any]:
    if inst.kind == "score":
        spec = dict(case["ratings"])
        return make_ratings(inst, spec.pop("default"), spec)
    for key in [*case["ticks"], *case.get("texts", {})]:
        assert inst.has_item(key), f"{case['id']}: {key} is not in {inst.key}"
    return {**dict.fromkeys(case["ticks"], True), **case.get("texts", {})}


COLUMNS = {"id", "rules", "inst", "ticks", "texts", "ratings", "obs", "history", "vuln",
           "expect", "reasons", "flags", "prof", "wellbeing", "path", "note"}  # fmt: skip


def test_the_table_has_at_least_30_distinct_cases() -> None:
    for case in CASES:
        assert set(case) <= COLUMNS, f"{case['id']}: unknown column {set(case) - COLUMNS}"
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)
    assert {c["expect"] for c in CASES} == {"green", "yellow", "red"}
    assert {c["rules"] for c in CASES} == {"default", "example-strict", "example-basic"}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_golden_case(
    case: dict[str, Any],
    instruments: dict[str, Instrument],
    rulesets: dict[str, RuleSet],
    ratings: Any,
) -> None:
    inst = instruments[case["inst"]]
    result = classify(
        inst,
        rulesets[case["rules"]],
        _answers(case, inst, ratings),
        observations=[_observation(o) for o in case.get("obs", ())],
        history=case.get("history", ()),
        vulnerability=case.get("vuln"),
        as_of=AS_OF,
    )
    assert result.position == case["expect"]
    assert list(result.rule_ids) == case["reasons"]
    shipped = {"default": 2}.get(case["rules"], 1)  # default v2: joint "most_concerned"
    assert (result.ruleset_key, result.ruleset_version) == (case["rules"], shipped)
    assert list(result.flags) == case.get("flags", [])
    if "prof" in case:
        assert list(result.professions) == case["prof"]
    if "wellbeing" in case:
        assert result.wellbeing_position == case["wellbeing"]
    if "path" in case:
        assert result.action_path_key == case["path"]
    # Every reason reads as a sentence in both languages.
    for reason in result.reasons:
        assert reason.text_da.endswith(".")
        assert reason.text_en.endswith(".")
