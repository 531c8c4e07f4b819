"""Danish by default, English on request; every user-facing string has a translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from screening.core.extensions import db
from screening.models import Role

from . import factories as f

ROOT = Path(__file__).resolve().parent.parent
EN_PO = ROOT / "screening" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def test_danish_by_default_and_english_selectable(browser):
    html = browser.get("/login").get_data(as_text=True)
    assert 'lang="da"' in html
    assert "Adgangskode" in html
    r = browser.submit("/language", {"lang": "en", "next": "/login"}, page="/login")
    assert r.headers["Location"] == "/login"
    html = browser.get("/login").get_data(as_text=True)
    assert 'lang="en"' in html
    assert "Password" in html
    assert "Adgangskode" not in html


def test_flashed_messages_in_both_languages(browser, app):
    f.user(Role.EDUCATOR, email="p@example.dk")
    db.session.commit()
    r = browser.login("p@example.dk", "forkert-kodeord")
    assert "E-mail eller adgangskode er forkert." in r.get_data(as_text=True)
    browser.submit("/language", {"lang": "en", "next": "/login"}, page="/login")
    r = browser.login("p@example.dk", "forkert-kodeord")
    assert "Wrong e-mail or password." in r.get_data(as_text=True)


def test_every_message_is_translated_to_english(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as fh:
        extracted = {m.id for m in read_po(fh) if m.id}
    with EN_PO.open("rb") as fh:
        catalog = read_po(fh)
    assert len(extracted) > 100
    missing = sorted(str(i) for i in extracted if i not in catalog or not catalog[i].string)
    assert not missing, f"untranslated: {missing[:10]} (run `make extract-messages`)"
    fuzzy = sorted(str(m.id) for m in catalog if m.id and m.fuzzy)
    assert not fuzzy, f"fuzzy translations: {fuzzy[:10]}"


def test_templates_keep_the_translations_of_the_locale_they_render_in(app):
    """Templates keep the request's translations (issue 17: looked up once, not per
    string), yet a locale forced for part of the request is honoured, and left again."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = "{{ _('Gem kladde') }} | {{ ngettext('%(num)d barn', '%(num)d børn', 2) }}"
    with app.test_request_context("/"):
        assert render_template_string(page) == "Gem kladde | 2 børn"
        with force_locale("en"):
            assert render_template_string(page) == "Save draft | 2 children"
        assert render_template_string(page) == "Gem kladde | 2 børn"
    with app.test_request_context("/"), force_locale("en"):
        assert render_template_string(page) == "Save draft | 2 children"
