"""The page header on every page: the search and language forms `base.html` draws as plain
HTML must stay the WTForms forms their views validate, and the menu drawn once per
combination and kept must still mark the page, show the user's own items and count."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

import pytest

from forms.children import ChildSearchForm
from forms.common import LanguageForm
from screening.core.extensions import db
from screening.core.time import local_today
from screening.models import Role
from screening.reminders.models import Notification

from .. import factories as f


class _Fields(HTMLParser):
    """The input, select and option tags (with their attributes) of the forms of a page,
    by the form's class."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, list[tuple[str, dict[str, str | None]]]] = {}
        self.labels: dict[str, dict[str, str]] = {}
        self._form: str | None = None
        self._label: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = a.get("class") or ""
            self.forms[self._form] = []
            self.labels[self._form] = {}
        elif self._form is not None and tag in ("input", "select", "option"):
            self.forms[self._form].append((tag, a))
        elif self._form is not None and tag == "label":
            self._label = a.get("for")

    def handle_data(self, data):
        if self._form is not None and self._label and data.strip():
            self.labels[self._form][self._label] = data.strip()

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "label":
            self._label = None


def _parse(html: str) -> _Fields:
    p = _Fields()
    p.feed(html)
    return p


def _normalise(fields):
    """Tags with attributes, the CSRF value left out (the same token either way)."""
    return [
        (
            tag,
            {
                k: ("TOKEN" if k == "value" and "csrf" in (a.get("name") or "") else v)
                for k, v in a.items()
            },
        )
        for tag, a in fields
    ]


@pytest.fixture
def educator(app):
    inst = f.institution("Huset", groups=("Stuen",))
    f.child(inst.groups[0], first_name="Sofie", last_name="Holm")
    user = f.user(Role.EDUCATOR, institutions=[inst], email="edu@example.dk", name="Eva")
    db.session.commit()
    return user


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_header_forms_are_the_forms_their_views_validate(app, browser, educator, lang):
    assert browser.login("edu@example.dk").status_code == 302
    if lang == "en":
        browser.submit("/language", {"lang": "en", "next": "/"}, page="/")
    page = _parse(browser.get("/notifications").get_data(as_text=True))
    with app.test_request_context("/notifications", headers={"Accept-Language": lang}):
        from flask_babel import force_locale

        with force_locale(lang):
            search = ChildSearchForm(formdata=None, prefix="search")
            language = LanguageForm(formdata=None)
            language.lang.data = lang
            language.next.data = "/notifications"
            drawn = _parse(
                '<form class="search-form">'
                + str(search.csrf_token(id="search-csrf_token"))
                + f'<label for="search-q">{search.q.label.text}</label>'
                + str(search.q(id="search-q", type="search", autocomplete="off", maxlength=80))
                + '</form><form class="lang-form">'
                + str(language.csrf_token(id="language-csrf_token"))
                + str(language.next(id="language-next"))
                + f'<label for="language-lang">{language.lang.label.text}</label>'
                + '<select id="language-lang" name="lang">'
                + "".join(str(o(lang=o.data)) for o in language.lang)
                + "</select></form>"
            )
    for form in ("search-form", "lang-form"):
        assert _normalise(page.forms[form]) == _normalise(drawn.forms[form]), form
        assert page.labels[form] == drawn.labels[form], form


def test_the_header_search_form_as_drawn_finds_a_child(browser, educator):
    assert browser.login("edu@example.dk").status_code == 302
    html = browser.get("/notifications").get_data(as_text=True)
    fields = {a["name"]: a.get("value") or "" for tag, a in _parse(html).forms["search-form"]}
    assert set(fields) == {"search-csrf_token", "search-q"}
    fields["search-q"] = "Sofie"
    r = browser.client.post("/search", data=fields)
    assert r.status_code == 200
    assert "Sofie Holm" in r.get_data(as_text=True)


def test_the_header_language_form_as_drawn_switches_and_comes_back(browser, educator):
    assert browser.login("edu@example.dk").status_code == 302
    html = browser.get("/notifications").get_data(as_text=True)
    fields = {
        a["name"]: a.get("value") or ""
        for tag, a in _parse(html).forms["lang-form"]
        if tag != "option"
    }
    assert fields["next"] == "/notifications"
    fields["lang"] = "en"
    r = browser.client.post("/language", data=fields)
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/notifications")
    assert '<html lang="en">' in browser.get("/notifications").get_data(as_text=True)


def test_the_menu_marks_the_page_and_counts_the_users_own_unread(app, browser, new_browser):
    inst = f.institution("Huset", groups=("Stuen",))
    edu = f.user(Role.EDUCATOR, institutions=[inst], email="edu@example.dk")
    f.user(Role.COORDINATOR, email="koord@example.dk")
    db.session.commit()
    assert browser.login("edu@example.dk").status_code == 302
    coordinator = new_browser()
    assert coordinator.login("koord@example.dk").status_code == 302

    def menu(b, url):
        html = b.get(url).get_data(as_text=True)
        return html[html.index('<nav class="site-nav"') : html.index("</nav>")]

    first = menu(browser, "/notifications")
    assert '<a href="/notifications" aria-current="page">Påmindelser</a>' in first
    assert "Nøgletal" not in first
    # The same page for another user with other items: their own menu, not the kept one.
    other = menu(coordinator, "/notifications")
    assert "Nøgletal" in other
    assert other != first
    # Another page: the mark moves (a section's page is marked as inside it).
    inside = menu(browser, f"/institutions/{inst.id}")
    assert '<a href="/institutions" aria-current="true">Dagtilbud</a>' in inside
    assert '<a href="/notifications">Påmindelser</a>' in inside
    # A new notification shows in the count on the next page, a read one no more.
    db.session.add(Notification(user_id=edu.id, day=local_today(), overdue=1))
    db.session.commit()
    assert '<a href="/notifications" aria-current="page">Påmindelser (1)</a>' in menu(
        browser, "/notifications"
    )
    assert "Påmindelser (1)" not in menu(coordinator, "/notifications")


def test_the_kept_menu_and_ages_follow_the_language(browser, today):
    """The menu is kept per language and the ages per catalogue: switching language shows
    the other words at once, and switching back the first ones again."""
    inst = f.institution("Huset", groups=("Stuen",))
    months = today.year * 12 + today.month - 1 - 26
    f.child(inst.groups[0], first_name="Sofie", birth_date=date(months // 12, months % 12 + 1, 1))
    f.user(Role.EDUCATOR, institutions=[inst], email="edu@example.dk")
    db.session.commit()
    assert browser.login("edu@example.dk").status_code == 302
    url = f"/groups/{inst.groups[0].id}"

    def page():
        html = browser.get(url).get_data(as_text=True)
        return html[html.index('<nav class="site-nav"') : html.index("</nav>")], html

    menu, html = page()
    assert ">Påmindelser</a>" in menu
    assert ">2 år 2 mdr.</td>" in html
    browser.submit("/language", {"lang": "en", "next": url}, page=url)
    menu, html = page()
    assert ">Reminders</a>" in menu
    assert "Påmindelser" not in menu
    assert ">2 years 2 months</td>" in html
    browser.submit("/language", {"lang": "da", "next": url}, page=url)
    menu, html = page()
    assert ">Påmindelser</a>" in menu
    assert ">2 år 2 mdr.</td>" in html
