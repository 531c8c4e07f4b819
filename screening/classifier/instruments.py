"""Instruments (trivselsskemaer): versioned YAML definitions, loaded and validated strictly.

See docs/CLASSIFIER.md for the format. An instrument is either an ``indicator`` instrument
(statements that each belong to a position) or a ``score`` instrument (rated items summed per
area and in total, mapped through cut-off bands that live in the instrument).
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from screening.classifier._load import DATA_DIR, Label, Reader, Source, join, read_source
from screening.classifier.errors import InstrumentError
from screening.classifier.positions import DOMAINS, Position

INSTRUMENT_KINDS = ("indicator", "score")
ITEM_KINDS = ("indicator", "rated", "text")
DIRECTIONS = ("higher_is_better", "higher_is_worse")
_ITEM_KINDS_FOR = {"indicator": ("indicator", "text"), "score": ("rated", "text")}
_TABLE_LIMIT = 1 << 16


@dataclass(frozen=True, slots=True, eq=False)
class Scale:
    """An integer rating scale, inclusive at both ends, with optional labels per value."""

    min: int
    max: int
    labels: Mapping[int, Label] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, eq=False)
class Item:
    key: str
    area: str
    kind: str  # "indicator", "rated" or "text"
    text: Label
    domain: str  # the item's own domain, or its area's
    index: int  # position in Instrument.items
    area_index: int
    position: Position | None = None  # indicator items only
    scale: Scale | None = None  # rated items only
    direction: str | None = None  # rated items only

    def concern(self, value: int) -> int:
        """How far a rating lies from the item's best end (0 = best)."""
        if self.scale is None:
            raise ValueError(f"item {self.key} is not rated")
        if self.direction == "higher_is_better":
            return self.scale.max - value
        return value - self.scale.min


@dataclass(frozen=True, slots=True, eq=False)
class Area:
    key: str
    title: Label
    domain: str
    items: tuple[Item, ...]
    index: int

    @property
    def rated_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.kind == "rated")

    def statements(self, position: Position | str | None = None) -> tuple[Item, ...]:
        return tuple(
            i
            for i in self.items
            if i.kind == "indicator" and (position is None or i.position == position)
        )


@dataclass(frozen=True, slots=True)
class Band:
    position: Position
    min: int
    max: int


@dataclass(frozen=True, slots=True, eq=False)
class BandSet:
    """Cut-off bands for one score, covering every possible score exactly once.

    ``direction`` says which end is good: with ``higher_is_better`` (ASQ-like) low scores are
    the concerning ones; with ``higher_is_worse`` (SDQ-like) high scores are. Rated items whose
    own direction differs are reverse-scored (scale min + max - value) before summing.
    """

    direction: str
    bands: tuple[Band, ...]  # sorted by min
    min_score: int
    max_score: int
    _lows: tuple[int, ...] = field(repr=False)
    _table: tuple[int, ...] | None = field(repr=False)  # severity per (score - min_score)

    def band_for(self, score: int) -> Band:
        if not self.min_score <= score <= self.max_score:
            raise ValueError(f"score {score} outside {self.min_score}–{self.max_score}")
        return self.bands[bisect_right(self._lows, score) - 1]

    def severity_for(self, score: int) -> int:
        if self._table is not None:
            return self._table[score - self.min_score]
        return self.band_for(score).position.severity

    def position_for(self, score: int) -> Position:
        return self.band_for(score).position


