"""The group overview (trafiklys): positions overall and per area, the previous round
beside, who assessed; an accessible table and a PDF for the team meeting; rights and a
constant query count."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import sqlalchemy as sa
from pypdf import PdfReader

from screening.assessments import individual, joints
from screening.children.overview import area_positions
from screening.core.extensions import db
from screening.models import AuditEvent, Role, RoundStatus, ScreeningRound

from .. import factories as f
from ..conftest import months_ago
from .test_home import counting_queries


def submit(round_, user, kid, answers, *, draft=False):
    a = individual.start(round_, kid, user, individual.instrument_for_child(round_, kid))
    individual.save(
        a, individual.AssessmentInput(answers=answers, justification="Set."), submit=not draft
    )
    return a


def earlier_round(w):
    r = ScreeningRound(
        name="Forår før",
        starts_on=w["today"] - timedelta(days=200),
        ends_on=w["today"] - timedelta(days=150),
        reference_date=w["today"] - timedelta(days=190),
        status=RoundStatus.OPEN,  # closed by the caller after assessing
        instrument_keys=["topi-1-3", "topi-3-6"],
        institutions=[w["inst"]],
    )
    db.session.add(r)
    db.session.flush()
    return r


def row_of(html: str, name: str) -> str:
    match = re.search(
        rf"<tr>\s*<th scope=\"row\"><a href=\"/children/\d+\">{name}</a>.*?</tr>", html, re.S
    )
    assert match, name
    return match.group(0)


def badges(row: str) -> list[str]:
    """The positions of a row's cells in order, '-' for an empty cell."""
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    out = []
    for c in cells[:-1]:  # the last column is who assessed
        m = re.search(r'class="badge pos-(\w+)"', c)
        out.append(m.group(1) if m else "-")
    return out


def test_area_positions_hand_made():
    yellow_emotional = {"reasons": [{"position": "yellow", "areas": ["emotional"]}]}
    red_two = {"reasons": [{"position": "red", "areas": ["social", "physical"]}]}
    unrelated = {"reasons": [{"position": "red", "areas": []}]}  # e.g. an observation rule
    assert area_positions([]) == dict.fromkeys(("emotional", "cognitive", "social", "physical"))
    assert area_positions([yellow_emotional, red_two, unrelated]) == {
        "emotional": "yellow",
        "cognitive": "green",
        "social": "red",
        "physical": "red",
    }
    assert area_positions([{"reasons": []}, None]) == dict.fromkeys(
        ("emotional", "cognitive", "social", "physical"), "green"
    )


def test_leader_sees_positions_now_and_before_and_who_assessed(browser, world):
    w = world
    before = earlier_round(w)
    submit(before, w["edu1"], w["older"], {"soc-y1": True})
    joints.record_joint(before, w["older"], w["leader"], agreed="yellow", justification="Enige.")
    before.status = RoundStatus.CLOSED
    submit(w["round"], w["edu1"], w["older"], {"emo-y1": True})
    submit(w["round"], w["edu2"], w["older"], {"cog-r1": True})
    joints.record_joint(
        w["round"],
        w["older"],
        w["leader"],
        agreed="red",
        justification="Enige.",
        override_reason="Den røde bekymring vejer tungest.",
    )
    db.session.commit()
    browser.login("leder@example.dk")
    url = f"/rounds/{w['round'].id}/groups/{w['group'].id}/overview"
    page = browser.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<caption" in html
    assert 'scope="colgroup"' in html
    # Overall now/before, then emotional, cognitive, social, physical (now, before each).
    otto = row_of(html, "Otto Testesen")
    assert badges(otto) == [
        "red",
        "yellow",
        "yellow",
        "green",
        "red",
        "green",
        "green",
        "yellow",
        "green",
        "green",
    ]
    assert "Forår før" in otto
    assert "Eva" in otto
    assert "Emil" in otto
    assert "Fælles vurdering: Lis" in otto
    # A child nobody assessed yet.
    assert badges(row_of(html, "Ulla Testesen")) == ["-"] * 10
    assert "Ikke aftalt" in row_of(html, "Ulla Testesen")
    assert "Xenia" not in html
    assert (
        db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "round.group_overview"))
        .one()
        .user_id
        == w["leader"].id
    )


