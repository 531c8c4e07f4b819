"""The data model. Import models from here."""

from sqlalchemy import event
from sqlalchemy.orm import Session

from screening.models.assessments import (
    Assessment,
    AssessmentContext,
    AssessmentStatus,
    ChildObservation,
    JointAssessment,
    JointDelegate,
    ObservationSourceValue,
    PositionValue,
    VulnerabilityValue,
)
from screening.models.audit import AuditEvent, Outcome
from screening.models.catalogue import InstrumentVersion, RuleSetVersion
from screening.models.org import Group, Institution, InstitutionKind, Municipality
from screening.models.paths import (
    ActionPath,
    ActionPathTemplateVersion,
    ActionPlan,
    ActionPlanItem,
    ActionStep,
    Consent,
    FollowUp,
    JobStatus,
    Meeting,
    MeetingKind,
    MeetingParticipant,
    NotifyDecision,
    NotifyDecisionValue,
    Offer,
    ParticipantKind,
    PathStatus,
    Progress,
    ReportJob,
    StepKind,
    action_plan_offer,
)
from screening.models.people import Child, ChildGuardian, GroupMembership, Guardian
from screening.models.rounds import RoundStatus, ScreeningRound, round_institution
from screening.models.sync import (
    ConflictReason,
    ConflictResolution,
    ConflictStatus,
    DeviceKey,
    SyncConflict,
    SyncKind,
    SyncOutcome,
    SyncReceipt,
)
from screening.models.types import utcnow
from screening.models.users import LoginAttempt, Role, User, UserRole, user_institution

__all__ = [
    "ActionPath",
    "ActionPathTemplateVersion",
    "ActionPlan",
    "ActionPlanItem",
    "ActionStep",
    "Assessment",
    "AssessmentContext",
    "AssessmentStatus",
    "AuditEvent",
    "Child",
    "ChildGuardian",
    "ChildObservation",
    "ConflictReason",
    "ConflictResolution",
    "ConflictStatus",
    "Consent",
    "DeviceKey",
    "FollowUp",
    "Group",
    "GroupMembership",
    "Guardian",
    "Institution",
    "InstitutionKind",
    "InstrumentVersion",
    "JobStatus",
    "JointAssessment",
    "JointDelegate",
    "LoginAttempt",
    "Meeting",
    "MeetingKind",
    "MeetingParticipant",
    "Municipality",
    "NotifyDecision",
    "NotifyDecisionValue",
    "ObservationSourceValue",
    "Offer",
    "Outcome",
    "ParticipantKind",
    "PathStatus",
    "PositionValue",
    "Progress",
    "ReportJob",
    "Role",
    "RoundStatus",
    "RuleSetVersion",
    "ScreeningRound",
    "StepKind",
    "SyncConflict",
    "SyncKind",
    "SyncOutcome",
    "SyncReceipt",
    "User",
    "UserRole",
    "VulnerabilityValue",
    "action_plan_offer",
    "round_institution",
    "user_institution",
    "utcnow",
]


@event.listens_for(Session, "before_flush")
def _audit_is_append_only(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("audit events are append-only")
