"""Every page of every role's flow, checked in Chromium with axe-core (WCAG 2.0/2.1 A and AA,
plus the serious and critical best-practice rules) and for touch targets of at least
44 × 44 px on a tablet held upright (768 px).

The pages are found the way a user finds them: each role signs in to the demo municipality
and follows the links it is shown, from the start page outwards, visiting each kind of page
(its URL with the numbers taken out) once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screening import demo
from screening.core.extensions import db

from .crawl import ROLES, crawl

pytestmark = pytest.mark.browser

WCAG_TAGS = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": [*sorted(WCAG_TAGS), "best-practice"]},
    "resultTypes": ["violations"],
}

# Interactive elements smaller than 44 × 44 px. The clickable area of a checkbox or radio
# button is its label too; a link inside a sentence is exempt (WCAG 2.5.8 "inline"), and so
# are elements that are not shown.
SMALL_TARGETS = (Path(__file__).parent / "small_targets.js").read_text(encoding="utf-8")


def serious(violation: dict) -> bool:
    tags = set(violation.get("tags", ()))
    return bool(tags & WCAG_TAGS) or violation.get("impact") in ("serious", "critical")


@pytest.fixture
def demo_municipality(today, app, catalogue):
    assert demo.seed(today)
    db.session.commit()


def test_every_page_of_every_role_passes_axe_and_has_large_targets(
    chromium, live_server, demo_municipality
):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems: list[str] = []
    visited_total = 0
    for email in ROLES:
        context = chromium.new_context(
            viewport={"width": 768, "height": 1024}, has_touch=True, locale="da-DK"
        )
        page = context.new_page()
        try:
            visited = 0
            for where in crawl(page, live_server, email, problems):
                visited += 1
                for v in axe.run(page, options=AXE_OPTIONS).response["violations"]:
                    if serious(v):
                        targets = [n["target"] for n in v["nodes"][:3]]
                        problems.append(f"{where}: axe {v['id']} ({v['impact']}) {targets}")
                for small in page.evaluate(SMALL_TARGETS):
                    problems.append(f"{where}: small target {small}")
            visited_total += visited
        finally:
            context.close()
    assert visited_total >= 3 * len(ROLES)  # the crawl really walked the flows
    assert problems == [], "\n".join(problems)
