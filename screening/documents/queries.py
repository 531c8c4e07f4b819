"""Builds the plain data the PDF builders in `reports/` take, from the database.

The rule for protected addresses (navne- og adressebeskyttelse) lives here, once: a
protected address is never handed to any builder, so it can appear on no document.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, lazyload

from reports.data import (
    ActionPlanData,
    ChildInfo,
    ChildNeedingAction,
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
)
from reports.i18n import DANISH
from reports.wording import plain_reasons
from screening.accounts.models import Role, User, UserRole, user_institution
from screening.assessments.models import (
    Assessment,
    AssessmentStatus,
    ChildObservation,
    JointAssessment,
)
from screening.assessments.services import (
    ChildProgress,
    GroupCounts,
    GroupProgress,
    group_progress,
    round_group_counts,
    round_members,
)
from screening.catalogue.services import compiled_instrument
from screening.children.models import Child, ChildGuardian, GroupMembership, Guardian
from screening.classifier import load_observation_categories, profession_label
from screening.core.extensions import db
from screening.core.models import AuditEvent, Outcome
from screening.core.time import LOCAL_TZ
from screening.figures.suppression import DEFAULT_THRESHOLD, Table, protect, valid_threshold
from screening.org.models import Group, Institution, Municipality
from screening.paths import services as action_paths
from screening.paths.models import (
    ActionPath,
    ActionPlan,
    ActionStep,
    Consent,
    FollowUp,
    Meeting,
    MeetingParticipant,
    NotifyDecision,
    ParticipantKind,
    PathStatus,
)
from screening.rounds.models import ScreeningRound

if TYPE_CHECKING:
    from reports.base import Letterhead

# A letter's data: the meeting, the child and the one recipient.
Letter = tuple[MeetingInfo, ChildInfo, GuardianRecipient | ProfessionalRecipient]

MEETING_KINDS = {
    "parent_talk": "Samtale med forældrene",
    "cross_disciplinary": "Tværfagligt møde",
    "network": "Netværksmøde",
}
PROGRESS = {"better": "Bedre", "unchanged": "Uændret", "worse": "Dårligere"}
# What a consent covers, as words inside a sentence (the labels of forms/paths.py).
INFORMATION_KINDS = {
    "wellbeing": "vurderinger af barnets trivsel",
    "observations": "observationer",
    "action_plan": "handleplanen",
    "health": "helbredsoplysninger",
    "family": "familiens situation",
}
ROLE_NAMES = {
    "educator": "Pædagog",
    "leader": "Leder",
    "health_visitor": "Sundhedsplejerske",
    "dental": "Tandplejer",
    "coordinator": "Koordinator",
    "ppr": "PPR",
    "social_worker": "Socialrådgiver",
    "admin": "Administrator",
}


# Statements built once: the plan document is the hot path (`make bench-reports`), and
# building a statement and its cache key costs about as much as running it on SQLite.
_MUNICIPALITY = sa.select(
    Municipality.name, Municipality.label_green, Municipality.label_yellow, Municipality.label_red
).limit(1)


def letterhead(today: date, logo_path: str | None = None) -> Letterhead:
    from reports.base import Letterhead  # ReportLab: loaded by the first document

    muni = db.session.execute(_MUNICIPALITY).first()
    if muni is None:
        return Letterhead("Trivselsspor", today, logo_path)
    name, green, yellow, red = muni
    return Letterhead(name, today, logo_path, {"green": green, "yellow": yellow, "red": red})


def age_text(months: int) -> str:
    """ "4 år og 2 mdr.", "4 år og 1 md.", "3 år", "7 mdr." (LANGUAGE.md)."""
    years, rest = divmod(max(months, 0), 12)
    rest_text = f"{rest} md." if rest == 1 else f"{rest} mdr."
    if years == 0:
        return rest_text
    return f"{years} år og {rest_text}" if rest else f"{years} år"


def _kinds(consent: Consent) -> str:
    """ "trivselsvurderinger og position og handleplanen"."""
    order = list(INFORMATION_KINDS)
    kinds = sorted(consent.information_kinds, key=lambda k: order.index(k) if k in order else 99)
    words = [INFORMATION_KINDS.get(k, k) for k in kinds]
    return (
        " og ".join(words[-2:]) if len(words) <= 2 else ", ".join(words[:-1]) + " og " + words[-1]
    )


def _role_label(user: User | None) -> str:
    if user is None:
        return ""
    roles = sorted(user.roles)
    return ROLE_NAMES.get(roles[0].value, "") if roles else ""


def _sharing_basis(pt: MeetingParticipant) -> str:
    """The basis on which an external professional is told about the child, as a phrase for
    the guardian's letter ("... får oplysninger på grundlag af <basis>.")."""
    consent = pt.consent
    if consent is not None:
        return (
            f"samtykke fra {consent.guardian.name} af {DANISH.long_date(consent.given_on)} "
            f"(det omfatter {_kinds(consent)})"
        )
    if pt.legal_basis:
        return f"loven ({pt.legal_basis})"
    return ""


