"""Rule sets: the shipped ones, and precise errors for invalid ones."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from screening.classifier import (
    Instrument,
    Position,
    RuleSet,
    RuleSetError,
    load_default_ruleset,
    load_ruleset,
    load_rulesets,
)
from screening.classifier._load import DATA_DIR


def test_shipped_rule_sets(rulesets: dict[str, RuleSet]) -> None:
    assert set(rulesets) == {"default", "example-strict", "example-basic"}
    default = rulesets["default"]
    assert (default.key, default.version) == ("default", 2)
    assert [r.id for r in default.rules][:2] == ["red-statement", "yellow-statement"]
    assert (default.joint_method, default.joint_min_shared) == ("most_concerned", 2)
    assert default.action_path_for("yellow") == "yellow"
    assert default.action_path_for(Position.GREEN) is None
    assert rulesets["example-basic"].joint_method == "most_concerned"
    assert rulesets["example-basic"].professions_for(["motor", "family"]) == (
        "physiotherapist",
        "social_worker",
    )
    assert default.professions_for(["family", "motor", "language"]) == (
        "speech_therapist",
        "physiotherapist",
        "occupational_therapist",
        "social_worker",
    )


def test_load_default_ruleset(instruments: dict[str, Instrument]) -> None:
    rs = load_default_ruleset("example-strict", instruments=list(instruments.values()))
    assert rs.key == "example-strict"
    with pytest.raises(RuleSetError, match="no shipped rule set 'nope'"):
        load_default_ruleset("nope")


def base() -> dict[str, Any]:
    return {
        "key": "test",
        "version": 3,
        "title": {"da": "Test", "en": "Test"},
        "rules": [
            {"id": "red", "type": "statements", "position": "red", "then": "red"},
            {"id": "yellow", "type": "statements", "position": "yellow", "then": "yellow"},
            {"id": "bands", "type": "score_band", "scope": "areas"},
        ],
    }


def rule(**fields: Any) -> dict[str, Any]:
    doc = base()
    doc["rules"].append({"id": "extra", **fields})
    return doc


def check(doc: dict[str, Any], instruments: dict[str, Instrument]) -> RuleSet:
    return load_ruleset(doc, instruments=list(instruments.values()))


def test_base_document_is_valid(instruments: dict[str, Instrument]) -> None:
    rs = check(base(), instruments)
    assert rs.version == 3
    for inst in instruments.values():
        rs.check_against(inst)


BAD_RULESETS = [
    ({**base(), "colour": "x"}, "colour: unknown key 'colour'"),
    ({**base(), "version": "1"}, "version: must be an integer, got a string ('1')"),
    ({**base(), "rules": []}, "rules: must not be empty"),
    (
        {**base(), "joint": {"method": "majority"}},
        "joint.method: must be one of shared, most_concerned",
    ),
    (
        {**base(), "joint": {"method": "most_concerned", "min_shared": 2}},
        "joint.min_shared: only the 'shared' method uses min_shared",
    ),
    (
        {**base(), "joint": {"method": "shared", "min_shared": 1}},
        "joint.min_shared: must be at least 2",
    ),
    ({**base(), "action_paths": {"purple": "x"}}, "action_paths.purple: unknown key 'purple'"),
    (
        {**base(), "professions": {"language": ["logopede"]}},
        "professions.language[0]: must be one of psychologist",
    ),
    ({**base(), "professions": {"mood": []}}, "professions.mood: unknown key 'mood'"),
    (
        rule(type="statements", then="red", position="red", min_areas="2"),
        "rules[3].min_areas: must be an integer",
    ),
    (rule(type="statement", then="red"), "rules[3].type: must be one of statements, score_band"),
    (
        rule(type="statements", position="yellow", then="red", min_area=2),
        "rules[3].min_area: unknown key 'min_area'",
    ),
    (
        rule(type="statements", position="yellow"),
        "rules[3]: the rule has no effect: give 'then', 'raise' or 'flag'",
    ),
    (
        rule(type="statements", position="yellow", then="green"),
        "rules[3].then: 'then: green' can never change a position",
    ),
    (rule(type="statements", position="yellow", then="red", raise_=1), "unknown key 'raise_'"),
    (
        rule(type="statements", position="yellow", then="red", **{"raise": 1}),
        "rules[3]: use either 'then' or 'raise', not both",
    ),
    (
        rule(type="statements", position="green", then="yellow"),
        "rules[3].position: green statements describe resources",
    ),
    (
        rule(type="statements", position="yellow", items=["emo-y1"], then="red"),
        "rules[3].items: a rule that names items must also name its 'instruments'",
    ),
    (
        rule(type="score_band", scope="total", areas=["social"]),
        "rules[3].areas: 'areas' only applies with scope: areas",
    ),
    (
        rule(type="observations", source="school", then="yellow"),
        "rules[3].source: unknown observation source 'school'",
    ),
    (
        rule(type="observations", categories=["untreated_caries"], then="yellow"),
        "rules[3].categories: categories need a 'source'",
    ),
    (
        rule(type="observations", source="dental", categories=["caries"], then="yellow"),
        "rules[3].categories[0]: unknown category 'caries' for source 'dental'",
    ),
    (
        rule(type="observations", min_level=4, then="yellow"),
        "rules[3].min_level: can never fire: the highest level is 3",
    ),
    (
        rule(type="observations", source="dental", min_sources=2, then="red"),
        "rules[3].min_sources: can never fire: it needs 2 sources but only 1 can match",
    ),
    (
        rule(type="observations", source="dental", domains=["language"], then="red"),
        "rules[3]: can never fire: no observation category matches",
    ),
    (
        rule(type="observations", within_days=0, then="yellow"),
        "rules[3].within_days: must be at least 1",
    ),
    (rule(type="vulnerability"), "rules[3].matrix: missing: a vulnerability rule needs a matrix"),
    (
        rule(type="vulnerability", matrix={"clearly": {"green": "green", "yellow": "yellow"}}),
        "rules[3].matrix.clearly: missing required key 'red'",
    ),
    (
        rule(
            type="vulnerability",
            matrix={"clearly": {"green": "yellow", "yellow": "green", "red": "red"}},
        ),
        "rules[3].matrix.clearly.yellow: would lower yellow to green",
    ),
    (
        rule(
            type="vulnerability",
            matrix={
                "clearly": {"green": "red", "yellow": "red", "red": "red"},
                "potentially": {"green": "yellow", "yellow": "red", "red": "red"},
                "not": {"green": "yellow", "yellow": "yellow", "red": "red"},
            },
        ),
        None,
    ),  # valid: monotone in both directions
    (
        rule(
            type="vulnerability",
            matrix={
                "potentially": {"green": "yellow", "yellow": "yellow", "red": "red"},
                "clearly": {"green": "green", "yellow": "red", "red": "red"},
            },
        ),
        "rules[3].matrix.clearly.green: a more vulnerable position must not give a greener result",
    ),
    (
        rule(
            type="vulnerability",
            matrix={"not": {"green": "green", "yellow": "yellow", "red": "red"}},
        ),
        "rules[3].matrix: can never fire: the matrix never changes a position",
    ),
    (
        rule(type="history", min_position="green", flag="escalate"),
        "rules[3].min_position: must be yellow or red",
    ),
    (rule(type="history", rounds=1, flag="escalate"), "rules[3].rounds: must be at least 2"),
    (rule(type="history", flag="Escalate!"), "rules[3].flag: must be a key"),
    (
        {**base(), "rules": [*base()["rules"], {"id": "red", "type": "history", "flag": "x"}]},
        "rules[3].id: duplicate rule id 'red' (first at rules[0])",
    ),
]


@pytest.mark.parametrize(("doc", "message"), BAD_RULESETS)
def test_invalid_rule_sets_fail_with_precise_errors(
    doc: dict[str, Any], message: str | None, instruments: dict[str, Instrument]
) -> None:
    doc = copy.deepcopy(doc)
    if message is None:
        check(doc, instruments)
        return
    with pytest.raises(RuleSetError) as exc:
        check(doc, instruments)
    assert message in str(exc.value)
    assert str(exc.value).startswith("<rule set mapping>: ")


INSTRUMENT_ERRORS = [
    (
        rule(type="statements", position="yellow", areas=["mood"], then="red"),
        "rules[3].areas[0]: unknown area 'mood' (areas: emotional, cognitive, social, physical) "
        "for instrument topi-0-1 v1",
    ),
    (
        rule(
            type="statements",
            position="yellow",
            items=["emo-x"],
            then="red",
            instruments=["topi-3-6"],
        ),
        "rules[3].items[0]: unknown item 'emo-x' for instrument topi-3-6 v1",
    ),
    (
        rule(
            type="statements",
            position="yellow",
            items=["emo-r1"],
            then="red",
            instruments=["topi-3-6"],
        ),
        "rules[3].items[0]: rule 'extra' can never count item 'emo-r1': it is a red statement",
    ),
    (
        rule(type="statements", position="yellow", min_areas=5, then="red"),
        "rules[3]: rule 'extra' can never fire: it needs yellow statements in 5 areas but only 4 "
        "area(s) have matching statements for instrument topi-0-1 v1",
    ),
    (
        rule(type="statements", position="red", areas=["social"], min_count=4, then="red"),
        "rules[3]: rule 'extra' can never fire: it needs 4 red statements but only 2 can match "
        "for instrument topi-0-1 v1",
    ),
    (
        rule(type="score_band", scope="areas", areas=["social", "family"]),
        "rules[3].areas[1]: unknown area 'family' for instrument rating-3-6 v2",
    ),
    (
        rule(type="statements", position="yellow", then="red", instruments=["topi-9-9"]),
        "rules[3].instruments: unknown instrument 'topi-9-9'",
    ),
    (
        rule(type="statements", position="yellow", then="red", instruments=["rating-3-6"]),
        "rules[3]: rule 'extra' can never fire: it applies to none of the given instruments "
        "(statements rules need indicator instruments)",
    ),
    (
        {**base(), "instruments": ["topi-3-6", "school-form"]},
        "instruments: unknown instrument 'school-form'",
    ),
    (
        {
            **base(),
            "band_overrides": {
                "rating-3-6": {
                    "direction": "higher_is_better",
                    "areas": {
                        "social": [
                            {"position": "red", "min": 5, "max": 10},
                            {"position": "green", "min": 12, "max": 25},
                        ]
                    },
                }
            },
        },
        "band_overrides.rating-3-6.areas.social: no band covers scores 11–11 for instrument "
        "rating-3-6 v2",
    ),
    (
        {
            **base(),
            "band_overrides": {
                "rating-3-6": {"total": [{"position": "red", "min": 0, "max": 100}]}
            },
        },
        "band_overrides.rating-3-6.total: missing 'direction'",
    ),
    (
        {**base(), "band_overrides": {"topi-3-6": {"total": []}}},
        "band_overrides.topi-3-6: bands only apply to score instruments",
    ),
    (
        {**base(), "band_overrides": {"school-form": {"total": []}}},
        "band_overrides.school-form: unknown instrument 'school-form'",
    ),
]


@pytest.mark.parametrize(("doc", "message"), INSTRUMENT_ERRORS)
def test_rule_sets_are_checked_against_instruments(
    doc: dict[str, Any], message: str, instruments: dict[str, Instrument]
) -> None:
    load_ruleset(copy.deepcopy(doc))  # structurally fine on its own
    with pytest.raises(RuleSetError) as exc:
        check(copy.deepcopy(doc), instruments)
    assert message in str(exc.value)


def test_score_band_rule_that_can_never_fire(instruments: dict[str, Instrument]) -> None:
    green_only = {
        "direction": "higher_is_better",
        "total": [{"position": "green", "min": 20, "max": 100}],
    }
    doc = {
        **base(),
        "rules": [*base()["rules"], {"id": "total", "type": "score_band", "scope": "total"}],
        "band_overrides": {"rating-3-6": green_only},
    }
    with pytest.raises(
        RuleSetError, match=r"rules\[3\]: rule 'total' can never fire: every band is green"
    ):
        check(doc, instruments)


def test_check_against_an_instrument_outside_the_rule_set(
    instruments: dict[str, Instrument],
) -> None:
    rs = load_ruleset({**base(), "instruments": ["topi-3-6"]})
    rs.check_against(instruments["topi-3-6"])
    with pytest.raises(RuleSetError, match="does not apply for instrument topi-0-1 v1"):
        rs.check_against(instruments["topi-0-1"])


def test_rule_set_files(tmp_path: Path, instruments: dict[str, Instrument]) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(base()), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(base()), encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"b\.yaml: rule set key 'test' is also used in"):
        load_rulesets(tmp_path)
    (tmp_path / "b.yaml").write_text("key: test\nrules: [\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"b\.yaml: invalid YAML: line 3"):
        load_ruleset(tmp_path / "b.yaml")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RuleSetError, match="no rule-set files"):
        load_rulesets(empty)


def _default_rules() -> dict[str, Any]:
    return yaml.safe_load((DATA_DIR / "rules" / "default.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (
            lambda d: d["rules"].append(
                {"id": "g", "type": "statements", "position": "yellow", "then": "green"}
            ),
            "can never change a position",
        ),
        (
            lambda d: d["rules"].append(
                {
                    "id": "n",
                    "type": "statements",
                    "position": "yellow",
                    "min_areas": 9,
                    "then": "red",
                }
            ),
            "can never fire",
        ),
        (
            lambda d: d["rules"].append(
                {"id": "x", "type": "statements", "position": "purple", "then": "red"}
            ),
            "purple",
        ),
        (lambda d: d["rules"].append(dict(d["rules"][0])), "duplicate rule id"),
        (
            lambda d: d.update(
                band_overrides={
                    "rating-3-6": {"direction": "higher_is_better", "areas": {"no-area": []}}
                }
            ),
            "no-area",
        ),
        (
            lambda d: d.update(
                band_overrides={
                    "rating-3-6": {
                        "direction": "higher_is_better",
                        "areas": {
                            "emotional": [
                                {"position": "red", "min": 5, "max": 14},
                                {"position": "yellow", "min": 13, "max": 16},
                                {"position": "green", "min": 17, "max": 25},
                            ]
                        },
                    }
                }
            ),
            "overlap",
        ),
        (
            lambda d: d.update(
                band_overrides={
                    "rating-3-6": {
                        "direction": "higher_is_better",
                        "areas": {
                            "emotional": [
                                {"position": "red", "min": 5, "max": 10},
                                {"position": "yellow", "min": 13, "max": 16},
                                {"position": "green", "min": 17, "max": 25},
                            ]
                        },
                    }
                }
            ),
            "no band covers scores 11–12",
        ),
    ],
)
def test_bad_rule_sets_are_refused_with_precise_errors(
    change: Any, fragment: str, instruments: dict[str, Instrument]
) -> None:
    """Small mistakes in the shipped default rule set, each refused with a precise error."""
    doc = copy.deepcopy(_default_rules())
    change(doc)
    with pytest.raises(RuleSetError) as info:
        load_ruleset(doc, instruments=list(instruments.values()))
    assert fragment in str(info.value).lower()
