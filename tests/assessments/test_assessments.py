"""Wellbeing assessments through the real forms (CSRF on): instruments as data, rounds,
independent and joint assessments, observations, progress and the audit trail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import yaml

from screening.assessments import individual, joints, round_progress
from screening.catalogue.services import (
    DATA_DIR,
    CatalogueError,
    load_instrument_files,
    load_ruleset_files,
)
from screening.classifier import Position
from screening.core.extensions import db
from screening.models import (
    Assessment,
    AssessmentContext,
    AssessmentStatus,
    AuditEvent,
    ChildObservation,
    InstrumentVersion,
    JointAssessment,
    RoundStatus,
    ScreeningRound,
)


def assess_url(w, child="older"):
    return f"/rounds/{w['round'].id}/children/{w[child].id}/assess"


def post_assessment(browser, w, ticks=(), child="older", submit=False, **fields):
    data = {f"item__{k}": "y" for k in ticks}
    data.update(fields)
    data["version"] = _version(browser, assess_url(w, child))
    data["submit_assessment" if submit else "save_draft"] = "1"
    return browser.submit(assess_url(w, child), data)


def _version(browser, url):
    import re

    html = browser.get(url).get_data(as_text=True)
    return re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)


def own(w, user, child="older"):
    return db.session.scalar(
        sa.select(Assessment).where(
            Assessment.child_id == w[child].id, Assessment.assessor_id == w[user].id
        )
    )


# Instruments and rule sets as data ----------------------------------------------------------


def test_shipped_catalogue_loads_and_reloading_changes_nothing(app, catalogue):
    keys = set(db.session.scalars(sa.select(InstrumentVersion.key)))
    assert keys == {"topi-0-1", "topi-1-3", "topi-3-6", "rating-3-6"}
    again = load_instrument_files() + load_ruleset_files()
    assert {x.status for x in again} == {"unchanged"}


def test_changed_content_under_an_existing_version_is_refused(app, catalogue, tmp_path):
    doc = yaml.safe_load((DATA_DIR / "instruments" / "topi-3-6.yaml").read_text())
    doc["areas"][0]["items"][0]["text"]["da"] = "En ændret formulering."
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    with pytest.raises(CatalogueError, match=r"topi-3-6 version 1 is already loaded"):
        load_instrument_files(path)


def test_invalid_instrument_file_gives_a_precise_error(app, tmp_path):
    doc = yaml.safe_load((DATA_DIR / "instruments" / "topi-3-6.yaml").read_text())
    doc["areas"][0]["items"][0]["position"] = "purple"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["load-catalogue", "--instruments", str(path)])
    assert result.exit_code != 0
    assert "bad.yaml" in result.output
    assert "position" in result.output
    assert db.session.scalar(sa.select(sa.func.count(InstrumentVersion.id))) == 0


def test_new_instrument_version_never_changes_an_old_assessment(browser, world, tmp_path):
    browser.login("edu1@example.dk")
    post_assessment(browser, world, ["emo-g1"])
    doc = yaml.safe_load((DATA_DIR / "instruments" / "topi-3-6.yaml").read_text())
    doc["version"] = 2
    doc["areas"][0]["items"][0]["text"]["da"] = "Helt ny formulering af udsagnet."
    path = tmp_path / "v2.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    load_instrument_files(path)
    db.session.commit()
    a = own(world, "edu1")
    assert a.instrument.version == 1
    html = browser.get(assess_url(world)).get_data(as_text=True)
    assert "Helt ny formulering" not in html
    # A child assessed for the first time now gets version 2.
    html = browser.get(assess_url(world, "older2")).get_data(as_text=True)
    assert "Helt ny formulering af udsagnet." in html


# Rounds ---------------------------------------------------------------------------------------


def test_instrument_follows_age_at_the_reference_date(world):
    keys = {
        name: individual.instrument_for_child(world["round"], world[name]).key
        for name in ("infant", "toddler", "older")
    }
    assert keys == {"infant": "topi-0-1", "toddler": "topi-1-3", "older": "topi-3-6"}
    assert individual.instrument_for_child(world["round"], world["elsewhere"]) is None


def test_coordinator_opens_and_closes_rounds(browser, world):
    browser.login("koord@example.dk")
    base = {
        "name": "Forår 2027",
        "starts_on": "2027-03-01",
        "ends_on": "2027-02-01",
        "reference_date": "2027-03-01",
    }
    r = browser.submit("/rounds/new", base)
    html = r.get_data(as_text=True)
    assert "Slutdatoen skal ligge efter startdatoen." in html
    assert "Vælg mindst én institution." in html
    assert "Forår 2027" in html  # kept
    r = browser.submit(
        "/rounds/new",
        base
        | {
            "ends_on": "2027-04-30",
            "institutions": [str(world["inst"].id)],
            "instrument_keys": ["topi-3-6", "rating-3-6"],
        },
    )
    assert "To af de valgte skemaer dækker samme alder." in r.get_data(as_text=True)
    r = browser.submit(
        "/rounds/new",
        base
        | {
            "ends_on": "2027-04-30",
            "institutions": [str(world["inst"].id)],
            "instrument_keys": ["topi-1-3", "topi-3-6"],
        },
    )
    assert r.status_code == 302
    new = db.session.scalar(sa.select(ScreeningRound).where(ScreeningRound.name == "Forår 2027"))
    assert new.status == RoundStatus.PLANNED
    assert new.covers(world["inst"].id)
    r = browser.submit(f"/rounds/{new.id}/status", {"status": "open"}, page="/rounds")
    db.session.refresh(new)
    assert new.status == RoundStatus.OPEN


def test_only_coordinators_manage_rounds(browser, world):
    browser.login("leder@example.dk")
    assert browser.get("/rounds/new").status_code == 403
    assert browser.get("/rounds").status_code == 200


# Individual assessment --------------------------------------------------------------------------


def test_draft_then_submit_with_classifier_suggestion(browser, world):
    browser.login("edu1@example.dk")
    r = post_assessment(browser, world, ["emo-g1", "emo-y1"], resources="Glad for at bygge")
    assert r.status_code == 302
    a = own(world, "edu1")
    assert a.status == AssessmentStatus.DRAFT
    assert a.answers == {"emo-g1": True, "emo-y1": True}
    html = browser.get(assess_url(world)).get_data(as_text=True)
    assert "Glad for at bygge" in html
    # Submitting a yellow assessment without a justification: refused, nothing lost.
    r = post_assessment(
        browser,
        world,
        ["emo-g1", "emo-y1"],
        submit=True,
        resources="Glad for at bygge",
        concerns="Ofte ked af det",
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Skriv en kort begrundelse, når vurderingen er gul eller rød." in html
    assert "Ofte ked af det" in html
    assert 'name="item__emo-y1" type="checkbox" value="y" checked' in html or (
        "checked" in html.split("item__emo-y1")[1][:200]
    )
    db.session.refresh(a)
    assert a.status == AssessmentStatus.DRAFT
    assert a.concerns == ""
    r = post_assessment(
        browser, world, ["emo-g1", "emo-y1"], submit=True, justification="Set over flere uger."
    )
    assert r.status_code == 302
    db.session.refresh(a)
    assert a.status == AssessmentStatus.SUBMITTED
    assert a.suggested_position.value == "yellow"
    assert (a.ruleset_key, a.ruleset_version) == ("default", 2)
    assert a.classification["reasons"][0]["rule_id"] == "yellow-statement"
    page = browser.get(r.headers["Location"]).get_data(as_text=True)
    assert "emo-y1" not in page  # statements are shown by their text, not their keys
    assert a.classification["reasons"][0]["text_da"] in page
    # The rule set is named by its title, not by its internal key.
    assert "Beregnet efter: Standardregler (TOPI-model), version 2" in page
    assert "default, version" not in page
    # A submitted assessment cannot be changed.
    r = browser.get(assess_url(world))
    assert r.status_code == 302


def test_form_errors_keep_what_was_typed(browser, world):
    browser.login("edu1@example.dk")
    long_text = "x" * 4001
    r = post_assessment(browser, world, ["emo-r1"], concerns=long_text, resources="Bevar mig")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "Bevar mig" in html
    assert own(world, "edu1") is None


def test_two_tabs_saving_the_same_draft_is_a_visible_conflict(browser, world):
    browser.login("edu1@example.dk")
    post_assessment(browser, world, ["emo-g1"])
    stale = _version(browser, assess_url(world))
    post_assessment(browser, world, ["emo-g2"])  # "the other tab"
    r = browser.submit(
        assess_url(world),
        {"item__emo-g3": "y", "version": stale, "save_draft": "1", "resources": "Fra fane to"},
    )
    html = r.get_data(as_text=True)
    assert "er blevet gemt et andet sted" in html
    assert "Fra fane to" in html
    assert own(world, "edu1").answers == {"emo-g2": True}


def test_next_child_without_going_back_to_the_list(browser, world):
    browser.login("edu1@example.dk")
    html = browser.get(assess_url(world, "older")).get_data(as_text=True)
    # Alphabetically Ib, Otto, Tove, Ulla: after Otto comes Tove.
    assert f"/rounds/{world['round'].id}/children/{world['toddler'].id}/assess" in html


def test_child_outside_the_round_cannot_be_assessed(browser, world):
    browser.login("koord@example.dk")
    # Figures, not names: the coordinator does not see the child at all.
    assert browser.get(assess_url(world, "elsewhere")).status_code == 404
    browser.submit("/logout", page="/rounds")
    browser.login("edu1@example.dk")
    assert browser.get(assess_url(world, "elsewhere")).status_code == 404


def test_health_visitor_assesses_infants_at_home_visits_only(browser, world):
    browser.login("sp@example.dk")
    r = post_assessment(browser, world, ["emo-g1"], child="infant")
    assert r.status_code == 302
    a = db.session.scalar(sa.select(Assessment).where(Assessment.assessor_id == world["hv"].id))
    assert a.context == AssessmentContext.HOME_VISIT
    assert browser.get(assess_url(world, "older")).status_code == 403


# Independence and joint assessment ------------------------------------------------------------


def test_assessors_do_not_see_each_others_answers_until_they_have_submitted(
    browser, new_browser, world
):
    browser.login("edu1@example.dk")
    post_assessment(browser, world, ["emo-g1"], submit=True)
    first = own(world, "edu1")
    other = new_browser()
    other.login("edu2@example.dk")
    url = f"/assessments/{first.id}"
    assert other.get(url).status_code == 404  # no own assessment yet
    post_assessment(other, world, ["emo-g2"])  # a draft
    assert other.get(url).status_code == 404
    joint_url = f"/rounds/{world['round'].id}/children/{world['older'].id}/joint"
    assert other.get(joint_url).status_code == 403  # educators do not record joint ones
    post_assessment(other, world, ["emo-g2"], submit=True)
    assert other.get(url).status_code == 200
    # Nobody reads another person's draft.
    third = new_browser()
    third.login("leder@example.dk")
    post_assessment(third, world, ["emo-g1"])
    assert browser.get(f"/assessments/{own(world, 'leader').id}").status_code == 404


def test_leader_records_the_joint_assessment_with_override_reason(browser, new_browser, world):
    for email, ticks in (("edu1@example.dk", ["emo-y1"]), ("edu2@example.dk", ["emo-g1"])):
        b = new_browser()
        b.login(email)
        post_assessment(b, world, ticks, submit=True, justification="Begrundet.")
    browser.login("leder@example.dk")
    url = f"/rounds/{world['round'].id}/children/{world['older'].id}/joint"
    html = browser.get(url).get_data(as_text=True)
    assert "Eva" in html
    assert "Emil" in html
    # Default method "most_concerned": one educator's yellow is the suggestion; the
    # assessors disagree, so no position is pre-selected.
    assert "checked" not in html.split('name="agreed_position"', 1)[1].split("</fieldset>")[0]
    # The statements they answered differently are marked, in words too.
    assert html.count('class="answer answer-statement answer-differs"') == 2
    assert html.count("(forskellig)") == 2
    assert "Vurderingerne er uenige." in html
    r = browser.submit(url, {"agreed_position": "green", "justification": "Vi er enige."})
    assert r.status_code == 400
    assert "Skriv hvorfor I vælger en anden position end forslaget." in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(JointAssessment.id))) == 0
    r = browser.submit(
        url,
        {
            "agreed_position": "green",
            "justification": "Vi er enige.",
            "override_reason": "Emil har set barnet i flere uger.",
        },
    )
    assert r.status_code == 302
    joint = db.session.scalar(sa.select(JointAssessment))
    assert (joint.suggested_position.value, joint.agreed_position.value) == ("yellow", "green")
    assert joint.override_reason == "Emil har set barnet i flere uger."
    assert individual.latest_agreed(world["older"].id).id == joint.id
    child_page = browser.get(f"/children/{world['older'].id}").get_data(as_text=True)
    assert "pos-green" in child_page


def test_parents_informed_is_recorded(today, browser, world):
    previous = ScreeningRound(
        name="Forår test",
        starts_on=today - timedelta(days=200),
        ends_on=today - timedelta(days=150),
        reference_date=today - timedelta(days=200),
        status=RoundStatus.OPEN,
        instrument_keys=["topi-3-6"],
        institutions=[world["inst"]],
    )
    db.session.add(previous)
    db.session.flush()
    a = individual.start(
        previous,
        world["older"],
        world["edu1"],
        individual.instrument_for_child(previous, world["older"]),
    )
    individual.save(a, individual.AssessmentInput(answers={"emo-g1": True}), submit=True)
    joints.record_joint(
        previous, world["older"], world["leader"], agreed="green", justification="Trives."
    )
    b = individual.start(
        world["round"],
        world["older"],
        world["edu1"],
        individual.instrument_for_child(world["round"], world["older"]),
    )
    individual.save(
        b,
        individual.AssessmentInput(answers={"emo-r1": True}, justification="Alvorligt."),
        submit=True,
    )
    db.session.commit()
    browser.login("leder@example.dk")
    url = f"/rounds/{world['round'].id}/children/{world['older'].id}/joint"
    browser.submit(url, {"agreed_position": "red", "justification": "Enige."})
    joint = joints.joint_for(world["round"].id, world["older"].id)
    assert joint.previous_position.value == "green"
    assert joint.position_changed
    assert "Forældrene skal orienteres" in browser.get(url).get_data(as_text=True)
    r = browser.submit(
        f"/rounds/{world['round'].id}/children/{world['older'].id}/parents-informed",
        {"informed_on": today.isoformat(), "note": "Samtale ved afhentning"},
        page=url,
    )
    assert r.status_code == 302
    db.session.refresh(joint)
    assert joint.parents_informed_on == today
    assert joint.parents_informed_by_id == world["leader"].id


# Observations ------------------------------------------------------------------------------------


def test_dental_observation_raises_the_suggestion_and_dental_reads_no_assessments(
    today, browser, new_browser, world
):
    dental = new_browser()
    dental.login("tand@example.dk")
    url = f"/children/{world['older'].id}/observations/new"
    r = dental.submit(
        url,
        {
            "observed_on": today.isoformat(),
            "source": "dental",
            "category": "untreated_caries",
            "level": "2",
            "note": "Huller",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    obs = db.session.scalar(sa.select(ChildObservation))
    assert (obs.source.value, obs.category, obs.level) == ("dental", "untreated_caries", 2)
    browser.login("edu1@example.dk")
    post_assessment(browser, world, ["emo-g1"], submit=True, justification="Tandplejen.")
    a = own(world, "edu1")
    assert a.suggested_position.value == "yellow"
    assert "dental-neglect" in [r["rule_id"] for r in a.classification["reasons"]]
    # Daycare staff add their own observation; dental staff do not read it or assessments.
    browser.submit(
        url,
        {
            "observed_on": today.isoformat(),
            "source": "daycare",
            "category": "behaviour",
            "level": "1",
            "note": "Uro ved samling",
        },
    )
    assert dental.get(f"/assessments/{a.id}").status_code == 404
    timeline = dental.get(f"/children/{world['older'].id}/timeline").get_data(as_text=True)
    assert "Huller" in timeline
    assert "Uro ved samling" not in timeline
    assert "Eva" not in timeline
    full = browser.get(f"/children/{world['older'].id}/timeline").get_data(as_text=True)
    assert "Huller" in full
    assert "Uro ved samling" in full


def test_observation_form_errors(today, browser, world):
    browser.login("edu1@example.dk")
    url = f"/children/{world['older'].id}/observations/new"
    future = (today + timedelta(days=3)).isoformat()
    r = browser.submit(
        url,
        {
            "observed_on": future,
            "source": "daycare",
            "category": "behaviour",
            "level": "2",
            "note": "Behold",
        },
    )
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "Datoen må ikke ligge i fremtiden." in html
    assert "Behold" in html
    r = browser.submit(
        url,
        {
            "observed_on": today.isoformat(),
            "source": "dental",
            "category": "behaviour",
            "level": "2",
        },
    )
    assert r.status_code == 400  # educators cannot write as dental staff
    assert db.session.scalar(sa.select(sa.func.count(ChildObservation.id))) == 0


def test_observation_category_must_be_chosen(today, browser, world):
    """The category select starts with an empty option, so a user who picks nothing is told
    so at the field instead of saving the first category by accident."""
    browser.login("edu1@example.dk")
    url = f"/children/{world['older'].id}/observations/new"
    html = browser.get(url).get_data(as_text=True)
    select = re.search(r'<select[^>]*name="category"[^>]*>\s*<option([^>]*)>', html)
    assert select
    assert 'value=""' in select.group(1)
    r = browser.submit(
        url,
        {"observed_on": today.isoformat(), "source": "daycare", "category": "", "level": "2"},
    )
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    error = re.search(r'<p class="field-error" id="([^"]+)">(.*?)</p>', html, re.S)
    assert error
    assert "category" in error.group(1)
    assert "Vælg en kategori." in error.group(2)
    assert db.session.scalar(sa.select(sa.func.count(ChildObservation.id))) == 0


# Progress, timeline and audit --------------------------------------------------------------------


def test_progress_per_group_shows_who_is_missing(browser, new_browser, world):
    browser.login("edu1@example.dk")
    post_assessment(browser, world, ["emo-g1"], submit=True)
    post_assessment(browser, world, ["emo-g1"], child="toddler", submit=True)
    other = new_browser()
    other.login("edu2@example.dk")
    post_assessment(other, world, ["emo-g1"], submit=True)
    gp = round_progress.group_progress(world["round"], [world["group"]])[0]
    assert len(gp.eligible) == 4
    assert (gp.with_individual, gp.with_two, gp.with_joint) == (2, 1, 0)
    assert {c.child.first_name for c in gp.missing_individual} == {"Ib", "Ulla"}
    page = browser.get(f"/rounds/{world['round'].id}/groups/{world['group'].id}")
    assert page.status_code == 200
    assert "Ulla" in page.get_data(as_text=True)


def test_progress_per_child_counts_drafts_and_submissions_and_the_users_own(
    browser, new_browser, world
):
    """One statement reads each child's counts, the user's own status and the joint
    assessment: each figure belongs to its child, its round and its assessor."""
    browser.login("edu1@example.dk")
    post_assessment(browser, world, ["emo-g1"], submit=True, justification="Begrundet.")
    post_assessment(browser, world, ["emo-g1"], child="toddler")
    other = new_browser()
    other.login("edu2@example.dk")
    post_assessment(other, world, ["emo-g1"], submit=True, justification="Begrundet.")
    post_assessment(other, world, ["emo-g1"], child="older2")
    leader = new_browser()
    leader.login("leder@example.dk")
    joint_url = f"/rounds/{world['round'].id}/children/{world['older'].id}/joint"
    r = leader.submit(joint_url, {"agreed_position": "green", "justification": "Vi er enige."})
    assert r.status_code == 302

    def by_name(user=None):
        gp = round_progress.group_progress(world["round"], [world["group"]], user)[0]
        return {c.child.first_name: c for c in gp.children}

    mine = by_name(world["edu1"])
    assert [(n, c.submitted, c.drafts) for n, c in sorted(mine.items())] == [
        ("Ib", 0, 0),
        ("Otto", 2, 0),
        ("Tove", 0, 1),
        ("Ulla", 0, 1),
    ]
    assert {n: c.own_status for n, c in mine.items()} == {
        "Ib": None,
        "Otto": AssessmentStatus.SUBMITTED,
        "Tove": AssessmentStatus.DRAFT,
        "Ulla": None,
    }
    assert {n: c.own_status for n, c in by_name(world["edu2"]).items()} == {
        "Ib": None,
        "Otto": AssessmentStatus.SUBMITTED,
        "Tove": None,
        "Ulla": AssessmentStatus.DRAFT,
    }
    assert all(c.own_status is None for c in by_name().values())
    joints = {n: c.joint for n, c in mine.items() if c.joint is not None}
    assert list(joints) == ["Otto"]
    assert joints["Otto"].agreed_position == Position.GREEN
    assert joints["Otto"].previous_position is None


def test_every_read_and_change_of_an_assessment_is_audited(browser, world):
    browser.login("edu1@example.dk")
    post_assessment(browser, world, ["emo-g1"])
    post_assessment(browser, world, ["emo-g1"], submit=True)
    a = own(world, "edu1")
    browser.get(f"/assessments/{a.id}")
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.child_id == world["older"].id)
        .order_by(AuditEvent.id)
    ).all()
    actions = [e.action for e in events]
    for action in (
        "assessment.open",
        "assessment.save_draft",
        "assessment.submit",
        "assessment.view",
    ):
        assert action in actions
    assert all(e.user_id == world["edu1"].id for e in events)
