"""Action-path rules (handleveje), as pure Python: templates as data, due dates, opening,
escalating and closing. Knows nothing of Flask or the database (the position vocabulary is
the classifier's).

A template document (YAML, see screening/data/action_paths.yaml) maps a position (yellow,
red) to ordered steps with a deadline relative to the agreed assessment, a responsible
role, whether the step is required, and a kind (step, notify, meeting, plan, follow_up).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NoReturn

import yaml

from screening.classifier import Position
from screening.paths.workdays import add_working_days

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "action_paths.yaml"
STEP_KINDS = ("step", "notify", "meeting", "plan", "follow_up")
ROLES = ("educator", "leader", "health_visitor", "coordinator", "dental", "ppr", "social_worker")
POSITIONS = ("yellow", "red")
MEETING_KINDS = ("parent_talk", "cross_disciplinary", "network")
# What can make a step true without anyone ticking it off (`done_when` in the template).
DONE_WHEN = ("decided_by_leader",)  # the leader made the joint assessment herself
# The records in the product that complete a step of a kind (see `completed_by`).
RECORDS = ("plan_saved", "meeting_held", "follow_up_recorded")


class TemplateError(ValueError):
    """An action-path template is invalid; the message names the path in the document."""


@dataclass(frozen=True)
class Deadline:
    amount: int
    unit: str  # "days" | "working_days" | "weeks"

    def due(self, start: date) -> date:
        if self.unit == "days":
            return start + timedelta(days=self.amount)
        if self.unit == "weeks":
            return start + timedelta(weeks=self.amount)
        return add_working_days(start, self.amount)


@dataclass(frozen=True)
class StepTemplate:
    key: str
    kind: str
    title_da: str
    title_en: str
    deadline: Deadline
    responsible: str
    required: bool
    repeat_weeks: int | None = None
    # A meeting step is completed by a held meeting of one of these kinds (empty: any).
    meeting_kinds: tuple[str, ...] = ()
    done_when: str | None = None


@dataclass(frozen=True)
class PathTemplate:
    position: str
    escalation_level: int
    steps: tuple[StepTemplate, ...]


@dataclass(frozen=True)
class Templates:
    key: str
    version: int
    escalation_levels: tuple[tuple[int, str, str], ...]  # (level, da, en)
    paths: Mapping[str, PathTemplate]
    closing: tuple[StepTemplate, ...]
    # Levels where the municipal consultants take part (`consultants: true`): from there the
    # coordinator reads the child's named data (screening.core.policy).
    consultant_levels: frozenset[int] = frozenset()

    def for_position(self, position: str) -> PathTemplate:
        return self.paths[position]

    def step(self, key: str) -> StepTemplate | None:
        """The template of a step key, on whichever path (or the closing steps) it is."""
        for tpl in (*self.paths.values(), PathTemplate("closing", 1, self.closing)):
            for s in tpl.steps:
                if s.key == key:
                    return s
        return None

    def level_title(self, level: int, lang: str = "da") -> str:
        for n, da, en in self.escalation_levels:
            if n == level:
                return en if lang == "en" else da
        return str(level)


@dataclass(frozen=True)
class PlannedStep:
    """A step to create: its template and due date."""

    template: StepTemplate
    due_on: date


def plan_steps(template: PathTemplate, agreed_on: date) -> list[PlannedStep]:
    return [PlannedStep(s, s.deadline.due(agreed_on)) for s in template.steps]


@dataclass(frozen=True)
class Decision:
    """What an agreed position means for the child's action path."""

    action: str  # "open" | "escalate" | "keep" | "prepare_close" | "none"
    position: str | None = None
    new_steps: tuple[PlannedStep, ...] = ()
    escalation_level: int | None = None


def decide(
    templates: Templates,
    agreed: str,
    open_path_position: str | None,
    existing_step_keys: frozenset[str],
    agreed_on: date,
) -> Decision:
    """The rule for an agreed position, given the child's open path (if any):

    * yellow/red and no open path → open one with the position's steps;
    * red while the open path is yellow → escalate: the red steps that the path does not
      already have are added (one path, never a second);
    * same or milder concern (red → yellow) → keep the path as it is;
    * green with an open path → add the final follow-up; the path may be closed after it;
    * green and no path → nothing.
    """
    if agreed in POSITIONS:
        if open_path_position is None:
            tpl = templates.for_position(agreed)
            return Decision("open", agreed, tuple(plan_steps(tpl, agreed_on)), tpl.escalation_level)
        if Position(agreed).severity > Position(open_path_position).severity:
            tpl = templates.for_position(agreed)
            steps = tuple(
                p for p in plan_steps(tpl, agreed_on) if p.template.key not in existing_step_keys
            )
            return Decision("escalate", agreed, steps, tpl.escalation_level)
        return Decision("keep", open_path_position)
    if open_path_position is not None:
        steps = tuple(
            PlannedStep(s, s.deadline.due(agreed_on))
            for s in templates.closing
            if s.key not in existing_step_keys
        )
        return Decision("prepare_close", open_path_position, steps)
    return Decision("none")


def completed_by(step: StepTemplate, record: str, meeting_kind: str | None = None) -> bool:
    """Whether a record in the product does the step's work: a saved action plan completes
    a plan step, a held meeting a meeting step (of its meeting kinds, if the template
    names them), a recorded follow-up a follow-up step. Other steps (and the notify step,
    which needs its recorded assessment) are completed by hand."""
    if record == "plan_saved":
        return step.kind == "plan"
    if record == "meeting_held":
        return step.kind == "meeting" and (
            not step.meeting_kinds or meeting_kind in step.meeting_kinds
        )
    if record == "follow_up_recorded":
        return step.kind == "follow_up"
    raise ValueError(f"unknown record {record!r}")


