"""Instruments, rule sets and action-path templates: loaded from YAML files into versioned
rows, compiled once.

A definition row never changes: loading a file whose key and version exist with different
content is refused (give the changed instrument a new version). Assessments point at the
exact row they were made with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import defer

from screening.catalogue.models import (
    ActionPathTemplateVersion,
    InstrumentVersion,
    RuleSetVersion,
)
from screening.classifier import (
    Instrument,
    InstrumentError,
    RuleSet,
    RuleSetError,
    load_instrument,
    load_ruleset,
)
from screening.core import header
from screening.core.extensions import db
from screening.org.models import Municipality
from screening.paths import rules
from screening.paths.models import ActionPath
from screening.rounds.models import ScreeningRound

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


class CatalogueError(ValueError):
    """A definition file cannot be loaded; the message names the file and the problem."""


@dataclass(frozen=True)
class Loaded:
    kind: str  # "instrument" | "ruleset"
    key: str
    version: int
    status: str  # "added" | "unchanged"


def _yaml_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise CatalogueError(f"{path}: no such file or directory")
    files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    if not files:
        raise CatalogueError(f"{path}: no *.yaml files")
    return files


def load_instrument_files(path: Path | None = None) -> list[Loaded]:
    """Validate and store every instrument file (flush only). All or nothing."""
    out = []
    for file in _yaml_files(path or DATA_DIR / "instruments"):
        try:
            inst = load_instrument(file)
        except InstrumentError as exc:
            raise CatalogueError(str(exc)) from exc
        text = file.read_text(encoding="utf-8")
        row = db.session.scalar(
            sa.select(InstrumentVersion).where(
                InstrumentVersion.key == inst.key, InstrumentVersion.version == inst.version
            )
        )
        if row is not None:
            if not _same(row.source_yaml, text):
                raise CatalogueError(
                    f"{file}: instrument {inst.key} version {inst.version} is already loaded "
                    "with different content; give the changed instrument a new version"
                )
            out.append(Loaded("instrument", inst.key, inst.version, "unchanged"))
            continue
        db.session.add(
            InstrumentVersion(
                key=inst.key,
                version=inst.version,
                kind=inst.kind,
                title_da=inst.title.da,
                title_en=inst.title.en,
                min_months=inst.min_months,
                max_months=inst.max_months,
                source_yaml=text,
            )
        )
        out.append(Loaded("instrument", inst.key, inst.version, "added"))
    db.session.flush()
    return out


def load_ruleset_files(path: Path | None = None) -> list[Loaded]:
    """Validate every rule-set file against the newest instruments, then store it."""
    instruments = [compiled_instrument(row) for row in newest_instruments()]
    out = []
    for file in _yaml_files(path or DATA_DIR / "rules"):
        try:
            rs = load_ruleset(file, instruments=instruments)
        except RuleSetError as exc:
            raise CatalogueError(str(exc)) from exc
        text = file.read_text(encoding="utf-8")
        row = db.session.scalar(
            sa.select(RuleSetVersion).where(
                RuleSetVersion.key == rs.key, RuleSetVersion.version == rs.version
            )
        )
        if row is not None:
            if not _same(row.source_yaml, text):
                raise CatalogueError(
                    f"{file}: rule set {rs.key} version {rs.version} is already loaded with "
                    "different content; give the changed rule set a new version"
                )
            out.append(Loaded("ruleset", rs.key, rs.version, "unchanged"))
            continue
        db.session.add(
            RuleSetVersion(key=rs.key, version=rs.version, title_da=rs.title.da, source_yaml=text)
        )
        out.append(Loaded("ruleset", rs.key, rs.version, "added"))
    db.session.flush()
    return out


def _same(stored: str, new: str) -> bool:
    """Same content, whatever the comments and layout."""
    return bool(yaml.safe_load(stored) == yaml.safe_load(new))


def newest_instruments() -> list[InstrumentVersion]:
    newest = (
        sa.select(InstrumentVersion.key, sa.func.max(InstrumentVersion.version).label("v"))
        .group_by(InstrumentVersion.key)
        .subquery()
    )
    return list(
        db.session.scalars(
            sa.select(InstrumentVersion)
            .join(
                newest,
                sa.and_(
                    InstrumentVersion.key == newest.c.key, InstrumentVersion.version == newest.c.v
                ),
            )
            .order_by(InstrumentVersion.min_months, InstrumentVersion.key)
        )
    )


# Definitions are immutable per row, so a compiled object can be kept for the process's
# life. The key includes the load time: a test database reset may reuse ids.
_CacheKey = tuple[int, str, int, datetime]
_INSTRUMENTS: dict[_CacheKey, Instrument] = {}
_RULESETS: dict[_CacheKey, RuleSet] = {}


def compiled_instrument(row: InstrumentVersion) -> Instrument:
    cache_key = (row.id, row.key, row.version, row.loaded_at)
    inst = _INSTRUMENTS.get(cache_key)
    if inst is None:
        inst = _INSTRUMENTS[cache_key] = load_instrument(yaml.safe_load(row.source_yaml))
    return inst


def _municipality() -> Municipality | None:
    return db.session.scalar(sa.select(Municipality).limit(1))


def active_ruleset() -> tuple[RuleSetVersion, RuleSet]:
    """The newest version of the rule set the municipality has chosen. The municipality is
    the one the signed-in user's statement loaded with the page's header in this request
    (`screening.core.header`; the same row, one per deployment), else asked for."""
    muni = header.municipality(_municipality)
    key = muni.ruleset_key if muni else "default"
    row = db.session.scalar(
        sa.select(RuleSetVersion)
        .where(RuleSetVersion.key == key)
        .order_by(RuleSetVersion.version.desc())
        .limit(1)
    )
    if row is None:
        raise CatalogueError(f"no rule set {key!r} is loaded; run `flask load-catalogue`")
    cache_key = (row.id, row.key, row.version, row.loaded_at)
    rs = _RULESETS.get(cache_key)
    if rs is None:
        rs = _RULESETS[cache_key] = load_ruleset(yaml.safe_load(row.source_yaml))
    return row, rs


def ruleset_title(key: str, version: int, lang: str = "da") -> str:
    """The title of a loaded rule-set version in the language (its key if not loaded), for
    the screen: the key itself is an internal name."""
    row = db.session.scalar(
        sa.select(RuleSetVersion).where(
            RuleSetVersion.key == key, RuleSetVersion.version == version
        )
    )
    if row is None:
        return key
    cache_key = (row.id, row.key, row.version, row.loaded_at)
    rs = _RULESETS.get(cache_key)
    if rs is None:
        rs = _RULESETS[cache_key] = load_ruleset(yaml.safe_load(row.source_yaml))
    return rs.title.get(lang)


_INSTRUMENT_FOR = (
    sa.select(InstrumentVersion)
    .where(
        InstrumentVersion.key.in_(sa.bindparam("keys", expanding=True)),
        InstrumentVersion.min_months <= sa.bindparam("age_months"),
        InstrumentVersion.max_months > sa.bindparam("age_months"),
    )
    .order_by(InstrumentVersion.version.desc(), InstrumentVersion.key)
    .limit(1)
)


def instrument_for(round_: ScreeningRound, age_months: int) -> InstrumentVersion | None:
    """The newest version of the round's instrument whose age band covers the child."""
    if not round_.instrument_keys:
        return None
    found: InstrumentVersion | None = db.session.scalar(
        _INSTRUMENT_FOR, {"keys": list(round_.instrument_keys), "age_months": age_months}
    )
    return found