@dataclass(frozen=True, slots=True, eq=False)
class Instrument:
    """One versioned instrument. Identity (not value) equality: load once, share the object."""

    key: str
    version: int
    kind: str  # "indicator" or "score"
    title: Label
    min_months: int  # inclusive
    max_months: int  # exclusive
    areas: tuple[Area, ...]
    items: tuple[Item, ...]
    area_bands: Mapping[str, BandSet]
    total_bands: BandSet | None
    scale: Scale | None
    description: Label | None
    source: str
    _items: Mapping[str, Item] = field(repr=False)
    _areas: Mapping[str, Area] = field(repr=False)

    def item(self, key: str) -> Item:
        try:
            return self._items[key]
        except KeyError:
            raise KeyError(f"instrument {self.key} has no item {key!r}") from None

    def area(self, key: str) -> Area:
        try:
            return self._areas[key]
        except KeyError:
            raise KeyError(f"instrument {self.key} has no area {key!r}") from None

    def has_item(self, key: str) -> bool:
        return key in self._items

    def has_area(self, key: str) -> bool:
        return key in self._areas

    def covers_age(self, months: int) -> bool:
        return self.min_months <= months < self.max_months

    def statements(self, position: Position | str | None = None) -> tuple[Item, ...]:
        return tuple(
            i
            for i in self.items
            if i.kind == "indicator" and (position is None or i.position == position)
        )

    @property
    def rated_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.kind == "rated")

    def score_range(self, area: str | None = None) -> tuple[int, int]:
        """Lowest and highest possible sum of the rated items of one area (or all areas)."""
        items = self.rated_items if area is None else self.area(area).rated_items
        return sum(i.scale.min for i in items if i.scale), sum(
            i.scale.max for i in items if i.scale
        )

    @property
    def ident(self) -> str:
        return f"{self.key} v{self.version}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary for the app (areas, items, labels), without bands."""
        return {
            "key": self.key,
            "version": self.version,
            "kind": self.kind,
            "title": self.title.to_dict(),
            "min_months": self.min_months,
            "max_months": self.max_months,
            "areas": [
                {
                    "key": a.key,
                    "title": a.title.to_dict(),
                    "domain": a.domain,
                    "items": [_item_dict(i) for i in a.items],
                }
                for a in self.areas
            ],
        }


def _item_dict(item: Item) -> dict[str, Any]:
    d: dict[str, Any] = {"key": item.key, "kind": item.kind, "text": item.text.to_dict()}
    d["domain"] = item.domain
    if item.position is not None:
        d["position"] = item.position.value
    if item.scale is not None:
        d["scale"] = {"min": item.scale.min, "max": item.scale.max}
        d["direction"] = item.direction
    return d


# --------------------------------------------------------------------------- loading


def load_instrument(src: Source) -> Instrument:
    """Load and validate one instrument from a YAML file path or an already-parsed mapping."""
    doc, name = read_source(src, InstrumentError, "instrument")
    return _parse_instrument(Reader(InstrumentError, name), doc)


def load_instruments(directory: str | PathLike[str] | None = None) -> list[Instrument]:
    """Load every ``*.yaml``/``*.yml`` file in a directory (default: the shipped instruments).

    Sorted by age band, then key and version. Refuses two files with the same key and version.
    """
    folder = Path(directory) if directory is not None else DATA_DIR / "instruments"
    if not folder.is_dir():
        raise InstrumentError("not a directory", source=str(folder))
    paths = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not paths:
        raise InstrumentError("no instrument files (*.yaml) found", source=str(folder))
    seen: dict[tuple[str, int], str] = {}
    result = []
    for path in paths:
        inst = load_instrument(path)
        ident = (inst.key, inst.version)
        if ident in seen:
            raise InstrumentError(
                f"instrument {inst.key} version {inst.version} is also defined in {seen[ident]}",
                source=str(path),
            )
        seen[ident] = str(path)
        result.append(inst)
    result.sort(key=lambda i: (i.min_months, i.max_months, i.key, i.version))
    return result


def instruments_for_age(instruments: Sequence[Instrument], months: int) -> list[Instrument]:
    """The instruments whose age band covers an age in whole months."""
    return [i for i in instruments if i.covers_age(months)]