def child_info(child: Child, today: date) -> ChildInfo:
    group = child.current_group
    return ChildInfo(
        name=child.full_name,
        birth_date=child.birth_date,
        age_text=age_text(child.age_in_months(today)),
        group=group.name if group else "–",
        institution=group.institution.name if group else "–",
    )


def guardian_recipient(guardian: Guardian) -> GuardianRecipient:
    """The one place that decides whether an address may be printed: never when protected."""
    return GuardianRecipient(
        name=guardian.name,
        address=None if guardian.protected_address else (guardian.address or None),
        protected=guardian.protected_address,
        needs_interpreter=guardian.needs_interpreter,
        language=guardian.language,
    )


def _person(pt: MeetingParticipant, with_basis: bool = True) -> Person:
    """A participant as a letter lists them; `with_basis`: an external professional's
    basis for sharing too (the guardian's letter prints it; the plan does not)."""
    if pt.kind == ParticipantKind.GUARDIAN:
        return Person(pt.name, "Forælder")
    if pt.kind == ParticipantKind.STAFF and pt.user is not None:
        return Person(pt.name, _role_label(pt.user))
    return Person(
        pt.name,
        profession_label(pt.profession, "da"),
        pt.organisation,
        external=pt.kind == ParticipantKind.EXTERNAL,
        basis=_sharing_basis(pt) if with_basis else "",
    )


def meeting_info(meeting: Meeting) -> MeetingInfo:
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
        kind=MEETING_KINDS[meeting.kind.value],
        starts_at=meeting.starts_at.astimezone(LOCAL_TZ),
        place=meeting.place,
        purpose=meeting.purpose,
        agenda=meeting.agenda,
        participants=tuple(_person(pt) for pt in meeting.participants),
        contact_name=contact.name,
        contact_institution=group.institution.name if group else "",
        contact_email=contact.email,
        contact_phone=contact.phone,
        contact_role=_role_label(contact).lower(),
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


def _reasons(joint: JointAssessment | None) -> tuple[str, ...]:
    return _suggested_reasons(joint.suggestion if joint is not None else None)


def _suggested_reasons(suggestion: dict[str, Any] | None) -> tuple[str, ...]:
    return tuple(r.get("text_da", "") for r in (suggestion or {}).get("reasons", []))


_LATEST_SUGGESTION = (
    sa.select(JointAssessment.suggestion)
    .join(ScreeningRound, ScreeningRound.id == JointAssessment.round_id)
    .where(JointAssessment.child_id == sa.bindparam("child_id"))
    .order_by(ScreeningRound.reference_date.desc())
    .limit(1)
)


def concern_summary(pt: MeetingParticipant, lh: Letterhead, today: date) -> tuple[str | None, str]:
    """What a professional may be told, and on which basis. With a consent, only the kinds
    of information it names; with a legal basis (e.g. a notification), the position and
    its reasons."""
    child_id = pt.meeting.path.child_id
    joint = _latest_joint(child_id)
    wellbeing = None
    if joint:
        wellbeing = f"Aftalt position: {lh.label(joint.agreed_position.value)}."
        reasons = plain_reasons(_reasons(joint))
        if reasons:
            wellbeing += "\n" + "\n".join(reasons)
    if pt.consent_id is not None:
        consent = db.session.get_one(Consent, pt.consent_id)
        if not consent.covers(pt.profession, today):
            return None, "Samtykket er trukket tilbage. Der deles ingen oplysninger."
        basis = (
            f"Samtykke givet den {DANISH.long_date(consent.given_on)} af "
            f"{consent.guardian.name}. Formål: {consent.purpose}\n"
            f"Samtykket omfatter {_kinds(consent)}."
        )
        parts = []
        if "wellbeing" in consent.information_kinds and wellbeing:
            parts.append(wellbeing)
        if "action_plan" in consent.information_kinds:
            plan = action_paths.plan_for(pt.meeting.path)
            if plan and plan.goals:
                parts.append(f"Mål i handleplanen: {plan.goals}")
        return ("\n\n".join(parts) or None), basis
    return wellbeing, f"Hjemmel: {pt.legal_basis}"


