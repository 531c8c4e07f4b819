"""Housekeeping: `flask housekeeping` for cron, and the same run as a periodic task that a
real consumer process enqueues itself."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from screening.core import queue
from screening.core.db import utcnow
from screening.core.extensions import db
from screening.models import JobStatus, LoginAttempt, ReportJob

from .. import factories as f
from .conftest import wait_until


def _attempt(age):
    db.session.add(
        LoginAttempt(
            email_key="k", remote_addr="127.0.0.1", success=False, attempted_at=utcnow() - age
        )
    )


def _finished_job(user, age):
    job = ReportJob(
        token=f"t{age.total_seconds()}",
        kind="round_plans",
        params={},
        user_id=user.id,
        total=1,
        status=JobStatus.DONE,
        pdf=b"%PDF",
        finished_at=utcnow() - age,
    )
    db.session.add(job)
    return job


def test_flask_housekeeping_forgets_old_pdfs_and_prunes_old_attempts(app):
    user = f.user()
    _attempt(timedelta(days=31))
    _attempt(timedelta(days=29))
    old = _finished_job(user, timedelta(hours=2))
    fresh = _finished_job(user, timedelta(minutes=5))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["housekeeping"])
    assert result.exit_code == 0, result.output
    assert "1 PDFs forgotten, 1 sign-in attempts pruned" in result.output
    db.session.expire_all()
    assert db.session.get(ReportJob, old.id).pdf is None
    assert db.session.get(ReportJob, fresh.id).pdf == b"%PDF"
    assert db.session.scalar(sa.select(sa.func.count(LoginAttempt.id))) == 1


def test_housekeeping_is_a_periodic_task_of_the_consumer(consumers, app):
    user = f.user()
    old = _finished_job(user, timedelta(hours=2))
    db.session.commit()
    huey = queue.huey_for(app)
    periodic = {t.name for t in huey._registry.periodic_tasks}
    assert "housekeeping" in periodic
    # The consumer's scheduler runs what is due; "every minute" here, for the test.
    consumers.start(HOUSEKEEPING_EVERY_MINUTES="1")
    wait_until(lambda: db.session.get(ReportJob, old.id).pdf is None, timeout=150)
