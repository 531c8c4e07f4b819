"""Fixtures for the classifier tests: the shipped instruments, rule sets and categories."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from screening.classifier import (
    Instrument,
    ObservationCatalogue,
    RuleSet,
    load_instruments,
    load_observation_categories,
    load_rulesets,
)


@pytest.fixture(scope="session")
def instruments() -> dict[str, Instrument]:
    return {i.key: i for i in load_instruments()}


@pytest.fixture(scope="session")
def rulesets(instruments: dict[str, Instrument]) -> dict[str, RuleSet]:
    return load_rulesets(instruments=list(instruments.values()))


@pytest.fixture(scope="session")
def categories() -> ObservationCatalogue:
    return load_observation_categories()


@pytest.fixture(scope="session")
def topi(instruments: dict[str, Instrument]) -> Instrument:
    return instruments["topi-3-6"]


@pytest.fixture(scope="session")
def rating(instruments: dict[str, Instrument]) -> Instrument:
    return instruments["rating-3-6"]


@pytest.fixture(scope="session")
def default(rulesets: dict[str, RuleSet]) -> RuleSet:
    return rulesets["default"]


def make_ratings(
    instrument: Instrument, default: int = 4, overrides: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """Answers for a score instrument: every rated item at ``default`` read as "higher is
    better" (mirrored for higher_is_worse items), then ``overrides`` as raw values."""
    answers: dict[str, Any] = {}
    for item in instrument.rated_items:
        assert item.scale is not None
        lo, hi = item.scale.min, item.scale.max
        answers[item.key] = default if item.direction == "higher_is_better" else lo + hi - default
    answers.update(overrides or {})
    return answers


@pytest.fixture(scope="session")
def ratings() -> Any:
    """The `make_ratings` helper."""
    return make_ratings
