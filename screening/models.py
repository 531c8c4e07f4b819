"""Every area's models in one place, for what spans areas: Alembic's env.py, the CLI, the
demo data and the tests. Code inside an area imports from the area's own `models` module.

Importing this module registers every table on the metadata.
"""

from screening.accounts.models import LoginAttempt, Role, User, UserRole, user_institution
from screening.assessments.models import (
    Assessment,
    AssessmentContext,
    AssessmentStatus,
    ChildObservation,
    JointAssessment,
    JointDelegate,
    ObservationSourceValue,
)
from screening.catalogue.models import ActionPathTemplateVersion, InstrumentVersion, RuleSetVersion
from screening.children.models import Child, ChildGuardian, GroupMembership, Guardian
from screening.classifier import Position, Vulnerability
from screening.core.db import utcnow
from screening.core.models import AuditEvent, Outcome
from screening.documents.models import JobStatus, ReportJob
from screening.offline.models import (
    ConflictReason,
    ConflictResolution,
    ConflictStatus,
    DeviceKey,
    SyncConflict,
    SyncKind,
    SyncOutcome,
    SyncReceipt,
)
from screening.org.models import Group, Institution, InstitutionKind, Municipality
from screening.paths.models import (
    ActionPath,
    ActionPlan,
    ActionPlanItem,
    ActionStep,
    Consent,
    FollowUp,
    Meeting,
    MeetingKind,
    MeetingParticipant,
    NotifyDecision,
    NotifyDecisionValue,
    Offer,
    ParticipantKind,
    PathStatus,
    Progress,
    StepKind,
    action_plan_offer,
)
from screening.reminders.models import Notification
from screening.rounds.models import RoundStatus, ScreeningRound, round_institution

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
    "Notification",
    "NotifyDecision",
    "NotifyDecisionValue",
    "ObservationSourceValue",
    "Offer",
    "Outcome",
    "ParticipantKind",
    "PathStatus",
    "Position",
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
    "Vulnerability",
    "action_plan_offer",
    "round_institution",
    "user_institution",
    "utcnow",
]
