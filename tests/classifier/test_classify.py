"""classify(): answer validation, inputs, results and their texts."""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from screening.classifier import (
    AnswerError,
    Classification,
    Instrument,
    Observation,
    ObservationError,
    Position,
    Reason,
    RuleSet,
    RuleSetError,
    Vulnerability,
    classify,
    load_ruleset,
)

AS_OF = date(2026, 11, 23)


# --------------------------------------------------------------------------- answers


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"emo-x9": True}, "'emo-x9': unknown item (not in topi-3-6 v1)"),
        ({"emo-y1": "yes"}, "'emo-y1': a statement is answered true or false, got 'yes'"),
        ({"emo-y1": 2}, "'emo-y1': a statement is answered true or false, got 2"),
        ({"emo-y1": None}, "'emo-y1': a statement is answered true or false, got None"),
        ({"emo-y1": [True]}, "'emo-y1': a statement is answered true or false, got [True]"),
        ({"emo-note": 5}, "'emo-note': a text item is answered with a string, got 5"),
        ({"emo-note": True, "emo-y1": True}, "'emo-note': a text item is answered with a string"),
        ({1: True}, "1: unknown item"),
    ],
)
def test_invalid_statement_answers(
    topi: Instrument, default: RuleSet, answers: dict[Any, Any], message: str
) -> None:
    with pytest.raises(AnswerError) as exc:
        classify(topi, default, answers)
    assert str(exc.value) == f"answers for topi-3-6 v1: {message}" or message in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_statement_values(topi: Instrument, default: RuleSet) -> None:
    assert classify(topi, default, {"emo-y1": False}).position == "green"
    assert classify(topi, default, {"emo-y1": True, "emo-note": "Stille."}).position == "yellow"
    assert classify(topi, default, {"emo-y1": True, "emo-note": None}).position == "yellow"
    # 1 and 0 compare equal to True and False and are read as such.
    assert classify(topi, default, {"emo-y1": 1}).position == "yellow"
    assert classify(topi, default, {"emo-y1": 0}).position == "green"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"emo-1": 6}, "'emo-1': must be an integer rating from 1 to 5, got 6"),
        ({"emo-1": 0}, "'emo-1': must be an integer rating from 1 to 5, got 0"),
        ({"emo-1": 3.0}, "'emo-1': must be an integer rating from 1 to 5, got 3.0"),
        ({"emo-1": True}, "'emo-1': must be an integer rating from 1 to 5, got True"),
        ({"emo-1": "3"}, "'emo-1': must be an integer rating from 1 to 5, got '3'"),
        ({"emo-g1": True}, "'emo-g1': unknown item (not in rating-3-6 v2)"),
        ({"emo-note": ["x"]}, "'emo-note': a text item is answered with a string"),
    ],
)
def test_invalid_ratings(
    rating: Instrument, default: RuleSet, ratings: Any, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(AnswerError) as exc:
        classify(rating, default, {**ratings(rating), **change})
    assert message in str(exc.value)


def test_every_rating_is_required(rating: Instrument, default: RuleSet, ratings: Any) -> None:
    answers = ratings(rating)
    del answers["soc-2"], answers["phy-5"]
    with pytest.raises(AnswerError, match=r"missing ratings for 2 item\(s\): soc-2, phy-5"):
        classify(rating, default, answers)


def test_answers_must_be_a_mapping(topi: Instrument, default: RuleSet) -> None:
    with pytest.raises(AnswerError, match="answers must be a mapping, got list"):
        classify(topi, default, ["emo-y1"])  # type: ignore[arg-type]


def test_any_mapping_works(topi: Instrument, default: RuleSet) -> None:
    answers = OrderedDict([("soc-y1", True), ("emo-g2", True)])
    assert classify(topi, default, answers).rule_ids == ("yellow-statement",)


# --------------------------------------------------------------------------- other inputs


def test_observations_are_checked(topi: Instrument, default: RuleSet) -> None:
    with pytest.raises(ObservationError, match="unknown category 'teeth' for source 'dental'"):
        classify(topi, default, {}, [Observation("dental", "teeth", 2, AS_OF)])
    with pytest.raises(ObservationError, match="expected an Observation, got dict"):
        classify(topi, default, {}, [{"source": "dental"}])  # type: ignore[list-item]
    with pytest.raises(ObservationError, match="level must be 1, 2 or 3, got 4"):
        Observation("dental", "untreated_caries", 4, AS_OF)
    with pytest.raises(ObservationError, match="must be a date"):
        Observation("dental", "untreated_caries", 2, datetime(2026, 1, 1))  # type: ignore[arg-type]


def test_history_and_vulnerability_are_checked(topi: Instrument, default: RuleSet) -> None:
    with pytest.raises(
        ValueError, match="history entries must be green, yellow or red, got 'blue'"
    ):
        classify(topi, default, {}, history=["green", "blue"])
    with pytest.raises(ValueError, match="vulnerability must be not, potentially, clearly"):
        classify(topi, default, {}, vulnerability="maybe")
    result = classify(topi, default, {"emo-y1": True}, history=[Position.YELLOW],
                      vulnerability=Vulnerability.CLEARLY)  # fmt: skip
    assert result.position == "red"
    assert result.flags == ("escalate",)


def test_the_observation_window_needs_as_of(topi: Instrument, default: RuleSet) -> None:
    old = Observation("dental", "untreated_caries", 2, date(2024, 1, 1))
    future = Observation("dental", "untreated_caries", 2, date(2027, 1, 1))
    assert classify(topi, default, {}, [old]).position == "yellow"  # no as_of: all count
    assert classify(topi, default, {}, [old], as_of=AS_OF).position == "green"
    assert classify(topi, default, {}, [future], as_of=AS_OF).position == "green"
    edge = Observation("dental", "untreated_caries", 2, date(2025, 11, 23))  # 365 days before
    assert classify(topi, default, {}, [edge], as_of=AS_OF).position == "yellow"


def test_a_rule_set_only_for_other_instruments(topi: Instrument) -> None:
    rs = load_ruleset(
        {
            "key": "only-small",
            "version": 1,
            "title": {"da": "Små", "en": "Small"},
            "instruments": ["topi-0-1"],
            "rules": [{"id": "r", "type": "statements", "position": "red", "then": "red"}],
        }
    )
    with pytest.raises(RuleSetError, match="does not apply for instrument topi-3-6 v1"):
        classify(topi, rs, {})


# --------------------------------------------------------------------------- results


def test_result_records_its_provenance(topi: Instrument, default: RuleSet) -> None:
    result = classify(topi, default, {"cog-y1": True, "soc-r2": True})
    assert (result.ruleset_key, result.ruleset_version) == ("default", 2)
    assert (result.instrument_key, result.instrument_version) == ("topi-3-6", 1)
    assert result.action_path_key == "red"
    assert result.professions == ("psychologist", "speech_therapist")
    red = result.reasons[0]
    assert (red.rule_id, red.position, red.area, red.items) == (
        "red-statement",
        "red",
        "social",
        ("soc-r2",),
    )
    assert red.domains == ("behaviour",)


def test_reason_texts_name_area_and_statements(topi: Instrument, default: RuleSet) -> None:
    result = classify(topi, default, {"emo-y1": True, "emo-y3": True})
    (reason,) = result.reasons
    assert reason.items == ("emo-y1", "emo-y3")
    assert reason.text_da.startswith("Der er sat kryds ved 2 gule udsagn i området Psykisk og ")
    assert "»Barnet er ofte ked af det, bekymret eller utrygt«" in reason.text_da
    assert reason.text_da.endswith("Det giver mindst gul position.")
    assert reason.text_en.startswith("2 yellow statements are ticked in the area Psychological")
    assert "“The child finds transitions and changes in everyday life hard”" in reason.text_en
    assert reason.text_in("en") == reason.text_en


def test_reason_texts_for_other_rules(topi: Instrument, default: RuleSet) -> None:
    obs = [
        Observation("dental", "untreated_caries", 2, date(2026, 10, 1)),
        Observation("health_visitor", "home_environment", 2, date(2026, 9, 1)),
    ]
    result = classify(topi, default, {}, obs, ["yellow"], "clearly", as_of=AS_OF)
    texts = {r.rule_id: (r.text_da, r.text_en) for r in result.reasons}
    assert texts["dental-neglect"] == (
        "Tandplejen har registreret »Ubehandlet caries (huller i tænderne)« med "
        "bekymringsniveau 2 (01.10.2026). Det giver mindst gul position.",
        "The dental service recorded “Untreated caries (tooth decay)” with concern level 2 "
        "(2026-10-01). This gives at least a yellow position.",
    )
    assert "fra 2 kilder (Sundhedsplejen og Tandplejen)" in texts["several-sources"][0]
    assert texts["several-sources"][1].endswith(
        "This raises the position one step from yellow to red."
    )
    assert texts["vulnerable-position"][0] == (
        "Barnet er i en udsat position, og vurderingen er rød; positionen forbliver rød."
    )
    assert texts["persistent-concern"][1] == (
        "The position has been yellow or red for 2 consecutive rounds (yellow → red, the last "
        "being this round). Should be discussed at the next level of the action path."
    )
    assert result.professions == ("dental_service", "social_worker")


def test_score_reasons_name_area_score_and_answers(
    rating: Instrument, default: RuleSet, ratings: Any
) -> None:
    # social: 1 + 1 + 4 + 4 + (6 - 5) = 11 -> red; total 60 + 11 = 71 -> green
    result = classify(rating, default, ratings(rating, 4, {"soc-1": 1, "soc-2": 1, "soc-5": 5}))
    (reason,) = result.reasons
    assert reason.area == "social"
    assert reason.details == {"scope": "area", "score": 11, "band": [5, 12]}
    assert reason.items == ("soc-1", "soc-2", "soc-5")
    assert reason.text_da.startswith(
        "Området Social trivsel har scoren 11, som ligger i det røde interval (5–12)."
    )
    assert "»Barnet kommer ofte i konflikter, hvor det slår eller skubber«" in reason.text_da


def test_higher_is_worse_items_are_reverse_scored(
    rating: Instrument, default: RuleSet, ratings: Any
) -> None:
    best = ratings(rating, 5)
    assert best["emo-5"] == 1  # the worrying statement fits "not at all"
    assert classify(rating, default, best).position == "green"
    assert classify(rating, default, {**best, "emo-5": 5}).position == "green"  # 20 + 1
    worst = ratings(rating, 1)
    assert worst["emo-5"] == 5
    result = classify(rating, default, worst)
    assert result.position == "red"
    assert [r.details["score"] for r in result.reasons] == [5, 5, 5, 5, 20]


def test_green_results_without_reasons(topi: Instrument, default: RuleSet) -> None:
    result = classify(topi, default, {"emo-g1": True})
    assert result.position == "green"
    assert (result.reasons, result.professions, result.flags) == ((), (), ())
    assert result.action_path_key is None
    assert result.wellbeing_position == "green"


def test_to_dict_is_json_and_round_trips(topi: Instrument, default: RuleSet) -> None:
    obs = [Observation("dental", "missed_appointments", 3, date(2026, 11, 1))]
    result = classify(topi, default, {"phy-y4": True}, obs, ["yellow"], as_of=AS_OF)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["position"] == "yellow"
    assert data["flags"] == ["escalate"]
    assert data["reasons"][1]["observations"] == [
        {"source": "dental", "category": "missed_appointments", "level": 3,
         "observed_on": "2026-11-01"}
    ]  # fmt: skip
    again = Classification.from_dict(data)
    assert again == result
    assert again.to_dict() == result.to_dict()
    assert again.reasons[0].text_da == result.reasons[0].text_da
    assert Reason.from_dict(data["reasons"][0]) == result.reasons[0]


def test_results_are_immutable(topi: Instrument, default: RuleSet) -> None:
    result = classify(topi, default, {"emo-y1": True})
    with pytest.raises(AttributeError):
        result.position = Position.GREEN  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.reasons[0].position = Position.GREEN  # type: ignore[misc]


def test_repr_is_readable(topi: Instrument, default: RuleSet) -> None:
    result = classify(topi, default, {"emo-y1": True})
    assert repr(result) == (
        "Classification(yellow, reasons=['yellow-statement'], professions=['psychologist'], "
        "flags=[], ruleset=default v2)"
    )
    assert (
        repr(result.reasons[0]) == "Reason('yellow-statement', yellow, areas=('emotional',), "
        "items=('emo-y1',))"
    )


def test_compiled_plan_is_cached(topi: Instrument, default: RuleSet) -> None:
    plan = default.compile(topi)
    assert default.compile(topi) is plan
    assert plan.run({"emo-y1": True}, (), (), None, None) == classify(
        topi, default, {"emo-y1": True}
    )


# --------------------------------------------------------------------------- one behaviour each


def _obs(source: str, category: str, level: int, days_ago: int = 10) -> Observation:
    return Observation(source, category, level, AS_OF - timedelta(days=days_ago))


def test_reasons_name_their_cause_in_danish_and_english(topi: Instrument, default: RuleSet) -> None:
    result = classify(topi, default, {"soc-r1": True}, as_of=AS_OF)
    reason = next(r for r in result.reasons if r.rule_id == "red-statement")
    statement = topi.item("soc-r1").text
    assert statement.da.rstrip(".") in reason.text_da
    assert statement.en.rstrip(".") in reason.text_en
    assert reason.items == ("soc-r1",)
    dental = classify(topi, default, {}, [_obs("dental", "untreated_caries", 2)], as_of=AS_OF)
    assert "caries" in dental.reasons[0].text_da.lower()


def test_professions_follow_the_concern(topi: Instrument, default: RuleSet) -> None:
    def professions(answers: dict[str, Any], observations: Any = ()) -> set[str]:
        return set(classify(topi, default, answers, observations, as_of=AS_OF).professions)

    assert professions({"phy-y1": True}) == {"physiotherapist", "occupational_therapist"}
    assert professions({"cog-y1": True}) == {"speech_therapist"}
    assert professions({"emo-y1": True}) == {"psychologist"}
    assert professions({}, [_obs("dental", "untreated_caries", 2)]) == {"dental_service"}
    assert "social_worker" in set(
        classify(topi, default, {}, vulnerability="clearly", as_of=AS_OF).professions
    )


def test_action_path_key_and_round_trip(topi: Instrument, default: RuleSet) -> None:
    red = classify(topi, default, {"soc-r1": True}, as_of=AS_OF)
    assert red.action_path_key == "red"
    assert classify(topi, default, {}, as_of=AS_OF).action_path_key is None
    again = type(red).from_dict(red.to_dict())
    assert again.to_dict() == red.to_dict()


def test_answers_are_checked(topi: Instrument, rating: Instrument, default: RuleSet) -> None:
    with pytest.raises(AnswerError, match="no-such-item"):
        classify(topi, default, {"no-such-item": True})
    every_rating_5 = dict.fromkeys((i.key for i in rating.rated_items), 5)  # raw values
    with pytest.raises(AnswerError, match="emo-1"):
        classify(rating, default, {**every_rating_5, "emo-1": 9})
