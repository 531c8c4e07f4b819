"""Rounds, individual and joint assessments, observations, progress and the timeline."""

from __future__ import annotations

import itertools
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from forms.assessment import (
    DelegateForm,
    JointForm,
    ObservationForm,
    ParentsInformedForm,
    RoundForm,
    answers_from,
    assessment_form_class,
    fill_from_answers,
)
from forms.common import EmptyForm
from screening import audit
from screening.access import load, require
from screening.classifier import OverrideError, load_observation_categories
from screening.extensions import db
from screening.models import (
    Assessment,
    AssessmentContext,
    Child,
    ChildObservation,
    Group,
    Institution,
    JointAssessment,
    JointDelegate,
    Outcome,
    RoundStatus,
    ScreeningRound,
    User,
)
from screening.policy import (
    Action,
    can,
    may_assess_with,
    observation_sources,
    writable_observation_sources,
)
from screening.services import action_paths
from screening.services import assessments as svc
from screening.services.catalogue import compiled_instrument, newest_instruments

bp = Blueprint("assessments", __name__)


def _lang() -> str:
    return get_locale().language if get_locale() else "da"


def _round(round_id: int) -> ScreeningRound:
    return db.session.get(ScreeningRound, round_id) or abort(404)


# Rounds (vurderingsrunder) --------------------------------------------------------------


@bp.route("/rounds")
def rounds():
    manage = can(current_user, Action.MANAGE_ROUNDS)
    stmt = sa.select(ScreeningRound).order_by(ScreeningRound.reference_date.desc())
    if not manage:
        stmt = stmt.where(ScreeningRound.status != RoundStatus.PLANNED)
    rows = db.session.scalars(stmt).all()
    return render_template(
        "assessments/rounds.html", rounds=rows, manage=manage, status_form=EmptyForm()
    )


def _round_form(round_: ScreeningRound | None) -> RoundForm:
    form = RoundForm(obj=round_)
    form.institutions.choices = [
        SelectChoice(i.id, i.name)
        for i in db.session.scalars(
            sa.select(Institution).where(Institution.active.is_(True)).order_by(Institution.name)
        )
    ]
    form.instrument_keys.choices = [
        SelectChoice(i.key, i.title_da if _lang() == "da" else i.title_en)
        for i in newest_instruments()
    ]
    if round_ is not None and not form.is_submitted():
        form.institutions.data = [i.id for i in round_.institutions]
        form.instrument_keys.data = list(round_.instrument_keys)
    return form


@bp.route("/rounds/new", methods=["GET", "POST"])
@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
def edit_round(round_id: int | None = None):
    require(Action.MANAGE_ROUNDS)
    round_ = _round(round_id) if round_id is not None else None
    form = _round_form(round_)
    if form.validate_on_submit():
        name_taken = db.session.scalar(
            sa.select(ScreeningRound.id).where(
                sa.func.lower(ScreeningRound.name) == form.name.data.strip().lower(),
                ScreeningRound.id != (round_.id if round_ else -1),
            )
        )
        if name_taken:
            form.name.errors.append(_("Der findes allerede en runde med det navn."))
        elif _overlapping(form.instrument_keys.data):
            form.instrument_keys.errors.append(
                _("To af de valgte skemaer dækker samme alder. Vælg ét skema pr. aldersgruppe.")
            )
        else:
            if round_ is None:
                round_ = ScreeningRound()
                db.session.add(round_)
            round_.name = form.name.data.strip()
            round_.starts_on = form.starts_on.data
            round_.ends_on = form.ends_on.data
            round_.reference_date = form.reference_date.data
            round_.instrument_keys = sorted(form.instrument_keys.data)
            round_.institutions = list(
                db.session.scalars(
                    sa.select(Institution).where(Institution.id.in_(form.institutions.data))
                )
            )
            db.session.flush()
            audit.record("round.save", "round", round_.id)
            flash(_("Runden er gemt."), "success")
            return redirect(url_for("assessments.rounds"))
    return render_template("assessments/round_form.html", form=form, round=round_), (
        400 if form.errors else 200
    )


def _overlapping(keys: list[str]) -> bool:
    bands = sorted((i.min_months, i.max_months) for i in newest_instruments() if i.key in set(keys))
    return any(b[0] < a[1] for a, b in itertools.pairwise(bands))


