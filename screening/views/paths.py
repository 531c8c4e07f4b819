"""Action paths (handleveje): steps and deadlines, the duty-to-notify assessment, action
plans, follow-ups, meetings with the consent gate, consents, offers and the momentum view."""

from __future__ import annotations

from datetime import UTC, date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from forms.common import EmptyForm
from forms.paths import (
    PROFESSION_LABELS,
    CloseForm,
    ConsentForm,
    CoordinatorForm,
    FollowUpForm,
    InviteExternalForm,
    InviteGuardianForm,
    InviteStaffForm,
    MeetingForm,
    MinutesForm,
    NotifyForm,
    OfferForm,
    PlanForm,
    StepDoneForm,
)
from screening import audit
from screening.access import load, require
from screening.extensions import db
from screening.models import (
    ActionPath,
    ActionStep,
    Child,
    Consent,
    FollowUp,
    Meeting,
    NotifyDecision,
    Offer,
    Outcome,
    Role,
    StepKind,
    User,
    UserRole,
    user_institution,
)
from screening.policy import Action, can, visible_institution_ids
from screening.services import action_paths as svc

bp = Blueprint("paths", __name__)
LOCAL_TZ = ZoneInfo("Europe/Copenhagen")

ERRORS = {
    "already_done": lambda: _("Trinnet er allerede udført."),
    "notify_decision_required": lambda: _(
        "Registrér vurderingen af underretningspligten for at afslutte dette trin."
    ),
    "reasoning_required": lambda: _("Skriv en begrundelse."),
    "sent_needs_date_and_signer": lambda: _("Skriv datoen, underretningen blev sendt."),
    "sent_without_notify": lambda: _(
        "Der kan kun registreres en afsendt underretning, når I har vurderet, at der skal "
        "underrettes."
    ),
    "cannot_close": lambda: _(
        "Handlevejen kan først afsluttes, når positionen er grøn igen og alle nødvendige trin "
        "er udført."
    ),
    "no_consent_or_legal_basis": lambda: _(
        "Der er intet gældende samtykke, der dækker denne fagperson. Indhent samtykke fra "
        "forældrene, eller skriv hjemlen til at dele uden samtykke."
    ),
    "not_custody_holder": lambda: _("Samtykket skal gives af en forældremyndighedsindehaver."),
    "consent_incomplete": lambda: _("Udfyld oplysninger, modtagere og formål."),
    "already_withdrawn": lambda: _("Samtykket er allerede trukket tilbage."),
}


def _lang() -> str:
    locale = get_locale()
    return locale.language if locale else "da"


def _path(path_id: int, action: Action) -> ActionPath:
    """Load a path through its child, so that access follows the child (404 when hidden)."""
    path = db.session.get(ActionPath, path_id)
    if path is None:
        audit.refused(action, "action_path", path_id, outcome=Outcome.NOT_FOUND)
        abort(404)
    load(Child, path.child_id, action)
    return path


def _staff_of(child: Child) -> list[User]:
    """The daycare's own staff (educators and leaders) for the child: who may be tovholder
    or join a meeting as a colleague. Others (health visitor, dental, PPR) are invited as
    external professionals, through the consent gate."""
    group = child.current_group
    if group is None:
        return []
    return list(
        db.session.scalars(
            sa.select(User)
            .join(user_institution, user_institution.c.user_id == User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                user_institution.c.institution_id == group.institution_id,
                User.active.is_(True),
                UserRole.role.in_([Role.EDUCATOR, Role.LEADER]),
            )
            .order_by(User.name)
            .distinct()
        )
    )


def _coordinator_form(p: ActionPath, formdata=None) -> CoordinatorForm:
    form = CoordinatorForm(formdata=formdata, obj=p)
    form.coordinator_id.choices = [SelectChoice(u.id, u.name) for u in _staff_of(p.child)]
    form.escalation_level.choices = [
        SelectChoice(n, f"{n}. {da if _lang() == 'da' else en}")
        for n, da, en in svc.templates_for(p).escalation_levels
    ]
    return form


