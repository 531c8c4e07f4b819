"""Joint assessment (fælles vurdering) and professional overrides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from screening.classifier.errors import OverrideError
from screening.classifier.positions import POSITIONS, PROFESSIONS, Position
from screening.classifier.results import Classification, Reason
from screening.classifier.rules import JOINT_METHODS, RuleSet

_DA = ("grøn", "gul", "rød")
_EN = ("green", "yellow", "red")


@dataclass(frozen=True, eq=False)
class JointSuggestion:
    """The suggested joint position with why. ``method`` is the method actually used
    ("shared" or "most_concerned"); ``positions`` are the individual positions in input order."""

    position: Position
    reasons: tuple[Reason, ...]
    method: str
    positions: tuple[Position, ...]
    flags: tuple[str, ...]
    professions: tuple[str, ...]
    action_path_key: str | None
    ruleset_key: str
    ruleset_version: int

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.rule_id for r in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position.value,
            "method": self.method,
            "positions": [p.value for p in self.positions],
            "reasons": [r.to_dict() for r in self.reasons],
            "flags": list(self.flags),
            "professions": list(self.professions),
            "action_path_key": self.action_path_key,
            "ruleset_key": self.ruleset_key,
            "ruleset_version": self.ruleset_version,
        }


Assessed = Position | str | Classification | Mapping[str, Any]


def _as_classification(x: Assessed) -> tuple[Position, Classification | None]:
    if isinstance(x, Classification):
        return x.position, x
    if isinstance(x, Mapping):
        c = Classification.from_dict(x)
        return c.position, c
    return Position.parse(x), None


def suggest_joint(
    assessments: Iterable[Assessed],
    ruleset: RuleSet,
    *,
    method: str | None = None,
    min_shared: int | None = None,
) -> JointSuggestion:
    """Suggest the joint position from independent assessments of one child.

    ``assessments``: positions, Classification objects or their ``to_dict()`` output.
    Methods (default from the rule set's ``joint`` section):

    * ``shared``: the most concerned position that at least ``min_shared`` (default 2)
      assessments share, counting an assessment as sharing every position up to its own
      (red shares yellow). With fewer than ``min_shared`` assessments, falls back to the most
      concerned and says so.
    * ``most_concerned``: the most concerned of all.

    Flags ``disagreement`` when the assessments span green to red.
    """
    items = [_as_classification(a) for a in assessments]
    if not items:
        raise ValueError("suggest_joint needs at least one assessment")
    method = method or ruleset.joint_method
    if method not in JOINT_METHODS:
        raise ValueError(f"unknown joint method {method!r} (use {', '.join(JOINT_METHODS)})")
    m = min_shared if min_shared is not None else ruleset.joint_min_shared
    if m < 2:
        raise ValueError(f"min_shared must be at least 2, got {m}")
    sevs = [p.severity for p, _ in items]
    n = len(sevs)
    worst = max(sevs)
    at_least = [sum(1 for s in sevs if s >= level) for level in range(3)]
    details: dict[str, Any] = {"positions": [POSITIONS[s].value for s in sevs]}

    if method == "shared" and n >= m:
        result = next(level for level in (2, 1, 0) if level == 0 or at_least[level] >= m)
        details.update(method="shared", min_shared=m)
        if result:
            k = at_least[result]
            who_da = "rød position" if result == 2 else "gul eller rød position"
            who_en = "a red position" if result == 2 else "a yellow or red position"
            da = (
                f"{k} af {n} vurderinger placerer barnet i {who_da}; det er den mest alvorlige "
                f"position, som mindst {m} vurderinger peger på."
            )
            en = (
                f"{k} of {n} assessments place the child in {who_en}; that is the most "
                f"concerned position shared by at least {m} assessments."
            )
        else:
            da = f"Ingen gul eller rød position deles af mindst {m} af de {n} vurderinger."
            en = f"No yellow or red position is shared by at least {m} of the {n} assessments."
        if worst > result:
            k = sum(1 for s in sevs if s == worst)
            da += f" Den mest alvorlige vurdering er {_DA[worst]} ({k} af {n})."
            en += f" The most concerned assessment is {_EN[worst]} ({k} of {n})."
        rule_id, used = "joint.shared", "shared"
    elif method == "shared":
        result = worst
        details.update(method="most_concerned", min_shared=m)
        word_da = "vurdering" if n == 1 else "vurderinger"
        word_en = "assessment" if n == 1 else "assessments"
        da = (
            f"Der er kun {n} {word_da}. Der skal være mindst {m} for at finde en fælles "
            f"position, så forslaget er den mest alvorlige: {_DA[worst]}."
        )
        en = (
            f"There {'is' if n == 1 else 'are'} only {n} {word_en}, fewer than the {m} needed "
            f"to share a position; the most concerned position ({_EN[worst]}) is used."
        )
        rule_id, used = "joint.too_few", "most_concerned"
    else:
        result = worst
        details.update(method="most_concerned")
        k = sum(1 for s in sevs if s == worst)
        if n == 1:
            da = f"Der er kun én vurdering, og den er {_DA[worst]}."
            en = f"There is only one assessment, and it is {_EN[worst]}."
        else:
            da = f"Den mest alvorlige af de {n} vurderinger er {_DA[worst]} ({k} af {n})."
            en = f"The most concerned of the {n} assessments is {_EN[worst]} ({k} of {n})."
        rule_id, used = "joint.most_concerned", "most_concerned"

    position = POSITIONS[result]
    reasons: list[Reason] = [Reason(rule_id, position, details=details, text=(da, en))]
    flags: list[str] = []
    if worst - min(sevs) == 2:
        flags.append("disagreement")
        reasons.append(
            Reason(
                "joint.disagreement",
                position,
                details={"positions": details["positions"]},
                text=(
                    "Vurderingerne spænder fra grøn til rød; drøft forskellen, før den fælles "
                    "vurdering besluttes.",
                    "The assessments range from green to red; discuss the difference before "
                    "agreeing the joint assessment.",
                ),
            )
        )
    # Supporting reasons: those of the assessments that reached the suggested position.
    seen: set[str] = set()
    found: set[str] = set()
    for pos, c in items:
        if c is None or pos != position:
            continue
        found.update(c.professions)
        for r in c.reasons:
            key = repr(sorted(r.to_dict().items()))
            if key not in seen:
                seen.add(key)
                reasons.append(r)
    return JointSuggestion(
        position=position,
        reasons=tuple(reasons),
        method=used,
        positions=tuple(p for p, _ in items),
        flags=tuple(flags),
        professions=tuple(p for p in PROFESSIONS if p in found),
        action_path_key=ruleset.action_paths.get(position),
        ruleset_key=ruleset.key,
        ruleset_version=ruleset.version,
    )


@dataclass(frozen=True, eq=False)
class Override:
    """The position a professional chose, next to the suggested one. Keeps both."""

    suggested: Position
    position: Position
    reason: str
    suggestion: JointSuggestion | Classification | None = None

    @property
    def overridden(self) -> bool:
        return self.position != self.suggested

    def to_dict(self) -> dict[str, Any]:
        return {
            "suggested_position": self.suggested.value,
            "position": self.position.value,
            "overridden": self.overridden,
            "reason": self.reason,
            "suggestion": self.suggestion.to_dict() if self.suggestion is not None else None,
        }


def apply_override(
    suggestion: JointSuggestion | Classification | Position | str,
    chosen_position: Position | str,
    reason: str | None = None,
) -> Override:
    """Record the chosen position. A reason is required when it differs from the suggestion."""
    if isinstance(suggestion, JointSuggestion | Classification):
        suggested, kept = suggestion.position, suggestion
    else:
        suggested, kept = Position.parse(suggestion), None
    chosen = Position.parse(chosen_position)
    if reason is not None and not isinstance(reason, str):
        raise OverrideError(f"the reason must be text, got {type(reason).__name__}")
    text = " ".join((reason or "").split())
    if chosen != suggested and not text:
        raise OverrideError(
            f"a reason is required to choose {chosen.value} instead of the suggested "
            f"{suggested.value}"
        )
    return Override(suggested, chosen, text, kept)
