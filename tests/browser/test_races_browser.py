"""Two leaders on the same child in two browsers (issue 18): the one whose form is older
is told what the other saved, keeps what they typed, and saving again applies it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from screening.core.extensions import db
from screening.models import JointAssessment

from ..paths.test_paths import agree
from .pages import LoginPage

pytestmark = pytest.mark.browser


def test_a_stale_joint_form_shows_what_changed_and_keeps_the_typed_text(
    chromium, live_server, world
):
    agree(world, "yellow")
    url = f"{live_server}/rounds/{world['round'].id}/children/{world['older'].id}/joint"
    contexts = [chromium.new_context(viewport={"width": 768, "height": 1024}) for _ in "ab"]
    try:
        a, b = (c.new_page() for c in contexts)
        errors: list[str] = []
        for page in (a, b):
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            LoginPage(page, live_server).open().sign_in("leder@example.dk")
            page.goto(url)  # both open the form of the same joint assessment

        b.locator("input[name='agreed_position'][value='red']").check()
        b.locator("#justification").fill("Bekymret efter nyt fra sundhedsplejen.")
        b.locator("#override_reason").fill("Sundhedsplejen har set mere.")
        b.get_by_role("button", name="Gem fælles vurdering").click()
        assert b.get_by_text("Den fælles vurdering er gemt.").is_visible()

        a.locator("#justification").fill("Mit eget udkast.")
        a.get_by_role("button", name="Gem fælles vurdering").click()
        assert a.get_by_text("En anden har gemt dette, siden du åbnede siden.").is_visible()
        conflict = a.locator("[data-conflict]")
        assert conflict.get_by_text("Bekymret efter nyt fra sundhedsplejen.").is_visible()
        assert a.locator("#justification").input_value() == "Mit eget udkast."
        db.session.expire_all()
        assert db.session.scalars(sa.select(JointAssessment)).one().agreed_position == "red"

        a.get_by_role("button", name="Gem fælles vurdering").click()  # apply it again
        assert a.get_by_text("Den fælles vurdering er gemt.").is_visible()
        db.session.expire_all()
        joint = db.session.scalars(sa.select(JointAssessment)).one()
        assert (joint.agreed_position, joint.justification) == ("yellow", "Mit eget udkast.")
        assert errors == []
    finally:
        for c in contexts:
            c.close()
