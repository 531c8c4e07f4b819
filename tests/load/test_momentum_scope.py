"""Issue 17: *Frister og fremdrift* for a user who sees several institutions (a coordinator:
the whole municipality) offers the groups of one chosen institution, not the municipality's
hundreds, so the page costs the same in a municipality of 4 groups as in one of 400."""

from __future__ import annotations

import re

from screening.core.extensions import db

from .. import factories as f
from ..paths.test_overview import paths_for


def group_options(html: str) -> list[str]:
    select = html.split('id="filter-group"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="(\d+)"', select)


def test_the_coordinator_chooses_an_institution_before_its_groups(today, browser, world):
    inst, other = world["inst"], world["elsewhere"].current_group.institution
    extra = f.institution("Tredje Hus", groups=("Solsikken", "Mariehønen"))
    paths_for(today, world["group"], world["leader"], 2)
    paths_for(today, other.groups[0], world["leader"], 1)
    db.session.commit()
    browser.login("koord@example.dk")

    html = browser.get("/momentum").get_data(as_text=True)
    institutions = html.split('id="filter-institution"', 1)[1].split("</select>", 1)[0]
    for name in (inst.name, other.name, extra.name):
        assert name in institutions
    assert group_options(html) == []  # no groups until an institution is chosen
    assert "Vælg et dagtilbud og tryk Vis for at vælge en stue." in html
    assert "Åbne trin" in html
    assert ">9<" in html

    html = browser.get(f"/momentum?institution={extra.id}").get_data(as_text=True)
    assert sorted(group_options(html)) == sorted(str(g.id) for g in extra.groups)
    assert re.search(rf'<option value="{extra.id}" selected>', html)

    # A link with a group alone (as before this filter) filters by it, in its institution.
    r = browser.get(f"/momentum?group={world['group'].id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert re.search(rf'<option value="{inst.id}" selected>', html)
    assert re.search(rf'<option value="{world["group"].id}" selected>', html)
    assert ">6<" in html  # the group's 2 paths × 3 open steps
    nxt_filters = re.findall(r'href="(/momentum[^"]*)"', html)
    assert all("page=" not in u or f"institution={inst.id}" in u for u in nxt_filters)


def test_a_leader_of_one_institution_gets_its_groups_at_once(today, browser, world):
    paths_for(today, world["group"], world["leader"], 1)
    db.session.commit()
    browser.login("leder@example.dk")
    html = browser.get("/momentum").get_data(as_text=True)
    assert 'id="filter-institution"' not in html
    assert group_options(html) == [str(g.id) for g in world["inst"].groups]
