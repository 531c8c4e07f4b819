"""Many hands at once (issue 18): the same or conflicting requests fired at the same moment
from separate sessions against a real threaded server, on the real database (SQLite, or
PostgreSQL with TEST_DATABASE_URL). Each race asserts no 5xx (`race` checks), no duplicate
row, no lost update without a message, and the loser's message."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from screening.assessments import individual
from screening.core.extensions import db
from screening.models import (
    ActionPath,
    ActionPlan,
    ActionStep,
    Assessment,
    Child,
    ChildGuardian,
    GroupMembership,
    Guardian,
    JointAssessment,
    MeetingParticipant,
    NotifyDecision,
    Role,
    ScreeningRound,
)
from screening.org.roster import import_roster
from screening.paths import meetings, plans
from screening.paths import services as paths

from .. import factories as f
from ..paths.test_paths import ANSWERS, agree, step
from .conftest import race

CHANGED = "En anden har gemt dette, siden du åbnede siden."
LEADER = "leder@example.dk"


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def submitted(w, position: str, child: str = "older") -> None:
    """An educator's submitted assessment of the child (no joint assessment yet)."""
    kid = w[child]
    a = individual.start(
        w["round"], kid, w["edu1"], individual.instrument_for_child(w["round"], kid)
    )
    individual.save(
        a, individual.AssessmentInput(answers=ANSWERS[position], justification="Set."), submit=True
    )
    db.session.commit()


def statuses(answers) -> list[int]:
    db.session.expire_all()
    return sorted(a.status for a in answers)


# Assessments -----------------------------------------------------------------------------


def test_a_double_tapped_first_submit_stores_one_assessment(world, agent):
    tablet = agent("edu1@example.dk")
    url = f"/rounds/{world['round'].id}/children/{world['older'].id}/assess"
    token = tablet.token(url)
    data = {"item__emo-g1": "y", "version": "0", "submit_assessment": "Indsend vurdering"}
    answers = race(*[lambda: tablet.post(url, data, token=token)] * 2)
    assert statuses(answers) == [302, 302]  # the second tap answers as the first did
    assert count(Assessment) == 1
    (only,) = db.session.scalars(sa.select(Assessment)).all()
    assert only.submitted
    assert {a.location.rsplit("/", 1)[-1] for a in answers} == {str(only.id)}


def test_a_double_tapped_submit_of_a_saved_draft_submits_once(world, agent):
    kid = world["older"]
    draft = individual.start(
        world["round"], kid, world["edu1"], individual.instrument_for_child(world["round"], kid)
    )
    individual.save(draft, individual.AssessmentInput(answers={"emo-g1": True}), submit=False)
    db.session.commit()
    before = draft.version
    tablet = agent("edu1@example.dk")
    url = f"/rounds/{world['round'].id}/children/{kid.id}/assess"
    token = tablet.token(url)
    data = {
        "item__emo-g1": "y",
        "version": str(before),
        "submit_assessment": "Indsend vurdering",
    }
    answers = race(*[lambda: tablet.post(url, data, token=token)] * 2)
    assert statuses(answers) == [302, 302]
    only = db.session.scalars(sa.select(Assessment)).one()
    assert only.submitted
    assert only.version == before + 1  # saved once, not twice


# The joint assessment --------------------------------------------------------------------


def _joint_url(w) -> str:
    return f"/rounds/{w['round'].id}/children/{w['older'].id}/joint"


def test_the_first_joint_assessment_from_two_sessions(world, agent):
    submitted(world, "yellow")
    a, b = agent(LEADER), agent(LEADER)
    url = _joint_url(world)
    ta, tb = a.token(url), b.token(url)
    base = {"agreed_position": "yellow", "version": "0"}
    answers = race(
        lambda: a.post(url, base | {"justification": "Enige: gul (A)"}, token=ta),
        lambda: b.post(url, base | {"justification": "Enige: gul (B)"}, token=tb),
    )
    assert statuses(answers) == [302, 400]
    loser = next(x for x in answers if x.status == 400)
    assert CHANGED in loser.html
    assert count(JointAssessment) == 1
    assert count(ActionPath) == 1


def test_a_joint_form_opened_before_a_colleague_saved_is_refused(world, agent):
    agree(world, "yellow")
    a, b = agent(LEADER), agent(LEADER)
    url = _joint_url(world)
    ta, tb = a.token(url), b.token(url)  # both opened the form at version 1
    red = {
        "agreed_position": "red",
        "justification": "Vi er bekymrede.",
        "override_reason": "Nyt fra sundhedsplejen.",
        "version": "1",
    }
    assert b.post(url, red, token=tb).status == 302
    stale = a.post(
        url,
        {"agreed_position": "yellow", "justification": "Mit gamle udkast", "version": "1"},
        token=ta,
    )
    assert stale.status == 400
    assert CHANGED in stale.html
    assert "Gemt af en anden, mens du skrev" in stale.html  # what changed ...
    assert "Vi er bekymrede." in stale.html
    assert "Mit gamle udkast" in stale.html  # ... and what the user typed, kept
    joint = db.session.scalars(sa.select(JointAssessment)).one()
    assert joint.agreed_position.value == "red"  # not silently replaced
    path = db.session.scalars(sa.select(ActionPath)).one()
    assert path.position.value == "red"


