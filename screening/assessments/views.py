"""A round's progress, individual and joint assessments, delegates, observations and the
timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import contains_eager, joinedload
from wtforms import SelectChoice

from forms.assessments import (
    POSITION_LABELS,
    DelegateForm,
    JointForm,
    ObservationForm,
    ParentsInformedForm,
    answers_from,
    assessment_form_class,
    field_name,
    fill_from_answers,
)
from forms.common import EmptyForm, form_version
from screening.assessments import delegation, individual, joints, observations, round_progress
from screening.assessments.models import Assessment, ChildObservation, JointAssessment
from screening.catalogue.models import InstrumentVersion
from screening.catalogue.services import compiled_instrument, round_bands, ruleset_title
from screening.children import loading
from screening.children.models import Child
from screening.classifier import Instrument, Position, load_observation_categories
from screening.core import audit, flow
from screening.core.access import load
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.core.flow import CONFLICT_CODES, conflict_rows
from screening.core.i18n import lang
from screening.core.policy import (
    Action,
    can,
    may_assess_with,
    observation_sources,
    readable_assessments,
    writable_observation_sources,
)
from screening.core.time import local_today
from screening.org.models import Group, Institution
from screening.paths import services as action_paths
from screening.paths.models import ActionPath
from screening.rounds.models import RoundStatus, ScreeningRound

bp = Blueprint("assessments", __name__)


def _round(round_id: int) -> ScreeningRound:
    return db.get_or_404(ScreeningRound, round_id)


# Progress of a round ------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>")
def round_overview(round_id: int) -> ResponseReturnValue:
    """The institutions of a round the user may follow, with progress per institution."""
    round_ = _round(round_id)
    if round_.status == RoundStatus.PLANNED and not can(current_user, Action.MANAGE_ROUNDS):
        abort(404)
    institutions = [i for i in round_.institutions if can(current_user, Action.VIEW_ASSESSMENTS, i)]
    groups = list(
        db.session.scalars(
            sa.select(Group)
            .where(Group.institution_id.in_([i.id for i in institutions]), Group.active)
            .order_by(Group.name, Group.id)
        )
    )
    progress: dict[int, list[round_progress.GroupCounts]] = {i.id: [] for i in institutions}
    for counts in round_progress.round_group_counts(round_, groups):
        progress[counts.group.institution_id].append(counts)
    audit.record("round.progress", "round", round_.id)
    words = {  # translated once (with no arguments, gettext leaves the placeholders)
        "of": _("af %(total)d"),
        "aria": _("%(what)s: %(done)d af %(total)d"),
        "one": _("Mindst én vurdering"),
        "two": _("To vurderinger"),
        "joint": _("Fælles vurdering"),
    }
    return render_template(
        "assessments/round.html",
        round=round_,
        institutions=institutions,
        progress=progress,
        words=words,
    )


@bp.route("/rounds/<int:round_id>/groups/<int:group_id>")
def worklist(round_id: int, group_id: int) -> ResponseReturnValue:
    """A group's children in a round: who has been assessed, by me and by others."""
    round_ = _round(round_id)
    group = load(Group, group_id, Action.VIEW_ASSESSMENTS)
    if not round_.covers(group.institution_id) or round_.status == RoundStatus.PLANNED:
        abort(404)
    progress = round_progress.group_progress(round_, [group], current_user)[0]
    audit.record("round.worklist", "group", group.id, round_id=round_.id)
    # Per instrument, not per child: its title in the page's language, and whether the
    # user may fill it in (a health visitor: the infants' instrument only).
    english = lang() == "en"
    instruments = {
        row.id: (
            row.title_en if english else row.title_da,
            may_assess_with(current_user, row.max_months),
        )
        for row in {cp.instrument for cp in progress.children if cp.instrument is not None}
    }
    return render_template(
        "assessments/worklist.html",
        round=round_,
        group=group,
        progress=progress,
        instruments=instruments,
        may_assess=can(current_user, Action.ASSESS, group),
        may_joint=can(current_user, Action.RECORD_JOINT, group),
    )


