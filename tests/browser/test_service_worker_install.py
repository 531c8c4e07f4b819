"""The offline app's service worker installs from one online visit, even when that visit
goes wrong: the first install fails half-way, or the page was loading while the worker was
being installed (so the worker's take-over at activation missed it)."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from .conftest import unstreamed

pytestmark = pytest.mark.browser

CONTROLLED = "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null"


class FlakyFile:
    """The app, except that the first `failures` requests for `path` answer 503, as a
    dropped connection or a restarting server would."""

    def __init__(self, app, path: str, failures: int):
        self.app = unstreamed(app)
        self.path = path
        self.left = failures
        self.failed = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == self.path:
            with self.lock:
                fail = self.left > 0
                self.left -= 1 if fail else 0
            if fail:
                self.failed += 1
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"unavailable"]
        return self.app(environ, start_response)


@pytest.fixture
def serve():
    servers = []

    def start(wsgi):
        server = make_server("127.0.0.1", 0, wsgi, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def context(chromium):
    ctx = chromium.new_context(viewport={"width": 768, "height": 1024}, locale="da-DK")
    ctx.set_default_timeout(60_000)
    yield ctx
    ctx.close()


def test_a_first_install_that_fails_half_way_is_tried_again(app, context, serve):
    flaky = FlakyFile(app, "/static/icons/icon-512.png", failures=1)
    base = serve(flaky)
    page = context.new_page()
    page.goto(f"{base}/login")
    # The worker fetched the app's files, one of them failed, the install was given up;
    # the page tries again by itself and the worker ends up in charge of the page.
    page.wait_for_function(CONTROLLED)
    assert flaky.failed == 1
    state = page.evaluate(
        "async () => (await navigator.serviceWorker.getRegistration('/')).active.state"
    )
    assert state == "activated"


def test_a_page_the_worker_missed_at_activation_is_taken_over(app, context, serve):
    base = serve(unstreamed(app))
    page = context.new_page()
    page.goto(f"{base}/login")
    page.wait_for_function(CONTROLLED)
    # A reload that bypasses the worker (as Shift+reload does) gives a page that the active
    # worker does not control: the same state as a page that was loading while the worker
    # was installed. The page asks the worker to take it over.
    cdp = context.new_cdp_session(page)
    cdp.send("Page.reload", {"ignoreCache": True})
    page.wait_for_load_state("load")
    page.wait_for_function(CONTROLLED)
