"""Security headers come from the app; templates contain no inline script or style."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_headers_on_pages(client):
    r = client.get("/login")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["Cache-Control"] == "no-store"


def test_headers_on_error_pages(client):
    r = client.get("/does-not-exist")
    assert r.status_code == 404
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def test_templates_have_no_inline_script_or_style():
    files = list(TEMPLATES.rglob("*.html"))
    assert files
    for path in files:
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag, f"inline script in {path.name}"
        assert "<style" not in text, path.name
        assert not re.search(r"\sstyle=", text), path.name
        assert not re.search(r"\son[a-z]+=", text), f"inline handler in {path.name}"


# Hardened headers (issue 16) -----------------------------------------------------------------

HARDENED = {
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Permitted-Cross-Domain-Policies": "none",
}


@pytest.mark.parametrize(
    "url", ["/login", "/does-not-exist", "/static/app.css", "/healthz", "/sw.js", "/api/session"]
)
def test_hardened_headers_on_every_kind_of_answer(client, url):
    r = client.get(url, headers={"Accept": "application/json"} if "/api/" in url else {})
    r.close()  # a static file's handle
    for name, value in HARDENED.items():
        assert r.headers[name] == value, url
    assert "Server" not in r.headers
    policy = r.headers["Permissions-Policy"]
    entries = [e.strip() for e in policy.split(",")]
    # Every feature named is switched off for every origin, this one included.
    assert all(e.endswith("=()") for e in entries), policy
    named = {e.removesuffix("=()") for e in entries}
    assert {"camera", "microphone", "geolocation", "payment", "usb", "clipboard-read"} <= named
    assert len(named) == len(entries) >= 40


def test_gunicorn_with_the_shipped_config_announces_no_server_software(tmp_path):
    """The real server, started as the README says: no "Server" header at all."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "SCREENING_CONFIG": "development",
        "SECRET_KEY": "gunicorn-test-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
    }
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            str(root / "gunicorn.conf.py"),
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "screening:create_app()",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        raw = _get_raw(port, "/healthz", proc)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    assert head.startswith("HTTP/1.1 200"), (head, err.decode()[-2000:])
    names = [line.split(":", 1)[0].lower() for line in head.split("\r\n")[1:]]
    assert "server" not in names, head
    assert "cross-origin-resource-policy" in names


def _get_raw(port: int, path: str, proc: subprocess.Popen) -> bytes:
    """The raw answer, once the server listens (it is given up to a minute to start)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                conn.sendall(
                    f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
                )
                chunks = []
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
                return b"".join(chunks)
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
