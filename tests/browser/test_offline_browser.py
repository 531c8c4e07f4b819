"""Offline tablets in a real browser: the installable app opens with the server gone, saves
encrypted to IndexedDB, and syncs exactly once when the network returns.

"Offline" here is real: the test server is shut down (nothing answers on its port) and
the browser context is set offline, so neither the page nor the service worker reaches it.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from werkzeug.serving import WSGIRequestHandler, make_server

from screening.core.extensions import db
from screening.models import (
    Assessment,
    AssessmentStatus,
    ChildObservation,
    Role,
    RoundStatus,
    ScreeningRound,
    SyncConflict,
    SyncReceipt,
)
from tests import factories as f
from tests.conftest import months_ago

from .conftest import unstreamed
from .pages import LoginPage

pytestmark = pytest.mark.browser

PIN = "246810"


class _OneRequestPerConnection(WSGIRequestHandler):
    # No keep-alive: when the server is down, no open connection can still answer.
    protocol_version = "HTTP/1.0"


class SwitchableServer:
    """The app on a fixed local port that a test can take down and bring back."""

    def __init__(self, app):
        self.app = app
        self.port = 0
        self._start()

    def _start(self):
        self.server = make_server(
            "127.0.0.1",
            self.port,
            unstreamed(self.app),
            threaded=True,
            request_handler=_OneRequestPerConnection,
        )
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def down(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def up(self):
        self._start()


@pytest.fixture
def server(app):
    s = SwitchableServer(app)
    yield s
    with contextlib.suppress(Exception):
        s.down()


@pytest.fixture
def context(chromium):
    ctx = chromium.new_context(
        viewport={"width": 768, "height": 1024}, has_touch=True, locale="da-DK"
    )
    # A bound for a loaded machine (installing the service worker can take long there), not
    # a timing test: every wait below ends as soon as its condition holds.
    ctx.set_default_timeout(90_000)
    yield ctx
    ctx.close()


@pytest.fixture
def setup(today, app, catalogue):
    inst = f.institution("Børnehuset Mælkebøtten", groups=("Egernene", "Bierne"))
    group = inst.groups[0]
    f.child(inst.groups[1], first_name="Bo", last_name="Bi", birth_date=months_ago(48, today))
    kids = [
        f.child(group, first_name="Otto", last_name="Ørn", birth_date=months_ago(50, today)),
        f.child(group, first_name="Ulla", last_name="Åby", birth_date=months_ago(55, today)),
        f.child(group, first_name="Karla", last_name="Krog", birth_date=months_ago(60, today)),
    ]
    edu = f.user(Role.EDUCATOR, institutions=[inst], email="edu@example.dk", name="Eva")
    edu2 = f.user(Role.EDUCATOR, institutions=[inst], email="edu2@example.dk", name="Emil")
    round_ = ScreeningRound(
        name="Efterår test",
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=30),
        reference_date=today,
        status=RoundStatus.OPEN,
        instrument_keys=["topi-3-6"],
        institutions=[inst],
    )
    db.session.add(round_)
    db.session.commit()
    return {"round": round_, "kids": kids, "edu": edu, "edu2": edu2}


# Steps -----------------------------------------------------------------------------------------


def watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def sign_in(page, base: str, email: str):
    LoginPage(page, base).open().sign_in(email)


def open_app_first_time(page, base: str, groups: tuple[str, ...] = ()):
    """Open the offline app signed in, choose a PIN, download the pack (only `groups`, if
    given, as labelled in the chooser), and wait until the service worker controls the page."""
    page.goto(f"{base}/offline/")
    expect(page.locator("#view-setpin")).to_be_visible()
    page.get_by_label("Ny PIN-kode").fill(PIN)
    page.get_by_label("Gentag PIN-koden").fill(PIN)
    page.get_by_role("button", name="Gem PIN-kode").click()
    expect(page.locator("#view-home")).to_be_visible()
    for group in groups:
        page.get_by_label(group).check()
    page.get_by_role("button", name="Hent offline-pakke").click()
    expect(page.locator("#app-message")).to_contain_text("Offline-pakken er hentet")
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null"
    )


def go_offline(context, server):
    context.set_offline(True)
    server.down()


def go_online(context, server):
    server.up()
    context.set_offline(False)


def unlock(page, name: str = "Eva", pin: str = PIN):
    expect(page.locator("#view-lock")).to_be_visible()
    page.get_by_label(name, exact=True).check()
    page.get_by_label("PIN-kode", exact=True).fill(pin)
    page.get_by_role("button", name="Lås op").click()
    expect(page.locator("#view-home")).to_be_visible()


def child_card(page, name: str):
    return page.locator(".child-card").filter(has_text=name)


def assess(page, name: str, statements: tuple[str, ...] = ("Barnet virker glad",), final=True):
    child_card(page, name).get_by_role("button", name="Vurder").click()
    expect(page.locator("#view-assess")).to_be_visible()
    for start in statements:
        page.get_by_label(start, exact=False).first.check()
    page.get_by_role("button", name="Gem som færdig" if final else "Gem kladde").click()
    expect(page.locator("#view-home")).to_be_visible()


def waiting(page) -> int:
    return int(page.locator("#queue-count").get_attribute("data-count"))


def sync_now(page):
    page.get_by_role("button", name="Send nu").click()
    page.wait_for_function("() => !window.trivselsspor.state.syncing")


def count(model, **where) -> int:
    db.session.rollback()
    stmt = sa.select(sa.func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


# Tests ------------------------------------------------------------------------------------------


def test_offline_reload_fill_two_sync_exactly_once(context, server, setup):
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)

    go_offline(context, server)
    response = page.reload()
    assert response is not None
    assert response.from_service_worker
    unlock(page)
    expect(page.locator("#net-state")).to_contain_text("Offline")
    assess(page, "Otto Ørn")
    assess(page, "Ulla Åby", ("Barnet virker glad", "Barnet tør prøve nye ting"))
    assert waiting(page) == 2
    expect(child_card(page, "Otto Ørn")).to_contain_text("Færdig, venter på at blive sendt")

    go_online(context, server)
    sync_now(page)
    expect(page.locator("#queue-count")).to_have_attribute("data-count", "0")
    assert count(Assessment, status=AssessmentStatus.SUBMITTED) == 2
    assert count(SyncReceipt) == 2
    expect(child_card(page, "Otto Ørn")).to_contain_text("Indsendt")
    assert errors == []


def test_replayed_batch_and_lost_answer_mid_batch_neither_duplicate_nor_lose(
    context, server, setup
):
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)
    go_offline(context, server)
    assess(page, "Otto Ørn")
    assess(page, "Ulla Åby")
    assess(page, "Karla Krog", final=False)
    assert waiting(page) == 3

    # The connection drops mid-batch: the server receives and stores the first item only,
    # and its answer never reaches the tablet.
    sent: list[str] = []

    def drop_mid_batch(route):
        body = json.loads(route.request.post_data)
        sent.append(route.request.post_data)
        route.fetch(post_data=json.dumps({"items": body["items"][:1]}))
        route.abort("connectionreset")

    page.route("**/api/sync", drop_mid_batch)
    go_online(context, server)
    sync_now(page)
    assert len(sent) >= 1
    assert count(SyncReceipt) == 1
    assert waiting(page) == 3  # nothing deleted without the server's answer
    expect(page.locator("#sync-error")).to_contain_text("Serveren kunne ikke nås")

    page.unroute("**/api/sync")
    sync_now(page)
    assert waiting(page) == 0
    assert count(Assessment) == 3
    assert count(Assessment, status=AssessmentStatus.SUBMITTED) == 2
    assert count(SyncReceipt) == 3

    # The very same batch sent again (e.g. from a second tab that still had it): nothing new.
    replay = page.evaluate(
        """async (body) => {
            const headers = {Accept: 'application/json'};
            const session = await (await fetch('/api/session', {headers})).json();
            const r = await fetch('/api/sync', {method: 'POST', body,
              headers: {'Content-Type': 'application/json', 'X-CSRFToken': session.csrf_token}});
            return await r.json();
        }""",
        sent[0],
    )
    assert [r["status"] for r in replay["results"]] == ["already_stored"] * 3
    assert count(Assessment) == 3
    assert count(SyncReceipt) == 3
    assert errors == []


def test_offline_edit_of_a_changed_draft_becomes_a_visible_conflict(context, server, setup):
    from screening.assessments import individual

    page = context.new_page()
    sign_in(page, server.url, "edu@example.dk")
    # A draft saved online before the pack is downloaded: the pack carries its version.
    page.goto(f"{server.url}/rounds/{setup['round'].id}/children/{setup['kids'][0].id}/assess")
    page.get_by_label("Barnet virker glad", exact=False).first.check()
    page.locator("#concerns").fill("Serverens første tekst")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.locator(".flash-success")).to_be_visible()
    open_app_first_time(page, server.url)
    expect(child_card(page, "Otto Ørn")).to_contain_text("Kladde på serveren")

    go_offline(context, server)
    child_card(page, "Otto Ørn").get_by_role("button", name="Vurder").click()
    concerns = page.get_by_label("Bekymringer", exact=True)
    expect(concerns).to_have_value("Serverens første tekst")
    concerns.fill("Tablettens tekst")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.locator("#view-home")).to_be_visible()

    # Meanwhile the same draft is changed on the server (e.g. on the office PC).
    a = db.session.scalar(sa.select(Assessment))
    individual.save(
        a,
        individual.AssessmentInput(
            answers=dict(a.answers),
            resources="",
            concerns="Kontorets tekst",
            justification="",
            vulnerability=None,
        ),
        submit=False,
    )
    db.session.commit()

    go_online(context, server)
    sync_now(page)
    assert waiting(page) == 0
    conflict = db.session.scalar(sa.select(SyncConflict))
    assert conflict is not None
    assert conflict.is_open
    assert conflict.payload["concerns"] == "Tablettens tekst"
    assert conflict.server_snapshot["concerns"] == "Kontorets tekst"
    db.session.rollback()
    assert db.session.scalar(sa.select(Assessment)).concerns == "Kontorets tekst"

    link = page.locator("#conflict-list a")
    expect(link).to_contain_text("Otto Ørn")
    expect(child_card(page, "Otto Ørn")).to_contain_text("Konflikt")
    link.click()
    expect(page.locator("main")).to_contain_text("Tablettens tekst")
    expect(page.locator("main")).to_contain_text("Kontorets tekst")


def test_an_expired_session_pauses_the_queue_until_signed_in_again(context, server, setup):
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)
    go_offline(context, server)
    assess(page, "Otto Ørn")
    assess(page, "Ulla Åby")

    context.clear_cookies()  # the session ran out while the tablet was offline
    go_online(context, server)
    sync_now(page)
    expect(page.locator("#sync-error")).to_contain_text("Din session er udløbet")
    assert waiting(page) == 2
    assert count(SyncReceipt) == 0

    page.get_by_role("link", name="Log ind igen").click()
    LoginPage(page, server.url).sign_in("edu@example.dk")
    assert page.url.endswith("/offline/")
    expect(page.locator("#view-home")).to_be_visible()  # signed in online: no PIN needed
    expect(page.locator("#queue-count")).to_have_attribute("data-count", "0")
    assert count(Assessment, status=AssessmentStatus.SUBMITTED) == 2
    assert errors == []


def dump_indexeddb(page) -> list[dict]:
    """Every record of the offline database, binary fields as UTF-8 text (lossy) and hex."""
    return page.evaluate(
        """async () => {
            const db = await new Promise((ok, fail) => {
                const r = indexedDB.open('trivselsspor-offline');
                r.onsuccess = () => ok(r.result);
                r.onerror = fail;
            });
            const out = [];
            for (const name of db.objectStoreNames) {
                const rows = await new Promise((ok, fail) => {
                    const r = db.transaction(name).objectStore(name).getAll();
                    r.onsuccess = () => ok(r.result);
                    r.onerror = fail;
                });
                const plain = (v) => {
                    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
                        const bytes = new Uint8Array(
                            v.buffer || v, v.byteOffset || 0, v.byteLength);
                        const text = new TextDecoder('utf-8', {fatal: false}).decode(bytes);
                        return {binary: text, length: bytes.length};
                    }
                    if (v && typeof v === 'object') {
                        const o = Array.isArray(v) ? [] : {};
                        for (const k of Object.keys(v)) o[k] = plain(v[k]);
                        return o;
                    }
                    return v;
                };
                for (const row of rows) out.push({store: name, row: plain(row)});
            }
            db.close();
            return out;
        }"""
    )


def test_two_users_on_one_tablet_and_nothing_stored_in_clear_text(context, server, setup):
    page = context.new_page()
    errors = watch_errors(page)
    # Eva saves an assessment and an observation offline, then locks the app.
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)
    go_offline(context, server)
    assess(page, "Otto Ørn")
    child_card(page, "Ulla Åby").get_by_role("button", name="Tilføj observation").click()
    page.get_by_label("Kilde").select_option("daycare")
    page.locator("#o-category option").nth(1).wait_for(state="attached")
    page.get_by_label("Kategori").select_option(index=1)
    page.locator("#o-level input[value='2']").check()
    page.get_by_label("Beskrivelse").fill("Hemmelig note om søvn")
    page.get_by_role("button", name="Gem observation").click()
    expect(page.locator("#view-home")).to_be_visible()
    assert waiting(page) == 2

    records = dump_indexeddb(page)
    text = json.dumps(records, ensure_ascii=False)
    for secret in ("Otto", "Ørn", "Ulla", "Åby", "Egernene", "Hemmelig", "søvn", "emo-g1", PIN):
        assert secret not in text, secret
    items = [r["row"] for r in records if r["store"] == "items"]
    assert len(items) == 2
    assert all(i["box"]["ct"]["length"] > 16 for i in items)

    page.get_by_role("button", name="Lås").click()
    expect(page.locator("#view-lock")).to_be_visible()

    # Emil signs in on the same browser (Eva's session is over) and works offline too.
    go_online(context, server)
    context.clear_cookies()
    sign_in(page, server.url, "edu2@example.dk")
    open_app_first_time(page, server.url)
    expect(page.locator("#outbox")).to_be_hidden()  # Eva's items are not his to see
    go_offline(context, server)
    assess(page, "Karla Krog")
    expect(page.locator("#outbox")).not_to_contain_text("Otto")
    go_online(context, server)
    sync_now(page)
    assert waiting(page) == 0
    assert count(Assessment) == 1
    assert count(Assessment, assessor_id=setup["edu2"].id) == 1
    assert count(ChildObservation) == 0
    stores = [r for r in dump_indexeddb(page) if r["store"] == "items"]
    assert len(stores) == 2  # Eva's two items are still there, untouched

    # Signing out elsewhere locks the app; Eva signs in again and her items go.
    page.goto(f"{server.url}/")
    page.get_by_role("button", name="Log ud").click()
    sign_in(page, server.url, "edu@example.dk")
    page.goto(f"{server.url}/offline/")
    expect(page.locator("#view-home")).to_be_visible()
    expect(page.locator("#queue-count")).to_have_attribute("data-count", "0")
    assert count(Assessment, assessor_id=setup["edu"].id) == 1
    assert count(ChildObservation) == 1
    assert db.session.scalar(sa.select(ChildObservation)).note == "Hemmelig note om søvn"
    assert [r for r in dump_indexeddb(page) if r["store"] == "items"] == []
    assert errors == []


def test_a_new_app_version_keeps_waiting_items_and_they_sync(
    app, context, server, setup, monkeypatch
):
    page = context.new_page()
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)
    old = page.evaluate("caches.keys()")
    assert len(old) == 1
    assert old[0].startswith("trivselsspor-shell-")
    go_offline(context, server)
    assess(page, "Otto Ørn")
    assess(page, "Ulla Åby")
    # Keep them waiting while the new version is deployed and picked up.
    page.evaluate("window.trivselsspor.state.syncing = true")

    monkeypatch.setitem(app.config, "OFFLINE_APP_VERSION", "next-version")
    go_online(context, server)
    page.reload()
    page.wait_for_function(
        "() => caches.keys().then(k => k.join() === 'trivselsspor-shell-next-version')"
    )
    expect(page.locator("main")).to_have_attribute("data-version", "next-version")
    expect(page.locator("#view-home")).to_be_visible()
    expect(page.locator("#queue-count")).to_have_attribute("data-count", "0")
    assert count(Assessment, status=AssessmentStatus.SUBMITTED) == 2


def test_an_item_the_server_refuses_stays_with_its_reason_until_fixed_or_discarded(
    context, server, setup
):
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)
    go_offline(context, server)
    assess(page, "Otto Ørn")
    # A future date is refused by the form itself, and what was typed stays.
    child_card(page, "Ulla Åby").get_by_role("button", name="Tilføj observation").click()
    page.get_by_label("Beskrivelse").fill("Skrevet offline")
    page.get_by_role("button", name="Gem observation").click()
    expect(page.locator("#observe-errors")).to_contain_text(
        "Udfyld kilde, kategori, grad af bekymring og dato"
    )
    expect(page.get_by_label("Beskrivelse")).to_have_value("Skrevet offline")
    page.locator("[data-back]").last.click()

    # The round is closed on the server before the tablet is back online.
    round_ = db.session.get(ScreeningRound, setup["round"].id)
    round_.status = RoundStatus.CLOSED
    db.session.commit()
    go_online(context, server)
    sync_now(page)
    item = page.locator(".outbox-invalid")
    expect(item).to_contain_text("Otto Ørn")
    expect(item).to_contain_text("round_not_open")
    expect(page.locator("#sync-error")).to_contain_text("kunne ikke gemmes på serveren")
    assert waiting(page) == 1
    assert count(Assessment) == 0

    # Exported as a last resort, in the sync API's format.
    with page.expect_download() as download:
        page.get_by_role("button", name="Gem det, der ikke er sendt, i en fil").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported["format"] == "trivselsspor-sync-batch"
    assert [i["kind"] for i in exported["items"]] == ["assessment"]
    assert exported["items"][0]["payload"]["child_id"] == setup["kids"][0].id

    item.get_by_role("button", name="Kasser").click()
    expect(page.locator("#outbox")).to_be_hidden()
    assert waiting(page) == 0
    assert [r for r in dump_indexeddb(page) if r["store"] == "items"] == []


def test_the_app_locks_itself_when_left_alone(app, context, server, setup, monkeypatch):
    monkeypatch.setitem(app.config, "INACTIVITY_TIMEOUT", timedelta(seconds=3))
    page = context.new_page()
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)
    expect(page.locator("#view-lock")).to_be_visible(timeout=10_000)
    expect(page.locator("#app-message")).to_contain_text("Låst, fordi der ikke er sket noget")
    assert page.evaluate("() => window.trivselsspor.state.key") is None


def test_the_pack_narrowed_to_a_group_and_a_database_closed_by_the_browser(context, server, setup):
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url, groups=("Bierne (Børnehuset Mælkebøtten)",))
    expect(page.locator("#app-message")).to_contain_text("Offline-pakken er hentet: 1 barn.")
    expect(page.locator(".child-card")).to_have_count(1)
    expect(child_card(page, "Bo Bi")).to_be_visible()
    expect(page.locator("#storage-info")).not_to_be_empty()  # asked for persistent storage

    # The browser closes the IndexedDB connection (as iOS does under memory pressure):
    # the next save reopens it and nothing is lost.
    page.evaluate("() => window.trivselsspor.closeDatabase()")
    context.set_offline(True)
    assess(page, "Bo Bi")
    assert waiting(page) == 1
    assert len([r for r in dump_indexeddb(page) if r["store"] == "items"]) == 1
    context.set_offline(False)
    sync_now(page)
    assert count(Assessment, status=AssessmentStatus.SUBMITTED) == 1
    assert errors == []


def test_a_synced_draft_reopens_with_its_content_and_the_next_edit_builds_on_it(
    context, server, setup
):
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)
    go_offline(context, server)
    assess(page, "Otto Ørn", ("Barnet virker glad",), final=False)
    go_online(context, server)
    sync_now(page)
    assert waiting(page) == 0
    first_version = db.session.scalar(sa.select(Assessment.version))

    # Reopened after the sync: the form shows what the server now holds, not the old pack.
    go_offline(context, server)
    child_card(page, "Otto Ørn").get_by_role("button", name="Vurder").click()
    expect(page.get_by_label("Barnet virker glad", exact=False).first).to_be_checked()
    page.get_by_label("Bekymringer", exact=True).fill("Tilføjet om eftermiddagen")
    page.get_by_role("button", name="Gem kladde").click()
    go_online(context, server)
    sync_now(page)
    assert waiting(page) == 0
    assert count(SyncConflict) == 0
    a = db.session.scalar(sa.select(Assessment))
    assert a.answers == {"emo-g1": True}  # the morning's tick is kept
    assert a.concerns == "Tilføjet om eftermiddagen"
    assert a.version == first_version + 1
    assert errors == []


def test_sync_waits_while_another_user_is_signed_in_online(context, server, setup):
    page = context.new_page()
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)
    go_offline(context, server)
    assess(page, "Otto Ørn")
    page.get_by_role("button", name="Lås").click()

    # Emil signs in online on the same tablet; Eva unlocks her data with her PIN.
    go_online(context, server)
    context.clear_cookies()
    sign_in(page, server.url, "edu2@example.dk")
    open_app_first_time(page, server.url)
    page.get_by_role("button", name="Lås").click()
    unlock(page, "Eva")
    expect(page.locator("#change-pin")).to_be_hidden()  # a new PIN would wrap Emil's key
    sync_now(page)
    expect(page.locator("#sync-error")).to_contain_text("Log ind som Eva")
    assert waiting(page) == 1
    assert count(SyncReceipt) == 0
    assert count(Assessment) == 0


def test_locking_keeps_a_changed_form_and_never_turns_finished_into_draft(context, server, setup):
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)
    go_offline(context, server)

    # A form with changes, locked: kept as a draft on the device.
    child_card(page, "Otto Ørn").get_by_role("button", name="Vurder").click()
    page.get_by_label("Barnet virker glad", exact=False).first.check()
    page.get_by_role("button", name="Lås").click()
    unlock(page)
    expect(child_card(page, "Otto Ørn")).to_contain_text("Kladde gemt på enheden")
    assert waiting(page) == 1

    # A form only looked at: nothing saved.
    child_card(page, "Ulla Åby").get_by_role("button", name="Vurder").click()
    page.get_by_role("button", name="Lås").click()
    unlock(page)
    assert waiting(page) == 1

    # A finished one reopened and changed, locked: still finished.
    assess(page, "Karla Krog")
    child_card(page, "Karla Krog").get_by_role("button", name="Vurder").click()
    page.get_by_label("Bekymringer", exact=True).fill("Tilføjet før låsning")
    page.get_by_role("button", name="Lås").click()
    unlock(page)
    expect(child_card(page, "Karla Krog")).to_contain_text("Færdig, venter på at blive sendt")
    assert waiting(page) == 2

    go_online(context, server)
    sync_now(page)
    assert waiting(page) == 0
    assert count(Assessment, status=AssessmentStatus.DRAFT) == 1
    assert count(Assessment, status=AssessmentStatus.SUBMITTED) == 1
    karla = db.session.scalar(
        sa.select(Assessment).where(Assessment.child_id == setup["kids"][2].id)
    )
    assert karla.concerns == "Tilføjet før låsning"
    assert errors == []


def test_the_offline_page_keeps_the_main_menu_and_says_what_it_is_for(context, server, setup):
    page = context.new_page()
    errors = watch_errors(page)
    page.goto(f"{server.url}/offline/")
    expect(page.locator("#view-lock")).to_be_visible()
    expect(page.locator("#view-lock .offline-intro")).to_contain_text("uden forbindelse")
    expect(page.locator("#main-menu")).to_be_hidden()  # nobody signed in: no menu
    expect(page.locator(".site-footer")).not_to_contain_text("Version")
    sign_in(page, server.url, "edu@example.dk")
    page.goto(f"{server.url}/offline/")
    expect(page.locator("#view-setpin .offline-intro")).to_be_visible()
    menu = page.get_by_role("navigation", name="Hovedmenu")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="Offline-formularer")).to_have_attribute(
        "aria-current", "page"
    )
    menu.get_by_role("link", name="Vurderingsrunder").click()
    expect(page).to_have_url(f"{server.url}/rounds")
    assert errors == []


# Issue 15: the client's defects ------------------------------------------------------------------


def fast_retries(app, monkeypatch):
    """The retry schedule in seconds instead of minutes (config, read by the page)."""
    monkeypatch.setitem(app.config, "OFFLINE_RETRY_MIN_SECONDS", 1)
    monkeypatch.setitem(app.config, "OFFLINE_RETRY_MAX_SECONDS", 2)


def open_with_the_server_down(page, server):
    """The Wi-Fi is up but the server is not, and the app is opened anew (from the cache)."""
    server.down()
    response = page.reload()
    assert response is not None
    assert response.from_service_worker
    unlock(page)


def test_work_saved_while_the_server_is_unreachable_is_sent_by_itself(
    app, context, server, setup, monkeypatch
):
    fast_retries(app, monkeypatch)
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)
    open_with_the_server_down(page, server)
    assess(page, "Otto Ørn")
    assess(page, "Ulla Åby", final=False)
    assert waiting(page) == 2

    # The server comes back; nobody touches the tablet.
    server.up()
    expect(page.locator("#queue-count")).to_have_attribute("data-count", "0", timeout=20_000)
    assert count(Assessment) == 2
    assert count(Assessment, status=AssessmentStatus.SUBMITTED) == 1
    assert count(SyncReceipt) == 2
    assert errors == []


def test_the_sync_bar_tells_offline_from_an_unreachable_server(
    app, context, server, setup, monkeypatch
):
    fast_retries(app, monkeypatch)
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)
    net = page.locator("#net-state")
    expect(net).to_have_text("Online – alt er sendt")

    open_with_the_server_down(page, server)
    expect(net).to_have_text("Online, men serveren kan ikke nås")
    expect(page.locator("#sync-tries")).to_contain_text("Sidste forsøg kl.")
    assess(page, "Otto Ørn")
    # Tried at once after the save, and planned again.
    expect(page.locator("#sync-tries")).to_contain_text("næste kl.")
    expect(net).to_have_text("Online, men serveren kan ikke nås")

    context.set_offline(True)
    expect(net).to_contain_text("Offline")
    context.set_offline(False)
    server.up()
    expect(net).to_have_text("Online – alt er sendt", timeout=20_000)
    expect(page.locator("#sync-tries")).to_have_text("")
    assert errors == []


def dump_items(page) -> list[dict]:
    return [r["row"] for r in dump_indexeddb(page) if r["store"] == "items"]


def device_full(page, full: bool):
    page.evaluate(
        """(full) => {
            const proto = IDBObjectStore.prototype;
            if (!proto.realPut) {
                proto.realPut = proto.put;
                proto.put = function (...args) {
                    if (window.deviceFull && this.name === 'items') {
                        throw new DOMException(
                            'The quota has been exceeded.', 'QuotaExceededError');
                    }
                    return this.realPut(...args);
                };
            }
            window.deviceFull = full;
        }""",
        full,
    )


def test_a_save_the_device_refuses_never_looks_saved(context, server, setup):
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)
    go_offline(context, server)
    # The device is full: IndexedDB refuses every write of an item with the browser's own
    # QuotaExceededError. (Chromium's quota override, Storage.overrideQuotaForOrigin, does not
    # reach the IndexedDB of a Playwright context, so the browser's refusal is made here.)
    device_full(page, True)

    child_card(page, "Otto Ørn").get_by_role("button", name="Vurder").click()
    page.get_by_label("Barnet virker glad", exact=False).first.check()
    page.get_by_label("Bekymringer", exact=True).fill("Skrevet, men ikke gemt")
    page.get_by_role("button", name="Gem kladde").click()
    message = page.locator("#assess-errors")
    expect(message).to_have_text(
        "Det er ikke gemt på enheden. Der er ikke mere plads på enheden. "
        "Send det, der venter, eller slet gamle offline-pakker."
    )
    expect(page.locator("#view-assess")).to_be_visible()  # what was typed is still there

    page.locator("#view-assess [data-back]").click()
    expect(page.locator("#view-home")).to_be_visible()
    expect(child_card(page, "Otto Ørn")).not_to_contain_text("Kladde gemt på enheden")
    assert waiting(page) == 0
    assert dump_items(page) == []
    child_card(page, "Otto Ørn").get_by_role("button", name="Vurder").click()
    expect(page.get_by_label("Bekymringer", exact=True)).to_have_value("")

    # With room again the same save is kept.
    device_full(page, False)
    page.get_by_label("Bekymringer", exact=True).fill("Nu gemt")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.locator("#view-home")).to_be_visible()
    expect(child_card(page, "Otto Ørn")).to_contain_text("Kladde gemt på enheden")
    assert waiting(page) == 1
    assert len(dump_items(page)) == 1
    assert errors == []


def test_an_expired_pack_is_explained_and_nothing_waiting_is_lost(
    app, context, server, setup, monkeypatch
):
    fast_retries(app, monkeypatch)
    monkeypatch.setitem(app.config, "OFFLINE_PACK_DAYS", 10 / 86400)  # ten seconds
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)
    go_offline(context, server)
    assess(page, "Otto Ørn")
    assess(page, "Ulla Åby", final=False)
    page.wait_for_function(
        """() => { const p = window.trivselsspor.state.pack;
                   return !p || new Date(p.expires_at) < new Date(); }""",
        timeout=30_000,
    )
    page.get_by_role("button", name="Lås").click()
    unlock(page)

    notice = page.locator("#pack-expired")
    expect(notice).to_contain_text("Offline-pakken udløb")
    expect(notice).to_contain_text("fordi den indeholder personoplysninger om børnene")
    expect(notice).to_contain_text("Intet af det, der venter på at blive sendt, er tabt")
    expect(page.locator(".child-card")).to_have_count(0)
    assert waiting(page) == 2
    assert len(dump_items(page)) == 2
    # Still said after another lock and unlock, and while a sync runs.
    page.get_by_role("button", name="Lås").click()
    unlock(page)
    expect(notice).to_contain_text("Offline-pakken udløb")

    # Back online the waiting items go by themselves, and a new pack is one press away.
    monkeypatch.setitem(app.config, "OFFLINE_PACK_DAYS", 14)
    go_online(context, server)
    expect(page.locator("#queue-count")).to_have_attribute("data-count", "0", timeout=20_000)
    expect(notice).to_be_visible()
    notice.get_by_role("button", name="Hent ny offline-pakke").click()
    expect(page.locator("#app-message")).to_contain_text("Offline-pakken er hentet")
    expect(notice).to_be_hidden()
    expect(child_card(page, "Otto Ørn")).to_contain_text("Indsendt")
    assert count(Assessment) == 2
    assert errors == []


def test_after_a_conflict_is_settled_the_form_waits_for_the_servers_version(context, server, setup):
    from screening.assessments import individual

    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, server.url, "edu@example.dk")
    page.goto(f"{server.url}/rounds/{setup['round'].id}/children/{setup['kids'][0].id}/assess")
    page.get_by_label("Barnet virker glad", exact=False).first.check()
    page.locator("#concerns").fill("Pakkens gamle tekst")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.locator(".flash-success")).to_be_visible()
    open_app_first_time(page, server.url)

    go_offline(context, server)
    child_card(page, "Otto Ørn").get_by_role("button", name="Vurder").click()
    page.get_by_label("Bekymringer", exact=True).fill("Tablettens tekst")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.locator("#view-home")).to_be_visible()
    a = db.session.scalar(sa.select(Assessment))
    individual.save(
        a,
        individual.AssessmentInput(
            answers=dict(a.answers),
            resources="",
            concerns="Kontorets tekst",
            justification="",
            vulnerability=None,
        ),
        submit=False,
    )
    db.session.commit()
    go_online(context, server)
    sync_now(page)
    expect(child_card(page, "Otto Ørn")).to_contain_text("Konflikt")

    # Settled online in favour of the tablet's text; the tablet hears of it at its next sync.
    app_page = page.url
    page.locator("#conflict-list a").click()
    page.get_by_role("button", name="Brug tablettens version").click()
    expect(page.locator(".flash-success")).to_contain_text("Konflikten er løst")
    page.goto(app_page)
    expect(page.locator("#view-home")).to_be_visible()
    sync_now(page)
    expect(page.locator("#conflicts")).to_be_hidden()

    # The pack still holds the old draft: the form does not open with it.
    card = child_card(page, "Otto Ørn")
    expect(card).to_contain_text("Nyere version på serveren – hent en ny offline-pakke")
    card.get_by_role("button", name="Vurder").click()
    expect(page.locator("#app-message")).to_contain_text("Serveren har en nyere version")
    expect(page.locator("#view-assess")).to_be_hidden()

    # A new pack brings the server's version, and the form opens with it.
    page.get_by_role("button", name="Hent offline-pakke").click()
    expect(page.locator("#app-message")).to_contain_text("Offline-pakken er hentet")
    child_card(page, "Otto Ørn").get_by_role("button", name="Vurder").click()
    expect(page.get_by_label("Bekymringer", exact=True)).to_have_value("Tablettens tekst")
    assert db.session.scalar(sa.select(Assessment.concerns)) == "Tablettens tekst"
    assert errors == []


def wait_for_caches(page, names: list[str]):
    """Until the worker's caches are `names` (wait_for_function takes a promise for true)."""
    for _ in range(150):
        if page.evaluate("caches.keys()") == names:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"caches are {page.evaluate('caches.keys()')}, not {names}")