@bp.route("/rounds/<int:round_id>/status", methods=["POST"])
def round_status(round_id: int):
    require(Action.MANAGE_ROUNDS)
    round_ = _round(round_id)
    form = EmptyForm()
    target = request.form.get("status", "")
    if form.validate_on_submit() and target in {s.value for s in RoundStatus}:
        round_.status = RoundStatus(target)
        audit.record("round.status", "round", round_.id, status=target)
        flash(_("Rundens status er ændret."), "success")
    return redirect(url_for("assessments.rounds"))


@bp.route("/rounds/<int:round_id>")
def round_overview(round_id: int):
    """The institutions of a round the user may follow, with progress per institution."""
    round_ = _round(round_id)
    if round_.status == RoundStatus.PLANNED and not can(current_user, Action.MANAGE_ROUNDS):
        abort(404)
    institutions = [i for i in round_.institutions if can(current_user, Action.VIEW_ASSESSMENTS, i)]
    progress = {
        i.id: svc.group_progress(round_, [g for g in i.groups if g.active]) for i in institutions
    }
    audit.record("round.progress", "round", round_.id)
    return render_template(
        "assessments/round.html", round=round_, institutions=institutions, progress=progress
    )


@bp.route("/rounds/<int:round_id>/groups/<int:group_id>")
def worklist(round_id: int, group_id: int):
    """A group's children in a round: who has been assessed, by me and by others."""
    round_ = _round(round_id)
    group = load(Group, group_id, Action.VIEW_ASSESSMENTS)
    if not round_.covers(group.institution_id) or round_.status == RoundStatus.PLANNED:
        abort(404)
    progress = svc.group_progress(round_, [group], current_user)[0]
    audit.record("round.worklist", "group", group.id, round_id=round_.id)
    return render_template(
        "assessments/worklist.html",
        round=round_,
        group=group,
        progress=progress,
        may_assess=can(current_user, Action.ASSESS, group),
        may_joint=can(current_user, Action.RECORD_JOINT, group),
    )


# Individual assessment ------------------------------------------------------------------


PATH_MESSAGES = {
    "open": lambda: _("En handlevej er åbnet med trin og frister."),
    "escalate": lambda: _("Handlevejen er eskaleret til rød med de nye trin."),
    "prepare_close": lambda: _(
        "Positionen er grøn. Handlevejen kan afsluttes efter en afsluttende opfølgning."
    ),
}

ERROR_MESSAGES = {
    "missing_ratings": lambda: _("Giv en vurdering på alle skalaer, før du indsender."),
    "justification_required": lambda: _(
        "Skriv en kort begrundelse, når vurderingen er gul eller rød."
    ),
    "not_draft": lambda: _("Vurderingen er allerede indsendt og kan ikke ændres."),
    "round_not_open": lambda: _("Runden er ikke åben."),
    "no_submitted_assessments": lambda: _("Der er endnu ingen indsendte vurderinger."),
}


