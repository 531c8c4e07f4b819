"""Offline tablets, server side (issue 7): batches reach the server exactly once, conflicts
are kept and resolved by a person, the offline pack is minimal and expires, and each user
has one data key. Real database, CSRF on: the token is read from a page and sent in the
X-CSRFToken header, like the tablet's script will."""

from __future__ import annotations

import base64
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from screening.core.extensions import db
from screening.models import (
    Assessment,
    AssessmentStatus,
    AuditEvent,
    ChildObservation,
    ConflictStatus,
    DeviceKey,
    Outcome,
    RoundStatus,
    ScreeningRound,
    SyncConflict,
    SyncKind,
    SyncReceipt,
)
from screening.offline import parsing

from .. import factories as f
from ..assessments.test_assessments import own, post_assessment
from ..conftest import is_postgres

# Helpers ----------------------------------------------------------------------------------------


def token(browser) -> str:
    return browser.token("/institutions")


def sync(browser, items, csrf: str | None = None):
    return browser.client.post(
        "/api/sync",
        json={"items": items},
        headers={"X-CSRFToken": csrf or token(browser), "Accept": "application/json"},
    )


def results(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def statuses(response) -> list[str]:
    return [r["status"] for r in results(response)]


def assessment_item(
    w, child="older", ticks=("emo-g1",), *, base=None, base_id=None, submit=False, **extra
):
    payload = {
        "round_id": w["round"].id,
        "child_id": w[child].id if isinstance(child, str) else child,
        "answers": dict.fromkeys(ticks, True),
        "resources": "Leger godt med de andre.",
        "concerns": "",
        "justification": "",
        "vulnerability": None,
        "submit": submit,
    }
    payload.update(extra)
    item = {"id": str(uuid.uuid4()), "kind": "assessment", "base_version": base, "payload": payload}
    if base_id is not None:
        item["base_id"] = base_id
    return item


def observation_item(w, child="older", **extra):
    payload = {
        "child_id": w[child].id if isinstance(child, str) else child,
        "source": "daycare",
        "category": "language",
        "level": 2,
        "observed_on": w["today"].isoformat(),
        "note": "Bruger få ord.",
    }
    payload.update(extra)
    return {
        "id": str(uuid.uuid4()),
        "kind": "observation",
        "base_version": None,
        "payload": payload,
    }


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def conflicts_of(browser) -> list[dict]:
    r = browser.get("/api/conflicts", headers={"Accept": "application/json"})
    assert r.status_code == 200
    return r.get_json()["conflicts"]


# Exactly once -----------------------------------------------------------------------------------


def test_two_assessments_synced_then_the_same_batch_replayed(browser, world):
    browser.login("edu1@example.dk")
    batch = [assessment_item(world, "older"), assessment_item(world, "older2")]
    first = results(sync(browser, batch))
    assert [r["status"] for r in first] == ["stored", "stored"]
    assert [r["id"] for r in first] == [i["id"] for i in batch]
    assert all(r["server_version"] == 2 for r in first)
    assert count(Assessment) == 2
    assert own(world, "edu1").resources == "Leger godt med de andre."

    again = results(sync(browser, batch))
    assert [r["status"] for r in again] == ["already_stored", "already_stored"]
    assert [r["object_id"] for r in again] == [r["object_id"] for r in first]
    assert count(Assessment) == 2
    assert count(SyncReceipt) == 2
    stored = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "assessment.save_draft")
    ).all()
    assert {e.child_id for e in stored} == {world["older"].id, world["older2"].id}
    assert all(e.details.get("via") == "sync" for e in stored)


def test_a_lost_answer_mid_batch_neither_duplicates_nor_loses(browser, world):
    browser.login("edu1@example.dk")
    batch = [
        assessment_item(world, "older"),
        observation_item(world, "older"),
        assessment_item(world, "older2"),
        observation_item(world, "older2", category="behaviour", level=1),
    ]
    # The first half arrived, but the answer was lost: the tablet sends everything again.
    assert statuses(sync(browser, batch[:2])) == ["stored", "stored"]
    assert statuses(sync(browser, batch)) == [
        "already_stored",
        "already_stored",
        "stored",
        "stored",
    ]
    assert count(Assessment) == 2
    assert count(ChildObservation) == 2
    assert count(SyncReceipt) == 4
    assert count(SyncConflict) == 0


