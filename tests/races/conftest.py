"""Race harness: the app served by a real threaded server on a free port, separate user
agents (each its own cookies, like two browsers or two tablets) and `race`, which fires
requests at the same moment from threads held at a barrier."""

from __future__ import annotations

import http.cookiejar
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..browser.conftest import live_server  # noqa: F401  (the fixture)
from ..conftest import csrf_from, is_postgres
from ..factories import DEFAULT_PASSWORD


@dataclass
class Answer:
    status: int
    html: str
    location: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Agent:
    """One user agent against the live server: its own cookie jar, redirects not followed
    (the answer to a POST is what the test looks at)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def _open(self, request: urllib.request.Request) -> Answer:
        try:
            with self.opener.open(request, timeout=60) as r:
                return Answer(r.status, r.read().decode(), r.headers.get("Location", ""))
        except urllib.error.HTTPError as e:
            return Answer(e.code, e.read().decode(), e.headers.get("Location", ""))

    def get(self, path: str) -> Answer:
        return self._open(urllib.request.Request(self.base + path))  # noqa: S310 (http://127.0.0.1)

    def token(self, page: str) -> str:
        return csrf_from(self.get(page).html)

    def post(self, path: str, data: dict, *, token: str) -> Answer:
        pairs = [("csrf_token", token)]
        for key, value in data.items():
            for v in value if isinstance(value, list) else [value]:
                pairs.append((key, str(v)))
        body = urllib.parse.urlencode(pairs).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")  # noqa: S310
        return self._open(request)

    def upload(self, path: str, field: str, filename: str, content: bytes, *, token: str):
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
            + content
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        request = urllib.request.Request(  # noqa: S310 (the live server, http://127.0.0.1)
            self.base + path,
            data=b"".join(parts),
            method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        return self._open(request)

    def login(self, email: str, password: str = DEFAULT_PASSWORD) -> Agent:
        answer = self.post(
            "/login", {"email": email, "password": password}, token=self.token("/login")
        )
        assert answer.status == 302, answer.status
        return self


def race(*calls: Callable[[], Answer]) -> list[Answer]:
    """Run the calls at the same moment, each in its own thread; their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[Answer | BaseException | None] = [None] * len(calls)

    def run(i: int, call: Callable[[], Answer]) -> None:
        barrier.wait()
        try:
            answers[i] = call()
        except BaseException as exc:  # reported below, in the test's thread
            answers[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for a in answers:
        if isinstance(a, BaseException):
            raise a
    out = [a for a in answers if isinstance(a, Answer)]
    assert len(out) == len(calls), "a request did not answer"
    assert [a.status for a in out if a.status >= 500] == [], "a 5xx answer"
    return out


@pytest.fixture(scope="session")
def gunicorn_server(_app_and_template, translations):
    """RACE_SERVER=gunicorn (PostgreSQL only): the app under gunicorn, 4 worker processes of
    4 threads each, as deployed, on the test database (session-wide; each test's reset
    empties the tables under it)."""
    app, _ = _app_and_template
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    overrides = {
        "SQLALCHEMY_DATABASE_URI": uri,
        "BABEL_TRANSLATION_DIRECTORIES": str(translations),
        "WTF_CSRF_ENABLED": True,
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [
            str(gunicorn),
            "--workers=4",
            "--threads=4",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            f"screening:create_app('test', {overrides!r})",
        ]
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def race_server(request):
    """Where the races are run: the threaded test server, or gunicorn (RACE_SERVER=gunicorn,
    on PostgreSQL)."""
    if os.environ.get("RACE_SERVER") == "gunicorn":
        if not is_postgres():
            pytest.skip("RACE_SERVER=gunicorn needs TEST_DATABASE_URL (PostgreSQL)")
        request.getfixturevalue("app")
        return request.getfixturevalue("gunicorn_server")
    return request.getfixturevalue("live_server")


@pytest.fixture
def agent(race_server):
    """Make a signed-in user agent: `agent("leder@example.dk")`."""
    return lambda email: Agent(race_server).login(email)