@bp.route("/rounds/<int:round_id>/children/<int:child_id>/assess", methods=["GET", "POST"])
def assess(round_id: int, child_id: int):
    child = load(Child, child_id, Action.ASSESS)
    round_ = _round(round_id)
    own = svc.own_assessment(round_.id, child.id, current_user.id)
    instrument_row = own.instrument if own else svc.instrument_for_child(round_, child)
    if instrument_row is None or round_.status == RoundStatus.PLANNED:
        abort(404)  # the round does not cover this child
    if own is not None and own.submitted:
        return redirect(url_for("assessments.view_assessment", assessment_id=own.id))
    if not may_assess_with(current_user, instrument_row.max_months):
        audit.refused("assessment.edit", "child", child.id, child_id=child.id)
        abort(403)
    if round_.status != RoundStatus.OPEN:
        flash(_("Runden er ikke åben."), "error")
        return redirect(url_for("children.child", child_id=child.id))

    instrument = compiled_instrument(instrument_row)
    form_class = assessment_form_class(instrument, _lang())
    form = form_class()
    result = None
    refused = False
    if request.method == "GET" and own is not None:
        fill_from_answers(form, instrument, own.answers)
        form.resources.data = own.resources
        form.concerns.data = own.concerns
        form.justification.data = own.justification
        form.vulnerability.data = own.vulnerability.value if own.vulnerability else ""
    if request.method == "GET":
        form.version.data = str(own.version if own else 0)

    if form.validate_on_submit():
        if own is not None and form.version.data != str(own.version):
            refused = True
            flash(
                _(
                    "Vurderingen er blevet gemt et andet sted (fx i en anden fane), siden du "
                    "åbnede den. Dine ændringer er ikke gemt; de står stadig i formularen. "
                    "Tjek dem, og gem igen."
                ),
                "error",
            )
            form.version.data = str(own.version)
        else:
            submit = bool(form.submit_assessment.data)
            context = (
                AssessmentContext.HOME_VISIT
                if instrument_row.max_months <= 12 and not _is_daycare_staff()
                else AssessmentContext.DAYCARE
            )
            data = svc.AssessmentInput(
                answers=answers_from(form, instrument),
                resources=form.resources.data or "",
                concerns=form.concerns.data or "",
                justification=form.justification.data or "",
                vulnerability=form.vulnerability.data or None,
            )
            try:
                assessment = own or svc.start(round_, child, current_user, instrument_row, context)
                result = svc.save(assessment, data, submit=submit)
            except svc.AssessmentError as exc:
                db.session.rollback()
                refused = True
                flash(ERROR_MESSAGES[exc.code](), "error")
            else:
                audit.record(
                    "assessment.submit" if submit else "assessment.save_draft",
                    "assessment",
                    assessment.id,
                    child_id=child.id,
                )
                session["clear_draft"] = draft_key(round_.id, child.id)
                if submit:
                    flash(_("Vurderingen er indsendt."), "success")
                    return redirect(
                        url_for("assessments.view_assessment", assessment_id=assessment.id)
                    )
                flash(_("Kladden er gemt."), "success")
                return redirect(
                    url_for("assessments.assess", round_id=round_.id, child_id=child.id)
                )
    elif form.is_submitted():
        flash(_("Formularen har fejl. Ret dem, og prøv igen."), "error")

    audit.record("assessment.open", "child", child.id, child_id=child.id, round_id=round_.id)
    return render_template(
        "assessments/assess.html",
        form=form,
        round=round_,
        child=child,
        instrument=instrument,
        instrument_row=instrument_row,
        assessment=own,
        areas=_area_fields(instrument, form),
        next_child=svc.next_child(round_, child, current_user),
        result=result,
        lang=_lang(),
        draft_key=draft_key(round_.id, child.id),
    ), (400 if form.errors or refused else 200)


def draft_key(round_id: int, child_id: int) -> str:
    """The browser's key for its copy of an unsaved assessment (see draft-keeper.js)."""
    return f"assessment-{round_id}-{child_id}-{current_user.id}"


def _is_daycare_staff() -> bool:
    from screening.models import Role

    return current_user.has_role(Role.EDUCATOR, Role.LEADER)


def _area_fields(instrument, form):
    from forms.assessment import field_name

    return [
        {"area": area, "fields": [(item, form[field_name(item.key)]) for item in area.items]}
        for area in instrument.areas
    ]


@bp.route("/assessments/<int:assessment_id>")
def view_assessment(assessment_id: int):
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None or not can(current_user, Action.VIEW_ASSESSMENTS, assessment):
        audit.refused(
            "assessment.view",
            "assessment",
            assessment_id,
            outcome=Outcome.NOT_FOUND,
            child_id=assessment.child_id if assessment else None,
        )
        abort(404)
    instrument = compiled_instrument(assessment.instrument)
    audit.record("assessment.view", "assessment", assessment.id, child_id=assessment.child_id)
    round_ = assessment.round
    return render_template(
        "assessments/view.html",
        assessment=assessment,
        instrument=instrument,
        lang=_lang(),
        next_child=svc.next_child(round_, assessment.child, current_user)
        if assessment.assessor_id == current_user.id and round_.is_open
        else None,
    )


# Joint assessment (fælles vurdering) -----------------------------------------------------


