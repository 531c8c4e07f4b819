"""Positions, vulnerability, professions and the observation-category catalogue."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from screening.classifier import (
    DEFAULT_PROFESSIONS_BY_DOMAIN,
    DOMAINS,
    PROFESSIONS,
    CategoriesError,
    ObservationCatalogue,
    ObservationError,
    Position,
    Vulnerability,
    load_observation_categories,
)


def test_positions_compare_by_severity() -> None:
    assert Position.GREEN < Position.YELLOW < Position.RED
    assert Position.RED > "yellow"
    assert Position.YELLOW >= Position.YELLOW
    assert sorted(["red", Position.GREEN, Position.YELLOW], key=Position.parse) == [
        "green",
        "yellow",
        "red",
    ]
    assert max(Position.YELLOW, Position.RED, Position.GREEN) == Position.RED
    assert Position.RED == "red"
    assert {"red": 1}[Position.RED] == 1
    assert [p.severity for p in Position] == [0, 1, 2]
    assert Position.from_severity(1) is Position.YELLOW
    assert Position.worst() is Position.GREEN
    assert Position.worst("yellow", Position.GREEN) is Position.YELLOW
    assert (Position.RED.label_da, Position.YELLOW.label_en) == ("rød", "yellow")


@pytest.mark.parametrize("bad", ["orange", "", None, 2, "Red"])
def test_position_parse_rejects_unknown_values(bad: Any) -> None:
    with pytest.raises(ValueError, match="not a position"):
        Position.parse(bad)


def test_comparing_with_non_positions_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        assert Position.RED < 3  # type: ignore[operator]


def test_vulnerability() -> None:
    assert [v.level for v in Vulnerability] == [0, 1, 2]
    assert Vulnerability.parse("clearly") is Vulnerability.CLEARLY
    assert Vulnerability.POTENTIALLY.label_da == "potentielt i en udsat position"
    assert Vulnerability.CLEARLY.label_en == "clearly in a vulnerable position"
    with pytest.raises(ValueError, match="not a vulnerability"):
        Vulnerability.parse("very")


def test_professions_cover_the_brief() -> None:
    m = DEFAULT_PROFESSIONS_BY_DOMAIN
    assert m["language"] == ("speech_therapist",)
    assert m["motor"] == ("physiotherapist", "occupational_therapist")
    assert m["health"] == ("health_visitor",)
    assert m["dental"] == ("dental_service",)
    assert m["family"] == ("social_worker",)
    assert m["emotional"] == m["behaviour"] == ("psychologist",)
    assert set(m) == set(DOMAINS)
    assert {p for ps in m.values() for p in ps} == set(PROFESSIONS)
    assert PROFESSIONS["social_worker"] == ("Socialrådgiver", "Social worker")


def test_shipped_categories(categories: ObservationCatalogue) -> None:
    assert list(categories.sources) == ["daycare", "health_visitor", "dental", "ppr"]
    dental = categories.sources["dental"].categories
    assert set(dental) == {
        "missed_appointments",
        "broken_treatment_course",
        "poor_oral_hygiene",
        "untreated_caries",
    }
    assert "tandkødsbetændelse" in dental["poor_oral_hygiene"].title.da
    assert "gingivitis" in dental["poor_oral_hygiene"].title.en
    assert [categories.levels[n].en for n in (1, 2, 3)] == [
        "Little concern",
        "Some concern",
        "Serious concern",
    ]
    assert all(c.domain in DOMAINS for c in categories.all_categories())
    assert categories.category("daycare", "family_situation").domain == "family"
    with pytest.raises(ObservationError, match="unknown observation source 'school'"):
        categories.category("school", "x")
    with pytest.raises(ObservationError, match="unknown category 'x' for source 'dental'"):
        categories.category("dental", "x")


def _catalogue() -> dict[str, Any]:
    return {
        "version": 1,
        "levels": {n: {"da": f"Niveau {n}", "en": f"Level {n}"} for n in (1, 2, 3)},
        "sources": {
            "dental": {
                "title": {"da": "Tandplejen", "en": "Dental"},
                "categories": [
                    {"key": "caries", "title": {"da": "Caries", "en": "Caries"}, "domain": "dental"}
                ],
            }
        },
    }


def test_a_custom_catalogue_loads() -> None:
    cat = load_observation_categories(_catalogue())
    assert cat.has("dental", "caries")
    assert not cat.has("dental", "other")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["levels"].pop(3), "levels: must label exactly the levels 1, 2 and 3"),
        (lambda d: d["levels"].update({4: {"da": "x", "en": "x"}}), "levels.4: must be at most 3"),
        (
            lambda d: d["sources"]["dental"]["categories"][0].update(domain="teeth"),
            "sources.dental.categories[0].domain: must be one of emotional",
        ),
        (
            lambda d: d["sources"]["dental"]["categories"].append(
                dict(d["sources"]["dental"]["categories"][0])
            ),
            "sources.dental.categories[1].key: duplicate category 'caries' in source 'dental'",
        ),
        (lambda d: d.update(sources={}), "sources: must not be empty"),
    ],
)
def test_invalid_catalogues(change: Any, message: str) -> None:
    doc = copy.deepcopy(_catalogue())
    change(doc)
    with pytest.raises(CategoriesError) as exc:
        load_observation_categories(doc)
    assert message in str(exc.value)
