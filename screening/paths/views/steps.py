"""The action path's page: steps and deadlines, the duty-to-notify assessment (Barnets lov
§ 133: recorded, never decided or sent by the product), tovholder and escalation level,
follow-ups, closing, and the action plan."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from forms.common import form_version
from forms.paths import (
    PLAN_MAX_ACTIONS,
    CloseForm,
    CoordinatorForm,
    FollowUpForm,
    NotifyForm,
    PlanForm,
    StepDoneForm,
)
from screening.catalogue.services import templates_for
from screening.core import audit, flow
from screening.core.access import authorize, load
from screening.core.errors import DomainError
from screening.core.flow import CONFLICT_CODES, conflict_rows
from screening.core.i18n import lang
from screening.core.policy import Action, can
from screening.core.time import local_today
from screening.paths import books, plans
from screening.paths import services as svc
from screening.paths.models import ActionPath, ActionStep, StepKind
from screening.paths.views.blueprint import bp


def _coordinator_form(
    p: ActionPath, formdata: MultiDict[str, Any] | None = None
) -> CoordinatorForm:
    form = CoordinatorForm(formdata=formdata, obj=p)
    form.coordinator_id.choices = [SelectChoice(u.id, u.name) for u in svc.daycare_staff(p.child)]
    form.escalation_level.choices = [
        SelectChoice(n, f"{n}. {da if lang() == 'da' else en}")
        for n, da, en in templates_for(p).escalation_levels
    ]
    return form


def render_path(
    p: ActionPath,
    *,
    coordinator_form: CoordinatorForm | None = None,
    follow_up_form: FollowUpForm | None = None,
    close_form: CloseForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The path page; a form that failed is passed in so it shows what was typed."""
    today = local_today()
    if follow_up_form is None:
        follow_up_form = FollowUpForm(formdata=None)
        follow_up_form.held_on.data = today
    audit.record("path.view", "action_path", p.id, child_id=p.child_id)
    return render_template(
        "paths/path.html",
        path=p,
        templates=templates_for(p),
        today=today,
        lang=lang(),
        step_form=StepDoneForm(formdata=None),
        coordinator_form=coordinator_form or _coordinator_form(p),
        follow_up_form=follow_up_form,
        close_form=close_form or CloseForm(formdata=None),
        follow_ups=svc.follow_ups_of(p),
        meetings=svc.meetings_of(p),
        plan=plans.plan_for(p),
        decisions=svc.notify_decisions_of(p),
        can_close=svc.can_close(p),
        may_manage=can(current_user, Action.MANAGE_PATHS, p) and p.is_open,
    ), status


def _choice_label(field: Any, value: object) -> str:
    return next((str(c.label) for c in field.choices if c.value == value), "")


def _day(value: date | None) -> str:
    return value.strftime("%d-%m-%Y") if value else ""


def _step_of(p: ActionPath, step_id: int, action: Action) -> ActionStep:
    step = load(ActionStep, step_id, action)
    if step.path_id != p.id:
        abort(404)
    return step


@bp.route("/paths/<int:path_id>")
def path(path_id: int) -> ResponseReturnValue:
    return render_path(load(ActionPath, path_id, Action.VIEW_PATHS))


@bp.route("/paths/<int:path_id>/steps/<int:step_id>/done", methods=["POST"])
def step_done(path_id: int, step_id: int) -> ResponseReturnValue:
    p = load(ActionPath, path_id, Action.MANAGE_PATHS)
    step = _step_of(p, step_id, Action.MANAGE_PATHS)
    form = StepDoneForm()
    here = url_for("paths.path", path_id=p.id)
    if not form.validate_on_submit():
        return redirect(here)
    if step.kind == StepKind.NOTIFY:
        return redirect(url_for("paths.notify", path_id=p.id, step_id=step.id))
    return flow.perform(
        lambda: svc.complete_step(step, current_user, local_today(), form.note.data or ""),
        record=lambda _next: audit.record(
            "path.step_done", "action_step", step.id, child_id=p.child_id, step=step.key
        ),
        success=_("Trinnet er markeret som udført."),
        redirect_to=here,
    )


