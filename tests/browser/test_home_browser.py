"""The home page, the search in the header and the group overview, by keyboard only."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from screening.assessments import individual
from screening.core.extensions import db

from .pages import LoginPage

pytestmark = pytest.mark.browser


def test_educator_finds_a_child_and_the_group_overview_by_keyboard(tablet, live_server, world):
    w = world
    a = individual.start(
        w["round"], w["older"], w["edu1"], individual.instrument_for_child(w["round"], w["older"])
    )
    individual.save(
        a, individual.AssessmentInput(answers={"emo-y1": True}, justification="Set."), submit=True
    )
    db.session.commit()
    page = tablet
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    LoginPage(page, live_server).open().sign_in("edu1@example.dk")
    expect(page.get_by_role("heading", name="I dag")).to_be_visible()
    # The count of submitted assessments links to its list.
    table = page.get_by_role("table", name="Børn i Efterår test pr. stue og status")
    table.get_by_role("link", name="1 – Én vurdering indsendt, Egernene").click()
    expect(page.get_by_role("link", name="Otto Testesen", exact=True)).to_be_visible()
    # Search from the header, by keyboard: focus the field, type, Enter.
    page.get_by_role("searchbox", name="Søg efter et barn").focus()
    page.keyboard.type("ulla")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search")
    results = page.get_by_role("table", name="1 barn fundet")
    expect(results.get_by_role("link", name="Ulla Testesen")).to_be_visible()
    # The group overview from the home page.
    page.get_by_role("link", name="I dag").first.click()
    page.get_by_role("link", name="Trafiklys Egernene").click()
    overview = page.get_by_role("table", name="Positioner i Egernene, Efterår test")
    row = overview.get_by_role("row", name="Otto Testesen")
    expect(row).to_contain_text("Gul")
    assert errors == []
