"""The data model. Import models from here."""

from sqlalchemy import event
from sqlalchemy.orm import Session

from screening.models.audit import AuditEvent, Outcome
from screening.models.org import Group, Institution, InstitutionKind, Municipality
from screening.models.people import Child, ChildGuardian, GroupMembership, Guardian
from screening.models.rounds import RoundStatus, ScreeningRound
from screening.models.types import utcnow
from screening.models.users import LoginAttempt, Role, User, UserRole, user_institution

__all__ = [
    "AuditEvent",
    "Child",
    "ChildGuardian",
    "Group",
    "GroupMembership",
    "Guardian",
    "Institution",
    "InstitutionKind",
    "LoginAttempt",
    "Municipality",
    "Outcome",
    "Role",
    "RoundStatus",
    "ScreeningRound",
    "User",
    "UserRole",
    "user_institution",
    "utcnow",
]


@event.listens_for(Session, "before_flush")
def _audit_is_append_only(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("audit events are append-only")
