"""Builds the plain data the PDF builders in `reports/` take, from the database.

The rule for protected addresses (navne- og adressebeskyttelse) lives here, once: a
protected address is never handed to any builder, so it can appear on no document.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from reports.base import Letterhead
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
from screening.accounts.models import Role, User, UserRole, user_institution
from screening.assessments.models import (
    Assessment,
    AssessmentStatus,
    ChildObservation,
    JointAssessment,
)
from screening.assessments.services import ChildProgress, GroupProgress, group_progress
from screening.children.models import Child, ChildGuardian, GroupMembership, Guardian
from screening.classifier import load_observation_categories, profession_label
from screening.core.extensions import db
from screening.core.i18n import lang
from screening.core.models import AuditEvent, Outcome
from screening.core.time import LOCAL_TZ
from screening.org.models import Group, Institution, Municipality
from screening.paths import services as action_paths
from screening.paths.models import (
    ActionPath,
    ActionStep,
    Consent,
    FollowUp,
    Meeting,
    MeetingParticipant,
    ParticipantKind,
    PathStatus,
)
from screening.rounds.models import ScreeningRound

# A letter's data: the meeting, the child and the one recipient.
Letter = tuple[MeetingInfo, ChildInfo, GuardianRecipient | ProfessionalRecipient]

MEETING_KINDS = {
    "parent_talk": "Samtale med forældrene",
    "cross_disciplinary": "Tværfagligt møde",
    "network": "Netværksmøde",
}
PROGRESS = {"better": "Bedre", "unchanged": "Uændret", "worse": "Dårligere"}

# The audit trail's actions as a parent reads them in the parents' copy (never the codes).
ACCESS_WORDS = {
    "child.view": "Så barnets side",
    "child.timeline": "Så barnets forløb",
    "assessment.open": "Åbnede en vurdering",
    "assessment.edit": "Ændrede en vurdering",
    "assessment.submit": "Indsendte en vurdering",
    "assessment.view": "Så en vurdering",
    "joint.open": "Så den fælles vurdering",
    "joint.record": "Registrerede den fælles vurdering",
    "joint.parents_informed": "Registrerede, at forældrene er orienteret",
    "observation.add": "Skrev en observation",
    "path.open": "Åbnede handlevejen",
    "path.escalate": "Ændrede handlevejen til rød",
    "path.keep": "Så handlevejen",
    "path.prepare_close": "Gjorde handlevejen klar til at blive afsluttet",
    "path.view": "Så handlevejen",
    "path.step_done": "Markerede et trin i handlevejen som udført",
    "path.coordinator": "Ændrede tovholder eller niveau",
    "path.follow_up": "Registrerede en opfølgning",
    "path.notify_open": "Så vurderingen af underretningspligten",
    "path.notify_decision": "Registrerede vurderingen af underretningspligten",
    "path.close": "Afsluttede handlevejen",
    "plan.view": "Så handleplanen",
    "plan.save": "Gemte handleplanen",
    "meeting.create": "Oprettede et møde",
    "meeting.view": "Så et møde",
    "meeting.invite": "Inviterede en deltager til et møde",
    "meeting.invite_external": "Inviterede en fagperson til et møde",
    "meeting.minutes": "Skrev referat af et møde",
    "consent.list": "Så samtykkerne",
    "consent.record": "Registrerede et samtykke",
    "consent.withdraw": "Registrerede, at et samtykke er trukket tilbage",
    "pdf.download": "Hentede et dokument",
    "pdf.batch_start": "Bestilte dokumenter",
    "offline_pack.download": "Hentede oplysningerne til en enhed uden forbindelse",
    "sync.conflict": "Sendte oplysninger fra en enhed uden forbindelse",
    "sync.conflict.view": "Så oplysninger sendt fra en enhed uden forbindelse",
    "sync.conflict.resolve": "Valgte, hvilke oplysninger fra en enhed der skal gælde",
}
ACCESS_OTHER = "Så eller ændrede oplysningerne"


def access_words(action: str) -> str:
    """An audit action in plain Danish, for a parent."""
    return ACCESS_WORDS.get(action, ACCESS_OTHER)
ROLE_NAMES = {
    "educator": "Pædagog",
    "leader": "Leder",
    "health_visitor": "Sundhedsplejerske",
    "dental": "Tandplejen",
    "coordinator": "Koordinator",
    "ppr": "PPR",
    "social_worker": "Socialrådgiver",
    "admin": "Administrator",
}


def letterhead(today: date, logo_path: str | None = None) -> Letterhead:
    muni = db.session.scalar(sa.select(Municipality).limit(1))
    if muni is None:
        return Letterhead("Trivselsspor", today, logo_path)
    return Letterhead(
        muni.name,
        today,
        logo_path,
        {"green": muni.label_green, "yellow": muni.label_yellow, "red": muni.label_red},
    )


def age_text(months: int) -> str:
    """ "1 md.", "14 mdr." under a year ... "4 år og 1 md.", "4 år og 2 mdr.", "3 år" (never
    "og 0 mdr."): "mdr." is plural only."""
    years, rest = divmod(max(months, 0), 12)
    unit = "md." if rest == 1 else "mdr."
    if years == 0:
        return f"{rest} {unit}"
    return f"{years} år og {rest} {unit}" if rest else f"{years} år"


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


def _person(pt: MeetingParticipant) -> Person:
    if pt.kind == ParticipantKind.GUARDIAN:
        return Person(pt.name, "Forælder")
    if pt.kind == ParticipantKind.STAFF and pt.user is not None:
        roles = sorted(pt.user.roles)
        role = ROLE_NAMES.get(roles[0].value, "") if roles else ""
        return Person(pt.name, role)
    return Person(pt.name, profession_label(pt.profession, lang()), pt.organisation)


def meeting_info(meeting: Meeting) -> MeetingInfo:
    path = meeting.path
    group = path.child.current_group
    return MeetingInfo(
        kind=MEETING_KINDS[meeting.kind.value],
        starts_at=meeting.starts_at.astimezone(LOCAL_TZ),
        place=meeting.place,
        purpose=meeting.purpose,
        agenda=meeting.agenda,
        participants=tuple(_person(pt) for pt in meeting.participants),
        contact_name=path.coordinator.name,
        contact_institution=group.institution.name if group else "",
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
    if joint is None:
        return ()
    return tuple(r.get("text_da", "") for r in (joint.suggestion or {}).get("reasons", []))


def concern_summary(pt: MeetingParticipant, lh: Letterhead, today: date) -> tuple[str | None, str]:
    """What a professional may be told, and on which basis. With a consent, only the kinds
    of information it names; with a legal basis (e.g. a notification), the position and
    its reasons."""
    child_id = pt.meeting.path.child_id
    joint = _latest_joint(child_id)
    position = lh.label(joint.agreed_position.value) if joint else None
    wellbeing = f"Aftalt position: {position}. " + " ".join(_reasons(joint)) if joint else None
    if pt.consent_id is not None:
        consent = db.session.get_one(Consent, pt.consent_id)
        if not consent.covers(pt.profession, today):
            return None, "Samtykket er trukket tilbage; der deles ingen oplysninger."
        basis = (
            f"Samtykke givet {consent.given_on:%d-%m-%Y} af {consent.guardian.name} "
            f"til: {consent.purpose}"
        )
        parts = []
        if "wellbeing" in consent.information_kinds and wellbeing:
            parts.append(wellbeing)
        if "action_plan" in consent.information_kinds:
            plan = action_paths.plan_for(pt.meeting.path)
            if plan and plan.goals:
                parts.append(f"Mål i handleplanen: {plan.goals}")
        return (" ".join(parts) or None), basis
    return wellbeing, f"Hjemmel: {pt.legal_basis}"


def _recipient(
    pt: MeetingParticipant, lh: Letterhead, today: date
) -> GuardianRecipient | ProfessionalRecipient:
    if pt.kind == ParticipantKind.GUARDIAN and pt.guardian is not None:
        return guardian_recipient(pt.guardian)
    summary, basis = concern_summary(pt, lh, today)
    return ProfessionalRecipient(
        name=pt.name,
        profession=profession_label(pt.profession, lang()),
        organisation=pt.organisation,
        concern_summary=summary,
        basis=basis,
    )


def meeting_letter(pt: MeetingParticipant, lh: Letterhead, today: date) -> Letter:
    """(MeetingInfo, ChildInfo, recipient) for one guardian or external professional."""
    child = child_info(pt.meeting.path.child, today)
    return meeting_info(pt.meeting), child, _recipient(pt, lh, today)


def meeting_letters(meeting: Meeting, lh: Letterhead, today: date) -> list[Letter]:
    """A letter's data for each guardian and external professional (colleagues get none)."""
    info = meeting_info(meeting)
    child = child_info(meeting.path.child, today)
    return [
        (info, child, _recipient(pt, lh, today))
        for pt in meeting.participants
        if pt.kind in (ParticipantKind.GUARDIAN, ParticipantKind.EXTERNAL)
    ]


