"""The strict YAML loader: libyaml when PyYAML has it, the same strictness and the same
messages as the pure Python loader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from screening.classifier import InstrumentError, load_instrument
from screening.classifier._load import DATA_DIR, PureStrictLoader, StrictLoader, parse_yaml

LOADERS = [PureStrictLoader]
if yaml.__with_libyaml__:
    from screening.classifier._load import CStrictLoader

    LOADERS.append(CStrictLoader)


def test_libyaml_parses_when_pyyaml_has_it() -> None:
    if yaml.__with_libyaml__:
        assert issubclass(StrictLoader, yaml.CSafeLoader)
    else:
        assert StrictLoader is PureStrictLoader


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    ("text", "where", "key"),
    [
        ("key: test\nkey: again\n", "line 2, column 1", "'key'"),
        ("a:\n  b: 1\n  c: 2\n  b: 3\n", "line 4, column 3", "'b'"),
        ("items:\n  - k: 1\n    k: 2\n", "line 3, column 5", "'k'"),
        ("base: &b {x: 1}\nuse:\n  <<: *b\n  x: 2\n", "line 4, column 3", "'x'"),
        ("1: one\n0x1: also one\n", "line 2, column 1", "1"),
        ("yes: a\ntrue: b\n", "line 2, column 1", "True"),
    ],
)
def test_duplicate_keys_are_refused(loader: type, text: str, where: str, key: str) -> None:
    with pytest.raises(yaml.constructor.ConstructorError) as exc:
        parse_yaml(text.encode(), loader)
    assert exc.value.problem == f"found duplicate key {key}"
    mark = exc.value.problem_mark
    assert mark is not None
    assert f"line {mark.line + 1}, column {mark.column + 1}" == where


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_merge_keys_and_safe_tags(loader: type) -> None:
    doc = parse_yaml(b"base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  z: 3\n", loader)
    assert doc["use"] == {"x": 1, "y": 2, "z": 3}
    with pytest.raises(yaml.constructor.ConstructorError, match="python/object"):
        parse_yaml(b"a: !!python/object:os.system echo\n", loader)


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_every_shipped_file_reads_the_same(loader: type) -> None:
    files = sorted(DATA_DIR.rglob("*.yaml"))
    assert len(files) >= 5
    for file in files:
        expected = yaml.load(file.read_text(encoding="utf-8"), Loader=PureStrictLoader)  # noqa: S506
        assert parse_yaml(file.read_bytes(), loader) == expected, file.name


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (b"a: *x\n", "found undefined alias 'x'"),
        (b"a: &x 1\nb: &x 2\n", "found duplicate anchor 'x'; first occurrence"),
        (b"key: [unclosed\n", "expected ',' or ']', but got '<stream end>'"),
        (b"a: b: c\n", "mapping values are not allowed here"),
    ],
)
def test_error_messages_do_not_depend_on_libyaml(text: bytes, problem: str) -> None:
    for loader in LOADERS:
        with pytest.raises(yaml.MarkedYAMLError) as exc:
            parse_yaml(text, loader)
        assert problem in (exc.value.context, exc.value.problem), loader.__name__


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
def test_what_only_libyaml_refuses_stays_refused() -> None:
    lone_surrogate = b'a: "\\ud800"\n'  # no UTF-8 text can hold it
    assert parse_yaml(lone_surrogate, PureStrictLoader) == {"a": "\ud800"}
    with pytest.raises(yaml.YAMLError, match="invalid Unicode character escape code"):
        parse_yaml(lone_surrogate)


def test_a_file_that_is_not_utf8_gets_a_precise_error(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("key: blåbær\n".encode("latin-1"))
    with pytest.raises(
        InstrumentError,
        match=r"latin1\.yaml: invalid YAML: position \d+: unacceptable character #x00e5",
    ):
        load_instrument(bad)
