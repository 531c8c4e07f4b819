"""A red position walked through in the browser: the joint assessment opens an action
path, the leader holds a meeting with the family (invitations as one PDF, with progress)
and writes the action plan."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from screening.assessments import individual
from screening.core.extensions import db
from screening.models import ActionPlan, ChildGuardian, Meeting, MeetingParticipant
from tests import factories as f

from .pages import LoginPage

pytestmark = pytest.mark.browser


@pytest.fixture
def red_child(world):
    kid = world["older"]
    kid.guardian_links.append(
        ChildGuardian(guardian=f.guardian(name="Mette Østergaard"), has_custody=True)
    )
    a = individual.start(
        world["round"], kid, world["edu1"], individual.instrument_for_child(world["round"], kid)
    )
    individual.save(
        a,
        individual.AssessmentInput(answers={"emo-r1": True}, justification="Bange ved afhentning."),
        submit=True,
    )
    db.session.commit()
    return kid


def test_red_position_through_a_meeting_and_an_action_plan(
    tablet, live_server, world, red_child, consumer
):
    page = tablet
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    LoginPage(page, live_server).open().sign_in("leder@example.dk")
    page.goto(f"{live_server}/rounds/{world['round'].id}/children/{red_child.id}/joint")
    page.locator("input[name='agreed_position'][value='red']").check()
    page.locator("#justification").fill("Vi er enige: barnet virker bange.")
    page.get_by_role("button", name="Gem fælles vurdering").click()
    assert page.get_by_text("En handlevej er åbnet").is_visible()

    page.goto(f"{live_server}/children/{red_child.id}")
    page.locator("a.link-card", has_text="Handlevej").click()
    assert page.get_by_text("Vurdering af underretningspligten").first.is_visible()

    page.get_by_role("link", name="Nyt møde").first.click()
    page.locator("#kind").select_option("cross_disciplinary")
    page.locator("#starts_at").fill("2026-12-03T09:30")
    page.locator("#place").fill("Mødelokalet")
    page.locator("#purpose").fill("At finde ud af, hvordan vi bedst støtter barnet")
    page.get_by_role("button", name="Opret møde").click()
    page.get_by_role("button", name="Inviter forælder").click()
    assert page.get_by_text("Deltageren er inviteret.").is_visible()
    meeting = db.session.scalar(sa.select(Meeting))
    assert db.session.scalar(sa.select(sa.func.count(MeetingParticipant.id))) == 1

    page.get_by_role("button", name="Alle invitationer som én PDF").click()
    download_link = page.locator("#job-download")
    download_link.wait_for(state="visible", timeout=30000)
    assert page.locator("#job-bar").evaluate("bar => [bar.value, bar.max]") == [1, 1]
    with page.expect_download() as info:
        download_link.click()
    assert info.value.suggested_filename == f"invitationer-{meeting.id}.pdf"

    page.goto(f"{live_server}/paths/{meeting.path_id}/plan")
    page.locator("#goals").fill("Barnet er med i samling tre dage om ugen")
    page.locator("#items-0-what").fill("Små lege i grupper af tre")
    page.locator("#items-0-who").fill("Eva")
    page.locator("#evaluation_on").fill("2027-02-01")
    page.get_by_role("button", name="Gem handleplan").click()
    assert page.get_by_text("Handleplanen er gemt.").is_visible()
    plan = db.session.scalar(sa.select(ActionPlan))
    assert [i.what for i in plan.items] == ["Små lege i grupper af tre"]
    assert errors == []


# Every scrolling table box on the page: (its id or heading, content width, box width).
TABLE_WIDTHS = """() => [...document.querySelectorAll('.table-wrap')].map(w => [
  w.getAttribute('aria-labelledby') || '', w.scrollWidth, w.clientWidth])"""


# Lines of text the first overdue note of the open steps takes.
NOTE_LINES = """() => { const el = document.querySelector('.momentum-table .status-overdue');
  return el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight); }"""


@pytest.mark.parametrize("width", [768, 1024, 1280])
def test_frister_og_fremdrift_fits_a_tablet_held_upright(
    today, chromium, live_server, app, catalogue, width
):
    """At 768 px the open steps (overdue notes, long step titles, two-word positions) and
    the stalled paths fit their boxes: no sideways scrolling, on the page or in a table.
    A wide screen has the room to print the overdue note on one line."""
    from screening import demo

    assert demo.seed(today)
    db.session.commit()
    context = chromium.new_context(viewport={"width": width, "height": 1024}, locale="da-DK")
    page = context.new_page()
    try:
        for email in ("koordinator@demo.dk", "leder@demo.dk"):
            context.clear_cookies()
            LoginPage(page, live_server).open().sign_in(email, demo.DEMO_PASSWORD)
            page.goto(f"{live_server}/momentum")
            assert page.get_by_text("Overskredet med").first.is_visible()
            assert page.get_by_text("Vurdering af underretningspligten").first.is_visible()
            assert page.locator("#steps-title ~ .table-wrap tbody tr").count() >= 10
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            widths = page.evaluate(TABLE_WIDTHS)
            assert {label for label, _, _ in widths} >= {"steps-title", "stalled-title"}
            assert [w for w in widths if w[1] > w[2]] == [], email
            if width >= 1280:
                assert page.evaluate(NOTE_LINES) < 2
    finally:
        context.close()