def test_the_same_id_twice_in_one_batch_lands_once(browser, world):
    browser.login("edu1@example.dk")
    item = observation_item(world)
    assert statuses(sync(browser, [item, item])) == ["stored", "already_stored"]
    assert count(ChildObservation) == 1


def test_same_id_with_a_different_payload_is_a_conflict_keeping_both(browser, world):
    browser.login("edu1@example.dk")
    item = assessment_item(world, ticks=("emo-g1",))
    assert statuses(sync(browser, [item])) == ["stored"]
    changed = {**item, "payload": {**item["payload"], "answers": {"emo-g2": True}}}
    (r,) = results(sync(browser, [changed]))
    assert r["status"] == "conflict"
    assert r["reason"] == "different_payload"
    a = own(world, "edu1")
    assert a.answers == {"emo-g1": True}  # the server's version is untouched
    conflict = db.session.get(SyncConflict, r["conflict_id"])
    assert conflict.payload["answers"] == {"emo-g2": True}  # the device's version is kept
    assert conflict.server_snapshot["answers"] == {"emo-g1": True}
    assert conflict.object_id == a.id
    assert conflict.status == ConflictStatus.OPEN
    # Sent again, the same disagreeing item is the same conflict, not a second one.
    (again,) = results(sync(browser, [changed]))
    assert again["status"] == "conflict"
    assert again["conflict_id"] == r["conflict_id"]
    assert count(SyncConflict) == 1
    # The original is still "already stored".
    assert statuses(sync(browser, [item])) == ["already_stored"]
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "sync.conflict")
    ).one()
    assert event.child_id == world["older"].id


def test_a_receipt_inserted_before_the_batch_is_caught_by_the_unique_constraint(browser, world):
    """A second request that inserted the same id first (the race): the constraint, not a
    check before inserting, makes this one "already stored", and nothing is applied twice."""
    browser.login("edu1@example.dk")
    item = assessment_item(world)
    db.session.add(
        SyncReceipt(
            client_id=item["id"],
            user_id=world["edu1"].id,
            kind=SyncKind.ASSESSMENT,
            payload_hash=parsing.payload_hash("assessment", item["payload"]),
        )
    )
    db.session.commit()
    (r,) = results(sync(browser, [item]))
    assert r["status"] == "already_stored"
    assert count(Assessment) == 0  # the racing request applies it, not this one
    assert count(SyncReceipt) == 1


@pytest.mark.parametrize("other_outcome", ["commit", "rollback"])
def test_a_racing_insert_of_the_same_id_is_decided_by_the_constraint(browser, world, other_outcome):
    """Another request inserts the same id and has not finished: this one goes ahead to its
    own insert and waits on the unique constraint, then answers "already stored" (the other
    committed) or stores the item itself (the other rolled back). Never two copies, never
    none."""
    browser.login("edu1@example.dk")
    item = observation_item(world)
    csrf = token(browser)
    db.session.commit()
    engine, user_id = db.engine, world["edu1"].id
    inserted, reached, done = threading.Event(), threading.Event(), threading.Event()
    other: dict = {}

    def watch(conn, cursor, statement, parameters, context, executemany):
        if conn is not other.get("conn") and statement.lstrip().startswith(
            "INSERT INTO sync_receipt"
        ):
            reached.set()

    def other_request():
        with engine.connect() as conn:
            other["conn"] = conn
            tx = conn.begin()
            conn.execute(
                sa.insert(SyncReceipt).values(
                    client_id=item["id"],
                    user_id=user_id,
                    kind="observation",
                    payload_hash=parsing.payload_hash("observation", item["payload"]),
                    outcome="stored",
                    received_at=datetime.now(UTC),
                )
            )
            inserted.set()
            # Hold the row until the request has sent its own insert of the same id
            # (and, on PostgreSQL, is seen waiting for this transaction).
            other["reached"] = reached.wait(10)
            other["blocked"] = waiting_for_a_lock(engine) if is_postgres() else None
            tx.commit() if other_outcome == "commit" else tx.rollback()
        done.set()

    sa.event.listen(engine, "before_cursor_execute", watch)
    try:
        thread = threading.Thread(target=other_request)
        thread.start()
        assert inserted.wait(10)
        (r,) = results(sync(browser, [item], csrf=csrf))
        thread.join(10)
    finally:
        sa.event.remove(engine, "before_cursor_execute", watch)
    assert done.is_set()
    assert other["reached"]  # it went to the constraint instead of checking first
    if is_postgres():
        assert other["blocked"]  # and waited there for the other transaction
    if other_outcome == "commit":
        assert r["status"] == "already_stored"
        assert count(ChildObservation) == 0  # the other request owns applying it
    else:
        assert r["status"] == "stored"
        assert count(ChildObservation) == 1
    assert count(SyncReceipt) == 1


