"""PDF downloads and background PDF jobs. Every download is written to the audit trail."""

from __future__ import annotations

import io
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from forms.common import EmptyForm
from reports.data import GuardianRecipient
from screening.children.models import Child, Guardian
from screening.core import audit
from screening.core.access import authorize, load, require
from screening.core.extensions import db
from screening.core.policy import Action, can
from screening.core.time import local_today
from screening.documents import action_plans, jobs
from screening.documents.common import document_language, letterhead
from screening.documents.letters import meeting_letter
from screening.documents.models import JobStatus, ReportJob
from screening.documents.overviews import municipal_overview_data, round_overview_data
from screening.documents.parents_copy import parents_copy_data
from screening.org.models import Institution
from screening.paths.models import ActionPath, Meeting, MeetingParticipant
from screening.rounds.models import ScreeningRound

if TYPE_CHECKING:
    from reports.base import Letterhead

# The PDF builders (ReportLab, about 5 MB and a tenth of a second) are imported by the
# routes that build a PDF, not when a web worker starts (issue 17).

bp = Blueprint("documents", __name__)


def _pdf(content: bytes, filename: str) -> Response:
    return send_file(
        io.BytesIO(content),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=filename,
        max_age=0,
    )


def _lh(today: date) -> Letterhead:
    """The documents' header, in the reader's language (English when chosen)."""
    return letterhead(today, current_app.config.get("MUNICIPALITY_LOGO"), document_language())


@bp.route("/meetings/<int:meeting_id>/participants/<int:participant_id>/letter.pdf")
def letter(meeting_id: int, participant_id: int) -> ResponseReturnValue:
    meeting = load(Meeting, meeting_id, Action.VIEW_PATHS)
    pt = db.session.get(MeetingParticipant, participant_id)
    if pt is None or pt.meeting_id != meeting.id or pt.kind.value == "staff":
        abort(404)  # colleagues get no letter
    authorize(pt, Action.DOWNLOAD_LETTER)
    from reports.letters import guardian_letter, professional_letter

    today = local_today()
    lh = _lh(today)
    info, child, to = meeting_letter(pt, lh, today)
    content = (
        guardian_letter(lh, info, child, to)
        if isinstance(to, GuardianRecipient)
        else professional_letter(lh, info, child, to)
    )
    audit.record(
        "pdf.download",
        "meeting",
        meeting.id,
        child_id=meeting.path.child_id,
        document="invitation",
        participant=pt.id,
    )
    return _pdf(content, f"invitation-{meeting.id}-{pt.id}.pdf")


@bp.route("/paths/<int:path_id>/plan.pdf")
def plan_pdf(path_id: int) -> ResponseReturnValue:
    load(ActionPath, path_id, Action.VIEW_PATHS)
    path = action_plans.load_path(path_id) or abort(404)
    from reports.plans import action_plan

    today = local_today()
    lh = _lh(today)
    content = action_plan(lh, action_plans.plan_data(path, today, lh.language))
    audit.record(
        "pdf.download", "action_path", path.id, child_id=path.child_id, document="action_plan"
    )
    return _pdf(content, f"handleplan-{path.id}.pdf")


@bp.route("/rounds/<int:round_id>/institutions/<int:institution_id>/overview.pdf")
def round_overview_pdf(round_id: int, institution_id: int) -> ResponseReturnValue:
    round_ = db.get_or_404(ScreeningRound, round_id)
    inst = load(Institution, institution_id, Action.ROUND_OVERVIEW)
    if not round_.covers(inst.id):
        abort(404)
    from reports.overviews import round_overview

    today = local_today()
    lh = _lh(today)
    content = round_overview(lh, round_overview_data(round_, inst, today, lh.language))
    audit.record(
        "pdf.download", "institution", inst.id, document="round_overview", round_id=round_.id
    )
    return _pdf(content, f"rundeoversigt-{round_.id}-{inst.id}.pdf")


@bp.route("/rounds/<int:round_id>/municipal.pdf")
def municipal_pdf(round_id: int) -> ResponseReturnValue:
    require(Action.MUNICIPAL_OVERVIEW)
    round_ = db.get_or_404(ScreeningRound, round_id)
    from reports.overviews import municipal_overview

    today = local_today()
    content = municipal_overview(_lh(today), municipal_overview_data(round_, today))
    audit.record("pdf.download", "round", round_.id, document="municipal_overview")
    return _pdf(content, f"kommunal-oversigt-{round_.id}.pdf")