def _parse_instrument(r: Reader, doc: Mapping[str, Any]) -> Instrument:
    r.mapping(
        doc,
        "",
        required=("key", "version", "kind", "title", "age", "areas"),
        optional=("description", "scale", "items", "bands"),
    )
    key = r.key(doc["key"], "key")
    version = r.integer(doc["version"], "version", minimum=1)
    kind = r.choice(doc["kind"], "kind", INSTRUMENT_KINDS)
    title = r.label(doc["title"], "title")
    description = r.label(doc["description"], "description") if "description" in doc else None
    age = r.mapping(doc["age"], "age", required=("min_months", "max_months"))
    min_months = r.integer(age["min_months"], "age.min_months", minimum=0)
    max_months = r.integer(age["max_months"], "age.max_months", minimum=1)
    if max_months <= min_months:
        r.fail("age", f"max_months ({max_months}) must be greater than min_months ({min_months})")
    default_scale = _parse_scale(r, doc["scale"], "scale") if "scale" in doc else None
    if default_scale is not None and kind != "score":
        r.fail("scale", "only score instruments have a rating scale")

    # Areas first (so items can name them), with their nested items kept in order.
    raw_areas = r.seq(doc["areas"], "areas")
    area_heads: list[tuple[str, Label, str, str]] = []
    raw_items: dict[str, list[tuple[Any, str]]] = {}
    for ai, raw in enumerate(raw_areas):
        apath = join("areas", ai)
        m = r.mapping(raw, apath, required=("key", "title", "domain"), optional=("items",))
        akey = r.key(m["key"], join(apath, "key"))
        if akey in raw_items:
            r.fail(join(apath, "key"), f"duplicate area key {akey!r}")
        domain = r.choice(m["domain"], join(apath, "domain"), list(DOMAINS))
        area_heads.append((akey, r.label(m["title"], join(apath, "title")), domain, apath))
        raw_items[akey] = []
        if "items" in m:
            for ii, raw_item in enumerate(r.seq(m["items"], join(apath, "items"))):
                ipath = join(join(apath, "items"), ii)
                if isinstance(raw_item, Mapping) and "area" in raw_item:
                    r.fail(join(ipath, "area"), "items listed under an area must not name an area")
                raw_items[akey].append((raw_item, ipath))
    if "items" in doc:
        for ii, raw_item in enumerate(r.seq(doc["items"], "items")):
            ipath = join("items", ii)
            m = r.mapping(raw_item, ipath, open_keys=True)
            if "area" not in m:
                r.fail(ipath, "missing required key 'area' (items listed at the top level)")
            akey = r.key(m["area"], join(ipath, "area"))
            if akey not in raw_items:
                r.fail(
                    join(ipath, "area"),
                    f"unknown area {akey!r} (areas: {', '.join(raw_items)})",
                )
            raw_items[akey].append((raw_item, ipath))

    items: list[Item] = []
    areas: list[Area] = []
    seen_items: dict[str, str] = {}
    for ai, (akey, atitle, adomain, apath) in enumerate(area_heads):
        area_items: list[Item] = []
        for raw_item, ipath in raw_items[akey]:
            item = _parse_item(
                r, raw_item, ipath, kind, akey, ai, adomain, len(items), default_scale
            )
            if item.key in seen_items:
                r.fail(
                    join(ipath, "key"),
                    f"duplicate item key {item.key!r} (first used at {seen_items[item.key]})",
                )
            seen_items[item.key] = ipath
            items.append(item)
            area_items.append(item)
        if not area_items:
            r.fail(apath, f"area {akey!r} has no items")
        if not any(i.kind != "text" for i in area_items):
            r.fail(apath, f"area {akey!r} has only text items; it needs statements or ratings")
        areas.append(Area(akey, atitle, adomain, tuple(area_items), ai))

    if kind == "indicator" and not any(i.position != Position.GREEN for i in items if i.position):
        r.fail("areas", "an indicator instrument needs at least one yellow or red statement")

    inst_items = {i.key: i for i in items}
    inst_areas = {a.key: a for a in areas}
    area_bands: dict[str, BandSet] = {}
    total_bands: BandSet | None = None
    if kind == "score":
        if "bands" not in doc:
            r.fail("", "missing required key 'bands' (a score instrument carries its cut-offs)")
        area_bands, total_bands = parse_bands(r, doc["bands"], "bands", areas)
    elif "bands" in doc:
        r.fail("bands", "only score instruments have bands")

    return Instrument(
        key=key,
        version=version,
        kind=kind,
        title=title,
        min_months=min_months,
        max_months=max_months,
        areas=tuple(areas),
        items=tuple(items),
        area_bands=area_bands,
        total_bands=total_bands,
        scale=default_scale,
        description=description,
        source=r.source,
        _items=inst_items,
        _areas=inst_areas,
    )