def _render_path(
    p: ActionPath, *, coordinator_form=None, follow_up_form=None, close_form=None, status: int = 200
):
    """The path page; a form that failed is passed in so it shows what was typed."""
    if follow_up_form is None:
        follow_up_form = FollowUpForm(formdata=None)
        follow_up_form.held_on.data = date.today()
    follow_ups = db.session.scalars(
        sa.select(FollowUp).where(FollowUp.path_id == p.id).order_by(FollowUp.held_on.desc())
    ).all()
    meetings = db.session.scalars(
        sa.select(Meeting).where(Meeting.path_id == p.id).order_by(Meeting.starts_at)
    ).all()
    decisions = {
        d.step_id: d
        for d in db.session.scalars(sa.select(NotifyDecision).where(NotifyDecision.path_id == p.id))
    }
    audit.record("path.view", "action_path", p.id, child_id=p.child_id)
    return render_template(
        "paths/path.html",
        path=p,
        templates=svc.templates_for(p),
        today=date.today(),
        lang=_lang(),
        step_form=StepDoneForm(formdata=None),
        coordinator_form=coordinator_form or _coordinator_form(p),
        follow_up_form=follow_up_form,
        close_form=close_form or CloseForm(formdata=None),
        follow_ups=follow_ups,
        meetings=meetings,
        plan=svc.plan_for(p),
        decisions=decisions,
        can_close=svc.can_close(p),
        may_manage=can(current_user, Action.MANAGE_PATHS, p.child) and p.is_open,
    ), status


@bp.route("/paths/<int:path_id>")
def path(path_id: int):
    return _render_path(_path(path_id, Action.VIEW_PATHS))


@bp.route("/paths/<int:path_id>/steps/<int:step_id>/done", methods=["POST"])
def step_done(path_id: int, step_id: int):
    p = _path(path_id, Action.MANAGE_PATHS)
    step = db.session.get(ActionStep, step_id)
    if step is None or step.path_id != p.id:
        abort(404)
    form = StepDoneForm()
    if form.validate_on_submit():
        if step.kind == StepKind.NOTIFY:
            return redirect(url_for("paths.notify", path_id=p.id, step_id=step.id))
        try:
            svc.complete_step(step, current_user, date.today(), form.note.data or "")
        except svc.PathError as exc:
            db.session.rollback()
            flash(ERRORS[exc.code](), "error")
        else:
            audit.record(
                "path.step_done", "action_step", step.id, child_id=p.child_id, step=step.key
            )
            flash(_("Trinnet er markeret som udført."), "success")
    return redirect(url_for("paths.path", path_id=p.id))


@bp.route("/paths/<int:path_id>/steps/<int:step_id>/notify", methods=["GET", "POST"])
def notify(path_id: int, step_id: int):
    """The assessment of the duty to notify (Barnets lov § 133): recorded, never decided
    or sent by the product."""
    p = _path(path_id, Action.VIEW_PATHS)
    step = db.session.get(ActionStep, step_id)
    if step is None or step.path_id != p.id or step.kind != StepKind.NOTIFY:
        abort(404)
    existing = db.session.scalar(sa.select(NotifyDecision).where(NotifyDecision.step_id == step.id))
    form = NotifyForm(obj=existing)
    if request.method == "GET" and existing is None:
        form.decided_on.data = date.today()
    refused = False
    if form.is_submitted():
        load(Child, p.child_id, Action.DECIDE_NOTIFY)
    if form.validate_on_submit():
        sent_on = form.sent_on.data
        try:
            svc.record_notify_decision(
                step,
                current_user,
                decision=form.decision.data,
                reasoning=form.reasoning.data,
                decided_on=form.decided_on.data,
                sent_on=sent_on,
                sent_by=current_user if sent_on else None,
            )
        except svc.PathError as exc:
            db.session.rollback()
            refused = True
            flash(ERRORS[exc.code](), "error")
        else:
            audit.record(
                "path.notify_decision",
                "action_step",
                step.id,
                child_id=p.child_id,
                decision=form.decision.data,
                sent=bool(sent_on),
            )
            flash(_("Vurderingen af underretningspligten er registreret."), "success")
            return redirect(url_for("paths.path", path_id=p.id))
    audit.record("path.notify_open", "action_step", step.id, child_id=p.child_id)
    return render_template(
        "paths/notify.html",
        path=p,
        step=step,
        form=form,
        decision=existing,
        may_decide=can(current_user, Action.DECIDE_NOTIFY, p.child),
    ), (400 if form.errors or refused else 200)