# Individual assessment ------------------------------------------------------------------


PATH_MESSAGES = {
    "open": lambda: _("En handlevej er åbnet med trin og frister."),
    "escalate": lambda: _("Handlevejen er nu rød. De nye trin er tilføjet."),
    "prepare_close": lambda: _(
        "Positionen er grøn. Handlevejen kan afsluttes efter en sidste opfølgning."
    ),
}


@bp.route("/rounds/<int:round_id>/children/<int:child_id>/assess", methods=["GET", "POST"])
def assess(round_id: int, child_id: int) -> ResponseReturnValue:
    preloaded = loading.with_groups(child_id)  # the child and its groups in one query
    child = load(Child, child_id, Action.ASSESS)
    del preloaded
    round_ = _round(round_id)
    own = individual.own_assessment(round_.id, child.id, current_user.id)
    bands = None  # the round's age bands, when read: the page's "next child" link uses them
    instrument_row: InstrumentVersion | None = None
    if own is not None:
        instrument_row = own.instrument
    else:
        bands = round_bands(round_)  # the child's instrument from them: no query of its own
        instrument_row = individual.instrument_for_child(round_, child, bands)
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
    form_class = assessment_form_class(instrument, lang())
    form = form_class()
    if request.method == "GET" and own is not None:
        fill_from_answers(form, instrument, own.answers)
        form.resources.data = own.resources
        form.concerns.data = own.concerns
        form.justification.data = own.justification
        form.vulnerability.data = own.vulnerability.value if own.vulnerability else ""
    if request.method == "GET":
        form.version.data = str(own.version if own else 0)

    def page(error: object = None) -> ResponseReturnValue:
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
            next_child=round_progress.next_child(round_, child, current_user, bands),
            result=None,
            lang=lang(),
            draft_key=draft_key(round_.id, child.id),
        ), (400 if form.errors or error is not None else 200)

    # A saved yellow or red draft already needs its justification: say so at the field.
    form.justification.flags.required_now = bool(
        own is not None
        and own.suggested_position is not None
        and own.suggested_position != Position.GREEN
    )
    if not form.validate_on_submit():
        if form.is_submitted():
            flash(_("Formularen har fejl. Ret dem, og prøv igen."), "error")
        return page()
    if own is not None and form.version.data != str(own.version):
        flash(
            _(
                "Vurderingen er blevet gemt et andet sted (fx i en anden fane), siden du "
                "åbnede den. Dine ændringer er ikke gemt; de står stadig i formularen. "
                "Tjek dem, og gem igen."
            ),
            "error",
        )
        form.version.data = str(own.version)
        return page(error="changed_meanwhile")
    submit = bool(form.submit_assessment.data)
    data = individual.AssessmentInput(
        answers=answers_from(form, instrument),
        resources=form.resources.data or "",
        concerns=form.concerns.data or "",
        justification=form.justification.data or "",
        vulnerability=form.vulnerability.data or None,
    )

    def save() -> Assessment:
        context = individual.context_for(current_user, instrument_row)
        assessment = own or individual.start(round_, child, current_user, instrument_row, context)
        individual.save(
            assessment,
            data,
            submit=submit,
            expected_version=own.version if own is not None else None,
        )
        return assessment

    def saved(assessment: Assessment) -> None:
        audit.record(
            "assessment.submit" if submit else "assessment.save_draft",
            "assessment",
            assessment.id,
            child_id=child.id,
        )
        session["clear_draft"] = draft_key(round_.id, child.id)

    return flow.perform(
        save,
        record=saved,
        success=_("Vurderingen er indsendt.") if submit else _("Kladden er gemt."),
        redirect_to=lambda a: (
            url_for("assessments.view_assessment", assessment_id=a.id)
            if submit
            else url_for("assessments.assess", round_id=round_.id, child_id=child.id)
        ),
        failed=page,
        fields={"justification_required": form.justification},
    )