def _parse_scale(r: Reader, raw: Any, path: str) -> Scale:
    m = r.mapping(raw, path, required=("min", "max"), optional=("labels",))
    lo = r.integer(m["min"], join(path, "min"))
    hi = r.integer(m["max"], join(path, "max"))
    if hi <= lo:
        r.fail(path, f"max ({hi}) must be greater than min ({lo})")
    labels: dict[int, Label] = {}
    if "labels" in m:
        lm = r.mapping(m["labels"], join(path, "labels"), open_keys=True)
        for value, text in lm.items():
            lpath = join(join(path, "labels"), str(value))
            r.integer(value, lpath, minimum=lo, maximum=hi)
            labels[value] = r.label(text, lpath)
    return Scale(lo, hi, labels)


def _parse_item(
    r: Reader,
    raw: Any,
    path: str,
    inst_kind: str,
    area: str,
    area_index: int,
    area_domain: str,
    index: int,
    default_scale: Scale | None,
) -> Item:
    m = r.mapping(
        raw,
        path,
        required=("key", "text"),
        optional=("kind", "position", "scale", "direction", "domain", "area"),
    )
    key = r.key(m["key"], join(path, "key"))
    default_kind = "indicator" if inst_kind == "indicator" else "rated"
    kind = r.choice(m.get("kind", default_kind), join(path, "kind"), ITEM_KINDS)
    if kind not in _ITEM_KINDS_FOR[inst_kind]:
        r.fail(
            join(path, "kind"),
            f"a {inst_kind} instrument cannot have {kind} items "
            f"(allowed: {', '.join(_ITEM_KINDS_FOR[inst_kind])})",
        )
    text = r.label(m["text"], join(path, "text"))
    domain = r.choice(m.get("domain", area_domain), join(path, "domain"), list(DOMAINS))
    position: Position | None = None
    scale: Scale | None = None
    direction: str | None = None
    for extra, needs in (("position", "indicator"), ("scale", "rated"), ("direction", "rated")):
        if extra in m and kind != needs:
            r.fail(join(path, extra), f"only {needs} items have a {extra}")
    if kind == "indicator":
        if "position" not in m:
            r.fail(path, "missing required key 'position' (green, yellow or red)")
        position = r.position(m["position"], join(path, "position"))
    elif kind == "rated":
        if "scale" in m:
            scale = _parse_scale(r, m["scale"], join(path, "scale"))
        elif default_scale is not None:
            scale = default_scale
        else:
            r.fail(path, "missing 'scale' (and the instrument has no default scale)")
        if "direction" not in m:
            r.fail(path, "missing required key 'direction' (higher_is_better or higher_is_worse)")
        direction = r.choice(m["direction"], join(path, "direction"), DIRECTIONS)
    return Item(key, area, kind, text, domain, index, area_index, position, scale, direction)


def parse_bands(
    r: Reader, raw: Any, path: str, areas: Sequence[Area]
) -> tuple[dict[str, BandSet], BandSet | None]:
    """Parse ``{direction?, areas?: {area: bands}, total?: bands}``; used by instruments and
    by rule-set band overrides."""
    m = r.mapping(raw, path, optional=("direction", "areas", "total"))
    if "areas" not in m and "total" not in m:
        r.fail(path, "needs 'areas', 'total' or both")
    default_dir = (
        r.choice(m["direction"], join(path, "direction"), DIRECTIONS) if "direction" in m else None
    )
    by_key = {a.key: a for a in areas}
    area_bands: dict[str, BandSet] = {}
    if "areas" in m:
        am = r.mapping(m["areas"], join(path, "areas"), open_keys=True)
        for akey, raw_set in am.items():
            spath = join(join(path, "areas"), str(akey))
            if akey not in by_key:
                r.fail(spath, f"unknown area {akey!r} (areas: {', '.join(by_key)})")
            rated = by_key[akey].rated_items
            if not rated:
                r.fail(spath, f"area {akey!r} has no rated items to score")
            lo = sum(i.scale.min for i in rated if i.scale)
            hi = sum(i.scale.max for i in rated if i.scale)
            area_bands[akey] = parse_band_set(r, raw_set, spath, lo, hi, default_dir)
    total = None
    if "total" in m:
        rated = tuple(i for a in areas for i in a.rated_items)
        if not rated:
            r.fail(join(path, "total"), "the instrument has no rated items to score")
        lo = sum(i.scale.min for i in rated if i.scale)
        hi = sum(i.scale.max for i in rated if i.scale)
        total = parse_band_set(r, m["total"], join(path, "total"), lo, hi, default_dir)
    return area_bands, total


