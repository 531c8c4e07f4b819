"""The worklist of a group in a round: each child's instrument in the page's language, and
a button to assess only where the user may fill that instrument in (a health visitor: the
infants' instrument only), worked out once per instrument for the whole list."""

from __future__ import annotations

import re


def _items(html: str) -> dict[str, str]:
    """Each child's list item by first name."""
    items = re.findall(r'<li class="work-item.*?</li>', html, re.S)
    return {re.search(r'class="work-name"><a [^>]*>(\w+)', i).group(1): i for i in items}


def test_instruments_and_buttons_per_child(browser, new_browser, world):
    url = f"/rounds/{world['round'].id}/groups/{world['group'].id}"
    assert browser.login("edu1@example.dk").status_code == 302
    items = _items(browser.get(url).get_data(as_text=True))
    assert "Trivselsvurdering 0–1 år" in items["Ib"]
    assert "Trivselsvurdering 1–3 år" in items["Tove"]
    assert "Trivselsvurdering 3–6 år" in items["Otto"]
    # An educator may fill in every instrument.
    assert all(">Vurder<" in items[name] for name in ("Ib", "Tove", "Otto", "Ulla"))

    visitor = new_browser()
    assert visitor.login("sp@example.dk").status_code == 302
    items = _items(visitor.get(url).get_data(as_text=True))
    assert ">Vurder<" in items["Ib"]
    assert not any(">Vurder<" in items[name] for name in ("Tove", "Otto", "Ulla"))

    browser.submit("/language", {"lang": "en", "next": url}, page=url)
    items = _items(browser.get(url).get_data(as_text=True))
    assert "Wellbeing assessment 0–1 year" in items["Ib"]
    assert "Wellbeing assessment 3–6 years" in items["Ulla"]
