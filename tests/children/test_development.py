"""The child's page: position per area across rounds as a server-drawn SVG with the same
positions in a table beside it."""

from __future__ import annotations

import re

import sqlalchemy as sa

from screening.assessments import joints
from screening.core.extensions import db
from screening.models import Municipality, RoundStatus

from .test_overview import earlier_round, submit


def test_child_page_shows_the_development_per_area_as_chart_and_table(browser, new_browser, world):
    w = world
    before = earlier_round(w)
    submit(before, w["edu1"], w["older"], {"soc-y1": True})
    joints.record_joint(before, w["older"], w["leader"], agreed="yellow", justification="Enige.")
    before.status = RoundStatus.CLOSED
    submit(w["round"], w["edu1"], w["older"], {"emo-g1": True})
    joints.record_joint(w["round"], w["older"], w["leader"], agreed="green", justification="Enige.")
    # An unagreed round's assessments are not part of the development.
    if db.session.scalar(sa.select(Municipality)) is None:  # its words: "Stærk bekymring"
        db.session.add(Municipality(name="Testkommune"))
    db.session.commit()
    browser.login("edu1@example.dk")
    html = browser.get(f"/children/{w['older'].id}").get_data(as_text=True)
    svg = re.search(r"<svg class=\"development-chart\".*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg
    assert "<title" in svg
    assert "<desc" in svg
    assert svg.count("<polyline") == 5  # overall and four areas, two rounds each
    # The position words fit left of the bands (about 7 px a character at 12 px).
    left = min(int(x) for x in re.findall(r'<rect x="(\d+)"[^>]*height="36"', svg)) + 6
    for word in re.findall(r'text-anchor="end"[^>]*>([^<]+)</text>', svg):
        assert len(word) * 7 <= left - 10, (word, left)
    table = re.search(r'<table class="table development-table">.*?</table>', html, re.S).group(0)
    assert "Forår før" in table
    assert "Efterår test" in table
    rows = {
        re.search(r'<th scope="row">([^<]+)', row).group(1).strip(): re.findall(r"pos-(\w+)", row)
        for row in re.findall(r"<tr>.*?</tr>", table, re.S)[1:]
    }
    assert rows["Samlet (fælles vurdering)"] == ["yellow", "green"]
    assert rows["Social"] == ["yellow", "green"]
    assert rows["Psykisk og følelsesmæssig"] == ["green", "green"]
    # Dental staff do not read assessments: no chart.
    dental = new_browser()
    dental.login("tand@example.dk")
    assert "development-chart" not in dental.get(f"/children/{w['older'].id}").get_data(
        as_text=True
    )


def test_no_chart_without_an_agreed_round(browser, world):
    submit(world["round"], world["edu1"], world["older"], {"emo-y1": True})
    db.session.commit()
    browser.login("edu1@example.dk")
    assert "development-chart" not in browser.get(f"/children/{world['older'].id}").get_data(
        as_text=True
    )