def _fmt_band(b: Band) -> str:
    return f"{b.position.value} ({b.min}–{b.max})"


def parse_band_set(
    r: Reader, raw: Any, path: str, lo: int, hi: int, default_dir: str | None
) -> BandSet:
    """Validate bands for scores lo..hi: no overlap, no gap, none outside, monotone by severity."""
    if isinstance(raw, Mapping):
        m = r.mapping(raw, path, required=("bands",), optional=("direction",))
        direction = (
            r.choice(m["direction"], join(path, "direction"), DIRECTIONS)
            if "direction" in m
            else default_dir
        )
        raw_bands = m["bands"]
        bpath = join(path, "bands")
    else:
        direction, raw_bands, bpath = default_dir, raw, path
    if direction is None:
        r.fail(path, "missing 'direction' (higher_is_better or higher_is_worse)")
    entries: list[tuple[Band, str]] = []
    for bi, raw_band in enumerate(r.seq(raw_bands, bpath)):
        p = join(bpath, bi)
        bm = r.mapping(raw_band, p, required=("position", "min", "max"))
        band = Band(
            r.position(bm["position"], join(p, "position")),
            r.integer(bm["min"], join(p, "min")),
            r.integer(bm["max"], join(p, "max")),
        )
        if band.max < band.min:
            r.fail(p, f"band {_fmt_band(band)}: max must not be below min")
        if band.max < lo or band.min > hi:
            r.fail(
                p,
                f"band {_fmt_band(band)} covers no possible score (possible scores are {lo}–{hi})",
            )
        if band.min < lo or band.max > hi:
            r.fail(
                p,
                f"band {_fmt_band(band)} reaches beyond the possible scores {lo}–{hi}",
            )
        entries.append((band, p))
    entries.sort(key=lambda e: e[0].min)
    if entries[0][0].min > lo:
        r.fail(bpath, f"no band covers scores {lo}–{entries[0][0].min - 1}")
    if entries[-1][0].max < hi:
        r.fail(bpath, f"no band covers scores {entries[-1][0].max + 1}–{hi}")
    for (a, _), (b, pb) in itertools.pairwise(entries):
        if b.min <= a.max:
            r.fail(
                pb,
                f"band {_fmt_band(b)} overlaps band {_fmt_band(a)} "
                f"at scores {b.min}–{min(a.max, b.max)}",
            )
        if b.min > a.max + 1:
            r.fail(bpath, f"no band covers scores {a.max + 1}–{b.min - 1}")
        worse_later = direction == "higher_is_worse"
        if (
            (b.position.severity < a.position.severity)
            if worse_later
            else (b.position.severity > a.position.severity)
        ):
            end = "high" if worse_later else "low"
            r.fail(
                pb,
                f"bands must grow more concerning towards the worse end ({direction}: {end} "
                f"scores are worse), but {_fmt_band(b)} lies above {_fmt_band(a)}",
            )
    bands = tuple(e[0] for e in entries)
    table = None
    if hi - lo < _TABLE_LIMIT:
        table = tuple(b.position.severity for b in bands for _ in range(b.min, b.max + 1))
    return BandSet(direction, bands, lo, hi, tuple(b.min for b in bands), table)


def iter_bandsets(inst: Instrument) -> Iterator[tuple[str | None, BandSet]]:
    yield from inst.area_bands.items()
    if inst.total_bands is not None:
        yield None, inst.total_bands
