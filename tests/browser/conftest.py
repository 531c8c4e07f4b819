"""Browser harness: the app served on a free local port, driven by Playwright through
Debian's Chromium (`playwright install` cannot download browsers here)."""

from __future__ import annotations

import gc
import os
import sys
import threading
from pathlib import Path

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


STATIC = str(Path(__file__).resolve().parents[2] / "screening" / "static")


@pytest.fixture(autouse=True)
def _static_files_cut_off_by_a_stopped_server():
    """A test server stopped while it still streams a static file to the browser (a test
    taking the server down, or the end of a test) leaves that file to be closed by the
    garbage collector, which reports an unclosed-file ResourceWarning as "unraisable".
    That is the harness, not the app: only those reports are dropped; anything else
    still fails the test."""
    previous = sys.unraisablehook

    def hook(unraisable):
        obj = getattr(unraisable, "object", None)
        if isinstance(unraisable.exc_value, ResourceWarning) or (
            unraisable.exc_type is ResourceWarning
        ):
            name = str(getattr(obj, "name", ""))
            if name.startswith(STATIC):
                return
        previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
        gc.collect()
    finally:
        sys.unraisablehook = previous


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
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