def done_at_opening(step: StepTemplate, *, decided_by_leader: bool) -> bool:
    """A step that is already true when the path opens (or escalates) is done at once."""
    return step.done_when == "decided_by_leader" and decided_by_leader


def next_repeat(step: StepTemplate, done_on: date) -> PlannedStep | None:
    """A repeating follow-up comes back `repeat_weeks` after it was done."""
    if step.repeat_weeks:
        return PlannedStep(step, done_on + timedelta(weeks=step.repeat_weeks))
    return None


# Loading ------------------------------------------------------------------------------------


def load_templates(src: str | Path | Mapping[str, Any] | None = None) -> Templates:
    if src is None:
        src = DATA_FILE
    if isinstance(src, Mapping):
        doc, name = src, "<action paths>"
    else:
        name = str(src)
        try:
            doc = yaml.safe_load(Path(src).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise TemplateError(f"{name}: cannot read: {exc}") from exc

    def fail(path: str, problem: str) -> NoReturn:
        raise TemplateError(f"{name}: {path}: {problem}")

    if not isinstance(doc, Mapping):
        fail("", "must be a mapping")
    for k in ("key", "version", "paths", "escalation_levels"):
        if k not in doc:
            fail(k, "missing")
    if not isinstance(doc["version"], int) or doc["version"] < 1:
        fail("version", "must be a positive integer")
    levels = []
    consultant_levels: set[int] = set()
    for i, lv in enumerate(doc["escalation_levels"]):
        if not isinstance(lv, Mapping) or not isinstance(lv.get("level"), int):
            fail(f"escalation_levels.{i}", "needs an integer level with da and en titles")
        levels.append((lv["level"], str(lv.get("da", "")), str(lv.get("en", ""))))
        if not isinstance(lv.get("consultants", False), bool):
            fail(f"escalation_levels.{i}.consultants", "must be true or false")
        if lv.get("consultants", False):
            consultant_levels.add(lv["level"])
    level_numbers = [lv[0] for lv in levels]
    if level_numbers != sorted(set(level_numbers)):
        fail("escalation_levels", "levels must be unique and ascending")
    paths = {}
    for position in POSITIONS:
        raw = doc["paths"].get(position)
        if not isinstance(raw, Mapping):
            fail(f"paths.{position}", "missing")
        level = raw.get("escalation_level", level_numbers[0] if level_numbers else 1)
        if level not in level_numbers:
            fail(f"paths.{position}.escalation_level", f"unknown level {level!r}")
        steps = _steps(raw.get("steps"), f"paths.{position}.steps", fail)
        if not steps:
            fail(f"paths.{position}.steps", "a path needs at least one step")
        paths[position] = PathTemplate(position, level, steps)
    closing = _steps(doc["paths"].get("closing", {}).get("steps", []), "paths.closing.steps", fail)
    if not any(s.kind == "notify" for s in paths["red"].steps):
        fail("paths.red.steps", "the red path must assess the duty to notify (a notify step)")
    return Templates(
        str(doc["key"]),
        doc["version"],
        tuple(levels),
        paths,
        closing,
        frozenset(consultant_levels),
    )


def _steps(raw: Any, path: str, fail: Callable[[str, str], NoReturn]) -> tuple[StepTemplate, ...]:
    if not isinstance(raw, list):
        fail(path, "must be a list of steps")
    out = []
    seen = set()
    for i, s in enumerate(raw):
        p = f"{path}.{i}"
        if not isinstance(s, Mapping):
            fail(p, "must be a mapping")
        key = s.get("key")
        if not isinstance(key, str) or not key:
            fail(f"{p}.key", "missing")
        if key in seen:
            fail(f"{p}.key", f"duplicate step key {key!r}")
        seen.add(key)
        kind = s.get("kind", "step")
        if kind not in STEP_KINDS:
            fail(f"{p}.kind", f"unknown kind {kind!r} (use {', '.join(STEP_KINDS)})")
        title = s.get("title") or {}
        if not title.get("da") or not title.get("en"):
            fail(f"{p}.title", "needs da and en")
        deadline = s.get("deadline")
        if not isinstance(deadline, Mapping) or len(deadline) != 1:
            fail(f"{p}.deadline", "give exactly one of days, working_days, weeks")
        ((unit, amount),) = deadline.items()
        if unit not in ("days", "working_days", "weeks"):
            fail(f"{p}.deadline", f"unknown unit {unit!r}")
        if not isinstance(amount, int) or amount < 0:
            fail(f"{p}.deadline.{unit}", "must be a whole number, 0 or more")
        responsible = s.get("responsible")
        if responsible not in ROLES:
            fail(f"{p}.responsible", f"unknown role {responsible!r}")
        repeat = s.get("repeat_weeks")
        if repeat is not None and (not isinstance(repeat, int) or repeat < 1):
            fail(f"{p}.repeat_weeks", "must be a positive whole number")
        meeting_kinds = s.get("meeting_kinds", [])
        if not isinstance(meeting_kinds, list) or not set(meeting_kinds) <= set(MEETING_KINDS):
            fail(f"{p}.meeting_kinds", f"a list of {', '.join(MEETING_KINDS)}")
        if meeting_kinds and kind != "meeting":
            fail(f"{p}.meeting_kinds", "only a meeting step names meeting kinds")
        done_when = s.get("done_when")
        if done_when is not None and done_when not in DONE_WHEN:
            fail(f"{p}.done_when", f"unknown condition {done_when!r} (use {', '.join(DONE_WHEN)})")
        out.append(
            StepTemplate(
                key,
                kind,
                title["da"],
                title["en"],
                Deadline(amount, unit),
                responsible,
                bool(s.get("required", True)),
                repeat,
                tuple(meeting_kinds),
                done_when,
            )
        )
    return tuple(out)
