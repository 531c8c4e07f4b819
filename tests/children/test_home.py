"""The home page ("I dag") for each role: counts over the children the reader may see, each
linking to the list behind it; constant query counts whatever the number of children."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from markupsafe import escape

from screening.assessments import individual, joints
from screening.core.extensions import db
from screening.models import AuditEvent, JointAssessment, Role
from screening.paths import meetings
from screening.paths import services as paths

from .. import factories as f
from ..conftest import months_ago

ANSWERS = {"green": {"emo-g1": True}, "yellow": {"emo-y1": True}, "red": {"emo-r1": True}}


def submit(w, user, kid, position="green", *, draft=False):
    r = w["round"]
    a = individual.start(r, kid, user, individual.instrument_for_child(r, kid))
    individual.save(
        a,
        individual.AssessmentInput(answers=ANSWERS[position], justification="Set."),
        submit=not draft,
    )
    return a


def agree(w, kid, position):
    joint = joints.record_joint(
        w["round"], kid, w["leader"], agreed=position, justification="Enige."
    )
    paths.apply_agreed_position(joint, w["leader"])
    return joint


def cells(html: str) -> dict[str, str]:
    """The home page's count links: list URL -> the number shown."""
    return {
        m.group(1).replace("&amp;", "&"): m.group(2)
        for m in re.finditer(r'<a href="(/today/[^"]+)">(\d+)<span', html)
    }


def names_in(html: str) -> set[str]:
    return set(re.findall(r'<a href="/children/\d+">([^<]+)</a>', html))


@contextmanager
def counting_queries():
    statements: list[str] = []

    def watch(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", watch)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", watch)


def test_educator_sees_the_rounds_worklist_by_status_and_each_count_opens_its_list(browser, world):
    w = world
    submit(w, w["edu1"], w["older"])  # one submitted
    submit(w, w["edu1"], w["toddler"], draft=True)  # a draft
    submit(w, w["edu1"], w["older2"])
    submit(w, w["edu2"], w["older2"])  # two: the joint assessment waits
    db.session.commit()
    browser.login("edu1@example.dk")
    html = browser.get("/").get_data(as_text=True)
    assert "I dag" in html
    r, g = w["round"].id, w["group"].id
    found = cells(html)
    assert found[f"/today/submitted?round={r}&group={g}"] == "1"
    assert found[f"/today/draft?round={r}&group={g}"] == "1"
    assert found[f"/today/ready?round={r}&group={g}"] == "1"
    assert found[f"/today/not_assessed?round={r}&group={g}"] == "1"  # the infant
    assert f"/today/joint?round={r}&group={g}" not in found  # zero: no link
    # Each count's list names exactly the children it counts.
    expected = {
        "not_assessed": {"Ib Testesen"},
        "draft": {"Tove Testesen"},
        "submitted": {"Otto Testesen"},
        "ready": {"Ulla Testesen"},
    }
    for kind, names in expected.items():
        page = browser.get(f"/today/{kind}?round={r}&group={g}")
        assert page.status_code == 200
        assert names_in(page.get_data(as_text=True)) == names, kind
    # The educator's own draft is on the home page, and nobody else's child.
    assert f"/rounds/{r}/children/{w['toddler'].id}/assess" in html
    assert "Xenia" not in html
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "home.list")
    ).first()
    assert event is not None
    assert event.user_id == w["edu1"].id


def test_lists_respect_the_readers_rights(browser, new_browser, world):
    w = world
    outsider = f.user(
        Role.EDUCATOR, institutions=[f.institution("Tredje Hus")], email="ude@example.dk"
    )
    other_group = db.session.get(type(w["group"]), w["elsewhere"].current_group.id)
    db.session.commit()
    r = w["round"].id
    browser.login(outsider.email)
    # The round does not cover the outsider's institution: no list, and no group of others.
    assert browser.get(f"/today/not_assessed?round={r}").status_code == 404
    educator = new_browser()
    educator.login("edu1@example.dk")
    assert educator.get(f"/today/not_assessed?round={r}&group={other_group.id}").status_code == 404
    assert educator.get("/today/nonsense").status_code == 404
    assert educator.get("/today/not_assessed?round=99999").status_code == 404
    # The leader's lists are not the educator's.
    assert educator.get("/today/parents_not_informed").status_code == 404
    assert educator.get("/today/stalled").status_code == 404