@dataclass(frozen=True)
class AgeBand:
    """One of a round's instruments as a range of birth dates: a child born after
    `born_after` and on or before `born_by` is assessed with `instrument` (its age in whole
    months at the round's reference date lies in the instrument's band)."""

    instrument: InstrumentVersion
    born_after: date
    born_by: date

    @property
    def key(self) -> str:
        return self.instrument.key


def band_of(bands: list[AgeBand], birth: date) -> AgeBand | None:
    """The band of `round_bands` a child born on `birth` falls in (None: no instrument of
    the round covers the child's age)."""
    return next((b for b in bands if b.born_after < birth <= b.born_by), None)


def age_in_months(birth: date, on: date) -> int:
    """Whole months from `birth` to `on` (as `Child.age_in_months`)."""
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    return months - 1 if on.day < birth.day else months


def latest_birth_for_age(on: date, months: int) -> date:
    """The latest birth date of a child who is at least `months` old on `on`."""
    year, month = divmod(on.year * 12 + on.month - 1 - months, 12)
    guess = date(year, month + 1, 1) + timedelta(days=on.day - 1)
    while age_in_months(guess, on) < months:
        guess -= timedelta(days=1)
    while age_in_months(guess + timedelta(days=1), on) >= months:
        guess += timedelta(days=1)
    return guess


