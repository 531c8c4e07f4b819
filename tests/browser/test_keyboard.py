"""Keyboard only: an educator completes an assessment and a leader a joint assessment with
Tab, Space, arrow keys, typing and Enter — no mouse, no touch, no script clicks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from screening.assessments import individual
from screening.core.extensions import db
from screening.models import Assessment, AssessmentStatus, JointAssessment, Role
from tests import factories as f
from tests.browser.test_assessment_browser import setup  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

FOCUSED = (
    "() => { const el = document.activeElement; "
    "return [el.tagName, el.name || '', el.value || '', (el.innerText || '').trim()]; }"
)


def tab_to(page, name: str, *, value: str = "", text: str = "", limit: int = 400) -> None:
    """Press Tab until the focused element has this name (and value, or visible text)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        _, el_name, el_value, el_text = page.evaluate(FOCUSED)
        if text and el_text == text:
            return
        if not text and el_name == name and (not value or el_value == value):
            return
    raise AssertionError(f"Tab never reached {name or text!r}")


def press_and_wait(page, key: str) -> None:
    """Press a key that submits a form, and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def sign_in_by_keyboard(page, live_server, email: str) -> None:
    page.goto(f"{live_server}/login")
    tab_to(page, "email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(f.DEFAULT_PASSWORD)
    press_and_wait(page, "Enter")
    assert "/login" not in page.url


def test_an_assessment_and_a_joint_assessment_by_keyboard_only(
    chromium,
    live_server,
    setup,  # noqa: F811
):
    round_, child = setup["round"], setup["first"]
    leader = f.user(
        Role.LEADER, institutions=[child.current_group.institution], email="l@example.dk"
    )
    db.session.commit()
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    page = context.new_page()
    try:
        # The educator: tick a yellow statement, write the justification, submit.
        sign_in_by_keyboard(page, live_server, "edu@example.dk")
        page.goto(f"{live_server}/rounds/{round_.id}/children/{child.id}/assess")
        tab_to(page, "item__emo-y1")
        page.keyboard.press("Space")
        tab_to(page, "justification")
        page.keyboard.type("Set over tre uger.")
        tab_to(page, "submit_assessment")
        press_and_wait(page, "Enter")
        assert page.get_by_text("Vurderingen er indsendt.").is_visible()
        mine = db.session.scalar(sa.select(Assessment))
        assert mine.status == AssessmentStatus.SUBMITTED
        assert mine.answers == {"emo-y1": True}

        # A second assessment by the leader, then the joint assessment by keyboard.
        a = individual.start(round_, child, leader, individual.instrument_for_child(round_, child))
        individual.save(a, individual.AssessmentInput(answers={"emo-g1": True}), submit=True)
        db.session.commit()
        page.context.clear_cookies()
        sign_in_by_keyboard(page, live_server, "l@example.dk")
        page.goto(f"{live_server}/rounds/{round_.id}/children/{child.id}/joint")
        tab_to(page, "agreed_position")  # a radio group: one Tab stop, arrows choose
        page.keyboard.press("Space")
        chosen = page.evaluate("document.activeElement.value")
        while chosen != "yellow":
            page.keyboard.press("ArrowDown")
            chosen = page.evaluate("document.activeElement.value")
        tab_to(page, "justification")
        page.keyboard.type("Vi er enige om gul.")
        tab_to(page, "", text="Gem fælles vurdering")
        press_and_wait(page, "Enter")
        joint = db.session.scalar(sa.select(JointAssessment))
        assert joint is not None
        assert (joint.agreed_position.value, joint.justification) == (
            "yellow",
            "Vi er enige om gul.",
        )
    finally:
        context.close()
