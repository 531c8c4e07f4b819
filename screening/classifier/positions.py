"""Positions, vulnerability, concern domains and professions: the fixed vocabulary."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

_SEVERITY: dict[str, int] = {"green": 0, "yellow": 1, "red": 2}


class Position(StrEnum):
    """A child's position in a context: green, yellow or red.

    Members are plain strings (``Position.RED == "red"``) but compare by severity:
    ``Position.GREEN < Position.YELLOW < Position.RED``.
    """

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    @property
    def severity(self) -> int:
        """0 for green, 1 for yellow, 2 for red."""
        return _SEVERITY[self]

    @property
    def label_da(self) -> str:
        return _LABEL_DA[_SEVERITY[self]]

    @property
    def label_en(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: Any) -> Position:
        """Turn a Position or one of the strings "green", "yellow", "red" into a Position."""
        if isinstance(value, str) and value in _SEVERITY:
            return POSITIONS[_SEVERITY[value]]
        raise ValueError(f"not a position: {value!r} (use green, yellow or red)")

    @classmethod
    def from_severity(cls, severity: int) -> Position:
        return POSITIONS[severity]

    @classmethod
    def worst(cls, *positions: Position | str) -> Position:
        """The most concerned of the given positions (green when none are given)."""
        worst = 0
        for p in positions:
            s = cls.parse(p).severity
            if s > worst:
                worst = s
        return POSITIONS[worst]

    def _cmp(self, other: object) -> int | None:
        if isinstance(other, str) and other in _SEVERITY:
            return _SEVERITY[self] - _SEVERITY[other]
        return None

    def __lt__(self, other: object) -> bool:
        d = self._cmp(other)
        return NotImplemented if d is None else d < 0

    def __le__(self, other: object) -> bool:
        d = self._cmp(other)
        return NotImplemented if d is None else d <= 0

    def __gt__(self, other: object) -> bool:
        d = self._cmp(other)
        return NotImplemented if d is None else d > 0

    def __ge__(self, other: object) -> bool:
        d = self._cmp(other)
        return NotImplemented if d is None else d >= 0


POSITIONS: tuple[Position, Position, Position] = (Position.GREEN, Position.YELLOW, Position.RED)
_LABEL_DA = ("grøn", "gul", "rød")


class Vulnerability(StrEnum):
    """The child's position regarding e.g. the family situation (the seeds' "udsat position")."""

    NOT = "not"
    POTENTIALLY = "potentially"
    CLEARLY = "clearly"

    @property
    def level(self) -> int:
        """0 for not, 1 for potentially, 2 for clearly."""
        return _VULN_LEVEL[self]

    @property
    def label_da(self) -> str:
        return VULNERABILITY_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return VULNERABILITY_LABELS[self][1]

    @classmethod
    def parse(cls, value: Any) -> Vulnerability:
        if isinstance(value, str) and value in _VULN_LEVEL:
            return VULNERABILITIES[_VULN_LEVEL[value]]
        raise ValueError(f"not a vulnerability: {value!r} (use not, potentially or clearly)")


_VULN_LEVEL: dict[str, int] = {"not": 0, "potentially": 1, "clearly": 2}
VULNERABILITIES: tuple[Vulnerability, Vulnerability, Vulnerability] = (
    Vulnerability.NOT,
    Vulnerability.POTENTIALLY,
    Vulnerability.CLEARLY,
)
VULNERABILITY_LABELS: dict[str, tuple[str, str]] = {
    "not": ("ikke i en udsat position", "not in a vulnerable position"),
    "potentially": ("potentielt i en udsat position", "potentially in a vulnerable position"),
    "clearly": ("i en udsat position", "clearly in a vulnerable position"),
}

# Concern domains: what a concern is about. Areas, items and observation categories
# each carry one; the rule set maps domains to professions.
DOMAINS: dict[str, tuple[str, str]] = {
    "emotional": ("Følelser og psykisk trivsel", "Emotions and psychological wellbeing"),
    "behaviour": ("Adfærd", "Behaviour"),
    "social": ("Socialt samspil", "Social interaction"),
    "cognitive": ("Kognitiv udvikling", "Cognitive development"),
    "language": ("Sprog", "Language"),
    "motor": ("Motorik", "Motor skills"),
    "sensory": ("Sanser og sansebearbejdning", "Senses and sensory processing"),
    "health": ("Sundhed", "Health"),
    "dental": ("Tandsundhed", "Dental health"),
    "family": ("Familiens situation", "Family situation"),
}

# Profession keys in their stable output order, with Danish and English labels.
PROFESSIONS: dict[str, tuple[str, str]] = {
    "psychologist": ("Psykolog", "Psychologist"),
    "speech_therapist": ("Talepædagog", "Speech and language therapist"),
    "physiotherapist": ("Fysioterapeut", "Physiotherapist"),
    "occupational_therapist": ("Ergoterapeut", "Occupational therapist"),
    "health_visitor": ("Sundhedsplejerske", "Health visitor"),
    "dental_service": ("Tandplejen", "Dental service"),
    "social_worker": ("Socialrådgiver", "Social worker"),
}
PROFESSION_ORDER: dict[str, int] = {key: i for i, key in enumerate(PROFESSIONS)}


def profession_label(key: str, lang: str = "da") -> str:
    """A profession's label in Danish ("da") or English ("en"); an unknown key as it is."""
    labels = PROFESSIONS.get(key)
    if labels is None:
        return key
    return labels[1] if lang == "en" else labels[0]


DEFAULT_PROFESSIONS_BY_DOMAIN: dict[str, tuple[str, ...]] = {
    "emotional": ("psychologist",),
    "behaviour": ("psychologist",),
    "social": ("psychologist",),
    "cognitive": ("psychologist",),
    "language": ("speech_therapist",),
    "motor": ("physiotherapist", "occupational_therapist"),
    "sensory": ("occupational_therapist",),
    "health": ("health_visitor",),
    "dental": ("dental_service",),
    "family": ("social_worker",),
}

# Levels of concern on observations.
LEVELS: tuple[int, int, int] = (1, 2, 3)