def test_page_and_scripts_always_come_from_the_same_version(
    app, context, server, setup, monkeypatch, tmp_path
):
    # The app's files in a folder the test can deploy a new version into.
    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    monkeypatch.setattr(app, "static_folder", str(static))
    monkeypatch.delitem(app.extensions, "offline_app_version", raising=False)
    page = context.new_page()
    errors = watch_errors(page)
    sign_in(page, server.url, "edu@example.dk")
    open_app_first_time(page, server.url)
    main = page.locator("main")
    first = main.get_attribute("data-version")
    assert page.evaluate("() => window.scriptsOfVersion") is None

    # A new version is deployed: its entry module says which it is.
    entry = static / "js" / "offline" / "main.js"
    entry.write_text(
        entry.read_text(encoding="utf-8") + '\nwindow.scriptsOfVersion = "second";\n',
        encoding="utf-8",
    )
    app.extensions.pop("offline_app_version")
    page.reload()
    expect(page.locator("#view-home")).to_be_visible()
    second = main.get_attribute("data-version")
    assert second != first
    assert page.evaluate("() => window.scriptsOfVersion") == "second"

    # Once the new worker has taken over, the kept page and scripts are the new ones too.
    wait_for_caches(page, [f"trivselsspor-shell-{second}"])
    go_offline(context, server)
    response = page.reload()
    assert response is not None
    assert response.from_service_worker
    unlock(page)
    assert main.get_attribute("data-version") == second
    assert page.evaluate("() => window.scriptsOfVersion") == "second"
    assert errors == []