@bp.route("/rounds/<int:round_id>/children/<int:child_id>/joint", methods=["GET", "POST"])
def joint(round_id: int, child_id: int):
    child = load(Child, child_id, Action.RECORD_JOINT)
    round_ = _round(round_id)
    if (
        svc.instrument_for_child(round_, child) is None
        and svc.joint_for(round_.id, child.id) is None
    ):
        abort(404)
    own = svc.own_assessment(round_.id, child.id, current_user.id)
    if own is not None and not own.submitted:
        flash(_("Indsend din egen vurdering af barnet, før du ser de andres."), "error")
        return redirect(url_for("assessments.assess", round_id=round_.id, child_id=child.id))
    assessments = svc.submitted_for(round_.id, child.id)
    existing = svc.joint_for(round_.id, child.id)
    suggestion = svc.joint_suggestion(assessments) if assessments else None
    form = JointForm(obj=existing)
    refused = False
    if request.method == "GET" and existing is None and suggestion is not None:
        form.agreed_position.data = suggestion.position.value
    if request.method == "GET" and existing is not None:
        form.agreed_position.data = existing.agreed_position.value
    if form.validate_on_submit():
        try:
            joint_row = svc.record_joint(
                round_,
                child,
                current_user,
                agreed=form.agreed_position.data,
                justification=form.justification.data,
                override_reason=form.override_reason.data or "",
            )
        except OverrideError:
            db.session.rollback()
            form.override_reason.errors.append(
                _("Skriv hvorfor I vælger en anden position end forslaget.")
            )
        except svc.AssessmentError as exc:
            db.session.rollback()
            refused = True
            flash(ERROR_MESSAGES[exc.code](), "error")
        else:
            audit.record(
                "joint.record",
                "joint_assessment",
                joint_row.id,
                child_id=child.id,
                overridden=joint_row.overridden,
            )
            flash(_("Den fælles vurdering er gemt."), "success")
            action, path_row = action_paths.apply_agreed_position(joint_row, current_user)
            if action in PATH_MESSAGES:
                audit.record(f"path.{action}", "action_path", path_row.id, child_id=child.id)
                flash(PATH_MESSAGES[action](), "info")
            return redirect(url_for("assessments.joint", round_id=round_.id, child_id=child.id))
    audit.record(
        "joint.open",
        "child",
        child.id,
        child_id=child.id,
        round_id=round_.id,
        assessments=len(assessments),
    )
    parents_form = ParentsInformedForm(formdata=None)
    if existing is not None and existing.parents_informed_on is None:
        parents_form.informed_on.data = date.today()
    return render_template(
        "assessments/joint.html",
        round=round_,
        child=child,
        assessments=[(a, compiled_instrument(a.instrument)) for a in assessments],
        suggestion=suggestion,
        joint=existing,
        form=form,
        parents_form=parents_form,
        lang=_lang(),
    ), (400 if form.errors or refused else 200)


@bp.route("/rounds/<int:round_id>/children/<int:child_id>/parents-informed", methods=["POST"])
def parents_informed(round_id: int, child_id: int):
    child = load(Child, child_id, Action.RECORD_JOINT)
    joint_row = svc.joint_for(round_id, child.id) or abort(404)
    form = ParentsInformedForm()
    if form.validate_on_submit():
        svc.record_parents_informed(
            joint_row, current_user, form.informed_on.data, form.note.data or ""
        )
        audit.record("joint.parents_informed", "joint_assessment", joint_row.id, child_id=child.id)
        flash(_("Det er noteret, at forældrene er orienteret."), "success")
    else:
        flash(_("Skriv en gyldig dato for, hvornår forældrene blev orienteret."), "error")
    return redirect(url_for("assessments.joint", round_id=round_id, child_id=child.id))


@bp.route("/institutions/<int:institution_id>/delegates", methods=["GET", "POST"])
def delegates(institution_id: int):
    inst = load(Institution, institution_id, Action.DELEGATE_JOINT)
    form = DelegateForm()
    staff = [u for u in inst_users(inst) if u.id != current_user.id]
    current = db.session.scalars(
        sa.select(JointDelegate).where(JointDelegate.institution_id == inst.id)
    ).all()
    delegated = {d.user_id for d in current}
    form.user_id.choices = [SelectChoice(u.id, u.name) for u in staff if u.id not in delegated]
    remove_form = EmptyForm(prefix="remove")
    if request.method == "POST" and request.form.get("remove"):
        if remove_form.validate_on_submit():
            row = next((d for d in current if str(d.id) == request.form["remove"]), None)
            if row is not None:
                db.session.delete(row)
                audit.record("delegate.remove", "institution", inst.id, user=row.user_id)
                flash(_("Tilladelsen er fjernet."), "success")
        return redirect(url_for("assessments.delegates", institution_id=inst.id))
    if form.validate_on_submit():
        db.session.add(
            JointDelegate(
                institution_id=inst.id, user_id=form.user_id.data, granted_by_id=current_user.id
            )
        )
        audit.record("delegate.add", "institution", inst.id, user=form.user_id.data)
        flash(_("Medarbejderen kan nu registrere fælles vurderinger."), "success")
        return redirect(url_for("assessments.delegates", institution_id=inst.id))
    return render_template(
        "assessments/delegates.html",
        institution=inst,
        form=form,
        delegates=current,
        remove_form=remove_form,
    )


