"""Reminders: a daily notification per user with steps overdue or due soon, the leader's
escalation, the badge and the list, and an e-mail digest over real SMTP that names no
child."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from screening.core.extensions import db, mail
from screening.models import ActionPath, ActionStep, Municipality, Notification
from screening.paths.workdays import add_working_days
from screening.reminders import services as svc
from screening.reminders import tasks

from ..paths.test_paths import agree

TODAY = date(2026, 12, 2)  # a Wednesday


@pytest.fixture
def due_steps(world):
    """Otto's path, coordinated by Eva: steps one day overdue, ten working days overdue,
    due tomorrow and due in a month."""
    _, path = agree(world, "red")
    path.coordinator_id = world["edu1"].id
    db.session.add(Municipality(name="K", escalate_after_working_days=5))
    steps = db.session.scalars(  # the open ones ("Orienter lederen" is done at once)
        sa.select(ActionStep)
        .where(ActionStep.path_id == path.id, ActionStep.done_on.is_(None))
        .order_by(ActionStep.id)
    ).all()
    assert len(steps) >= 4
    for step in steps:
        step.due_on = TODAY + timedelta(days=60)
    steps[0].due_on = TODAY - timedelta(days=1)
    steps[1].due_on = svc.working_days_before(TODAY, 10)
    steps[2].due_on = add_working_days(TODAY, 1)
    db.session.commit()
    return path


def test_working_days_before():
    assert svc.working_days_before(TODAY, 1) == date(2026, 12, 1)
    assert svc.working_days_before(date(2026, 12, 7), 1) == date(2026, 12, 4)  # Monday→Friday
    assert svc.working_days_before(TODAY, 5) == date(2026, 11, 25)


def test_counts_for_the_coordinator_and_the_leaders_escalation(app, world, due_steps):
    counts = svc.counts_by_user(TODAY)
    assert counts == {
        world["edu1"].id: svc.Counts(overdue=2, due_soon=1, escalated=0),
        world["leader"].id: svc.Counts(overdue=0, due_soon=0, escalated=1),
    }
    # A step done, or a path closed, reminds no more.
    (late,) = [
        s
        for s in db.session.get(ActionPath, due_steps.id).steps
        if s.due_on == svc.working_days_before(TODAY, 10)
    ]
    late.done_on = TODAY
    db.session.commit()
    assert svc.counts_by_user(TODAY) == {world["edu1"].id: svc.Counts(1, 1, 0)}


def test_a_day_reminds_each_user_once(app, world, due_steps):
    assert tasks.run(TODAY).notified == 2
    assert tasks.run(TODAY).notified == 0
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 2
    assert tasks.run(TODAY + timedelta(days=1)).notified == 2


def test_badge_and_list_name_no_child(browser, new_browser, world, due_steps):
    tasks.run(TODAY)
    browser.login("edu1@example.dk")
    home = browser.get("/notifications").get_data(as_text=True)
    assert "Påmindelser (1)" in home
    assert "Du har 2 opgaver, der er overskredet." in home
    assert "Du har 1 opgave med frist inden for to arbejdsdage." in home
    assert world["older"].first_name not in home.split("<main", 1)[-1]
    # The home page ("I dag") shows the unread reminder on top, with no child named.
    start = browser.get("/").get_data(as_text=True).split("<main", 1)[-1]
    assert "Du har 2 opgaver, der er overskredet." in start
    assert (
        world["older"].first_name
        not in start.split("notifications-title", 1)[-1].split("</section>", 1)[0]
    )
    browser.submit("/notifications/read", {}, page="/notifications")
    after = browser.get("/").get_data(as_text=True)
    assert "Du har 2 opgaver, der er overskredet." not in after  # read: gone from the home
    assert "Påmindelser (1)" not in browser.get("/notifications").get_data(as_text=True)
    leader = new_browser()
    leader.login("leder@example.dk")
    page = leader.get("/notifications").get_data(as_text=True)
    assert "1 opgave i din institution er længe overskredet." in page
    other = new_browser()
    other.login("edu2@example.dk")
    assert "Du har ingen påmindelser." in other.get("/notifications").get_data(as_text=True)


@pytest.fixture
def mail_to(app, smtp):
    """The app's SMTP settings pointed at the test's server (Flask-Mailman reads them when
    initialised)."""
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_DEFAULT_SENDER")}
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_DEFAULT_SENDER="trivselsspor@kommune.dk"
    )
    mail.init_app(app)
    yield smtp
    app.config.update(saved)
    mail.init_app(app)


def test_email_digest_over_real_smtp_names_no_child(app, world, due_steps, mail_to):
    smtp = mail_to
    result = tasks.run(TODAY)
    assert (result.notified, result.emailed) == (2, 2)
    (eva,) = smtp.to("edu1@example.dk")
    assert eva["Subject"].strip() == "Du har 2 opgaver, der er overskredet – log ind i Trivselsspor"
    assert eva["From"] == "trivselsspor@kommune.dk"
    body = eva.get_content()
    assert "Du har 1 opgave med frist inden for to arbejdsdage." in body
    (lis,) = smtp.to("leder@example.dk")
    assert "1 opgave i din institution er overskredet med mindst 5 arbejdsdage." in (
        lis.get_content()
    )
    for _rcpt, msg in smtp.messages:
        text = msg.as_string()
        for kid in ("Otto", world["older"].last_name):
            assert kid not in text
    # The same day again: nothing is sent twice.
    assert tasks.run(TODAY).emailed == 0
    assert len(smtp.messages) == 2


def test_no_mail_without_smtp_settings(app, world, due_steps):
    assert app.config.get("MAIL_SERVER") is None
    assert tasks.run(TODAY) == tasks.RunResult(notified=2, emailed=0)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.emailed_at.is_not(None))
        )
        == 0
    )
