"""Authorization, answered in one place: may this user do this action to this object?

Views never test roles themselves. They ask `can(user, action, obj)` or use the loaders in
`screening.core.access`, which also turn "not visible" into 404 so that a user cannot learn
that a child of another institution exists.

Roles (DOMAIN.md) and what they are granted:

* educator (pædagog) and leader (leder): children of their own institutions; only the
  leader sees a protected guardian address (needed to send that guardian's own letters).
* health visitor (sundhedsplejerske): children of the institutions assigned to them.
* dental staff (tandplejen): find children of assigned institutions and add observations,
  without reading assessments or guardians.
* coordinator (koordinator): every institution's figures, rounds and settings; named data
  (the child, guardians, observations, assessments, paths) only for a child whose open
  action path has reached a level where the municipal consultants take part (a level of the
  action-path template marked `consultants: true`) or whose meeting the coordinator is
  invited to (`coordinator_named_children`). Everything else the coordinator sees as
  figures.
* PPR and social workers: nothing by default; later access follows meeting invitations.
* admin: users, institutions, groups and roster import, but no child data.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import yaml

from screening.accounts.models import Role, User
from screening.assessments.models import (
    Assessment,
    AssessmentStatus,
    ChildObservation,
    JointAssessment,
    JointDelegate,
    ObservationSourceValue,
)
from screening.catalogue.models import ActionPathTemplateVersion
from screening.children.models import Child, GroupMembership
from screening.core.extensions import db
from screening.documents.models import ReportJob
from screening.offline.models import SyncConflict, SyncKind
from screening.org.models import Group, Institution
from screening.paths.models import (
    ActionPath,
    ActionPlan,
    ActionStep,
    Consent,
    Meeting,
    MeetingParticipant,
    ParticipantKind,
    PathStatus,
)
from screening.paths.rules import load_templates


class Action(enum.StrEnum):
    LIST_CHILDREN = "list_children"  # an institution's groups and children
    VIEW_CHILD = "view_child"  # name, birth date, group history
    VIEW_GUARDIANS = "view_guardians"  # guardians' names and contact details
    VIEW_PROTECTED_ADDRESS = "view_protected_address"
    ADD_OBSERVATION = "add_observation"
    VIEW_OBSERVATIONS = "view_observations"
    VIEW_ASSESSMENTS = "view_assessments"  # the child's positions, timeline and progress
    ASSESS = "assess"  # fill in one's own individual assessment
    RECORD_JOINT = "record_joint"  # record the joint assessment (fælles vurdering)
    DELEGATE_JOINT = "delegate_joint"  # let another user record joint assessments
    VIEW_PATHS = "view_paths"  # action paths, plans, meetings, consents
    MANAGE_PATHS = "manage_paths"  # steps, plans, follow-ups, meetings, consents
    DECIDE_NOTIFY = "decide_notify"  # record the duty-to-notify assessment; leader signs
    VIEW_MOMENTUM = "view_momentum"  # open steps and overdue counts across children
    MANAGE_OFFERS = "manage_offers"  # the catalogue of offers (tilbudsviften)
    PARENTS_COPY = "parents_copy"  # print everything about a child for a guardian who asks
    MUNICIPAL_OVERVIEW = "municipal_overview"  # anonymous key figures across institutions
    MANAGE_ROUNDS = "manage_rounds"
    MANAGE_SETTINGS = "manage_settings"  # municipality name, colour labels, retention
    MANAGE_USERS = "manage_users"
    MANAGE_INSTITUTIONS = "manage_institutions"
    IMPORT_ROSTER = "import_roster"
    # Sync conflicts (an offline item that disagreed with the server).
    VIEW_CONFLICT = "view_conflict"  # open the conflict page
    RESOLVE_CONFLICT = "resolve_conflict"  # keep the device's or the server's version
    OVERSEE_CONFLICTS = "oversee_conflicts"  # see other users' conflicts in one's institutions
    FOLLOW_JOB = "follow_job"  # a background PDF job's progress and result: its owner only
    PREVIEW_ERASURE = "preview_erasure"  # what the next retention run will erase
    # Documents (PDFs): a document shows exactly what its reader may see on screen.
    DOWNLOAD_LETTER = "download_letter"  # one participant's invitation letter (see below)
    ROUND_OVERVIEW = "round_overview"  # a round's overview of a whole institution, with names


A = Action

# Actions each role may take on objects within its institutions.
SCOPED_GRANTS: dict[Role, frozenset[Action]] = {
    Role.EDUCATOR: frozenset(
        {
            A.LIST_CHILDREN,
            A.VIEW_CHILD,
            A.VIEW_GUARDIANS,
            A.ADD_OBSERVATION,
            A.VIEW_OBSERVATIONS,
            A.VIEW_ASSESSMENTS,
            A.ASSESS,
            A.VIEW_PATHS,
            A.MANAGE_PATHS,
        }
    ),
    Role.LEADER: frozenset(
        {
            A.LIST_CHILDREN,
            A.VIEW_CHILD,
            A.VIEW_GUARDIANS,
            A.VIEW_PROTECTED_ADDRESS,
            A.ADD_OBSERVATION,
            A.VIEW_OBSERVATIONS,
            A.VIEW_ASSESSMENTS,
            A.ASSESS,
            A.RECORD_JOINT,
            A.DELEGATE_JOINT,
            A.VIEW_PATHS,
            A.MANAGE_PATHS,
            A.DECIDE_NOTIFY,
            A.VIEW_MOMENTUM,
            A.PARENTS_COPY,
            A.ROUND_OVERVIEW,
            # The leader of the child's institution oversees other users' sync conflicts.
            A.OVERSEE_CONFLICTS,
        }
    ),
    # Health visitors assess infants (0–1 year band) at home visits; see `may_assess_with`.
    Role.HEALTH_VISITOR: frozenset(
        {
            A.LIST_CHILDREN,
            A.VIEW_CHILD,
            A.VIEW_GUARDIANS,
            A.ADD_OBSERVATION,
            A.VIEW_OBSERVATIONS,
            A.VIEW_ASSESSMENTS,
            A.ASSESS,
        }
    ),
    Role.DENTAL: frozenset({A.LIST_CHILDREN, A.VIEW_CHILD, A.ADD_OBSERVATION}),
}

# Actions each role may take everywhere in the municipality. The coordinator's grants cover
# institutions and the municipality as a whole (figures), not named data: see `_covers`.
GLOBAL_GRANTS: dict[Role, frozenset[Action]] = {
    Role.COORDINATOR: frozenset(
        {
            A.LIST_CHILDREN,
            A.VIEW_ASSESSMENTS,
            A.MANAGE_ROUNDS,
            A.MANAGE_SETTINGS,
            A.VIEW_PATHS,
            A.VIEW_MOMENTUM,
            A.MANAGE_OFFERS,
            A.MUNICIPAL_OVERVIEW,
            A.PREVIEW_ERASURE,
            A.ROUND_OVERVIEW,
        }
    ),
    Role.ADMIN: frozenset({A.MANAGE_USERS, A.MANAGE_INSTITUTIONS, A.IMPORT_ROSTER}),
}

# Actions that read named data about children when asked of a child or a group (a group's
# pages list its children by name), or, for the action paths, of an institution (its round
# PDF and its action plans name the children).
NAMED_ACTIONS = frozenset(
    {
        A.LIST_CHILDREN,
        A.VIEW_CHILD,
        A.VIEW_GUARDIANS,
        A.VIEW_OBSERVATIONS,
        A.VIEW_ASSESSMENTS,
        A.VIEW_PATHS,
        A.VIEW_MOMENTUM,  # the open steps name their children
    }
)

# What the coordinator reads about a child of `coordinator_named_children`.
COORDINATOR_NAMED_GRANTS = frozenset(
    {A.VIEW_CHILD, A.VIEW_GUARDIANS, A.VIEW_OBSERVATIONS, A.VIEW_ASSESSMENTS, A.VIEW_PATHS}
)

# Roles whose municipality-wide grants are figures, not names.
FIGURES_ONLY_ROLES = frozenset({Role.COORDINATOR})


def _covers(role: Role, action: Action, obj: Any) -> bool:
    """Does the role's municipality-wide grant of `action` cover `obj`? A figures-only role's
    grant never covers named data (NAMED_ACTIONS of a child or a group, or an institution's
    action paths)."""
    if role not in FIGURES_ONLY_ROLES or action not in NAMED_ACTIONS:
        return True
    if isinstance(obj, Child | Group):
        return False
    if isinstance(obj, Institution):
        return action != Action.VIEW_PATHS
    return True


def _global(user: User, action: Action, obj: Any = None) -> bool:
    return any(
        action in GLOBAL_GRANTS.get(role, ()) and _covers(role, action, obj) for role in user.roles
    )


def _scoped(user: User, action: Action) -> bool:
    return any(action in SCOPED_GRANTS.get(role, ()) for role in user.roles)


def institution_of(obj: Any) -> int | None:
    """The institution an object belongs to, for scoping."""
    if isinstance(obj, Institution):
        return obj.id
    if isinstance(obj, Group):
        return obj.institution_id
    if isinstance(obj, Child):
        group = obj.current_group
        return group.institution_id if group else None
    raise TypeError(f"no institution scope for {type(obj).__name__}")


def child_of(obj: Any) -> Child | None:
    """The child an object is about, for objects whose access follows their child."""
    if isinstance(obj, ActionPath | JointAssessment):
        return obj.child
    if isinstance(obj, ActionStep | ActionPlan | Meeting):
        return obj.path.child
    if isinstance(obj, MeetingParticipant):
        return obj.meeting.path.child
    if isinstance(obj, Consent):
        return obj.child
    return None


def can(user: User | None, action: Action, obj: Any = None) -> bool:
    """May `user` do `action` to `obj` (or in general, when `obj` is None)?"""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if isinstance(obj, Assessment):
        return _can_assessment(user, action, obj)
    if isinstance(obj, ChildObservation):
        return action == Action.VIEW_OBSERVATIONS and _can_read_observation(user, obj)
    if isinstance(obj, SyncConflict):
        return _can_conflict(user, action, obj)
    if isinstance(obj, ReportJob):
        return action == Action.FOLLOW_JOB and obj.user_id == user.id
    if action == Action.DOWNLOAD_LETTER:
        return isinstance(obj, MeetingParticipant) and _can_letter(user, obj)
    child = child_of(obj)
    if child is not None:
        return can(user, action, child)
    if _global(user, action, obj):
        return True
    if action in INVITED_GRANTS and isinstance(obj, Child) and _invited(user, obj):
        return True
    if (
        action in COORDINATOR_NAMED_GRANTS
        and isinstance(obj, Child)
        and user.has_role(*FIGURES_ONLY_ROLES)
        and _coordinator_named(user, obj)
    ):
        return True
    if action == Action.RECORD_JOINT and obj is not None and _is_delegate(user, obj):
        return True
    if not _scoped(user, action):
        return False
    if obj is None:
        # "Somewhere": the user holds the grant for at least one institution.
        return bool(user.institution_ids)
    inst = institution_of(obj)
    return inst is not None and inst in user.institution_ids


def can_see(user: User | None, obj: Any) -> bool:
    """May the user know that `obj` exists? When not, it answers 404 exactly like an id that
    does not exist (see `screening.core.access.load`)."""
    if isinstance(obj, Child):
        return can(user, Action.VIEW_CHILD, obj)
    if isinstance(obj, Group | Institution):
        return can(user, Action.LIST_CHILDREN, obj)
    if isinstance(obj, Assessment):
        return can(user, Action.VIEW_ASSESSMENTS, obj)
    if isinstance(obj, SyncConflict):
        return can(user, Action.VIEW_CONFLICT, obj)
    if isinstance(obj, ReportJob):
        return can(user, Action.FOLLOW_JOB, obj)
    child = child_of(obj)
    if child is None:
        raise TypeError(f"no visibility rule for {type(obj).__name__}")
    return can(user, Action.VIEW_CHILD, child)


# PPR and social workers read a child they are invited to a meeting about, while the
# invitation's basis (a consent that names them, or a stated legal basis) holds.
INVITED_GRANTS = frozenset({Action.VIEW_CHILD, Action.VIEW_PATHS})
INVITED_ROLES = (Role.PPR, Role.SOCIAL_WORKER)


def invited_children(user: User) -> sa.Select[int]:
    """Children the user is invited about (as a user or by their e-mail address)."""
    today = sa.func.current_date()
    consent_ok = sa.or_(
        MeetingParticipant.consent_id.is_(None),
        sa.exists().where(
            Consent.id == MeetingParticipant.consent_id,
            sa.or_(Consent.withdrawn_on.is_(None), Consent.withdrawn_on > today),
        ),
    )
    return (
        sa.select(ActionPath.child_id)
        .join(Meeting, Meeting.path_id == ActionPath.id)
        .join(MeetingParticipant, MeetingParticipant.meeting_id == Meeting.id)
        .where(
            sa.or_(
                MeetingParticipant.user_id == user.id,
                sa.func.lower(MeetingParticipant.email) == user.email.lower(),
            ),
            consent_ok,
        )
    )


def _invited(user: User, child: Child) -> bool:
    if not user.has_role(*INVITED_ROLES):
        return False
    from screening.paths.models import ActionPath

    stmt = invited_children(user).where(ActionPath.child_id == child.id).limit(1)
    return db.session.scalar(stmt) is not None


# The coordinator's named children ----------------------------------------------------------

# Consultant levels per action-path template version, parsed once per loaded row.
_CONSULTANT_LEVELS: dict[tuple[int, str, int], frozenset[int]] = {}


def consultant_thresholds() -> list[tuple[str, int, int]]:
    """(template key, version, lowest level where the municipal consultants take part) for
    every loaded action-path template version that marks such a level. One small query."""
    out = []
    # The versions' ids only: their YAML is read once per row (the first time it is seen).
    for row_id, template_key, version in db.session.execute(_TEMPLATE_VERSIONS):
        key = (int(row_id), str(template_key), int(version))
        if key not in _CONSULTANT_LEVELS:
            source = db.session.scalar(
                sa.select(ActionPathTemplateVersion.source_yaml).where(
                    ActionPathTemplateVersion.id == row_id
                )
            )
            templates = load_templates(yaml.safe_load(source or ""))
            _CONSULTANT_LEVELS[key] = templates.consultant_levels
        if _CONSULTANT_LEVELS[key]:
            out.append((key[1], key[2], min(_CONSULTANT_LEVELS[key])))
    return out


_TEMPLATE_VERSIONS = sa.select(
    ActionPathTemplateVersion.id, ActionPathTemplateVersion.key, ActionPathTemplateVersion.version
)


def coordinator_named_children(user: User) -> list[sa.Select[int]]:
    """Child ids whose named data a coordinator reads: an open action path escalated to a
    level where the municipal consultants take part (by the path's own template version),
    or a meeting the coordinator is invited to (as for PPR and social workers). The set is
    the union of the queries returned (each selects `ActionPath.child_id`): a statement asks
    `Child.id IN (each)` joined by OR, which PostgreSQL answers for the children at hand; a
    UNION it built whole first (1,200 escalated paths in the large municipality, for the 80
    children of a page)."""
    levels = [
        sa.and_(
            ActionPath.template_key == key,
            ActionPath.template_version == version,
            ActionPath.escalation_level >= lowest,
        )
        for key, version, lowest in consultant_thresholds()
    ]
    escalated = sa.select(ActionPath.child_id).where(
        ActionPath.status == PathStatus.OPEN, sa.or_(sa.false(), *levels)
    )
    return [escalated, invited_children(user)]


def _coordinator_named(user: User, child: Child) -> bool:
    stmt = sa.select(
        sa.or_(
            *(
                source.where(ActionPath.child_id == child.id).exists()
                for source in coordinator_named_children(user)
            )
        )
    )
    return bool(db.session.scalar(stmt))


# Set on a user loaded with the knowledge that they are nobody's delegate (the user
# loader's one statement counts their delegations); unset, the database is asked.
_NO_DELEGATIONS = "_trivselsspor_no_delegations"


def remember_no_delegations(user: User) -> None:
    """The user was loaded as nobody's delegate (for this request: the object is)."""
    setattr(user, _NO_DELEGATIONS, True)


def forget_delegations(user: User) -> None:
    """The user's delegations changed: ask the database again."""
    user.__dict__.pop(_NO_DELEGATIONS, None)


def _is_delegate(user: User, obj: Any) -> bool:
    inst = institution_of(obj)
    if inst is None or inst not in user.institution_ids:
        return False
    if getattr(user, _NO_DELEGATIONS, False):
        return False
    return (
        db.session.scalar(
            sa.select(JointDelegate.id).where(
                JointDelegate.institution_id == inst, JointDelegate.user_id == user.id
            )
        )
        is not None
    )


def _can_letter(user: User, pt: MeetingParticipant) -> bool:
    """Who may download one participant's invitation letter. A letter shows exactly what
    its reader may see on screen:

    * a guardian's letter (the guardian's own address) needs the right to see the child's
      guardians, so invited PPR and social workers never get one;
    * a professional's letter (the concern summary as far as that professional's consent
      or legal basis covers them, which is the child's position and plan) needs the right
      to see the child's action paths and assessments; an invited professional who is the
      signed-in user gets their own letter only;
    * colleagues in the daycare get no letter.
    """
    child = pt.meeting.path.child
    if pt.kind == ParticipantKind.GUARDIAN:
        return can(user, Action.VIEW_GUARDIANS, child) and can(user, Action.VIEW_PATHS, child)
    if pt.kind != ParticipantKind.EXTERNAL:
        return False
    if can(user, Action.VIEW_ASSESSMENTS, child) and can(user, Action.VIEW_PATHS, child):
        return True
    mine = pt.user_id == user.id or (bool(pt.email) and pt.email.lower() == user.email.lower())
    return mine and can(user, Action.VIEW_PATHS, child)


# Instruments a health visitor may use: the infant band only (first assessment at a home
# visit). Other roles with ASSESS may use any instrument the round covers.
HEALTH_VISITOR_MAX_MONTHS = 12


def may_assess_with(user: User, max_months: int) -> bool:
    """May `user` fill in an instrument whose age band ends at `max_months`?"""
    if user.has_role(Role.EDUCATOR, Role.LEADER):
        return True
    return user.has_role(Role.HEALTH_VISITOR) and max_months <= HEALTH_VISITOR_MAX_MONTHS


def _can_assessment(user: User, action: Action, assessment: Assessment) -> bool:
    """Independent assessments: one's own is always readable and, as a draft, editable.
    Another assessor's submitted assessment is readable only

    * after the reader has submitted their own for that child and round, or
    * by whoever records the joint assessment (if not assessing the child themselves), or
    * by a coordinator, or once the joint assessment has been recorded.

    Nobody ever reads another person's draft.
    """
    child = assessment.child
    if assessment.assessor_id == user.id:
        if action == Action.ASSESS:
            return assessment.status == AssessmentStatus.DRAFT and can(user, Action.ASSESS, child)
        return action == Action.VIEW_ASSESSMENTS and can(user, Action.VIEW_CHILD, child)
    if action != Action.VIEW_ASSESSMENTS or not can(user, Action.VIEW_ASSESSMENTS, child):
        return False
    if assessment.status != AssessmentStatus.SUBMITTED:
        return False
    if _global(user, Action.VIEW_ASSESSMENTS) or (
        user.has_role(*FIGURES_ONLY_ROLES) and _coordinator_named(user, child)
    ):
        return True
    own = db.session.scalar(
        sa.select(Assessment.status).where(
            Assessment.round_id == assessment.round_id,
            Assessment.child_id == assessment.child_id,
            Assessment.assessor_id == user.id,
        )
    )
    if own is not None:
        return own == AssessmentStatus.SUBMITTED
    if can(user, Action.RECORD_JOINT, child):
        return True
    return (
        db.session.scalar(
            sa.select(JointAssessment.id).where(
                JointAssessment.round_id == assessment.round_id,
                JointAssessment.child_id == assessment.child_id,
            )
        )
        is not None
    )


def readable_assessments(
    user: User, child: Child, assessments: Sequence[Assessment]
) -> list[Assessment]:
    """The assessments of `child` the user may read: `can(user, VIEW_ASSESSMENTS, a)` for
    each, as `_can_assessment` decides it, but with a fixed number of queries however many
    rounds the child has (the child's timeline lists them all)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return []
    own_view = can(user, Action.VIEW_CHILD, child)
    if not can(user, Action.VIEW_ASSESSMENTS, child):
        return [a for a in assessments if a.assessor_id == user.id and own_view]
    every = _global(user, Action.VIEW_ASSESSMENTS) or (
        user.has_role(*FIGURES_ONLY_ROLES) and _coordinator_named(user, child)
    )
    own: dict[int, AssessmentStatus] = {}
    joint_rounds: set[int] = set()
    records_joint = False
    if not every:
        rows = db.session.execute(
            sa.select(Assessment.round_id, Assessment.status).where(
                Assessment.child_id == child.id, Assessment.assessor_id == user.id
            )
        )
        own = {round_id: status for round_id, status in rows}  # noqa: C416 (Row, not tuple)
        records_joint = can(user, Action.RECORD_JOINT, child)
        joint_rounds = set(
            db.session.scalars(
                sa.select(JointAssessment.round_id).where(JointAssessment.child_id == child.id)
            )
        )

    def readable(a: Assessment) -> bool:
        if a.assessor_id == user.id:
            return own_view
        if a.status != AssessmentStatus.SUBMITTED:
            return False
        if every:
            return True
        if a.round_id in own:
            return own[a.round_id] == AssessmentStatus.SUBMITTED
        return records_joint or a.round_id in joint_rounds

    return [a for a in assessments if a.child_id == child.id and readable(a)]


def observation_sources(user: User, child: Child) -> frozenset[ObservationSourceValue] | None:
    """The observation sources the user may read for the child (None: all of them).

    Dental staff read only dental observations; they do not read the daycare's notes."""
    if can(user, Action.VIEW_OBSERVATIONS, child):
        return None
    if user.has_role(Role.DENTAL) and can(user, Action.VIEW_CHILD, child):
        return frozenset({ObservationSourceValue.DENTAL})
    return frozenset()


def _can_read_observation(user: User, obs: ChildObservation) -> bool:
    sources = observation_sources(user, obs.child)
    return sources is None or obs.source in sources


def writable_observation_sources(user: User) -> list[ObservationSourceValue]:
    """The sources a user may write observations as, from their roles."""
    by_role = {
        Role.EDUCATOR: ObservationSourceValue.DAYCARE,
        Role.LEADER: ObservationSourceValue.DAYCARE,
        Role.HEALTH_VISITOR: ObservationSourceValue.HEALTH_VISITOR,
        Role.DENTAL: ObservationSourceValue.DENTAL,
        Role.PPR: ObservationSourceValue.PPR,
    }
    found = {by_role[r] for r in user.roles if r in by_role}
    return [s for s in ObservationSourceValue if s in found]


def visible_institution_ids(user: User, action: Action = Action.LIST_CHILDREN) -> list[int] | None:
    """Institutions where the user may do `action`; None means all of them."""
    if _global(user, action):
        return None
    if _scoped(user, action):
        return sorted(user.institution_ids)
    return []


def named_institution_ids(user: User, action: Action = Action.VIEW_CHILD) -> list[int] | None:
    """Institutions where the user may do `action` to every child by name; None means all.
    Unlike `visible_institution_ids`, a figures-only grant (the coordinator's) counts for
    nothing here."""
    if any(
        action in GLOBAL_GRANTS.get(role, ())
        and (role not in FIGURES_ONLY_ROLES or action not in NAMED_ACTIONS)
        for role in user.roles
    ):
        return None
    if _scoped(user, action):
        return sorted(user.institution_ids)
    return []


def visible_children(user: User, action: Action = Action.VIEW_CHILD) -> sa.Select[Child]:
    """A query for the children the user may act on by name, by current group membership:
    the children of the user's institutions, and the children the user is invited about or,
    for a coordinator, named to (`coordinator_named_children`)."""
    stmt = (
        sa.select(Child)
        .join(
            GroupMembership,
            sa.and_(GroupMembership.child_id == Child.id, GroupMembership.end_date.is_(None)),
        )
        .join(Group, Group.id == GroupMembership.group_id)
    )
    ids = named_institution_ids(user, action)
    if ids is None:
        return stmt
    where: list[sa.ColumnElement[bool]] = [Group.institution_id.in_(ids)] if ids else []
    where.extend(Child.id.in_(source) for source in _named_beyond_institutions(user, action))
    return stmt.where(sa.or_(sa.false(), *where))


# Actions whose answer for a child `can` takes from more than the grants, the institution,
# invitations and the coordinator's named children (a joint delegate; a letter is asked of
# a participant, not a child): `permitted_child_ids` does not answer them.
NOT_SET_BASED = frozenset({Action.RECORD_JOINT, Action.DOWNLOAD_LETTER})


def permitted_child_ids(user: User | None, action: Action) -> sa.Select[int]:
    """A query for the ids of the children `can(user, action, child)` allows, in one
    statement however many children (a list that asks per child would ask the database
    once per child for the invited and named ones): the same answer as `can` for every
    child, by its current group (`tests/core/test_policy_sets.py` compares the two)."""
    if action in NOT_SET_BASED:
        raise ValueError(f"{action} is decided per object; ask can()")
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return sa.select(Child.id).where(sa.false())
    ids = named_institution_ids(user, action)
    if ids is None:  # a municipality-wide grant: every child, those who have left included
        return sa.select(Child.id)
    where: list[sa.ColumnElement[bool]] = []
    if ids:  # `institution_of`: the institution of the child's current group
        where.append(
            Child.id.in_(
                sa.select(GroupMembership.child_id)
                .join(Group, Group.id == GroupMembership.group_id)
                .where(GroupMembership.end_date.is_(None), Group.institution_id.in_(ids))
            )
        )
    # Unlike `visible_children`, an invitation or a coordinator's named child counts
    # whatever the child's group, as in `can`.
    where.extend(Child.id.in_(source) for source in _named_beyond_institutions(user, action))
    return sa.select(Child.id).where(sa.or_(sa.false(), *where))


def _beyond_institutions(user: User, action: Action) -> tuple[bool, bool]:
    """Is `action` granted beyond the user's institutions: (on the children the user is
    invited about, on a coordinator's named children)?"""
    return (
        action in INVITED_GRANTS and user.has_role(*INVITED_ROLES),
        action in COORDINATOR_NAMED_GRANTS and user.has_role(*FIGURES_ONLY_ROLES),
    )


def _named_beyond_institutions(user: User, action: Action) -> list[sa.Select[int]]:
    """The queries of the children `action` is granted on beyond the user's institutions."""
    invited, named = _beyond_institutions(user, action)
    sources: list[sa.Select[int]] = [invited_children(user)] if invited else []
    if named:
        sources.extend(coordinator_named_children(user))
    return sources


def permitted_institutions_only(user: User | None, action: Action) -> list[int] | None:
    """The institutions whose current children are exactly `permitted_child_ids(user,
    action)`, when that is all the set is; None when it is more (a municipality-wide grant,
    which also covers children who have left; invitations; a coordinator's named
    children). A list of one institution's children then filters by the institution alone
    instead of testing each child against the set (the offline pack of 511 children: 4.7
    -> 1.8 ms on PostgreSQL)."""
    if action in NOT_SET_BASED:
        raise ValueError(f"{action} is decided per object; ask can()")
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return []
    ids = named_institution_ids(user, action)
    if ids is None or any(_beyond_institutions(user, action)):
        return None
    return ids


def assessable_child_ids(user: User | None) -> sa.Select[int]:
    """The children the user may assess (`can(user, ASSESS, child)`), as one query."""
    return permitted_child_ids(user, Action.ASSESS)


# Sync conflicts ---------------------------------------------------------------------------


def _can_conflict(user: User, action: Action, conflict: SyncConflict) -> bool:
    """The user who sent the item sees their conflict (while they may see the child). The
    leader of the child's institution also sees other users' observation conflicts (never
    another person's assessment: nobody reads another's draft). Resolving needs the right
    to write what the device's version would write."""
    child = conflict.child
    if conflict.user_id == user.id:
        visible = can(user, Action.VIEW_CHILD, child)
    else:
        visible = (
            conflict.kind == SyncKind.OBSERVATION
            and can(user, Action.OVERSEE_CONFLICTS, child)
            and can(user, Action.VIEW_OBSERVATIONS, child)
        )
    if action == Action.VIEW_CONFLICT:
        return visible
    if action == Action.RESOLVE_CONFLICT:
        write = Action.ASSESS if conflict.kind == SyncKind.ASSESSMENT else Action.ADD_OBSERVATION
        return visible and can(user, write, child)
    return False


def may_list_conflict(user: User, conflict: SyncConflict) -> bool:
    """Is the conflict in the user's list of open conflicts? Their own (while they may see
    the child), and any of a child in an institution they oversee (the list names them;
    opening one still needs `Action.VIEW_CONFLICT`)."""
    if conflict.user_id == user.id:
        return can(user, Action.VIEW_CHILD, conflict.child)
    return can(user, Action.OVERSEE_CONFLICTS, conflict.child)