@bp.route("/children/<int:child_id>/guardians/<int:guardian_id>/copy.pdf")
def parents_copy_pdf(child_id: int, guardian_id: int) -> ResponseReturnValue:
    child = load(Child, child_id, Action.PARENTS_COPY)
    guardian = db.session.get(Guardian, guardian_id)
    if guardian is None or guardian_id not in {gl.guardian_id for gl in child.guardian_links}:
        abort(404)
    from reports.parents import parents_copy

    today = local_today()
    lh = _lh(today)
    content = parents_copy(lh, parents_copy_data(child, guardian, today, lh))
    audit.record(
        "pdf.download",
        "child",
        child.id,
        child_id=child.id,
        document="parents_copy",
        guardian=guardian.id,
    )
    return _pdf(content, f"indsigt-{child.id}.pdf")


# Combined PDFs, built in the background ------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/invitations", methods=["POST"])
def meeting_invitations(meeting_id: int) -> ResponseReturnValue:
    meeting = load(Meeting, meeting_id, Action.VIEW_PATHS)
    if not EmptyForm().validate_on_submit():
        abort(400)
    # Only the letters this user may download one by one (`Action.DOWNLOAD_LETTER`).
    allowed = [
        pt.id for pt in meeting.participants if can(current_user, Action.DOWNLOAD_LETTER, pt)
    ]
    job = jobs.create(
        "meeting_invitations",
        _params(meeting_id=meeting.id, participant_ids=allowed),
        current_user.id,
        len(allowed),
        f"invitationer-{meeting.id}.pdf",
    )
    return _start(job, meeting.path.child_id)


@bp.route("/rounds/<int:round_id>/institutions/<int:institution_id>/plans", methods=["POST"])
def round_plans(round_id: int, institution_id: int) -> ResponseReturnValue:
    round_ = db.get_or_404(ScreeningRound, round_id)
    inst = load(Institution, institution_id, Action.VIEW_PATHS)
    if not EmptyForm().validate_on_submit():
        abort(400)
    total = len(action_plans.round_plans(round_, inst))
    job = jobs.create(
        "round_plans",
        _params(round_id=round_.id, institution_id=inst.id),
        current_user.id,
        total,
        f"handleplaner-{round_.id}-{inst.id}.pdf",
    )
    return _start(job, None)


def _params(**kw: Any) -> dict[str, Any]:
    return {
        **kw,
        "today": local_today().isoformat(),
        "logo": current_app.config.get("MUNICIPALITY_LOGO"),
        "lang": document_language().code,  # the documents in the reader's language
    }


def _start(job: ReportJob, child_id: int | None) -> ResponseReturnValue:
    audit.record("pdf.batch_start", "report_job", job.id, child_id=child_id, kind=job.kind)
    # A consumer reads the job row, so it must be committed first: the one place where a
    # view commits itself.
    db.session.commit()
    jobs.start(job.id)
    return redirect(url_for("documents.job", token=job.token))


def _job(token: str) -> ReportJob:
    """A job by its token, for its owner only (404 for anyone else)."""
    job = db.session.scalar(sa.select(ReportJob).where(ReportJob.token == token))
    if job is None or not can(current_user, Action.FOLLOW_JOB, job):
        abort(404)
    return job


@bp.route("/jobs/<token>")
def job(token: str) -> ResponseReturnValue:
    j = _job(token)
    status, reason = jobs.shown_status(j)
    return render_template(
        "documents/job.html",
        job=j,
        status=status.value,
        failure=job_failure_message(reason) if status == JobStatus.FAILED else "",
    )


@bp.route("/jobs/<token>/status")
def job_status(token: str) -> ResponseReturnValue:
    j = _job(token)
    status, reason = jobs.shown_status(j)
    return jsonify(
        status=status.value,
        done=j.done,
        total=j.total,
        error=job_failure_message(reason) if status == JobStatus.FAILED else None,
        download=url_for("documents.job_download", token=j.token)
        if status == JobStatus.DONE and j.pdf and not jobs.expired(j)
        else None,
    )


def job_failure_message(reason: str) -> str:
    if reason == jobs.WORKER_LOST:
        return _("PDF-filen kunne ikke dannes, fordi baggrundsjobbet stoppede. Prøv igen.")
    if reason == jobs.NOT_STARTED:
        return _(
            "PDF-filen blev ikke dannet i tide. Prøv igen senere, eller kontakt kommunens "
            "administrator."
        )
    return _("PDF-filen kunne ikke dannes. Prøv igen, eller kontakt kommunens administrator.")


@bp.route("/jobs/<token>/download")
def job_download(token: str) -> ResponseReturnValue:
    j = _job(token)
    if j.status != JobStatus.DONE or j.pdf is None or jobs.expired(j):
        abort(404)
    audit.record("pdf.download", "report_job", j.id, document=j.kind, **j.params)
    return _pdf(j.pdf, j.filename)
