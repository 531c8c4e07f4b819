"""Builds the plain data the PDF builders in `reports/` take, from the database.

The rule for protected addresses (navne- og adressebeskyttelse) lives here, once: a
protected address is never handed to any builder, so it can appear on no document.

The sentences made here are in the document's language (`Letterhead.language`, the
reader's UI language by default: `document_language`): Danish source strings marked for
the catalogue, and the catalogue's own texts (instruments, steps, observation categories,
professions, the classifier's reasons) in the language they carry.
"""

from __future__ import annotations

import functools
import os
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

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
from reports.i18n import DANISH, N_, Language
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
from screening.core.i18n import lang
from screening.core.models import AuditEvent, Outcome
from screening.core.time import LOCAL_TZ
from screening.figures.suppression import DEFAULT_THRESHOLD, Table, protect, valid_threshold
from screening.org.models import DEFAULT_POSITION_LABELS, Group, Institution, Municipality
from screening.paths import plans
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

# Danish source strings (N_: marked for the catalogue), translated where they are printed.
MEETING_KINDS = {
    "parent_talk": N_("Samtale med forældrene"),
    "cross_disciplinary": N_("Tværfagligt møde"),
    "network": N_("Netværksmøde"),
}
PROGRESS = {"better": N_("Bedre"), "unchanged": N_("Uændret"), "worse": N_("Dårligere")}
# What a consent covers, as words inside a sentence (the labels of forms/paths.py).
INFORMATION_KINDS = {
    "wellbeing": N_("vurderinger af barnets trivsel"),
    "observations": N_("observationer"),
    "action_plan": N_("handleplanen"),
    "health": N_("helbredsoplysninger"),
    "family": N_("familiens situation"),
}
ROLE_NAMES = {
    "educator": N_("Pædagog"),
    "leader": N_("Leder"),
    "health_visitor": N_("Sundhedsplejerske"),
    "dental": N_("Tandplejer"),
    "coordinator": N_("Koordinator"),
    "ppr": N_("PPR"),
    "social_worker": N_("Socialrådgiver"),
    "admin": N_("Administrator"),
}


class _Bilingual(Protocol):
    da: str
    en: str


def _text(label: _Bilingual, language: Language) -> str:
    """A catalogue text (instrument, observation category, level) in the language."""
    return label.en if language.code == "en" and label.en else label.da


@functools.lru_cache(maxsize=8)
def _load_language(code: str, folders: tuple[str, ...]) -> Language:
    if code == "da":
        return DANISH
    for folder in folders:
        if os.path.exists(os.path.join(folder, code, "LC_MESSAGES", "messages.mo")):
            return Language.load(code, folder)
    return Language(code)


