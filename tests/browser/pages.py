"""Page objects: what a user does on a page, so tests read like the user's steps."""

from __future__ import annotations

from tests.factories import DEFAULT_PASSWORD


class LoginPage:
    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url

    def open(self):
        self.page.goto(f"{self.base_url}/login")
        return self

    def sign_in(self, email: str, password: str = DEFAULT_PASSWORD):
        self.page.get_by_label("E-mail").fill(email)
        self.page.get_by_label("Adgangskode").fill(password)
        self.page.get_by_role("button", name="Log ind").click()
        self.page.wait_for_load_state()
        return self