@bp.route("/paths/<int:path_id>/coordinator", methods=["POST"])
def set_coordinator(path_id: int):
    p = _path(path_id, Action.MANAGE_PATHS)
    form = _coordinator_form(p, formdata=request.form)
    if not form.validate_on_submit():
        flash(_("Vælg en tovholder og et eskaleringstrin."), "error")
        return _render_path(p, coordinator_form=form, status=400)
    p.coordinator_id = form.coordinator_id.data
    p.escalation_level = form.escalation_level.data
    audit.record(
        "path.coordinator", "action_path", p.id, child_id=p.child_id, level=p.escalation_level
    )
    flash(_("Handlevejen er opdateret."), "success")
    return redirect(url_for("paths.path", path_id=p.id))


@bp.route("/paths/<int:path_id>/follow-ups", methods=["POST"])
def follow_up(path_id: int):
    p = _path(path_id, Action.MANAGE_PATHS)
    form = FollowUpForm()
    if not form.validate_on_submit():
        flash(_("Opfølgningen er ikke gemt: vælg dato og udvikling."), "error")
        return _render_path(p, follow_up_form=form, status=400)
    fu = svc.add_follow_up(
        p,
        current_user,
        held_on=form.held_on.data,
        progress=form.progress.data,
        note=form.note.data or "",
        next_step=form.next_step.data or "",
    )
    audit.record("path.follow_up", "follow_up", fu.id, child_id=p.child_id)
    flash(_("Opfølgningen er gemt."), "success")
    return redirect(url_for("paths.path", path_id=p.id))


@bp.route("/paths/<int:path_id>/close", methods=["POST"])
def close(path_id: int):
    p = _path(path_id, Action.MANAGE_PATHS)
    form = CloseForm()
    if not form.validate_on_submit():
        return _render_path(p, close_form=form, status=400)
    try:
        svc.close_path(p, current_user, date.today(), form.note.data)
    except svc.PathError as exc:
        db.session.rollback()
        flash(ERRORS[exc.code](), "error")
        return _render_path(p, close_form=form, status=400)
    audit.record("path.close", "action_path", p.id, child_id=p.child_id)
    flash(_("Handlevejen er afsluttet."), "success")
    return redirect(url_for("paths.path", path_id=p.id))


# Action plan ---------------------------------------------------------------------------------