@bp.route("/paths/<int:path_id>/steps/<int:step_id>/notify", methods=["GET", "POST"])
def notify(path_id: int, step_id: int) -> ResponseReturnValue:
    """The assessment of the duty to notify: recorded, never decided or sent by the product."""
    p = load(ActionPath, path_id, Action.VIEW_PATHS)
    step = _step_of(p, step_id, Action.VIEW_PATHS)
    if step.kind != StepKind.NOTIFY:
        abort(404)
    existing = svc.notify_decision(step)
    form = NotifyForm(obj=existing)
    if request.method == "GET" and existing is None:
        form.decided_on.data = local_today()
    if request.method == "GET":
        form.version.data = str(existing.version if existing else 0)

    def page(error: object = None) -> ResponseReturnValue:
        nonlocal existing
        changes: list[tuple[str, str, str]] = []
        if isinstance(error, DomainError) and error.code in CONFLICT_CODES:
            existing = svc.notify_decision(step)  # what the other one saved
            if existing is not None:
                form.version.data = str(existing.version)
                changes = conflict_rows(
                    [
                        (
                            form.decision,
                            _choice_label(form.decision, existing.decision.value),
                            _choice_label(form.decision, form.decision.data),
                        ),
                        (form.reasoning, existing.reasoning, form.reasoning.data),
                        (form.decided_on, _day(existing.decided_on), _day(form.decided_on.data)),
                        (form.sent_on, _day(existing.sent_on), _day(form.sent_on.data)),
                    ]
                )
        audit.record("path.notify_open", "action_step", step.id, child_id=p.child_id)
        return render_template(
            "paths/notify.html",
            path=p,
            step=step,
            form=form,
            decision=existing,
            changes=changes,
            may_decide=can(current_user, Action.DECIDE_NOTIFY, p),
        ), (400 if form.errors or error is not None else 200)

    if form.is_submitted():
        authorize(p, Action.DECIDE_NOTIFY)
    if not form.validate_on_submit():
        return page()
    sent_on = form.sent_on.data
    return flow.perform(
        lambda: svc.record_notify_decision(
            step,
            current_user,
            decision=form.decision.data,
            reasoning=form.reasoning.data,
            decided_on=form.decided_on.data,
            sent_on=sent_on,
            sent_by=current_user if sent_on else None,
            expected_version=form_version(form.version.data),
        ),
        record=lambda _row: audit.record(
            "path.notify_decision",
            "action_step",
            step.id,
            child_id=p.child_id,
            decision=form.decision.data,
            sent=bool(sent_on),
        ),
        success=_("Vurderingen af underretningspligten er registreret."),
        redirect_to=url_for("paths.path", path_id=p.id),
        failed=page,
    )


@bp.route("/paths/<int:path_id>/coordinator", methods=["POST"])
def set_coordinator(path_id: int) -> ResponseReturnValue:
    p = load(ActionPath, path_id, Action.MANAGE_PATHS)
    form = _coordinator_form(p, formdata=request.form)
    if not form.validate_on_submit():
        flash(_("Vælg en tovholder og et niveau."), "error")
        return render_path(p, coordinator_form=form, status=400)
    return flow.perform(
        lambda: svc.set_coordinator(
            p,
            form.coordinator_id.data,
            form.escalation_level.data,
            expected_version=form_version(form.version.data),
        ),
        record=lambda _none: audit.record(
            "path.coordinator", "action_path", p.id, child_id=p.child_id, level=p.escalation_level
        ),
        success=_("Handlevejen er opdateret."),
        redirect_to=url_for("paths.path", path_id=p.id),
    )


@bp.route("/paths/<int:path_id>/follow-ups", methods=["POST"])
def follow_up(path_id: int) -> ResponseReturnValue:
    p = load(ActionPath, path_id, Action.MANAGE_PATHS)
    form = FollowUpForm()
    if not form.validate_on_submit():
        flash(_("Opfølgningen er ikke gemt: vælg dato og udvikling."), "error")
        return render_path(p, follow_up_form=form, status=400)
    return flow.perform(
        lambda: books.add_follow_up(
            p,
            current_user,
            held_on=form.held_on.data,
            progress=form.progress.data,
            note=form.note.data or "",
            next_step=form.next_step.data or "",
        ),
        record=lambda fu: audit.record("path.follow_up", "follow_up", fu.id, child_id=p.child_id),
        success=_("Opfølgningen er gemt."),
        redirect_to=url_for("paths.path", path_id=p.id),
    )


