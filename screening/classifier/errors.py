"""Exceptions: ValueErrors whose messages name the source, the path and the problem."""

from __future__ import annotations


class ClassifierError(ValueError):
    """Base class: `source` (file or "<mapping>") and `path` (e.g. "areas[1].items[3].position")."""

    def __init__(self, problem: str, *, source: str | None = None, path: str | None = None):
        self.problem = problem
        self.source = source
        self.path = path
        parts = [p for p in (source, path) if p]
        super().__init__(": ".join([*parts, problem]))


class InstrumentError(ClassifierError):
    """An instrument definition is invalid."""


class RuleSetError(ClassifierError):
    """A rule set is invalid, or cannot be applied to an instrument."""


class CategoriesError(ClassifierError):
    """The observation-category catalogue is invalid."""


class AnswerError(ClassifierError):
    """Answers do not fit the instrument (unknown item, wrong type, out-of-range rating...)."""


class ObservationError(ClassifierError):
    """An observation is invalid (unknown source or category, bad level or date)."""


class OverrideError(ClassifierError):
    """An override of a suggested position lacks the required reason."""