def test_two_revisions_of_the_joint_assessment_at_once(world, agent):
    agree(world, "yellow")
    a, b = agent(LEADER), agent(LEADER)
    url = _joint_url(world)
    ta, tb = a.token(url), b.token(url)
    base = {"agreed_position": "yellow", "version": "1"}
    answers = race(
        lambda: a.post(url, base | {"justification": "Revision A"}, token=ta),
        lambda: b.post(url, base | {"justification": "Revision B"}, token=tb),
    )
    assert statuses(answers) == [302, 400]
    assert CHANGED in next(x for x in answers if x.status == 400).html
    joint = db.session.scalars(sa.select(JointAssessment)).one()
    assert joint.version == 2


# The duty to notify (Barnets lov § 133) --------------------------------------------------


def _notify(w):
    _, path = agree(w, "red")
    notify = step(path, "notify_assessment")
    return path, notify, f"/paths/{path.id}/steps/{notify.id}/notify"


def test_the_first_notify_decision_from_two_sessions(today, world, agent):
    _, _, url = _notify(world)
    a, b = agent(LEADER), agent(LEADER)
    ta, tb = a.token(url), b.token(url)
    base = {"decision": "no_notify", "decided_on": today.isoformat(), "version": "0"}
    answers = race(
        lambda: a.post(url, base | {"reasoning": "Vurdering A"}, token=ta),
        lambda: b.post(url, base | {"reasoning": "Vurdering B"}, token=tb),
    )
    assert statuses(answers) == [302, 400]
    assert CHANGED in next(x for x in answers if x.status == 400).html
    assert count(NotifyDecision) == 1


def test_two_revisions_of_the_notify_decision_one_is_refused_not_lost(today, world, agent):
    _path, notify, url = _notify(world)
    paths.record_notify_decision(
        notify, world["leader"], decision="no_notify", reasoning="Først", decided_on=today
    )
    db.session.commit()
    a, b = agent(LEADER), agent(LEADER)
    ta, tb = a.token(url), b.token(url)
    base = {"decision": "no_notify", "decided_on": today.isoformat(), "version": "1"}
    answers = race(
        lambda: a.post(url, base | {"reasoning": "Revision A"}, token=ta),
        lambda: b.post(url, base | {"reasoning": "Revision B"}, token=tb),
    )
    assert statuses(answers) == [302, 400]
    loser = next(x for x in answers if x.status == 400)
    assert CHANGED in loser.html
    winner = "Revision B" if answers[0].status == 400 else "Revision A"
    decision = db.session.scalars(sa.select(NotifyDecision)).one()
    assert decision.reasoning == winner
    assert decision.version == 2


# Action plan and steps -------------------------------------------------------------------


def form_version(html: str, field_id: str = "version") -> str:
    """The version a page's form carries (hidden field `field_id`)."""
    match = re.search(rf'id="{field_id}" name="version" type="hidden" value="(\d+)"', html)
    return match.group(1) if match else ""


def _plan_data(what: str, version: int | str, today: date) -> dict:
    return {
        "goals": "Trives i gruppen",
        "evaluation_on": (today + timedelta(days=60)).isoformat(),
        "items-0-what": what,
        "items-0-who": "Pædagog",
        "version": str(version),
    }


def test_two_sessions_saving_the_plan_keep_one_set_of_actions(today, world, agent):
    _, path = agree(world, "red")
    plans.save_plan(
        path,
        world["leader"],
        resources="",
        concerns="",
        goals="Trives",
        parents_perspective="",
        child_perspective="",
        evaluation_on=today + timedelta(days=30),
        items=[plans.PlanItemInput("Første handling", "Lis", None)],
        offer_ids=[],
    )
    db.session.commit()
    url = f"/paths/{path.id}/plan"
    a, b = agent(LEADER), agent(LEADER)
    ta, tb = a.token(url), b.token(url)
    version = form_version(a.get(url).html)  # what the form carries
    answers = race(
        lambda: a.post(url, _plan_data("Handling fra A", version, today), token=ta),
        lambda: b.post(url, _plan_data("Handling fra B", version, today), token=tb),
    )
    assert statuses(answers) == [302, 400]
    loser = next(x for x in answers if x.status == 400)
    assert CHANGED in loser.html
    plan = db.session.scalars(sa.select(ActionPlan)).one()
    assert len(plan.items) == 1
    assert plan.items[0].what in {"Handling fra A", "Handling fra B"}


