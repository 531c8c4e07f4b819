"""The assessment form guides by keyboard and screen reader: the error sits at its field and
gets the focus, a field that becomes required says so, and nothing focused hides under the
sticky save bar."""

from __future__ import annotations

import pytest

from tests.browser.test_assessment_browser import setup  # noqa: F401  (fixture)

from .pages import LoginPage

pytestmark = pytest.mark.browser


def _open_form(page, live_server, setup):  # noqa: F811
    LoginPage(page, live_server).open().sign_in("edu@example.dk")
    page.goto(f"{live_server}/rounds/{setup['round'].id}/children/{setup['first'].id}/assess")


def _covered_by_bar(page) -> list[str]:
    """The focused element's box against the sticky bar's: names what hides under it."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const box = (el.closest('label') || el).getBoundingClientRect();
          const bar = document.querySelector('.sticky-actions').getBoundingClientRect();
          const hidden = box.bottom > bar.top + 0.5 && box.top < bar.bottom;
          return hidden ? [el.name || el.id || el.tagName] : [];
        }"""
    )


def test_justification_error_at_the_field_gets_focus(tablet, live_server, setup):  # noqa: F811
    page = tablet
    _open_form(page, live_server, setup)
    label = page.locator("label[for$='justification']")
    field = page.locator("textarea[name='justification']")
    assert "valgfri" not in label.inner_text()  # it is required for yellow and red
    assert not page.locator("[data-required-mark]").is_visible()
    assert field.get_attribute("aria-required") == "false"

    page.locator("label:has(input[name='item__emo-y1'])").tap()  # a yellow statement
    assert page.locator("[data-required-mark]").is_visible()
    assert "påkrævet" in label.inner_text()
    assert field.get_attribute("aria-required") == "true"

    page.get_by_role("button", name="Indsend vurdering").click()
    page.wait_for_load_state()
    # The message is at the field, linked from the summary, and the field has the focus.
    message = "Skriv en kort begrundelse, når vurderingen er gul eller rød."
    field_id = field.get_attribute("id")
    assert message in page.locator(f"#{field_id}-error").inner_text()
    assert page.locator(f".error-summary a[href='#{field_id}']").count() == 1
    assert field_id in (field.get_attribute("aria-describedby") or "")
    assert page.evaluate("document.activeElement.name") == "justification"
    assert "påkrævet" in label.inner_text()
    assert _covered_by_bar(page) == []
    assert page.locator("input[name='item__emo-y1']").is_checked()  # nothing lost


@pytest.mark.parametrize("width", [768, 1280])
def test_focused_statements_stay_visible_above_the_sticky_bar(chromium, live_server, setup, width):  # noqa: F811
    context = chromium.new_context(viewport={"width": width, "height": 800}, locale="da-DK")
    page = context.new_page()
    try:
        _open_form(page, live_server, setup)
        page.locator("input[name='item__emo-y1']").focus()
        hidden: list[str] = []
        for _ in range(60):  # every statement and field of the form, by keyboard
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.closest('.sticky-actions') !== null"):
                break
            hidden += _covered_by_bar(page)
        assert hidden == []
    finally:
        context.close()
