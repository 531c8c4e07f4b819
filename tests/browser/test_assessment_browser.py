"""An educator fills in and submits an assessment on a tablet; typed answers survive a
session timeout and a failed submit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from screening.core.extensions import db
from screening.models import Assessment, AssessmentStatus, Role
from tests import factories as f
from tests.conftest import months_ago

from .pages import LoginPage

pytestmark = pytest.mark.browser


@pytest.fixture
def setup(today, app, catalogue):
    from screening.models import RoundStatus, ScreeningRound

    inst = f.institution("Børnehuset Mælkebøtten", groups=("Egernene",))
    first = f.child(
        inst.groups[0], first_name="Otto", last_name="Ørn", birth_date=months_ago(50, today)
    )
    second = f.child(
        inst.groups[0], first_name="Ulla", last_name="Å", birth_date=months_ago(55, today)
    )
    user = f.user(Role.EDUCATOR, institutions=[inst], email="edu@example.dk")
    round_ = ScreeningRound(
        name="Efterår test",
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=30),
        reference_date=today,
        status=RoundStatus.OPEN,
        instrument_keys=["topi-3-6"],
        institutions=[inst],
    )
    db.session.add(round_)
    db.session.commit()
    return {"round": round_, "first": first, "second": second, "user": user}


def _statement(page, text_start: str):
    return page.get_by_label(text_start, exact=False).first


def test_fill_and_submit_on_a_tablet(tablet, live_server, setup):
    page = tablet
    errors = []  # script errors and CSP violations (a 400 answer is expected below)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    LoginPage(page, live_server).open().sign_in("edu@example.dk")
    page.goto(f"{live_server}/rounds/{setup['round'].id}/children/{setup['first'].id}/assess")
    assert page.get_by_role("heading", name="Otto Ørn").is_visible()
    yellow = page.locator("input[name='item__emo-y1']")
    green = page.locator("input[name='item__emo-g1']")
    for box in (yellow, green):
        label = page.locator(f"label:has(input[name='{box.get_attribute('name')}'])")
        assert label.bounding_box()["height"] >= 44
        label.tap()
    assert yellow.is_checked()
    assert green.is_checked()
    page.get_by_label("Barnets ressourcer").fill("Elsker at bygge huler")
    page.get_by_role("button", name="Indsend vurdering").click()
    # A yellow assessment needs a justification: the error shows and nothing is lost.
    assert page.get_by_text("Skriv en kort begrundelse").first.is_visible()
    assert yellow.is_checked()
    assert page.get_by_label("Barnets ressourcer").input_value() == "Elsker at bygge huler"
    page.get_by_label("Kort begrundelse").fill("Set over tre uger.")
    page.get_by_role("button", name="Indsend vurdering").click()
    page.wait_for_load_state()
    assert page.get_by_text("Vurderingen er indsendt.").is_visible()
    assert page.locator(".pos-yellow").first.is_visible()
    a = db.session.scalar(sa.select(Assessment))
    assert a.status == AssessmentStatus.SUBMITTED
    assert a.suggested_position.value == "yellow"
    # On to the next child without going back to the list.
    page.get_by_role("link", name="Ulla Å").first.click()
    assert f"/children/{setup['second'].id}/assess" in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    assert errors == []


def test_typed_answers_survive_a_session_timeout(tablet, live_server, setup, app):
    page = tablet
    LoginPage(page, live_server).open().sign_in("edu@example.dk")
    url = f"{live_server}/rounds/{setup['round'].id}/children/{setup['first'].id}/assess"
    page.goto(url)
    page.locator("label:has(input[name='item__emo-r1'])").tap()
    page.locator("#concerns").fill("Virker bange ved afhentning")
    # The session times out while the educator is typing.
    app.config["INACTIVITY_TIMEOUT"] = timedelta(seconds=0)
    try:
        page.get_by_role("button", name="Gem kladde").click()
        page.wait_for_url("**/login**")
    finally:
        app.config["INACTIVITY_TIMEOUT"] = timedelta(minutes=30)
    LoginPage(page, live_server).sign_in("edu@example.dk")
    # Back on the form, what was typed is restored and the user is told so.
    assert page.url == url
    assert page.locator("#draft-restored").is_visible()
    assert page.locator("input[name='item__emo-r1']").is_checked()
    assert page.locator("#concerns").input_value() == "Virker bange ved afhentning"
    page.get_by_role("button", name="Gem kladde").click()
    page.wait_for_load_state()
    a = db.session.scalar(sa.select(Assessment))
    assert a.answers == {"emo-r1": True}
    assert a.concerns == "Virker bange ved afhentning"
    # Saved: the browser's copy is gone, so a reload shows no restore notice.
    page.reload()
    assert not page.locator("#draft-restored").is_visible()