def test_the_first_plan_from_two_sessions(today, world, agent):
    _, path = agree(world, "red")
    url = f"/paths/{path.id}/plan"
    a, b = agent(LEADER), agent(LEADER)
    ta, tb = a.token(url), b.token(url)
    answers = race(
        lambda: a.post(url, _plan_data("Handling fra A", 0, today), token=ta),
        lambda: b.post(url, _plan_data("Handling fra B", 0, today), token=tb),
    )
    assert statuses(answers) == [302, 400]
    assert CHANGED in next(x for x in answers if x.status == 400).html
    assert count(ActionPlan) == 1
    plan = db.session.scalars(sa.select(ActionPlan)).one()
    assert len(plan.items) == 1


def test_a_repeating_follow_up_pressed_from_four_sessions_is_completed_once(world, agent):
    _, path = agree(world, "red")
    follow = step(path, "follow_up")
    url = f"/paths/{path.id}"
    sessions = [agent(LEADER) for _ in range(4)]
    tokens = [s.token(url) for s in sessions]
    answers = race(
        *[
            (lambda s=s, t=t: s.post(f"{url}/steps/{follow.id}/done", {"note": ""}, token=t))
            for s, t in zip(sessions, tokens, strict=True)
        ]
    )
    assert statuses(answers) == [302] * 4
    db.session.expire_all()
    follow_ups = db.session.scalars(
        sa.select(ActionStep).where(ActionStep.path_id == path.id, ActionStep.key == "follow_up")
    ).all()
    assert len(follow_ups) == 2  # the one done and one next, not four next ones
    assert sorted(s.done for s in follow_ups) == [False, True]


# Meetings ---------------------------------------------------------------------------------


def test_the_same_guardian_invited_from_three_sessions_is_invited_once(world, agent):
    g = f.guardian(name="Mor Madsen", address="Vej 1")
    world["older"].guardian_links.append(ChildGuardian(guardian=g, has_custody=True))
    _, path = agree(world, "red")
    m = meetings.create_meeting(
        path,
        world["leader"],
        kind="parent_talk",
        starts_at=_now(),
        place="Mødelokalet",
        purpose="Barnets trivsel",
        agenda="",
    )
    db.session.commit()
    url = f"/meetings/{m.id}"
    sessions = [agent(LEADER) for _ in range(3)]
    tokens = [s.token(url) for s in sessions]
    data = {"kind": "guardian", "guardian-guardian_id": str(g.id)}
    answers = race(
        *[
            (lambda s=s, t=t: s.post(f"{url}/participants", data, token=t))
            for s, t in zip(sessions, tokens, strict=True)
        ]
    )
    assert statuses(answers) == [302] * 3
    assert count(MeetingParticipant, MeetingParticipant.guardian_id == g.id) == 1


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC) + timedelta(days=3)


# Roster import ---------------------------------------------------------------------------

HEADER = "barn_id;fornavn;efternavn;fødselsdato;institution;stue;forælder1_navn;forælder2_navn"