@bp.route("/paths/<int:path_id>/close", methods=["POST"])
def close(path_id: int) -> ResponseReturnValue:
    p = load(ActionPath, path_id, Action.MANAGE_PATHS)
    form = CloseForm()
    if not form.validate_on_submit():
        return render_path(p, close_form=form, status=400)
    return flow.perform(
        lambda: svc.close_path(p, current_user, local_today(), form.note.data),
        record=lambda _none: audit.record("path.close", "action_path", p.id, child_id=p.child_id),
        success=_("Handlevejen er afsluttet."),
        redirect_to=url_for("paths.path", path_id=p.id),
        failed=lambda _error: render_path(p, close_form=form, status=400),
    )


# Action plan ---------------------------------------------------------------------------------


@bp.route("/paths/<int:path_id>/plan", methods=["GET", "POST"])
def plan(path_id: int) -> ResponseReturnValue:
    p = load(ActionPath, path_id, Action.VIEW_PATHS)
    existing = plans.plan_for(p)
    today = local_today()
    months = p.child.age_in_months(today)
    offers = plans.offers_for_age(months)
    if existing:
        offers = sorted({*offers, *existing.offers}, key=lambda o: (o.staircase_step, o.name))
    form = PlanForm(obj=existing)
    form.offers.choices = [
        SelectChoice(o.id, _("%(name)s (trin %(step)d)", name=o.name, step=o.staircase_step))
        for o in offers
    ]
    if request.method == "GET":
        form.version.data = str(existing.version if existing else 0)
    if request.method == "GET" and existing is not None:
        form.offers.data = [o.id for o in existing.offers]
        for entry, item in zip(form.items, existing.items, strict=False):
            entry.what.data, entry.who.data, entry.by_when.data = (
                item.what,
                item.who,
                item.by_when,
            )
    if form.is_submitted():
        authorize(p, Action.MANAGE_PATHS)

    def plan_page(error: DomainError | None) -> ResponseReturnValue:
        nonlocal existing
        changes: list[tuple[str, str, str]] = []
        if error is not None and error.code in CONFLICT_CODES:
            existing = plans.plan_for(p)  # what the other one saved
            if existing is not None:
                form.version.data = str(existing.version)
                typed_items = "\n".join(e.what.data.strip() for e in form.items if e.what.data)
                changes = conflict_rows(
                    [
                        (form.resources, existing.resources, form.resources.data),
                        (form.concerns, existing.concerns, form.concerns.data),
                        (form.goals, existing.goals, form.goals.data),
                        (
                            form.parents_perspective,
                            existing.parents_perspective,
                            form.parents_perspective.data,
                        ),
                        (
                            form.child_perspective,
                            existing.child_perspective,
                            form.child_perspective.data,
                        ),
                        (
                            form.evaluation_on,
                            _day(existing.evaluation_on),
                            _day(form.evaluation_on.data),
                        ),
                        (
                            form.items,
                            "\n".join(i.what for i in existing.items),
                            typed_items,
                        ),
                    ]
                )
        if request.method == "GET":
            audit.record("plan.view", "action_path", p.id, child_id=p.child_id)
        # Room for more actions: a few empty rows, up to the most a plan may have.
        rows = min(len([e for e in form.items if e.what.data]) + 3, PLAN_MAX_ACTIONS)
        while len(form.items) < rows:
            form.items.append_entry()
        return render_template(
            "paths/plan.html",
            path=p,
            form=form,
            plan=existing,
            changes=changes,
            may_manage=can(current_user, Action.MANAGE_PATHS, p),
        ), (400 if form.is_submitted() else 200)

    if form.validate_on_submit():
        return flow.perform(
            lambda: books.save_plan(
                p,
                current_user,
                today,
                resources=form.resources.data or "",
                concerns=form.concerns.data or "",
                goals=form.goals.data,
                parents_perspective=form.parents_perspective.data or "",
                child_perspective=form.child_perspective.data or "",
                evaluation_on=form.evaluation_on.data,
                items=[
                    plans.PlanItemInput(e.what.data or "", e.who.data or "", e.by_when.data)
                    for e in form.items
                ],
                offer_ids=form.offers.data,
                expected_version=form_version(form.version.data),
            ),
            record=lambda saved: audit.record(
                "plan.save", "action_plan", saved.id, child_id=p.child_id
            ),
            success=_("Handleplanen er gemt."),
            redirect_to=url_for("paths.plan", path_id=p.id),
            failed=lambda error: plan_page(error),
        )
    return plan_page(None)
