"""The classifier on its own: golden cases written by hand (read the table), properties
checked with Hypothesis, and precise errors for bad rule sets and bad answers."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.catalogue.services import DATA_DIR
from screening.classifier import (
    AnswerError,
    Observation,
    OverrideError,
    Position,
    RuleSetError,
    apply_override,
    classify,
    load_default_ruleset,
    load_instruments,
    load_ruleset,
    suggest_joint,
)

INSTRUMENTS = {i.key: i for i in load_instruments()}
RULESETS = {
    k: load_default_ruleset(k, instruments=list(INSTRUMENTS.values()))
    for k in ("default", "example-strict", "example-basic")
}
TOPI = INSTRUMENTS["topi-3-6"]
RATING = INSTRUMENTS["rating-3-6"]
DAY = date(2026, 11, 23)
SEVERITY = {"green": 0, "yellow": 1, "red": 2}


def obs(source, category, level, days_ago=10):
    return Observation(source, category, level, DAY - timedelta(days=days_ago))


def ratings(value, **overrides):
    """Every rated item of the 1–5 instrument at `value`, some overridden (emo_1=3, ...)."""
    answers = {i.key: value for i in RATING.items if i.kind == "rated"}
    answers.update({k.replace("_", "-"): v for k, v in overrides.items()})
    return answers


T, S, B = "default", "example-strict", "example-basic"
Y, R = Position.YELLOW, Position.RED

# id, rule set, instrument, answers, observations, history, vulnerability → position, rule ids
GOLDEN = [
    ("nothing ticked", T, TOPI, {}, [], [], None, "green", set()),
    (
        "only green statements",
        T,
        TOPI,
        {"emo-g1": True, "soc-g2": True},
        [],
        [],
        None,
        "green",
        set(),
    ),
    ("a note is never scored", T, TOPI, {"emo-note": "Glad i dag"}, [], [], None, "green", set()),
    (
        "one yellow statement",
        T,
        TOPI,
        {"emo-y1": True},
        [],
        [],
        None,
        "yellow",
        {"yellow-statement"},
    ),
    (
        "yellow in two areas, default",
        T,
        TOPI,
        {"emo-y1": True, "soc-y1": True},
        [],
        [],
        None,
        "yellow",
        {"yellow-statement"},
    ),
    ("one red statement", T, TOPI, {"soc-r1": True}, [], [], None, "red", {"red-statement"}),
    (
        "red beats yellow",
        T,
        TOPI,
        {"emo-r1": True, "emo-y1": True},
        [],
        [],
        None,
        "red",
        {"red-statement", "yellow-statement"},
    ),
    (
        "green and red together",
        T,
        TOPI,
        {"emo-g1": True, "phy-r2": True},
        [],
        [],
        None,
        "red",
        {"red-statement"},
    ),
    (
        "strict: yellow in two areas is red",
        S,
        TOPI,
        {"emo-y1": True, "soc-y1": True},
        [],
        [],
        None,
        "red",
        {"yellow-statement", "yellow-in-two-areas"},
    ),
    (
        "strict: two yellows in one area stay yellow",
        S,
        TOPI,
        {"emo-y1": True, "emo-y2": True},
        [],
        [],
        None,
        "yellow",
        {"yellow-statement"},
    ),
    (
        "dental neglect at level 2",
        T,
        TOPI,
        {},
        [obs("dental", "untreated_caries", 2)],
        [],
        None,
        "yellow",
        {"dental-neglect"},
    ),
    (
        "dental at level 1 is no concern",
        T,
        TOPI,
        {},
        [obs("dental", "untreated_caries", 1)],
        [],
        None,
        "green",
        set(),
    ),
    (
        "an old dental observation no longer counts",
        T,
        TOPI,
        {},
        [obs("dental", "untreated_caries", 2, days_ago=400)],
        [],
        None,
        "green",
        set(),
    ),
    (
        "a serious daycare observation",
        T,
        TOPI,
        {},
        [obs("daycare", "behaviour", 3)],
        [],
        None,
        "yellow",
        {"serious-observation"},
    ),
    (
        "concern from two sources raises one step",
        T,
        TOPI,
        {},
        [obs("daycare", "behaviour", 2), obs("health_visitor", "home_environment", 2)],
        [],
        None,
        "yellow",
        {"several-sources"},
    ),
    (
        "yellow plus two sources is red",
        T,
        TOPI,
        {"emo-y1": True},
        [obs("daycare", "behaviour", 2), obs("ppr", "emotional", 2)],
        [],
        None,
        "red",
        {"yellow-statement", "several-sources"},
    ),
    (
        "dental neglect plus a second source is red",
        T,
        TOPI,
        {},
        [obs("dental", "untreated_caries", 2), obs("daycare", "behaviour", 2)],
        [],
        None,
        "red",
        {"dental-neglect", "several-sources"},
    ),
    (
        "two observations from one source are one source",
        T,
        TOPI,
        {},
        [obs("daycare", "behaviour", 2), obs("daycare", "language", 2)],
        [],
        None,
        "green",
        set(),
    ),
    (
        "clearly vulnerable and thriving is yellow",
        T,
        TOPI,
        {},
        [],
        [],
        "clearly",
        "yellow",
        {"vulnerable-position"},
    ),
    (
        "clearly vulnerable and yellow is red",
        T,
        TOPI,
        {"emo-y1": True},
        [],
        [],
        "clearly",
        "red",
        {"yellow-statement", "vulnerable-position"},
    ),
    (
        "potentially vulnerable and thriving stays green",
        T,
        TOPI,
        {},
        [],
        [],
        "potentially",
        "green",
        set(),
    ),
    (
        "not vulnerable and yellow stays yellow",
        T,
        TOPI,
        {"emo-y1": True},
        [],
        [],
        "not",
        "yellow",
        {"yellow-statement"},
    ),
    (
        "strict: potentially vulnerable and yellow is red",
        S,
        TOPI,
        {"emo-y1": True},
        [],
        [],
        "potentially",
        "red",
        {"yellow-statement", "vulnerable-position"},
    ),
    (
        "yellow twice in a row is flagged",
        T,
        TOPI,
        {"emo-y1": True},
        [],
        [Y],
        None,
        "yellow",
        {"yellow-statement", "persistent-concern"},
    ),
    (
        "yellow after green is not flagged",
        T,
        TOPI,
        {"emo-y1": True},
        [],
        [Position.GREEN],
        None,
        "yellow",
        {"yellow-statement"},
    ),
    ("green after two yellows is not flagged", T, TOPI, {}, [], [Y, Y], None, "green", set()),
    (
        "strict: yellow after red becomes red",
        S,
        TOPI,
        {"emo-y1": True},
        [],
        [R],
        None,
        "red",
        {"yellow-statement", "persistent-concern"},
    ),
    ("ratings all 5", T, RATING, ratings(5), [], [], None, "green", set()),
    ("ratings all 4", T, RATING, ratings(4), [], [], None, "green", set()),
    (
        "one area in the monitoring zone",
        T,
        RATING,
        ratings(5, emo_1=3, emo_2=3, emo_3=3, emo_4=3, emo_5=3),
        [],
        [],
        None,
        "yellow",
        {"area-band"},
    ),
    (
        "one area in the referral zone",
        T,
        RATING,
        ratings(5, emo_1=2, emo_2=2, emo_3=2, emo_4=2, emo_5=2),
        [],
        [],
        None,
        "red",
        {"area-band"},
    ),
    (
        "every area and the total in the monitoring zone",
        T,
        RATING,
        ratings(3),
        [],
        [],
        None,
        "yellow",
        {"area-band", "total-band"},
    ),
    (
        "18 in an area: green by the instrument's bands",
        T,
        RATING,
        ratings(5, emo_1=3, emo_2=4, emo_3=4, emo_4=4, emo_5=3),
        [],
        [],
        None,
        "green",
        set(),
    ),
    (
        "18 in an area: yellow by the strict bands",
        S,
        RATING,
        ratings(5, emo_1=3, emo_2=4, emo_3=4, emo_4=4, emo_5=3),
        [],
        [],
        None,
        "yellow",
        {"area-band"},
    ),
    (
        "basic: poor hygiene alone is not counted",
        B,
        TOPI,
        {},
        [obs("dental", "poor_oral_hygiene", 3)],
        [],
        None,
        "green",
        set(),
    ),
    (
        "basic: serious untreated caries",
        B,
        TOPI,
        {},
        [obs("dental", "untreated_caries", 3)],
        [],
        None,
        "yellow",
        {"dental-serious"},
    ),
]


@pytest.mark.parametrize(
    (
        "ruleset",
        "instrument",
        "answers",
        "observations",
        "history",
        "vulnerability",
        "position",
        "rule_ids",
    ),
    [pytest.param(*case[1:], id=case[0]) for case in GOLDEN],
)
def test_golden(
    ruleset, instrument, answers, observations, history, vulnerability, position, rule_ids
):
    result = classify(
        instrument,
        RULESETS[ruleset],
        answers,
        observations=observations,
        history=history,
        vulnerability=vulnerability,
        as_of=DAY,
    )
    assert result.position.value == position
    assert {r.rule_id for r in result.reasons} == rule_ids
    assert (result.ruleset_key, result.ruleset_version) == (ruleset, 1)
    assert ("escalate" in result.flags) == ("persistent-concern" in rule_ids)


def test_there_are_at_least_thirty_golden_cases():
    assert len(GOLDEN) >= 30


def test_reasons_name_their_cause_in_danish_and_english():
    result = classify(TOPI, RULESETS[T], {"soc-r1": True}, as_of=DAY)
    reason = next(r for r in result.reasons if r.rule_id == "red-statement")
    statement = TOPI.item("soc-r1").text
    assert statement.da.rstrip(".") in reason.text_da
    assert statement.en.rstrip(".") in reason.text_en
    assert reason.items == ("soc-r1",)
    dental = classify(TOPI, RULESETS[T], {}, [obs("dental", "untreated_caries", 2)], as_of=DAY)
    assert "caries" in dental.reasons[0].text_da.lower()


def test_professions_follow_the_concern():
    def professions(answers, observations=()):
        return set(classify(TOPI, RULESETS[T], answers, observations, as_of=DAY).professions)

    assert professions({"phy-y1": True}) == {"physiotherapist", "occupational_therapist"}
    assert professions({"cog-y1": True}) == {"speech_therapist"}
    assert professions({"emo-y1": True}) == {"psychologist"}
    assert professions({}, [obs("dental", "untreated_caries", 2)]) == {"dental_service"}
    assert "social_worker" in set(
        classify(TOPI, RULESETS[T], {}, vulnerability="clearly", as_of=DAY).professions
    )


def test_action_path_key_and_round_trip():
    red = classify(TOPI, RULESETS[T], {"soc-r1": True}, as_of=DAY)
    assert red.action_path_key == "red"
    assert classify(TOPI, RULESETS[T], {}, as_of=DAY).action_path_key is None
    again = type(red).from_dict(red.to_dict())
    assert again.to_dict() == red.to_dict()


# Joint assessment and override ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("ruleset", "positions", "expected"),
    [
        (T, ["yellow", "green"], "green"),  # the most concerned position two share
        (T, ["red", "yellow"], "yellow"),
        (T, ["red", "red", "green"], "red"),
        (T, ["red"], "red"),  # one assessment: the most concerned, and it says so
        (B, ["yellow", "green"], "yellow"),  # the basic variant takes the most concerned
    ],
)
def test_joint_suggestion(ruleset, positions, expected):
    suggestion = suggest_joint(positions, RULESETS[ruleset])
    assert suggestion.position.value == expected
    assert suggestion.reasons


def test_override_needs_a_reason_and_keeps_both():
    suggestion = suggest_joint(["green", "green"], RULESETS[T])
    with pytest.raises(OverrideError):
        apply_override(suggestion, "yellow", "  ")
    override = apply_override(suggestion, "yellow", "Set over flere uger")
    assert (override.suggested.value, override.position.value) == ("green", "yellow")
    assert override.overridden
    assert not apply_override(suggestion, "green").overridden


# Properties -----------------------------------------------------------------------------------

STATEMENTS = [i.key for i in TOPI.items if i.kind == "indicator"]
CONCERNING = [i.key for i in TOPI.items if i.kind == "indicator" and i.position.value != "green"]
CATEGORIES = [
    ("dental", "untreated_caries"),
    ("dental", "missed_appointments"),
    ("daycare", "behaviour"),
    ("health_visitor", "home_environment"),
    ("ppr", "emotional"),
]

observations_st = st.lists(
    st.builds(
        lambda c, lvl, d: obs(c[0], c[1], lvl, d),
        st.sampled_from(CATEGORIES),
        st.integers(1, 3),
        st.integers(0, 500),
    ),
    max_size=4,
)
history_st = st.lists(st.sampled_from(list(Position)), max_size=3)
vulnerability_st = st.sampled_from([None, "not", "potentially", "clearly"])


def run(ruleset, answers, observations, history, vulnerability, instrument=TOPI):
    return classify(
        instrument,
        RULESETS[ruleset],
        answers,
        observations=observations,
        history=history,
        vulnerability=vulnerability,
        as_of=DAY,
    )


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([T, S, B]),
    st.sets(st.sampled_from(STATEMENTS)),
    observations_st,
    history_st,
    vulnerability_st,
)
def test_exactly_one_position_deterministic_and_explained(
    ruleset, ticked, observations, history, vulnerability
):
    answers = dict.fromkeys(ticked, True)
    first = run(ruleset, answers, observations, history, vulnerability)
    second = run(ruleset, dict(answers), list(observations), list(history), vulnerability)
    assert first.position in set(Position)
    assert first.to_dict() == second.to_dict()
    if first.position != Position.GREEN:
        assert first.reasons
        assert all(r.rule_id and r.text_da and r.text_en for r in first.reasons)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([T, S, B]),
    st.sets(st.sampled_from(STATEMENTS)),
    st.sampled_from(CONCERNING),
    observations_st,
    history_st,
    vulnerability_st,
)
def test_one_more_concerning_statement_is_never_greener(
    ruleset, ticked, extra, observations, history, vulnerability
):
    before = run(ruleset, dict.fromkeys(ticked, True), observations, history, vulnerability)
    after = run(
        ruleset, dict.fromkeys({*ticked, extra}, True), observations, history, vulnerability
    )
    assert SEVERITY[after.position.value] >= SEVERITY[before.position.value]


RATED = [i.key for i in RATING.items if i.kind == "rated"]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([T, S, B]),
    st.lists(st.integers(1, 5), min_size=len(RATED), max_size=len(RATED)),
    st.sampled_from(RATED),
)
def test_a_rating_towards_the_concerning_end_is_never_greener(ruleset, values, key):
    answers = dict(zip(RATED, values, strict=True))
    item = RATING.item(key)
    step = -1 if item.direction == "higher_is_better" else 1  # towards the concerning end
    moved = answers[key] + step
    if not item.scale.min <= moved <= item.scale.max:
        return
    worse = {**answers, key: moved}
    before = run(ruleset, answers, [], [], None, RATING)
    after = run(ruleset, worse, [], [], None, RATING)
    assert SEVERITY[after.position.value] >= SEVERITY[before.position.value]


# Bad input: precise errors -----------------------------------------------------------------------


def test_answers_are_checked():
    with pytest.raises(AnswerError, match="no-such-item"):
        classify(TOPI, RULESETS[T], {"no-such-item": True})
    with pytest.raises(AnswerError, match="emo-1"):
        classify(RATING, RULESETS[T], ratings(5, emo_1=9))


def _default_rules():
    return yaml.safe_load((DATA_DIR / "rules" / "default.yaml").read_text())


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
def test_bad_rule_sets_are_refused_with_precise_errors(change, fragment):
    doc = copy.deepcopy(_default_rules())
    change(doc)
    with pytest.raises(RuleSetError) as info:
        load_ruleset(doc, instruments=list(INSTRUMENTS.values()))
    assert fragment in str(info.value).lower()
