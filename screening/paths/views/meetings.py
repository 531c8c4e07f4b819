"""Meetings (forældresamtale, tværfagligt møde, netværksmøde) with the consent gate for
professionals from outside the daycare, and the consents (samtykker) themselves."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from forms.common import EmptyForm, form_version
from forms.paths import (
    PROFESSION_LABELS,
    ConsentForm,
    InviteExternalForm,
    InviteGuardianForm,
    InviteStaffForm,
    MeetingForm,
    MinutesForm,
)
from screening.accounts.models import User
from screening.children.models import Child
from screening.core import audit, flow
from screening.core.access import authorize, load
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.core.flow import CONFLICT_CODES, conflict_rows
from screening.core.i18n import lang
from screening.core.models import Outcome
from screening.core.policy import Action, can
from screening.core.time import LOCAL_TZ, local_to_utc, local_today
from screening.paths import books, meetings
from screening.paths import services as svc
from screening.paths.models import ActionPath, ActionStep, Consent, Meeting, MeetingParticipant
from screening.paths.views.blueprint import bp

InviteForms = tuple[InviteGuardianForm, InviteStaffForm, InviteExternalForm]


def _step_title(step: ActionStep) -> str:
    return step.title_en if lang() == "en" else step.title_da


@bp.route("/paths/<int:path_id>/meetings/new", methods=["GET", "POST"])
def new_meeting(path_id: int) -> ResponseReturnValue:
    p = load(ActionPath, path_id, Action.MANAGE_PATHS)
    form = MeetingForm()
    if not form.validate_on_submit():
        return render_template("paths/meeting_form.html", path=p, form=form), (
            400 if form.errors else 200
        )
    return flow.perform(
        lambda: meetings.create_meeting(
            p,
            current_user,
            kind=form.kind.data,
            starts_at=local_to_utc(form.starts_at.data),
            place=form.place.data,
            purpose=form.purpose.data,
            agenda=form.agenda.data or "",
        ),
        record=lambda m: audit.record("meeting.create", "meeting", m.id, child_id=p.child_id),
        success=_("Mødet er oprettet. Inviter deltagerne."),
        redirect_to=lambda m: url_for("paths.meeting", meeting_id=m.id),
    )


def _invite_forms(meeting: Meeting, formdata: MultiDict[str, Any] | None = None) -> InviteForms:
    """The invitation forms. The page offers only who is not invited yet; a submitted form
    may name someone invited meanwhile (another tap or session): that answers as the first
    invitation did, with no second participant."""
    child = meeting.path.child
    invited_guardians = {pt.guardian_id for pt in meeting.participants if pt.guardian_id}
    invited_users = {pt.user_id for pt in meeting.participants if pt.user_id}
    if formdata is not None:
        invited_guardians, invited_users = set(), set()
    guardian_form = InviteGuardianForm(formdata=formdata, prefix="guardian")
    guardian_form.guardian_id.choices = [
        SelectChoice(gl.guardian_id, gl.guardian.name)
        for gl in child.guardian_links
        if gl.guardian_id not in invited_guardians
    ]
    staff_form = InviteStaffForm(formdata=formdata, prefix="staff")
    staff_form.user_id.choices = [
        SelectChoice(u.id, u.name) for u in svc.daycare_staff(child) if u.id not in invited_users
    ]
    external_form = InviteExternalForm(formdata=formdata, prefix="external")
    return guardian_form, staff_form, external_form


@bp.route("/meetings/<int:meeting_id>", methods=["GET", "POST"])
def meeting(meeting_id: int) -> ResponseReturnValue:
    m = load(Meeting, meeting_id, Action.VIEW_PATHS)
    form = MinutesForm(obj=m)
    if form.is_submitted():
        authorize(m, Action.MANAGE_PATHS)
    if not form.validate_on_submit():
        return _render_meeting(m, form)
    return flow.perform(
        lambda: books.save_minutes(
            m,
            current_user,
            local_today(),
            minutes=form.minutes.data or "",
            decisions=form.decisions.data or "",
            expected_version=form_version(form.version.data),
        ),
        record=lambda _none: audit.record(
            "meeting.minutes", "meeting", m.id, child_id=m.path.child_id
        ),
        success=lambda done: (
            _("Referatet er gemt, og trinnet »%(step)s« er udført.", step=_step_title(done))
            if done
            else _("Referatet er gemt.")
        ),
        redirect_to=url_for("paths.meeting", meeting_id=m.id),
        failed=lambda error: _minutes_refused(m, form, error),
    )


def _minutes_refused(m: Meeting, form: MinutesForm, error: DomainError) -> ResponseReturnValue:
    """The meeting page again with what was typed; after a colleague saved meanwhile, what
    is saved now beside it (and the form at the new version, so saving again applies it)."""
    changes: list[tuple[str, str, str]] = []
    if error.code in CONFLICT_CODES:
        form.version.data = str(m.version)
        changes = conflict_rows(
            [
                (form.minutes, m.minutes, form.minutes.data),
                (form.decisions, m.decisions, form.decisions.data),
            ]
        )
    return _render_meeting(m, form, status=400, changes=changes)


def _render_meeting(
    m: Meeting,
    form: MinutesForm | None = None,
    forms: InviteForms | None = None,
    status: int = 200,
    changes: list[tuple[str, str, str]] | None = None,
) -> ResponseReturnValue:
    guardian_form, staff_form, external_form = forms or _invite_forms(m)
    today = local_today()
    consent_status = {
        key: meetings.covering_consent(m.path.child_id, key, today) for key in PROFESSION_LABELS
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
        suggested=svc.suggested_professions(m.path),
        consent_status=consent_status,
        profession_labels=PROFESSION_LABELS,
        may_manage=can(current_user, Action.MANAGE_PATHS, m),
        local_tz=LOCAL_TZ,
        changes=changes or [],
    ), status


@bp.route("/meetings/<int:meeting_id>/participants", methods=["POST"])
def invite(meeting_id: int) -> ResponseReturnValue:
    m = load(Meeting, meeting_id, Action.MANAGE_PATHS)
    kind = request.form.get("kind")
    forms = _invite_forms(m, formdata=request.form)
    guardian_form, staff_form, external_form = forms

    def invited(_participant: MeetingParticipant) -> None:
        audit.record("meeting.invite", "meeting", m.id, child_id=m.path.child_id, kind=kind)

    def refused(error: DomainError) -> ResponseReturnValue:
        audit.refused(
            "meeting.invite_external",
            "meeting",
            m.id,
            outcome=Outcome.INVALID,
            child_id=m.path.child_id,
            profession=external_form.profession.data,
        )
        return _render_meeting(m, forms=forms, status=400)

    here = url_for("paths.meeting", meeting_id=m.id)
    success = _("Deltageren er inviteret.")
    if kind == "guardian" and guardian_form.validate_on_submit():
        link = next(
            gl
            for gl in m.path.child.guardian_links
            if gl.guardian_id == guardian_form.guardian_id.data
        )
        call = lambda: meetings.invite_guardian(m, link.guardian)  # noqa: E731
    elif kind == "staff" and staff_form.validate_on_submit():
        staff = db.get_or_404(User, staff_form.user_id.data)
        call = lambda: meetings.invite_staff(m, staff)  # noqa: E731
    elif kind == "external" and external_form.validate_on_submit():
        call = lambda: meetings.invite_external(  # noqa: E731
            m,
            name=external_form.name.data,
            profession=external_form.profession.data,
            organisation=external_form.organisation.data or "",
            email=external_form.email.data or "",
            legal_basis=external_form.legal_basis.data or "",
            on=local_today(),
        )
    else:
        flash(_("Deltageren er ikke inviteret. Tjek felterne."), "error")
        return _render_meeting(m, forms=forms, status=400)
    return flow.perform(
        call,
        record=invited,
        success=success,
        redirect_to=here,
        fields={"no_consent_or_legal_basis": external_form.legal_basis},
        failed=refused,
    )


# Consents -----------------------------------------------------------------------------------


@bp.route("/children/<int:child_id>/consents", methods=["GET", "POST"])
def consents(child_id: int) -> ResponseReturnValue:
    child = load(Child, child_id, Action.VIEW_PATHS)
    today = local_today()
    form = ConsentForm()
    form.guardian_id.choices = [
        SelectChoice(gl.guardian_id, gl.guardian.name)
        for gl in child.guardian_links
        if gl.has_custody
    ]
    if request.method == "GET":
        form.given_on.data = today
    if form.is_submitted():
        authorize(child, Action.MANAGE_PATHS)

    def page(error: object = None) -> ResponseReturnValue:
        audit.record("consent.list", "child", child.id, child_id=child.id)
        return render_template(
            "paths/consents.html",
            child=child,
            form=form,
            consents=meetings.consents_of(child),
            today=today,
            profession_labels=PROFESSION_LABELS,
            open_path=svc.open_path_for(child.id),
            withdraw_form=EmptyForm(prefix="withdraw"),
            may_manage=can(current_user, Action.MANAGE_PATHS, child),
        ), (400 if form.errors else 200)

    if not form.validate_on_submit():
        return page()
    guardian = next(
        gl.guardian for gl in child.guardian_links if gl.guardian_id == form.guardian_id.data
    )
    return flow.perform(
        lambda: meetings.record_consent(
            child,
            guardian,
            current_user,
            information_kinds=form.information_kinds.data,
            recipients=form.recipients.data,
            purpose=form.purpose.data,
            given_on=form.given_on.data,
        ),
        record=lambda consent: audit.record(
            "consent.record", "consent", consent.id, child_id=child.id
        ),
        success=_("Samtykket er registreret."),
        redirect_to=url_for("paths.consents", child_id=child.id),
        failed=page,
    )


@bp.route("/consents/<int:consent_id>/withdraw", methods=["POST"])
def withdraw(consent_id: int) -> ResponseReturnValue:
    consent = load(Consent, consent_id, Action.MANAGE_PATHS)
    form = EmptyForm(prefix="withdraw")
    here = url_for("paths.consents", child_id=consent.child_id)
    if not form.validate_on_submit():
        return redirect(here)
    return flow.perform(
        lambda: meetings.withdraw_consent(consent, current_user, local_today()),
        record=lambda _none: audit.record(
            "consent.withdraw", "consent", consent.id, child_id=consent.child_id
        ),
        success=_(
            "Samtykket er trukket tilbage. Der deles ikke flere oplysninger på baggrund af det."
        ),
        redirect_to=here,
    )