def waiting_for_a_lock(engine, timeout: float = 10) -> bool:
    """Wait until another session of this database waits for a lock (PostgreSQL)."""
    deadline = time.monotonic() + timeout
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            if conn.execute(query).scalar():
                return True
            conn.rollback()
            threading.Event().wait(0.01)
    return False


def test_the_database_refuses_a_second_receipt_with_the_same_id(world):
    client_id = str(uuid.uuid4())
    for _ in range(2):
        db.session.add(
            SyncReceipt(
                client_id=client_id,
                user_id=world["edu1"].id,
                kind=SyncKind.OBSERVATION,
                payload_hash="0" * 64,
            )
        )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_same_draft_in_two_tabs_is_a_conflict_not_a_second_assessment(browser, world):
    browser.login("edu1@example.dk")
    tab1 = assessment_item(world, ticks=("emo-g1",))
    tab2 = assessment_item(world, ticks=("emo-y1",))
    (r1,) = results(sync(browser, [tab1]))
    (r2,) = results(sync(browser, [tab2]))
    assert r1["status"] == "stored"
    assert (r2["status"], r2["reason"]) == ("conflict", "changed_on_server")
    assert count(Assessment) == 1
    assert own(world, "edu1").answers == {"emo-g1": True}


def test_an_edit_made_while_the_answer_was_lost_follows_its_base_item(browser, world):
    """The tablet sent a draft, lost the answer, and the user kept editing: the next edit
    names the item it was made on top of (base_id) and is applied, not a conflict."""
    browser.login("edu1@example.dk")
    first = assessment_item(world, ticks=("emo-g1",))
    sync(browser, [first])  # the answer never reached the tablet
    then = assessment_item(world, ticks=("emo-g1", "emo-g2"), base_id=first["id"])
    rs = results(sync(browser, [first, then]))
    assert [r["status"] for r in rs] == ["already_stored", "stored"]
    assert [r["server_version"] for r in rs] == [2, 3]
    assert own(world, "edu1").answers == {"emo-g1": True, "emo-g2": True}
    assert count(SyncConflict) == 0


def test_a_change_on_the_server_after_the_base_item_is_still_a_conflict(browser, world):
    browser.login("edu1@example.dk")
    first = assessment_item(world, ticks=("emo-g1",))
    sync(browser, [first])
    post_assessment(browser, world, ["emo-y2"])  # changed online: version 3
    # A re-send answers with the version the item produced, not today's.
    (again,) = results(sync(browser, [first]))
    assert (again["status"], again["server_version"]) == ("already_stored", 2)
    for edit in (
        assessment_item(world, ticks=("emo-g3",), base=2),
        assessment_item(world, ticks=("emo-g4",), base_id=first["id"]),
    ):
        (r,) = results(sync(browser, [edit]))
        assert (r["status"], r["reason"]) == ("conflict", "changed_on_server")
    assert own(world, "edu1").answers == {"emo-y2": True}


def test_an_id_used_by_another_user_is_refused(browser, new_browser, world):
    browser.login("edu1@example.dk")
    item = observation_item(world)
    assert statuses(sync(browser, [item])) == ["stored"]
    other = new_browser()
    other.login("edu2@example.dk")
    (r,) = results(sync(other, [item]))
    assert (r["status"], r["reason"]) == ("invalid", "id already used for another item")
    assert count(ChildObservation) == 1


