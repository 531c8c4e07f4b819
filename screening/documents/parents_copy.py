"""The data of the parents' copy (aktindsigt): everything stored about the child, in
words, with the access log in a parent's words."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa

from reports.data import GuardianRecipient, ParentsCopyData, TimelineEntry
from reports.i18n import DANISH, N_, Language
from screening.accounts.models import User
from screening.assessments.models import (
    Assessment,
    AssessmentStatus,
    ChildObservation,
    JointAssessment,
)
from screening.catalogue.services import compiled_instrument
from screening.children.models import Child, Guardian
from screening.classifier import load_observation_categories, profession_label
from screening.core.extensions import db
from screening.core.models import AuditEvent, Outcome
from screening.core.time import LOCAL_TZ
from screening.documents.action_plans import leader_name, plan_data
from screening.documents.common import (
    MEETING_KINDS,
    PROGRESS,
    ROLE_NAMES,
    child_info,
    consent_kinds,
    guardian_recipient,
    letterhead,
    person_of,
    role_label,
)
from screening.paths import plans
from screening.paths.models import (
    ActionPath,
    Consent,
    FollowUp,
    Meeting,
    NotifyDecision,
    PathStatus,
)
from screening.rounds.models import ScreeningRound

if TYPE_CHECKING:
    from reports.base import Letterhead


class _Bilingual(Protocol):
    da: str
    en: str


def _text(label: _Bilingual, language: Language) -> str:
    """A catalogue text (instrument, observation category, level) in the language."""
    return label.en if language.code == "en" and label.en else label.da


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
    role = role_label(user, language).lower()
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
    role = role_label(a.assessor, language).lower()
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
            x
            for x in (pt.name, person_of(pt, language=language).role.lower(), pt.organisation)
            if x
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
        _("Oplysninger: %(kinds)s.") % {"kinds": consent_kinds(c, language)},
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
    leader = leader_name(group.institution_id) if group else None
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