@bp.route("/paths/<int:path_id>/plan", methods=["GET", "POST"])
def plan(path_id: int):
    p = _path(path_id, Action.VIEW_PATHS)
    existing = svc.plan_for(p)
    months = p.child.age_in_months(date.today())
    offers = svc.offers_for_age(months)
    if existing:
        offers = sorted({*offers, *existing.offers}, key=lambda o: (o.staircase_step, o.name))
    form = PlanForm(obj=existing)
    form.offers.choices = [
        SelectChoice(o.id, _("%(name)s (trin %(step)d)", name=o.name, step=o.staircase_step))
        for o in offers
    ]
    if request.method == "GET" and existing is not None:
        form.offers.data = [o.id for o in existing.offers]
        for entry, item in zip(form.items, existing.items, strict=False):
            entry.what.data, entry.who.data, entry.by_when.data = (
                item.what,
                item.who,
                item.by_when,
            )
    if form.is_submitted():
        load(Child, p.child_id, Action.MANAGE_PATHS)
    valid = form.validate_on_submit()
    if valid:
        saved = svc.save_plan(
            p,
            current_user,
            resources=form.resources.data or "",
            concerns=form.concerns.data or "",
            goals=form.goals.data,
            parents_perspective=form.parents_perspective.data or "",
            child_perspective=form.child_perspective.data or "",
            evaluation_on=form.evaluation_on.data,
            items=[
                svc.PlanItemInput(e.what.data or "", e.who.data or "", e.by_when.data)
                for e in form.items
            ],
            offer_ids=form.offers.data,
        )
        audit.record("plan.save", "action_plan", saved.id, child_id=p.child_id)
        flash(_("Handleplanen er gemt."), "success")
        return redirect(url_for("paths.plan", path_id=p.id))
    if request.method == "GET":
        audit.record("plan.view", "action_path", p.id, child_id=p.child_id)
    # Room for more actions: always a few empty rows.
    while len(form.items) < len([e for e in form.items if e.what.data]) + 3:
        form.items.append_entry()
    return render_template(
        "paths/plan.html",
        path=p,
        form=form,
        plan=existing,
        may_manage=can(current_user, Action.MANAGE_PATHS, p.child),
    ), (400 if form.is_submitted() and not valid else 200)


# Meetings -----------------------------------------------------------------------------------


@bp.route("/paths/<int:path_id>/meetings/new", methods=["GET", "POST"])
def new_meeting(path_id: int):
    p = _path(path_id, Action.MANAGE_PATHS)
    form = MeetingForm()
    if form.validate_on_submit():
        starts_at = form.starts_at.data.replace(tzinfo=LOCAL_TZ).astimezone(UTC)
        meeting = svc.create_meeting(
            p,
            current_user,
            kind=form.kind.data,
            starts_at=starts_at,
            place=form.place.data,
            purpose=form.purpose.data,
            agenda=form.agenda.data or "",
        )
        audit.record("meeting.create", "meeting", meeting.id, child_id=p.child_id)
        flash(_("Mødet er oprettet. Inviter deltagerne."), "success")
        return redirect(url_for("paths.meeting", meeting_id=meeting.id))
    return render_template("paths/meeting_form.html", path=p, form=form), (
        400 if form.errors else 200
    )


def _meeting(meeting_id: int, action: Action) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    load(Child, meeting.path.child_id, action)
    return meeting


def _invite_forms(meeting: Meeting, formdata=None):
    child = meeting.path.child
    invited_guardians = {pt.guardian_id for pt in meeting.participants if pt.guardian_id}
    invited_users = {pt.user_id for pt in meeting.participants if pt.user_id}
    guardian_form = InviteGuardianForm(formdata=formdata, prefix="guardian")
    guardian_form.guardian_id.choices = [
        SelectChoice(gl.guardian_id, gl.guardian.name)
        for gl in child.guardian_links
        if gl.guardian_id not in invited_guardians
    ]
    staff_form = InviteStaffForm(formdata=formdata, prefix="staff")
    staff_form.user_id.choices = [
        SelectChoice(u.id, u.name) for u in _staff_of(child) if u.id not in invited_users
    ]
    external_form = InviteExternalForm(formdata=formdata, prefix="external")
    return guardian_form, staff_form, external_form


@bp.route("/meetings/<int:meeting_id>", methods=["GET", "POST"])
def meeting(meeting_id: int):
    m = _meeting(meeting_id, Action.VIEW_PATHS)
    form = MinutesForm(obj=m)
    if form.is_submitted():
        load(Child, m.path.child_id, Action.MANAGE_PATHS)
    if form.validate_on_submit():
        m.minutes = (form.minutes.data or "").strip()
        m.decisions = (form.decisions.data or "").strip()
        audit.record("meeting.minutes", "meeting", m.id, child_id=m.path.child_id)
        flash(_("Referatet er gemt."), "success")
        return redirect(url_for("paths.meeting", meeting_id=m.id))
    return _render_meeting(m, form)