def _recipient(
    pt: MeetingParticipant, lh: Letterhead, today: date
) -> GuardianRecipient | ProfessionalRecipient:
    if pt.kind == ParticipantKind.GUARDIAN and pt.guardian is not None:
        return guardian_recipient(pt.guardian)
    summary, basis = concern_summary(pt, lh, today)
    return ProfessionalRecipient(
        name=pt.name,
        profession=profession_label(pt.profession, "da"),
        organisation=pt.organisation,
        concern_summary=summary,
        basis=basis,
    )


def meeting_letter(pt: MeetingParticipant, lh: Letterhead, today: date) -> Letter:
    """(MeetingInfo, ChildInfo, recipient) for one guardian or external professional."""
    child = child_info(pt.meeting.path.child, today)
    return meeting_info(pt.meeting), child, _recipient(pt, lh, today)


def meeting_letters(
    meeting: Meeting, lh: Letterhead, today: date, only: list[int] | None = None
) -> list[Letter]:
    """A letter's data for each guardian and external professional (colleagues get none);
    with `only`, for those participants only (the ones the policy lets the reader have)."""
    info = meeting_info(meeting)
    child = child_info(meeting.path.child, today)
    return [
        (info, child, _recipient(pt, lh, today))
        for pt in meeting.participants
        if pt.kind in (ParticipantKind.GUARDIAN, ParticipantKind.EXTERNAL)
        and (only is None or pt.id in only)
    ]


_PATH = (
    sa.select(ActionPath)
    .where(ActionPath.id == sa.bindparam("path_id"))
    .options(
        # The tovholder's name only: not their roles or institutions.
        joinedload(ActionPath.coordinator).lazyload("*"),
        joinedload(ActionPath.child)
        .joinedload(Child.memberships)
        .joinedload(GroupMembership.group)
        .joinedload(Group.institution),
        joinedload(ActionPath.child)
        .joinedload(Child.guardian_links)
        .joinedload(ChildGuardian.guardian),
    )
)
# The path's plan with its actions and offers (as `paths.services.plan_for`), in one query.
_PLAN = (
    sa.select(ActionPlan)
    .where(ActionPlan.path_id == sa.bindparam("path_id"))
    .options(joinedload(ActionPlan.items), joinedload(ActionPlan.offers))
)


def load_path(path_id: int) -> ActionPath | None:
    """An action path with everything its plan document shows, in few queries."""
    return db.session.scalars(_PATH, {"path_id": path_id}).unique().one_or_none()


_LEADER_NAME = (
    sa.select(User.name)
    .join(UserRole, UserRole.user_id == User.id)
    .join(user_institution, user_institution.c.user_id == User.id)
    .where(
        UserRole.role == Role.LEADER,
        user_institution.c.institution_id == sa.bindparam("institution_id"),
        User.active.is_(True),
    )
    .order_by(User.name)
    .limit(1)
)
_FOLLOW_UPS = (
    sa.select(FollowUp.held_on, FollowUp.progress, FollowUp.note, FollowUp.next_step)
    .where(FollowUp.path_id == sa.bindparam("path_id"))
    .order_by(FollowUp.held_on, FollowUp.id)
)
_PLAN_PARTICIPANTS = (
    sa.select(MeetingParticipant)
    .join(Meeting, Meeting.id == MeetingParticipant.meeting_id)
    .where(Meeting.path_id == sa.bindparam("path_id"))
    .order_by(Meeting.starts_at, MeetingParticipant.id)
    .options(
        # Staff participants' roles in the same statement; their institutions not at all.
        joinedload(MeetingParticipant.user).options(
            lazyload(User.institutions), joinedload(User.role_rows)
        )
    )
)


def _leader_name(institution_id: int) -> str | None:
    return db.session.scalar(_LEADER_NAME, {"institution_id": institution_id})