def draft_key(round_id: int, child_id: int) -> str:
    """The browser's key for its copy of an unsaved assessment (see draft-keeper.js)."""
    return f"assessment-{round_id}-{child_id}-{current_user.id}"


def _area_fields(instrument: Instrument, form: Any) -> list[dict[str, Any]]:
    """Each area with its items: (item, field, whether an indicator statement opens a
    list of statements, whether it closes one), the lists' bounds worked out here rather
    than by the template's look at the neighbours of each of forty statements."""
    areas = []
    for area in instrument.areas:
        kinds = [item.kind for item in area.items]
        last = len(kinds) - 1
        fields = []
        for i, item in enumerate(area.items):
            indicator = item.kind == "indicator"
            fields.append(
                (
                    item,
                    form[field_name(item.key)],
                    indicator and (i == 0 or kinds[i - 1] != "indicator"),
                    indicator and (i == last or kinds[i + 1] != "indicator"),
                )
            )
        areas.append({"area": area, "fields": fields})
    return areas


@bp.route("/assessments/<int:assessment_id>")
def view_assessment(assessment_id: int) -> ResponseReturnValue:
    assessment = load(
        Assessment, assessment_id, Action.VIEW_ASSESSMENTS, audited_as="assessment.view"
    )
    instrument = compiled_instrument(assessment.instrument)
    audit.record("assessment.view", "assessment", assessment.id, child_id=assessment.child_id)
    round_ = assessment.round
    return render_template(
        "assessments/view.html",
        assessment=assessment,
        instrument=instrument,
        ruleset_title=ruleset_title(assessment.ruleset_key, assessment.ruleset_version, lang())
        if assessment.ruleset_key and assessment.ruleset_version
        else None,
        lang=lang(),
        next_child=round_progress.next_child(round_, assessment.child, current_user)
        if assessment.assessor_id == current_user.id and round_.is_open
        else None,
    )


# Joint assessment (fælles vurdering) -----------------------------------------------------


@bp.route("/rounds/<int:round_id>/children/<int:child_id>/joint", methods=["GET", "POST"])
def joint(round_id: int, child_id: int) -> ResponseReturnValue:
    preloaded = loading.with_groups(child_id)  # the child and its groups in one query
    child = load(Child, child_id, Action.RECORD_JOINT)
    del preloaded
    round_ = _round(round_id)
    existing = joints.joint_for(round_.id, child.id)
    if existing is None and individual.instrument_for_child(round_, child) is None:
        abort(404)
    own, assessments = joints.own_and_submitted(round_.id, child.id, current_user.id)
    if own is not None and not own.submitted:
        flash(_("Indsend din egen vurdering af barnet, før du ser de andres."), "error")
        return redirect(url_for("assessments.assess", round_id=round_.id, child_id=child.id))
    suggestion = joints.joint_suggestion(assessments) if assessments else None
    form = JointForm(obj=existing)
    # A concern is never dropped in one click: when the assessors disagree, nothing is
    # pre-selected and the leader chooses the joint position herself.
    disagree = suggestion is not None and len(set(suggestion.positions)) > 1
    if request.method == "GET" and existing is None and suggestion is not None and not disagree:
        form.agreed_position.data = suggestion.position.value
    if request.method == "GET" and existing is not None:
        form.agreed_position.data = existing.agreed_position.value
    if request.method == "GET":
        form.version.data = str(existing.version if existing else 0)

    def page(error: object = None) -> ResponseReturnValue:
        nonlocal existing
        changes: list[tuple[str, str, str]] = []
        if isinstance(error, DomainError) and error.code in CONFLICT_CODES:
            existing = joints.joint_for(round_.id, child.id)  # what the other one saved
            if existing is not None:
                form.version.data = str(existing.version)
                changes = conflict_rows(
                    [
                        (
                            form.agreed_position,
                            POSITION_LABELS[existing.agreed_position.value],
                            POSITION_LABELS.get(form.agreed_position.data or "", ""),
                        ),
                        (form.justification, existing.justification, form.justification.data),
                        (
                            form.override_reason,
                            existing.override_reason,
                            form.override_reason.data,
                        ),
                    ]
                )
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
            parents_form.informed_on.data = local_today()
        return render_template(
            "assessments/joint.html",
            round=round_,
            child=child,
            assessments=[(a, compiled_instrument(a.instrument)) for a in assessments],
            suggestion=suggestion,
            disagree=disagree,
            differing=joints.differing_answers(assessments),
            joint=existing,
            form=form,
            parents_form=parents_form,
            changes=changes,
            lang=lang(),
        ), (400 if form.errors or error is not None else 200)

    if not form.validate_on_submit():
        return page()

    def record() -> tuple[JointAssessment, str, ActionPath | None]:
        joint_row, written = joints.record_joint_once(
            round_,
            child,
            current_user,
            agreed=form.agreed_position.data,
            justification=form.justification.data,
            override_reason=form.override_reason.data or "",
            expected_version=form_version(form.version.data),
        )
        if not written:  # the same decision sent twice: answered as the first one was
            return joint_row, "unchanged", action_paths.open_path_for(child.id)
        return (joint_row, *action_paths.apply_agreed_position(joint_row, current_user))

    def recorded(result: tuple[JointAssessment, str, ActionPath | None]) -> None:
        joint_row, action, path_row = result
        audit.record(
            "joint.record",
            "joint_assessment",
            joint_row.id,
            child_id=child.id,
            overridden=joint_row.overridden,
        )
        flash(_("Den fælles vurdering er gemt."), "success")
        if action in PATH_MESSAGES and path_row is not None:
            audit.record(f"path.{action}", "action_path", path_row.id, child_id=child.id)
            flash(PATH_MESSAGES[action](), "info")

    return flow.perform(
        record,
        record=recorded,
        redirect_to=url_for("assessments.joint", round_id=round_.id, child_id=child.id),
        fields={"override_reason_required": form.override_reason},
        failed=page,
    )


