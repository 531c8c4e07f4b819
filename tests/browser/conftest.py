"""Browser harness: the app served on a free local port, driven by Playwright through
Debian's Chromium (`playwright install` cannot download browsers here)."""

from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def unstreamed(app):
    """The WSGI app with each response body read (and its file closed) before sending.

    Werkzeug's development server skips closing the response when the browser drops the
    connection mid-body (a navigation, a service-worker fetch given up), which leaves a
    static file open; the ResourceWarning then fails whichever test is running.
    """

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, unstreamed(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def tablet(chromium):
    """A fresh browser context the size of a tablet held upright (768 × 1024)."""
    context = chromium.new_context(
        viewport={"width": 768, "height": 1024}, has_touch=True, locale="da-DK"
    )
    page = context.new_page()
    yield page
    context.close()
