"""The coordinator's key figures in Chromium: the start page, filters used with the
keyboard, charts with an accessible name and the table beside them, no sideways
overflow on a tablet, no console error (the charts are SVG under the CSP)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from benchmarks.municipality import PASSWORD, Scale, build
from screening.core.extensions import db
from screening.models import Institution

from .pages import LoginPage

pytestmark = pytest.mark.browser

SMALL = Scale(institutions=2, groups_per_institution=2, children=60, rounds=3, paths=10, seed=3)


def test_the_coordinator_filters_the_key_figures(today, tablet, live_server, app, catalogue):
    summary = build(db.session, replace(SMALL, today=today))
    db.session.commit()
    inst = db.session.get(Institution, summary.institutions[0])
    page = tablet
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    LoginPage(page, live_server).open().sign_in(summary.coordinator_email, PASSWORD)
    assert page.url.endswith(f"/rounds/{summary.rounds[-1]}/figures")
    assert page.get_by_role("heading", name="Fælles positioner").is_visible()
    chart = page.get_by_role("img", name=re.compile("^Fælles positioner Børn i runden"))
    assert chart.count() == 1
    assert chart.get_attribute("aria-describedby") == "fig-positions-table"
    assert page.locator("#fig-positions-table tbody tr").count() == 3  # 2 rows + total

    # Choose the institution, then reach "Vis" with Tab and press it with Enter.
    page.get_by_label("Dagtilbud", exact=True).select_option(str(inst.id))
    page.get_by_label("Kilde").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Vis"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"institution={inst.id}"))
    rows = page.locator("#fig-positions-table tbody th[scope=row]").all_inner_texts()
    assert rows[:-1] == sorted(g.name for g in inst.groups)
    assert page.get_by_label("Stue", exact=True).is_visible()  # the group filter appears

    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    assert errors == []
