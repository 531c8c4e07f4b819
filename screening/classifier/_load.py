"""Strict YAML loading and small validation helpers shared by the loaders."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any, NoReturn

import yaml

from screening.classifier.errors import ClassifierError
from screening.classifier.positions import POSITIONS, Position

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
DATA_DIR = Path(__file__).resolve().parent.parent / "data"

Source = str | PathLike[str] | Mapping[str, Any]


class PureStrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(
    loader: yaml.constructor.SafeConstructor, node: yaml.MappingNode
) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


PureStrictLoader.add_constructor(  # type: ignore[type-var]
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)

StrictLoader: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
if hasattr(yaml, "CSafeLoader"):  # PyYAML built with libyaml: parses several times faster

    class CStrictLoader(yaml.CSafeLoader):
        """CSafeLoader (libyaml) that refuses duplicate mapping keys, like PureStrictLoader."""

    CStrictLoader.add_constructor(  # type: ignore[type-var]
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
        _construct_mapping,  # type: ignore[arg-type]
    )
    StrictLoader = CStrictLoader
else:
    StrictLoader = PureStrictLoader


def parse_yaml(data: bytes | str, loader: type | None = None) -> Any:
    """One YAML document, strictly: safe tags only and no duplicate keys.

    libyaml parses when PyYAML has it. A document it refuses is read again by the pure
    Python parser, whose messages name what they found (the undefined alias, the duplicate
    anchor), so an error reads the same with or without libyaml.
    """
    loader = loader or StrictLoader
    try:
        return yaml.load(data, Loader=loader)  # noqa: S506 - SafeLoader/CSafeLoader subclasses
    except yaml.YAMLError as fast_error:
        if loader is PureStrictLoader:
            raise
        try:
            yaml.load(data, Loader=PureStrictLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise exc from None
        raise fast_error  # refused by libyaml only


def read_source(
    src: Source, error: type[ClassifierError], what: str
) -> tuple[Mapping[str, Any], str]:
    """Return (document, source name) from a mapping or a YAML file path."""
    if isinstance(src, Mapping):
        return src, f"<{what} mapping>"
    path = Path(src)
    name = str(path)
    try:
        data = path.read_bytes()  # the parser decodes: bad UTF-8 is a YAML error too
    except OSError as exc:
        raise error(f"cannot read file: {exc.strerror or exc}", source=name) from exc
    try:
        doc = parse_yaml(data)
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {_yaml_problem(exc)}", source=name) from exc
    if not isinstance(doc, Mapping):
        raise error(f"the document must be a mapping, got {_kind(doc)}", source=name)
    return doc, name


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        context = f" ({exc.context})" if exc.context else ""
        return f"{where}{exc.problem}{context}"
    if isinstance(exc, yaml.reader.ReaderError):  # not text: e.g. bad UTF-8, a control character
        return f"position {exc.position}: {str(exc).splitlines()[0]}"
    return str(exc)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({value!r})"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, Sequence):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Reader:
    """Typed access to a parsed document that fails with precise, path-naming errors."""

    def __init__(self, error: type[ClassifierError], source: str):
        self.error = error
        self.source = source

    def fail(self, path: str, problem: str) -> NoReturn:
        raise self.error(problem, source=self.source, path=path or None)

    def mapping(
        self,
        value: Any,
        path: str,
        *,
        required: Sequence[str] = (),
        optional: Sequence[str] = (),
        open_keys: bool = False,
    ) -> Mapping[Any, Any]:
        if not isinstance(value, Mapping):
            self.fail(path, f"must be a mapping, got {_kind(value)}")
        if not open_keys:
            allowed = set(required) | set(optional)
            for key in value:
                if key not in allowed:
                    self.fail(
                        join(path, str(key)),
                        f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})",
                    )
        for key in required:
            if key not in value:
                self.fail(path, f"missing required key {key!r}")
        return value

    def seq(self, value: Any, path: str, *, nonempty: bool = True) -> Sequence[Any]:
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            self.fail(path, f"must be a list, got {_kind(value)}")
        if nonempty and not value:
            self.fail(path, "must not be empty")
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"must be a non-empty string, got {_kind(value)}")
        return value.strip()

    def key(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not KEY_RE.match(value):
            self.fail(
                path,
                f"must be a key of lower-case letters, digits, '-', '_' or '.', got {_kind(value)}",
            )
        return value

    def integer(
        self, value: Any, path: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"must be an integer, got {_kind(value)}")
        if minimum is not None and value < minimum:
            self.fail(path, f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            self.fail(path, f"must be at most {maximum}, got {value}")
        return value

    def choice(self, value: Any, path: str, choices: Sequence[str]) -> str:
        if not isinstance(value, str) or value not in choices:
            self.fail(path, f"must be one of {', '.join(choices)}, got {_kind(value)}")
        return value

    def position(self, value: Any, path: str) -> Position:
        return Position(self.choice(value, path, [p.value for p in POSITIONS]))

    def label(self, value: Any, path: str) -> Label:
        m = self.mapping(value, path, required=("da", "en"))
        return Label(self.string(m["da"], join(path, "da")), self.string(m["en"], join(path, "en")))


class Label:
    """A text in Danish and English."""

    __slots__ = ("da", "en")

    def __init__(self, da: str, en: str):
        self.da = da
        self.en = en

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.da

    def to_dict(self) -> dict[str, str]:
        return {"da": self.da, "en": self.en}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Label) and (self.da, self.en) == (other.da, other.en)

    def __hash__(self) -> int:
        return hash((self.da, self.en))

    def __repr__(self) -> str:
        return f"Label(da={self.da!r}, en={self.en!r})"


def join_da(words: Sequence[str]) -> str:
    """'A', 'A og B', 'A, B og C'."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} og {words[-1]}"


def join_en(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"