def test_leader_sees_waiting_joints_uninformed_parents_and_overdue_steps(today, browser, world):
    w = world
    submit(w, w["edu1"], w["older"], "yellow")
    submit(w, w["edu2"], w["older"], "yellow")
    agree(w, w["older"], "yellow")  # opens a path with steps
    submit(w, w["edu1"], w["older2"])
    submit(w, w["edu2"], w["older2"])
    db.session.flush()
    # A changed position whose parents are not informed yet.
    joint = db.session.scalar(
        sa.select(JointAssessment).where(JointAssessment.child_id == w["older"].id)
    )
    joint.previous_position = "green"
    # One step overdue.
    path = paths.open_path_for(w["older"].id)
    path.steps[0].due_on = today - timedelta(days=3)
    db.session.commit()
    browser.login("leder@example.dk")
    html = browser.get("/").get_data(as_text=True)
    r, g = w["round"].id, w["group"].id
    found = cells(html)
    assert found[f"/today/ready?round={r}&group={g}"] == "1"
    assert found[f"/today/joint?round={r}&group={g}"] == "1"
    assert "/today/overdue_steps" in html
    assert "1 trin over fristen i jeres dagtilbud" in html  # LANGUAGE.md: not institutionen
    assert "forældrene er ikke orienteret" in html
    assert "/today/parents_not_informed" in html
    overdue = browser.get("/today/overdue_steps").get_data(as_text=True)
    assert "Otto Testesen" in overdue
    assert "Over fristen" in overdue
    uninformed = browser.get("/today/parents_not_informed").get_data(as_text=True)
    assert f"/rounds/{r}/children/{w['older'].id}/joint" in uninformed
    mine = browser.get("/today/my_steps").get_data(as_text=True)  # the leader is tovholder
    assert "Otto Testesen" in mine
    assert "/momentum" in html
    # In English the steps are named in English, as on "Frister og fremdrift".
    step = path.steps[0]
    assert str(escape(step.title_da)) in mine
    browser.submit("/language", {"lang": "en", "next": "/"}, page="/")
    mine_en = browser.get("/today/my_steps").get_data(as_text=True)
    assert str(escape(step.title_en)) in mine_en
    assert str(escape(step.title_da)) not in mine_en


def test_health_visitor_sees_only_the_infant_band_and_dental_staff_no_assessments(
    browser, new_browser, world
):
    browser.login("sp@example.dk")
    html = browser.get("/").get_data(as_text=True)
    found = cells(html)
    r, g = world["round"].id, world["group"].id
    assert found == {f"/today/not_assessed?round={r}&group={g}": "1"}  # Ib, 8 months
    dental = new_browser()
    dental.login("tand@example.dk")
    page = dental.get("/").get_data(as_text=True)
    assert "I dag" in page
    assert cells(page) == {}
    assert dental.get(f"/today/not_assessed?round={r}").status_code == 404


def test_coordinator_and_admin_keep_their_start_pages(browser, new_browser, world):
    f.user(Role.ADMIN, email="admin@example.dk")
    db.session.commit()
    browser.login("koord@example.dk")
    r = browser.get("/")
    assert r.status_code == 302
    # The home page's lists name children: not for the coordinator (figures, not names).
    for kind in ("stalled", "overdue_steps", "my_steps", "parents_not_informed"):
        assert browser.get(f"/today/{kind}").status_code == 404, kind
    assert browser.get(f"/today/not_assessed?round={world['round'].id}").status_code == 404
    admin = new_browser()
    admin.login("admin@example.dk")
    assert admin.get("/").headers["Location"].endswith("/admin/")


def test_invited_professional_sees_upcoming_meetings(today, browser, world):
    w = world
    submit(w, w["edu1"], w["older"], "yellow")
    agree(w, w["older"], "yellow")
    path = paths.open_path_for(w["older"].id)
    meeting = meetings.create_meeting(
        path,
        w["leader"],
        kind="parent_talk",
        starts_at=datetime.now(UTC) + timedelta(days=3),
        place="Stuen",
        purpose="Samtale",
        agenda="",
    )
    ppr = f.user(Role.PPR, email="pia@ppr.example.dk", name="Pia")
    meetings.invite_external(
        meeting,
        name="Pia",
        profession="psychologist",
        organisation="PPR",
        email="pia@ppr.example.dk",
        legal_basis="Barnets lov § 110",
        on=today,
    )
    db.session.commit()
    browser.login(ppr.email)
    html = browser.get("/").get_data(as_text=True)
    assert f"/meetings/{meeting.id}" in html


def _grow(w, n, name):
    """n more children in the group (and one more in a second group), each with an
    assessment, so every status and every group has rows."""
    second = f.institution(name, groups=("Ekstra stue",))
    w["leader"].institutions.append(second)
    w["round"].institutions.append(second)
    for i in range(n):
        kid = f.child(
            w["group"], first_name=f"Barn{i}", birth_date=months_ago(40 + i % 20, w["today"])
        )
        submit(w, w["edu1"], kid, draft=bool(i % 2))
        f.child(second.groups[0], first_name=f"Andet{i}", birth_date=months_ago(30, w["today"]))
    db.session.commit()


def test_home_page_query_count_does_not_grow_with_the_children(browser, world):
    w = world
    browser.login("leder@example.dk")
    lists = [f"/today/{kind}?round={w['round'].id}" for kind in ("draft", "submitted")]
    _grow(w, 3, "Ekstra 1")
    with counting_queries() as small:
        assert browser.get("/").status_code == 200
    small_lists = []
    for url in lists:
        with counting_queries() as q:
            assert browser.get(url).status_code == 200
        small_lists.append(len(q))
    _grow(w, 30, "Ekstra 2")
    with counting_queries() as large:
        html = browser.get("/").get_data(as_text=True)
    assert "Barn29" not in html  # counts, not names
    assert len(large) == len(small), (len(small), len(large))
    large_lists = []
    for url in lists:
        with counting_queries() as q:
            assert "Barn29" in browser.get(url).get_data(as_text=True) or "submitted" in url
        large_lists.append(len(q))
    assert large_lists == small_lists
