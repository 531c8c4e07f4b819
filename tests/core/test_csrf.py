"""CSRF protection on every state-changing request, with CSRF switched on."""

from __future__ import annotations

import re

from screening.core.extensions import db
from screening.models import Role

from .. import factories as f


def test_every_post_endpoint_requires_a_csrf_token(app, browser):
    inst = f.institution()
    f.user(Role.ADMIN, Role.COORDINATOR, Role.LEADER, institutions=[inst], email="all@example.dk")
    db.session.commit()
    assert browser.login("all@example.dk").status_code == 302
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        url = re.sub(r"<(?:int:)?\w+>", str(inst.id), rule.rule)
        r = browser.client.post(url, data={"name": "X"})
        assert r.status_code == 400, (url, r.status_code)
        if url.startswith("/api/"):  # JSON endpoints answer JSON
            assert "CSRF" in r.get_json()["error"], url
        else:
            assert "Formularen er udløbet" in r.get_data(as_text=True)
        checked += 1
    assert checked >= 8


def test_login_without_token_is_refused(client):
    r = client.post("/login", data={"email": "a@example.dk", "password": "x"})
    assert r.status_code == 400