def plan_data(path: ActionPath, today: date) -> ActionPlanData:
    plan = db.session.scalars(_PLAN, {"path_id": path.id}).unique().one_or_none()
    child = path.child
    suggestion = db.session.scalar(_LATEST_SUGGESTION, {"child_id": child.id})
    follow_ups = db.session.execute(_FOLLOW_UPS, {"path_id": path.id}).all()
    rows = db.session.scalars(_PLAN_PARTICIPANTS, {"path_id": path.id}).unique().all()
    participants: dict[str, Person] = {}
    for pt in rows:
        participants.setdefault(pt.name, _person(pt, with_basis=False))
    group = child.current_group
    leader = (_leader_name(group.institution_id) if group else None) or path.coordinator.name
    return ActionPlanData(
        child=child_info(child, today),
        position=path.position.value,
        reasons=_suggested_reasons(suggestion),
        resources=plan.resources if plan else "",
        concerns=plan.concerns if plan else "",
        goals=plan.goals if plan else "",
        parents_perspective=plan.parents_perspective if plan else "",
        child_perspective=plan.child_perspective if plan else "",
        actions=tuple(PlanAction(i.what, i.who, i.by_when) for i in plan.items) if plan else (),
        offers=tuple(PlanOffer(o.name, o.staircase_step, o.description) for o in plan.offers)
        if plan
        else (),
        follow_ups=tuple(
            PlanFollowUp(held_on, PROGRESS[progress.value], note, next_step)
            for held_on, progress, note, next_step in follow_ups
        ),
        evaluation_on=plan.evaluation_on if plan else None,
        participants=tuple(participants.values()),
        leader_name=leader,
        guardian_names=tuple(gl.guardian.name for gl in child.guardian_links if gl.has_custody),
    )


def round_plans(round_: ScreeningRound, institution: Institution) -> list[ActionPath]:
    """Open paths of children currently in the institution whose position was agreed in
    this round, by child name."""
    return list(
        db.session.scalars(
            sa.select(ActionPath)
            .join(JointAssessment, JointAssessment.child_id == ActionPath.child_id)
            .join(
                GroupMembership,
                sa.and_(
                    GroupMembership.child_id == ActionPath.child_id,
                    GroupMembership.end_date.is_(None),
                ),
            )
            .join(Group, Group.id == GroupMembership.group_id)
            .join(Child, Child.id == ActionPath.child_id)
            .where(
                JointAssessment.round_id == round_.id,
                Group.institution_id == institution.id,
                ActionPath.status == PathStatus.OPEN,
            )
            .order_by(Child.first_name, Child.last_name, ActionPath.id)
        )
    )


def _group_row(
    name: str, gp_list: list[GroupProgress], today: date
) -> tuple[GroupRow, list[ChildProgress], list[ActionPath]]:
    children = [c for gp in gp_list for c in gp.eligible]
    ids = [c.child.id for c in children]
    by_position = {"green": 0, "yellow": 0, "red": 0}
    for c in children:
        if c.joint is not None:
            by_position[c.joint.agreed_position.value] += 1
    paths = (
        db.session.scalars(
            sa.select(ActionPath).where(
                ActionPath.child_id.in_(ids), ActionPath.status == PathStatus.OPEN
            )
        ).all()
        if ids
        else []
    )
    overdue = (
        db.session.scalar(
            sa.select(sa.func.count(ActionStep.id)).where(
                ActionStep.path_id.in_([p.id for p in paths]),
                ActionStep.done_on.is_(None),
                ActionStep.due_on < today,
            )
        )
        if paths
        else 0
    )
    row = GroupRow(
        group=name,
        children=len(children),
        by_position=by_position,
        assessed=sum(1 for c in children if c.submitted),
        missing=sum(1 for c in children if not c.submitted),
        open_paths=len(paths),
        overdue_steps=overdue or 0,
    )
    return row, children, list(paths)


def round_overview_data(
    round_: ScreeningRound, institution: Institution, today: date
) -> RoundOverviewData:
    groups = [g for g in institution.groups if g.active]
    rows = []
    needing: list[ChildNeedingAction] = []
    for gp in group_progress(round_, groups):
        row, children, paths = _group_row(gp.group.name, [gp], today)
        rows.append(row)
        by_child = {p.child_id: p for p in paths}
        for c in children:
            path = by_child.get(c.child.id)
            overdue = sum(1 for s in path.steps if s.overdue(today)) if path else 0
            # The position column shows this round's agreed position only (an earlier
            # round's position is not this round's).
            this_round = c.joint.agreed_position.value if c.joint is not None else None
            if overdue and path is not None:
                needing.append(
                    ChildNeedingAction(
                        c.child.full_name, gp.group.name, this_round, "", overdue_steps=overdue
                    )
                )
            elif c.submitted and c.joint is None:
                needing.append(
                    ChildNeedingAction(
                        c.child.full_name, gp.group.name, None, "Mangler fælles vurdering"
                    )
                )
            elif (
                c.joint is not None
                and c.joint.position_changed
                and (c.joint.parents_informed_on is None)
            ):
                needing.append(
                    ChildNeedingAction(
                        c.child.full_name,
                        gp.group.name,
                        c.joint.agreed_position.value,
                        "Forældrene er ikke orienteret om ny position",
                    )
                )
    return RoundOverviewData(round_.name, institution.name, tuple(rows), tuple(needing))