@bp.route("/rounds/<int:round_id>/children/<int:child_id>/parents-informed", methods=["POST"])
def parents_informed(round_id: int, child_id: int) -> ResponseReturnValue:
    child = load(Child, child_id, Action.RECORD_JOINT)
    joint_row = joints.joint_for(round_id, child.id) or abort(404)
    form = ParentsInformedForm()
    if form.validate_on_submit():
        joints.record_parents_informed(
            joint_row, current_user, form.informed_on.data, form.note.data or ""
        )
        audit.record("joint.parents_informed", "joint_assessment", joint_row.id, child_id=child.id)
        flash(_("Det er noteret, at forældrene er orienteret."), "success")
    else:
        flash(_("Skriv en gyldig dato for, hvornår forældrene blev orienteret."), "error")
    return redirect(url_for("assessments.joint", round_id=round_id, child_id=child.id))


@bp.route("/institutions/<int:institution_id>/delegates", methods=["GET", "POST"])
def delegates(institution_id: int) -> ResponseReturnValue:
    inst = load(Institution, institution_id, Action.DELEGATE_JOINT)
    form = DelegateForm()
    staff = [u for u in delegation.institution_staff(inst) if u.id != current_user.id]
    current = delegation.delegates_of(inst)
    delegated = {d.user_id for d in current}
    form.user_id.choices = [SelectChoice(u.id, u.name) for u in staff if u.id not in delegated]
    remove_form = EmptyForm(prefix="remove")
    here = url_for("assessments.delegates", institution_id=inst.id)
    if request.method == "POST" and request.form.get("remove"):
        row = next((d for d in current if str(d.id) == request.form["remove"]), None)
        if remove_form.validate_on_submit() and row is not None:
            delegation.remove_delegate(row)
            audit.record("delegate.remove", "institution", inst.id, user=row.user_id)
            flash(_("Tilladelsen er fjernet."), "success")
        return redirect(here)
    if form.validate_on_submit():
        return flow.perform(
            lambda: delegation.add_delegate(inst, form.user_id.data, current_user),
            record=lambda row: audit.record(
                "delegate.add", "institution", inst.id, user=row.user_id
            ),
            success=_("Medarbejderen kan nu registrere fælles vurderinger."),
            redirect_to=here,
        )
    return render_template(
        "assessments/delegates.html",
        institution=inst,
        form=form,
        delegates=current,
        remove_form=remove_form,
    )


