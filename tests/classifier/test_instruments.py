"""Instrument definitions: the shipped ones, and validation errors on bad ones."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from screening.classifier import (
    DOMAINS,
    Instrument,
    InstrumentError,
    Position,
    instruments_for_age,
    load_instrument,
    load_instruments,
)

TOPI = ("topi-0-1", "topi-1-3", "topi-3-6")
AREAS = ["emotional", "cognitive", "social", "physical"]


def test_shipped_instruments(instruments: dict[str, Instrument]) -> None:
    assert set(instruments) == {*TOPI, "rating-3-6"}
    assert [(instruments[k].min_months, instruments[k].max_months) for k in TOPI] == [
        (0, 12),
        (12, 36),
        (36, 84),
    ]
    for inst in instruments.values():
        assert inst.version >= 1
        assert [a.key for a in inst.areas] == AREAS
        assert len({i.key for i in inst.items}) == len(inst.items)


@pytest.mark.parametrize("key", TOPI)
def test_topi_instruments_have_enough_statements_per_area(
    instruments: dict[str, Instrument], key: str
) -> None:
    inst = instruments[key]
    assert inst.kind == "indicator"
    for area in inst.areas:
        assert 3 <= len(area.statements(Position.GREEN)) <= 5, area.key
        assert 3 <= len(area.statements(Position.YELLOW)) <= 4, area.key
        assert 2 <= len(area.statements(Position.RED)) <= 3, area.key
        assert any(i.kind == "text" for i in area.items), "a free-text item per area"


def test_texts_are_danish_and_english(instruments: dict[str, Instrument]) -> None:
    danish = "".join(i.text.da for inst in instruments.values() for i in inst.items)
    assert {"æ", "ø", "å"} <= set(danish)
    for inst in instruments.values():
        for item in inst.items:
            assert item.text.da != item.text.en, item.key
            assert item.text.da[0].isupper(), item.key
            assert item.text.en[0].isupper(), item.key
            assert item.domain in DOMAINS


def test_items_carry_their_own_domain(instruments: dict[str, Instrument]) -> None:
    topi = instruments["topi-3-6"]
    assert topi.area("cognitive").domain == "cognitive"
    assert topi.item("cog-y1").domain == "language"
    assert topi.item("cog-y3").domain == "cognitive"


def test_score_instrument_bands(instruments: dict[str, Instrument]) -> None:
    rating = instruments["rating-3-6"]
    assert rating.kind == "score"
    assert rating.score_range("emotional") == (5, 25)
    assert rating.score_range() == (20, 100)
    bands = rating.area_bands["social"]
    assert bands.direction == "higher_is_better"
    assert [bands.position_for(s) for s in (5, 12, 13, 16, 17, 25)] == [
        "red", "red", "yellow", "yellow", "green", "green",
    ]  # fmt: skip
    assert rating.total_bands is not None
    assert rating.total_bands.position_for(52) == "red"
    assert rating.total_bands.position_for(69) == "green"
    with pytest.raises(ValueError, match="outside"):
        bands.band_for(26)


def test_instruments_for_age(instruments: dict[str, Instrument]) -> None:
    all_ = list(instruments.values())
    assert [i.key for i in instruments_for_age(all_, 0)] == ["topi-0-1"]
    assert [i.key for i in instruments_for_age(all_, 11)] == ["topi-0-1"]
    assert [i.key for i in instruments_for_age(all_, 12)] == ["topi-1-3"]
    assert sorted(i.key for i in instruments_for_age(all_, 36)) == ["rating-3-6", "topi-3-6"]
    assert instruments_for_age(all_, 84) == []


def test_to_dict_lists_areas_and_items(instruments: dict[str, Instrument]) -> None:
    d = instruments["topi-1-3"].to_dict()
    assert (d["key"], d["min_months"]) == ("topi-1-3", 12)
    first = d["areas"][0]["items"][0]
    assert set(first) == {"key", "kind", "text", "domain", "position"}


# --------------------------------------------------------------------------- validation


def minimal(kind: str = "indicator") -> dict[str, Any]:
    if kind == "indicator":
        items: list[dict[str, Any]] = [
            {"key": "a-g", "position": "green", "text": {"da": "Godt.", "en": "Good."}},
            {"key": "a-y", "position": "yellow", "text": {"da": "Gult.", "en": "Yellow."}},
        ]
        extra: dict[str, Any] = {}
    else:
        items = [
            {"key": "a-1", "direction": "higher_is_better", "text": {"da": "En.", "en": "One."}},
            {"key": "a-2", "direction": "higher_is_worse", "text": {"da": "To.", "en": "Two."}},
        ]
        extra = {
            "scale": {"min": 1, "max": 5},
            "bands": {
                "direction": "higher_is_better",
                "areas": {
                    "a": [
                        {"position": "red", "min": 2, "max": 4},
                        {"position": "yellow", "min": 5, "max": 6},
                        {"position": "green", "min": 7, "max": 10},
                    ]
                },
            },
        }
    return {
        "key": "test",
        "version": 1,
        "kind": kind,
        "title": {"da": "Test", "en": "Test"},
        "age": {"min_months": 0, "max_months": 12},
        "areas": [
            {"key": "a", "title": {"da": "A", "en": "A"}, "domain": "social", "items": items}
        ],
        **extra,
    }


def test_minimal_documents_load() -> None:
    assert load_instrument(minimal()).key == "test"
    assert load_instrument(minimal("score")).area_bands["a"].min_score == 2


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = re.findall(r"[^.\[\]]+", path)
    target: Any = doc
    for p in parts[:-1]:
        target = target[int(p)] if p.isdigit() else target[p]
    last = parts[-1]
    if value is _DELETE:
        del target[int(last) if last.isdigit() else last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value


_DELETE = object()
BANDS = "bands.areas.a"

BAD_INSTRUMENTS = [
    (
        "indicator",
        "kind",
        "survey",
        "kind: must be one of indicator, score, got a string ('survey')",
    ),
    ("indicator", "version", 0, "version: must be at least 1, got 0"),
    ("indicator", "key", "Test Key", "key: must be a key of lower-case letters"),
    (
        "indicator",
        "age.min_months",
        12,
        "age: max_months (12) must be greater than min_months (12)",
    ),
    ("indicator", "title", {"da": "Test"}, "title: missing required key 'en'"),
    ("indicator", "colour", "red", "colour: unknown key 'colour'"),
    ("indicator", "areas.0.domain", "mood", "areas[0].domain: must be one of emotional"),
    (
        "indicator",
        "areas.0.items.1.position",
        "orange",
        "areas[0].items[1].position: must be one of green, yellow, red, got a string ('orange')",
    ),
    (
        "indicator",
        "areas.0.items.1.position",
        _DELETE,
        "areas[0].items[1]: missing required key 'position'",
    ),
    ("indicator", "areas.0.items.1.key", "a-g", "areas[0].items[1].key: duplicate item key 'a-g'"),
    (
        "indicator",
        "areas.0.items.1.kind",
        "rated",
        "areas[0].items[1].kind: a indicator instrument cannot have rated items",
    ),
    (
        "indicator",
        "areas.0.items.1.direction",
        "higher_is_better",
        "areas[0].items[1].direction: only rated items have a direction",
    ),
    (
        "indicator",
        "areas.0.items.1.position",
        "green",
        "an indicator instrument needs at least one yellow or red statement",
    ),
    ("indicator", "areas.0.items", [], "areas[0].items: must not be empty"),
    ("indicator", "bands", {"total": []}, "bands: only score instruments have bands"),
    (
        "score",
        "areas.0.items.0.direction",
        "up",
        "areas[0].items[0].direction: must be one of higher_is_better, higher_is_worse",
    ),
    (
        "score",
        "areas.0.items.0.position",
        "red",
        "areas[0].items[0].position: only indicator items have a position",
    ),
    ("score", "scale", _DELETE, "areas[0].items[0]: missing 'scale'"),
    ("score", "bands", _DELETE, "missing required key 'bands'"),
    ("score", "bands.areas.b", [], "bands.areas.b: unknown area 'b'"),
    (
        "score",
        f"{BANDS}.1.max",
        7,
        f"{BANDS}[2]: band green (7–10) overlaps band yellow (5–7) at scores 7–7",
    ),
    ("score", f"{BANDS}.1.max", 5, f"{BANDS}: no band covers scores 6–6"),
    ("score", f"{BANDS}.0.min", 3, f"{BANDS}: no band covers scores 2–2"),
    (
        "score",
        f"{BANDS}.2.max",
        11,
        f"{BANDS}[2]: band green (7–11) reaches beyond the possible scores 2–10",
    ),
    (
        "score",
        f"{BANDS}.2",
        {"position": "green", "min": 11, "max": 20},
        f"{BANDS}[2]: band green (11–20) covers no possible score (possible scores are 2–10)",
    ),
    (
        "score",
        f"{BANDS}.0.position",
        "green",
        f"{BANDS}[1]: bands must grow more concerning towards the worse end (higher_is_better: "
        "low scores are worse), but yellow (5–6) lies above green (2–4)",
    ),
    ("score", f"{BANDS}.0.max", 1, f"{BANDS}[0]: band red (2–1): max must not be below min"),
]


@pytest.mark.parametrize(("kind", "path", "value", "message"), BAD_INSTRUMENTS)
def test_invalid_instruments_fail_with_precise_errors(
    kind: str, path: str, value: Any, message: str
) -> None:
    doc = copy.deepcopy(minimal(kind))
    _set(doc, path, value)
    with pytest.raises(InstrumentError) as exc:
        load_instrument(doc)
    assert message in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_higher_is_worse_bands_are_checked_the_other_way() -> None:
    doc = minimal("score")
    doc["bands"]["direction"] = "higher_is_worse"
    with pytest.raises(InstrumentError, match="high scores are worse"):
        load_instrument(doc)
    for band, position in zip(doc["bands"]["areas"]["a"], ["green", "yellow", "red"], strict=True):
        band["position"] = position
    assert load_instrument(doc).area_bands["a"].position_for(10) == "red"


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("key: test\nkey: again\n", encoding="utf-8")
    with pytest.raises(
        InstrumentError,
        match=r"broken\.yaml: invalid YAML: line 2, column 1: found duplicate key 'key'",
    ):
        load_instrument(bad)
    bad.write_text("key: [unclosed\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"broken\.yaml: invalid YAML"):
        load_instrument(bad)
    bad.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match="the document must be a mapping"):
        load_instrument(bad)
    with pytest.raises(InstrumentError, match="cannot read file"):
        load_instrument(tmp_path / "missing.yaml")


def test_load_instruments_refuses_duplicate_versions(tmp_path: Path) -> None:
    import yaml

    for name in ("one.yaml", "two.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump(minimal()), encoding="utf-8")
    with pytest.raises(
        InstrumentError, match=r"two\.yaml: instrument test version 1 is also defined"
    ):
        load_instruments(tmp_path)
    with pytest.raises(InstrumentError, match="nothing-here: not a directory"):
        load_instruments(tmp_path / "nothing-here")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InstrumentError, match="no instrument files"):
        load_instruments(tmp_path / "empty")


def test_items_may_be_listed_at_the_top_level() -> None:
    doc = minimal()
    items = doc["areas"][0].pop("items")
    doc["items"] = [{**item, "area": "a"} for item in items]
    inst = load_instrument(doc)
    assert [i.key for i in inst.items] == ["a-g", "a-y"]
    assert inst.item("a-y").area == "a"
    doc["items"][0]["area"] = "b"
    with pytest.raises(InstrumentError, match=r"items\[0\]\.area: unknown area 'b'"):
        load_instrument(doc)
