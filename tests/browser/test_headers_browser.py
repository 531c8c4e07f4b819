"""The hardened headers in a real Chromium (issue 16): the Permissions-Policy names only
features the browser knows (no console warnings), and the pages still work under it."""

from __future__ import annotations


def test_chromium_accepts_every_feature_of_the_permissions_policy(tablet, live_server):
    page = tablet
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    response = page.goto(f"{live_server}/login")
    assert response is not None
    assert response.headers["cross-origin-resource-policy"] == "same-origin"
    assert page.get_by_role("button", name="Log ind").is_visible()
    page.goto(f"{live_server}/offline/")
    page.wait_for_load_state("load")
    assert [m for m in messages if "Permissions-Policy" in m or m.startswith("error")] == []
    # Features the app does not use are off in the page itself.
    assert page.evaluate("document.featurePolicy.allowsFeature('camera')") is False
    assert page.evaluate("document.featurePolicy.allowsFeature('geolocation')") is False