# Conflicts with the server's version ------------------------------------------------------------


def test_offline_edit_of_an_old_version_is_a_conflict_resolvable_both_ways(
    browser, new_browser, world
):
    browser.login("edu1@example.dk")
    (first,) = results(sync(browser, [assessment_item(world, ticks=("emo-g1",))]))
    base = first["server_version"]
    # Meanwhile the draft is changed online (another tab or device).
    post_assessment(browser, world, ["emo-g2"], resources="Ændret på nettet.")
    a = own(world, "edu1")
    assert a.version == base + 1

    offline = assessment_item(world, ticks=("emo-g3",), base=base, resources="Skrevet offline.")
    (r,) = results(sync(browser, [offline]))
    assert (r["status"], r["reason"], r["server_version"]) == (
        "conflict",
        "changed_on_server",
        base + 1,
    )
    db.session.refresh(a)
    assert a.answers == {"emo-g2": True}  # nothing changed on the server

    listed = conflicts_of(browser)
    assert [c["id"] for c in listed] == [r["conflict_id"]]
    assert listed[0]["mine"] is True
    assert listed[0]["kind"] == "assessment"
    assert listed[0]["child"]["first_name"] == "Otto"
    url = listed[0]["url"]

    # The leader sees that there is a conflict, but not another person's draft.
    leader = new_browser()
    leader.login("leder@example.dk")
    (seen,) = conflicts_of(leader)
    assert seen["url"] is None
    assert leader.get(url).status_code == 404

    page = browser.get(url).get_data(as_text=True)
    assert "Skrevet offline." in page
    assert "Ændret på nettet." in page
    assert "Brug tablettens version" in page

    r = browser.submit(url, {"keep": "device"})
    assert r.status_code == 302
    db.session.refresh(a)
    assert a.answers == {"emo-g3": True}
    assert a.resources == "Skrevet offline."
    assert a.version == base + 2  # a new version
    conflict = db.session.get(SyncConflict, listed[0]["id"])
    assert conflict.status == ConflictStatus.RESOLVED
    assert conflict.resolution == "device"
    assert conflict.resolved_by_id == world["edu1"].id
    assert conflict.resolved_at is not None
    assert conflicts_of(browser) == []
    assert "tablettens version blev gemt" in browser.get(url).get_data(as_text=True)

    # Another stale edit; this time the server's version stays.
    stale = assessment_item(world, ticks=("emo-y1",), base=base)
    (r2,) = results(sync(browser, [stale]))
    assert r2["status"] == "conflict"
    url2 = f"/sync/conflicts/{r2['conflict_id']}"
    assert browser.submit(url2, {"keep": "server"}).status_code == 302
    db.session.refresh(a)
    assert a.answers == {"emo-g3": True}
    assert a.version == base + 2
    assert db.session.get(SyncConflict, r2["conflict_id"]).resolution == "server"
    # Resolved is resolved: a second post changes nothing.
    assert browser.submit(url2, {"keep": "device"}).status_code == 302
    db.session.refresh(a)
    assert a.answers == {"emo-g3": True}
    resolved = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "sync.conflict.resolve")
    ).all()
    assert [e.details["keep"] for e in resolved] == ["device", "server"]


def test_an_assessment_submitted_meanwhile_keeps_the_server_version(browser, world):
    browser.login("edu1@example.dk")
    (first,) = results(sync(browser, [assessment_item(world)]))
    post_assessment(browser, world, ["emo-g1"], submit=True)
    assert own(world, "edu1").status == AssessmentStatus.SUBMITTED
    (r,) = results(
        sync(browser, [assessment_item(world, "older", ("emo-y1",), base=first["server_version"])])
    )
    assert (r["status"], r["reason"]) == ("conflict", "already_submitted")
    url = f"/sync/conflicts/{r['conflict_id']}"
    page = browser.get(url).get_data(as_text=True)
    assert "Brug tablettens version" not in page
    assert "Behold serverens version" in page
    refused = browser.submit(url, {"keep": "device"})
    assert refused.status_code == 400
    assert "allerede indsendt" in refused.get_data(as_text=True)
    assert own(world, "edu1").answers == {"emo-g1": True}
    assert browser.submit(url, {"keep": "server"}).status_code == 302
    assert db.session.get(SyncConflict, r["conflict_id"]).status == ConflictStatus.RESOLVED


