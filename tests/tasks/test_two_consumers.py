"""Two consumer processes given the same nightly work at once (as two schedulers would
queue it) never erase or remind twice: the database decides, not the timing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from screening.core import queue
from screening.core.extensions import db
from screening.models import ActionPath, ActionStep, AuditEvent, Child, Notification, Role
from screening.retention import services as svc

from .. import factories as f
from ..conftest import PG_URL
from ..reminders.conftest import smtp  # noqa: F401  (the fixture)
from .conftest import wait_until

pytestmark = pytest.mark.skipif(not PG_URL, reason="row locks: PostgreSQL (CI runs both)")


def both_listening(consumers):
    """Both consumers are up before the work is queued twice (as two schedulers would):
    which one takes which run is theirs to race for; the counts hold however they split."""
    wait_until(lambda: consumers.logs().count("Huey consumer started") == 2, timeout=120)


def test_two_consumers_erase_each_child_once(today, consumers, app):
    group = f.institution("Gammelt Hus").groups[0]
    long_ago = svc.years_before(today, 7)
    for i in range(150):
        kid = f.child(group, first_name=f"Barn{i}", start=long_ago - timedelta(days=300))
        kid.memberships[0].end_date = long_ago
    db.session.commit()
    for _ in range(2):
        consumers.start("--workers", "1", "--no-periodic")
    both_listening(consumers)
    huey = queue.huey_for(app)
    retention = app.extensions["huey_tasks"]["retention"]
    retention()
    retention()
    # Periodic tasks keep no result: each run logs what it did.
    done = re.compile(r"retention: (\d+) erased, (\d+) skipped, (\d+) failed")
    runs = wait_until(
        lambda: len(found := list(done.finditer(consumers.logs()))) == 2 and found,
        timeout=300,
        explain=consumers.logs,
    )
    erased = [int(m.group(1)) for m in runs]
    assert sum(erased) == 150, erased
    assert [int(m.group(3)) for m in runs] == [0, 0]
    wait_until(lambda: db.session.scalar(sa.select(sa.func.count(Child.id))) == 0)
    erased_events = db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "child.erased")
    )
    assert erased_events == 150
    assert huey.pending_count() == 0


def test_two_consumers_remind_each_user_once(today, consumers, app, smtp):  # noqa: F811
    group = f.institution("Travlt Hus").groups[0]
    users = []
    for i in range(60):
        user = f.user(Role.EDUCATOR, email=f"paed{i}@example.dk", name=f"Pædagog {i}")
        kid = f.child(group, first_name=f"Barn{i}")
        path = ActionPath(
            child_id=kid.id,
            position="yellow",
            opened_on=today - timedelta(days=30),
            coordinator_id=user.id,
            template_key="t",
            template_version=1,
        )
        path.steps.append(
            ActionStep(
                key="s",
                kind="step",
                title_da="Trin",
                title_en="Step",
                responsible_role="educator",
                due_on=today - timedelta(days=3),
            )
        )
        db.session.add(path)
        users.append(user)
    db.session.commit()
    for _ in range(2):
        consumers.start(
            "--workers",
            "1",
            "--no-periodic",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(smtp.port),
            MAIL_DEFAULT_SENDER="trivselsspor@kommune.dk",
        )
    both_listening(consumers)
    queue.huey_for(app)
    reminders = app.extensions["huey_tasks"]["reminders"]
    reminders()
    reminders()
    done = re.compile(r"reminders: (\d+) users notified, (\d+) e-mailed")
    runs = wait_until(
        lambda: len(found := list(done.finditer(consumers.logs()))) == 2 and found,
        timeout=300,
        explain=consumers.logs,
    )
    assert sum(int(m.group(1)) for m in runs) == 60
    assert sum(int(m.group(2)) for m in runs) == 60
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 60
    for user in users:
        assert len(smtp.to(user.email)) == 1, user.email
    assert len(smtp.messages) == 60
