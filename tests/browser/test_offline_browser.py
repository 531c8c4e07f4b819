"""Offline tablets in a real browser: the installable app opens with the server gone, saves
encrypted to IndexedDB, and syncs exactly once when the network returns.

"Offline" here is real: the test server is shut down (nothing answers on its port) and
the browser context is set offline, so neither the page nor the service worker reaches it.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from werkzeug.serving import WSGIRequestHandler, make_server

from screening.extensions import db
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
from tests.test_assessments import TODAY, months_ago

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
            self.app,
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
    try:
        s.down()
    except Exception:
        pass


@pytest.fixture
def context(chromium):
    ctx = chromium.new_context(
        viewport={"width": 768, "height": 1024}, has_touch=True, locale="da-DK"
    )
    yield ctx
    ctx.close()


@pytest.fixture
def setup(app):
    from screening.services.catalogue import load_instrument_files, load_ruleset_files

    load_instrument_files()
    load_ruleset_files()
    inst = f.institution("Børnehuset Mælkebøtten", groups=("Egernene",))
    group = inst.groups[0]
    kids = [
        f.child(group, first_name="Otto", last_name="Ørn", birth_date=months_ago(50)),
        f.child(group, first_name="Ulla", last_name="Åby", birth_date=months_ago(55)),
        f.child(group, first_name="Karla", last_name="Krog", birth_date=months_ago(60)),
    ]
    edu = f.user(Role.EDUCATOR, institutions=[inst], email="edu@example.dk", name="Eva")
    edu2 = f.user(Role.EDUCATOR, institutions=[inst], email="edu2@example.dk", name="Emil")
    round_ = ScreeningRound(
        name="Efterår test",
        starts_on=TODAY - timedelta(days=5),
        ends_on=TODAY + timedelta(days=30),
        reference_date=TODAY,
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


def open_app_first_time(page, base: str):
    """Open the offline app signed in, choose a PIN, download the pack, and wait until the
    service worker controls the page."""
    page.goto(f"{base}/offline/")
    expect(page.locator("#view-setpin")).to_be_visible()
    page.get_by_label("Ny PIN-kode").fill(PIN)
    page.get_by_label("Gentag PIN-koden").fill(PIN)
    page.get_by_role("button", name="Gem PIN-kode").click()
    expect(page.locator("#view-home")).to_be_visible()
    page.get_by_role("button", name="Hent offline-pakke").click()
    expect(page.locator("#app-message")).to_contain_text("Offline-pakken er hentet")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")


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
    child_card(page, name).get_by_role("button", name="Vurdér").click()
    expect(page.locator("#view-assess")).to_be_visible()
    for start in statements:
        page.get_by_label(start, exact=False).first.check()
    page.get_by_role("button", name="Gem som færdig" if final else "Gem kladde").click()
    expect(page.locator("#view-home")).to_be_visible()


def waiting(page) -> int:
    return int(page.locator("#queue-count").get_attribute("data-count"))


def sync_now(page):
    page.get_by_role("button", name="Send nu").click()
    page.wait_for_function("!window.trivselsspor.state.syncing")


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
    assert response is not None and response.from_service_worker
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
