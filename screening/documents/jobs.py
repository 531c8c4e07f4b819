"""Background PDF jobs: a combined PDF is built by a task-queue consumer (Huey, see
`screening.core.queue`) while the browser follows its progress. The job row is the only
shared state, so any web worker can answer the progress and download requests, and any
consumer can pick the job up again.

A job shows signs of life (`heartbeat_at`) with each document. A job whose consumer died
(killed, machine restarted) stops showing them: housekeeping (`recover_stale`) queues it
again, at most `MAX_ATTEMPTS` times in all, and then marks it failed; a job no consumer
ever started is marked failed after `JOB_GIVE_UP_AFTER`. The progress page reads the same
limits (`shown_status`), so the browser's bar never spins forever, even with no consumer
running at all.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import CursorResult

from screening.core import queue
from screening.core.db import utcnow
from screening.core.extensions import db
from screening.documents.action_plans import plan_data, round_plans
from screening.documents.common import document_language, letterhead
from screening.documents.letters import meeting_letters
from screening.documents.models import JobStatus, ReportJob
from screening.org.models import Institution
from screening.paths.models import Meeting
from screening.rounds.models import ScreeningRound

log = logging.getLogger(__name__)
KEEP_FOR = timedelta(hours=1)
MAX_ATTEMPTS = 3
TASK = "report_job"

# Why a job failed (stored in `ReportJob.error`; the page shows the Danish message).
BUILD_FAILED = "build_failed"
WORKER_LOST = "worker_lost"
NOT_STARTED = "not_started"


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


def start(job_id: int) -> None:
    """Queue the job (its row must be committed first: a consumer reads it)."""
    queue.enqueue(TASK, job_id)


def _limit(name: str, default: timedelta) -> timedelta:
    value = current_app.config.get(name)
    return value if isinstance(value, timedelta) else default


def stale_after() -> timedelta:
    """A running job with no sign of life for this long has lost its consumer."""
    return _limit("JOB_STALE_AFTER", timedelta(minutes=2))


def give_up_after() -> timedelta:
    """A job no consumer has finished this long after it was queued has failed."""
    return _limit("JOB_GIVE_UP_AFTER", timedelta(minutes=15))


def run(job_id: int) -> None:
    """The task: build the job's PDF. A finished job is left alone (a task run twice, or
    a job already given up, builds nothing)."""
    job = db.session.get(ReportJob, job_id)
    if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
        return
    job.status = JobStatus.RUNNING
    job.attempts += 1
    job.heartbeat_at = utcnow()
    db.session.commit()
    try:
        pdf = BUILDERS[job.kind](job, _progress(job.id))
    except Exception:
        # The log names the job, never a child. Retried by the queue while attempts last.
        log.exception("report job %s (%s) failed (attempt %s)", job.id, job.kind, job.attempts)
        db.session.rollback()
        job = db.session.get_one(ReportJob, job_id)
        if job.attempts < MAX_ATTEMPTS:
            job.status = JobStatus.QUEUED
            db.session.commit()
            raise
        _fail(job, BUILD_FAILED)
        db.session.commit()
        return
    job.pdf = pdf
    job.status = JobStatus.DONE
    job.done = job.total
    job.finished_at = utcnow()
    db.session.commit()


def _fail(job: ReportJob, reason: str) -> None:
    job.status = JobStatus.FAILED
    job.error = reason
    job.finished_at = utcnow()


def _alive_at(job: ReportJob) -> datetime:
    return job.heartbeat_at or job.created_at


def shown_status(job: ReportJob, now: datetime | None = None) -> tuple[JobStatus, str]:
    """The status and failure reason the browser is shown: a job past its limits counts as
    failed even before housekeeping has written so."""
    now = now or utcnow()
    if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        if job.created_at < now - give_up_after():
            return JobStatus.FAILED, NOT_STARTED if job.attempts == 0 else WORKER_LOST
        if (
            job.status == JobStatus.RUNNING
            and job.attempts >= MAX_ATTEMPTS
            and _alive_at(job) < now - stale_after()
        ):
            return JobStatus.FAILED, WORKER_LOST
    return job.status, job.error


def recover_stale(now: datetime | None = None) -> tuple[int, int]:
    """Housekeeping: queue running jobs that lost their consumer again, or mark them
    failed when their attempts are used up; fail jobs past `give_up_after`. Returns
    (queued again, failed)."""
    now = now or utcnow()
    requeued = failed = 0
    open_jobs = db.session.scalars(
        sa.select(ReportJob)
        .where(ReportJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        .with_for_update(skip_locked=True)
    ).all()
    again: list[int] = []
    for job in open_jobs:
        status, reason = shown_status(job, now)
        if status == JobStatus.FAILED:
            _fail(job, reason)
            failed += 1
        elif job.status == JobStatus.RUNNING and _alive_at(job) < now - stale_after():
            log.warning("report job %s lost its consumer; queued again", job.id)
            job.status = JobStatus.QUEUED
            job.heartbeat_at = now
            again.append(job.id)
            requeued += 1
    db.session.commit()  # the consumer reads the rows: commit before queueing
    for job_id in again:
        start(job_id)
    return requeued, failed


def _progress(job_id: int) -> Callable[[int], None]:
    def update(n: int) -> None:
        # A short separate transaction, so the browser sees progress while we work.
        with db.engine.begin() as conn:
            conn.execute(
                sa.update(ReportJob)
                .where(ReportJob.id == job_id)
                .values(done=n, heartbeat_at=utcnow())
            )

    return update


def _meeting_invitations(job: ReportJob, progress: Callable[[int], None]) -> bytes:
    meeting = db.session.get_one(Meeting, job.params["meeting_id"])
    today = date.fromisoformat(job.params["today"])
    lh = letterhead(today, job.params.get("logo"), document_language(job.params.get("lang", "da")))
    allowed = job.params.get("participant_ids")  # decided by the policy when it was started
    letters = meeting_letters(meeting, lh, today, allowed)
    from reports.letters import invitations  # ReportLab: in the consumer, not the web worker

    return bytes(invitations(lh, letters, progress))


def _round_plans(job: ReportJob, progress: Callable[[int], None]) -> bytes:
    round_ = db.session.get_one(ScreeningRound, job.params["round_id"])
    institution = db.session.get_one(Institution, job.params["institution_id"])
    today = date.fromisoformat(job.params["today"])
    lh = letterhead(today, job.params.get("logo"), document_language(job.params.get("lang", "da")))
    data = [plan_data(path, today, lh.language) for path in round_plans(round_, institution)]
    from reports.plans import action_plans  # ReportLab: in the consumer, not the web worker

    return bytes(action_plans(lh, data, progress))


BUILDERS: dict[str, Callable[[ReportJob, Callable[[int], None]], bytes]] = {
    "meeting_invitations": _meeting_invitations,
    "round_plans": _round_plans,
}


def expired(job: ReportJob, now: datetime | None = None) -> bool:
    """A finished PDF older than `KEEP_FOR` is not handed out (housekeeping forgets it)."""
    return job.finished_at is not None and job.finished_at < (now or utcnow()) - KEEP_FOR


def purge_expired() -> int:
    """Forget finished PDFs after an hour (they hold personal data)."""
    result = db.session.execute(
        sa.update(ReportJob)
        .where(ReportJob.pdf.is_not(None), ReportJob.finished_at < utcnow() - KEEP_FOR)
        .values(pdf=None)
    )
    return cast(CursorResult[Any], result).rowcount or 0