def progress_hidden(assessed: int, children: int, threshold: int) -> frozenset[str]:
    """Which of a row's "children", "assessed" and "missing" must be hidden although not
    small. Children = assessed + missing, so the three are protected as one row with its
    total: a small "missing" cannot then be worked out as children - assessed. (The other
    columns are tied to each other by no sum, so hiding the small ones is enough.)"""
    protected = protect(Table.of([[assessed, children - assessed]], column_totals=False), threshold)
    names = {(0, 0): "assessed", (0, 1): "missing", (0, 2): "children"}
    return frozenset(names[c] for c in protected.complementary)


def municipal_overview_data(round_: ScreeningRound, today: date) -> MunicipalOverviewData:
    """One row per institution, counted by the database: five queries whatever the number
    of institutions and children (the per-child `group_progress` took thousands)."""
    institutions = list(round_.institutions)
    groups = list(
        db.session.scalars(
            sa.select(Group).where(
                Group.institution_id.in_([i.id for i in institutions]), Group.active
            )
        )
    )
    per_inst: dict[int, list[GroupCounts]] = {i.id: [] for i in institutions}
    for gc in round_group_counts(round_, groups):
        per_inst[gc.group.institution_id].append(gc)
    members = round_members(round_, groups)
    paths: dict[int, int] = {}
    for inst_id, n in db.session.execute(
        sa.select(Group.institution_id, sa.func.count(ActionPath.id))
        .select_from(members)
        .join(Group, Group.id == members.c.group_id)
        .join(ActionPath, ActionPath.child_id == members.c.child_id)
        .where(ActionPath.status == PathStatus.OPEN)
        .group_by(Group.institution_id)
    ):
        paths[inst_id] = n
    overdue: dict[int, int] = {}
    for inst_id, n in db.session.execute(
        sa.select(Group.institution_id, sa.func.count(ActionStep.id))
        .select_from(members)
        .join(Group, Group.id == members.c.group_id)
        .join(ActionPath, ActionPath.child_id == members.c.child_id)
        .join(ActionStep, ActionStep.path_id == ActionPath.id)
        .where(
            ActionPath.status == PathStatus.OPEN,
            ActionStep.done_on.is_(None),
            ActionStep.due_on < today,
        )
        .group_by(Group.institution_id)
    ):
        overdue[inst_id] = n
    threshold = valid_threshold(
        db.session.scalar(sa.select(Municipality.suppression_threshold).limit(1))
        or DEFAULT_THRESHOLD
    )
    rows = []
    for inst in institutions:
        gcs = per_inst[inst.id]
        children = sum(g.children for g in gcs)
        assessed = sum(g.with_individual for g in gcs)
        rows.append(
            GroupRow(
                group=inst.name,
                children=children,
                by_position={
                    k: sum(g.by_position.get(k, 0) for g in gcs) for k in ("green", "yellow", "red")
                },
                assessed=assessed,
                missing=children - assessed,
                open_paths=paths.get(inst.id, 0),
                overdue_steps=overdue.get(inst.id, 0),
                hidden=progress_hidden(assessed, children, threshold),
            )
        )
    return MunicipalOverviewData(round_.name, tuple(rows), suppress_below=threshold)