def test_the_leader_resolves_an_observation_conflict_of_the_institution(
    browser, new_browser, world
):
    browser.login("edu1@example.dk")
    item = observation_item(world, level=1, note="Første udgave.")
    assert statuses(sync(browser, [item])) == ["stored"]
    changed = {**item, "payload": {**item["payload"], "level": 3, "note": "Rettet udgave."}}
    (r,) = results(sync(browser, [changed]))
    assert r["status"] == "conflict"

    other = new_browser()
    other.login("edu2@example.dk")
    assert conflicts_of(other) == []  # another educator does not see it
    assert other.get(f"/sync/conflicts/{r['conflict_id']}").status_code == 404

    leader = new_browser()
    leader.login("leder@example.dk")
    (seen,) = conflicts_of(leader)
    assert seen["mine"] is False
    assert seen["user"]["name"] == "Eva"
    page = leader.get(seen["url"]).get_data(as_text=True)
    assert "Første udgave." in page
    assert "Rettet udgave." in page
    assert leader.submit(seen["url"], {"keep": "device"}).status_code == 302
    obs = db.session.scalars(sa.select(ChildObservation)).one()
    assert (obs.level, obs.note) == (3, "Rettet udgave.")
    assert conflicts_of(browser) == []


def test_a_conflict_page_post_needs_a_choice(browser, world):
    browser.login("edu1@example.dk")
    item = observation_item(world)
    sync(browser, [item])
    (r,) = results(sync(browser, [{**item, "payload": {**item["payload"], "level": 3}}]))
    url = f"/sync/conflicts/{r['conflict_id']}"
    assert browser.submit(url, {"keep": "both"}).status_code == 400
    assert db.session.get(SyncConflict, r["conflict_id"]).status == ConflictStatus.OPEN


# Invalid items ----------------------------------------------------------------------------------


def test_invalid_items_do_not_affect_the_valid_ones(today, browser, world):
    rated = ScreeningRound(
        name="Skala test",
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=20),
        reference_date=today - timedelta(days=5),
        status=RoundStatus.OPEN,
        instrument_keys=["rating-3-6"],
        institutions=[world["inst"]],
    )
    db.session.add(rated)
    db.session.commit()
    browser.login("edu1@example.dk")
    missing_id = world["elsewhere"].id + 1000
    batch = [
        assessment_item(world, "older"),
        assessment_item(world, missing_id),
        assessment_item(world, "elsewhere"),
        observation_item(world, "older", category="no_such_category"),
        assessment_item(world, "older2", (), submit=True, round_id=rated.id),  # no ratings
        assessment_item(world, "older2", ("emo-r1",), submit=True),  # red, no justification
        {"kind": "assessment", "payload": {}},  # no id
        {"id": str(uuid.uuid4()), "kind": "meeting", "payload": {}},
        observation_item(world, "older", level=7),
        observation_item(world, "older", observed_on=(today + timedelta(days=2)).isoformat()),
        assessment_item(world, "toddler", surprise=1),
        observation_item(world, "older2"),
    ]
    rs = results(sync(browser, batch))
    assert [r["status"] for r in rs] == ["stored"] + ["invalid"] * 10 + ["stored"]
    reasons = [r.get("reason") for r in rs]
    assert reasons[1] == reasons[2] == "not found"
    # Not one byte tells the other institution's child from a child that does not exist.
    assert {k: v for k, v in rs[1].items() if k != "id"} == {
        k: v for k, v in rs[2].items() if k != "id"
    }
    assert reasons[3] == "unknown category for this source"
    assert reasons[4] == "missing_ratings"
    assert reasons[5] == "justification_required"
    assert reasons[6].startswith("malformed item: id")
    assert reasons[7].startswith("malformed item: kind")
    assert reasons[8] == "level must be 1, 2 or 3"
    assert reasons[9] == "observed_on is in the future"
    assert reasons[10] == "malformed payload: unknown field 'surprise'"
    # Exactly the valid ones were written; nothing of the invalid ones.
    assert count(Assessment) == 1
    assert count(ChildObservation) == 1
    assert count(SyncReceipt) == 2
    # An invalid item can be fixed and sent again under the same id.
    fixed = {**batch[5], "payload": {**batch[5]["payload"], "justification": "Barnet er trist."}}
    assert statuses(sync(browser, [fixed])) == ["stored"]
    assert own(world, "edu1", "older2").status == AssessmentStatus.SUBMITTED
    # The refusals are in the audit trail.
    refused = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.outcome == Outcome.NOT_FOUND)
    ).all()
    assert {e.object_id for e in refused} == {missing_id, world["elsewhere"].id}
    assert all(e.child_id is None for e in refused)


