"""Deny by default, and object-level access answered by the policy module."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from screening.core.extensions import db
from screening.core.policy import Action, can
from screening.core.time import local_today
from screening.core.web import PUBLIC_ENDPOINTS
from screening.models import AuditEvent, Outcome, Role

from .. import factories as f


def _concrete(rule) -> str:
    """A URL for a rule, with 1 for every int converter and 'x' for every other."""
    return re.sub(
        r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>",
        lambda m: "1" if m.group(1) == "int" else "x",
        rule.rule,
    )


def test_every_endpoint_refuses_anonymous_requests_except_the_allow_list(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = _concrete(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # CSRF off here: we prove sign-in is required, not that a token is.
            app.config["WTF_CSRF_ENABLED"] = False
            r = client.open(url, method=method)
            assert r.status_code in (302, 401), (method, url, r.status_code)
            if r.status_code == 302:
                assert r.headers["Location"].startswith("/login"), (method, url)
            checked += 1
    assert checked >= 15


def test_allow_list_is_small_and_public_pages_work(client):
    # The offline app's shell, worker, manifest and versioned script modules hold no personal
    # data (tests/offline/test_offline_app.py shows the shell is the same bytes signed in and
    # out).
    offline = {"offline.app_page", "offline.service_worker", "offline.manifest", "offline.module"}
    assert {"accounts.login", "static", "core.healthz", "core.set_language"} | offline == set(
        PUBLIC_ENDPOINTS
    )
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok"}


@pytest.fixture
def two_institutions(app):
    a = f.institution("Børnehuset A", groups=("Stue A1",))
    b = f.institution("Børnehuset B", groups=("Stue B1",))
    protected = f.guardian(name="Skjult Forælder", address="Hemmelig Allé 7", protected=True)
    open_guardian = f.guardian(name="Synlig Forælder", address="Åben Vej 3")
    child_a = f.child(a.groups[0], first_name="Ada", guardians=[protected, open_guardian])
    child_b = f.child(b.groups[0], first_name="Bent")
    users = {
        "educator_a": f.user(Role.EDUCATOR, institutions=[a], email="pa@example.dk"),
        "leader_a": f.user(Role.LEADER, institutions=[a], email="la@example.dk"),
        "educator_b": f.user(Role.EDUCATOR, institutions=[b], email="pb@example.dk"),
        "dental": f.user(Role.DENTAL, institutions=[a, b], email="tand@example.dk"),
        "coordinator": f.user(Role.COORDINATOR, email="koord@example.dk"),
        "admin": f.user(Role.ADMIN, email="admin@example.dk"),
        "ppr": f.user(Role.PPR, email="ppr@example.dk"),
    }
    db.session.commit()
    return {"a": a, "b": b, "child_a": child_a, "child_b": child_b, **users}


def masked(page: bytes) -> bytes:
    return re.sub(rb'(<input[^>]*name="(?:[a-z]+-)?csrf_token"[^>]*value=")[^"]*', rb"\1CSRF", page)


def test_user_of_another_institution_cannot_learn_a_child_exists(browser, two_institutions):
    w = two_institutions
    browser.login("pb@example.dk")
    missing_id = w["child_a"].id + 1000
    forbidden = browser.get(f"/children/{w['child_a'].id}")
    missing = browser.get(f"/children/{missing_id}")
    assert forbidden.status_code == missing.status_code == 404
    # Not one byte differs but the CSRF token of the page's forms, which carries the time
    # (a second apart when the two requests straddle one).
    assert masked(forbidden.get_data()) == masked(missing.get_data())
    assert masked(forbidden.get_data()).count(b"CSRF") >= 1
    assert "Ada" not in forbidden.get_data(as_text=True)
    for url in (f"/groups/{w['a'].groups[0].id}", f"/institutions/{w['a'].id}"):
        assert browser.get(url).status_code == 404
    listing = browser.get("/institutions").get_data(as_text=True)
    assert "Børnehuset B" in listing
    assert "Børnehuset A" not in listing
    # Their own child is fine.
    assert browser.get(f"/children/{w['child_b'].id}").status_code == 200


def test_refused_access_is_audited(browser, two_institutions):
    w = two_institutions
    browser.login("pb@example.dk")
    browser.get(f"/children/{w['child_a'].id}")
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.outcome == Outcome.NOT_FOUND)
    ).one()
    assert event.user_id == w["educator_b"].id
    assert (event.object_type, event.object_id, event.child_id) == (
        "child",
        w["child_a"].id,
        w["child_a"].id,
    )


def test_reading_a_child_is_audited(browser, two_institutions):
    w = two_institutions
    browser.login("pa@example.dk")
    assert browser.get(f"/children/{w['child_a'].id}").status_code == 200
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "child.view")).one()
    assert event.user_id == w["educator_a"].id
    assert event.child_id == w["child_a"].id
    assert event.outcome == Outcome.OK
    assert event.occurred_at.tzinfo is not None


def test_protected_address_shown_only_to_those_who_need_it(browser, new_browser, two_institutions):
    w = two_institutions
    url = f"/children/{w['child_a'].id}"
    browser.login("pa@example.dk")  # educator
    html = browser.get(url).get_data(as_text=True)
    assert "Skjult Forælder" in html
    assert "Adressebeskyttet" in html
    assert "Hemmelig Allé" not in html
    assert "Åben Vej 3" in html  # the other guardian's address is not protected
    leader = new_browser()
    leader.login("la@example.dk")
    assert "Hemmelig Allé" in leader.get(url).get_data(as_text=True)


def test_dental_staff_see_the_child_but_not_the_guardians(browser, two_institutions):
    w = two_institutions
    browser.login("tand@example.dk")
    html = browser.get(f"/children/{w['child_a'].id}").get_data(as_text=True)
    assert "Ada" in html
    assert "Synlig Forælder" not in html
    assert "Åben Vej" not in html


def test_admin_manages_accounts_but_reads_no_child_data(browser, two_institutions):
    w = two_institutions
    browser.login("admin@example.dk")
    assert browser.get(f"/children/{w['child_a'].id}").status_code == 404
    assert browser.get(f"/groups/{w['a'].groups[0].id}").status_code == 404
    assert browser.get("/admin/users").status_code == 200
    assert browser.get("/admin/institutions").status_code == 200


def test_staff_cannot_use_admin_pages(browser, two_institutions):
    browser.login("la@example.dk")
    for url in (
        "/admin/",
        "/admin/users",
        "/admin/users/new",
        "/admin/roster",
        "/admin/institutions",
        "/admin/settings",
    ):
        assert browser.get(url).status_code == 403, url


def test_coordinator_sees_every_institution_but_no_child_by_name(browser, two_institutions):
    w = two_institutions
    browser.login("koord@example.dk")
    listing = browser.get("/institutions").get_data(as_text=True)
    assert "Børnehuset A" in listing
    assert "Børnehuset B" in listing
    assert browser.get(f"/institutions/{w['a'].id}").status_code == 200  # groups and counts
    # Figures, not names: no child, no group's list of children.
    assert browser.get(f"/children/{w['child_b'].id}").status_code == 404
    assert browser.get(f"/groups/{w['a'].groups[0].id}").status_code == 404
    assert "Ada" not in browser.get(f"/institutions/{w['a'].id}").get_data(as_text=True)


def test_ppr_sees_no_children_by_default(browser, two_institutions):
    w = two_institutions
    browser.login("ppr@example.dk")
    assert browser.get(f"/children/{w['child_a'].id}").status_code == 404
    assert browser.get("/").status_code == 200


def test_policy_matrix(two_institutions):
    w = two_institutions
    child_a = w["child_a"]
    expected = {
        "educator_a": {
            Action.VIEW_CHILD,
            Action.VIEW_GUARDIANS,
            Action.ADD_OBSERVATION,
            Action.VIEW_OBSERVATIONS,
            Action.VIEW_ASSESSMENTS,
            Action.ASSESS,
            Action.LIST_CHILDREN,
            Action.VIEW_PATHS,
            Action.MANAGE_PATHS,
        },
        "leader_a": {
            Action.VIEW_CHILD,
            Action.VIEW_GUARDIANS,
            Action.ADD_OBSERVATION,
            Action.VIEW_OBSERVATIONS,
            Action.VIEW_ASSESSMENTS,
            Action.ASSESS,
            Action.RECORD_JOINT,
            Action.DELEGATE_JOINT,
            Action.LIST_CHILDREN,
            Action.VIEW_PROTECTED_ADDRESS,
            Action.VIEW_PATHS,
            Action.MANAGE_PATHS,
            Action.DECIDE_NOTIFY,
            Action.VIEW_MOMENTUM,
            Action.PARENTS_COPY,
            Action.OVERSEE_CONFLICTS,
        },
        "educator_b": set(),
        "dental": {Action.VIEW_CHILD, Action.ADD_OBSERVATION, Action.LIST_CHILDREN},
        # Figures, not names (see test_coordinator_reads_named_data_only_when_...).
        "coordinator": set(),
        "admin": set(),
        "ppr": set(),
    }
    child_actions = [
        a
        for a in Action
        if a
        not in {
            Action.MANAGE_ROUNDS,
            Action.MANAGE_SETTINGS,
            Action.MANAGE_USERS,
            Action.MANAGE_INSTITUTIONS,
            Action.IMPORT_ROSTER,
            Action.MANAGE_OFFERS,
            Action.MUNICIPAL_OVERVIEW,
            Action.PREVIEW_ERASURE,
            Action.ROUND_OVERVIEW,  # an institution's document (tests/documents/test_access.py)
        }
    ]
    for who, allowed in expected.items():
        got = {a for a in child_actions if can(w[who], a, child_a)}
        assert got == allowed, who


def test_policy_denies_anonymous_and_inactive_users(two_institutions):
    w = two_institutions
    assert not can(None, Action.VIEW_CHILD, w["child_a"])
    w["leader_a"].active = False
    assert not can(w["leader_a"], Action.VIEW_CHILD, w["child_a"])


# The coordinator sees figures, not names ---------------------------------------------------

COORDINATOR_NAMED = {
    Action.VIEW_CHILD,
    Action.VIEW_GUARDIANS,
    Action.VIEW_OBSERVATIONS,
    Action.VIEW_ASSESSMENTS,
    Action.VIEW_PATHS,
}


def _path(w, level, *, status="open", position="yellow"):

    from screening.models import ActionPath
    from screening.paths.rules import load_templates

    today = local_today()
    path = ActionPath(
        child_id=w["child_a"].id,
        position=position,
        status=status,
        opened_on=today,
        closed_on=today if status == "closed" else None,
        coordinator_id=w["leader_a"].id,
        escalation_level=level,
        template_key="default",
        template_version=load_templates().version,  # the shipped (loaded) version
    )
    db.session.add(path)
    db.session.flush()
    return path


def _named_actions(user, child):
    return {
        a for a in Action if a in COORDINATOR_NAMED | {Action.LIST_CHILDREN} and can(user, a, child)
    }


@pytest.mark.parametrize(
    ("level", "status", "named"),
    [
        (1, "open", False),  # individual observation with the parents
        (2, "open", False),  # the team: no municipal consultants
        (3, "open", True),  # focus group with consultants
        (5, "open", True),
        (4, "closed", False),  # a closed path gives no lasting access
    ],
)
def test_coordinator_reads_named_data_only_when_the_path_reaches_the_consultants(
    two_institutions, catalogue, level, status, named
):
    w = two_institutions
    _path(w, level, status=status)
    got = _named_actions(w["coordinator"], w["child_a"])
    assert got == (COORDINATOR_NAMED if named else set())
    assert not can(w["coordinator"], Action.LIST_CHILDREN, w["a"].groups[0])
    assert not can(w["coordinator"], Action.VIEW_CHILD, w["child_b"])  # another child


def test_coordinator_escalation_level_follows_the_paths_own_template_version(
    two_institutions, catalogue
):
    w = two_institutions
    path = _path(w, 3)
    path.template_version = 1  # a version that marks no consultant level
    db.session.flush()
    assert _named_actions(w["coordinator"], w["child_a"]) == set()


def test_coordinator_invited_to_the_childs_meeting_reads_it_and_the_read_is_audited(
    browser, two_institutions, catalogue
):
    from datetime import UTC, datetime, timedelta

    from screening.paths import meetings

    w = two_institutions
    path = _path(w, 1)
    meeting = meetings.create_meeting(
        path,
        w["leader_a"],
        kind="network",
        starts_at=datetime.now(UTC) + timedelta(days=2),
        place="Huset",
        purpose="Netværksmøde",
        agenda="",
    )
    db.session.commit()
    browser.login("koord@example.dk")
    assert browser.get(f"/children/{w['child_a'].id}").status_code == 404
    meetings.invite_staff(meeting, w["coordinator"])
    db.session.commit()
    assert _named_actions(w["coordinator"], w["child_a"]) == COORDINATOR_NAMED
    assert browser.get(f"/children/{w['child_a'].id}").status_code == 200
    assert browser.get(f"/meetings/{meeting.id}").status_code == 200
    event = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "child.view", AuditEvent.user_id == w["coordinator"].id
        )
    ).one()
    assert event.child_id == w["child_a"].id
    assert event.outcome == Outcome.OK
    # Still no other child, and no group list.
    assert browser.get(f"/children/{w['child_b'].id}").status_code == 404
    assert browser.get(f"/groups/{w['a'].groups[0].id}").status_code == 404


def test_coordinator_keeps_the_figures(browser, two_institutions, catalogue):
    w = two_institutions
    coordinator = w["coordinator"]
    for action in (Action.MUNICIPAL_OVERVIEW, Action.MANAGE_ROUNDS, Action.VIEW_ASSESSMENTS):
        assert can(coordinator, action), action
    assert can(coordinator, Action.VIEW_ASSESSMENTS, w["a"])  # a round's counts per institution
    assert not can(coordinator, Action.VIEW_PATHS, w["a"])  # its PDFs name the children