# The audit trail's actions as what a parent reads: "Lise Leder (leder, ...) <phrase>."
ACCESS_PHRASES = {
    "child.view": "åbnede barnets side",
    "child.timeline": "så barnets tidslinje",
    "assessment.open": "åbnede en trivselsvurdering",
    "assessment.view": "så en trivselsvurdering",
    "assessment.save_draft": "gemte en kladde til en trivselsvurdering",
    "assessment.submit": "indsendte en trivselsvurdering",
    "joint.open": "åbnede den fælles vurdering",
    "joint.record": "registrerede den fælles vurdering",
    "joint.parents_informed": "registrerede, at forældrene er orienteret om den fælles vurdering",
    "observation.add": "tilføjede en observation",
    "path.view": "så handlevejen",
    "path.step_done": "registrerede et trin i handlevejen som udført",
    "path.notify_open": "åbnede vurderingen af underretningspligten",
    "path.notify_decision": "registrerede vurderingen af underretningspligten",
    "path.follow_up": "registrerede en opfølgning",
    "path.coordinator": "skiftede tovholder for handlevejen",
    "path.close": "afsluttede handlevejen",
    "plan.view": "åbnede handleplanen",
    "plan.save": "gemte handleplanen",
    "meeting.create": "oprettede et møde",
    "meeting.view": "så et møde",
    "meeting.invite": "inviterede en deltager til et møde",
    "meeting.minutes": "skrev referat af et møde",
    "consent.list": "så samtykkerne",
    "consent.record": "registrerede et samtykke",
    "consent.withdraw": "registrerede, at et samtykke er trukket tilbage",
    "pdf.batch_start": "bestilte en samlet PDF",
    "offline_pack.download": "hentede barnets navn og stue til brug på en enhed uden forbindelse",
    "sync.conflict": "sendte en vurdering eller observation, der ikke passede med den gemte",
    "sync.conflict.view": "så en vurdering eller observation, der ikke passede med den gemte",
    "sync.conflict.resolve": "valgte, hvilken udgave af en vurdering eller observation der gælder",
}
DOCUMENT_PHRASES = {
    "invitation": "hentede en mødeinvitation (PDF)",
    "action_plan": "hentede handleplanen (PDF)",
    "parents_copy": "hentede en udskrift af oplysningerne om barnet (PDF)",
    "meeting_invitations": "hentede invitationerne til et møde (PDF)",
    "round_plans": "hentede handleplanerne for en vurderingsrunde (PDF)",
}
SOME_ACCESS = "så eller ændrede oplysninger om barnet"
NOTIFY_DECISIONS = {"notify": "Der skal underrettes.", "no_notify": "Der skal ikke underrettes nu."}
VULNERABILITY = {
    "not": "Ikke i en udsat position",
    "potentially": "Potentielt i en udsat position",
    "clearly": "I en udsat position",
}


def _access_phrase(e: AuditEvent) -> str:
    if e.action == "pdf.download":
        return DOCUMENT_PHRASES.get(str((e.details or {}).get("document")), "hentede en PDF")
    return ACCESS_PHRASES.get(e.action, SOME_ACCESS)


def _who(user: User | None) -> str:
    """ "Lise Leder (leder, Børnehuset Mælkebøtten)"; the system when no user acted."""
    if user is None:
        return "Systemet"
    where = ", ".join(sorted(i.name for i in user.institutions))
    role = _role_label(user).lower()
    inner = ", ".join(x for x in (role, where) if x)
    return f"{user.name} ({inner})" if inner else user.name


def _long(d: date | None) -> str:
    return DANISH.long_date(d) if d else "–"


def _sentences(*parts: str) -> str:
    return "\n".join(x for x in parts if x and x.strip())


def _assessment_text(a: Assessment, lh: Letterhead) -> str:
    """Who, the suggestion, the statements ticked and ratings given, and the texts."""
    instrument = compiled_instrument(a.instrument)
    ticked, rated, typed = [], [], []
    for item in instrument.items:
        value = (a.answers or {}).get(item.key)
        if value in (None, False, ""):
            continue
        if item.kind == "indicator":
            ticked.append(f"»{item.text.da}«")
        elif item.kind == "rated" and item.scale is not None and isinstance(value, int):
            label = item.scale.labels.get(value)
            rated.append(f"{item.text.da}: {value}" + (f" ({label.da})" if label else ""))
        else:
            typed.append(f"{item.text.da}: {value}")
    role = _role_label(a.assessor).lower()
    who = f"Vurderet af {a.assessor.name}" + (f" ({role})" if role else "") + "."
    suggested = (
        f"Forslag til position: {lh.label(a.suggested_position.value)}."
        if a.suggested_position
        else ""
    )
    vulnerable = (
        f"Udsat position: {VULNERABILITY.get(a.vulnerability.value, '–')}."
        if a.vulnerability
        else ""
    )
    return _sentences(
        f"{who} {suggested}".strip(),
        ("Udsagn, der er sat kryds ved: " + "; ".join(ticked) + ".") if ticked else "",
        ("Bedømmelser: " + "; ".join(rated) + ".") if rated else "",
        *typed,
        vulnerable,
        f"Ressourcer: {a.resources}" if a.resources.strip() else "",
        f"Bekymringer: {a.concerns}" if a.concerns.strip() else "",
        f"Begrundelse: {a.justification}" if a.justification.strip() else "",
    )


