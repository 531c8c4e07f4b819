"""Opening and closing a round asks for confirmation and then says what happened."""

from __future__ import annotations

from screening.core.extensions import db
from screening.models import RoundStatus


def test_closing_a_round_asks_first_and_says_what_happened(browser, world):
    round_ = world["round"]
    browser.login("koord@example.dk")
    listing = browser.get("/rounds").get_data(as_text=True)
    url = f"/rounds/{round_.id}/status?status=closed"
    assert url in listing  # the list links to the question, it changes nothing itself
    page = browser.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Luk runden »Efterår test«?" in html
    assert "kan ingen indsende eller rette vurderinger" in html
    db.session.refresh(round_)
    assert round_.status == RoundStatus.OPEN  # asking changes nothing
    r = browser.submit(f"/rounds/{round_.id}/status", {"status": "closed"}, page=url)
    assert r.status_code == 302
    db.session.refresh(round_)
    assert round_.status == RoundStatus.CLOSED
    assert "Runden »Efterår test« er lukket." in browser.get("/rounds").get_data(as_text=True)
    r = browser.submit(f"/rounds/{round_.id}/status", {"status": "open"}, page="/rounds")
    db.session.refresh(round_)
    assert round_.status == RoundStatus.OPEN
    assert "Runden »Efterår test« er genåbnet." in browser.get("/rounds").get_data(as_text=True)


def test_a_status_change_without_a_token_changes_nothing(browser, world):
    round_ = world["round"]
    browser.login("koord@example.dk")
    r = browser.client.post(f"/rounds/{round_.id}/status", data={"status": "closed"})
    assert r.status_code == 400
    db.session.refresh(round_)
    assert round_.status == RoundStatus.OPEN


def test_only_coordinators_open_or_close_rounds(browser, world):
    browser.login("leder@example.dk")
    assert browser.get(f"/rounds/{world['round'].id}/status?status=closed").status_code == 403
