"""Delegates (an institution lets an educator record joint assessments): granted and taken
back through the leader's page, seen at once by a user who is signed in meanwhile, and in
the same request by a user loaded as nobody's delegate."""

from __future__ import annotations

import sqlalchemy as sa

from screening.accounts.views import load_user
from screening.assessments import delegation
from screening.core.extensions import db
from screening.core.policy import Action, can
from screening.models import AuditEvent, JointDelegate

from ..conftest import csrf_from


def _joint_url(w) -> str:
    return f"/rounds/{w['round'].id}/children/{w['older'].id}/joint"


def test_a_delegate_records_joint_assessments_until_the_leader_takes_it_back(
    browser, new_browser, world
):
    educator = new_browser()
    assert educator.login("edu1@example.dk").status_code == 302
    assert educator.get(_joint_url(world)).status_code == 403

    assert browser.login("leder@example.dk").status_code == 302
    page = f"/institutions/{world['inst'].id}/delegates"
    r = browser.submit(page, {"user_id": world["edu1"].id})
    assert r.status_code == 302
    assert db.session.scalar(sa.select(JointDelegate.user_id)) == world["edu1"].id
    # Signed in before the grant: the next page knows it.
    assert educator.get(_joint_url(world)).status_code == 200

    row = db.session.scalar(sa.select(JointDelegate))
    token = csrf_from(browser.get(page).get_data(as_text=True))
    r = browser.client.post(
        page, data={"remove": str(row.id), "remove-csrf_token": token, "csrf_token": token}
    )
    assert r.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(JointDelegate.id))) == 0
    assert educator.get(_joint_url(world)).status_code == 403
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"delegate.add", "delegate.remove"} <= actions


def test_a_grant_within_the_request_is_seen_by_the_loaded_user(app, world):
    edu = world["edu1"]
    with app.test_request_context("/"):
        # Loaded as the user loader loads the signed-in user: as nobody's delegate.
        user = load_user(f"{edu.id}:{edu.session_token}")
        group = world["group"]
        assert not can(user, Action.RECORD_JOINT, group)
        row = delegation.add_delegate(world["inst"], user.id, world["leader"])
        assert can(user, Action.RECORD_JOINT, group)
        delegation.remove_delegate(row)
        assert not can(user, Action.RECORD_JOINT, group)
        db.session.rollback()