def _joint_text(j: JointAssessment, lh: Letterhead) -> str:
    informed = (
        f"Forældrene er orienteret den {_long(j.parents_informed_on)}."
        if j.parents_informed_on
        else ""
    )
    changed = (
        f"Forslaget var {lh.label(j.suggested_position.value)}. Den aftalte position afviger "
        f"fra forslaget. Årsag: {j.override_reason}"
        if j.agreed_position != j.suggested_position
        else ""
    )
    return _sentences(
        f"Fælles vurdering den {_long(j.decided_at.astimezone(LOCAL_TZ).date())} "
        f"ved {j.decided_by.name}.",
        f"Begrundelse: {j.justification}" if j.justification.strip() else "",
        changed,
        informed,
    )


def _path_entries(path: ActionPath, lh: Letterhead, with_follow_ups: bool) -> list[TimelineEntry]:
    status = (
        f"Afsluttet den {_long(path.closed_on)}." if path.status == PathStatus.CLOSED else "Åben."
    )
    out = [
        TimelineEntry(
            path.opened_on,
            "Handlevej",
            _sentences(
                f"Handlevejen blev åbnet den {_long(path.opened_on)}. "
                f"Position: {lh.label(path.position.value)}. {status}",
                f"Tovholder: {path.coordinator.name}.",
                f"Note ved afslutning: {path.close_note}" if path.close_note.strip() else "",
            ),
        )
    ]
    decisions = {
        d.step_id: d
        for d in db.session.scalars(
            sa.select(NotifyDecision).where(NotifyDecision.path_id == path.id)
        )
    }
    for step in path.steps:
        done = (
            f"Udført den {_long(step.done_on)}"
            + (f" af {step.done_by.name}" if step.done_by else "")
            + "."
            if step.done_on
            else "Ikke udført endnu."
        )
        role = ROLE_NAMES.get(step.responsible_role, step.responsible_role).lower()
        out.append(
            TimelineEntry(
                step.due_on,
                step.title_da,
                _sentences(
                    f"Ansvarlig: {role}. Frist: {_long(step.due_on)}. "
                    + ("Skal udføres." if step.required else "Valgfrit."),
                    done,
                    f"Note: {step.note}" if step.note.strip() else "",
                ),
            )
        )
        d = decisions.get(step.id)
        if d is not None:
            sent = (
                f"Underretningen er sendt den {_long(d.sent_on)}"
                + (f" af {d.sent_by.name}" if d.sent_by else "")
                + "."
                if d.sent_on
                else ""
            )
            out.append(
                TimelineEntry(
                    d.decided_on,
                    "Vurdering af underretningspligt",
                    _sentences(
                        f"{NOTIFY_DECISIONS[d.decision.value]} Vurderet af {d.decided_by.name}.",
                        f"Begrundelse: {d.reasoning}" if d.reasoning.strip() else "",
                        sent,
                    ),
                )
            )
    if with_follow_ups:
        for f in db.session.scalars(
            sa.select(FollowUp).where(FollowUp.path_id == path.id).order_by(FollowUp.held_on)
        ):
            out.append(
                TimelineEntry(
                    f.held_on,
                    "Opfølgning",
                    _sentences(
                        f"Udvikling: {PROGRESS[f.progress.value]}. Ved {f.by.name}.",
                        f"Hvad har vi set? {f.note}" if f.note.strip() else "",
                        f"Næste skridt: {f.next_step}" if f.next_step.strip() else "",
                    ),
                )
            )
    return out


def _meeting_text(m: Meeting) -> str:
    people = "; ".join(
        ", ".join(x for x in (pt.name, _person(pt).role.lower(), pt.organisation) if x)
        for pt in m.participants
    )
    when = DANISH.when(m.starts_at.astimezone(LOCAL_TZ))
    return _sentences(
        f"{when[:1].upper()}{when[1:]}. Sted: {m.place}",
        f"Formål: {m.purpose}" if m.purpose.strip() else "",
        f"Deltagere: {people}." if people else "",
        f"Referat: {m.minutes}" if m.minutes.strip() else "",
        f"Beslutninger: {m.decisions}" if m.decisions.strip() else "",
    )