def test_sync_follows_the_same_rules_as_the_forms(browser, new_browser, world):
    browser.login("sp@example.dk")  # health visitor: infants only, own source
    rs = results(
        sync(
            browser,
            [
                assessment_item(world, "infant", ()),
                assessment_item(world, "older"),
                observation_item(world, "infant", source="daycare"),
                observation_item(
                    world, "infant", source="health_visitor", category="growth_nutrition"
                ),
            ],
        )
    )
    assert [(r["status"], r.get("reason")) for r in rs] == [
        ("stored", None),
        ("invalid", "forbidden"),
        ("invalid", "forbidden source"),
        ("stored", None),
    ]
    infant = own(world, "hv", "infant")
    assert infant.context == "home_visit"

    dental = new_browser()
    dental.login("tand@example.dk")
    rs = results(
        sync(
            dental,
            [
                assessment_item(world, "older"),
                observation_item(world, "older", source="dental", category="missed_appointments"),
            ],
        )
    )
    assert [(r["status"], r.get("reason")) for r in rs] == [
        ("invalid", "forbidden"),
        ("stored", None),
    ]


# The request ------------------------------------------------------------------------------------


def test_a_sync_without_the_csrf_header_is_refused(browser, world):
    browser.login("edu1@example.dk")
    batch = {"items": [observation_item(world)]}
    for headers in ({}, {"X-CSRFToken": "not-a-token"}):
        r = browser.client.post("/api/sync", json=batch, headers=headers)
        assert r.status_code == 400
        assert r.is_json
        assert "CSRF" in r.get_json()["error"]
    assert count(ChildObservation) == 0
    assert count(SyncReceipt) == 0


def test_signed_out_requests_get_401_json(client, browser, world):
    for url in ("/api/offline-pack", "/api/device-key", "/api/conflicts"):
        r = client.get(url, headers={"Accept": "application/json"})
        assert r.status_code == 401, url
        assert r.get_json() == {"error": "authentication required"}
    csrf = browser.token("/login")
    r = client.post("/api/sync", json={"items": []}, headers={"X-CSRFToken": csrf})
    assert r.status_code == 401
    assert r.get_json() == {"error": "authentication required"}


def test_malformed_bodies_and_too_many_items(browser, world):
    browser.login("edu1@example.dk")
    csrf = token(browser)
    headers = {"X-CSRFToken": csrf}
    post = browser.client.post
    cases = [
        (
            post("/api/sync", data="{not json", headers=headers, content_type="application/json"),
            "not valid JSON",
        ),
        (post("/api/sync", json=[1, 2], headers=headers), '"items"'),
        (post("/api/sync", json={"items": {"a": 1}}, headers=headers), '"items" must be a list'),
        (
            post(
                "/api/sync",
                data="items=1",
                headers=headers,
                content_type="application/x-www-form-urlencoded",
            ),
            "Content-Type",
        ),
    ]
    for r, text in cases:
        assert r.status_code == 400
        assert text in r.get_json()["error"]
    too_many = [observation_item(world) for _ in range(parsing.MAX_BATCH + 1)]
    r = post("/api/sync", json={"items": too_many}, headers=headers)
    assert r.status_code == 413
    assert r.get_json()["max_items"] == parsing.MAX_BATCH
    assert count(ChildObservation) == 0
    assert results(post("/api/sync", json={"items": []}, headers=headers)) == []


