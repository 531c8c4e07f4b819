"""Action paths through the app: opening, escalating and closing from agreed positions,
due dates, the notify step on red, the consent gate on invitations, action plans,
follow-ups, momentum, role access and the audit trail."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from screening.assessments import individual, joints
from screening.core.errors import DomainError
from screening.core.extensions import db
from screening.models import (
    ActionPath,
    ActionPlan,
    Assessment,
    AuditEvent,
    ChildGuardian,
    Meeting,
    MeetingParticipant,
    NotifyDecision,
    Offer,
    PathStatus,
    Role,
    RoundStatus,
    ScreeningRound,
    StepKind,
)
from screening.paths import meetings, overview, plans
from screening.paths import services as paths
from screening.paths.rules import add_working_days

from .. import factories as f

ANSWERS = {"green": {"emo-g1": True}, "yellow": {"emo-y1": True}, "red": {"emo-r1": True}}


def agree(w, position, round_=None, child="older"):
    """Submit an assessment that gives `position`, agree it jointly, apply the path rule."""
    round_ = round_ or w["round"]
    kid = w[child]
    a = individual.start(round_, kid, w["edu1"], individual.instrument_for_child(round_, kid))
    data = individual.AssessmentInput(answers=ANSWERS[position], justification="Set.")
    individual.save(a, data, submit=True)
    joint = joints.record_joint(round_, kid, w["leader"], agreed=position, justification="Enige.")
    action, path = paths.apply_agreed_position(joint, w["leader"])
    db.session.commit()
    return action, path


def next_round(w, days_later=120, name="Næste runde"):
    r = ScreeningRound(
        name=name,
        starts_on=w["today"] + timedelta(days=days_later - 5),
        ends_on=w["today"] + timedelta(days=days_later + 30),
        reference_date=w["today"] + timedelta(days=days_later),
        status=RoundStatus.OPEN,
        instrument_keys=["topi-3-6"],
        institutions=[w["inst"]],
    )
    db.session.add(r)
    db.session.flush()
    return r


def step(path, key):
    return next(s for s in path.steps if s.key == key and not s.done)


# Opening, escalating, closing --------------------------------------------------------------


def test_agreed_yellow_opens_a_path_with_steps_and_a_named_coordinator(today, world):
    action, path = agree(world, "yellow")
    assert action == "open"
    assert (path.position.value, path.status) == ("yellow", PathStatus.OPEN)
    assert path.coordinator_id == world["leader"].id
    due = {s.key: s.due_on for s in path.steps}
    assert due["analysis"] == today + timedelta(days=14)
    assert due["follow_up"] == today + timedelta(weeks=8)


def test_yellow_then_red_escalates_the_same_path(world):
    _, first = agree(world, "yellow")
    later = next_round(world)
    action, second = agree(world, "red", later)
    assert action == "escalate"
    assert second.id == first.id
    assert db.session.scalar(sa.select(sa.func.count(ActionPath.id))) == 1
    keys = [s.key for s in second.steps]
    assert keys.count("action_plan") == 1  # not doubled
    assert {"leader_informed", "notify_assessment", "cross_meeting"} <= set(keys)
    assert second.position.value == "red"
    assert second.escalation_level == 4


def test_the_database_refuses_a_second_open_path(today, world):
    _, path = agree(world, "yellow")
    db.session.add(
        ActionPath(
            child_id=path.child_id,
            position="red",
            opened_on=today,
            coordinator_id=world["leader"].id,
            template_key="default",
            template_version=1,
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_green_lets_the_path_close_after_a_final_follow_up(today, browser, world):
    _, path = agree(world, "yellow")
    action, _ = agree(world, "green", next_round(world))
    assert action == "prepare_close"
    db.session.refresh(path)
    assert path.may_close
    assert "final_follow_up" in [s.key for s in path.steps]
    browser.login("leder@example.dk")
    url = f"/paths/{path.id}"
    r = browser.submit(f"{url}/close", {"note": "Barnet trives igen."}, page=url)
    assert r.status_code == 400
    assert "kan først afsluttes" in r.get_data(as_text=True)
    db.session.refresh(path)
    assert path.status == PathStatus.OPEN
    for s in list(path.steps):
        if not s.done:
            r = browser.submit(f"{url}/steps/{s.id}/done", {"note": "Gjort"}, page=url)
            assert r.status_code == 302
    r = browser.submit(f"{url}/close", {"note": "Barnet trives igen."}, page=url)
    db.session.refresh(path)
    assert path.status == PathStatus.CLOSED
    assert path.closed_on == today


def test_repeating_follow_up_comes_back_every_four_weeks(today, world):
    _, path = agree(world, "red")
    follow = step(path, "follow_up")
    nxt = paths.complete_step(follow, world["leader"], today)
    assert nxt.due_on == today + timedelta(weeks=4)
    assert nxt.key == "follow_up"
    assert not nxt.done


# The duty to notify ---------------------------------------------------------------------------


def test_red_path_requires_the_notify_assessment(today, browser, new_browser, world):
    _, path = agree(world, "red")
    notify = step(path, "notify_assessment")
    assert notify.kind == StepKind.NOTIFY
    assert notify.required
    assert notify.due_on == add_working_days(today, 1)
    with pytest.raises(DomainError, match="notify_decision_required"):
        paths.complete_step(notify, world["leader"], today)
    db.session.rollback()
    url = f"/paths/{path.id}/steps/{notify.id}/notify"
    educator = new_browser()
    educator.login("edu1@example.dk")
    assert educator.get(url).status_code == 200  # may read the prompt ...
    r = educator.submit(
        url, {"decision": "notify", "reasoning": "x", "decided_on": today.isoformat()}
    )
    assert r.status_code == 403  # ... but only the leader records it
    browser.login("leder@example.dk")
    r = browser.submit(
        url,
        {
            "decision": "no_notify",
            "reasoning": "Vi følger tæt op.",
            "decided_on": today.isoformat(),
            "sent_on": today.isoformat(),
        },
    )
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "kun registreres en afsendt underretning" in html
    assert "Vi følger tæt op." in html  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count(NotifyDecision.id))) == 0
    r = browser.submit(
        url,
        {
            "decision": "notify",
            "reasoning": "Tegn på omsorgssvigt.",
            "decided_on": today.isoformat(),
            "sent_on": today.isoformat(),
        },
    )
    decision = db.session.scalar(sa.select(NotifyDecision))
    assert decision.decision.value == "notify"
    assert decision.sent_by_id == world["leader"].id  # the leader signs
    db.session.refresh(notify)
    assert notify.done_on == today


# Consent gate -------------------------------------------------------------------------------


@pytest.fixture
def meeting(world):
    g = f.guardian(name="Mor Madsen", address="Vej 1")
    world["older"].guardian_links.append(ChildGuardian(guardian=g, has_custody=True))
    _, path = agree(world, "red")
    m = meetings.create_meeting(
        path,
        world["leader"],
        kind="cross_disciplinary",
        starts_at=datetime.now(UTC),
        place="Mødelokalet",
        purpose="Barnets trivsel",
        agenda="",
    )
    db.session.commit()
    return {"meeting": m, "guardian": g, "path": path}


def invite_external(browser, m, **extra):
    data = {
        "kind": "external",
        "external-name": "Pia Psykolog",
        "external-profession": "psychologist",
        "external-organisation": "PPR",
    }
    data.update(extra)
    return browser.submit(f"/meetings/{m.id}/participants", data, page=f"/meetings/{m.id}")


def test_external_professional_needs_consent_or_legal_basis(today, browser, world, meeting):
    m = meeting["meeting"]
    browser.login("leder@example.dk")
    page = browser.get(f"/meetings/{m.id}").get_data(as_text=True)
    assert "Intet samtykke" in page
    r = invite_external(browser, m)
    assert r.status_code == 400
    assert "Der er intet gældende samtykke" in r.get_data(as_text=True)
    assert "Pia Psykolog" in r.get_data(as_text=True)  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count(MeetingParticipant.id))) == 0
    # With a recorded consent from a custody holder it is allowed, and the basis is kept.
    url = f"/children/{world['older'].id}/consents"
    r = browser.submit(
        url,
        {
            "guardian_id": str(meeting["guardian"].id),
            "information_kinds": ["wellbeing", "action_plan"],
            "recipients": ["psychologist"],
            "purpose": "Tværfagligt møde",
            "given_on": today.isoformat(),
        },
    )
    assert r.status_code == 302
    assert invite_external(browser, m).status_code == 302
    participant = db.session.scalar(sa.select(MeetingParticipant))
    assert participant.consent_id is not None
    assert participant.legal_basis == ""
    assert "Samtykke dækker" in browser.get(f"/meetings/{m.id}").get_data(as_text=True)


def test_withdrawn_consent_stops_future_sharing(today, browser, world, meeting):
    m = meeting["meeting"]
    consent = meetings.record_consent(
        world["older"],
        meeting["guardian"],
        world["leader"],
        information_kinds=["wellbeing"],
        recipients=["psychologist"],
        purpose="Møde",
        given_on=today,
    )
    db.session.commit()
    browser.login("leder@example.dk")
    url = f"/children/{world['older'].id}/consents"
    r = browser.submit(f"/consents/{consent.id}/withdraw", {}, page=url)
    assert r.status_code == 302
    db.session.refresh(consent)
    assert consent.withdrawn_on == today
    assert invite_external(browser, m).status_code == 400
    # A recorded legal basis allows sharing without consent; the UI keeps which.
    r = invite_external(browser, m, **{"external-legal_basis": "Barnets lov § 133"})
    assert r.status_code == 302
    participant = db.session.scalar(sa.select(MeetingParticipant))
    assert participant.consent_id is None
    assert participant.legal_basis == "Barnets lov § 133"


def test_consent_must_come_from_a_custody_holder(today, world, meeting):
    g2 = f.guardian(name="Far uden myndighed")
    world["older"].guardian_links.append(ChildGuardian(guardian=g2, has_custody=False))
    db.session.flush()
    with pytest.raises(DomainError, match="not_custody_holder"):
        meetings.record_consent(
            world["older"],
            g2,
            world["leader"],
            information_kinds=["x"],
            recipients=["psychologist"],
            purpose="p",
            given_on=today,
        )


# Action plan and follow-ups ------------------------------------------------------------------


def test_action_plan_with_actions_and_offers(today, browser, world):
    _, path = agree(world, "yellow")
    offer = Offer(name="Sprogstimulering", staircase_step=1, min_age_months=0, max_age_months=84)
    too_young = Offer(name="Kun for babyer", staircase_step=2, min_age_months=0, max_age_months=12)
    db.session.add_all([offer, too_young])
    db.session.commit()
    browser.login("edu1@example.dk")
    url = f"/paths/{path.id}/plan"
    html = browser.get(url).get_data(as_text=True)
    assert "Sprogstimulering" in html
    assert "Kun for babyer" not in html
    bad = {"goals": "", "items-0-who": "Eva", "evaluation_on": ""}
    r = browser.submit(url, bad)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "Skriv mindst ét konkret mål." in html
    assert "Skriv hvad der skal gøres." in html
    good = {
        "resources": "Nysgerrig",
        "goals": "Leger med to andre børn",
        "parents_perspective": "Vil gerne hjælpe",
        "child_perspective": "Kan lide klodser",
        "items-0-what": "Lege i små grupper",
        "items-0-who": "Eva",
        "items-0-by_when": (today + timedelta(days=30)).isoformat(),
        "items-1-what": "Samtale med forældrene",
        "items-1-who": "Lis",
        "offers": [str(offer.id)],
        "evaluation_on": (today + timedelta(days=60)).isoformat(),
    }
    r = browser.submit(url, good)
    assert r.status_code == 302
    plan = db.session.scalar(sa.select(ActionPlan))
    assert [(i.what, i.who) for i in plan.items] == [
        ("Lege i små grupper", "Eva"),
        ("Samtale med forældrene", "Lis"),
    ]
    assert [o.name for o in plan.offers] == ["Sprogstimulering"]
    assert "Lege i små grupper" in browser.get(url).get_data(as_text=True)


def test_follow_up_records_progress(today, browser, world):
    _, path = agree(world, "yellow")
    browser.login("leder@example.dk")
    url = f"/paths/{path.id}"
    r = browser.submit(
        f"{url}/follow-ups",
        {
            "held_on": today.isoformat(),
            "progress": "better",
            "note": "Leger mere",
            "next_step": "Fortsæt",
        },
        page=url,
    )
    assert r.status_code == 302
    assert "Leger mere" in browser.get(url).get_data(as_text=True)


# Momentum and access -----------------------------------------------------------------------------


def test_momentum_lists_overdue_steps_first_and_stalled_children(today, browser, world):
    _, path = agree(world, "red")
    overdue = step(path, "cross_meeting")
    overdue.due_on = today - timedelta(days=3)
    path.opened_on = today - timedelta(days=200)
    db.session.commit()
    data = overview.overview([world["inst"].id], today)
    assert data.steps[0].id == overdue.id
    assert data.overdue_by_institution == {"Børnehuset Mælkebøtten": 1}
    assert [p.id for p, _days in data.stalled] == [path.id]
    # A follow-up recording progress takes the child off the stalled list.
    plans.add_follow_up(
        path, world["leader"], held_on=today, progress="better", note="", next_step=""
    )
    assert overview.overview([world["inst"].id], today).stalled == []
    assert overview.overview([world["inst"].id + 999], today).steps == []
    browser.login("leder@example.dk")
    assert "Overskredet" in browser.get("/momentum").get_data(as_text=True)


def test_path_access_follows_the_child(browser, new_browser, world):
    _, path = agree(world, "yellow")
    other = f.user(
        Role.LEADER, institutions=[f.institution("Fremmed hus")], email="fremmed@example.dk"
    )
    db.session.commit()
    browser.login("fremmed@example.dk")
    assert browser.get(f"/paths/{path.id}").status_code == 404
    assert browser.get(f"/paths/{path.id}/plan").status_code == 404
    assert browser.get("/momentum").status_code == 200
    assert "Mælkebøtten" not in browser.get("/momentum").get_data(as_text=True)
    dental = new_browser()
    dental.login("tand@example.dk")
    assert dental.get(f"/paths/{path.id}").status_code == 403
    educator = new_browser()
    educator.login("edu1@example.dk")
    assert educator.get("/momentum").status_code == 403
    assert other.id


def test_path_reads_and_changes_are_audited(browser, world):
    _, path = agree(world, "yellow")
    browser.login("leder@example.dk")
    url = f"/paths/{path.id}"
    browser.get(url)
    s = step(path, "analysis")
    browser.submit(f"{url}/steps/{s.id}/done", {"note": ""}, page=url)
    actions = set(
        db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.child_id == world["older"].id)
        )
    )
    assert {"path.view", "path.step_done"} <= actions


def test_joint_assessment_page_opens_the_path(browser, world):
    a = individual.start(
        world["round"],
        world["older"],
        world["edu1"],
        individual.instrument_for_child(world["round"], world["older"]),
    )
    data = individual.AssessmentInput(answers=ANSWERS["red"], justification="x")
    individual.save(a, data, submit=True)
    db.session.commit()
    browser.login("leder@example.dk")
    url = f"/rounds/{world['round'].id}/children/{world['older'].id}/joint"
    r = browser.submit(url, {"agreed_position": "red", "justification": "Enige."})
    assert r.status_code == 302
    path = paths.open_path_for(world["older"].id)
    assert path is not None
    assert path.position.value == "red"
    html = browser.get(r.headers["Location"]).get_data(as_text=True)
    assert "En handlevej er åbnet" in html
    assert re.search(
        rf"/paths/{path.id}", browser.get(f"/children/{world['older'].id}").get_data(as_text=True)
    )


def test_new_meeting_form(browser, world):
    _, path = agree(world, "red")
    browser.login("leder@example.dk")
    url = f"/paths/{path.id}/meetings/new"
    r = browser.submit(
        url,
        {
            "kind": "cross_disciplinary",
            "starts_at": "2026-12-03T09:30",
            "place": "",
            "purpose": "Fælles forståelse",
        },
    )
    assert r.status_code == 400
    assert "Skriv hvor mødet holdes." in r.get_data(as_text=True)
    r = browser.submit(
        url,
        {
            "kind": "cross_disciplinary",
            "starts_at": "2026-12-03T09:30",
            "place": "Mødelokalet",
            "purpose": "Fælles forståelse",
        },
    )
    assert r.status_code == 302
    m = db.session.scalar(sa.select(Meeting))
    assert m.starts_at.hour == 8  # 09:30 Copenhagen (CET) is 08:30 UTC
    assert m.starts_at.date() == date(2026, 12, 3)


def test_ppr_reads_a_child_only_while_invited_on_a_valid_basis(
    today, browser, new_browser, world, meeting
):
    ppr = f.user(Role.PPR, email="pia@ppr.example.dk", name="Pia Psykolog")
    db.session.commit()
    kid = world["older"]
    browser.login("pia@ppr.example.dk")
    assert browser.get(f"/children/{kid.id}").status_code == 404
    consent = meetings.record_consent(
        kid,
        meeting["guardian"],
        world["leader"],
        information_kinds=["wellbeing"],
        recipients=["psychologist"],
        purpose="Møde",
        given_on=today,
    )
    meetings.invite_external(
        meeting["meeting"],
        name="Pia Psykolog",
        profession="psychologist",
        organisation="PPR",
        email="Pia@ppr.example.dk",
        legal_basis="",
        on=today,
    )
    db.session.commit()
    assert browser.get(f"/children/{kid.id}").status_code == 200
    assert "Otto" in browser.get("/").get_data(as_text=True)
    assert browser.get(f"/meetings/{meeting['meeting'].id}").status_code == 200
    assert browser.get(f"/paths/{meeting['path'].id}/plan").status_code == 200
    # ... but not the assessments, the guardians' details or other children.
    a = db.session.scalar(sa.select(Assessment).where(Assessment.child_id == kid.id))
    assert browser.get(f"/assessments/{a.id}").status_code == 404
    assert "Mor Madsen" not in browser.get(f"/children/{kid.id}").get_data(as_text=True)
    assert browser.get(f"/children/{world['older2'].id}").status_code == 404
    meetings.withdraw_consent(consent, world["leader"], today)
    db.session.commit()
    assert browser.get(f"/children/{kid.id}").status_code == 404
    assert ppr.id