def _roster(rows: int, *, group: str = "Egernene", second: bool = False) -> bytes:
    lines = [HEADER] + [
        f"R{i};Barn{i};Hansen;2022-03-14;Børnehuset Mælkebøtten;{group};"
        f"Mor Hansen {i};{'Far Hansen ' + str(i) if second else ''}"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def _import_race(world, agent, data: bytes):
    admins = []
    for n in range(2):
        f.user(Role.ADMIN, email=f"admin{n}@example.dk")
    db.session.commit()
    admins = [agent(f"admin{n}@example.dk") for n in range(2)]
    tokens = [a.token("/admin/roster") for a in admins]
    return race(
        *[
            (lambda a=a, t=t: a.upload("/admin/roster", "file", "boern.csv", data, token=t))
            for a, t in zip(admins, tokens, strict=True)
        ]
    )


def test_two_imports_adding_a_second_guardian_add_it_once(today, world, agent):
    assert import_roster(_roster(10), today=today).ok
    db.session.commit()
    _import_race(world, agent, _roster(10, second=True))
    assert count(Child, Child.external_ref.like("R%")) == 10
    assert count(Guardian, Guardian.name.like("Far Hansen%")) == 10
    assert count(ChildGuardian, ChildGuardian.match_key.like("far hansen%")) == 10


def test_two_imports_of_the_same_new_children(world, agent):
    answers = _import_race(world, agent, _roster(10))
    assert statuses(answers) == [200, 200]  # one after the other; the second changes nothing
    assert count(Child, Child.external_ref.like("R%")) == 10
    assert count(Guardian, Guardian.name.like("Mor Hansen%")) == 10


def test_two_imports_of_the_same_group_change(today, world, agent):
    world["inst"].groups.append(f.Group(name="Mariehønsene"))
    db.session.flush()
    assert import_roster(_roster(10), today=today - timedelta(days=30)).ok
    db.session.commit()
    _import_race(world, agent, _roster(10, group="Mariehønsene"))
    open_ = count(GroupMembership, GroupMembership.end_date.is_(None))
    assert open_ == count(Child)  # one current group per child, never two


# Rounds -----------------------------------------------------------------------------------


def test_two_rounds_created_with_the_same_name(world, agent):
    a, b = agent("koord@example.dk"), agent("koord@example.dk")
    ta, tb = a.token("/rounds/new"), b.token("/rounds/new")
    data = {
        "name": "Forår 2027",
        "starts_on": "2027-03-01",
        "ends_on": "2027-04-30",
        "reference_date": "2027-03-01",
        "institutions": [str(world["inst"].id)],
        "instrument_keys": ["topi-3-6"],
    }
    answers = race(
        lambda: a.post("/rounds/new", data, token=ta),
        lambda: b.post("/rounds/new", data, token=tb),
    )
    assert statuses(answers) == [302, 400]
    loser = next(x for x in answers if x.status == 400)
    assert "Der findes allerede en runde med det navn." in loser.html
    assert count(ScreeningRound, ScreeningRound.name == "Forår 2027") == 1


# Stale forms for the other edited records -------------------------------------------------


def test_a_stale_round_form_is_refused_and_keeps_what_was_typed(world, agent):
    a, b = agent("koord@example.dk"), agent("koord@example.dk")
    url = f"/rounds/{world['round'].id}/edit"
    ta, tb = a.token(url), b.token(url)
    base = {
        "starts_on": world["round"].starts_on.isoformat(),
        "ends_on": world["round"].ends_on.isoformat(),
        "reference_date": world["round"].reference_date.isoformat(),
        "institutions": [str(world["inst"].id)],
        "instrument_keys": ["topi-0-1", "topi-1-3", "topi-3-6"],
        "version": "1",
    }
    assert b.post(url, base | {"name": "Efterår B"}, token=tb).status == 302
    stale = a.post(url, base | {"name": "Efterår A"}, token=ta)
    assert stale.status == 400
    assert CHANGED in stale.html
    assert "Efterår A" in stale.html  # kept
    assert 'name="version" type="hidden" value="2"' in stale.html  # saving again applies it
    db.session.expire_all()
    assert db.session.get(ScreeningRound, world["round"].id).name == "Efterår B"


def test_stale_minutes_are_refused_with_what_changed(world, agent):
    _, path = agree(world, "red")
    m = meetings.create_meeting(
        path,
        world["leader"],
        kind="parent_talk",
        starts_at=_now(),
        place="Mødelokalet",
        purpose="Barnets trivsel",
        agenda="",
    )
    db.session.commit()
    url = f"/meetings/{m.id}"
    a, b = agent(LEADER), agent(LEADER)
    ta, tb = a.token(url), b.token(url)
    answers = race(
        lambda: a.post(url, {"minutes": "Referat A", "decisions": "", "version": "1"}, token=ta),
        lambda: b.post(url, {"minutes": "Referat B", "decisions": "", "version": "1"}, token=tb),
    )
    assert statuses(answers) == [302, 400]
    loser = next(x for x in answers if x.status == 400)
    assert CHANGED in loser.html
    assert "Gemt af en anden, mens du skrev" in loser.html
    winner = "Referat B" if answers[0].status == 400 else "Referat A"
    db.session.expire_all()
    assert db.session.get(type(m), m.id).minutes == winner


def test_a_coordinator_form_opened_before_the_path_changed_is_refused(world, agent):
    _, path = agree(world, "red")
    url = f"/paths/{path.id}"
    a, b = agent(LEADER), agent(LEADER)
    ta, tb = a.token(url), b.token(url)
    version = form_version(a.get(url).html, "coordinator-version")
    leader, edu = world["leader"].id, world["edu1"].id
    assert (
        b.post(
            f"{url}/coordinator",
            {"coordinator_id": edu, "escalation_level": 2, "version": version},
            token=tb,
        ).status
        == 302
    )
    stale = a.post(
        f"{url}/coordinator",
        {"coordinator_id": leader, "escalation_level": 3, "version": version},
        token=ta,
    )
    assert stale.status == 302  # back to the path page, with the message
    assert CHANGED in a.get(url).html
    db.session.expire_all()
    assert db.session.get(ActionPath, path.id).coordinator_id == edu