def round_bands(round_: ScreeningRound) -> list[AgeBand]:
    """The round's instruments (the newest version covering each age, as `instrument_for`
    picks them) as birth-date ranges, youngest first. One query, whatever the number of
    children: SQL can then place every child by comparing birth dates."""
    if not round_.instrument_keys:
        return []
    rows = db.session.scalars(
        sa.select(InstrumentVersion)
        .where(InstrumentVersion.key.in_(round_.instrument_keys))
        .order_by(InstrumentVersion.version.desc(), InstrumentVersion.key)
        # Not the definitions' YAML (10 KB each, on every page that lists a round's
        # children): compiled once per process, it is read when first needed.
        .options(defer(InstrumentVersion.source_yaml))
    ).all()
    by_id = {r.id: r for r in rows}
    ages = tuple((r.id, r.min_months, r.max_months) for r in rows)
    return [
        AgeBand(by_id[row_id], born_after, born_by)
        for row_id, born_after, born_by in _bands(round_.reference_date, ages)
    ]


@lru_cache(maxsize=256)
def _bands(ref: date, ages: tuple[tuple[int, int, int], ...]) -> list[tuple[int, date, date]]:
    """`round_bands` from the instruments' (id, min_months, max_months) in the order
    `instrument_for` looks at them: (id, born after, born by) per band. Worked out once per
    reference date and instruments (month by month, with a date search for each bound)."""
    # Month by month, the instrument `instrument_for` would choose (first in this order).
    top = max((hi for _id, _lo, hi in ages), default=0)
    chosen: list[tuple[int, int | None]] = []
    for months in range(0, top + 1):
        found = next((row_id for row_id, lo, hi in ages if lo <= months < hi), None)
        if not chosen or chosen[-1][1] != found:
            chosen.append((months, found))
    bands = []
    for i, (start, row_id) in enumerate(chosen):
        if row_id is None:
            continue
        end = chosen[i + 1][0] if i + 1 < len(chosen) else top + 1
        bands.append((row_id, latest_birth_for_age(ref, end), latest_birth_for_age(ref, start)))
    return bands


# Action-path templates -------------------------------------------------------------------

_TEMPLATES: dict[_CacheKey, rules.Templates] = {}


def load_template_file(path: Path | None = None) -> str:
    """Validate and store the action-path templates (flush only). Returns the status."""
    path = path or rules.DATA_FILE
    try:
        templates = rules.load_templates(path)
    except rules.TemplateError as exc:
        raise CatalogueError(str(exc)) from exc
    text = path.read_text(encoding="utf-8")
    row = db.session.scalar(
        sa.select(ActionPathTemplateVersion).where(
            ActionPathTemplateVersion.key == templates.key,
            ActionPathTemplateVersion.version == templates.version,
        )
    )
    if row is not None:
        if yaml.safe_load(row.source_yaml) != yaml.safe_load(text):
            raise CatalogueError(
                f"{path}: action paths {templates.key} version {templates.version} are already "
                "loaded with different content; give the changed file a new version"
            )
        return "unchanged"
    db.session.add(
        ActionPathTemplateVersion(key=templates.key, version=templates.version, source_yaml=text)
    )
    db.session.flush()
    return "added"


def active_templates() -> tuple[ActionPathTemplateVersion, rules.Templates]:
    row = db.session.scalar(
        sa.select(ActionPathTemplateVersion)
        .order_by(
            ActionPathTemplateVersion.loaded_at.desc(), ActionPathTemplateVersion.version.desc()
        )
        .limit(1)
    )
    if row is None:
        raise CatalogueError("no action-path templates are loaded; run `flask load-catalogue`")
    key = (row.id, row.key, row.version, row.loaded_at)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = rules.load_templates(yaml.safe_load(row.source_yaml))
    return row, _TEMPLATES[key]


def templates_for(path: ActionPath) -> rules.Templates:
    """The template version a path was opened with (its rows are never deleted)."""
    row = db.session.execute(
        sa.select(ActionPathTemplateVersion).where(
            ActionPathTemplateVersion.key == path.template_key,
            ActionPathTemplateVersion.version == path.template_version,
        )
    ).scalar_one()
    key = (row.id, row.key, row.version, row.loaded_at)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = rules.load_templates(yaml.safe_load(row.source_yaml))
    return _TEMPLATES[key]
