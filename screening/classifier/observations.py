"""Observations (dated notes from a source with a category and a level of concern) and the
catalogue of observation categories (screening/data/observation_categories.yaml)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from screening.classifier._load import DATA_DIR, Label, Reader, Source, join, read_source
from screening.classifier.errors import CategoriesError, ObservationError
from screening.classifier.positions import DOMAINS, LEVELS

DEFAULT_CATEGORIES_PATH = DATA_DIR / "observation_categories.yaml"


@dataclass(frozen=True, slots=True)
class Observation:
    """One observation. ``level``: 1 little, 2 some/moderate, 3 serious concern."""

    source: str
    category: str
    level: int
    observed_on: date

    def __post_init__(self) -> None:
        if not isinstance(self.source, str) or not isinstance(self.category, str):
            raise ObservationError(
                f"source and category must be strings, got {self.source!r}, {self.category!r}"
            )
        if type(self.level) is not int or self.level not in LEVELS:
            raise ObservationError(
                f"level must be 1, 2 or 3, got {self.level!r}",
                path=f"{self.source}/{self.category}",
            )
        if isinstance(self.observed_on, datetime) or not isinstance(self.observed_on, date):
            raise ObservationError(
                f"observed_on must be a date (not a datetime), got {self.observed_on!r}",
                path=f"{self.source}/{self.category}",
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "category": self.category,
            "level": self.level,
            "observed_on": self.observed_on.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Observation:
        observed = d["observed_on"]
        if isinstance(observed, str):
            observed = date.fromisoformat(observed)
        return cls(d["source"], d["category"], d["level"], observed)


@dataclass(frozen=True, slots=True, eq=False)
class Category:
    source: str
    key: str
    title: Label
    domain: str


@dataclass(frozen=True, slots=True, eq=False)
class ObservationSource:
    key: str
    title: Label
    categories: Mapping[str, Category]


@dataclass(frozen=True, slots=True, eq=False)
class ObservationCatalogue:
    """Sources (daycare, health_visitor, dental, ppr, ...) with their categories."""

    version: int
    sources: Mapping[str, ObservationSource]
    levels: Mapping[int, Label]
    source_name: str

    def category(self, source: str, key: str) -> Category:
        src = self.sources.get(source)
        if src is None:
            raise ObservationError(
                f"unknown observation source {source!r} (sources: {', '.join(self.sources)})"
            )
        cat = src.categories.get(key)
        if cat is None:
            raise ObservationError(
                f"unknown category {key!r} for source {source!r} "
                f"(categories: {', '.join(src.categories)})"
            )
        return cat

    def has(self, source: str, key: str) -> bool:
        src = self.sources.get(source)
        return src is not None and key in src.categories

    def all_categories(self) -> list[Category]:
        return [c for s in self.sources.values() for c in s.categories.values()]

    def validate(self, obs: Observation) -> Category:
        return self.category(obs.source, obs.category)


def load_observation_categories(src: Source | None = None) -> ObservationCatalogue:
    """Load and validate a category catalogue (default: the shipped one, cached)."""
    if src is None:
        return _default_catalogue()
    doc, name = read_source(src, CategoriesError, "categories")
    return _parse(Reader(CategoriesError, name), doc)


@functools.cache
def _default_catalogue() -> ObservationCatalogue:
    doc, name = read_source(DEFAULT_CATEGORIES_PATH, CategoriesError, "categories")
    return _parse(Reader(CategoriesError, name), doc)


def _parse(r: Reader, doc: Mapping[str, Any]) -> ObservationCatalogue:
    r.mapping(doc, "", required=("version", "levels", "sources"))
    version = r.integer(doc["version"], "version", minimum=1)
    lm = r.mapping(doc["levels"], "levels", open_keys=True)
    levels: dict[int, Label] = {}
    for value, text in lm.items():
        p = join("levels", str(value))
        levels[r.integer(value, p, minimum=1, maximum=3)] = r.label(text, p)
    if sorted(levels) != list(LEVELS):
        r.fail("levels", "must label exactly the levels 1, 2 and 3")
    sm = r.mapping(doc["sources"], "sources", open_keys=True)
    if not sm:
        r.fail("sources", "must not be empty")
    sources: dict[str, ObservationSource] = {}
    for skey, raw in sm.items():
        sp = join("sources", str(skey))
        r.key(skey, sp)
        m = r.mapping(raw, sp, required=("title", "categories"))
        cats: dict[str, Category] = {}
        for ci, raw_cat in enumerate(r.seq(m["categories"], join(sp, "categories"))):
            cp = join(join(sp, "categories"), ci)
            cm = r.mapping(raw_cat, cp, required=("key", "title", "domain"))
            ckey = r.key(cm["key"], join(cp, "key"))
            if ckey in cats:
                r.fail(join(cp, "key"), f"duplicate category {ckey!r} in source {skey!r}")
            domain = r.choice(cm["domain"], join(cp, "domain"), list(DOMAINS))
            cats[ckey] = Category(skey, ckey, r.label(cm["title"], join(cp, "title")), domain)
        sources[skey] = ObservationSource(skey, r.label(m["title"], join(sp, "title")), cats)
    return ObservationCatalogue(version, sources, levels, r.source)
