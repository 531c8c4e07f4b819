"""Action paths keep their own books: a step whose work is recorded in the product is
completed by that record (who and when), and a step already true when the path opens is
done at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from screening.assessments import individual, joints
from screening.core.extensions import db
from screening.models import ActionStep
from screening.paths import books, meetings
from screening.paths import services as paths

from .test_paths import ANSWERS, agree, next_round


def open_step(path, key):
    db.session.refresh(path)
    return next((s for s in path.steps if s.key == key and not s.done), None)


def done_step(path, key):
    db.session.refresh(path)
    return next(s for s in path.steps if s.key == key and s.done)


def test_saving_the_action_plan_completes_the_plan_step(today, browser, world):
    _, path = agree(world, "yellow")
    browser.login("edu1@example.dk")
    r = browser.submit(
        f"/paths/{path.id}/plan",
        {
            "goals": "Leger med to andre børn",
            "items-0-what": "Lege i små grupper",
            "items-0-who": "Eva",
            "evaluation_on": (today + timedelta(days=60)).isoformat(),
        },
    )
    assert r.status_code == 302
    plan_step = done_step(path, "action_plan")
    assert (plan_step.done_on, plan_step.done_by_id) == (today, world["edu1"].id)
    assert open_step(path, "analysis") is not None  # other steps stay open


def meeting_of(path, world, kind, starts_at=None):
    m = meetings.create_meeting(
        path,
        world["leader"],
        kind=kind,
        starts_at=starts_at or datetime.now(UTC) - timedelta(hours=1),
        place="Mødelokalet",
        purpose="Barnets trivsel",
        agenda="",
    )
    db.session.commit()
    return m


def save_minutes(browser, m, minutes="Vi aftalte en plan."):
    return browser.submit(f"/meetings/{m.id}", {"minutes": minutes, "decisions": ""})


def test_a_held_meeting_completes_its_meeting_step(browser, world):
    _, path = agree(world, "red")
    browser.login("leder@example.dk")
    m = meeting_of(path, world, "cross_disciplinary")
    # Creating the meeting does not do the step; its minutes record that it was held.
    assert open_step(path, "cross_meeting") is not None
    r = save_minutes(browser, m)
    assert r.status_code == 302
    step = done_step(path, "cross_meeting")
    assert step.done_by_id == world["leader"].id
    assert step.done_on == m.starts_at.astimezone().date()
    follow = browser.get(r.headers["Location"]).get_data(as_text=True)
    assert "trinnet »Tværfagligt møde med familien« er udført" in follow
    # Saving the minutes again completes nothing more.
    count_done = db.session.scalar(
        sa.select(sa.func.count(ActionStep.id)).where(ActionStep.done_on.is_not(None))
    )
    save_minutes(browser, m, "Rettet referat.")
    assert count_done == db.session.scalar(
        sa.select(sa.func.count(ActionStep.id)).where(ActionStep.done_on.is_not(None))
    )


def test_a_meeting_completes_only_a_step_of_its_kind_and_only_once_held(browser, world):
    _, path = agree(world, "yellow")
    browser.login("leder@example.dk")
    network = meeting_of(path, world, "network")
    assert save_minutes(browser, network).status_code == 302
    assert open_step(path, "parent_talk") is not None  # a network meeting is no parent talk
    later = meeting_of(path, world, "parent_talk", datetime.now(UTC) + timedelta(days=3))
    assert save_minutes(browser, later, "Dagsorden, skrevet i forvejen.").status_code == 302
    assert open_step(path, "parent_talk") is not None  # not held yet
    talk = meeting_of(path, world, "parent_talk")
    assert save_minutes(browser, talk).status_code == 302
    assert done_step(path, "parent_talk").done_by_id == world["leader"].id


def test_a_recorded_follow_up_completes_the_follow_up_step(today, browser, world):
    _, path = agree(world, "red")
    browser.login("leder@example.dk")
    held = today - timedelta(days=1)
    url = f"/paths/{path.id}"
    r = browser.submit(
        f"{url}/follow-ups",
        {"held_on": held.isoformat(), "progress": "unchanged", "note": "", "next_step": ""},
        page=url,
    )
    assert r.status_code == 302
    step = done_step(path, "follow_up")
    assert (step.done_on, step.done_by_id) == (held, world["leader"].id)
    # The repeating follow-up comes back four weeks after the one held.
    assert open_step(path, "follow_up").due_on == held + timedelta(weeks=4)


def test_the_leader_is_informed_at_once_when_she_made_the_joint_assessment(today, world):
    _, path = agree(world, "red")  # the leader records the joint assessment
    step = done_step(path, "leader_informed")
    assert (step.done_on, step.done_by_id) == (today, world["leader"].id)
    assert step.title_da == "Orienter lederen"
    assert open_step(path, "notify_assessment") is not None


def test_the_leader_must_still_be_informed_when_a_delegate_made_the_joint_assessment(world):
    kid = world["older"]
    instrument = individual.instrument_for_child(world["round"], kid)
    a = individual.start(world["round"], kid, world["edu1"], instrument)
    individual.save(
        a, individual.AssessmentInput(answers=ANSWERS["red"], justification="Set."), submit=True
    )
    joint = joints.record_joint(
        world["round"], kid, world["edu2"], agreed="red", justification="Enige."
    )
    _, path = paths.apply_agreed_position(joint, world["edu2"])
    db.session.commit()
    assert open_step(path, "leader_informed") is not None


def test_escalation_to_red_by_the_leader_informs_her_at_once(world):
    _, path = agree(world, "yellow")
    agree(world, "red", next_round(world))
    assert done_step(path, "leader_informed").done_by_id == world["leader"].id


def test_a_record_completes_nothing_on_a_closed_path_or_twice(today, world):
    _, path = agree(world, "yellow")
    first = books.complete_by_record(path, "plan_saved", world["leader"], today)
    assert first is not None
    assert first.key == "action_plan"
    assert books.complete_by_record(path, "plan_saved", world["leader"], today) is None
