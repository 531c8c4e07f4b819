"""The plain data the PDF builders take. Built from the database by
`screening.services.reports`; the builders never query anything themselves.

Text fields hold plain text exactly as typed: the builders print it literally (nothing is
ever read as markup), so callers must not escape anything. Optional fields with defaults
are printed when given; a builder prints nothing for an empty one.

Addresses are already resolved here: a guardian with a protected address
(navne- og adressebeskyttelse) arrives with ``address=None`` and ``protected=True``, so no
builder can print what it was never given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class ChildInfo:
    name: str
    birth_date: date
    age_text: str  # e.g. "4 år 2 mdr."
    group: str
    institution: str


@dataclass(frozen=True)
class Person:
    name: str
    role: str  # e.g. "Forælder", "Pædagog", "Psykolog (PPR)"
    organisation: str = ""
    # A professional from outside the daycare, and the basis on which they are told about
    # the child, as a phrase for the guardian's letter: "dit samtykke af 1. november 2026",
    # "reglerne om tidlig forebyggende indsats (Barnets lov § ...)".
    external: bool = False
    basis: str = ""


@dataclass(frozen=True)
class GuardianRecipient:
    name: str
    address: str | None  # None when protected or unknown: nothing is printed
    protected: bool
    needs_interpreter: bool = False
    language: str = "da"


@dataclass(frozen=True)
class ProfessionalRecipient:
    name: str
    profession: str  # Danish label
    organisation: str
    # The concern summary, only as far as the consent or legal basis covers this recipient.
    concern_summary: str | None
    basis: str  # "Samtykke givet 01-11-2026 af ..." or "Hjemmel: ..."


@dataclass(frozen=True)
class MeetingInfo:
    kind: str  # Danish label, e.g. "Tværfagligt møde"
    starts_at: datetime  # local time
    place: str
    purpose: str
    agenda: str
    participants: tuple[Person, ...]
    contact_name: str  # the tovholder
    contact_institution: str
    contact_phone: str = ""
    contact_email: str = ""
    contact_role: str = ""  # e.g. "pædagog", printed under the signature
    address: str = ""  # the place's street address, e.g. "Engvej 2, 8000 Aarhus C"
    kind_code: str = ""  # parent_talk / cross_disciplinary / network: picks the wording
    interpreter_languages: tuple[str, ...] = ()  # language codes of booked interpreters


@dataclass(frozen=True)
class PlanAction:
    what: str
    who: str
    by_when: date | None


@dataclass(frozen=True)
class PlanOffer:
    name: str
    staircase_step: int
    description: str


@dataclass(frozen=True)
class PlanFollowUp:
    held_on: date
    progress: str  # Danish label
    note: str
    next_step: str


@dataclass(frozen=True)
class ActionPlanData:
    child: ChildInfo
    position: str  # green/yellow/red
    reasons: tuple[str, ...]
    resources: str
    concerns: str
    goals: str
    parents_perspective: str
    child_perspective: str
    actions: tuple[PlanAction, ...]
    offers: tuple[PlanOffer, ...]
    follow_ups: tuple[PlanFollowUp, ...]
    evaluation_on: date | None
    participants: tuple[Person, ...]
    leader_name: str
    guardian_names: tuple[str, ...]


@dataclass(frozen=True)
class GroupRow:
    group: str
    children: int
    by_position: dict[str, int]  # green/yellow/red → count of agreed positions
    assessed: int  # children with at least one submitted assessment
    missing: int  # children without any
    open_paths: int
    overdue_steps: int
    # Counts hidden although not small, because a total would give a small one back
    # (field names, e.g. "assessed" when "missing" is small: children = assessed + missing).
    hidden: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ChildNeedingAction:
    name: str
    group: str
    position: str | None
    reason: str  # e.g. "Mangler fælles vurdering"
    # When given, the reason is this many overdue steps, worded with the right plural.
    overdue_steps: int | None = None


@dataclass(frozen=True)
class RoundOverviewData:
    round_name: str
    institution: str
    groups: tuple[GroupRow, ...]
    children_needing_action: tuple[ChildNeedingAction, ...]


@dataclass(frozen=True)
class MunicipalOverviewData:
    round_name: str
    rows: tuple[GroupRow, ...]  # one per institution (group = institution name)
    suppress_below: int = 5


@dataclass(frozen=True)
class TimelineEntry:
    on: date
    kind: str  # Danish label
    text: str


@dataclass
class ParentsCopyData:
    child: ChildInfo
    requested_by: str
    guardians: list[GuardianRecipient] = field(default_factory=list)
    positions: list[tuple[str, str, str]] = field(default_factory=list)  # round, position, why
    assessments: list[TimelineEntry] = field(default_factory=list)
    observations: list[TimelineEntry] = field(default_factory=list)
    plans: list[ActionPlanData] = field(default_factory=list)
    meetings: list[TimelineEntry] = field(default_factory=list)
    consents: list[TimelineEntry] = field(default_factory=list)
    # When, who ("Lise Leder (leder, Børnehuset Mælkebøtten)"), what ("åbnede handleplanen"):
    # printed as one sentence each.
    access_log: list[tuple[datetime, str, str]] = field(default_factory=list)
    contact_name: str = ""  # whom to ask to correct something, e.g. the leader
    # The action path: when it was opened, every step (responsible, deadline, what was
    # done), the recorded assessment of the duty to notify, follow-ups without a plan.
    action_path: list[TimelineEntry] = field(default_factory=list)


@dataclass(frozen=True)
class TrafficCell:
    """A position now and in the child's previous round (codes: green, yellow, red; None
    when there is none)."""

    position: str | None
    previous_position: str | None


@dataclass(frozen=True)
class GroupOverviewRow:
    name: str
    overall: TrafficCell  # the joint assessment's agreed position
    areas: tuple[TrafficCell, ...]  # in the order of `GroupOverviewData.area_keys`
    assessors: tuple[str, ...]  # who submitted an individual assessment, e.g. "Eva ▲"
    decided_by: str = ""  # who recorded the joint assessment
    previous_round: str = ""
    in_round: bool = True  # the round assesses the child's age
    hidden: int = 0  # others' submitted assessments the reader may not read yet


@dataclass(frozen=True)
class GroupOverviewData:
    """The group overview (trafiklys) of one group in one round, for the team meeting."""

    round_name: str
    institution: str
    group: str
    area_keys: tuple[str, ...]  # emotional, cognitive, social, physical
    rows: tuple[GroupOverviewRow, ...]
