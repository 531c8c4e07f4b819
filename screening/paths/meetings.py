"""Consents (samtykker) and meetings (møder) in the database: the consent gate on inviting
a professional, invitations made once per person, and the minutes. This module
flushes, the request commits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from screening.accounts.models import User
from screening.children.models import Child, Guardian
from screening.core.db import locked, savepoint
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.paths.models import (
    ActionPath,
    Consent,
    Meeting,
    MeetingKind,
    MeetingParticipant,
    ParticipantKind,
)


def covering_consent(child_id: int, profession: str, on: date) -> Consent | None:
    """An active consent from a custody holder that names this recipient."""
    for consent in db.session.scalars(
        sa.select(Consent).where(Consent.child_id == child_id).order_by(Consent.given_on.desc())
    ):
        if consent.covers(profession, on):
            return consent
    return None


_CONSENTS = (
    sa.select(Consent)
    .where(Consent.child_id == sa.bindparam("child_id"))
    .order_by(Consent.given_on)
)


def active_consents(child_id: int, on: date) -> list[Consent]:
    return [c for c in db.session.scalars(_CONSENTS, {"child_id": child_id}) if c.active_on(on)]


def record_consent(
    child: Child,
    guardian: Guardian,
    by: User,
    *,
    information_kinds: list[str],
    recipients: list[str],
    purpose: str,
    given_on: date,
) -> Consent:
    link = next((gl for gl in child.guardian_links if gl.guardian_id == guardian.id), None)
    if link is None or not link.has_custody:
        raise DomainError("not_custody_holder")
    if not recipients or not information_kinds or not purpose.strip():
        raise DomainError("consent_incomplete")
    consent = Consent(
        child_id=child.id,
        guardian_id=guardian.id,
        information_kinds=sorted(information_kinds),
        recipients=sorted(recipients),
        purpose=purpose.strip(),
        given_on=given_on,
        recorded_by_id=by.id,
    )
    db.session.add(consent)
    db.session.flush()
    return consent


def withdraw_consent(consent: Consent, by: User, on: date) -> None:
    if consent.withdrawn_on is not None:
        raise DomainError("already_withdrawn")
    consent.withdrawn_on = on
    consent.withdrawn_by_id = by.id
    db.session.flush()


def create_meeting(
    path: ActionPath,
    by: User,
    *,
    kind: str,
    starts_at: datetime,
    place: str,
    purpose: str,
    agenda: str,
) -> Meeting:
    meeting = Meeting(
        path_id=path.id,
        kind=MeetingKind(kind),
        starts_at=starts_at,
        place=place.strip(),
        purpose=purpose.strip(),
        agenda=agenda.strip(),
        created_by_id=by.id,
    )
    db.session.add(meeting)
    db.session.flush()
    return meeting


def invite_external(
    meeting: Meeting,
    *,
    name: str,
    profession: str,
    organisation: str,
    email: str,
    legal_basis: str,
    on: date,
) -> MeetingParticipant:
    """Invite a professional from outside the daycare. Allowed only when a recorded, not
    withdrawn consent names that recipient, or when a legal basis for sharing without
    consent is recorded. Raises DomainError("no_consent_or_legal_basis")."""
    consent = covering_consent(meeting.path.child_id, profession, on)
    if consent is None and not legal_basis.strip():
        raise DomainError("no_consent_or_legal_basis")
    participant = MeetingParticipant(
        kind=ParticipantKind.EXTERNAL,
        name=name.strip(),
        profession=profession,
        organisation=organisation.strip(),
        email=email.strip(),
        consent_id=consent.id if consent else None,
        legal_basis="" if consent else legal_basis.strip(),
    )
    meeting.participants.append(participant)
    db.session.flush()
    return participant


def invite_guardian(meeting: Meeting, guardian: Guardian) -> MeetingParticipant:
    """Invite a guardian once: invited again (another tap, another session) it returns the
    first invitation (one participant, so one letter)."""
    return _invite_once(
        meeting,
        MeetingParticipant.guardian_id == guardian.id,
        lambda: MeetingParticipant(
            meeting_id=meeting.id,
            kind=ParticipantKind.GUARDIAN,
            guardian_id=guardian.id,
            name=guardian.name,
            email=guardian.email,
        ),
    )


def invite_staff(meeting: Meeting, user: User) -> MeetingParticipant:
    """Invite a colleague once (see `invite_guardian`)."""
    return _invite_once(
        meeting,
        MeetingParticipant.user_id == user.id,
        lambda: MeetingParticipant(
            meeting_id=meeting.id,
            kind=ParticipantKind.STAFF,
            user_id=user.id,
            name=user.name,
            email=user.email,
        ),
    )


def _invite_once(
    meeting: Meeting, who: sa.ColumnElement[bool], make: Callable[[], MeetingParticipant]
) -> MeetingParticipant:
    """Find or create a participant: an insert guarded by the unique constraint in a
    savepoint, so the second writer reads the first one's row."""

    def existing() -> MeetingParticipant | None:
        return db.session.scalar(
            sa.select(MeetingParticipant).where(MeetingParticipant.meeting_id == meeting.id, who)
        )

    found = existing()
    if found is not None:
        return found
    try:
        with savepoint(db.session):
            participant = make()
            db.session.add(participant)
            db.session.flush()
    except IntegrityError:
        found = existing()
        if found is None:
            raise
        return found
    db.session.expire(meeting, ["participants"])
    return participant


def consents_of(child: Child) -> list[Consent]:
    """Every consent recorded for the child, newest first."""
    return list(
        db.session.scalars(
            sa.select(Consent).where(Consent.child_id == child.id).order_by(Consent.given_on.desc())
        )
    )


def save_minutes(
    meeting: Meeting, *, minutes: str, decisions: str, expected_version: int | None = None
) -> None:
    """Save the minutes; from a form opened at an older version of the meeting it is
    refused (DomainError("changed_meanwhile")) unless the meeting already says this."""
    meeting = db.session.scalars(
        locked(db.session, sa.select(Meeting).where(Meeting.id == meeting.id))
    ).one()
    if expected_version is not None and meeting.version != expected_version:
        if (meeting.minutes, meeting.decisions) == (minutes.strip(), decisions.strip()):
            return
        raise DomainError("changed_meanwhile")
    meeting.minutes = minutes.strip()
    meeting.decisions = decisions.strip()
    db.session.flush()
