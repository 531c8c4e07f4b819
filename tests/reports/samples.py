"""Realistic document data for the builder tests: plain data classes, no database."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from zoneinfo import ZoneInfo

from reports.base import Letterhead
from reports.data import (
    ActionPlanData,
    ChildInfo,
    ChildNeedingAction,
    GroupOverviewData,
    GroupOverviewRow,
    GroupRow,
    GuardianRecipient,
    MeetingInfo,
    MunicipalOverviewData,
    ParentsCopyData,
    Person,
    PlanAction,
    PlanFollowUp,
    PlanOffer,
    ProfessionalRecipient,
    RoundOverviewData,
    TimelineEntry,
    TrafficCell,
)

TODAY = date(2026, 11, 23)
CPH = ZoneInfo("Europe/Copenhagen")
LABELS = {"green": "Trivsel", "yellow": "Øget opmærksomhed", "red": "Mistrivsel"}


def letterhead(**kw) -> Letterhead:
    kw.setdefault("labels", LABELS)
    return Letterhead("Solbjerg Kommune", TODAY, **kw)


CHILD = ChildInfo(
    name="Alma Østergaard",
    birth_date=date(2022, 9, 14),
    age_text="4 år og 2 mdr.",
    group="Mariehønen",
    institution="Børnehuset Solsikken",
)
REASON = (
    "Udsagn: et gult udsagn i området Leg og samspil: »Trækker sig fra legen«. "
    "Det giver mindst gul position."
)


def plan(**kw) -> ActionPlanData:
    base = {
        "child": CHILD,
        "position": "yellow",
        "reasons": (REASON, REASON),
        "resources": "Alma er nysgerrig og glad for at bygge med klodser.",
        "concerns": "Alma trækker sig fra legen og er ofte ked af det om morgenen.",
        "goals": "Alma deltager i samling tre dage om ugen.",
        "parents_perspective": "Vi vil gerne have mere ro om morgenen.",
        "child_perspective": "Alma siger, at hun kan lide klodser.",
        "actions": tuple(
            PlanAction(f"Handling {i}: små grupper og ro", "Hanne Holm", date(2026, 12, i))
            for i in range(1, 9)
        ),
        "offers": (
            PlanOffer("Sprogstimulering", 1, "Små grupper to gange om ugen"),
            PlanOffer("Forældrekursus", 2, "Otte aftener i foråret"),
        ),
        "follow_ups": (
            PlanFollowUp(date(2026, 11, 20), "Bedre", "Leger mere med de andre", "Fortsæt"),
        ),
        "evaluation_on": date(2027, 1, 29),
        "participants": (
            Person("Mette Østergaard", "Forælder"),
            Person("Hanne Holm", "Pædagog"),
            Person("Søren Berg", "Psykolog", "PPR"),
        ),
        "leader_name": "Lise Leder",
        "guardian_names": ("Mette Østergaard", "Lars Jensen"),
    }
    base.update(kw)
    return ActionPlanData(**base)


def meeting(**kw) -> MeetingInfo:
    base = {
        "kind": "Tværfagligt møde",
        "starts_at": datetime(2026, 12, 3, 9, 0, tzinfo=CPH),
        "place": "Børnehuset Solsikken, mødelokalet",
        "purpose": "At finde ud af, hvordan vi bedst støtter Alma i hverdagen.",
        "agenda": "1. Velkomst\n2. Almas hverdag\n3. Aftaler",
        "participants": (
            Person("Mette Østergaard", "Forælder"),
            Person("Lars Jensen", "Forælder"),
            Person("Hanne Holm", "Pædagog"),
            Person("Søren Berg", "Psykolog", "PPR"),
        ),
        "contact_name": "Hanne Holm",
        "contact_institution": "Børnehuset Solsikken",
        "contact_phone": "12 34 56 78",
    }
    base.update(kw)
    return MeetingInfo(**base)


def guardian(**kw) -> GuardianRecipient:
    base = {
        "name": "Mette Østergaard",
        "address": "Rosenvej 1, 8000 Aarhus C",
        "protected": False,
    }
    base.update(kw)
    return GuardianRecipient(**base)


def professional(**kw) -> ProfessionalRecipient:
    base = {
        "name": "Søren Berg",
        "profession": "Psykolog",
        "organisation": "PPR",
        "concern_summary": "Aftalt position: Øget opmærksomhed. Alma trækker sig fra legen.",
        "basis": "Samtykke givet 01-11-2026 af Mette Østergaard til: Tværfagligt møde",
    }
    base.update(kw)
    return ProfessionalRecipient(**base)


def group_row(name: str = "Mariehønen", **kw) -> GroupRow:
    base = {
        "group": name,
        "children": 22,
        "by_position": {"green": 14, "yellow": 3, "red": 1},
        "assessed": 20,
        "missing": 2,
        "open_paths": 4,
        "overdue_steps": 1,
    }
    base.update(kw)
    return GroupRow(**base)


def round_overview(**kw) -> RoundOverviewData:
    base = {
        "round_name": "Efterår 2026",
        "institution": "Børnehuset Solsikken",
        "groups": (group_row("Mariehønen"), group_row("Sommerfuglene", overdue_steps=0)),
        "children_needing_action": (
            ChildNeedingAction("Alma Østergaard", "Mariehønen", "yellow", "1 overskredne trin"),
            ChildNeedingAction("Otto Ærø", "Mariehønen", None, "Mangler fælles vurdering"),
        ),
    }
    base.update(kw)
    return RoundOverviewData(**base)


def municipal_overview(**kw) -> MunicipalOverviewData:
    base = {
        "round_name": "Efterår 2026",
        "rows": (
            group_row("Børnehuset Solsikken"),
            group_row("Vuggestuen Lærkereden", children=3, by_position={"green": 3}),
        ),
    }
    base.update(kw)
    return MunicipalOverviewData(**base)


def parents_copy(**kw) -> ParentsCopyData:
    base = {
        "child": CHILD,
        "requested_by": "Mette Østergaard",
        "guardians": [guardian(), guardian(name="Lars Jensen", address=None, protected=True)],
        "positions": [("Efterår 2026", "yellow", "Alma trækker sig fra legen.")],
        "assessments": [TimelineEntry(date(2026, 11, 2), "Trivselsvurdering", "Vurderet af Hanne")],
        "observations": [TimelineEntry(date(2026, 10, 1), "Sprog", "Taler i korte sætninger")],
        "plans": [plan()],
        "meetings": [TimelineEntry(date(2026, 12, 3), "Tværfagligt møde", "Mødelokalet")],
        "consents": [TimelineEntry(date(2026, 11, 1), "Samtykke", "Givet af Mette")],
        "action_path": [
            TimelineEntry(date(2026, 11, 3), "Orientér lederen", "Ansvarlig: pædagog."),
            TimelineEntry(date(2026, 11, 4), "Vurdering af underretningspligt", "Vurderet."),
        ],
        "access_log": [
            (
                datetime(2026, 11, 2, 10, 14),
                "Lise Leder (leder, Børnehuset Solsikken)",
                "åbnede handleplanen",
            )
        ],
    }
    base.update(kw)
    return ParentsCopyData(**base)


def replace(obj, **kw):
    return dataclasses.replace(obj, **kw)


def group_overview(**kw) -> GroupOverviewData:
    green, yellow = TrafficCell("green", "green"), TrafficCell("yellow", None)
    base = {
        "round_name": "Efterår 2026",
        "institution": "Børnehuset Solsikken",
        "group": "Mariehønen",
        "area_keys": ("emotional", "cognitive", "social", "physical"),
        "rows": (
            GroupOverviewRow(
                "Alma Østergaard",
                TrafficCell("yellow", "green"),
                (yellow, green, TrafficCell("red", "yellow"), green),
                ("Hanne Holm ▲", "Søren Sørensen ●"),
                "Hanne Holm",
                "Forår 2026",
            ),
            GroupOverviewRow(
                "Otto Ærø", TrafficCell(None, None), (TrafficCell(None, None),) * 4, ()
            ),
        ),
    }
    base.update(kw)
    return GroupOverviewData(**base)
