"""A leader signs in on a tablet, browses institution → group → child; another
institution's educator cannot reach that child."""

from __future__ import annotations

import pytest

from screening.core.extensions import db
from screening.models import Role
from tests import factories as f

from .pages import LoginPage

pytestmark = pytest.mark.browser


@pytest.fixture
def world(app):
    a = f.institution("Børnehuset Mælkebøtten", groups=("Egernene",))
    b = f.institution("Vuggestuen Lærkereden", groups=("Solsikken",))
    g = f.guardian(name="Mette Østergaard", address="Hemmelig Allé 7", protected=True)
    kid = f.child(a.groups[0], first_name="Åse", last_name="Bæk", guardians=[g])
    f.user(Role.LEADER, institutions=[a], email="leder@example.dk")
    f.user(Role.EDUCATOR, institutions=[b], email="paedagog2@example.dk")
    db.session.commit()
    return kid


def test_leader_browses_to_a_child_on_a_tablet(tablet, live_server, world):
    page = tablet
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    LoginPage(page, live_server).open().sign_in("leder@example.dk")
    assert page.url.endswith("/")  # the home page ("I dag")
    assert page.get_by_role("heading", name="I dag").is_visible()
    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Dagtilbud").click()
    page.get_by_role("link", name="Børnehuset Mælkebøtten").click()
    page.get_by_role("link", name="Egernene").click()
    page.get_by_role("link", name="Åse Bæk").click()
    assert page.get_by_role("heading", name="Åse Bæk").is_visible()
    body = page.locator("main").inner_text()
    assert "Mette Østergaard" in body
    assert "Hemmelig Allé 7" in body  # the leader may see the protected address ...
    assert "Adressebeskyttet" in body  # ... marked as protected
    # Nothing overflows sideways on a 768 px wide tablet, and buttons are finger-sized.
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    for button in page.locator("button:visible").all():
        assert button.bounding_box()["height"] >= 44, button.inner_text()
    # No console errors (e.g. a CSP violation) on the way.
    assert console_errors == []
    page.get_by_role("button", name="Log ud").click()
    assert "/login" in page.url


def test_educator_of_another_institution_gets_not_found(tablet, live_server, world):
    page = tablet
    LoginPage(page, live_server).open().sign_in("paedagog2@example.dk")
    response = page.goto(f"{live_server}/children/{world.id}")
    assert response.status == 404
    assert "Åse" not in page.content()