def document_language(code: str | None = None) -> Language:
    """The language a document is printed in: `code`, else the reader's UI language, with
    the app's compiled catalogue (loaded once per language)."""
    from flask import current_app

    dirs = str(current_app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations"))
    folders = tuple(os.path.join(current_app.root_path, d) for d in dirs.split(";"))
    return _load_language(code or lang(), folders)


# Statements built once: the plan document is the hot path (`make bench-reports`), and
# building a statement and its cache key costs about as much as running it on SQLite.
_MUNICIPALITY = sa.select(
    Municipality.name, Municipality.label_green, Municipality.label_yellow, Municipality.label_red
).limit(1)


def letterhead(
    today: date, logo_path: str | None = None, language: Language = DANISH
) -> Letterhead:
    from reports.base import Letterhead  # ReportLab: loaded by the first document

    muni = db.session.execute(_MUNICIPALITY).first()
    if muni is None:
        return Letterhead("Trivselsspor", today, logo_path, language=language)
    name, green, yellow, red = muni
    labels = {
        k: language.gettext(v) if v == DEFAULT_POSITION_LABELS[k] else v
        for k, v in {"green": green, "yellow": yellow, "red": red}.items()
    }
    return Letterhead(name, today, logo_path, labels, language=language)


def age_text(months: int, language: Language = DANISH) -> str:
    """ "4 år og 2 mdr.", "4 år og 1 md.", "3 år", "7 mdr." (LANGUAGE.md)."""
    years, rest = divmod(max(months, 0), 12)
    rest_text = language.ngettext("%(num)d md.", "%(num)d mdr.", rest) % {"num": rest}
    if years == 0:
        return rest_text
    years_text = language.ngettext("%(num)d år", "%(num)d år", years) % {"num": years}
    if not rest:
        return years_text
    return language.gettext("%(years)s og %(months)s") % {"years": years_text, "months": rest_text}


def _and(words: list[str], language: Language) -> str:
    """ "a", "a og b", "a, b og c"."""
    if len(words) <= 1:
        return "".join(words)
    return language.gettext("%(first)s og %(last)s") % {
        "first": ", ".join(words[:-1]),
        "last": words[-1],
    }


def _kinds(consent: Consent, language: Language = DANISH) -> str:
    """ "vurderinger af barnets trivsel og handleplanen"."""
    order = list(INFORMATION_KINDS)
    kinds = sorted(consent.information_kinds, key=lambda k: order.index(k) if k in order else 99)
    return _and(
        [language.gettext(INFORMATION_KINDS[k]) if k in INFORMATION_KINDS else k for k in kinds],
        language,
    )


def _role_label(user: User | None, language: Language = DANISH) -> str:
    if user is None:
        return ""
    roles = sorted(user.roles)
    name = ROLE_NAMES.get(roles[0].value, "") if roles else ""
    return language.gettext(name) if name else ""


def _sharing_basis(pt: MeetingParticipant, language: Language = DANISH) -> str:
    """The basis on which an external professional is told about the child, as a phrase for
    the guardian's letter ("... får oplysninger på grundlag af <basis>.")."""
    _ = language.gettext
    consent = pt.consent
    if consent is not None:
        return _("samtykke fra %(name)s af %(date)s (det omfatter %(kinds)s)") % {
            "name": consent.guardian.name,
            "date": language.long_date(consent.given_on),
            "kinds": _kinds(consent, language),
        }
    if pt.legal_basis:
        return _("loven (%(basis)s)") % {"basis": pt.legal_basis}
    return ""


def child_info(child: Child, today: date, language: Language = DANISH) -> ChildInfo:
    group = child.current_group
    return ChildInfo(
        name=child.full_name,
        birth_date=child.birth_date,
        age_text=age_text(child.age_in_months(today), language),
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


def _person(pt: MeetingParticipant, with_basis: bool = True, language: Language = DANISH) -> Person:
    """A participant as a letter lists them; `with_basis`: an external professional's
    basis for sharing too (the guardian's letter prints it; the plan does not)."""
    if pt.kind == ParticipantKind.GUARDIAN:
        return Person(pt.name, language.gettext("Forælder"))
    if pt.kind == ParticipantKind.STAFF and pt.user is not None:
        return Person(pt.name, _role_label(pt.user, language))
    return Person(
        pt.name,
        profession_label(pt.profession, language.code),
        pt.organisation,
        external=pt.kind == ParticipantKind.EXTERNAL,
        basis=_sharing_basis(pt, language) if with_basis else "",
    )


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
        participants=tuple(_person(pt, language=language) for pt in meeting.participants),
        contact_name=contact.name,
        contact_institution=group.institution.name if group else "",
        contact_email=contact.email,
        contact_phone=contact.phone,
        contact_role=_role_label(contact, language).lower(),
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
    return _suggested_reasons(joint.suggestion if joint is not None else None, language)


def _suggested_reasons(
    suggestion: dict[str, Any] | None, language: Language = DANISH
) -> tuple[str, ...]:
    """The classifier's reasons in the language (each stored in Danish and English)."""
    key = "text_en" if language.code == "en" else "text_da"
    return tuple(r.get(key) or r.get("text_da", "") for r in (suggestion or {}).get("reasons", []))


_LATEST_SUGGESTION = (
    sa.select(JointAssessment.suggestion)
    .join(ScreeningRound, ScreeningRound.id == JointAssessment.round_id)
    .where(JointAssessment.child_id == sa.bindparam("child_id"))
    .order_by(ScreeningRound.reference_date.desc())
    .limit(1)
)


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
            "kinds": _kinds(consent, language),
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


def plan_data(path: ActionPath, today: date, language: Language = DANISH) -> ActionPlanData:
    plan = db.session.scalars(_PLAN, {"path_id": path.id}).unique().one_or_none()
    child = path.child
    suggestion = db.session.scalar(_LATEST_SUGGESTION, {"child_id": child.id})
    follow_ups = db.session.execute(_FOLLOW_UPS, {"path_id": path.id}).all()
    rows = db.session.scalars(_PLAN_PARTICIPANTS, {"path_id": path.id}).unique().all()
    participants: dict[str, Person] = {}
    for pt in rows:
        participants.setdefault(pt.name, _person(pt, with_basis=False, language=language))
    group = child.current_group
    leader = (_leader_name(group.institution_id) if group else None) or path.coordinator.name
    return ActionPlanData(
        child=child_info(child, today, language),
        position=path.position.value,
        reasons=_suggested_reasons(suggestion, language),
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
            PlanFollowUp(held_on, language.gettext(PROGRESS[progress.value]), note, next_step)
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
    round_: ScreeningRound, institution: Institution, today: date, language: Language = DANISH
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
                        c.child.full_name,
                        gp.group.name,
                        None,
                        language.gettext("Mangler fælles vurdering"),
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
                        language.gettext("Forældrene er ikke orienteret om ny position"),
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
    "child.view": N_("åbnede barnets side"),
    "child.timeline": N_("så barnets tidslinje"),
    "assessment.open": N_("åbnede en trivselsvurdering"),
    "assessment.view": N_("så en trivselsvurdering"),
    "assessment.save_draft": N_("gemte en kladde til en trivselsvurdering"),
    "assessment.submit": N_("indsendte en trivselsvurdering"),
    "joint.open": N_("åbnede den fælles vurdering"),
    "joint.record": N_("registrerede den fælles vurdering"),
    "joint.parents_informed": N_(
        "registrerede, at forældrene er orienteret om den fælles vurdering"
    ),
    "observation.add": N_("tilføjede en observation"),
    "path.view": N_("så handlevejen"),
    "path.step_done": N_("registrerede et trin i handlevejen som udført"),
    "path.notify_open": N_("åbnede vurderingen af underretningspligten"),
    "path.notify_decision": N_("registrerede vurderingen af underretningspligten"),
    "path.follow_up": N_("registrerede en opfølgning"),
    "path.coordinator": N_("skiftede tovholder for handlevejen"),
    "path.close": N_("afsluttede handlevejen"),
    "plan.view": N_("åbnede handleplanen"),
    "plan.save": N_("gemte handleplanen"),
    "meeting.create": N_("oprettede et møde"),
    "meeting.view": N_("så et møde"),
    "meeting.invite": N_("inviterede en deltager til et møde"),
    "meeting.minutes": N_("skrev referat af et møde"),
    "consent.list": N_("så samtykkerne"),
    "consent.record": N_("registrerede et samtykke"),
    "consent.withdraw": N_("registrerede, at et samtykke er trukket tilbage"),
    "pdf.batch_start": N_("bestilte en samlet PDF"),
    "offline_pack.download": N_(
        "hentede barnets navn og stue til brug på en enhed uden forbindelse"
    ),
    "sync.conflict": N_("sendte en vurdering eller observation, der ikke passede med den gemte"),
    "sync.conflict.view": N_("så en vurdering eller observation, der ikke passede med den gemte"),
    "sync.conflict.resolve": N_(
        "valgte, hvilken udgave af en vurdering eller observation der gælder"
    ),
}
DOCUMENT_PHRASES = {
    "invitation": N_("hentede en mødeinvitation (PDF)"),
    "action_plan": N_("hentede handleplanen (PDF)"),
    "parents_copy": N_("hentede en udskrift af oplysningerne om barnet (PDF)"),
    "meeting_invitations": N_("hentede invitationerne til et møde (PDF)"),
    "round_plans": N_("hentede handleplanerne for en vurderingsrunde (PDF)"),
}
SOME_ACCESS = N_("så eller ændrede oplysninger om barnet")
NOTIFY_DECISIONS = {
    "notify": N_("Der skal underrettes."),
    "no_notify": N_("Der skal ikke underrettes nu."),
}
VULNERABILITY = {
    "not": N_("Ikke i en udsat position"),
    "potentially": N_("Potentielt i en udsat position"),
    "clearly": N_("I en udsat position"),
}


def _access_phrase(e: AuditEvent, language: Language = DANISH) -> str:
    if e.action == "pdf.download":
        phrase = DOCUMENT_PHRASES.get(str((e.details or {}).get("document")), N_("hentede en PDF"))
    else:
        phrase = ACCESS_PHRASES.get(e.action, SOME_ACCESS)
    return language.gettext(phrase)


def _who(user: User | None, language: Language = DANISH) -> str:
    """ "Lise Leder (leder, Børnehuset Mælkebøtten)"; the system when no user acted."""
    if user is None:
        return language.gettext("Systemet")
    where = ", ".join(sorted(i.name for i in user.institutions))
    role = _role_label(user, language).lower()
    inner = ", ".join(x for x in (role, where) if x)
    return f"{user.name} ({inner})" if inner else user.name


def _long(d: date | None, language: Language = DANISH) -> str:
    return language.long_date(d) if d else "–"


def _sentences(*parts: str) -> str:
    return "\n".join(x for x in parts if x and x.strip())


def _labelled(language: Language, template: str, value: str) -> str:
    """ "Begrundelse: <text>" when there is a text, else nothing."""
    return language.gettext(template) % {"text": value} if value.strip() else ""


def _assessment_text(a: Assessment, lh: Letterhead) -> str:
    """Who, the suggestion, the statements ticked and ratings given, and the texts."""
    language = lh.language
    _ = language.gettext
    instrument = compiled_instrument(a.instrument)
    ticked, rated, typed = [], [], []
    for item in instrument.items:
        value = (a.answers or {}).get(item.key)
        if value in (None, False, ""):
            continue
        text = _text(item.text, language)
        if item.kind == "indicator":
            ticked.append(f"»{text}«")
        elif item.kind == "rated" and item.scale is not None and isinstance(value, int):
            label = item.scale.labels.get(value)
            rated.append(f"{text}: {value}" + (f" ({_text(label, language)})" if label else ""))
        else:
            typed.append(f"{text}: {value}")
    role = _role_label(a.assessor, language).lower()
    who = (_("Vurderet af %(name)s (%(role)s).") if role else _("Vurderet af %(name)s.")) % {
        "name": a.assessor.name,
        "role": role,
    }
    suggested = (
        _("Forslag til position: %(position)s.")
        % {"position": lh.label(a.suggested_position.value)}
        if a.suggested_position
        else ""
    )
    vulnerable = (
        _("Udsat position: %(vulnerability)s.")
        % {"vulnerability": _(VULNERABILITY.get(a.vulnerability.value, "–"))}
        if a.vulnerability
        else ""
    )
    return _sentences(
        f"{who} {suggested}".strip(),
        (_("Udsagn, der er sat kryds ved: %(items)s.") % {"items": "; ".join(ticked)})
        if ticked
        else "",
        (_("Bedømmelser: %(items)s.") % {"items": "; ".join(rated)}) if rated else "",
        *typed,
        vulnerable,
        _labelled(language, N_("Ressourcer: %(text)s"), a.resources),
        _labelled(language, N_("Bekymringer: %(text)s"), a.concerns),
        _labelled(language, N_("Begrundelse: %(text)s"), a.justification),
    )


def _joint_text(j: JointAssessment, lh: Letterhead) -> str:
    language = lh.language
    _ = language.gettext
    informed = (
        _("Forældrene er orienteret den %(date)s.")
        % {"date": _long(j.parents_informed_on, language)}
        if j.parents_informed_on
        else ""
    )
    changed = (
        _(
            "Forslaget var %(position)s. Den aftalte position afviger fra forslaget. "
            "Årsag: %(reason)s"
        )
        % {"position": lh.label(j.suggested_position.value), "reason": j.override_reason}
        if j.agreed_position != j.suggested_position
        else ""
    )
    return _sentences(
        _("Fælles vurdering den %(date)s ved %(name)s.")
        % {
            "date": _long(j.decided_at.astimezone(LOCAL_TZ).date(), language),
            "name": j.decided_by.name,
        },
        _labelled(language, N_("Begrundelse: %(text)s"), j.justification),
        changed,
        informed,
    )


def _path_entries(path: ActionPath, lh: Letterhead, with_follow_ups: bool) -> list[TimelineEntry]:
    language = lh.language
    _ = language.gettext
    status = (
        _("Afsluttet den %(date)s.") % {"date": _long(path.closed_on, language)}
        if path.status == PathStatus.CLOSED
        else _("Åben.")
    )
    out = [
        TimelineEntry(
            path.opened_on,
            _("Handlevej"),
            _sentences(
                _("Handlevejen blev åbnet den %(date)s. Position: %(position)s.")
                % {
                    "date": _long(path.opened_on, language),
                    "position": lh.label(path.position.value),
                }
                + " "
                + status,
                _("Tovholder: %(name)s.") % {"name": path.coordinator.name},
                _labelled(language, N_("Note ved afslutning: %(text)s"), path.close_note),
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
        if step.done_on and step.done_by:
            done = _("Udført den %(date)s af %(name)s.") % {
                "date": _long(step.done_on, language),
                "name": step.done_by.name,
            }
        elif step.done_on:
            done = _("Udført den %(date)s.") % {"date": _long(step.done_on, language)}
        else:
            done = _("Ikke udført endnu.")
        role_name = ROLE_NAMES.get(step.responsible_role)
        role = (_(role_name) if role_name else step.responsible_role).lower()
        out.append(
            TimelineEntry(
                step.due_on,
                (step.title_en or step.title_da) if language.code == "en" else step.title_da,
                _sentences(
                    _("Ansvarlig: %(role)s. Frist: %(date)s.")
                    % {"role": role, "date": _long(step.due_on, language)}
                    + " "
                    + (_("Skal udføres.") if step.required else _("Valgfrit.")),
                    done,
                    _labelled(language, N_("Note: %(text)s"), step.note),
                ),
            )
        )
        d = decisions.get(step.id)
        if d is not None:
            sent = ""
            if d.sent_on and d.sent_by:
                sent = _("Underretningen er sendt den %(date)s af %(name)s.") % {
                    "date": _long(d.sent_on, language),
                    "name": d.sent_by.name,
                }
            elif d.sent_on:
                sent = _("Underretningen er sendt den %(date)s.") % {
                    "date": _long(d.sent_on, language)
                }
            out.append(
                TimelineEntry(
                    d.decided_on,
                    _("Vurdering af underretningspligt"),
                    _sentences(
                        _(NOTIFY_DECISIONS[d.decision.value])
                        + " "
                        + _("Vurderet af %(name)s.") % {"name": d.decided_by.name},
                        _labelled(language, N_("Begrundelse: %(text)s"), d.reasoning),
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
                    _("Opfølgning"),
                    _sentences(
                        _("Udvikling: %(progress)s. Ved %(name)s.")
                        % {"progress": _(PROGRESS[f.progress.value]), "name": f.by.name},
                        _labelled(language, N_("Hvad har vi set? %(text)s"), f.note),
                        _labelled(language, N_("Næste skridt: %(text)s"), f.next_step),
                    ),
                )
            )
    return out


def _meeting_text(m: Meeting, language: Language = DANISH) -> str:
    _ = language.gettext
    people = "; ".join(
        ", ".join(
            x for x in (pt.name, _person(pt, language=language).role.lower(), pt.organisation) if x
        )
        for pt in m.participants
    )
    when = language.when(m.starts_at.astimezone(LOCAL_TZ))
    return _sentences(
        _("%(when)s. Sted: %(place)s")
        % {"when": f"{when[:1].upper()}{when[1:]}", "place": m.place},
        _labelled(language, N_("Formål: %(text)s"), m.purpose),
        (_("Deltagere: %(people)s.") % {"people": people}) if people else "",
        _labelled(language, N_("Referat: %(text)s"), m.minutes),
        _labelled(language, N_("Beslutninger: %(text)s"), m.decisions),
    )


def _consent_text(c: Consent, language: Language = DANISH) -> str:
    _ = language.gettext
    recipients = ", ".join(profession_label(r, language.code).lower() for r in c.recipients)
    return _sentences(
        _("Givet af %(name)s den %(date)s.")
        % {"name": c.guardian.name, "date": _long(c.given_on, language)},
        (_("Modtagere: %(names)s.") % {"names": recipients}) if recipients else "",
        _("Oplysninger: %(kinds)s.") % {"kinds": _kinds(c, language)},
        _("Formål: %(text)s") % {"text": c.purpose},
        (_("Trukket tilbage den %(date)s.") % {"date": _long(c.withdrawn_on, language)})
        if c.withdrawn_on
        else "",
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
    language = lh.language
    _ = language.gettext
    data = ParentsCopyData(child=child_info(child, today, language), requested_by=requested_by.name)
    data.guardians = [
        guardian_recipient(gl.guardian)
        if gl.guardian_id == requested_by.id
        else GuardianRecipient(name=gl.guardian.name, address=None, protected=False)
        for gl in child.guardian_links
    ]
    group = child.current_group
    leader = _leader_name(group.institution_id) if group else None
    data.contact_name = (
        f"{leader} ({_('Leder').lower()}, {group.institution.name})" if leader and group else ""
    )
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
            TimelineEntry(
                submitted,
                _("Trivselsvurdering, %(round)s") % {"round": a.round.name},
                _assessment_text(a, lh),
            )
        )
    catalogue = load_observation_categories()
    for o in db.session.scalars(
        sa.select(ChildObservation)
        .where(ChildObservation.child_id == child.id)
        .order_by(ChildObservation.source, ChildObservation.observed_on)
    ):
        source = catalogue.sources[o.source.value]
        cat = _text(catalogue.category(o.source.value, o.category).title, language)
        level = catalogue.levels.get(o.level)
        word = _text(level, language) if level else ""
        degree = f"{o.level} – {word[:1].lower()}{word[1:]}" if word else str(o.level)
        data.observations.append(
            TimelineEntry(
                o.observed_on,
                f"{_text(source.title, language)}: {cat}",
                _sentences(_("Grad af bekymring: %(degree)s.") % {"degree": degree}, o.note),
            )
        )
    paths = db.session.scalars(
        sa.select(ActionPath).where(ActionPath.child_id == child.id).order_by(ActionPath.opened_on)
    ).all()
    for path in paths:
        has_plan = plans.plan_for(path) is not None
        if has_plan:
            data.plans.append(plan_data(path, today, language))
        data.action_path += _path_entries(path, lh, with_follow_ups=not has_plan)
        for m in db.session.scalars(
            sa.select(Meeting).where(Meeting.path_id == path.id).order_by(Meeting.starts_at)
        ):
            data.meetings.append(
                TimelineEntry(
                    m.starts_at.astimezone(LOCAL_TZ).date(),
                    _(MEETING_KINDS[m.kind.value]),
                    _meeting_text(m, language),
                )
            )
    for c in db.session.scalars(
        sa.select(Consent).where(Consent.child_id == child.id).order_by(Consent.given_on)
    ):
        kind = _("Samtykke (trukket tilbage)") if c.withdrawn_on else _("Samtykke")
        data.consents.append(TimelineEntry(c.given_on, kind, _consent_text(c, language)))
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
        data.access_log.append(
            (
                e.occurred_at.astimezone(LOCAL_TZ),
                _who(user, language),
                _access_phrase(e, language),
            )
        )
    return data
