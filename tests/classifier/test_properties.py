"""Property-based tests (Hypothesis) over the shipped instruments and rule sets, and over
generated rule sets and bands."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from screening.classifier import (
    PROFESSIONS,
    Classification,
    Instrument,
    Observation,
    Position,
    RuleSetError,
    classify,
    load_instrument,
    load_instruments,
    load_observation_categories,
    load_rulesets,
)

INSTRUMENTS = {i.key: i for i in load_instruments()}
RULESETS = load_rulesets(instruments=list(INSTRUMENTS.values()))
CATEGORIES = [(c.source, c.key) for c in load_observation_categories().all_categories()]
AS_OF = date(2026, 11, 23)
POSITIONS = ["green", "yellow", "red"]
ORDER = {p: i for i, p in enumerate(POSITIONS)}

# The build machines are shared and noisy: no deadlines, and no "slow data" failures.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def observation_lists(draw: st.DrawFn) -> list[Observation]:
    n = draw(st.integers(0, 4))
    result = []
    for _ in range(n):
        source, category = draw(st.sampled_from(CATEGORIES))
        day = draw(st.dates(AS_OF - timedelta(days=800), AS_OF + timedelta(days=30)))
        result.append(Observation(source, category, draw(st.integers(1, 3)), day))
    return result


@st.composite
def answers_for(draw: st.DrawFn, inst: Instrument) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    explicit_false = draw(st.booleans())
    for item in inst.items:
        if item.kind == "indicator":
            if draw(st.booleans()):
                answers[item.key] = True
            elif explicit_false:
                answers[item.key] = False
        elif item.kind == "rated":
            assert item.scale is not None
            answers[item.key] = draw(st.integers(item.scale.min, item.scale.max))
        elif draw(st.booleans()):
            answers[item.key] = draw(st.one_of(st.none(), st.text(max_size=20)))
    keys = list(answers)
    order = draw(st.permutations(keys))
    return {k: answers[k] for k in order}


@st.composite
def assessments(
    draw: st.DrawFn, rules: str | None = None, kind: str | None = None
) -> dict[str, Any]:
    rs_key = rules or draw(st.sampled_from(sorted(RULESETS)))
    keys = sorted(k for k, i in INSTRUMENTS.items() if kind is None or i.kind == kind)
    inst = INSTRUMENTS[draw(st.sampled_from(keys))]
    return {
        "instrument": inst,
        "ruleset": RULESETS[rs_key],
        "answers": draw(answers_for(inst)),
        "observations": draw(observation_lists()),
        "history": draw(st.lists(st.sampled_from(POSITIONS), max_size=4)),
        "vulnerability": draw(st.sampled_from([None, "not", "potentially", "clearly"])),
        "as_of": draw(st.sampled_from([AS_OF, None])),
    }


def run(a: dict[str, Any], **changes: Any) -> Classification:
    a = {**a, **changes}
    return classify(
        a["instrument"],
        a["ruleset"],
        a["answers"],
        a["observations"],
        a["history"],
        a["vulnerability"],
        as_of=a["as_of"],
    )


def names_a_cause(reason: Any) -> bool:
    return bool(reason.areas or reason.items or reason.observations or reason.details)


@relaxed
@given(assessments())
def test_every_valid_input_gets_exactly_one_position(a: dict[str, Any]) -> None:
    result = run(a)
    assert isinstance(result.position, Position)
    assert result.position in POSITIONS
    assert ORDER[result.wellbeing_position] <= ORDER[result.position]
    assert list(result.professions) == [p for p in PROFESSIONS if p in result.professions]
    assert all(ORDER[r.position] <= ORDER[result.position] for r in result.reasons)
    json.dumps(result.to_dict())


@relaxed
@given(assessments())
def test_the_same_input_gives_the_same_output(a: dict[str, Any]) -> None:
    first = run(a).to_dict()
    assert run(a).to_dict() == first
    reordered = dict(reversed(list(a["answers"].items())))
    assert run(a, answers=reordered).to_dict() == first


@relaxed
@given(assessments())
def test_yellow_and_red_results_have_a_reason_naming_the_cause(a: dict[str, Any]) -> None:
    result = run(a)
    if result.position != "green":
        causes = [r for r in result.reasons if r.position == result.position and names_a_cause(r)]
        assert causes, result
    for reason in result.reasons:
        assert names_a_cause(reason)
        assert reason.text_da.strip()
        assert reason.text_en.strip()
        for key in reason.items:
            assert a["instrument"].has_item(key)
        for area in reason.areas:
            assert a["instrument"].has_area(area)


@relaxed
@given(assessments(kind="indicator"), st.data())
def test_ticking_one_more_concerning_statement_never_gives_a_greener_position(
    a: dict[str, Any], data: st.DataObject
) -> None:
    inst: Instrument = a["instrument"]
    unticked = [
        i.key
        for i in inst.items
        if i.kind == "indicator" and i.position != "green" and a["answers"].get(i.key) is not True
    ]
    assume(unticked)
    key = data.draw(st.sampled_from(unticked))
    before = run(a)
    after = run(a, answers={**a["answers"], key: True})
    assert ORDER[after.position] >= ORDER[before.position]
    assert ORDER[after.wellbeing_position] >= ORDER[before.wellbeing_position]


@relaxed
@given(assessments(kind="score"), st.data())
def test_moving_a_score_towards_the_concerning_end_never_gives_a_greener_position(
    a: dict[str, Any], data: st.DataObject
) -> None:
    inst: Instrument = a["instrument"]
    movable = [
        i
        for i in inst.rated_items
        if i.scale is not None
        and a["answers"][i.key]
        != (i.scale.min if i.direction == "higher_is_better" else i.scale.max)
    ]
    assume(movable)
    item = data.draw(st.sampled_from(movable))
    assert item.scale is not None
    value = a["answers"][item.key]
    if item.direction == "higher_is_better":
        worse = range(item.scale.min, value)
    else:
        worse = range(value + 1, item.scale.max + 1)
    moved = data.draw(st.sampled_from(list(worse)))
    before = run(a)
    after = run(a, answers={**a["answers"], item.key: moved})
    assert ORDER[after.position] >= ORDER[before.position]


@relaxed
@given(assessments(), observation_lists(), st.sampled_from(["not", "potentially", "clearly"]))
def test_more_observations_or_vulnerability_never_give_a_greener_position(
    a: dict[str, Any], extra: list[Observation], vulnerability: str
) -> None:
    before = run(a)
    assert ORDER[run(a, observations=a["observations"] + extra).position] >= ORDER[before.position]
    levels = ["not", "potentially", "clearly"]
    current = a["vulnerability"]
    if current is None or levels.index(vulnerability) >= levels.index(current):
        assert ORDER[run(a, vulnerability=vulnerability).position] >= ORDER[before.position]


# --------------------------------------------------------------------------- generated rule sets


@st.composite
def statement_rules(draw: st.DrawFn, i: int) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": f"r{i}",
        "type": "statements",
        "position": draw(st.sampled_from(["yellow", "red", ["yellow", "red"]])),
        "min_count": draw(st.integers(1, 3)),
        "min_areas": draw(st.integers(1, 3)),
    }
    effect = draw(st.sampled_from(["then", "raise", "flag"]))
    if effect == "then":
        rule["then"] = draw(st.sampled_from(["yellow", "red"]))
    elif effect == "raise":
        rule["raise"] = draw(st.integers(1, 2))
        rule["flag"] = "raised"
    else:
        rule["flag"] = "noted"
    return rule


@st.composite
def rule_sets(draw: st.DrawFn) -> dict[str, Any]:
    rules = [draw(statement_rules(i)) for i in range(draw(st.integers(1, 4)))]
    rows = {}
    for v in ("not", "potentially", "clearly"):
        row = {}
        floor = 0
        for p in POSITIONS:
            floor = max(floor, ORDER[p], draw(st.integers(0, 2)))
            row[p] = POSITIONS[floor]
        rows[v] = row
    for p in POSITIONS:  # make rows monotone in vulnerability
        rows["potentially"][p] = max(rows["potentially"][p], rows["not"][p], key=ORDER.get)
        rows["clearly"][p] = max(rows["clearly"][p], rows["potentially"][p], key=ORDER.get)
    rules.append({"id": "matrix", "type": "vulnerability", "matrix": rows})
    rules.append({"id": "obs", "type": "observations", "min_level": draw(st.integers(1, 3)),
                  "raise": 1})  # fmt: skip
    return {"key": "generated", "version": 1, "title": {"da": "G", "en": "G"}, "rules": rules}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_sets(), st.data())
def test_generated_rule_sets_are_monotone(doc: dict[str, Any], data: st.DataObject) -> None:
    from screening.classifier import load_ruleset

    inst = INSTRUMENTS["topi-3-6"]
    try:
        rs = load_ruleset(doc, instruments=[inst])
    except RuleSetError as exc:
        assume("can never" not in str(exc))
        raise
    a = data.draw(assessments(rules="default"))
    a = {**a, "instrument": inst, "ruleset": rs, "answers": data.draw(answers_for(inst))}
    before = run(a)
    unticked = [i.key for i in inst.statements() if i.position != "green"
                and a["answers"].get(i.key) is not True]  # fmt: skip
    assume(unticked)
    key = data.draw(st.sampled_from(unticked))
    after = run(a, answers={**a["answers"], key: True})
    assert ORDER[after.position] >= ORDER[before.position]
    if before.position != "green":
        assert any(r.position == before.position and names_a_cause(r) for r in before.reasons)


@st.composite
def band_sets(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    direction = draw(st.sampled_from(["higher_is_better", "higher_is_worse"]))
    cuts = sorted(draw(st.sets(st.integers(3, 14), min_size=0, max_size=2)))
    edges = [2, *cuts, 11]  # scores of two 1–5 items: 2–10
    edges = [e for e in edges if e <= 11]
    bounds = [(edges[i], edges[i + 1] - 1) for i in range(len(edges) - 1)]
    bounds = [(lo, min(hi, 10)) for lo, hi in bounds if lo <= 10]
    n = len(bounds)
    severities = sorted(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    if direction == "higher_is_better":
        severities.reverse()
    return direction, [
        {"position": POSITIONS[s], "min": lo, "max": hi}
        for s, (lo, hi) in zip(severities, bounds, strict=True)
    ]


@relaxed
@given(band_sets())
def test_valid_band_sets_load_and_map_every_score_to_its_band(
    case: tuple[str, list[dict[str, Any]]],
) -> None:
    direction, bands = case
    doc = {
        "key": "b",
        "version": 1,
        "kind": "score",
        "title": {"da": "B", "en": "B"},
        "age": {"min_months": 0, "max_months": 12},
        "scale": {"min": 1, "max": 5},
        "areas": [
            {
                "key": "a",
                "title": {"da": "A", "en": "A"},
                "domain": "social",
                "items": [
                    {"key": "x", "direction": "higher_is_better", "text": {"da": "X", "en": "X"}},
                    {"key": "y", "direction": "higher_is_better", "text": {"da": "Y", "en": "Y"}},
                ],
            }
        ],
        "bands": {"direction": direction, "areas": {"a": bands}},
    }
    bs = load_instrument(doc).area_bands["a"]
    for score in range(2, 11):
        (expected,) = [b["position"] for b in bands if b["min"] <= score <= b["max"]]
        assert bs.position_for(score) == expected
        assert bs.severity_for(score) == ORDER[expected]


# --------------------------------------------------------------------------- the shipped forms

TOPI = INSTRUMENTS["topi-3-6"]
RATING = INSTRUMENTS["rating-3-6"]
STATEMENTS = [i.key for i in TOPI.items if i.kind == "indicator"]
CONCERNING = [i.key for i in TOPI.items if i.kind == "indicator" and i.position.value != "green"]
RATED = [i.key for i in RATING.items if i.kind == "rated"]
SOME_CATEGORIES = [
    ("dental", "untreated_caries"),
    ("dental", "missed_appointments"),
    ("daycare", "behaviour"),
    ("health_visitor", "home_environment"),
    ("ppr", "emotional"),
]
some_observations = st.lists(
    st.builds(
        lambda c, lvl, d: Observation(c[0], c[1], lvl, AS_OF - timedelta(days=d)),
        st.sampled_from(SOME_CATEGORIES),
        st.integers(1, 3),
        st.integers(0, 500),
    ),
    max_size=4,
)
histories = st.lists(st.sampled_from(list(Position)), max_size=3)
vulnerabilities = st.sampled_from([None, "not", "potentially", "clearly"])
shipped_rules = st.sampled_from(["default", "example-strict", "example-basic"])


def classify_shipped(
    rules: str,
    answers: dict[str, Any],
    observations: list[Observation],
    history: list[Position],
    vulnerability: str | None,
    instrument: Instrument = TOPI,
) -> Classification:
    return classify(
        instrument,
        RULESETS[rules],
        answers,
        observations=observations,
        history=history,
        vulnerability=vulnerability,
        as_of=AS_OF,
    )


@settings(max_examples=300, deadline=None)
@given(
    shipped_rules,
    st.sets(st.sampled_from(STATEMENTS)),
    some_observations,
    histories,
    vulnerabilities,
)
def test_exactly_one_position_deterministic_and_explained(
    rules: str,
    ticked: set[str],
    observations: list[Observation],
    history: list[Position],
    vulnerability: str | None,
) -> None:
    answers = dict.fromkeys(ticked, True)
    first = classify_shipped(rules, answers, observations, history, vulnerability)
    second = classify_shipped(
        rules, dict(answers), list(observations), list(history), vulnerability
    )
    assert first.position in set(Position)
    assert first.to_dict() == second.to_dict()
    if first.position != Position.GREEN:
        assert first.reasons
        assert all(r.rule_id and r.text_da and r.text_en for r in first.reasons)


@settings(max_examples=300, deadline=None)
@given(
    shipped_rules,
    st.sets(st.sampled_from(STATEMENTS)),
    st.sampled_from(CONCERNING),
    some_observations,
    histories,
    vulnerabilities,
)
def test_one_more_concerning_statement_is_never_greener(
    rules: str,
    ticked: set[str],
    extra: str,
    observations: list[Observation],
    history: list[Position],
    vulnerability: str | None,
) -> None:
    before = classify_shipped(
        rules, dict.fromkeys(ticked, True), observations, history, vulnerability
    )
    after = classify_shipped(
        rules, dict.fromkeys({*ticked, extra}, True), observations, history, vulnerability
    )
    assert ORDER[after.position] >= ORDER[before.position]


@settings(max_examples=300, deadline=None)
@given(
    shipped_rules,
    st.lists(st.integers(1, 5), min_size=len(RATED), max_size=len(RATED)),
    st.sampled_from(RATED),
)
def test_a_rating_towards_the_concerning_end_is_never_greener(
    rules: str, values: list[int], key: str
) -> None:
    answers = dict(zip(RATED, values, strict=True))
    item = RATING.item(key)
    assert item.scale is not None
    step = -1 if item.direction == "higher_is_better" else 1  # towards the concerning end
    moved = answers[key] + step
    if not item.scale.min <= moved <= item.scale.max:
        return
    worse = {**answers, key: moved}
    before = classify_shipped(rules, answers, [], [], None, RATING)
    after = classify_shipped(rules, worse, [], [], None, RATING)
    assert ORDER[after.position] >= ORDER[before.position]
