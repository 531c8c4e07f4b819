"""Sign-in throttling that cannot be turned against staff (issue 16): by e-mail and client
address together with growing delays, plus a per-address ceiling that spares staff who
have signed in from that address before; stored in the database, so it holds across
workers. Times are passed in (`now=`), never waited for."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from screening.accounts import services as accounts
from screening.core.db import utcnow
from screening.core.extensions import db
from screening.models import LoginAttempt, Role

from .. import factories as f
from ..conftest import Browser, make_app

LEADER = "leder@example.dk"
COLLEAGUE = "paedagog@example.dk"
DAYCARE = "10.0.0.7"  # the daycare's one public address (NAT)
OUTSIDE = "203.0.113.9"


@pytest.fixture
def staff(app):
    inst = f.institution()
    f.user(Role.LEADER, institutions=[inst], email=LEADER)
    f.user(Role.EDUCATOR, institutions=[inst], email=COLLEAGUE)
    db.session.commit()


def fail(email: str, addr: str, times: int, now=None) -> None:
    for _ in range(times):
        result = accounts.authenticate(email, "wrong-password", addr, now=now)
        assert result.user is None
    db.session.commit()


def sign_in(email: str, addr: str, now=None) -> accounts.SignIn:
    result = accounts.authenticate(email, f.DEFAULT_PASSWORD, addr, now=now)
    db.session.commit()
    return result


def test_an_outsider_cannot_lock_a_colleague_out(staff):
    fail(LEADER, OUTSIDE, 60)
    assert accounts.throttle(LEADER, OUTSIDE) is not None  # the outsider is slowed ...
    result = sign_in(LEADER, DAYCARE)  # ... the leader at her own address is not
    assert result.user is not None
    assert not result.throttled


def test_many_outsiders_cannot_lock_a_colleague_out(staff):
    for n in range(30):
        fail(LEADER, f"198.51.100.{n}", 6)
    assert sign_in(LEADER, DAYCARE).user is not None


def test_the_same_pair_waits_longer_after_each_failure_up_to_the_cap(staff, app):
    now = utcnow()
    free = app.config["LOGIN_MAX_FAILURES"]
    fail(LEADER, OUTSIDE, free, now=now)
    waits = []
    t = now
    for _ in range(8):
        wait = accounts.throttle(LEADER, OUTSIDE, now=t)
        assert wait is not None
        waits.append(wait)
        # Even the right password is not checked while waiting.
        assert accounts.authenticate(LEADER, f.DEFAULT_PASSWORD, OUTSIDE, now=t).throttled
        t = t + wait  # just when the wait is over: one more wrong guess
        assert accounts.throttle(LEADER, OUTSIDE, now=t) is None
        fail(LEADER, OUTSIDE, 1, now=t)
    assert waits[:5] == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480)]
    assert waits[5:] == [timedelta(minutes=15)] * 3
    # A throttled attempt is not recorded (it cannot make the wait longer).
    assert db.session.scalar(sa.select(sa.func.count(LoginAttempt.id))) == free + 8


def test_a_success_starts_the_count_again(staff, app):
    now = utcnow()
    free = app.config["LOGIN_MAX_FAILURES"]
    fail(LEADER, DAYCARE, free - 1, now=now)
    assert sign_in(LEADER, DAYCARE, now=now + timedelta(seconds=1)).user is not None
    fail(LEADER, DAYCARE, free - 1, now=now + timedelta(seconds=2))
    assert accounts.throttle(LEADER, DAYCARE, now=now + timedelta(seconds=3)) is None
    fail(LEADER, DAYCARE, 1, now=now + timedelta(seconds=3))
    assert accounts.throttle(LEADER, DAYCARE, now=now + timedelta(seconds=4)) is not None


def test_failures_age_out_of_the_window(staff, app):
    now = utcnow()
    fail(LEADER, OUTSIDE, 20, now=now)
    later = now + app.config["LOGIN_FAILURE_WINDOW"] + timedelta(seconds=1)
    assert accounts.throttle(LEADER, OUTSIDE, now=later) is None


def test_the_per_address_ceiling_spares_staff_known_at_that_address(staff, app):
    now = utcnow()
    # The colleague signed in from the daycare last week.
    assert sign_in(COLLEAGUE, DAYCARE, now=now - timedelta(days=7)).user is not None
    # Someone behind the daycare's address guesses at many accounts.
    ceiling = app.config["LOGIN_MAX_FAILURES_PER_IP"]
    for n in range(ceiling):
        fail(f"guess{n}@example.dk", DAYCARE, 1, now=now)
    # An address never signed in from here is stopped, with a wait until failures age out.
    wait = accounts.throttle(LEADER, DAYCARE, now=now + timedelta(seconds=1))
    assert wait is not None
    assert timedelta(minutes=59) < wait <= app.config["LOGIN_FAILURE_WINDOW"]
    # The colleague, known at this address, signs in; so does the leader from elsewhere.
    assert sign_in(COLLEAGUE, DAYCARE, now=now + timedelta(seconds=1)).user is not None
    assert sign_in(LEADER, OUTSIDE, now=now + timedelta(seconds=1)).user is not None


def test_throttling_through_the_sign_in_page_names_the_wait(browser, staff, app):
    outsider = {"environ_base": {"REMOTE_ADDR": OUTSIDE}}
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        browser.login(LEADER, "wrong-password", **outsider)
    r = browser.login(LEADER, **outsider)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert (
        "For mange mislykkede forsøg med denne e-mailadresse herfra. Vent 30 sekunder, "
        "og prøv igen." in html
    )


def test_the_throttle_holds_across_workers(staff, app):
    """Two app instances on the same database, like two gunicorn workers."""
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], TESTING=True)
    one, two = Browser(app.test_client()), Browser(other.test_client())
    outsider = {"environ_base": {"REMOTE_ADDR": OUTSIDE}}
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        one.login(LEADER, "wrong-password", **outsider)
    try:
        with other.app_context():
            r = two.login(LEADER, **outsider)
            assert "For mange mislykkede forsøg" in r.get_data(as_text=True)
            r = two.login(LEADER, environ_base={"REMOTE_ADDR": DAYCARE})
            assert r.status_code == 302  # signed in from her own address
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
