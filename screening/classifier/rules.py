"""Rule sets: a municipality's versioned YAML document of classification rules.

Parsing here checks the structure and everything that does not depend on an instrument
(observation sources and categories, matrix shape, effects). Checks that need an instrument
(unknown area or item, band overrides, a rule that can never fire for it) run when the rule
set is compiled for that instrument: `load_ruleset(..., instruments=...)` does it for all of
them up front, `RuleSet.check_against(instrument)` for one. See docs/CLASSIFIER.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from screening.classifier._load import DATA_DIR, Label, Reader, Source, join, read_source
from screening.classifier.errors import RuleSetError
from screening.classifier.instruments import Instrument
from screening.classifier.observations import ObservationCatalogue, load_observation_categories
from screening.classifier.positions import (
    DEFAULT_PROFESSIONS_BY_DOMAIN,
    DOMAINS,
    LEVELS,
    POSITIONS,
    PROFESSIONS,
    VULNERABILITIES,
    Position,
)

if TYPE_CHECKING:
    from screening.classifier.engine import Plan

# The engine compiles a rule set for one instrument. It registers itself here when it is
# imported (`screening.classifier` imports it first), so that this module, which the engine
# imports, never imports the engine: no import cycle.
_compiler: Callable[[RuleSet, Instrument], Plan] | None = None


def register_compiler(compiler: Callable[[RuleSet, Instrument], Plan]) -> None:
    global _compiler
    _compiler = compiler


RULE_TYPES = ("statements", "score_band", "observations", "vulnerability", "history")
JOINT_METHODS = ("shared", "most_concerned")
ANSWER_RULE_TYPES = ("statements", "score_band")
_COMMON = ("id", "type", "label", "instruments")
_EFFECTS = ("then", "raise", "flag")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Rule:
    """Fields every rule has. ``then``: raise to at least this position; ``raise_by``: raise by
    this many steps (capped at red); ``flag``: add this flag to the result."""

    id: str
    type: str
    index: int
    path: str
    label: Label | None
    then: Position | None
    raise_by: int
    flag: str | None
    instruments: frozenset[str] | None

    def describe(self) -> str:
        return f"{self.path} (id {self.id!r})"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class StatementsRule(Rule):
    """Fires when at least ``min_count`` ticked statements of ``positions`` (in at least
    ``min_areas`` distinct areas, optionally only ``areas`` / ``items``) are ticked."""

    positions: frozenset[Position]
    min_count: int
    min_areas: int
    areas: tuple[str, ...] | None
    items: tuple[str, ...] | None


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ScoreBandRule(Rule):
    """Each area score (scope ``areas``) or the total score (scope ``total``) gives the position
    of its band."""

    scope: str
    areas: tuple[str, ...] | None


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ObservationsRule(Rule):
    """Fires when at least ``min_count`` matching observations at ``min_level`` or above, from
    at least ``min_sources`` distinct sources, were made within ``within_days`` of ``as_of``."""

    source: str | None
    categories: tuple[str, ...] | None
    domains: tuple[str, ...] | None
    min_level: int
    min_count: int
    min_sources: int
    within_days: int | None
    allowed: frozenset[tuple[str, str]]  # the (source, category) pairs the filters accept


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class VulnerabilityRule(Rule):
    """matrix[vulnerability level][position severity] -> position severity."""

    matrix: tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class HistoryRule(Rule):
    """Fires when this round and the ``rounds - 1`` previous agreed positions are all at
    ``min_position`` or more concerned."""

    min_position: Position
    rounds: int


@dataclass(eq=False)
class RuleSet:
    key: str
    version: int
    title: Label
    description: Label | None
    rules: tuple[Rule, ...]
    joint_method: str
    joint_min_shared: int
    action_paths: Mapping[Position, str]
    professions: Mapping[str, tuple[str, ...]]  # domain -> profession keys
    band_overrides: Mapping[str, Any]  # instrument key -> raw bands mapping
    instruments: frozenset[str] | None  # None: applies to every instrument
    categories: ObservationCatalogue
    source: str
    _plans: dict[Instrument, Plan] = field(default_factory=dict, repr=False)

    @property
    def ident(self) -> str:
        return f"{self.key} v{self.version}"

    def applies_to(self, instrument: Instrument) -> bool:
        return self.instruments is None or instrument.key in self.instruments

    def compile(self, instrument: Instrument) -> Plan:
        """The precompiled plan for one instrument (cached). Raises RuleSetError."""
        plan = self._plans.get(instrument)
        if plan is None:
            if _compiler is None:  # pragma: no cover - the package imports the engine
                raise RuntimeError("the classifier engine is not loaded")
            plan = _compiler(self, instrument)
            self._plans[instrument] = plan
        return plan

    def check_against(self, instrument: Instrument) -> None:
        """Validate this rule set against an instrument; raises RuleSetError with details."""
        self.compile(instrument)

    def action_path_for(self, position: Position | str) -> str | None:
        return self.action_paths.get(Position.parse(position))

    def professions_for(self, domains: Iterable[str]) -> tuple[str, ...]:
        found = {p for d in domains for p in self.professions.get(d, ())}
        return tuple(p for p in PROFESSIONS if p in found)


def load_ruleset(
    src: Source,
    *,
    instruments: Sequence[Instrument] | None = None,
    categories: ObservationCatalogue | None = None,
) -> RuleSet:
    """Load and validate a rule set (YAML path or mapping).

    With ``instruments``, also compile it for each instrument it applies to, so every error
    (unknown area or item, bad band override, a rule that can never fire) surfaces now.
    ``categories`` defaults to the shipped observation-category catalogue.
    """
    doc, name = read_source(src, RuleSetError, "rule set")
    cats = categories if categories is not None else load_observation_categories()
    ruleset = _parse_ruleset(Reader(RuleSetError, name), doc, cats)
    if instruments is not None:
        _check_all(ruleset, instruments)
    return ruleset


def load_rulesets(
    directory: str | PathLike[str] | None = None,
    *,
    instruments: Sequence[Instrument] | None = None,
    categories: ObservationCatalogue | None = None,
) -> dict[str, RuleSet]:
    """Every rule set in a directory (default: the shipped ones), keyed by rule-set key."""
    folder = Path(directory) if directory is not None else DATA_DIR / "rules"
    result: dict[str, RuleSet] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        rs = load_ruleset(path, instruments=instruments, categories=categories)
        if rs.key in result:
            raise RuleSetError(
                f"rule set key {rs.key!r} is also used in {result[rs.key].source}",
                source=str(path),
            )
        result[rs.key] = rs
    if not result:
        raise RuleSetError("no rule-set files (*.yaml) found", source=str(folder))
    return result


def load_default_ruleset(
    key: str = "default", *, instruments: Sequence[Instrument] | None = None
) -> RuleSet:
    """One of the shipped rule sets: "default", "example-strict" or "example-basic"."""
    path = DATA_DIR / "rules" / f"{key}.yaml"
    if not path.is_file():
        shipped = sorted(p.stem for p in (DATA_DIR / "rules").glob("*.yaml"))
        raise RuleSetError(f"no shipped rule set {key!r} (shipped: {', '.join(shipped)})")
    return load_ruleset(path, instruments=instruments)


def _check_all(ruleset: RuleSet, instruments: Sequence[Instrument]) -> None:
    r = Reader(RuleSetError, ruleset.source)
    keys = {i.key for i in instruments}
    if ruleset.instruments is not None:
        for k in sorted(ruleset.instruments - keys):
            r.fail("instruments", f"unknown instrument {k!r} (known: {', '.join(sorted(keys))})")
    for k in ruleset.band_overrides:
        if k not in keys:
            r.fail(
                join("band_overrides", k),
                f"unknown instrument {k!r} (known: {', '.join(sorted(keys))})",
            )
    applicable = [i for i in instruments if ruleset.applies_to(i)]
    if not applicable:
        r.fail("", "the rule set applies to none of the given instruments")
    for rule in ruleset.rules:
        if rule.instruments is not None:
            for k in sorted(rule.instruments - keys):
                r.fail(
                    join(rule.path, "instruments"),
                    f"unknown instrument {k!r} (known: {', '.join(sorted(keys))})",
                )
    for inst in applicable:
        ruleset.compile(inst)
    for rule in ruleset.rules:
        if not any(_rule_applies(rule, i) for i in applicable):
            needs = {"statements": "indicator", "score_band": "score"}.get(rule.type)
            extra = f" ({rule.type} rules need {needs} instruments)" if needs else ""
            r.fail(
                rule.path,
                f"rule {rule.id!r} can never fire: it applies to none of the "
                f"given instruments{extra}",
            )


def _rule_applies(rule: Rule, inst: Instrument) -> bool:
    """Whether a rule takes part in classifying this instrument."""
    if rule.instruments is not None and inst.key not in rule.instruments:
        return False
    if rule.type == "statements":
        return inst.kind == "indicator"
    if rule.type == "score_band":
        return inst.kind == "score"
    return True


rule_applies = _rule_applies


# --------------------------------------------------------------------------- parsing


def _parse_ruleset(r: Reader, doc: Mapping[str, Any], cats: ObservationCatalogue) -> RuleSet:
    r.mapping(
        doc,
        "",
        required=("key", "version", "title", "rules"),
        optional=(
            "description",
            "instruments",
            "joint",
            "action_paths",
            "professions",
            "band_overrides",
        ),
    )
    key = r.key(doc["key"], "key")
    version = r.integer(doc["version"], "version", minimum=1)
    title = r.label(doc["title"], "title")
    description = r.label(doc["description"], "description") if "description" in doc else None
    instruments = _key_set(r, doc["instruments"], "instruments") if "instruments" in doc else None

    joint_method, min_shared = "shared", 2
    if "joint" in doc:
        jm = r.mapping(doc["joint"], "joint", required=("method",), optional=("min_shared",))
        joint_method = r.choice(jm["method"], "joint.method", JOINT_METHODS)
        if "min_shared" in jm:
            if joint_method != "shared":
                r.fail("joint.min_shared", "only the 'shared' method uses min_shared")
            min_shared = r.integer(jm["min_shared"], "joint.min_shared", minimum=2)

    action_paths: dict[Position, str] = {Position.YELLOW: "yellow", Position.RED: "red"}
    if "action_paths" in doc:
        am = r.mapping(doc["action_paths"], "action_paths", optional=[p.value for p in POSITIONS])
        action_paths = {
            Position(p): r.key(v, join("action_paths", p)) for p, v in am.items() if v is not None
        }

    professions = dict(DEFAULT_PROFESSIONS_BY_DOMAIN)
    if "professions" in doc:
        pm = r.mapping(doc["professions"], "professions", optional=list(DOMAINS))
        for domain, raw in pm.items():
            p = join("professions", domain)
            keys = r.seq(raw, p, nonempty=False)
            professions[domain] = tuple(
                r.choice(v, join(p, i), list(PROFESSIONS)) for i, v in enumerate(keys)
            )

    overrides: dict[str, Any] = {}
    if "band_overrides" in doc:
        om = r.mapping(doc["band_overrides"], "band_overrides", open_keys=True)
        for ikey, raw in om.items():
            r.key(ikey, join("band_overrides", str(ikey)))
            r.mapping(raw, join("band_overrides", ikey), open_keys=True)
            overrides[ikey] = raw

    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for i, raw in enumerate(r.seq(doc["rules"], "rules")):
        rule = _parse_rule(r, raw, join("rules", i), i, cats)
        if rule.id in seen:
            r.fail(
                join(rule.path, "id"), f"duplicate rule id {rule.id!r} (first at {seen[rule.id]})"
            )
        seen[rule.id] = rule.path
        rules.append(rule)
    return RuleSet(
        key=key,
        version=version,
        title=title,
        description=description,
        rules=tuple(rules),
        joint_method=joint_method,
        joint_min_shared=min_shared,
        action_paths=action_paths,
        professions=professions,
        band_overrides=overrides,
        instruments=instruments,
        categories=cats,
        source=r.source,
    )


def _key_set(r: Reader, raw: Any, path: str) -> frozenset[str]:
    if isinstance(raw, str):
        raw = [raw]
    return frozenset(r.key(v, join(path, i)) for i, v in enumerate(r.seq(raw, path)))


def _key_tuple(r: Reader, raw: Any, path: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    values = tuple(r.key(v, join(path, i)) for i, v in enumerate(r.seq(raw, path)))
    if len(set(values)) != len(values):
        r.fail(path, "lists the same key twice")
    return values


_SPECIFIC: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # type: (allowed specific keys, allowed effect keys)
    "statements": (("position", "min_count", "min_areas", "areas", "items"), _EFFECTS),
    "score_band": (("scope", "areas"), ("flag",)),
    "observations": (
        ("source", "categories", "domains", "min_level", "min_count", "min_sources", "within_days"),
        _EFFECTS,
    ),
    "vulnerability": (("matrix",), ("flag",)),
    "history": (("min_position", "rounds"), _EFFECTS),
}


def _parse_rule(r: Reader, raw: Any, path: str, index: int, cats: ObservationCatalogue) -> Rule:
    head = r.mapping(raw, path, required=("id", "type"), open_keys=True)
    rule_id = r.key(head["id"], join(path, "id"))
    rtype = r.choice(head["type"], join(path, "type"), RULE_TYPES)
    specific, effects = _SPECIFIC[rtype]
    m = r.mapping(raw, path, required=("id", "type"), optional=(*_COMMON, *specific, *effects))
    p = path

    then = r.position(m["then"], join(p, "then")) if "then" in m else None
    raise_by = r.integer(m["raise"], join(p, "raise"), minimum=1, maximum=2) if "raise" in m else 0
    flag = r.key(m["flag"], join(p, "flag")) if "flag" in m else None
    if then is not None and raise_by:
        r.fail(p, "use either 'then' or 'raise', not both")
    if then == Position.GREEN:
        r.fail(join(p, "then"), "'then: green' can never change a position (rules only raise)")
    if "then" in effects and then is None and not raise_by and flag is None:
        r.fail(p, "the rule has no effect: give 'then', 'raise' or 'flag'")
    common: dict[str, Any] = {
        "id": rule_id,
        "type": rtype,
        "index": index,
        "path": p,
        "label": r.label(m["label"], join(p, "label")) if "label" in m else None,
        "then": then,
        "raise_by": raise_by,
        "flag": flag,
        "instruments": _key_set(r, m["instruments"], join(p, "instruments"))
        if "instruments" in m
        else None,
    }

    if rtype == "statements":
        raw_pos = m.get("position", ["yellow", "red"])
        pos_list = [raw_pos] if isinstance(raw_pos, str) else r.seq(raw_pos, join(p, "position"))
        positions = frozenset(
            r.position(v, join(p, "position") if isinstance(raw_pos, str) else join(p, i))
            for i, v in enumerate(pos_list)
        )
        if Position.GREEN in positions:
            r.fail(
                join(p, "position"),
                "green statements describe resources; rules count yellow or red statements",
            )
        items = _key_tuple(r, m["items"], join(p, "items")) if "items" in m else None
        if items is not None and common["instruments"] is None:
            r.fail(join(p, "items"), "a rule that names items must also name its 'instruments'")
        return StatementsRule(
            **common,
            positions=positions,
            min_count=r.integer(m.get("min_count", 1), join(p, "min_count"), minimum=1),
            min_areas=r.integer(m.get("min_areas", 1), join(p, "min_areas"), minimum=1),
            areas=_key_tuple(r, m["areas"], join(p, "areas")) if "areas" in m else None,
            items=items,
        )
    if rtype == "score_band":
        scope = r.choice(m.get("scope", "areas"), join(p, "scope"), ("areas", "total"))
        areas = _key_tuple(r, m["areas"], join(p, "areas")) if "areas" in m else None
        if areas is not None and scope == "total":
            r.fail(join(p, "areas"), "'areas' only applies with scope: areas")
        return ScoreBandRule(**common, scope=scope, areas=areas)
    if rtype == "observations":
        return _parse_observations_rule(r, m, p, common, cats)
    if rtype == "vulnerability":
        return VulnerabilityRule(
            **common, matrix=_parse_matrix(r, m.get("matrix", None), join(p, "matrix"))
        )
    rounds = r.integer(m.get("rounds", 2), join(p, "rounds"), minimum=2)
    min_position = r.position(m.get("min_position", "yellow"), join(p, "min_position"))
    if min_position == Position.GREEN:
        r.fail(join(p, "min_position"), "must be yellow or red (every round is at least green)")
    return HistoryRule(**common, min_position=min_position, rounds=rounds)


def _parse_observations_rule(
    r: Reader, m: Mapping[str, Any], p: str, common: dict[str, Any], cats: ObservationCatalogue
) -> ObservationsRule:
    source = None
    if "source" in m:
        source = r.key(m["source"], join(p, "source"))
        if source not in cats.sources:
            r.fail(
                join(p, "source"),
                f"unknown observation source {source!r} (sources: {', '.join(cats.sources)})",
            )
    categories = None
    if "categories" in m:
        if source is None:
            r.fail(join(p, "categories"), "categories need a 'source' (keys are per source)")
        categories = _key_tuple(r, m["categories"], join(p, "categories"))
        for i, c in enumerate(categories):
            if not cats.has(source, c):
                known = ", ".join(cats.sources[source].categories)
                r.fail(
                    join(join(p, "categories"), i),
                    f"unknown category {c!r} for source {source!r} (categories: {known})",
                )
    domains = None
    if "domains" in m:
        domains = _key_tuple(r, m["domains"], join(p, "domains"))
        for i, d in enumerate(domains):
            r.choice(d, join(join(p, "domains"), i), list(DOMAINS))
    min_level = r.integer(m.get("min_level", 1), join(p, "min_level"), minimum=1)
    if min_level > max(LEVELS):
        r.fail(join(p, "min_level"), f"can never fire: the highest level is {max(LEVELS)}")
    min_sources = r.integer(m.get("min_sources", 1), join(p, "min_sources"), minimum=1)
    min_count = r.integer(m.get("min_count", 1), join(p, "min_count"), minimum=1)
    within_days = (
        r.integer(m["within_days"], join(p, "within_days"), minimum=1)
        if "within_days" in m
        else None
    )
    allowed = frozenset(
        (c.source, c.key)
        for c in cats.all_categories()
        if (source is None or c.source == source)
        and (categories is None or c.key in categories)
        and (domains is None or c.domain in domains)
    )
    if not allowed:
        r.fail(p, "can never fire: no observation category matches its source/categories/domains")
    n_sources = len({s for s, _ in allowed})
    if min_sources > n_sources:
        r.fail(
            join(p, "min_sources"),
            f"can never fire: it needs {min_sources} sources but only {n_sources} "
            f"can match its filters",
        )
    return ObservationsRule(
        **common,
        source=source,
        categories=categories,
        domains=domains,
        min_level=min_level,
        min_count=max(min_count, min_sources),
        min_sources=min_sources,
        within_days=within_days,
        allowed=allowed,
    )


def _parse_matrix(
    r: Reader, raw: Any, p: str
) -> tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]:
    if raw is None:
        r.fail(p, "missing: a vulnerability rule needs a matrix")
    m = r.mapping(raw, p, optional=[v.value for v in VULNERABILITIES])
    rows: list[tuple[int, int, int]] = []
    for v in VULNERABILITIES:
        if v.value not in m:
            rows.append((0, 1, 2))  # omitted rows leave the position unchanged
            continue
        rp = join(p, v.value)
        row = r.mapping(m[v.value], rp, required=[q.value for q in POSITIONS])
        values = tuple(r.position(row[q.value], join(rp, q.value)).severity for q in POSITIONS)
        for q in POSITIONS:
            out = values[q.severity]
            if out < q.severity:
                r.fail(
                    join(rp, q.value),
                    f"would lower {q.value} to {POSITIONS[out].value}; rules only raise positions",
                )
        for a, b in ((0, 1), (1, 2)):
            if values[b] < values[a]:
                r.fail(
                    rp,
                    f"must not get greener as wellbeing gets worse: {POSITIONS[a].value} gives "
                    f"{POSITIONS[values[a]].value} but {POSITIONS[b].value} gives "
                    f"{POSITIONS[values[b]].value}",
                )
        rows.append(values)  # type: ignore[arg-type]
    for lvl in (1, 2):
        for q in POSITIONS:
            lo, hi = rows[lvl - 1][q.severity], rows[lvl][q.severity]
            if hi < lo:
                r.fail(
                    join(join(p, VULNERABILITIES[lvl].value), q.value),
                    f"a more vulnerable position must not give a greener result "
                    f"({VULNERABILITIES[lvl - 1].value}: {POSITIONS[lo].value}, "
                    f"{VULNERABILITIES[lvl].value}: {POSITIONS[hi].value})",
                )
    if rows == [(0, 1, 2)] * 3:
        r.fail(p, "can never fire: the matrix never changes a position")
    return rows[0], rows[1], rows[2]
