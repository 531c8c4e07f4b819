"""The task queue with real consumer processes: PDF jobs survive a killed consumer, and a
job whose consumer is gone never leaves the browser waiting forever."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from screening import housekeeping
from screening.core import queue
from screening.core.db import utcnow
from screening.core.extensions import db
from screening.documents import jobs
from screening.models import ChildGuardian, JobStatus, ReportJob
from screening.paths import meetings

from .. import factories as f
from ..paths.test_paths import agree
from .conftest import wait_until


def meeting_with_guardians(world, n):
    """A meeting whose invitations make `n` letters: a job long enough to kill mid-way."""
    kid = world["older"]
    guardians = [f.guardian(name=f"Forælder {i}") for i in range(n)]
    kid.guardian_links += [ChildGuardian(guardian=g) for g in guardians]
    _, path = agree(world, "red")
    meeting = meetings.create_meeting(
        path,
        world["leader"],
        kind="cross_disciplinary",
        starts_at=datetime(2026, 12, 3, 8, 30, tzinfo=UTC),
        place="Mødelokalet",
        purpose="Støtte",
        agenda="",
    )
    for g in guardians:
        meetings.invite_guardian(meeting, g)
    db.session.commit()
    return meeting


def queue_job(world, meeting, total):
    job = jobs.create(
        "meeting_invitations",
        {"meeting_id": meeting.id, "today": "2026-12-01", "logo": None},
        world["leader"].id,
        total,
        f"invitationer-{meeting.id}.pdf",
    )
    db.session.commit()
    jobs.start(job.id)
    return job.id


def job(job_id):
    return db.session.get_one(ReportJob, job_id)


def test_a_consumer_process_builds_a_pdf_job(consumers, world):
    meeting = meeting_with_guardians(world, 2)
    job_id = queue_job(world, meeting, 2)
    consumers.start()
    wait_until(lambda: job(job_id).status == JobStatus.DONE)
    assert job(job_id).pdf.startswith(b"%PDF")
    assert job(job_id).attempts == 1


def test_a_killed_consumer_leaves_the_job_to_be_built_again(consumers, world):
    meeting = meeting_with_guardians(world, 120)
    job_id = queue_job(world, meeting, 120)
    first = consumers.start()
    wait_until(lambda: job(job_id).done >= 1)
    first.send_signal(signal.SIGSTOP)  # frozen mid-job, then killed: no clean shutdown
    first.kill()
    first.wait()
    killed = job(job_id)
    assert killed.status == JobStatus.RUNNING
    assert 1 <= killed.done < killed.total
    # The web page still shows progress, until the job counts as stale.
    assert jobs.shown_status(killed) == (JobStatus.RUNNING, "")

    with_stale_after(lambda: wait_until(lambda: housekeeping.run().jobs_requeued == 1, 20))
    assert job(job_id).status == JobStatus.QUEUED
    consumers.start()
    wait_until(lambda: job(job_id).status == JobStatus.DONE, timeout=120)
    assert job(job_id).attempts == 2
    assert job(job_id).pdf.startswith(b"%PDF")


def with_stale_after(fn, seconds=1):
    from flask import current_app

    saved = current_app.config["JOB_STALE_AFTER"]
    current_app.config["JOB_STALE_AFTER"] = timedelta(seconds=seconds)
    try:
        return fn()
    finally:
        current_app.config["JOB_STALE_AFTER"] = saved


def test_a_job_whose_consumers_keep_dying_fails_with_a_danish_message(browser, world, real_queue):
    meeting = meeting_with_guardians(world, 1)
    job_id = queue_job(world, meeting, 1)
    j = job(job_id)
    j.status = JobStatus.RUNNING  # as a third consumer left it when it was killed
    j.attempts = jobs.MAX_ATTEMPTS
    j.heartbeat_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    browser.login("leder@example.dk")
    status = browser.get(f"/jobs/{j.token}/status").get_json()
    assert status["status"] == "failed"  # shown at once, before housekeeping writes it
    assert "baggrundsjobbet stoppede" in status["error"]
    page = browser.get(f"/jobs/{j.token}").get_data(as_text=True)
    assert "baggrundsjobbet stoppede" in page
    assert housekeeping.run().jobs_failed == 1
    assert job(job_id).status == JobStatus.FAILED
    assert job(job_id).error == jobs.WORKER_LOST


def test_a_job_no_consumer_picks_up_fails_in_bounded_time(browser, world, real_queue):
    meeting = meeting_with_guardians(world, 1)
    job_id = queue_job(world, meeting, 1)
    j = job(job_id)
    browser.login("leder@example.dk")
    assert browser.get(f"/jobs/{j.token}/status").get_json()["status"] == "queued"
    j.created_at = utcnow() - jobs.give_up_after() - timedelta(seconds=1)
    db.session.commit()
    status = browser.get(f"/jobs/{j.token}/status").get_json()
    assert status["status"] == "failed"
    assert "ikke dannet i tide" in status["error"]


def test_a_failing_build_is_retried_then_recorded_failed(consumers, world, caplog):
    meeting = meeting_with_guardians(world, 1)
    job_id = queue_job(world, meeting, 1)
    db.session.delete(db.session.get(type(meeting), meeting.id).participants[0])
    db.session.execute(sa.delete(type(meeting)).where(type(meeting).id == meeting.id))
    db.session.commit()  # the builder now raises: its meeting is gone
    consumers.start()
    wait_until(lambda: job(job_id).status == JobStatus.FAILED, timeout=120)
    assert job(job_id).attempts == jobs.MAX_ATTEMPTS
    assert job(job_id).error == jobs.BUILD_FAILED
    log = consumers.log()
    assert log.count(f"report job {job_id} (meeting_invitations) failed") == jobs.MAX_ATTEMPTS
    assert "Forælder" not in log  # no child or guardian data in the log


def test_finished_pdfs_are_forgotten_after_an_hour(browser, world, real_queue):
    meeting = meeting_with_guardians(world, 1)
    j = jobs.create("meeting_invitations", {}, world["leader"].id, 1, "x.pdf")
    j.status, j.pdf, j.finished_at = JobStatus.DONE, b"%PDF-1.7", utcnow()
    db.session.commit()
    browser.login("leder@example.dk")
    assert browser.get(f"/jobs/{j.token}/download").status_code == 200
    j.finished_at = utcnow() - jobs.KEEP_FOR - timedelta(seconds=1)
    db.session.commit()
    assert browser.get(f"/jobs/{j.token}/download").status_code == 404  # refused at once
    assert browser.get(f"/jobs/{j.token}/status").get_json()["download"] is None
    assert housekeeping.run().pdfs_forgotten == 1
    assert job(j.id).pdf is None
    assert meeting  # the meeting itself is untouched


def test_in_process_workers_run_huey_tasks(app, world, consumer):
    meeting = meeting_with_guardians(world, 1)
    job_id = queue_job(world, meeting, 1)
    wait_until(lambda: job(job_id).status == JobStatus.DONE)
    assert queue.huey_for(app) is consumer


@pytest.mark.parametrize("url", ["ftp://nowhere", "mysql://x"])
def test_an_unknown_queue_url_is_refused(app, url):
    from screening.core.queue import _make_huey

    saved = app.config["TASK_QUEUE_URL"]
    app.config["TASK_QUEUE_URL"] = url
    try:
        with pytest.raises(RuntimeError, match="TASK_QUEUE_URL"):
            _make_huey(app)
    finally:
        app.config["TASK_QUEUE_URL"] = saved


def _redis_up() -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379")
def test_redis_queue_runs_a_pdf_job(app, world):
    import uuid

    from huey import RedisHuey

    saved = {k: app.config[k] for k in ("TASK_QUEUE_URL", "TASK_QUEUE_NAME")}
    app.extensions.pop("huey", None)
    app.config.update(
        TASK_QUEUE_URL="redis://127.0.0.1:6379/15", TASK_QUEUE_NAME=f"t-{uuid.uuid4().hex[:8]}"
    )
    try:
        assert isinstance(queue.huey_for(app), RedisHuey)
        meeting = meeting_with_guardians(world, 1)
        job_id = queue_job(world, meeting, 1)
        with queue.worker_thread(app):
            wait_until(lambda: job(job_id).status == JobStatus.DONE)
    finally:
        app.extensions.pop("huey").flush()
        app.config.update(saved)