def inst_users(inst: Institution) -> list[User]:
    from screening.models import user_institution

    return list(
        db.session.scalars(
            sa.select(User)
            .join(user_institution, user_institution.c.user_id == User.id)
            .where(user_institution.c.institution_id == inst.id, User.active.is_(True))
            .order_by(User.name)
        )
    )


# Observations ---------------------------------------------------------------------------


@bp.route("/children/<int:child_id>/observations/new", methods=["GET", "POST"])
def new_observation(child_id: int):
    child = load(Child, child_id, Action.ADD_OBSERVATION)
    catalogue = load_observation_categories()
    lang = _lang()
    sources = writable_observation_sources(current_user)
    if not sources:
        abort(403)
    form = ObservationForm()
    form.source.choices = [
        SelectChoice(s.value, catalogue.sources[s.value].title.get(lang)) for s in sources
    ]
    chosen = (
        form.source.data if form.source.data in {s.value for s in sources} else (sources[0].value)
    )
    form.category.choices = [
        SelectChoice(c.key, c.title.get(lang), optgroup=catalogue.sources[s.value].title.get(lang))
        for s in sources
        for c in catalogue.sources[s.value].categories.values()
    ]
    if request.method == "GET":
        form.observed_on.data = date.today()
        form.source.data = chosen
    if form.validate_on_submit():
        if not catalogue.has(form.source.data, form.category.data):
            form.category.errors.append(_("Kategorien passer ikke til den valgte kilde."))
        elif form.observed_on.data > date.today():
            form.observed_on.errors.append(_("Datoen må ikke ligge i fremtiden."))
        else:
            obs = svc.add_observation(
                child,
                current_user,
                source=form.source.data,
                category=form.category.data,
                level=int(form.level.data),
                observed_on=form.observed_on.data,
                note=form.note.data or "",
            )
            audit.record("observation.add", "observation", obs.id, child_id=child.id)
            flash(_("Observationen er gemt."), "success")
            return redirect(url_for("children.child", child_id=child.id))
    return render_template("assessments/observation_form.html", form=form, child=child), (
        400 if form.errors else 200
    )


# Timeline ---------------------------------------------------------------------------------


@bp.route("/children/<int:child_id>/timeline")
def timeline(child_id: int):
    child = load(Child, child_id, Action.VIEW_CHILD)
    catalogue = load_observation_categories()
    events = []
    joints = []
    if can(current_user, Action.VIEW_ASSESSMENTS, child):
        joints = db.session.scalars(
            sa.select(JointAssessment)
            .join(ScreeningRound)
            .where(JointAssessment.child_id == child.id)
            .order_by(ScreeningRound.reference_date)
        ).all()
        for j in joints:
            events.append(("joint", j.decided_at.date(), j))
        assessments = db.session.scalars(
            sa.select(Assessment).where(Assessment.child_id == child.id)
        ).all()
        for a in assessments:
            if can(current_user, Action.VIEW_ASSESSMENTS, a) and (
                a.submitted or a.assessor_id == current_user.id
            ):
                events.append(("assessment", (a.submitted_at or a.updated_at).date(), a))
    sources = observation_sources(current_user, child)
    stmt = sa.select(ChildObservation).where(ChildObservation.child_id == child.id)
    if sources is not None:
        stmt = stmt.where(ChildObservation.source.in_(sources))
    for obs in db.session.scalars(stmt):
        events.append(("observation", obs.observed_on, obs))
    events.sort(key=lambda e: e[1], reverse=True)
    audit.record("child.timeline", "child", child.id, child_id=child.id)
    return render_template(
        "assessments/timeline.html",
        child=child,
        events=events,
        chart=_chart(joints),
        catalogue=catalogue,
        lang=_lang(),
    )


POSITION_LEVEL = {"green": 0, "yellow": 1, "red": 2}


def _chart(joints: list[JointAssessment]) -> list[dict]:
    """Points for a small server-rendered SVG: one per round, y by position."""
    points = []
    for i, j in enumerate(joints):
        points.append(
            {
                "x": 40 + i * 90,
                "y": 20 + (2 - POSITION_LEVEL[j.agreed_position.value]) * 30,
                "position": j.agreed_position.value,
                "label": j.round.name,
            }
        )
    return points