# Observations ---------------------------------------------------------------------------


@bp.route("/children/<int:child_id>/observations/new", methods=["GET", "POST"])
def new_observation(child_id: int) -> ResponseReturnValue:
    child = load(Child, child_id, Action.ADD_OBSERVATION)
    catalogue = load_observation_categories()
    language = lang()
    sources = writable_observation_sources(current_user)
    if not sources:
        abort(403)
    form = ObservationForm()
    form.source.choices = [
        SelectChoice(s.value, catalogue.sources[s.value].title.get(language)) for s in sources
    ]
    chosen = (
        form.source.data if form.source.data in {s.value for s in sources} else (sources[0].value)
    )
    # The empty first option: "nothing chosen" is refused at the field, never a default.
    form.category.choices = [SelectChoice("", _("Vælg …"))] + [
        SelectChoice(
            c.key, c.title.get(language), optgroup=catalogue.sources[s.value].title.get(language)
        )
        for s in sources
        for c in catalogue.sources[s.value].categories.values()
    ]
    today = local_today()
    if request.method == "GET":
        form.observed_on.data = today
        form.source.data = chosen
    if form.validate_on_submit():
        if not catalogue.has(form.source.data, form.category.data):
            form.category.errors.append(_("Kategorien passer ikke til den valgte kilde."))
        elif form.observed_on.data > today:
            form.observed_on.errors.append(_("Datoen må ikke ligge i fremtiden."))
        else:
            obs = observations.add_observation(
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
def timeline(child_id: int) -> ResponseReturnValue:
    child = load(Child, child_id, Action.VIEW_CHILD)
    catalogue = load_observation_categories()
    events: list[tuple[str, date, Assessment | JointAssessment | ChildObservation]] = []
    agreed: Sequence[JointAssessment] = []
    # A fixed number of queries however many rounds the child has: permissions decided
    # for all the assessments at once, rounds and people joined in (only what is shown:
    # a person's roles and institutions are not loaded for their name).
    if can(current_user, Action.VIEW_ASSESSMENTS, child):
        agreed = db.session.scalars(
            sa.select(JointAssessment)
            .join(ScreeningRound)
            .where(JointAssessment.child_id == child.id)
            .options(
                contains_eager(JointAssessment.round),
                joinedload(JointAssessment.decided_by).lazyload("*"),
            )
            .order_by(ScreeningRound.reference_date)
        ).all()
        for j in agreed:
            events.append(("joint", j.decided_at.date(), j))
        assessments = db.session.scalars(
            sa.select(Assessment)
            .where(Assessment.child_id == child.id)
            .options(
                joinedload(Assessment.round).lazyload("*"),
                joinedload(Assessment.assessor).lazyload("*"),
            )
        ).all()
        for a in readable_assessments(current_user, child, assessments):
            if a.submitted or a.assessor_id == current_user.id:
                events.append(("assessment", (a.submitted_at or a.updated_at).date(), a))
    sources = observation_sources(current_user, child)
    stmt = (
        sa.select(ChildObservation)
        .where(ChildObservation.child_id == child.id)
        .options(joinedload(ChildObservation.author).lazyload("*"))
    )
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
        chart=_chart(agreed),
        records_joint=can(current_user, Action.RECORD_JOINT, child),
        catalogue=catalogue,
        lang=lang(),
    )


def _chart(agreed: Sequence[JointAssessment]) -> list[dict[str, int | str]]:
    """Points for a small server-rendered SVG: one per round, y by position."""
    points = []
    for i, j in enumerate(agreed):
        points.append(
            {
                "x": 40 + i * 90,
                "y": 20 + (2 - j.agreed_position.severity) * 30,
                "position": j.agreed_position.value,
                "label": j.round.name,
            }
        )
    return points
