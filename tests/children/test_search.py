"""Search for a child by name, from every page, among the children the user may see."""

from __future__ import annotations

import sqlalchemy as sa

from screening.core.extensions import db
from screening.models import AuditEvent, Role

from .. import factories as f


def search(browser, text, page="/"):
    return browser.submit("/search", {"search-q": text}, page=page).get_data(as_text=True)


def found(html: str) -> set[str]:
    import re

    return set(re.findall(r'<a href="/children/\d+">([^<]+)</a>', html))


def test_search_is_in_the_header_of_every_page_and_posts_the_name(browser, world):
    browser.login("edu1@example.dk")
    for url in ("/", "/institutions", f"/children/{world['older'].id}", "/rounds"):
        html = browser.get(url).get_data(as_text=True)
        assert 'role="search"' in html, url
        assert 'action="/search"' in html, url
        assert 'method="post"' in html
    page = browser.get("/search").get_data(as_text=True)
    assert page.count('id="search-q"') == 1  # the page's own form, not the header's too


def test_search_finds_only_children_the_user_may_see(browser, new_browser, world):
    w = world
    f.child(w["group"], first_name="Åse", last_name="Østergård")
    db.session.commit()
    browser.login("edu1@example.dk")
    assert found(search(browser, "otto")) == {"Otto Testesen"}
    assert found(search(browser, "åse øster")) == {"Åse Østergård"}  # Danish letters, any case
    assert found(search(browser, "testesen")) == {
        "Ib Testesen",
        "Tove Testesen",
        "Otto Testesen",
        "Ulla Testesen",
    }
    assert found(search(browser, "xenia")) == set()  # another institution
    assert "Ingen børn" in search(browser, "xenia")
    assert found(search(browser, "%")) == set()  # a wildcard is a letter, not "everything"
    # Too short: a Danish message, no error page.
    short = browser.submit("/search", {"search-q": "o"}, page="/")
    assert short.status_code == 200
    assert "mellem 2 og 80 tegn" in short.get_data(as_text=True)
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "child.search")
    ).first()
    assert event is not None
    assert "otto" not in str(event.details).lower()
    # The coordinator finds no child by name (figures, not names); an admin has no search.
    coordinator = new_browser()
    coordinator.login("koord@example.dk")
    assert found(search(coordinator, "otto", page="/rounds")) == set()
    f.user(Role.ADMIN, email="admin@example.dk")
    db.session.commit()
    admin = new_browser()
    admin.login("admin@example.dk")
    assert 'role="search"' not in admin.get("/admin/").get_data(as_text=True)