def _render_meeting(m: Meeting, form=None, forms=None, status=200):
    guardian_form, staff_form, external_form = forms or _invite_forms(m)
    today = date.today()
    suggested = _suggested_professions(m.path)
    consent_status = {
        key: svc.covering_consent(m.path.child_id, key, today) for key in PROFESSION_LABELS
    }
    audit.record("meeting.view", "meeting", m.id, child_id=m.path.child_id)
    return render_template(
        "paths/meeting.html",
        meeting=m,
        path=m.path,
        form=form or MinutesForm(obj=m),
        guardian_form=guardian_form,
        staff_form=staff_form,
        external_form=external_form,
        suggested=suggested,
        consent_status=consent_status,
        profession_labels=PROFESSION_LABELS,
        may_manage=can(current_user, Action.MANAGE_PATHS, m.path.child),
        local_tz=LOCAL_TZ,
    ), status


def _suggested_professions(p: ActionPath) -> list[str]:
    """The professions the classifier named for the concern that opened the path."""
    from screening.models import JointAssessment

    joint = db.session.get(JointAssessment, p.opened_by_joint_id) if p.opened_by_joint_id else None
    return list((joint.suggestion or {}).get("professions", [])) if joint else []


@bp.route("/meetings/<int:meeting_id>/participants", methods=["POST"])
def invite(meeting_id: int):
    m = _meeting(meeting_id, Action.MANAGE_PATHS)
    kind = request.form.get("kind")
    forms = _invite_forms(m, formdata=request.form)
    guardian_form, staff_form, external_form = forms
    if kind == "guardian" and guardian_form.validate_on_submit():
        link = next(
            gl
            for gl in m.path.child.guardian_links
            if gl.guardian_id == guardian_form.guardian_id.data
        )
        svc.invite_guardian(m, link.guardian)
    elif kind == "staff" and staff_form.validate_on_submit():
        svc.invite_staff(m, db.session.get(User, staff_form.user_id.data))
    elif kind == "external" and external_form.validate_on_submit():
        try:
            svc.invite_external(
                m,
                name=external_form.name.data,
                profession=external_form.profession.data,
                organisation=external_form.organisation.data or "",
                email=external_form.email.data or "",
                legal_basis=external_form.legal_basis.data or "",
                on=date.today(),
            )
        except svc.PathError as exc:
            db.session.rollback()
            external_form.legal_basis.errors.append(ERRORS[exc.code]())
            audit.refused(
                "meeting.invite_external",
                "meeting",
                m.id,
                outcome=Outcome.INVALID,
                child_id=m.path.child_id,
                profession=external_form.profession.data,
            )
            return _render_meeting(m, forms=forms, status=400)
    else:
        flash(_("Deltageren er ikke inviteret. Tjek felterne."), "error")
        return _render_meeting(m, forms=forms, status=400)
    audit.record("meeting.invite", "meeting", m.id, child_id=m.path.child_id, kind=kind)
    flash(_("Deltageren er inviteret."), "success")
    return redirect(url_for("paths.meeting", meeting_id=m.id))


# Consents -----------------------------------------------------------------------------------