# The offline pack -------------------------------------------------------------------------------


def test_offline_pack_is_minimal_and_expires(app, browser, world):
    f.guardian(name="Grete Værge", address="Hemmelig Allé 7", protected=True)
    world["older"].guardian_links.clear()
    from screening.models import ChildGuardian, Guardian

    g = db.session.scalars(sa.select(Guardian)).one()
    db.session.add(ChildGuardian(child=world["older"], guardian=g))
    db.session.commit()
    browser.login("edu1@example.dk")
    sync(browser, [assessment_item(world, "older", ("emo-g2",))])
    before = datetime.now(UTC)
    r = browser.get("/api/offline-pack", headers={"Accept": "application/json"})
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    text = r.get_data(as_text=True)
    for secret in ("Grete", "Hemmelig", "mette@example.dk", "external_ref", "address"):
        assert secret not in text
    pack = r.get_json()
    names = {c["first_name"] for c in pack["children"]}
    assert names == {"Ib", "Tove", "Otto", "Ulla"}  # not Xenia of another institution
    for c in pack["children"]:
        assert set(c) == {"id", "first_name", "last_name", "birth_date", "group"}
        assert c["group"] == "Egernene"
    (round_,) = pack["rounds"]
    assert round_["id"] == world["round"].id
    by_child = {e["child_id"]: e for e in round_["children"]}
    assert by_child[world["older"].id]["instrument"] == {"key": "topi-3-6", "version": 1}
    assert by_child[world["infant"].id]["instrument"]["key"] == "topi-0-1"
    mine = by_child[world["older"].id]["assessment"]
    assert (mine["version"], mine["status"], mine["answers"]) == (2, "draft", {"emo-g2": True})
    assert by_child[world["older2"].id]["assessment"] is None
    keys = {(i["key"], i["version"]) for i in pack["instruments"]}
    assert keys == {("topi-0-1", 1), ("topi-1-3", 1), ("topi-3-6", 1)}
    topi = next(i for i in pack["instruments"] if i["key"] == "topi-3-6")
    assert topi["definition"]["areas"][0]["items"][0]["key"] == "emo-g1"
    assert [s["key"] for s in pack["observation_sources"]] == ["daycare"]
    expires = datetime.fromisoformat(pack["expires_at"])
    assert before + timedelta(days=14) <= expires <= datetime.now(UTC) + timedelta(days=14)

    app.config["OFFLINE_PACK_DAYS"] = 3
    try:
        pack = browser.get("/api/offline-pack").get_json()
    finally:
        app.config.pop("OFFLINE_PACK_DAYS")
    expires = datetime.fromisoformat(pack["expires_at"])
    assert expires - datetime.fromisoformat(pack["generated_at"]) == timedelta(days=3)
    downloads = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "offline_pack.download")
    ).all()
    assert {e.child_id for e in downloads} == {
        world[k].id for k in ("infant", "toddler", "older", "older2")
    }


def test_offline_pack_follows_each_roles_rights(browser, new_browser, world):
    browser.login("sp@example.dk")
    pack = browser.get("/api/offline-pack").get_json()
    (round_,) = pack["rounds"]
    assert [e["child_id"] for e in round_["children"]] == [world["infant"].id]
    assert [i["key"] for i in pack["instruments"]] == ["topi-0-1"]

    dental = new_browser()
    dental.login("tand@example.dk")
    pack = dental.get("/api/offline-pack").get_json()
    assert len(pack["children"]) == 4
    assert pack["rounds"] == []
    assert pack["instruments"] == []
    assert [s["key"] for s in pack["observation_sources"]] == ["dental"]

    coordinator = new_browser()
    coordinator.login("koord@example.dk")
    pack = coordinator.get("/api/offline-pack").get_json()
    assert pack["children"] == []  # coordinators do not assess: nothing goes on a tablet

    leader = new_browser()
    leader.login("leder@example.dk")
    group_id = world["group"].id
    assert len(leader.get(f"/api/offline-pack?group={group_id}").get_json()["children"]) == 4
    assert leader.get("/api/offline-pack?group=x").status_code == 400
    other = world["elsewhere"].current_group.id
    assert leader.get(f"/api/offline-pack?group={other}").get_json()["children"] == []