def load_path(path_id: int) -> ActionPath | None:
    """An action path with everything its plan document shows, in few queries."""
    return (
        db.session.scalars(
            sa.select(ActionPath)
            .where(ActionPath.id == path_id)
            .options(
                joinedload(ActionPath.coordinator),
                joinedload(ActionPath.child)
                .joinedload(Child.memberships)
                .joinedload(GroupMembership.group)
                .joinedload(Group.institution),
                joinedload(ActionPath.child)
                .joinedload(Child.guardian_links)
                .joinedload(ChildGuardian.guardian),
            )
        )
        .unique()
        .one_or_none()
    )


def _leader_name(institution_id: int) -> str | None:
    return db.session.scalar(
        sa.select(User.name)
        .join(UserRole, UserRole.user_id == User.id)
        .join(user_institution, user_institution.c.user_id == User.id)
        .where(
            UserRole.role == Role.LEADER,
            user_institution.c.institution_id == institution_id,
            User.active.is_(True),
        )
        .order_by(User.name)
        .limit(1)
    )


def plan_data(path: ActionPath, today: date) -> ActionPlanData:
    plan = action_paths.plan_for(path)
    child = path.child
    joint = _latest_joint(child.id)
    follow_ups = db.session.scalars(
        sa.select(FollowUp).where(FollowUp.path_id == path.id).order_by(FollowUp.held_on)
    ).all()
    rows = db.session.scalars(
        sa.select(MeetingParticipant)
        .join(Meeting, Meeting.id == MeetingParticipant.meeting_id)
        .where(Meeting.path_id == path.id)
        .order_by(Meeting.starts_at, MeetingParticipant.id)
        .options(joinedload(MeetingParticipant.user).lazyload(User.institutions))
    ).all()
    participants: dict[str, Person] = {}
    for pt in rows:
        participants.setdefault(pt.name, _person(pt))
    group = child.current_group
    leader = (_leader_name(group.institution_id) if group else None) or path.coordinator.name
    return ActionPlanData(
        child=child_info(child, today),
        position=path.position.value,
        reasons=_reasons(joint),
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
            PlanFollowUp(f.held_on, PROGRESS[f.progress.value], f.note, f.next_step)
            for f in follow_ups
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
            if overdue and path is not None:
                needing.append(
                    ChildNeedingAction(
                        c.child.full_name,
                        gp.group.name,
                        path.position.value,
                        f"{overdue} overskredne trin",
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
                        "Forældrene er ikke orienteret om den nye position",
                    )
                )
    return RoundOverviewData(round_.name, institution.name, tuple(rows), tuple(needing))


def municipal_overview_data(round_: ScreeningRound, today: date) -> MunicipalOverviewData:
    rows = []
    for inst in round_.institutions:
        gps = group_progress(round_, [g for g in inst.groups if g.active])
        row, _children, _paths = _group_row(inst.name, gps, today)
        rows.append(row)
    return MunicipalOverviewData(round_.name, tuple(rows))


def parents_copy_data(child: Child, requested_by: Guardian, today: date) -> ParentsCopyData:
    data = ParentsCopyData(child=child_info(child, today), requested_by=requested_by.name)
    data.guardians = [guardian_recipient(gl.guardian) for gl in child.guardian_links]
    joints = db.session.scalars(
        sa.select(JointAssessment)
        .join(ScreeningRound)
        .where(JointAssessment.child_id == child.id)
        .order_by(ScreeningRound.reference_date)
    ).all()
    data.positions = [(j.round.name, j.agreed_position.value, j.justification) for j in joints]
    muni = db.session.scalar(sa.select(Municipality).limit(1))
    labels = {"green": "Trivsel", "yellow": "Bekymring", "red": "Stor bekymring"}
    if muni is not None:
        labels = {pos: muni.label_for(pos) for pos in labels}
    for a in db.session.scalars(
        sa.select(Assessment)
        .where(Assessment.child_id == child.id, Assessment.status == AssessmentStatus.SUBMITTED)
        .order_by(Assessment.submitted_at)
    ):
        parts = [f"Vurderet af {a.assessor.name}."]
        if a.suggested_position:
            parts.append(f"Forslag til position: {labels[a.suggested_position.value]}.")
        for title, value in (
            ("Ressourcer", a.resources),
            ("Bekymringer", a.concerns),
            ("Begrundelse", a.justification),
        ):
            if value.strip():
                parts.append(f"{title}: {value.strip()}")
        text = " ".join(parts)
        submitted = (a.submitted_at or a.updated_at).date()
        data.assessments.append(TimelineEntry(submitted, "Trivselsvurdering", text))
    catalogue = load_observation_categories()
    for o in db.session.scalars(
        sa.select(ChildObservation)
        .where(ChildObservation.child_id == child.id)
        .order_by(ChildObservation.observed_on)
    ):
        cat = catalogue.category(o.source.value, o.category).title.da
        level = catalogue.levels.get(o.level)
        degree = f"{o.level} – {level.da.lower()}" if level else str(o.level)
        data.observations.append(
            TimelineEntry(o.observed_on, cat, f"Grad af bekymring: {degree}. {o.note}".strip())
        )
    paths = db.session.scalars(sa.select(ActionPath).where(ActionPath.child_id == child.id))
    for path in paths:
        if action_paths.plan_for(path) is not None:
            data.plans.append(plan_data(path, today))
        for m in db.session.scalars(sa.select(Meeting).where(Meeting.path_id == path.id)):
            data.meetings.append(
                TimelineEntry(
                    m.starts_at.date(),
                    MEETING_KINDS[m.kind.value],
                    f"{m.place}. {m.purpose} {m.decisions}".strip(),
                )
            )
    for c in db.session.scalars(sa.select(Consent).where(Consent.child_id == child.id)):
        status = f" Trukket tilbage {c.withdrawn_on:%d-%m-%Y}." if c.withdrawn_on else ""
        recipients = ", ".join(profession_label(r, "da").lower() for r in c.recipients)
        purpose = c.purpose.strip().rstrip(".")
        data.consents.append(
            TimelineEntry(
                c.given_on,
                "Samtykke",
                f"Givet af {c.guardian.name}. Modtagere: {recipients}. Formål: {purpose}.{status}",
            )
        )
    users = {u.id: u.name for u in db.session.scalars(sa.select(User))}
    for e in db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.child_id == child.id, AuditEvent.outcome == Outcome.OK)
        .order_by(AuditEvent.occurred_at)
    ):
        data.access_log.append(
            (
                e.occurred_at.astimezone(LOCAL_TZ),
                users.get(e.user_id, "System") if e.user_id is not None else "System",
                access_words(e.action),
            )
        )
    return data
