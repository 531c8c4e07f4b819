"""Two consumer processes given the same nightly work at once (as two schedulers would
queue it) never erase or remind twice: the database decides, not the timing."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from screening.core import queue
from screening.core.extensions import db
from screening.models import AuditEvent, Child
from screening.retention import services as svc

from .. import factories as f
from ..conftest import PG_URL
from .conftest import wait_until

pytestmark = pytest.mark.skipif(not PG_URL, reason="row locks: PostgreSQL (CI runs both)")


def test_two_consumers_erase_each_child_once(consumers, app):
    group = f.institution("Gammelt Hus").groups[0]
    long_ago = svc.years_before(date.today(), 7)
    for i in range(150):
        kid = f.child(group, first_name=f"Barn{i}", start=long_ago - timedelta(days=300))
        kid.memberships[0].end_date = long_ago
    db.session.commit()
    for _ in range(2):
        consumers.start("--workers", "1", "--no-periodic")
    huey = queue.huey_for(app)
    retention = app.extensions["huey_tasks"]["retention"]
    retention()
    retention()  # queued twice, picked up by one consumer each
    # Periodic tasks keep no result: each consumer logs what its run did.
    done = re.compile(r"retention: (\d+) erased, (\d+) skipped, (\d+) failed")
    runs = wait_until(
        lambda: len(found := [done.search(consumers.log(i)) for i in (0, 1)]) == 2
        and all(found)
        and found,
        timeout=300,
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
