"""Result objects: Reason and Classification. Cheap to build; texts are rendered on demand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

from screening.classifier.observations import Observation
from screening.classifier.positions import Position


class _Renderer(Protocol):
    def render(self, reason: Reason) -> tuple[str, str]: ...


class Reason(NamedTuple):
    """Why a rule fired. Immutable (results may share precomputed reasons).

    ``position`` is the position this rule asserts (for ``then`` rules the rule's own level,
    even when the final position is more concerned). ``areas``/``items``/``observations``
    name the cause; ``details`` holds rule-specific facts (score and band, vulnerability,
    rounds, the position before a ``raise``). ``text_da``/``text_en`` are whole sentences
    naming the cause, rendered when read.
    """

    rule_id: str
    position: Position
    areas: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    observations: tuple[Observation, ...] = ()
    details: Mapping[str, Any] | None = None
    domains: tuple[str, ...] = ()
    renderer: _Renderer | None = None
    text: tuple[str, str] | None = None  # fixed texts (e.g. read back from a dict)

    @property
    def area(self) -> str | None:
        """The one area this reason is about, if it is about exactly one."""
        return self.areas[0] if len(self.areas) == 1 else None

    def texts(self) -> tuple[str, str]:
        """(Danish, English) sentences."""
        if self.text is not None:
            return self.text
        if self.renderer is None:
            raise ValueError(f"reason {self.rule_id!r} has no text")
        return self.renderer.render(self)

    @property
    def text_da(self) -> str:
        return self.texts()[0]

    @property
    def text_en(self) -> str:
        return self.texts()[1]

    def text_in(self, lang: str) -> str:
        return self.texts()[1 if lang == "en" else 0]

    def to_dict(self) -> dict[str, Any]:
        da, en = self.texts()
        return {
            "rule_id": self.rule_id,
            "position": self.position.value,
            "areas": list(self.areas),
            "items": list(self.items),
            "observations": [o.to_dict() for o in self.observations],
            "details": dict(self.details or {}),
            "domains": list(self.domains),
            "text_da": da,
            "text_en": en,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Reason:
        return cls(
            d["rule_id"],
            Position.parse(d["position"]),
            tuple(d.get("areas", ())),
            tuple(d.get("items", ())),
            tuple(Observation.from_dict(o) for o in d.get("observations", ())),
            dict(d.get("details", {})) or None,
            tuple(d.get("domains", ())),
            None,
            (d["text_da"], d["text_en"]),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Reason):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __repr__(self) -> str:
        cause = ", ".join(
            f"{k}={v!r}"
            for k, v in (
                ("areas", self.areas),
                ("items", self.items),
                ("observations", self.observations),
            )
            if v
        )
        return f"Reason({self.rule_id!r}, {self.position.value}{', ' if cause else ''}{cause})"


# Reasons compare by content (see __eq__), so they are not hashable; set after the class,
# since a NamedTuple body may hold only fields and methods.
Reason.__hash__ = None  # type: ignore[assignment]


class Classification(NamedTuple):
    """The suggested position for one assessment, with reasons, professions and provenance.

    Immutable. ``wellbeing_position`` is the position from the answers alone (statements or
    score bands), before observations, the vulnerability matrix and history; ``position`` is
    the suggestion.
    """

    position: Position
    reasons: tuple[Reason, ...]
    professions: tuple[str, ...]
    action_path_key: str | None
    ruleset_key: str
    ruleset_version: int
    flags: tuple[str, ...] = ()
    instrument_key: str | None = None
    instrument_version: int | None = None
    wellbeing_position: Position | None = None

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.rule_id for r in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable; `Classification.from_dict` reads it back."""
        wellbeing = self.wellbeing_position or self.position
        return {
            "position": self.position.value,
            "wellbeing_position": wellbeing.value,
            "reasons": [r.to_dict() for r in self.reasons],
            "professions": list(self.professions),
            "action_path_key": self.action_path_key,
            "flags": list(self.flags),
            "ruleset_key": self.ruleset_key,
            "ruleset_version": self.ruleset_version,
            "instrument_key": self.instrument_key,
            "instrument_version": self.instrument_version,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Classification:
        return cls(
            Position.parse(d["position"]),
            tuple(Reason.from_dict(r) for r in d.get("reasons", ())),
            tuple(d.get("professions", ())),
            d.get("action_path_key"),
            d["ruleset_key"],
            d["ruleset_version"],
            tuple(d.get("flags", ())),
            d.get("instrument_key"),
            d.get("instrument_version"),
            Position.parse(d.get("wellbeing_position", d["position"])),
        )

    def __repr__(self) -> str:
        return (
            f"Classification({self.position.value}, reasons={list(self.rule_ids)}, "
            f"professions={list(self.professions)}, flags={list(self.flags)}, "
            f"ruleset={self.ruleset_key} v{self.ruleset_version})"
        )
