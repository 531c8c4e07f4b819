"""Issue 17: what every page's header shows (the municipality's name, the unread
notifications' count) comes with the signed-in user's one statement, and is never older
than the request: a changed name and a read notification show on the next page.

Under gunicorn each request has its own application context, so Flask-Login loads the user
(through `load_user`) on every request. The tests hold one application context around
their requests, where Flask-Login keeps the user it found in `g`; `fresh_request` drops
it, so the next request loads the user as a worker would."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import g

from screening.core.extensions import db
from screening.org.models import Municipality
from screening.reminders.models import Notification

from .test_per_object_work import counting


def fresh_request(browser, url: str):
    g.pop("_login_user", None)
    with counting() as seen:
        response = browser.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True), seen


def separate_header_queries(statements: list[str]) -> list[str]:
    """Statements that read the municipality or the notifications on their own (not in the
    user's statement)."""
    return [
        s
        for s in statements
        if ("FROM municipality" in s or "FROM notification" in s) and "user_account" not in s
    ]


def test_the_header_comes_with_the_user_and_is_never_stale(browser, world):
    muni = db.session.scalar(sa.select(Municipality))
    if muni is None:
        muni = Municipality(name="Testkommune")
        db.session.add(muni)
    muni.name = "Første Kommune"
    user = world["edu1"]
    db.session.add(Notification(user_id=user.id, day=date(2026, 1, 5), overdue=2))
    db.session.commit()
    browser.login("edu1@example.dk")

    html, seen = fresh_request(browser, f"/groups/{world['group'].id}")
    assert "Første Kommune" in html
    assert "Påmindelser (1)" in html
    assert not separate_header_queries(seen), seen
    assert sum("user_account" in s for s in seen) == 1, seen

    # Changed in another request (another worker, an admin): seen on the next page.
    muni.name = "Anden Kommune"
    db.session.add(Notification(user_id=user.id, day=date(2026, 1, 6), overdue=1))
    db.session.commit()
    html, _seen = fresh_request(browser, f"/groups/{world['group'].id}")
    assert "Anden Kommune" in html
    assert "Første Kommune" not in html
    assert "Påmindelser (2)" in html

    browser.submit("/notifications/read", {}, page="/notifications")
    html, _seen = fresh_request(browser, "/notifications")
    assert "Påmindelser (" not in html
    assert "Anden Kommune" in html


def test_a_page_without_a_session_change_sets_no_cookie(browser, world):
    browser.login("edu1@example.dk")
    first = browser.get(f"/groups/{world['group'].id}")
    assert first.status_code == 200
    # The last activity was noted a moment ago: the next pages do not write the session.
    for _ in range(3):
        response = browser.get(f"/groups/{world['group'].id}")
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers, response.headers