# The data key -----------------------------------------------------------------------------------


def test_device_key_is_stable_per_user_and_differs_between_users(browser, new_browser, world):
    browser.login("edu1@example.dk")
    first = browser.get("/api/device-key").get_json()["key"]
    assert len(base64.b64decode(first)) == 32
    assert browser.get("/api/device-key").get_json()["key"] == first
    other = new_browser()
    other.login("edu2@example.dk")
    assert other.get("/api/device-key").get_json()["key"] != first
    # Signing in again online (a new session) gives the same key back.
    again = new_browser()
    again.login("edu1@example.dk")
    assert again.get("/api/device-key").get_json()["key"] == first
    assert count(DeviceKey) == 2
    reads = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "device_key.read")
    ).all()
    assert len(reads) == 4


# Added with the tablet app ----------------------------------------------------------------------


def test_a_resend_after_the_rights_changed_is_still_already_stored(browser, world):
    browser.login("edu1@example.dk")
    item = observation_item(world, "older")
    assert statuses(sync(browser, [item])) == ["stored"]
    # The educator moves to another institution before the tablet hears the answer.
    world["edu1"].institutions = []
    db.session.commit()
    again = results(sync(browser, [item]))
    assert [r["status"] for r in again] == ["already_stored"]
    assert count(ChildObservation) == 1
    # A new item for that child is refused as usual.
    assert results(sync(browser, [observation_item(world, "older")]))[0]["reason"] == "not found"


def test_items_named_for_another_user_are_refused_whole(browser, world):
    browser.login("edu1@example.dk")
    response = browser.client.post(
        "/api/sync",
        json={"user_id": world["edu2"].id, "items": [observation_item(world, "older")]},
        headers={"X-CSRFToken": token(browser), "Accept": "application/json"},
    )
    assert response.status_code == 409
    assert "another user" in response.get_json()["error"]
    assert count(ChildObservation) == 0
    assert count(SyncReceipt) == 0
    named = browser.client.post(
        "/api/sync",
        json={"user_id": world["edu1"].id, "items": [observation_item(world, "older")]},
        headers={"X-CSRFToken": token(browser), "Accept": "application/json"},
    )
    assert [r["status"] for r in results(named)] == ["stored"]


def test_a_days_grace_for_the_tablets_clock(today, browser, world):
    browser.login("edu1@example.dk")
    tomorrow = observation_item(world, "older", observed_on=(today + timedelta(days=1)).isoformat())
    later = observation_item(world, "older", observed_on=(today + timedelta(days=2)).isoformat())
    rs = results(sync(browser, [tomorrow, later]))
    assert [r["status"] for r in rs] == ["stored", "invalid"]


def test_the_key_names_its_user_and_conflicts_name_their_round(browser, world):
    browser.login("edu1@example.dk")
    assert browser.get("/api/device-key").get_json()["user_id"] == world["edu1"].id
    first = assessment_item(world, "older")
    assert statuses(sync(browser, [first])) == ["stored"]
    stale = assessment_item(world, "older", base=0)
    assert statuses(sync(browser, [stale])) == ["conflict"]
    (listed,) = conflicts_of(browser)
    assert listed["round_id"] == world["round"].id


def test_a_resent_conflict_stays_the_same_conflict_after_the_rights_changed(browser, world):
    browser.login("edu1@example.dk")
    assert statuses(sync(browser, [assessment_item(world, "older")])) == ["stored"]
    stale = assessment_item(world, "older", base=0)
    first = results(sync(browser, [stale]))[0]
    assert first["status"] == "conflict"
    world["edu1"].institutions = []
    db.session.commit()
    again = results(sync(browser, [stale]))[0]
    assert again["status"] == "conflict"
    assert again["conflict_id"] == first["conflict_id"]
    assert count(SyncConflict) == 1
