"""Sign-in, sign-out, throttling, safe redirects, password change and inactivity."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from screening.accounts import services as accounts
from screening.core.extensions import db
from screening.core.urls import safe_next
from screening.models import AuditEvent, Role, User

from .. import factories as f

GENERIC_ERROR = "E-mail eller adgangskode er forkert."


@pytest.fixture
def leader(app):
    inst = f.institution()
    u = f.user(Role.LEADER, institutions=[inst], email="leder@example.dk")
    db.session.commit()
    return u


def test_sign_in_and_out(browser, leader):
    r = browser.login("leder@example.dk")
    assert r.status_code == 302
    assert browser.get("/institutions").status_code == 200
    r = browser.submit("/logout", page="/institutions")
    assert r.status_code == 302
    assert browser.get("/institutions").status_code == 302  # back to sign-in
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "user.login" in actions
    assert "user.logout" in actions


def test_email_is_case_insensitive(browser, leader):
    r = browser.login("  LEDER@Example.dk ")
    assert r.status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("leder@example.dk", "wrong-password"),
        ("nobody@example.dk", f.DEFAULT_PASSWORD),
        ("leder@example.dk", "x" * 500),
    ],
)
def test_one_generic_error_for_any_failed_sign_in(browser, leader, email, password):
    r = browser.login(email, password)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert GENERIC_ERROR in html
    assert email.strip() in html  # what the user typed is kept ...
    assert password not in html  # ... except the password


def test_inactive_user_cannot_sign_in(browser, leader):
    leader.active = False
    db.session.commit()
    assert GENERIC_ERROR in browser.login("leder@example.dk").get_data(as_text=True)


def test_throttling_after_repeated_failures(browser, leader, app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        browser.login("leder@example.dk", "wrong-password")
    # Now even the right password is refused for a while, with its own message.
    r = browser.login("leder@example.dk")
    assert r.status_code == 200
    assert "For mange mislykkede forsøg" in r.get_data(as_text=True)
    assert browser.get("/institutions").status_code == 302
    # An address that does not exist is throttled the same way (no account enumeration).
    for _ in range(limit):
        browser.login("ghost@example.dk", "wrong-password")
    assert "For mange mislykkede forsøg" in browser.login("ghost@example.dk").get_data(as_text=True)


def test_password_is_rehashed_on_login_when_parameters_change(browser, leader):
    old = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    leader.password_hash = old.hash(f.DEFAULT_PASSWORD)
    db.session.commit()
    before = leader.password_hash
    assert browser.login("leder@example.dk").status_code == 302
    db.session.refresh(leader)
    assert leader.password_hash != before
    assert leader.password_hash.startswith("$argon2id$")
    assert "m=1024" in leader.password_hash  # the configured (test) parameters


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/children/1", "/children/1"),
        ("/groups/2?x=1", "/groups/2?x=1"),
        ("//evil.example/", None),
        ("https://evil.example/", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
        ("http:/evil", None),
        ("", None),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected


def test_next_redirect_after_sign_in(browser, leader):
    r = browser.get("/institutions")
    assert r.status_code == 302
    assert "next=/institutions" in r.headers["Location"]
    r = browser.submit(
        "/login",
        {"email": "leder@example.dk", "password": f.DEFAULT_PASSWORD, "next": "/institutions"},
    )
    assert r.headers["Location"] == "/institutions"
    other = browser.submit("/logout", page="/institutions")
    assert other.status_code == 302
    r = browser.submit(
        "/login",
        {
            "email": "leder@example.dk",
            "password": f.DEFAULT_PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert r.headers["Location"] == "/"


def test_password_change_ends_other_sessions(browser, new_browser, leader):
    other = new_browser()
    browser.login("leder@example.dk")
    other.login("leder@example.dk")
    assert other.get("/institutions").status_code == 200
    r = browser.submit(
        "/account/password",
        {
            "current": f.DEFAULT_PASSWORD,
            "new": "et-helt-nyt-kodeord",
            "repeat": "et-helt-nyt-kodeord",
        },
    )
    assert r.status_code == 302
    assert browser.get("/institutions").status_code == 200  # this session continues
    assert other.get("/institutions").status_code == 302  # the other one is over
    assert other.login("leder@example.dk").status_code == 200  # old password gone
    assert other.login("leder@example.dk", "et-helt-nyt-kodeord").status_code == 302


def test_password_change_validates_and_keeps_nothing_secret(browser, leader):
    browser.login("leder@example.dk")
    r = browser.submit("/account/password", {"current": "wrong", "new": "kort", "repeat": "andet"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Adgangskoden skal være mellem 10 og 128 tegn." in html
    assert "De to nye adgangskoder er ikke ens." in html
    r = browser.submit(
        "/account/password",
        {
            "current": "wrong-password",
            "new": "et-helt-nyt-kodeord",
            "repeat": "et-helt-nyt-kodeord",
        },
    )
    assert "Den nuværende adgangskode er forkert." in r.get_data(as_text=True)
    db.session.refresh(leader)
    assert accounts.verify_password(leader, f.DEFAULT_PASSWORD)


def test_inactivity_timeout_signs_out(browser, leader, app):
    browser.login("leder@example.dk")
    assert browser.get("/institutions").status_code == 200
    limit = app.config["INACTIVITY_TIMEOUT"].total_seconds()
    with browser.client.session_transaction() as sess:
        sess["seen"] = time.time() - limit - 5
    r = browser.get("/institutions")
    assert r.status_code == 302
    assert "/login" in r.headers["Location"]
    assert browser.get("/institutions").status_code == 302


def test_cookie_flags(browser, leader, app):
    r = browser.login("leder@example.dk")
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if "trivselsspor_session" in h)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    from screening import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app("production", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    from screening import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})


def test_user_emails_are_unique(app):
    f.user(Role.EDUCATOR, email="a@example.dk")
    db.session.add(User(email="a@example.dk", name="Dup", password_hash="x"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