def test_an_assessor_does_not_see_anothers_areas_before_submitting_their_own(
    browser, new_browser, world
):
    w = world
    submit(w["round"], w["edu1"], w["older"], {"emo-r1": True})
    db.session.commit()
    url = f"/rounds/{w['round'].id}/groups/{w['group'].id}/overview"
    browser.login("edu2@example.dk")
    otto = row_of(browser.get(url).get_data(as_text=True), "Otto Testesen")
    assert "pos-red" not in otto
    assert "Andres vurderinger vises" in otto
    submit(w["round"], w["edu2"], w["older"], {"emo-g1": True})
    db.session.commit()
    otto = row_of(browser.get(url).get_data(as_text=True), "Otto Testesen")
    assert badges(otto)[2] == "red"  # now: the most concerned of both


def test_overview_pdf_for_the_team_meeting(browser, world):
    w = world
    submit(w["round"], w["edu1"], w["older"], {"emo-y1": True})
    db.session.commit()
    browser.login("edu1@example.dk")
    r = browser.get(f"/rounds/{w['round'].id}/groups/{w['group'].id}/overview.pdf")
    assert r.status_code == 200
    assert r.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(r.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Trafiklys: Egernene" in text
    assert "Otto Testesen" in text
    assert "▲ Gul" in text
    # No joint position yet: the PDF says what the screen says, not a dash.
    screen = row_of(
        browser.get(f"/rounds/{w['round'].id}/groups/{w['group'].id}/overview").get_data(
            as_text=True
        ),
        "Otto Testesen",
    )
    assert "Ikke aftalt" in screen
    assert "Otto Testesen Ikke aftalt" in " ".join(text.split())
    assert "Xenia" not in text
    assert "Otto" not in str(reader.metadata)  # no child's name in the metadata
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "pdf.download")
    ).one()
    assert event.details["document"] == "group_overview"


def test_only_those_who_follow_the_groups_assessments_see_it(browser, new_browser, world):
    w = world
    url = f"/rounds/{w['round'].id}/groups/{w['group'].id}/overview"
    # Dental staff may see the group (to add observations), not its assessments; the
    # coordinator does not see the group's children at all.
    for email, status in (("tand@example.dk", 403), ("koord@example.dk", 404)):
        b = new_browser()
        b.login(email)
        assert b.get(url).status_code == status, email
        assert b.get(url + ".pdf").status_code == status, email
    other = f.user(Role.LEADER, institutions=[f.institution("Fremmed")], email="frem@example.dk")
    db.session.commit()
    browser.login(other.email)
    assert browser.get(url).status_code == 404
    # A group the round does not cover.
    edu = new_browser()
    edu.login("edu1@example.dk")
    assert edu.get(f"/rounds/{w['round'].id}/groups/999/overview").status_code == 404


def test_overview_query_count_does_not_grow_with_the_children(today, browser, world):
    w = world
    before = earlier_round(w)
    browser.login("leder@example.dk")
    url = f"/rounds/{w['round'].id}/groups/{w['group'].id}/overview"

    def grow(n, start):
        before.status = RoundStatus.OPEN
        for i in range(start, start + n):
            kid = f.child(
                w["group"], first_name=f"Barn{i}", birth_date=months_ago(40 + i % 20, today)
            )
            submit(before, w["edu1"], kid, {"emo-y1": True})
            joints.record_joint(before, kid, w["leader"], agreed="yellow", justification="Enige.")
            submit(w["round"], w["edu1"], kid, {"soc-y1": True}, draft=bool(i % 3 == 0))
        db.session.commit()

    grow(2, 0)
    before.status = RoundStatus.CLOSED
    db.session.commit()
    with counting_queries() as small:
        assert browser.get(url).status_code == 200
    grow(20, 2)
    before.status = RoundStatus.CLOSED
    db.session.commit()
    with counting_queries() as large:
        assert "Barn21" in browser.get(url).get_data(as_text=True)
    assert len(large) == len(small), (len(small), len(large))