def _consent_text(c: Consent) -> str:
    recipients = ", ".join(profession_label(r, "da").lower() for r in c.recipients)
    return _sentences(
        f"Givet af {c.guardian.name} den {_long(c.given_on)}.",
        f"Modtagere: {recipients}." if recipients else "",
        f"Oplysninger: {_kinds(c)}.",
        f"Formål: {c.purpose}",
        f"Trukket tilbage den {_long(c.withdrawn_on)}." if c.withdrawn_on else "",
    )


def parents_copy_data(
    child: Child, requested_by: Guardian, today: date, lh: Letterhead | None = None
) -> ParentsCopyData:
    """Everything stored about the child, in words, for the guardian who asked: every
    submitted assessment, the joint assessments (with any override and its reason),
    observations by source, the action path with every step and the duty-to-notify
    assessment, plans, meetings with participants and minutes, consents given and
    withdrawn, and the access log. Only the requesting guardian's own address is given;
    other guardians by name only (their details are their data)."""
    lh = lh or letterhead(today)
    data = ParentsCopyData(child=child_info(child, today), requested_by=requested_by.name)
    data.guardians = [
        guardian_recipient(gl.guardian)
        if gl.guardian_id == requested_by.id
        else GuardianRecipient(name=gl.guardian.name, address=None, protected=False)
        for gl in child.guardian_links
    ]
    group = child.current_group
    leader = _leader_name(group.institution_id) if group else None
    data.contact_name = f"{leader} (leder, {group.institution.name})" if leader and group else ""
    joints = db.session.scalars(
        sa.select(JointAssessment)
        .join(ScreeningRound)
        .where(JointAssessment.child_id == child.id)
        .order_by(ScreeningRound.reference_date)
    ).all()
    data.positions = [(j.round.name, j.agreed_position.value, _joint_text(j, lh)) for j in joints]
    for a in db.session.scalars(
        sa.select(Assessment)
        .where(Assessment.child_id == child.id, Assessment.status == AssessmentStatus.SUBMITTED)
        .order_by(Assessment.submitted_at)
    ):
        submitted = (a.submitted_at or a.updated_at).astimezone(LOCAL_TZ).date()
        data.assessments.append(
            TimelineEntry(submitted, f"Trivselsvurdering, {a.round.name}", _assessment_text(a, lh))
        )
    catalogue = load_observation_categories()
    for o in db.session.scalars(
        sa.select(ChildObservation)
        .where(ChildObservation.child_id == child.id)
        .order_by(ChildObservation.source, ChildObservation.observed_on)
    ):
        source = catalogue.sources[o.source.value]
        cat = catalogue.category(o.source.value, o.category).title.da
        level = catalogue.levels.get(o.level)
        degree = f"{o.level} – {level.da[:1].lower()}{level.da[1:]}" if level else str(o.level)
        data.observations.append(
            TimelineEntry(
                o.observed_on,
                f"{source.title.da}: {cat}",
                _sentences(f"Grad af bekymring: {degree}.", o.note),
            )
        )
    paths = db.session.scalars(
        sa.select(ActionPath).where(ActionPath.child_id == child.id).order_by(ActionPath.opened_on)
    ).all()
    for path in paths:
        has_plan = action_paths.plan_for(path) is not None
        if has_plan:
            data.plans.append(plan_data(path, today))
        data.action_path += _path_entries(path, lh, with_follow_ups=not has_plan)
        for m in db.session.scalars(
            sa.select(Meeting).where(Meeting.path_id == path.id).order_by(Meeting.starts_at)
        ):
            data.meetings.append(
                TimelineEntry(
                    m.starts_at.astimezone(LOCAL_TZ).date(),
                    MEETING_KINDS[m.kind.value],
                    _meeting_text(m),
                )
            )
    for c in db.session.scalars(
        sa.select(Consent).where(Consent.child_id == child.id).order_by(Consent.given_on)
    ):
        kind = "Samtykke (trukket tilbage)" if c.withdrawn_on else "Samtykke"
        data.consents.append(TimelineEntry(c.given_on, kind, _consent_text(c)))
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.child_id == child.id, AuditEvent.outcome == Outcome.OK)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    ids = {e.user_id for e in events if e.user_id is not None}
    users = (
        {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
        if ids
        else {}
    )
    for e in events:
        user = users.get(e.user_id) if e.user_id is not None else None
        data.access_log.append((e.occurred_at.astimezone(LOCAL_TZ), _who(user), _access_phrase(e)))
    return data