@bp.route("/children/<int:child_id>/consents", methods=["GET", "POST"])
def consents(child_id: int):
    child = load(Child, child_id, Action.VIEW_PATHS)
    form = ConsentForm()
    form.guardian_id.choices = [
        SelectChoice(gl.guardian_id, gl.guardian.name)
        for gl in child.guardian_links
        if gl.has_custody
    ]
    if request.method == "GET":
        form.given_on.data = date.today()
    if form.is_submitted():
        load(Child, child.id, Action.MANAGE_PATHS)
    if form.validate_on_submit():
        guardian = next(
            gl.guardian for gl in child.guardian_links if gl.guardian_id == form.guardian_id.data
        )
        try:
            consent = svc.record_consent(
                child,
                guardian,
                current_user,
                information_kinds=form.information_kinds.data,
                recipients=form.recipients.data,
                purpose=form.purpose.data,
                given_on=form.given_on.data,
            )
        except svc.PathError as exc:
            db.session.rollback()
            flash(ERRORS[exc.code](), "error")
        else:
            audit.record("consent.record", "consent", consent.id, child_id=child.id)
            flash(_("Samtykket er registreret."), "success")
            return redirect(url_for("paths.consents", child_id=child.id))
    rows = db.session.scalars(
        sa.select(Consent).where(Consent.child_id == child.id).order_by(Consent.given_on.desc())
    ).all()
    audit.record("consent.list", "child", child.id, child_id=child.id)
    return render_template(
        "paths/consents.html",
        child=child,
        form=form,
        consents=rows,
        today=date.today(),
        profession_labels=PROFESSION_LABELS,
        open_path=svc.open_path_for(child.id),
        withdraw_form=EmptyForm(prefix="withdraw"),
        may_manage=can(current_user, Action.MANAGE_PATHS, child),
    ), (400 if form.errors else 200)


@bp.route("/consents/<int:consent_id>/withdraw", methods=["POST"])
def withdraw(consent_id: int):
    consent = db.session.get(Consent, consent_id) or abort(404)
    load(Child, consent.child_id, Action.MANAGE_PATHS)
    form = EmptyForm(prefix="withdraw")
    if form.validate_on_submit():
        try:
            svc.withdraw_consent(consent, current_user, date.today())
        except svc.PathError as exc:
            db.session.rollback()
            flash(ERRORS[exc.code](), "error")
        else:
            audit.record("consent.withdraw", "consent", consent.id, child_id=consent.child_id)
            flash(
                _("Samtykket er trukket tilbage. Der deles ikke flere oplysninger på det."),
                "success",
            )
    return redirect(url_for("paths.consents", child_id=consent.child_id))


# Offers (tilbudsviften) ---------------------------------------------------------------------


@bp.route("/offers", methods=["GET", "POST"])
@bp.route("/offers/<int:offer_id>", methods=["GET", "POST"])
def offers(offer_id: int | None = None):
    editing = db.session.get(Offer, offer_id) if offer_id else None
    if offer_id and editing is None:
        abort(404)
    manage = can(current_user, Action.MANAGE_OFFERS)
    if not manage and not can(current_user, Action.VIEW_PATHS):
        require(Action.MANAGE_OFFERS)
    form = OfferForm(obj=editing)
    if form.is_submitted():
        require(Action.MANAGE_OFFERS)
    if form.validate_on_submit():
        if form.max_age_months.data <= form.min_age_months.data:
            form.max_age_months.errors.append(_("»Til alder« skal være større end »fra alder«."))
        elif db.session.scalar(
            sa.select(Offer.id).where(
                sa.func.lower(Offer.name) == form.name.data.strip().lower(),
                Offer.id != (editing.id if editing else -1),
            )
        ):
            form.name.errors.append(_("Der findes allerede et tilbud med det navn."))
        else:
            offer = editing or Offer()
            form.populate_obj(offer)
            offer.name = offer.name.strip()
            db.session.add(offer)
            db.session.flush()
            audit.record("offer.save", "offer", offer.id)
            flash(_("Tilbuddet er gemt."), "success")
            return redirect(url_for("paths.offers"))
    rows = db.session.scalars(sa.select(Offer).order_by(Offer.staircase_step, Offer.name)).all()
    return render_template(
        "paths/offers.html", offers=rows, form=form, editing=editing, manage=manage
    ), (400 if form.errors else 200)


# Momentum -----------------------------------------------------------------------------------


@bp.route("/momentum")
def momentum():
    require(Action.VIEW_MOMENTUM)
    ids = visible_institution_ids(current_user, Action.VIEW_MOMENTUM)
    today = date.today()
    data = svc.momentum(ids, today)
    audit.record("momentum.view", "app", count=len(data.steps))
    return render_template("paths/momentum.html", momentum=data, today=today, lang=_lang())
