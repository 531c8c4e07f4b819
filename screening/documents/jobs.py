"""Background PDF jobs: a combined PDF is built in a thread while the browser follows its
progress. The job row is the only shared state, so any worker process can answer the
progress and download requests."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.engine import CursorResult

from reports.letters import invitations
from reports.plans import action_plans
from screening.core.db import utcnow
from screening.core.extensions import db
from screening.documents import queries as reports
from screening.documents.models import JobStatus, ReportJob
from screening.org.models import Institution
from screening.paths.models import Meeting
from screening.rounds.models import ScreeningRound

log = logging.getLogger(__name__)
KEEP_FOR = timedelta(hours=1)
_running: set[threading.Thread] = set()


def create(kind: str, params: dict[str, Any], user_id: int, total: int, filename: str) -> ReportJob:
    job = ReportJob(
        token=secrets.token_urlsafe(18),
        kind=kind,
        params=params,
        user_id=user_id,
        total=total,
        filename=filename,
    )
    db.session.add(job)
    db.session.flush()
    return job


def start(job_id: int) -> threading.Thread:
    """Run the job in a thread (the job row must be committed first)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=run, args=(app, job_id), daemon=True, name=f"report-job-{job_id}"
    )
    _running.add(thread)
    thread.start()
    return thread


def wait_all(timeout: float = 60) -> None:
    """Wait for jobs still running in this process (used at shutdown and by tests)."""
    for thread in list(_running):
        thread.join(timeout)


def run(app: Flask, job_id: int) -> None:
    try:
        _run(app, job_id)
    finally:
        _running.discard(threading.current_thread())


def _run(app: Flask, job_id: int) -> None:
    with app.app_context():
        job = db.session.get_one(ReportJob, job_id)
        job.status = JobStatus.RUNNING
        db.session.commit()
        try:
            job.pdf = BUILDERS[job.kind](job, _progress(job.id))
            job.status = JobStatus.DONE
            job.done = job.total
        except Exception:  # the job fails visibly; the log names the job, never a child
            log.exception("report job %s (%s) failed", job.id, job.kind)
            db.session.rollback()
            job = db.session.get_one(ReportJob, job_id)
            job.status = JobStatus.FAILED
            job.error = "build failed"
        job.finished_at = utcnow()
        db.session.commit()
        db.session.remove()


def _progress(job_id: int) -> Callable[[int], None]:
    def update(n: int) -> None:
        # A short separate transaction, so the browser sees progress while we work.
        with db.engine.begin() as conn:
            conn.execute(sa.update(ReportJob).where(ReportJob.id == job_id).values(done=n))

    return update


def _meeting_invitations(job: ReportJob, progress: Callable[[int], None]) -> bytes:
    meeting = db.session.get_one(Meeting, job.params["meeting_id"])
    today = date.fromisoformat(job.params["today"])
    lh = reports.letterhead(today, job.params.get("logo"))
    allowed = job.params.get("participant_ids")  # decided by the policy when it was started
    letters = reports.meeting_letters(meeting, lh, today, allowed)
    return bytes(invitations(lh, letters, progress))


def _round_plans(job: ReportJob, progress: Callable[[int], None]) -> bytes:
    round_ = db.session.get_one(ScreeningRound, job.params["round_id"])
    institution = db.session.get_one(Institution, job.params["institution_id"])
    today = date.fromisoformat(job.params["today"])
    lh = reports.letterhead(today, job.params.get("logo"))
    data = [reports.plan_data(path, today) for path in reports.round_plans(round_, institution)]
    return bytes(action_plans(lh, data, progress))


BUILDERS: dict[str, Callable[[ReportJob, Callable[[int], None]], bytes]] = {
    "meeting_invitations": _meeting_invitations,
    "round_plans": _round_plans,
}


def purge_expired() -> int:
    """Forget finished PDFs after an hour (they hold personal data)."""
    result = db.session.execute(
        sa.update(ReportJob)
        .where(ReportJob.pdf.is_not(None), ReportJob.finished_at < utcnow() - KEEP_FOR)
        .values(pdf=None)
    )
    return cast(CursorResult[Any], result).rowcount or 0
