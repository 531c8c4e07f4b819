"""The data of the meeting letters (invitations): the meeting, the child and one
recipient, a guardian or an external professional, and what that professional may be told
(`concern_summary`)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa

from reports.data import ChildInfo, GuardianRecipient, MeetingInfo, ProfessionalRecipient
from reports.i18n import DANISH, Language
from reports.wording import plain_reasons
from screening.assessments.models import JointAssessment
from screening.classifier import profession_label
from screening.core.extensions import db
from screening.core.time import LOCAL_TZ
from screening.documents.common import (
    MEETING_KINDS,
    child_info,
    consent_kinds,
    guardian_recipient,
    person_of,
    role_label,
    suggested_reasons,
)
from screening.paths import plans
from screening.paths.models import (
    ActionPath,
    ActionPlan,
    Consent,
    Meeting,
    MeetingParticipant,
    ParticipantKind,
)
from screening.rounds.models import ScreeningRound

if TYPE_CHECKING:
    from reports.base import Letterhead

# A letter's data: the meeting, the child and the one recipient.
Letter = tuple[MeetingInfo, ChildInfo, GuardianRecipient | ProfessionalRecipient]


def meeting_info(meeting: Meeting, language: Language = DANISH) -> MeetingInfo:
    """The meeting as every letter shows it: when, where (with the dagtilbud's street
    address), who, and whom to contact (the tovholder, by e-mail) to reply or move it."""
    path = meeting.path
    group = path.child.current_group
    interpreters: list[str] = []
    for pt in meeting.participants:
        g = pt.guardian if pt.kind == ParticipantKind.GUARDIAN else None
        wanted = g.language if g is not None and g.needs_interpreter else "da"
        if wanted and wanted != "da" and wanted not in interpreters:
            interpreters.append(wanted)
    contact = path.coordinator
    return MeetingInfo(
        kind=language.gettext(MEETING_KINDS[meeting.kind.value]),
        starts_at=meeting.starts_at.astimezone(LOCAL_TZ),
        place=meeting.place,
        purpose=meeting.purpose,
        agenda=meeting.agenda,
        participants=tuple(person_of(pt, language=language) for pt in meeting.participants),
        contact_name=contact.name,
        contact_institution=group.institution.name if group else "",
        contact_email=contact.email,
        contact_phone=contact.phone,
        contact_role=role_label(contact, language).lower(),
        address=group.institution.address if group else "",
        kind_code=meeting.kind.value,
        interpreter_languages=tuple(interpreters),
    )


def _latest_joint(child_id: int) -> JointAssessment | None:
    return db.session.scalar(
        sa.select(JointAssessment)
        .join(ScreeningRound, ScreeningRound.id == JointAssessment.round_id)
        .where(JointAssessment.child_id == child_id)
        .order_by(ScreeningRound.reference_date.desc())
        .limit(1)
    )


def _reasons(joint: JointAssessment | None, language: Language = DANISH) -> tuple[str, ...]:
    return suggested_reasons(joint.suggestion if joint is not None else None, language)


class _Known:
    """What the letters of one meeting share about the child, looked up once per batch
    (not once per professional): the latest joint assessment and the action plan."""

    def __init__(self, path: ActionPath) -> None:
        self.path = path
        self._joint: tuple[JointAssessment | None] | None = None
        self._plan: tuple[ActionPlan | None] | None = None

    def joint(self) -> JointAssessment | None:
        if self._joint is None:
            self._joint = (_latest_joint(self.path.child_id),)
        return self._joint[0]

    def plan(self) -> ActionPlan | None:
        if self._plan is None:
            self._plan = (plans.plan_for(self.path),)
        return self._plan[0]


def concern_summary(
    pt: MeetingParticipant, lh: Letterhead, today: date, known: _Known | None = None
) -> tuple[str | None, str]:
    """What a professional may be told, and on which basis. With a consent, only the kinds
    of information it names; with a legal basis (e.g. a notification), the position and
    its reasons."""
    language = lh.language
    _ = language.gettext
    known = known or _Known(pt.meeting.path)
    joint = known.joint()
    wellbeing = None
    if joint:
        wellbeing = _("Aftalt position: %(position)s.") % {
            "position": lh.label(joint.agreed_position.value)
        }
        reasons = plain_reasons(_reasons(joint, language))
        if reasons:
            wellbeing += "\n" + "\n".join(reasons)
    if pt.consent_id is not None:
        consent = db.session.get_one(Consent, pt.consent_id)
        if not consent.covers(pt.profession, today):
            return None, _("Samtykket er trukket tilbage. Der deles ingen oplysninger.")
        basis = _(
            "Samtykke givet den %(date)s af %(name)s. Formål: %(purpose)s\n"
            "Samtykket omfatter %(kinds)s."
        ) % {
            "date": language.long_date(consent.given_on),
            "name": consent.guardian.name,
            "purpose": consent.purpose,
            "kinds": consent_kinds(consent, language),
        }
        parts = []
        if "wellbeing" in consent.information_kinds and wellbeing:
            parts.append(wellbeing)
        if "action_plan" in consent.information_kinds:
            plan = known.plan()
            if plan and plan.goals:
                parts.append(_("Mål i handleplanen: %(goals)s") % {"goals": plan.goals})
        return ("\n\n".join(parts) or None), basis
    return wellbeing, _("Hjemmel: %(basis)s") % {"basis": pt.legal_basis}


def _recipient(
    pt: MeetingParticipant, lh: Letterhead, today: date, known: _Known | None = None
) -> GuardianRecipient | ProfessionalRecipient:
    if pt.kind == ParticipantKind.GUARDIAN and pt.guardian is not None:
        return guardian_recipient(pt.guardian)
    summary, basis = concern_summary(pt, lh, today, known)
    return ProfessionalRecipient(
        name=pt.name,
        profession=profession_label(pt.profession, lh.language.code),
        organisation=pt.organisation,
        concern_summary=summary,
        basis=basis,
    )


def meeting_letter(pt: MeetingParticipant, lh: Letterhead, today: date) -> Letter:
    """(MeetingInfo, ChildInfo, recipient) for one guardian or external professional."""
    child = child_info(pt.meeting.path.child, today, lh.language)
    return meeting_info(pt.meeting, lh.language), child, _recipient(pt, lh, today)


def meeting_letters(
    meeting: Meeting, lh: Letterhead, today: date, only: list[int] | None = None
) -> list[Letter]:
    """A letter's data for each guardian and external professional (colleagues get none);
    with `only`, for those participants only (the ones the policy lets the reader have)."""
    info = meeting_info(meeting, lh.language)
    child = child_info(meeting.path.child, today, lh.language)
    known = _Known(meeting.path)
    return [
        (info, child, _recipient(pt, lh, today, known))
        for pt in meeting.participants
        if pt.kind in (ParticipantKind.GUARDIAN, ParticipantKind.EXTERNAL)
        and (only is None or pt.id in only)
    ]
